//! The checks, in the order they run, each with a stable name and the
//! capability it needs (checks of undeclared capabilities are SKIPped; their
//! rpcs are instead checked to answer UNIMPLEMENTED). Each check makes its own
//! pods, so one failure does not cascade into the next.

pub mod capabilities;
pub mod lifecycle;
pub mod robustness;
pub mod streams;

use futures::future::BoxFuture;
use vk_proto::v1::Capability;

use crate::context::{Ctx, Outcome};

/// One check.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Stable, kebab-case; printed as `PASS|FAIL|SKIP <name>: ...`.
    pub name: &'static str,
    /// Skipped ("not declared") unless the plugin declared this.
    pub requires: Option<Capability>,
    pub run: for<'a> fn(&'a Ctx) -> BoxFuture<'a, Outcome>,
}

macro_rules! check {
    ($name:literal, $requires:expr, $run:path) => {
        Check {
            name: $name,
            requires: $requires,
            run: |cx| Box::pin($run(cx)),
        }
    };
}

/// The checks after the handshake, probe and undeclared-capability checks
/// and before shutdown, in order.
pub fn all() -> Vec<Check> {
    use Capability as C;
    vec![
        check!("create-get", None, lifecycle::create_get),
        check!("create-idempotent", None, lifecycle::create_idempotent),
        check!("create-conflict", None, lifecycle::create_conflict),
        check!("get-wrong-uid", None, lifecycle::get_wrong_uid),
        check!("update", None, lifecycle::update),
        check!("update-unknown", None, lifecycle::update_unknown),
        check!("delete", None, lifecycle::delete),
        check!("delete-again", None, lifecycle::delete_again),
        check!("delete-unknown", None, lifecycle::delete_unknown),
        check!("get-unknown", None, lifecycle::get_unknown),
        check!("list", None, lifecycle::list),
        check!(
            "watch-pod-status",
            Some(C::PodStatusStream),
            streams::watch_pod_status
        ),
        check!(
            "watch-idle-stream",
            Some(C::PodStatusStream),
            streams::watch_idle_stream
        ),
        check!("logs", Some(C::ContainerLogs), streams::logs),
        check!(
            "logs-unknown-container",
            Some(C::ContainerLogs),
            streams::logs_unknown_container
        ),
        check!("exec", Some(C::Exec), streams::exec),
        check!("attach", Some(C::Attach), streams::attach),
        check!("port-forward", Some(C::PortForward), streams::port_forward),
        check!(
            "stats-summary",
            Some(C::StatsSummary),
            capabilities::stats_summary
        ),
        check!(
            "metrics-resource",
            Some(C::MetricsResource),
            capabilities::metrics_resource
        ),
        check!("node-info", Some(C::NodeInfo), capabilities::node_info),
        check!(
            "plugin-metrics",
            Some(C::PluginMetrics),
            capabilities::plugin_metrics
        ),
        check!(
            "watch-node-info",
            Some(C::NodeInfo),
            streams::watch_node_info
        ),
        check!(
            "invalid-create-empty",
            None,
            robustness::invalid_create_empty
        ),
        check!(
            "invalid-create-not-json",
            None,
            robustness::invalid_create_not_json
        ),
        check!(
            "invalid-create-no-uid",
            None,
            robustness::invalid_create_no_uid
        ),
        check!(
            "invalid-get-no-pod-ref",
            None,
            robustness::invalid_get_no_pod_ref
        ),
        check!(
            "invalid-exec-first-message",
            Some(C::Exec),
            robustness::invalid_exec_first_message
        ),
        check!("concurrent-create", None, robustness::concurrent_create),
        check!("concurrent-delete", None, robustness::concurrent_delete),
        check!(
            "unauthenticated-missing-secret",
            None,
            robustness::unauthenticated_missing_secret
        ),
        check!(
            "unauthenticated-wrong-secret",
            None,
            robustness::unauthenticated_wrong_secret
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_unique_kebab_case() {
        let checks = all();
        let names: HashSet<_> = checks.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), checks.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
        }
    }
}
