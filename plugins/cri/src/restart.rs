//! What to start next in a pod, by the kubelet's rules
//! (`ShouldContainerBeRestarted`, `findNextInitContainerToRun`,
//! `computePodActions`): init containers one at a time in order, then the
//! regular containers by restart policy; and when a pod is finished for
//! good. Whether a start must wait for CrashLoopBackOff is [`crate::backoff`].
//!
//! Not covered yet: sidecars (init containers with `restartPolicy: Always`
//! are treated as ordinary init containers), spec-hash changes as a reason
//! to kill a container, sandbox re-creation. Containers whose liveness or
//! startup probe failed are killed by `provider/probing.rs`; their restart
//! is then decided here like any exit.

use k8s_cri::v1::{ContainerState, ContainerStatus};
use k8s_openapi::api::core::v1::{Container, Pod};

use crate::snapshot::{PodSnapshot, state};

/// `spec.restartPolicy` (the API defaults it to Always).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub fn of(pod: &Pod) -> Self {
        match pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()) {
            Some("Never") => Self::Never,
            Some("OnFailure") => Self::OnFailure,
            _ => Self::Always,
        }
    }
}

/// Whether a container of `pod` whose newest instance is `newest` (none:
/// never started) is to be started (again). Never once the pod is being
/// deleted.
pub fn should_restart(pod: &Pod, newest: Option<&ContainerStatus>) -> bool {
    if pod.metadata.deletion_timestamp.is_some() {
        return false;
    }
    let Some(newest) = newest else {
        return true;
    };
    match state(newest) {
        ContainerState::ContainerRunning => false,
        ContainerState::ContainerCreated | ContainerState::ContainerUnknown => true,
        ContainerState::ContainerExited => match RestartPolicy::of(pod) {
            RestartPolicy::Never => false,
            RestartPolicy::OnFailure => newest.exit_code != 0,
            RestartPolicy::Always => true,
        },
    }
}

/// Where a pod's init containers stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitProgress {
    /// All init containers succeeded (or the pod has none, or a regular
    /// container already runs): regular containers may start.
    Done,
    /// An init container is running: wait for it.
    Running,
    /// Start this init container next; `after_failure` when it is a retry
    /// of a failed instance (which goes through CrashLoopBackOff).
    Start { name: String, after_failure: bool },
    /// An init container failed and the restart policy is Never: the pod
    /// has failed and is to be killed.
    Failed { name: String },
}

/// The next step of `pod`'s init sequence.
pub fn init_progress(pod: &Pod, snapshot: &PodSnapshot) -> InitProgress {
    let Some(spec) = pod.spec.as_ref() else {
        return InitProgress::Done;
    };
    let init: &[Container] = spec.init_containers.as_deref().unwrap_or_default();
    if init.is_empty() {
        return InitProgress::Done;
    }
    let regular_running = spec.containers.iter().any(|c| {
        snapshot
            .newest(&c.name)
            .is_some_and(|s| state(s) == ContainerState::ContainerRunning)
    });
    if regular_running {
        return InitProgress::Done;
    }
    // The last failed init container, if any, is retried (or fails the pod).
    if let Some(failed) = init
        .iter()
        .rev()
        .find(|c| snapshot.newest(&c.name).is_some_and(init_container_failed))
    {
        return if RestartPolicy::of(pod) == RestartPolicy::Never {
            InitProgress::Failed {
                name: failed.name.clone(),
            }
        } else {
            InitProgress::Start {
                name: failed.name.clone(),
                after_failure: true,
            }
        };
    }
    for (index, container) in init.iter().enumerate().rev() {
        let Some(newest) = snapshot.newest(&container.name) else {
            continue;
        };
        match state(newest) {
            ContainerState::ContainerRunning => return InitProgress::Running,
            ContainerState::ContainerExited => {
                return match init.get(index + 1) {
                    None => InitProgress::Done,
                    Some(next) => InitProgress::Start {
                        name: next.name.clone(),
                        after_failure: false,
                    },
                };
            }
            // A created-but-not-started instance: look further back.
            _ => {}
        }
    }
    InitProgress::Start {
        name: init[0].name.clone(),
        after_failure: false,
    }
}

/// An init container instance failed: a non-zero exit, an OOM kill, or a
/// state the runtime cannot tell.
fn init_container_failed(status: &ContainerStatus) -> bool {
    status.reason == "OOMKilled"
        || (state(status) == ContainerState::ContainerExited && status.exit_code != 0)
        || state(status) == ContainerState::ContainerUnknown
}

/// What a sync of the pod should do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodActions {
    /// Init container to start now (at most one at a time).
    pub start_init: Option<String>,
    /// Regular containers to start, in spec order.
    pub start: Vec<String>,
    /// Nothing runs and nothing will be started: stop the sandbox.
    pub kill_pod: bool,
}

