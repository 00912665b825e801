//! The pod phase from its container statuses (the kubelet's `getPhase`).
//! Sidecars (restartable init containers) keep a pod Pending until they
//! have started and count as running while they run; once stopped they do
//! not count: the regular containers' exits decide Succeeded or Failed.

use k8s_openapi::api::core::v1::{ContainerStateTerminated, ContainerStatus, Pod, PodSpec};

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
    let initialization = Initialization::of(spec, init_statuses);
    let mut counts = Counts::default();
    let pending_sidecars = counts.add_sidecars(spec, init_statuses);
    counts.add_regular(spec, statuses);

    if initialization.failed > 0 && policy == RestartPolicy::Never {
        return FAILED;
    }
    if ((initialization.pending > 0 || pending_sidecars > 0) && !any_regular_started(statuses))
        || counts.waiting > 0
    {
        return PENDING;
    }
    let Counts {
        unknown,
        running,
        stopped,
        succeeded,
        ..
    } = counts;
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

fn find<'a>(list: &'a [ContainerStatus], name: &str) -> Option<&'a ContainerStatus> {
    list.iter().find(|s| s.name == name)
}

/// The (non-sidecar) init containers still to run or running, and those
/// that failed.
#[derive(Debug, Default)]
struct Initialization {
    pending: u32,
    failed: u32,
}

impl Initialization {
    fn of(spec: &PodSpec, init_statuses: &[ContainerStatus]) -> Self {
        let mut counts = Self::default();
        for container in spec.init_containers.iter().flatten() {
            if is_sidecar(container) {
                continue;
            }
            let Some(status) = find(init_statuses, &container.name) else {
                counts.pending += 1;
                continue;
            };
            let current = status.state.clone().unwrap_or_default();
            if current.running.is_some() {
                counts.pending += 1;
            } else if let Some(terminated) = current.terminated {
                if terminated.exit_code != 0 {
                    counts.failed += 1;
                }
            } else if current.waiting.is_some() {
                match last_terminated(status) {
                    Some(last) if last.exit_code != 0 => counts.failed += 1,
                    Some(_) => {}
                    None => counts.pending += 1,
                }
            } else {
                counts.pending += 1;
            }
        }
        counts
    }
}

/// The sidecars' and regular containers' states, counted.
#[derive(Debug, Default)]
struct Counts {
    unknown: u32,
    running: u32,
    waiting: u32,
    stopped: u32,
    succeeded: u32,
}

impl Counts {
    /// Counts the sidecars: a stopped one (exited, or waiting to restart)
    /// does not count either way. The sidecars not started yet.
    fn add_sidecars(&mut self, spec: &PodSpec, init_statuses: &[ContainerStatus]) -> u32 {
        let mut pending_sidecars = 0;
        for container in spec.init_containers.iter().flatten() {
            if !is_sidecar(container) {
                continue;
            }
            let Some(status) = find(init_statuses, &container.name) else {
                self.unknown += 1;
                continue;
            };
            let current = status.state.clone().unwrap_or_default();
            if current.running.is_some() {
                if status.started != Some(true) {
                    pending_sidecars += 1;
                }
                self.running += 1;
            } else if current.terminated.is_some() {
                // Stopped: not counted.
            } else if current.waiting.is_some() {
                // Waiting to restart after an exit is not counted either.
                if last_terminated(status).is_none() {
                    pending_sidecars += 1;
                    self.waiting += 1;
                }
            } else {
                pending_sidecars += 1;
                self.unknown += 1;
            }
        }
        pending_sidecars
    }

    /// Counts the regular containers.
    fn add_regular(&mut self, spec: &PodSpec, statuses: &[ContainerStatus]) {
        for container in &spec.containers {
            let Some(status) = find(statuses, &container.name) else {
                self.unknown += 1;
                continue;
            };
            let current = status.state.clone().unwrap_or_default();
            if current.running.is_some() {
                self.running += 1;
            } else if let Some(terminated) = current.terminated {
                self.stopped += 1;
                if terminated.exit_code == 0 {
                    self.succeeded += 1;
                }
            } else if current.waiting.is_some() {
                if last_terminated(status).is_some() {
                    self.stopped += 1;
                } else {
                    self.waiting += 1;
                }
            } else {
                self.unknown += 1;
            }
        }
    }
}

/// How the container's previous instance ended, if it did.
fn last_terminated(status: &ContainerStatus) -> Option<&ContainerStateTerminated> {
    status.last_state.as_ref()?.terminated.as_ref()
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
