//! What to start next in a pod, by the kubelet's rules
//! (`ShouldContainerBeRestarted`, `computeInitContainerActions`,
//! `computePodActions`): init containers in order, sidecars (init
//! containers with `restartPolicy: Always`) kept running, then the regular
//! containers by restart policy; when a pod is finished for good; and the
//! order in which a pod's containers are stopped. Whether a start must wait
//! for CrashLoopBackOff is [`crate::backoff`].
//!
//! Not covered yet: spec-hash changes as a reason to kill a container,
//! sandbox re-creation. Containers whose liveness or startup probe failed
//! are killed by `provider/probing.rs`; their restart is then decided here
//! like any exit.

use k8s_cri::v1::{ContainerState, ContainerStatus};
use k8s_openapi::api::core::v1::{Container, Pod};

use crate::probes::ProbeResults;
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

/// A sidecar: an init container with `restartPolicy: Always`
/// (`IsRestartableInitContainer`). It runs beside the regular containers
/// and is restarted whenever it exits, whatever the pod's restart policy.
pub fn is_sidecar(container: &Container) -> bool {
    container.restart_policy.as_deref() == Some("Always")
}

/// The pod's sidecars, in spec order.
pub fn sidecars(pod: &Pod) -> impl Iterator<Item = &Container> {
    pod.spec
        .iter()
        .flat_map(|s| s.init_containers.iter().flatten())
        .filter(|c| is_sidecar(c))
}

/// Whether a container of `pod` whose newest instance is `newest` (none:
/// never started) is to be started (again) by the pod's restart policy.
/// Never once the pod is being deleted.
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

/// [`should_restart`] for `container`: a sidecar is restarted whenever it
/// is not running (its own `restartPolicy: Always`), unless the pod is
/// being deleted or `pod_done` (finished: its sidecars are stopped, not
/// restarted).
pub fn should_restart_container(
    pod: &Pod,
    container: &Container,
    newest: Option<&ContainerStatus>,
    pod_done: bool,
) -> bool {
    if !is_sidecar(container) {
        return should_restart(pod, newest);
    }
    pod.metadata.deletion_timestamp.is_none()
        && !pod_done
        && newest.is_none_or(|n| state(n) != ContainerState::ContainerRunning)
}

/// Where a pod's init containers stand (`computeInitContainerActions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitActions {
    /// Every regular init container completed and every sidecar has
    /// started (or a regular container already runs or was created):
    /// regular containers may start.
    pub initialized: bool,
    /// Init containers to start now, in spec order: the next one of the
    /// sequence, a failed one to retry, and sidecars that are not running.
    pub start: Vec<String>,
    /// A regular init container failed and the restart policy is Never:
    /// the pod has failed and is to be killed.
    pub failed: Option<String>,
}

