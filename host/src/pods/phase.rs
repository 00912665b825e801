//! Pure decisions about pod phases and statuses: terminal phases are final,
//! when a deleted pod has finished in the plugin, whether an API pod shows
//! that a plugin once ran it, the statuses the host itself writes (a
//! provider failure, a pod the plugin lost), and the node's host IPs for a
//! status without any.

use std::borrow::Cow;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateTerminated, ContainerStatus, HostIP, Pod, PodCondition, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Status reason of a pod the plugin could not create (upstream's name).
pub const PROVIDER_FAILED: &str = "ProviderFailed";
/// Status reason of a pod the plugin no longer holds although it ran it.
pub const PROVIDER_LOST: &str = "ProviderLost";
/// The kubelet's reason and exit code for a container that vanished.
pub const CONTAINER_STATUS_UNKNOWN: &str = "ContainerStatusUnknown";
pub const LOST_EXIT_CODE: i32 = 137;

/// `Succeeded` or `Failed`: nothing may change the pod's phase any more.
pub fn is_terminal(status: Option<&PodStatus>) -> bool {
    matches!(
        status.and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// Whether `pod`'s API status shows that a plugin reported it running or
/// starting (container statuses or a start time): after a host restart the
/// only evidence that the pod was created in a plugin before. The host's own
/// statuses carry neither: `ProviderFailed` has no container statuses, and
/// those of a pod whose environment could not be built (waiting with
/// `CreateContainerConfigError`, see pods/env) do not count.
pub fn was_started(status: Option<&PodStatus>) -> bool {
    status.is_some_and(|s| {
        let containers = s.container_statuses.as_deref().unwrap_or_default();
        let host_written = containers
            .iter()
            .chain(s.init_container_statuses.iter().flatten())
            .any(|c| {
                c.state
                    .as_ref()
                    .and_then(|state| state.waiting.as_ref())
                    .and_then(|waiting| waiting.reason.as_deref())
                    == Some(super::env::config_error::CREATE_CONTAINER_CONFIG_ERROR)
            });
        s.start_time.is_some() || (!containers.is_empty() && !host_written)
    })
}

/// Whether `status` (the plugin's) says the pod has finished: a terminal
/// phase, or every container of the spec terminated and no init container
/// still running.
pub fn all_terminated(pod: &Pod, status: &PodStatus) -> bool {
    if is_terminal(Some(status)) {
        return true;
    }
    let Some(spec) = &pod.spec else { return true };
    let statuses = status.container_statuses.as_deref().unwrap_or_default();
    let terminated = |name: &str| {
        statuses.iter().any(|s| {
            s.name == name
                && s.state
                    .as_ref()
                    .is_some_and(|state| state.terminated.is_some())
        })
    };
    let init_running = status.init_container_statuses.iter().flatten().any(|s| {
        s.state
            .as_ref()
            .is_some_and(|state| state.running.is_some())
    });
    !init_running && spec.containers.iter().all(|c| terminated(&c.name))
}

/// `status` with the node's host IPs (`node_host_ips`: the first InternalIP,
/// then one of the other family; empty while unknown) when it has neither
/// `hostIP` nor `hostIPs`: the kubelet always sets them, and a plugin that
/// does not know the node's address cannot. A plugin's own value wins, even
/// one that differs from the node's.
pub fn with_node_host_ips<'a>(
    status: &'a PodStatus,
    node_host_ips: &[String],
) -> Cow<'a, PodStatus> {
    let has_own = status.host_ip.as_deref().is_some_and(|ip| !ip.is_empty())
        || status.host_ips.iter().flatten().any(|ip| !ip.ip.is_empty());
    let Some(first) = node_host_ips.first().filter(|_| !has_own) else {
        return Cow::Borrowed(status);
    };
    let mut status = status.clone();
    status.host_ip = Some(first.clone());
    status.host_ips = Some(
        node_host_ips
            .iter()
            .map(|ip| HostIP { ip: ip.clone() })
            .collect(),
    );
    Cow::Owned(status)
}

/// What the API should say about a pod the plugin could not create:
/// `Pending` with reason `ProviderFailed` and the plugin's message, or
/// `Failed` when the protocol says the failure is permanent.
pub fn provider_failed(permanent: bool, message: &str) -> PodStatus {
    PodStatus {
        phase: Some(if permanent { "Failed" } else { "Pending" }.into()),
        reason: Some(PROVIDER_FAILED.into()),
        message: Some(message.to_owned()),
        ..PodStatus::default()
    }
}

/// What the API should say about a pod the plugin lost: `Failed` with
/// reason `ProviderLost`, every container terminated the way the kubelet
/// reports a container it cannot find (137, `ContainerStatusUnknown`), and
/// Ready false.
pub fn lost(pod: &Pod, message: &str, now: Time) -> PodStatus {
    let previous = pod.status.as_ref();
    let known = |name: &str| {
        previous
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|all| all.iter().find(|s| s.name == name))
    };
    let containers = pod
        .spec
        .iter()
        .flat_map(|spec| spec.containers.iter())
        .map(|c| {
            let before = known(&c.name);
            let started_at = before
                .and_then(|s| s.state.as_ref())
                .and_then(|state| state.running.as_ref())
                .and_then(|running| running.started_at.clone());
            ContainerStatus {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                image_id: before.map(|s| s.image_id.clone()).unwrap_or_default(),
                container_id: before.and_then(|s| s.container_id.clone()),
                restart_count: before.map_or(0, |s| s.restart_count),
                ready: false,
                started: Some(false),
                state: Some(ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code: LOST_EXIT_CODE,
                        reason: Some(CONTAINER_STATUS_UNKNOWN.into()),
                        message: Some(
                            "The container could not be located when the pod was terminated".into(),
                        ),
                        started_at,
                        finished_at: Some(now.clone()),
                        ..ContainerStateTerminated::default()
                    }),
                    ..ContainerState::default()
                }),
                ..ContainerStatus::default()
            }
        })
        .collect();
    let condition = |type_: &str| PodCondition {
        type_: type_.into(),
        status: "False".into(),
        reason: Some("PodFailed".into()),
        last_transition_time: Some(now.clone()),
        ..PodCondition::default()
    };
    PodStatus {
        phase: Some("Failed".into()),
        reason: Some(PROVIDER_LOST.into()),
        message: Some(message.to_owned()),
        container_statuses: Some(containers),
        conditions: Some(vec![condition("Ready"), condition("ContainersReady")]),
        start_time: previous.and_then(|s| s.start_time.clone()),
        host_ip: previous.and_then(|s| s.host_ip.clone()),
        host_ips: previous.and_then(|s| s.host_ips.clone()),
        pod_ip: previous.and_then(|s| s.pod_ip.clone()),
        pod_ips: previous.and_then(|s| s.pod_ips.clone()),
        ..PodStatus::default()
    }
}