/// The pod's next actions from its spec and runtime state (sandbox
/// creation aside).
pub fn pod_actions(pod: &Pod, snapshot: &PodSnapshot) -> PodActions {
    let Some(spec) = pod.spec.as_ref() else {
        return PodActions::default();
    };
    match init_progress(pod, snapshot) {
        InitProgress::Failed { .. } => PodActions {
            kill_pod: true,
            ..PodActions::default()
        },
        InitProgress::Running => PodActions::default(),
        InitProgress::Start { name, .. } => PodActions {
            start_init: (pod.metadata.deletion_timestamp.is_none()).then_some(name),
            ..PodActions::default()
        },
        InitProgress::Done => {
            let start: Vec<String> = spec
                .containers
                .iter()
                .filter(|c| should_restart(pod, snapshot.newest(&c.name)))
                .map(|c| c.name.clone())
                .collect();
            let any_running = snapshot
                .containers
                .iter()
                .any(|c| state(c) == ContainerState::ContainerRunning);
            PodActions {
                kill_pod: start.is_empty() && !any_running,
                start,
                start_init: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{created, exited, running};
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    fn pod_with(policy: &str, init: &[&str]) -> Pod {
        let init: Vec<_> = init.iter().map(|n| json!({"name": n})).collect();
        pod_from_json(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": {"restartPolicy": policy, "initContainers": init, "containers": [{"name": "app"}]}
        }))
    }

    fn snapshot(containers: Vec<ContainerStatus>) -> PodSnapshot {
        PodSnapshot {
            sandboxes: Vec::new(),
            containers,
        }
    }

    #[test]
    fn restart_policy_table() {
        for (policy, newest, expected) in [
            ("Always", None, true),
            ("Never", None, true),
            ("Always", Some(running("app", 0)), false),
            ("Never", Some(created("app", 0)), true),
            ("Always", Some(exited("app", 0, 0)), true),
            ("Always", Some(exited("app", 0, 1)), true),
            ("OnFailure", Some(exited("app", 0, 0)), false),
            ("OnFailure", Some(exited("app", 0, 1)), true),
            ("Never", Some(exited("app", 0, 0)), false),
            ("Never", Some(exited("app", 0, 1)), false),
        ] {
            assert_eq!(
                should_restart(&pod_with(policy, &[]), newest.as_ref()),
                expected,
                "{policy} {newest:?}"
            );
        }
    }

    #[test]
    fn nothing_restarts_once_the_pod_is_being_deleted() {
        let mut pod = pod_with("Always", &[]);
        pod.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        assert!(!should_restart(&pod, None));
        assert!(!should_restart(&pod, Some(&exited("app", 0, 1))));
    }

    #[test]
    fn init_containers_run_in_order() {
        let pod = pod_with("Always", &["one", "two"]);
        let start = |name: &str, after_failure| InitProgress::Start {
            name: name.into(),
            after_failure,
        };
        for (containers, expected) in [
            (vec![], start("one", false)),
            (vec![running("one", 0)], InitProgress::Running),
            (vec![exited("one", 0, 0)], start("two", false)),
            (
                vec![exited("one", 0, 0), running("two", 0)],
                InitProgress::Running,
            ),
            (
                vec![exited("one", 0, 0), exited("two", 0, 0)],
                InitProgress::Done,
            ),
            (vec![exited("one", 0, 1)], start("one", true)),
            (
                vec![exited("one", 0, 0), exited("two", 0, 2)],
                start("two", true),
            ),
            (
                vec![exited("one", 0, 0), created("two", 0)],
                start("two", false),
            ),
            (vec![running("app", 0)], InitProgress::Done),
        ] {
            assert_eq!(
                init_progress(&pod, &snapshot(containers.clone())),
                expected,
                "{containers:?}"
            );
        }
        assert_eq!(
            init_progress(&pod_with("Always", &[]), &snapshot(vec![])),
            InitProgress::Done
        );
    }

    #[test]
    fn a_failed_init_container_fails_a_never_pod() {
        let pod = pod_with("Never", &["one", "two"]);
        let mut oom = exited("one", 0, 0);
        oom.reason = "OOMKilled".into();
        for containers in [vec![exited("one", 0, 1)], vec![oom]] {
            let snapshot = snapshot(containers);
            assert_eq!(
                init_progress(&pod, &snapshot),
                InitProgress::Failed { name: "one".into() }
            );
            assert_eq!(
                pod_actions(&pod, &snapshot),
                PodActions {
                    kill_pod: true,
                    ..PodActions::default()
                }
            );
        }
    }

    #[test]
    fn actions_of_a_pod() {
        let actions = |policy, init: &[&str], containers| {
            pod_actions(&pod_with(policy, init), &snapshot(containers))
        };
        assert_eq!(
            actions("Always", &["one"], vec![]).start_init.as_deref(),
            Some("one")
        );
        assert_eq!(
            actions("Always", &["one"], vec![exited("one", 0, 0)]).start,
            vec!["app".to_owned()]
        );
        assert_eq!(
            actions("Always", &[], vec![running("app", 0)]),
            PodActions::default()
        );
        assert_eq!(
            actions("Always", &[], vec![exited("app", 0, 0)]).start,
            vec!["app".to_owned()]
        );
        let done = actions("OnFailure", &[], vec![exited("app", 0, 0)]);
        assert!(
            done.start.is_empty() && done.kill_pod,
            "a finished OnFailure pod is killed"
        );
        let failed = actions("Never", &[], vec![exited("app", 0, 3)]);
        assert!(failed.start.is_empty() && failed.kill_pod);
    }
}