/// The next steps of `pod`'s init sequence. A sidecar counts as done for
/// the sequence once it is started: running, and its startup probe (if
/// any) succeeded, as `probes` has published it.
pub fn init_actions(pod: &Pod, snapshot: &PodSnapshot, probes: &ProbeResults) -> InitActions {
    let Some(spec) = pod.spec.as_ref() else {
        return InitActions {
            initialized: true,
            ..InitActions::default()
        };
    };
    let init: &[Container] = spec.init_containers.as_deref().unwrap_or_default();
    if init.is_empty() {
        return InitActions {
            initialized: true,
            ..InitActions::default()
        };
    }
    // A regular container that runs (or was created) means every init
    // container completed once, even if the runtime no longer has them.
    let mut initialized = spec.containers.iter().any(|c| {
        snapshot.newest(&c.name).is_some_and(|s| {
            matches!(
                state(s),
                ContainerState::ContainerRunning | ContainerState::ContainerCreated
            )
        })
    });
    let never = RestartPolicy::of(pod) == RestartPolicy::Never;
    let last = init.len() - 1;
    // Walk backwards: the newest init container with an instance says
    // where the sequence stands (older ones may have been removed); the
    // sidecars before it are kept running.
    let mut previously_initialized = initialized;
    let mut start: Vec<usize> = Vec::new();
    for (index, container) in init.iter().enumerate().rev() {
        let sidecar = is_sidecar(container);
        let Some(newest) = snapshot.newest(&container.name) else {
            if previously_initialized && sidecar {
                start.push(index);
            }
            continue;
        };
        if previously_initialized && !sidecar {
            continue;
        }
        match state(newest) {
            // Created but not started: its start failed; start anew.
            ContainerState::ContainerCreated => start.push(index),
            ContainerState::ContainerRunning => {
                // A regular init container runs: wait for it. A sidecar
                // waits for its startup probe, then lets the next one go.
                if sidecar && probes.started(container, &newest.id) {
                    if index == last {
                        initialized = true;
                    } else if !previously_initialized {
                        start.push(index + 1);
                    }
                }
            }
            ContainerState::ContainerExited if !sidecar && !init_container_failed(newest) => {
                if index == last {
                    initialized = true;
                } else {
                    start.push(index + 1);
                }
            }
            // A sidecar that exited or is in an unknown state, or a regular
            // init container that failed.
            _ => {
                if !sidecar && never {
                    return InitActions {
                        initialized: false,
                        start: Vec::new(),
                        failed: Some(container.name.clone()),
                    };
                }
                start.push(index);
            }
        }
        previously_initialized = true;
    }
    if !previously_initialized {
        start.push(0);
    }
    start.sort_unstable();
    start.dedup();
    InitActions {
        initialized,
        start: start.into_iter().map(|i| init[i].name.clone()).collect(),
        failed: None,
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
    /// Init containers to start now, in spec order: the next of the
    /// sequence (one at a time) and sidecars to (re)start.
    pub start_init: Vec<String>,
    /// Regular containers to start, in spec order.
    pub start: Vec<String>,
    /// No regular container runs and none will be started (or an init
    /// container failed under Never): stop what still runs (sidecars) and
    /// the sandbox.
    pub kill_pod: bool,
}

/// The pod's next actions from its spec, runtime state and published probe
/// results (sandbox creation aside).
pub fn pod_actions(pod: &Pod, snapshot: &PodSnapshot, probes: &ProbeResults) -> PodActions {
    let Some(spec) = pod.spec.as_ref() else {
        return PodActions::default();
    };
    let deleting = pod.metadata.deletion_timestamp.is_some();
    let init = init_actions(pod, snapshot, probes);
    if init.failed.is_some() {
        return PodActions {
            kill_pod: true,
            ..PodActions::default()
        };
    }
    let start_init = if deleting { Vec::new() } else { init.start };
    if !init.initialized {
        return PodActions {
            start_init,
            ..PodActions::default()
        };
    }
    let start: Vec<String> = spec
        .containers
        .iter()
        .filter(|c| should_restart(pod, snapshot.newest(&c.name)))
        .map(|c| c.name.clone())
        .collect();
    // Only regular containers keep a pod alive; sidecars are not restarted
    // once it is done (`keepCount == 0`).
    let regular_running = spec.containers.iter().any(|c| {
        snapshot
            .newest(&c.name)
            .is_some_and(|s| state(s) == ContainerState::ContainerRunning)
    });
    if start.is_empty() && !regular_running {
        return PodActions {
            kill_pod: true,
            ..PodActions::default()
        };
    }
    PodActions {
        start_init,
        start,
        kill_pod: false,
    }
}

/// The order in which the running instances of `snapshot` are stopped
/// (the kubelet 1.29+ with sidecars): every container that is not a sidecar
/// at once, then the sidecars one at a time, last in spec order first. Each
/// group holds container IDs. Instances whose name is not in the spec are
/// stopped with the first group.
pub fn stop_order(pod: Option<&Pod>, snapshot: &PodSnapshot) -> Vec<Vec<String>> {
    let running: Vec<&ContainerStatus> = snapshot
        .containers
        .iter()
        .filter(|c| state(c) == ContainerState::ContainerRunning)
        .collect();
    let sidecar_names: Vec<&str> = pod
        .map(|p| sidecars(p).map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    let is_sidecar_instance = |c: &ContainerStatus| {
        crate::snapshot::container_name(c).is_some_and(|n| sidecar_names.contains(&n))
    };
    let mut groups = Vec::new();
    let first: Vec<String> = running
        .iter()
        .filter(|c| !is_sidecar_instance(c))
        .map(|c| c.id.clone())
        .collect();
    if !first.is_empty() {
        groups.push(first);
    }
    for name in sidecar_names.iter().rev() {
        let group: Vec<String> = running
            .iter()
            .filter(|c| crate::snapshot::container_name(c) == Some(name))
            .map(|c| c.id.clone())
            .collect();
        if !group.is_empty() {
            groups.push(group);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::ProbeKind;
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

    fn start(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn progress(initialized: bool, names: &[&str]) -> InitActions {
        InitActions {
            initialized,
            start: start(names),
            failed: None,
        }
    }

    #[test]
    fn init_containers_run_in_order() {
        let pod = pod_with("Always", &["one", "two"]);
        let none = ProbeResults::default();
        for (containers, expected) in [
            (vec![], progress(false, &["one"])),
            (vec![running("one", 0)], progress(false, &[])),
            (vec![exited("one", 0, 0)], progress(false, &["two"])),
            (
                vec![exited("one", 0, 0), running("two", 0)],
                progress(false, &[]),
            ),
            (
                vec![exited("one", 0, 0), exited("two", 0, 0)],
                progress(true, &[]),
            ),
            (vec![exited("one", 0, 1)], progress(false, &["one"])),
            (
                vec![exited("one", 0, 0), exited("two", 0, 2)],
                progress(false, &["two"]),
            ),
            (
                vec![exited("one", 0, 0), created("two", 0)],
                progress(false, &["two"]),
            ),
            (vec![running("app", 0)], progress(true, &[])),
        ] {
            assert_eq!(
                init_actions(&pod, &snapshot(containers.clone()), &none),
                expected,
                "{containers:?}"
            );
        }
        assert_eq!(
            init_actions(&pod_with("Always", &[]), &snapshot(vec![]), &none),
            progress(true, &[])
        );
    }

    /// `side` is a sidecar between two regular init containers.
    fn sidecar_pod(policy: &str, startup_probe: bool) -> Pod {
        let mut side = json!({"name": "side", "restartPolicy": "Always"});
        if startup_probe {
            side["startupProbe"] = json!({"exec": {"command": ["true"]}});
        }
        pod_from_json(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": {
                "restartPolicy": policy,
                "initContainers": [{"name": "one"}, side, {"name": "two"}],
                "containers": [{"name": "app"}]
            }
        }))
    }

    #[test]
    fn a_started_sidecar_lets_the_next_init_container_run() {
        let pod = sidecar_pod("Never", false);
        let none = ProbeResults::default();
        for (containers, expected) in [
            (vec![exited("one", 0, 0)], progress(false, &["side"])),
            // Running is started (no startup probe): `two` may go, and
            // the sidecar is not started again.
            (
                vec![exited("one", 0, 0), running("side", 0)],
                progress(false, &["two"]),
            ),
            (
                vec![exited("one", 0, 0), running("side", 0), running("two", 0)],
                progress(false, &[]),
            ),
            (
                vec![exited("one", 0, 0), running("side", 0), exited("two", 0, 0)],
                progress(true, &[]),
            ),
            // A sidecar that exited is restarted, even under Never, and
            // even while `two` runs; exit 0 is no completion for it.
            (
                vec![exited("one", 0, 0), exited("side", 0, 0)],
                progress(false, &["side"]),
            ),
            (
                vec![exited("one", 0, 0), exited("side", 0, 1), running("two", 0)],
                progress(false, &["side"]),
            ),
            // Initialized pods restart a sidecar whose instances are gone.
            (vec![running("app", 0)], progress(true, &["side"])),
            (
                vec![exited("side", 0, 137), running("app", 0)],
                progress(true, &["side"]),
            ),
        ] {
            assert_eq!(
                init_actions(&pod, &snapshot(containers.clone()), &none),
                expected,
                "{containers:?}"
            );
        }
    }

    #[test]
    fn a_sidecar_with_a_startup_probe_holds_the_sequence_until_it_succeeds() {
        let pod = sidecar_pod("Always", true);
        let containers = vec![exited("one", 0, 0), running("side", 0)];
        let mut probes = ProbeResults::default();
        let actions =
            |probes: &ProbeResults| init_actions(&pod, &snapshot(containers.clone()), probes);
        assert_eq!(actions(&probes), progress(false, &[]));
        probes.set("side-0", ProbeKind::Startup, false);
        assert_eq!(actions(&probes), progress(false, &[]));
        probes.set("side-0", ProbeKind::Startup, true);
        assert_eq!(actions(&probes), progress(false, &["two"]));
    }

    #[test]
    fn regular_containers_start_once_init_containers_completed_and_sidecars_started() {
        let pod = sidecar_pod("Never", false);
        let none = ProbeResults::default();
        let actions = |containers| pod_actions(&pod, &snapshot(containers), &none);
        let waiting = actions(vec![exited("one", 0, 0), running("side", 0)]);
        assert_eq!(waiting.start, Vec::<String>::new());
        assert_eq!(waiting.start_init, start(&["two"]));
        let ready = actions(vec![
            exited("one", 0, 0),
            running("side", 0),
            exited("two", 0, 0),
        ]);
        assert_eq!(ready.start, start(&["app"]));
        assert!(!ready.kill_pod);
        // The sidecar crashed while the app runs: restarted beside it.
        let crashed = actions(vec![
            exited("one", 0, 0),
            exited("side", 0, 2),
            exited("two", 0, 0),
            running("app", 0),
        ]);
        assert_eq!(crashed.start_init, start(&["side"]));
        assert!(crashed.start.is_empty() && !crashed.kill_pod);
    }

    #[test]
    fn a_running_sidecar_does_not_keep_a_finished_pod_alive() {
        let none = ProbeResults::default();
        for policy in ["Never", "OnFailure"] {
            let pod = sidecar_pod(policy, false);
            let done = pod_actions(
                &pod,
                &snapshot(vec![
                    exited("one", 0, 0),
                    running("side", 0),
                    exited("two", 0, 0),
                    exited("app", 0, 0),
                ]),
                &none,
            );
            assert_eq!(
                done,
                PodActions {
                    kill_pod: true,
                    ..PodActions::default()
                },
                "{policy}"
            );
            // Nor is a crashed sidecar restarted then.
            let crashed = pod_actions(
                &pod,
                &snapshot(vec![
                    exited("one", 0, 0),
                    exited("side", 0, 1),
                    exited("two", 0, 0),
                    exited("app", 0, 0),
                ]),
                &none,
            );
            assert!(
                crashed.kill_pod && crashed.start_init.is_empty(),
                "{policy}"
            );
        }
        // Under Always the app is restarted, and the sidecar with it.
        let always = pod_actions(
            &sidecar_pod("Always", false),
            &snapshot(vec![
                exited("one", 0, 0),
                exited("side", 0, 1),
                exited("two", 0, 0),
                exited("app", 0, 0),
            ]),
            &none,
        );
        assert_eq!(always.start_init, start(&["side"]));
        assert_eq!(always.start, start(&["app"]));
    }

    #[test]
    fn sidecars_restart_whatever_the_pod_policy_until_deleted_or_done() {
        let pod = sidecar_pod("Never", false);
        let side = &pod
            .spec
            .as_ref()
            .expect("spec")
            .init_containers
            .as_ref()
            .expect("init")[1];
        let one = &pod
            .spec
            .as_ref()
            .expect("spec")
            .init_containers
            .as_ref()
            .expect("init")[0];
        assert!(is_sidecar(side) && !is_sidecar(one));
        assert!(should_restart_container(
            &pod,
            side,
            Some(&exited("side", 0, 0)),
            false
        ));
        assert!(!should_restart_container(
            &pod,
            side,
            Some(&running("side", 0)),
            false
        ));
        assert!(!should_restart_container(
            &pod,
            side,
            Some(&exited("side", 0, 0)),
            true
        ));
        assert!(!should_restart_container(
            &pod,
            one,
            Some(&exited("one", 0, 1)),
            false
        ));
        let mut deleted = pod.clone();
        deleted.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        assert!(!should_restart_container(
            &deleted,
            side,
            Some(&exited("side", 0, 0)),
            false
        ));
        assert!(
            pod_actions(
                &deleted,
                &snapshot(vec![exited("one", 0, 0)]),
                &ProbeResults::default()
            )
            .start_init
            .is_empty()
        );
    }

    #[test]
    fn regular_containers_stop_first_then_sidecars_in_reverse_order() {
        let pod = pod_from_json(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": {
                "initContainers": [
                    {"name": "a", "restartPolicy": "Always"},
                    {"name": "init"},
                    {"name": "b", "restartPolicy": "Always"}
                ],
                "containers": [{"name": "app"}, {"name": "web"}]
            }
        }));
        let snapshot = snapshot(vec![
            running("a", 0),
            exited("init", 0, 0),
            running("b", 1),
            running("app", 0),
            running("web", 0),
            exited("web", 1, 0),
        ]);
        assert_eq!(
            stop_order(Some(&pod), &snapshot),
            vec![start(&["app-0", "web-0"]), start(&["b-1"]), start(&["a-0"])]
        );
        assert_eq!(
            stop_order(None, &snapshot),
            vec![start(&["a-0", "b-1", "app-0", "web-0"])]
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
                init_actions(&pod, &snapshot, &ProbeResults::default()).failed,
                Some("one".into())
            );
            assert_eq!(
                pod_actions(&pod, &snapshot, &ProbeResults::default()),
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
            pod_actions(
                &pod_with(policy, init),
                &snapshot(containers),
                &ProbeResults::default(),
            )
        };
        assert_eq!(
            actions("Always", &["one"], vec![]).start_init,
            start(&["one"])
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
