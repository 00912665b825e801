//! The pod conditions the kubelet owns (`pkg/kubelet/status/generate.go`):
//! PodReadyToStartContainers, Initialized, ContainersReady, Ready and
//! PodScheduled. Conditions owned by others (readiness gates, for example)
//! are kept as they were.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::StatusInput;
use super::phase::{FAILED, SUCCEEDED, any_regular_started};
use crate::resize::{POD_RESIZE_IN_PROGRESS, POD_RESIZE_PENDING, ResizeCondition};
use crate::restart::is_sidecar;

pub const POD_READY_TO_START_CONTAINERS: &str = "PodReadyToStartContainers";
pub const INITIALIZED: &str = "Initialized";
pub const CONTAINERS_READY: &str = "ContainersReady";
pub const READY: &str = "Ready";
pub const POD_SCHEDULED: &str = "PodScheduled";

/// Condition types this plugin sets; all others are preserved. The resize
/// ones are present only while true.
const OWNED: [&str; 7] = [
    POD_READY_TO_START_CONTAINERS,
    INITIALIZED,
    CONTAINERS_READY,
    READY,
    POD_SCHEDULED,
    POD_RESIZE_PENDING,
    POD_RESIZE_IN_PROGRESS,
];

/// A condition's status, reason and message, before times are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    ok: bool,
    reason: Option<String>,
    message: Option<String>,
}

impl Verdict {
    fn yes() -> Self {
        Self {
            ok: true,
            reason: None,
            message: None,
        }
    }

    fn no(reason: &str, message: Option<String>) -> Self {
        Self {
            ok: false,
            reason: Some(reason.to_owned()),
            message,
        }
    }
}

/// The conditions of the pod in `phase`, then the `resize` ones (True).
/// The previous status gives the conditions to preserve and the transition
/// times of unchanged ones; `input.now` stamps the changed (a resize
/// condition whose reason changed, as the kubelet's
/// `updatedPodResizeCondition`).
pub fn pod_conditions(
    input: &StatusInput<'_>,
    phase: &str,
    init_statuses: &[ContainerStatus],
    statuses: &[ContainerStatus],
    resize: &[ResizeCondition],
) -> Vec<PodCondition> {
    let pod = input.pod;
    let sandbox_ready = input.snapshot.sandbox_ready();
    let previous = input
        .previous
        .and_then(|p| p.conditions.as_deref())
        .unwrap_or_default();
    let now = input.now;
    let containers_ready = containers_ready(pod, phase, init_statuses, statuses);
    let ready = pod_ready(pod, &containers_ready, previous);
    let verdicts = [
        (
            POD_READY_TO_START_CONTAINERS,
            if sandbox_ready {
                Verdict::yes()
            } else {
                Verdict::no("", None)
            },
        ),
        (INITIALIZED, initialized(pod, init_statuses, statuses)),
        (READY, ready),
        (CONTAINERS_READY, containers_ready),
        (POD_SCHEDULED, Verdict::yes()),
    ];
    let mut conditions: Vec<PodCondition> = previous
        .iter()
        .filter(|c| !OWNED.contains(&c.type_.as_str()))
        .cloned()
        .collect();
    for (type_, verdict) in verdicts {
        let status = if verdict.ok { "True" } else { "False" };
        let old = previous.iter().find(|c| c.type_ == type_);
        let since = match old {
            Some(old) if old.status == status => old.last_transition_time.clone(),
            _ => Some(Time(now)),
        };
        conditions.push(PodCondition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: verdict.reason.filter(|r| !r.is_empty()),
            message: verdict.message,
            last_transition_time: since,
            last_probe_time: None,
            observed_generation: None,
        });
    }
    for condition in resize {
        let since = match previous.iter().find(|c| c.type_ == condition.type_) {
            Some(old) if old.status == "True" && old.reason == condition.reason => {
                old.last_transition_time.clone()
            }
            _ => Some(Time(now)),
        };
        conditions.push(PodCondition {
            type_: condition.type_.to_owned(),
            status: "True".to_owned(),
            reason: condition.reason.clone(),
            message: condition.message.clone(),
            last_transition_time: since,
            last_probe_time: None,
            observed_generation: None,
        });
    }
    conditions
}

