//! A pod's status from what the runtime shows, in one pure function
//! ([`pod_status`]): init, regular and ephemeral container statuses, phase,
//! conditions, IPs, start time and QoS class, by the kubelet's rules
//! (`generateAPIPodStatus`, `convertStatusToAPIStatus`).

mod conditions;
mod containers;
mod phase;

pub use containers::{CONTAINER_CREATING, CONTAINER_STATUS_UNKNOWN, POD_INITIALIZING};
pub use phase::{FAILED, PENDING, RUNNING, SUCCEEDED, is_terminal};

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Container, HostIP, Pod, PodIP, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::ephemeral::{as_container, ephemeral_containers};
use crate::probes::ProbeResults;
use crate::qos::qos_class;
use crate::resize::{ResourceState, resize_conditions};
use crate::snapshot::{PodSnapshot, timestamp};
use containers::{Kind, container_statuses};

/// Why the last attempt to start a container failed, shown as its waiting
/// reason while it is to be restarted (`CrashLoopBackOff`, `ErrImagePull`,
/// `ImagePullBackOff`, `ErrImageNeverPull`, `CreateContainerError`,
/// `RunContainerError`, ...), as the kubelet's reason cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncError {
    pub reason: String,
    pub message: String,
}

/// Everything the status of one pod depends on.
#[derive(Debug, Clone, Copy)]
pub struct StatusInput<'a> {
    pub pod: &'a Pod,
    pub snapshot: &'a PodSnapshot,
    /// Last start failure per container name.
    pub sync_errors: &'a BTreeMap<String, SyncError>,
    /// Published probe results (`ready`, `started`).
    pub probes: &'a ProbeResults,
    /// The node's addresses (`hostIP(s)`; `podIP(s)` of hostNetwork pods).
    pub node_ips: &'a [IpAddr],
    /// The status last reported: terminal phases are sticky, unchanged
    /// conditions keep their transition time, and a container that ran and
    /// vanished is reported as ended.
    pub previous: Option<&'a PodStatus>,
    /// The pod is finished for good (being deleted with its containers
    /// stopped, or nothing left to restart).
    pub terminal: bool,
    /// Allocated and applied resources, and the last resize outcome.
    pub resources: &'a ResourceState,
    pub now: Timestamp,
}

/// The pod's status.
pub fn pod_status(input: &StatusInput<'_>) -> PodStatus {
    let pod = input.pod;
    let previous = input.previous.cloned().unwrap_or_default();
    let spec = pod.spec.clone().unwrap_or_default();
    let init_statuses = container_statuses(
        input,
        spec.init_containers.as_deref().unwrap_or_default(),
        Kind::Init,
        previous
            .init_container_statuses
            .as_deref()
            .unwrap_or_default(),
    );
    let statuses = container_statuses(
        input,
        &spec.containers,
        Kind::Regular,
        previous.container_statuses.as_deref().unwrap_or_default(),
    );
    let ephemeral: Vec<Container> = ephemeral_containers(pod).map(as_container).collect();
    let ephemeral_statuses = container_statuses(
        input,
        &ephemeral,
        Kind::Ephemeral,
        previous
            .ephemeral_container_statuses
            .as_deref()
            .unwrap_or_default(),
    );
    let mut phase = phase::pod_phase(pod, &init_statuses, &statuses, input.terminal);
    if let Some(old) = previous.phase.as_deref().filter(|p| is_terminal(p)) {
        // A finished pod never runs again.
        phase = if old == SUCCEEDED { SUCCEEDED } else { FAILED };
    }
    let conditions = conditions::pod_conditions(
        input,
        phase,
        &init_statuses,
        &statuses,
        &resize_conditions(pod, input.snapshot, input.resources),
    );
    let pod_ips = pod_ips(input).or(previous.pod_ips.clone());
    let host_ips: Vec<HostIP> = input
        .node_ips
        .iter()
        .map(|ip| HostIP { ip: ip.to_string() })
        .collect();
    let start_time = previous
        .start_time
        .clone()
        .or_else(|| {
            input
                .snapshot
                .sandboxes
                .iter()
                .filter_map(|s| timestamp(s.created_at))
                .min()
                .map(Time)
        })
        .or(Some(Time(input.now)));
    PodStatus {
        phase: Some(phase.to_owned()),
        conditions: Some(conditions),
        pod_ip: pod_ips
            .as_ref()
            .and_then(|ips| ips.first())
            .map(|ip| ip.ip.clone()),
        pod_ips,
        host_ip: host_ips.first().map(|ip| ip.ip.clone()),
        host_ips: (!host_ips.is_empty()).then_some(host_ips),
        start_time,
        qos_class: Some(qos_class(pod).as_str().to_owned()),
        init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
        container_statuses: Some(statuses),
        ephemeral_container_statuses: (!ephemeral_statuses.is_empty())
            .then_some(ephemeral_statuses),
        // What the API server or others set and this plugin does not own.
        nominated_node_name: previous.nominated_node_name,
        resize: previous.resize,
        ..PodStatus::default()
    }
}

/// The pod's IPs: the node's for hostNetwork pods; else the newest
/// sandbox's, those of the node's primary family first. `None` when there
/// are none (the caller keeps the previous ones: a stopped sandbox
/// forgets its IP, the pod does not).
fn pod_ips(input: &StatusInput<'_>) -> Option<Vec<PodIP>> {
    let host_network = input
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false);
    let mut ips: Vec<String> = if host_network {
        input.node_ips.iter().map(IpAddr::to_string).collect()
    } else {
        let network = input
            .snapshot
            .newest_sandbox()
            .and_then(|s| s.network.as_ref());
        network
            .into_iter()
            .flat_map(|n| {
                std::iter::once(n.ip.clone()).chain(n.additional_ips.iter().map(|ip| ip.ip.clone()))
            })
            .filter(|ip| !ip.is_empty())
            .collect()
    };
    if let Some(primary) = input.node_ips.first() {
        let same_family = |ip: &String| {
            ip.parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_ipv4() == primary.is_ipv4())
        };
        ips.sort_by_key(|ip| !same_family(ip));
    }
    (!ips.is_empty()).then(|| ips.into_iter().map(|ip| PodIP { ip }).collect())
}

#[cfg(test)]
mod tests;