/// The terminal status a deleted pod gets before its API object is removed
/// (the kubelet, too, writes the final phase first: a pod held by a
/// finalizer must not stay `Running`). `plugin` is the plugin's latest
/// status, `None` when the plugin no longer holds the pod and nothing else
/// is known.
///
/// - the plugin's status, if terminal;
/// - its status with the phase the containers' exit codes give (all 0:
///   `Succeeded`, else `Failed`), if every container terminated;
/// - otherwise `Failed`, every container terminated as the kubelet reports
///   one it could not find (137, `ContainerStatusUnknown`).
pub fn deleted(pod: &Pod, plugin: Option<&PodStatus>, message: &str, now: Time) -> PodStatus {
    if let Some(status) = plugin {
        if is_terminal(Some(status)) {
            return status.clone();
        }
        if all_terminated(pod, status) {
            let mut status = status.clone();
            let clean = status.container_statuses.iter().flatten().all(|c| {
                c.state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .is_some_and(|t| t.exit_code == 0)
            });
            status.phase = Some(if clean { "Succeeded" } else { "Failed" }.into());
            for condition in status.conditions.iter_mut().flatten() {
                if matches!(condition.type_.as_str(), "Ready" | "ContainersReady")
                    && condition.status != "False"
                {
                    condition.status = "False".into();
                    condition.reason = Some("PodCompleted".into());
                    condition.last_transition_time = Some(now.clone());
                }
            }
            return status;
        }
    }
    let mut known = pod.clone();
    if let Some(status) = plugin {
        known.status = Some(status.clone());
    }
    let mut status = lost(&known, message, now);
    // Deleted, not lost: no ProviderLost reason.
    status.reason = None;
    status
}