/// Initialized: every regular init container exited 0 and every sidecar
/// has started (or a regular container has started, which means this was
/// so at some point).
fn initialized(
    pod: &Pod,
    init_statuses: &[ContainerStatus],
    statuses: &[ContainerStatus],
) -> Verdict {
    let init = pod
        .spec
        .as_ref()
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or_default();
    if init.is_empty() || any_regular_started(statuses) {
        return Verdict::yes();
    }
    let incomplete: Vec<&str> = init
        .iter()
        .filter(|c| {
            !init_statuses.iter().any(|s| {
                s.name == c.name
                    && if is_sidecar(c) {
                        s.started == Some(true)
                    } else {
                        s.ready
                    }
            })
        })
        .map(|c| c.name.as_str())
        .collect();
    if incomplete.is_empty() {
        return Verdict::yes();
    }
    Verdict::no(
        "ContainersNotInitialized",
        Some(format!(
            "containers with incomplete status: [{}]",
            incomplete.join(" ")
        )),
    )
}

/// ContainersReady: every sidecar and every regular container is ready.
fn containers_ready(
    pod: &Pod,
    phase: &str,
    init_statuses: &[ContainerStatus],
    statuses: &[ContainerStatus],
) -> Verdict {
    let Some(spec) = pod.spec.as_ref() else {
        return Verdict::yes();
    };
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| is_sidecar(c))
        .map(|c| (c, init_statuses));
    let regular = spec.containers.iter().map(|c| (c, statuses));
    let mut unknown = Vec::new();
    let mut unready = Vec::new();
    for (container, statuses) in sidecars.chain(regular) {
        match statuses.iter().find(|s| s.name == container.name) {
            None => unknown.push(container.name.as_str()),
            Some(status) if !status.ready => unready.push(container.name.as_str()),
            Some(_) => {}
        }
    }
    if phase == SUCCEEDED && unknown.is_empty() {
        return Verdict::no("PodCompleted", None);
    }
    if phase == FAILED {
        return Verdict::no("PodFailed", None);
    }
    let mut messages = Vec::new();
    if !unknown.is_empty() {
        messages.push(format!(
            "containers with unknown status: [{}]",
            unknown.join(" ")
        ));
    }
    if !unready.is_empty() {
        messages.push(format!(
            "containers with unready status: [{}]",
            unready.join(" ")
        ));
    }
    if messages.is_empty() {
        Verdict::yes()
    } else {
        Verdict::no("ContainersNotReady", Some(messages.join(", ")))
    }
}

/// Ready: ContainersReady, and every readiness gate's condition True.
fn pod_ready(pod: &Pod, containers_ready: &Verdict, previous: &[PodCondition]) -> Verdict {
    if !containers_ready.ok {
        return containers_ready.clone();
    }
    let gates = pod
        .spec
        .as_ref()
        .and_then(|s| s.readiness_gates.as_deref())
        .unwrap_or_default();
    let mut messages = Vec::new();
    for gate in gates {
        match previous.iter().find(|c| c.type_ == gate.condition_type) {
            None => messages.push(format!(
                "corresponding condition of pod readiness gate \"{}\" does not exist.",
                gate.condition_type
            )),
            Some(c) if c.status != "True" => messages.push(format!(
                "the status of pod readiness gate \"{}\" is not \"True\", but {}",
                gate.condition_type, c.status
            )),
            Some(_) => {}
        }
    }
    if messages.is_empty() {
        Verdict::yes()
    } else {
        Verdict::no("ReadinessGatesNotReady", Some(messages.join(", ")))
    }
}
