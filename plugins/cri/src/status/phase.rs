//! The pod phase from its container statuses (the kubelet's `getPhase`).
//! Sidecars (restartable init containers) keep a pod Pending until they
//! have started and count as running while they run; once stopped they do
//! not count: the regular containers' exits decide Succeeded or Failed.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use crate::restart::{RestartPolicy, is_sidecar};

pub const PENDING: &str = "Pending";
pub const RUNNING: &str = "Running";
pub const SUCCEEDED: &str = "Succeeded";
pub const FAILED: &str = "Failed";

/// The phase of `pod` given its init and regular container statuses.
/// `terminal`: the pod is finished for good (deleted, or nothing will be
/// restarted), so stopped containers decide Succeeded or Failed whatever
/// the restart policy.
pub fn pod_phase(
    pod: &Pod,
    init_statuses: &[ContainerStatus],
    statuses: &[ContainerStatus],
    terminal: bool,
) -> &'static str {
    let Some(spec) = pod.spec.as_ref() else {
        return PENDING;
    };
    let policy = RestartPolicy::of(pod);
    let find = |list: &'_ [ContainerStatus], name: &str| -> Option<ContainerStatus> {
        list.iter().find(|s| s.name == name).cloned()
    };

    let mut pending_initialization = 0;
    let mut failed_initialization = 0;
    for container in spec.init_containers.iter().flatten() {
        if is_sidecar(container) {
            continue;
        }
        let Some(status) = find(init_statuses, &container.name) else {
            pending_initialization += 1;
            continue;
        };
        let current = status.state.unwrap_or_default();
        if current.running.is_some() {
            pending_initialization += 1;
        } else if let Some(terminated) = current.terminated {
            if terminated.exit_code != 0 {
                failed_initialization += 1;
            }
        } else if current.waiting.is_some() {
            match status.last_state.and_then(|s| s.terminated) {
                Some(last) if last.exit_code != 0 => failed_initialization += 1,
                Some(_) => {}
                None => pending_initialization += 1,
            }
        } else {
            pending_initialization += 1;
        }
    }

    let (mut unknown, mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0, 0);
    // Sidecars: a stopped one (exited, or waiting to restart) does not
    // count either way.
    let mut pending_sidecars = 0;
    for container in spec.init_containers.iter().flatten() {
        if !is_sidecar(container) {
            continue;
        }
        let Some(status) = find(init_statuses, &container.name) else {
            unknown += 1;
            continue;
        };
        let current = status.state.unwrap_or_default();
        if current.running.is_some() {
            if status.started != Some(true) {
                pending_sidecars += 1;
            }
            running += 1;
        } else if current.terminated.is_some() {
            // Stopped: not counted.
        } else if current.waiting.is_some() {
            // Waiting to restart after an exit is not counted either.
            if status.last_state.and_then(|s| s.terminated).is_none() {
                pending_sidecars += 1;
                waiting += 1;
            }
        } else {
            pending_sidecars += 1;
            unknown += 1;
        }
    }
    for container in &spec.containers {
        let Some(status) = find(statuses, &container.name) else {
            unknown += 1;
            continue;
        };
        let current = status.state.unwrap_or_default();
        if current.running.is_some() {
            running += 1;
        } else if let Some(terminated) = current.terminated {
            stopped += 1;
            if terminated.exit_code == 0 {
                succeeded += 1;
            }
        } else if current.waiting.is_some() {
            if status.last_state.and_then(|s| s.terminated).is_some() {
                stopped += 1;
            } else {
                waiting += 1;
            }
        } else {
            unknown += 1;
        }
    }

    if failed_initialization > 0 && policy == RestartPolicy::Never {
        return FAILED;
    }
    if ((pending_initialization > 0 || pending_sidecars > 0) && !any_regular_started(statuses))
        || waiting > 0
    {
        return PENDING;
    }
    if running > 0 && unknown == 0 {
        return RUNNING;
    }
    if running == 0 && stopped > 0 && unknown == 0 {
        if terminal {
            return if stopped == succeeded {
                SUCCEEDED
            } else {
                FAILED
            };
        }
        return match policy {
            RestartPolicy::Always => RUNNING,
            _ if stopped == succeeded => SUCCEEDED,
            RestartPolicy::Never => FAILED,
            RestartPolicy::OnFailure => RUNNING,
        };
    }
    PENDING
}

/// Whether any regular container has ever started: it runs, has ended, or
/// waits after an earlier run.
pub fn any_regular_started(statuses: &[ContainerStatus]) -> bool {
    statuses.iter().any(|status| {
        let current = status.state.clone().unwrap_or_default();
        current.running.is_some()
            || current.terminated.is_some()
            || (current.waiting.is_some()
                && status
                    .last_state
                    .as_ref()
                    .is_some_and(|s| s.terminated.is_some()))
    })
}

/// Whether `phase` is final.
pub fn is_terminal(phase: &str) -> bool {
    phase == SUCCEEDED || phase == FAILED
}