/// What the API should say about a pod the host itself failed (its active
/// deadline passed): `status` (the plugin's latest; its containers as
/// reported) with phase `Failed`, `reason` and `message`, no container ready,
/// and Ready and ContainersReady false (`PodFailed`), as the kubelet writes it.
pub fn failed_by_host(
    status: Option<&PodStatus>,
    reason: &str,
    message: &str,
    now: Time,
) -> PodStatus {
    let mut status = status.cloned().unwrap_or_default();
    status.phase = Some("Failed".into());
    status.reason = Some(reason.to_owned());
    status.message = Some(message.to_owned());
    for container in status.container_statuses.iter_mut().flatten() {
        container.ready = false;
    }
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    for type_ in ["Ready", "ContainersReady"] {
        let not_ready = PodCondition {
            type_: type_.into(),
            status: "False".into(),
            reason: Some("PodFailed".into()),
            last_transition_time: Some(now.clone()),
            ..PodCondition::default()
        };
        match conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(condition) if condition.status == "False" => {}
            Some(condition) => *condition = not_ready,
            None => conditions.push(not_ready),
        }
    }
    status
}

/// The latest status of a pod being deleted, from what was `recorded` (the
/// plugin's pushes) and GetPod's `fresh` reply: a terminal status recorded
/// stays (as `Tracked::record_status` keeps it), else the fresh one, else
/// the recorded one.
pub fn latest_of(recorded: Option<PodStatus>, fresh: Option<PodStatus>) -> Option<PodStatus> {
    match recorded {
        Some(recorded) if is_terminal(Some(&recorded)) => Some(recorded),
        recorded => fresh.or(recorded),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]},
            "status": status,
        }))
        .expect("a pod")
    }

    fn state(name: &str, state: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"name": name, "image": "x", "imageID": "", "ready": false,
                           "restartCount": 0, "state": state})
    }

    #[test]
    fn host_ips_come_from_the_node_only_when_the_plugin_gives_none() {
        let status = |value: serde_json::Value| -> PodStatus {
            serde_json::from_value(value).expect("a status")
        };
        let node = ["10.0.0.7".to_owned(), "fd00::7".to_owned()];
        let running = status(serde_json::json!({"phase": "Running"}));
        let filled = with_node_host_ips(&running, &node);
        assert_eq!(filled.host_ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(
            serde_json::to_value(&filled.host_ips).expect("json"),
            serde_json::json!([{"ip": "10.0.0.7"}, {"ip": "fd00::7"}])
        );
        assert_eq!(filled.phase.as_deref(), Some("Running"), "the rest is kept");
        // Empty strings and lists are no value (the API shows them as absent).
        let empty = status(serde_json::json!({"hostIP": "", "hostIPs": []}));
        assert_eq!(
            with_node_host_ips(&empty, &node).host_ip.as_deref(),
            Some("10.0.0.7")
        );

        // The plugin's own value wins, either field alone too.
        for own in [
            serde_json::json!({"hostIP": "192.0.2.1", "hostIPs": [{"ip": "192.0.2.1"}]}),
            serde_json::json!({"hostIP": "192.0.2.1"}),
            serde_json::json!({"hostIPs": [{"ip": "192.0.2.1"}]}),
        ] {
            let own = status(own);
            assert!(
                matches!(with_node_host_ips(&own, &node), Cow::Borrowed(s) if *s == own),
                "{own:?}"
            );
        }
        // Not known yet: nothing to add.
        let bare = status(serde_json::json!({"phase": "Pending"}));
        assert!(matches!(with_node_host_ips(&bare, &[]), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_phases() {
        let p = pod(serde_json::json!({"phase": "Failed"}));
        assert!(is_terminal(p.status.as_ref()));
        let p = pod(serde_json::json!({"phase": "Running"}));
        assert!(!is_terminal(p.status.as_ref()));
        assert!(!is_terminal(None));
    }

    #[test]
    fn finished_only_when_every_container_terminated() {
        let running = pod(
            serde_json::json!({"phase": "Running", "containerStatuses": [
                state("a", serde_json::json!({"terminated": {"exitCode": 0}})),
                state("b", serde_json::json!({"running": {}})),
            ]}),
        );
        let status = running.status.clone().expect("status");
        assert!(!all_terminated(&running, &status));
        let done = pod(
            serde_json::json!({"phase": "Running", "containerStatuses": [
                state("a", serde_json::json!({"terminated": {"exitCode": 0}})),
                state("b", serde_json::json!({"terminated": {"exitCode": 137}})),
            ]}),
        );
        let status = done.status.clone().expect("status");
        assert!(all_terminated(&done, &status));
        let succeeded = pod(serde_json::json!({"phase": "Succeeded"}));
        let status = succeeded.status.clone().expect("status");
        assert!(all_terminated(&succeeded, &status));
        let pending = pod(serde_json::json!({"phase": "Pending"}));
        let status = pending.status.clone().expect("status");
        assert!(!all_terminated(&pending, &status));
    }

    #[test]
    fn started_evidence() {
        assert!(!was_started(
            pod(serde_json::json!({"phase": "Pending"})).status.as_ref()
        ));
        assert!(!was_started(Some(&provider_failed(false, "boom"))));
        assert!(was_started(
            pod(serde_json::json!({"phase": "Pending", "startTime": "2026-01-01T00:00:00Z"}))
                .status
                .as_ref()
        ));
        let creating = state(
            "a",
            serde_json::json!({"waiting": {"reason": "ContainerCreating"}}),
        );
        assert!(was_started(
            pod(serde_json::json!({"phase": "Pending", "containerStatuses": [creating]}))
                .status
                .as_ref()
        ));
        // The host's own status for a pod whose env cannot be built.
        let config_error = state(
            "a",
            serde_json::json!({"waiting": {"reason": "CreateContainerConfigError", "message": "m"}}),
        );
        assert!(!was_started(
            pod(serde_json::json!({"phase": "Pending", "containerStatuses": [config_error]}))
                .status
                .as_ref()
        ));
    }

    #[test]
    fn deleted_pods_end_terminal() {
        let now = || Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let running = pod(
            serde_json::json!({"phase": "Running", "containerStatuses": [
                state("a", serde_json::json!({"running": {}})),
            ]}),
        );
        // The plugin no longer has it and nothing is known: Failed.
        let status = deleted(&running, None, "gone", now());
        assert_eq!(status.phase.as_deref(), Some("Failed"));
        assert_eq!(status.reason, None);
        assert_eq!(status.container_statuses.expect("containers").len(), 2);
        // The plugin finished it: its own terminal status.
        let done = PodStatus {
            phase: Some("Succeeded".into()),
            ..PodStatus::default()
        };
        assert_eq!(deleted(&running, Some(&done), "x", now()), done);
        // Every container terminated: the phase follows the exit codes.
        let stopped = |a: i32, b: i32| {
            pod(serde_json::json!({"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                state("a", serde_json::json!({"terminated": {"exitCode": a}})),
                state("b", serde_json::json!({"terminated": {"exitCode": b}})),
            ]}))
            .status
            .expect("status")
        };
        let status = deleted(&running, Some(&stopped(0, 137)), "x", now());
        assert_eq!(status.phase.as_deref(), Some("Failed"));
        assert_eq!(
            status.conditions.expect("conditions")[0].status,
            "False",
            "not Ready any more"
        );
        let status = deleted(&running, Some(&stopped(0, 0)), "x", now());
        assert_eq!(status.phase.as_deref(), Some("Succeeded"));
        // Still running in the plugin (grace period over): Failed.
        let still = running.status.clone().expect("status");
        let status = deleted(&running, Some(&still), "x", now());
        assert_eq!(status.phase.as_deref(), Some("Failed"));
    }

    #[test]
    fn lost_pods_fail_with_unknown_containers() {
        let p = pod(serde_json::json!({"phase": "Running", "podIP": "10.0.0.2",
            "startTime": "2026-01-01T00:00:00Z",
            "containerStatuses": [state("a", serde_json::json!({"running": {"startedAt": "2026-01-01T00:00:01Z"}}))]}));
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let status = lost(&p, "gone", now);
        assert_eq!(status.phase.as_deref(), Some("Failed"));
        assert_eq!(status.reason.as_deref(), Some(PROVIDER_LOST));
        assert_eq!(status.pod_ip.as_deref(), Some("10.0.0.2"));
        let containers = status.container_statuses.expect("containers");
        assert_eq!(containers.len(), 2);
        let terminated = containers[0]
            .state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .expect("terminated");
        assert_eq!(terminated.exit_code, 137);
        assert!(terminated.started_at.is_some());
        assert!(is_terminal(Some(&provider_failed(true, "bad"))));
        assert!(!is_terminal(Some(&provider_failed(false, "retry"))));
    }

    #[test]
    fn a_pod_the_host_fails_keeps_the_plugins_containers_and_is_not_ready() {
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let running = pod(serde_json::json!({"phase": "Running", "podIP": "10.0.0.2",
            "conditions": [{"type": "Ready", "status": "True"},
                           {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [state("a", serde_json::json!({"running": {}}))]}))
        .status
        .expect("status");
        let failed = failed_by_host(Some(&running), "DeadlineExceeded", "too long", now);
        assert_eq!(failed.phase.as_deref(), Some("Failed"));
        assert_eq!(failed.reason.as_deref(), Some("DeadlineExceeded"));
        assert_eq!(failed.message.as_deref(), Some("too long"));
        assert_eq!(failed.pod_ip.as_deref(), Some("10.0.0.2"));
        let containers = failed.container_statuses.expect("containers");
        assert!(
            containers[0]
                .state
                .as_ref()
                .expect("state")
                .running
                .is_some()
        );
        let conditions = failed.conditions.expect("conditions");
        let status_of = |type_: &str| {
            conditions
                .iter()
                .find(|c| c.type_ == type_)
                .map(|c| c.status.as_str())
        };
        assert_eq!(status_of("Ready"), Some("False"));
        assert_eq!(status_of("ContainersReady"), Some("False"));
        assert_eq!(status_of("PodScheduled"), Some("True"));
        // Nothing reported yet: still Failed, with the reason.
        let bare = failed_by_host(
            None,
            "DeadlineExceeded",
            "too long",
            Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
        );
        assert!(is_terminal(Some(&bare)));
    }

    #[test]
    fn a_terminal_status_the_plugin_reported_outlives_a_fresher_one() {
        let status = |phase: &str| PodStatus {
            phase: Some(phase.into()),
            ..PodStatus::default()
        };
        let cases = [
            (Some("Succeeded"), Some("Running"), Some("Succeeded")),
            (Some("Running"), Some("Pending"), Some("Pending")),
            (Some("Running"), None, Some("Running")),
            (None, Some("Running"), Some("Running")),
            (None, None, None),
        ];
        for (recorded, fresh, expected) in cases {
            let latest = latest_of(recorded.map(status), fresh.map(status));
            assert_eq!(
                latest.and_then(|s| s.phase),
                expected.map(String::from),
                "{recorded:?} {fresh:?}"
            );
        }
    }
}
