//! The audit trail: one line per callback, allowed or not, at INFO on the
//! target `vk_host::audit`. It names who asked (plugin), what (rpc and
//! object), for which pod, the decision and its rule or result; it is built
//! only from request fields and outcomes, never from returned data. Every
//! field a plugin controls is recorded with `Debug` (escaped, quoted) and
//! cut to a bounded length, so a crafted name cannot forge log lines.
//! Every line is also counted in `vk_host_callback_calls_total`.

use std::fmt;

use crate::metrics::{self, callbacks::CallbackOutcome};

/// The longest reason recorded (rule messages quote at most short prefixes
/// of request fields; this bounds the rest).
const MAX_REASON_CHARS: usize = 1024;

/// What one call asked for; the fields of its audit line.
#[derive(Debug, Clone)]
pub struct Call {
    pub plugin: String,
    pub rpc: &'static str,
    /// `Secret ns/name`, `ConfigMap ns/name`, `token for ns/serviceaccount`.
    pub object: String,
    /// `ns/name (uid)` as the plugin named it.
    pub pod: String,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed and answered.
    Allowed,
    /// Allowed, but reading the object failed (its audit line says
    /// "allowed" with what went wrong).
    Failed,
    /// Refused by the named rule (a `rules::Rule` name, or
    /// `authentication`, `invalid-request`, `no-cluster`), for the
    /// `vk_host_callback_calls_total` metric.
    Denied(&'static str),
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allowed | Self::Failed => "allowed",
            Self::Denied(_) => "denied",
        })
    }
}

impl Call {
    /// Writes the call's audit line. `reason` is the refusing rule's
    /// message, or for an allowed call what came of it (`ok`, `not found`).
    pub fn record(&self, decision: Decision, reason: &str) {
        let (outcome, rule) = match decision {
            Decision::Allowed => (CallbackOutcome::Ok, "none"),
            Decision::Failed => (CallbackOutcome::Error, "none"),
            Decision::Denied(rule) => (CallbackOutcome::Denied, rule),
        };
        metrics::global().callbacks.call(self.rpc, outcome, rule);
        tracing::info!(
            target: "vk_host::audit",
            plugin = ?self.plugin,
            rpc = self.rpc,
            object = ?self.object,
            pod = ?self.pod,
            %decision,
            reason = ?vk_proto::text::cut_chars(reason, MAX_REASON_CHARS),
            "host callback"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_line_is_counted_by_rpc_outcome_and_rule() {
        let metrics = &metrics::global().callbacks;
        let call = Call {
            plugin: "p".into(),
            rpc: "GetConfigMap",
            object: "ConfigMap ns/c".into(),
            pod: "ns/p (u)".into(),
        };
        let count = |outcome, rule| metrics.count("GetConfigMap", outcome, rule);
        let before = [
            count(CallbackOutcome::Denied, "referenced"),
            count(CallbackOutcome::Ok, "none"),
            count(CallbackOutcome::Error, "none"),
        ];
        call.record(
            Decision::Denied("referenced"),
            "refused by rule referenced: ...",
        );
        call.record(Decision::Allowed, "ok");
        call.record(Decision::Allowed, "ok");
        call.record(Decision::Failed, "not found");
        let after = [
            count(CallbackOutcome::Denied, "referenced"),
            count(CallbackOutcome::Ok, "none"),
            count(CallbackOutcome::Error, "none"),
        ];
        assert_eq!(
            [
                after[0] - before[0],
                after[1] - before[1],
                after[2] - before[2]
            ],
            [1, 2, 1]
        );
        assert_eq!(Decision::Failed.to_string(), "allowed");
        assert_eq!(Decision::Denied("pod-bound").to_string(), "denied");
    }
}
