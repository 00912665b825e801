//! Container statuses from runtime instances (`convertToAPIContainerStatuses`,
//! `toKubeContainerStatus`): the newest instance gives `state`, the one
//! before it `lastState`; a container that will be restarted and has a sync
//! error shows `waiting` with that error as its reason. Sidecars are in the
//! init list and get `started`/`ready` from their probes like regular
//! containers.

use k8s_cri::v1::{ContainerState as CriState, ContainerStatus as CriStatus};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, Pod,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::StatusInput;
use crate::probes::ProbeResults;
use crate::resize::{allocated_requests, status_resources};
use crate::restart::{is_sidecar, should_restart_container};
use crate::snapshot::{restart_count, state, timestamp};

/// Waiting reasons before a container has any instance.
pub const CONTAINER_CREATING: &str = "ContainerCreating";
pub const POD_INITIALIZING: &str = "PodInitializing";
/// A container that ran and can no longer be found.
pub const CONTAINER_STATUS_UNKNOWN: &str = "ContainerStatusUnknown";

/// Which list a container belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Init,
    Regular,
    /// Ephemeral containers: never restarted, never ready.
    Ephemeral,
}

/// The statuses of `containers` (the pod's init or regular list, or its
/// ephemeral containers), given their `previous` ones. A finished pod
/// (`input.terminal`) does not restart its sidecars.
pub fn container_statuses(
    input: &StatusInput<'_>,
    containers: &[Container],
    kind: Kind,
    previous: &[ContainerStatus],
) -> Vec<ContainerStatus> {
    let StatusInput {
        pod,
        snapshot,
        sync_errors,
        probes,
        terminal: pod_done,
        resources,
        ..
    } = *input;
    let has_init = pod
        .spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .is_some_and(|i| !i.is_empty());
    let default_reason = if has_init {
        POD_INITIALIZING
    } else {
        CONTAINER_CREATING
    };
    containers
        .iter()
        .map(|container| {
            let old = previous.iter().find(|s| s.name == container.name);
            let instances = snapshot.instances(&container.name);
            let mut status = match instances.first() {
                Some(newest) => from_instance(container, newest, old),
                None => without_instance(container, default_reason, old, pod),
            };
            if let Some(before) = instances.get(1) {
                status.last_state = Some(
                    from_instance(container, before, None)
                        .state
                        .unwrap_or_default(),
                );
            }
            let newest = instances.first().copied();
            let finished_init = kind == Kind::Init
                && !is_sidecar(container)
                && newest
                    .is_some_and(|s| state(s) == CriState::ContainerExited && s.exit_code == 0);
            let to_start = match kind {
                Kind::Ephemeral => newest.is_none(),
                Kind::Init | Kind::Regular => {
                    should_restart_container(pod, container, newest, pod_done)
                }
            };
            if !finished_init
                && to_start
                && let Some(error) = sync_errors.get(&container.name)
            {
                if status
                    .state
                    .as_ref()
                    .is_some_and(|s| s.terminated.is_some())
                {
                    status.last_state = status.state.take();
                }
                status.state = Some(waiting(&error.reason, Some(&error.message)));
            }
            set_ready_and_started(&mut status, container, kind, probes);
            if kind != Kind::Ephemeral {
                // As the kubelet: what was allocated, and what the instance
                // was given (the allocation when it does not run).
                status.allocated_resources = allocated_requests(resources, &container.name);
                if status.container_id.is_some() {
                    status.resources = status_resources(resources, &container.name, newest);
                }
            }
            status
        })
        .collect()
}

/// The status of a container from its newest runtime instance.
fn from_instance(
    container: &Container,
    instance: &CriStatus,
    old: Option<&ContainerStatus>,
) -> ContainerStatus {
    let container_id = format!("containerd://{}", instance.id);
    let time = |nanos| timestamp(nanos).map(Time);
    let mut restart_count = i32::try_from(restart_count(instance)).unwrap_or(i32::MAX);
    let state = match state(instance) {
        CriState::ContainerRunning => ContainerState {
            running: Some(ContainerStateRunning {
                started_at: time(instance.started_at),
            }),
            ..ContainerState::default()
        },
        CriState::ContainerExited => ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: instance.exit_code,
                reason: non_empty(&instance.reason),
                message: non_empty(&instance.message),
                started_at: time(instance.started_at),
                finished_at: time(instance.finished_at),
                container_id: Some(container_id.clone()),
                signal: None,
            }),
            ..ContainerState::default()
        },
        // It ran before and the runtime no longer knows it: it ended.
        CriState::ContainerUnknown
            if old.is_some_and(|o| o.state.as_ref().is_some_and(|s| s.running.is_some())) =>
        {
            restart_count = old.map_or(0, |o| o.restart_count).saturating_add(1);
            terminated_unknown("The container could not be located when the pod was terminated")
        }
        // Created (not started) and other unknown states wait.
        _ => ContainerState {
            waiting: Some(ContainerStateWaiting::default()),
            ..ContainerState::default()
        },
    };
    let image = instance
        .image
        .as_ref()
        .map(|i| i.user_specified_image.clone())
        .filter(|i| !i.is_empty())
        .or_else(|| container.image.clone())
        .unwrap_or_default();
    ContainerStatus {
        name: container.name.clone(),
        image,
        image_id: instance.image_ref.clone(),
        container_id: Some(container_id),
        restart_count,
        state: Some(state),
        ..ContainerStatus::default()
    }
}

/// The status of a container the runtime has no instance of: waiting with
/// the default reason, keeping what the previous status knew; one that was
/// running before shows that it ended (`ContainerStatusUnknown`, 137).
fn without_instance(
    container: &Container,
    default_reason: &str,
    old: Option<&ContainerStatus>,
    pod: &Pod,
) -> ContainerStatus {
    let mut status = ContainerStatus {
        name: container.name.clone(),
        image: container.image.clone().unwrap_or_default(),
        state: Some(waiting(default_reason, None)),
        ..ContainerStatus::default()
    };
    let Some(old) = old else {
        return status;
    };
    let old_state = old.state.clone().unwrap_or_default();
    if old_state.terminated.is_some() {
        return old.clone();
    }
    status.restart_count = old.restart_count;
    status.last_state = old.last_state.clone();
    let had_termination = status
        .last_state
        .as_ref()
        .is_some_and(|s| s.terminated.is_some());
    if old_state.running.is_some() && !had_termination {
        status.last_state = Some(terminated_unknown(
            "The container could not be located when the pod was deleted.  The container used to be Running",
        ));
        if pod.metadata.deletion_timestamp.is_none() {
            status.restart_count = status.restart_count.saturating_add(1);
        }
    }
    status
}

/// `ready` and `started`, as the prober manager's `UpdatePodStatus` sets
/// them: a running regular container has started when it has no startup
/// probe or that probe succeeded, and is ready once started when it has no
/// readiness probe or that probe's last result is a success (results are
/// per container instance); a sidecar likewise; a (non-restartable) init
/// container is ready once it exited 0.
fn set_ready_and_started(
    status: &mut ContainerStatus,
    container: &Container,
    kind: Kind,
    probes: &ProbeResults,
) {
    let current = status.state.clone().unwrap_or_default();
    let running = current.running.is_some();
    match kind {
        Kind::Init if !is_sidecar(container) => {
            status.ready = current
                .terminated
                .as_ref()
                .is_some_and(|t| t.exit_code == 0);
            status.started = Some(running);
        }
        // The prober sets neither for them (the kubelet's UpdatePodStatus
        // covers init and regular containers only).
        Kind::Ephemeral => {
            status.ready = false;
            status.started = None;
        }
        Kind::Init | Kind::Regular => {
            let id = status
                .container_id
                .as_deref()
                .map(|id| id.trim_start_matches("containerd://"))
                .unwrap_or_default();
            let started = running && probes.started(container, id);
            status.started = Some(started);
            status.ready = started && probes.ready(container, id);
        }
    }
}

fn waiting(reason: &str, message: Option<&str>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.to_owned()),
            message: message.filter(|m| !m.is_empty()).map(str::to_owned),
        }),
        ..ContainerState::default()
    }
}

fn terminated_unknown(message: &str) -> ContainerState {
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: 137,
            reason: Some(CONTAINER_STATUS_UNKNOWN.to_owned()),
            message: Some(message.to_owned()),
            ..ContainerStateTerminated::default()
        }),
        ..ContainerState::default()
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}
