//! In-place pod resize (KEP-1287; the kubelet's allocation manager and
//! `computePodResizeAction`), as pure decisions over data. A pod's
//! containers have *allocated* resources (admitted: what a container is
//! started with) and, per running instance, *actuated* ones (what was last
//! passed to the runtime by `CreateContainer` or `UpdateContainerResources`);
//! both are kept in the pod's state directory, as the kubelet checkpoints
//! them. What a running instance has is what the runtime reports in
//! `ContainerStatus.resources` (containerd 1.6.20 reports the values it
//! applied), else that record. A spec that differs from the allocation is admitted when it fits
//! the node (else `PodResizePending`: `Infeasible` or `Deferred`); a running
//! instance whose actuated resources differ from the allocation is updated
//! live, or restarted when a changed resource's `resizePolicy` says
//! `RestartContainer` (`PodResizeInProgress` until done).

use std::collections::BTreeMap;

use k8s_cri::v1::ContainerState;
use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::{Deserialize, Serialize};

use crate::quantity;
use crate::restart::is_sidecar;
use crate::runtime_config::resources::CgroupValues;
use crate::snapshot::{PodSnapshot, state};

pub const POD_RESIZE_PENDING: &str = "PodResizePending";
pub const POD_RESIZE_IN_PROGRESS: &str = "PodResizeInProgress";
pub const INFEASIBLE: &str = "Infeasible";
pub const DEFERRED: &str = "Deferred";
/// `PodResizeInProgress` reason when applying the resize failed.
pub const ERROR: &str = "Error";

/// What the plugin knows of a pod's resources (persisted, except the
/// outcome of the last sync).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// Admitted resources, by container name (init and regular).
    #[serde(default)]
    pub allocated: BTreeMap<String, ResourceRequirements>,
    /// Resources the runtime accepted, by container instance id.
    #[serde(default)]
    pub actuated: BTreeMap<String, ResourceRequirements>,
    /// Why the spec's resources are not admitted (last sync).
    #[serde(skip)]
    pub pending: Option<Pending>,
    /// Why applying the allocation failed (last sync); retried.
    #[serde(skip)]
    pub error: Option<String>,
}

/// A resize not admitted: `reason` is [`INFEASIBLE`] or [`DEFERRED`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub reason: &'static str,
    pub message: String,
}

/// The compared amounts: milli-CPU and bytes, 0 when unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amounts {
    pub cpu_request: i64,
    pub cpu_limit: i64,
    pub memory_request: i64,
    pub memory_limit: i64,
}

impl Amounts {
    pub fn of(resources: Option<&ResourceRequirements>) -> Self {
        let get = |list: Option<&BTreeMap<String, Quantity>>,
                   name: &str,
                   read: fn(&Quantity) -> Result<i64, quantity::QuantityError>| {
            list.and_then(|l| l.get(name))
                .and_then(|q| read(q).ok())
                .unwrap_or(0)
        };
        let requests = resources.and_then(|r| r.requests.as_ref());
        let limits = resources.and_then(|r| r.limits.as_ref());
        Self {
            cpu_request: get(requests, "cpu", quantity::milli_value),
            cpu_limit: get(limits, "cpu", quantity::milli_value),
            memory_request: get(requests, "memory", quantity::value),
            memory_limit: get(limits, "memory", quantity::value),
        }
    }

    fn cpu_differs(&self, other: &Self) -> bool {
        (self.cpu_request, self.cpu_limit) != (other.cpu_request, other.cpu_limit)
    }

    /// Memory as a container's cgroup has it: its limit (the request only
    /// sets the OOM score, which a resize cannot change class of).
    fn memory_differs(&self, other: &Self) -> bool {
        self.memory_limit != other.memory_limit
    }

    /// The cgroup values these amounts give.
    pub fn cgroup(&self) -> CgroupValues {
        CgroupValues::of(self.cpu_request, self.cpu_limit, self.memory_limit)
    }
}

/// The node's allocatable CPU (milli) and memory (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocatable {
    pub milli_cpu: i64,
    pub memory_bytes: i64,
}

/// Requests summed over pods: milli-CPU and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requests {
    pub milli_cpu: i64,
    pub memory_bytes: i64,
}

impl std::ops::Add for Requests {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            milli_cpu: self.milli_cpu.saturating_add(other.milli_cpu),
            memory_bytes: self.memory_bytes.saturating_add(other.memory_bytes),
        }
    }
}

/// What to do with the pod's allocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// The allocation is the spec's.
    Unchanged,
    /// Store this allocation (new containers admitted, or a resize accepted).
    Allocate(BTreeMap<String, ResourceRequirements>),
    /// The resize does not fit: the allocation stays.
    Pending(Pending),
}

/// The containers a resize may change: regular containers and sidecars
/// (the API refuses resizing other init containers).
pub fn resizable(pod: &Pod) -> impl Iterator<Item = &Container> {
    pod.spec.iter().flat_map(|s| {
        s.init_containers
            .iter()
            .flatten()
            .filter(|c| is_sidecar(c))
            .chain(s.containers.iter())
    })
}

fn all_containers(pod: &Pod) -> impl Iterator<Item = &Container> {
    pod.spec.iter().flat_map(|s| {
        s.init_containers
            .iter()
            .flatten()
            .chain(s.containers.iter())
    })
}

/// The requests of the running part of a pod under `allocated` (sidecars and
/// regular containers; one-shot init containers are done before them).
pub fn pod_requests(pod: &Pod, allocated: &BTreeMap<String, ResourceRequirements>) -> Requests {
    resizable(pod)
        .map(|c| {
            let amounts = Amounts::of(allocated.get(&c.name).or(c.resources.as_ref()));
            Requests {
                milli_cpu: amounts.cpu_request,
                memory_bytes: amounts.memory_request,
            }
        })
        .fold(Requests::default(), |a, b| a + b)
}

/// The kubelet's `handlePodResourcesResize` admission: containers without
/// an allocation are admitted as their spec says (a new pod); a spec that
/// changed is admitted whole when its requests fit the node's allocatable
/// (else `Infeasible`) beside `others`, the other pods' allocated requests
/// (else `Deferred`).
pub fn admit(
    pod: &Pod,
    allocated: &BTreeMap<String, ResourceRequirements>,
    node: Allocatable,
    others: Requests,
) -> Admission {
    let mut next: BTreeMap<String, ResourceRequirements> = all_containers(pod)
        .map(|c| {
            let resources = allocated
                .get(&c.name)
                .cloned()
                .unwrap_or_else(|| c.resources.clone().unwrap_or_default());
            (c.name.clone(), resources)
        })
        .collect();
    let resized: Vec<&Container> = resizable(pod)
        .filter(|c| {
            allocated
                .get(&c.name)
                .is_some_and(|a| Amounts::of(Some(a)) != Amounts::of(c.resources.as_ref()))
        })
        .collect();
    if resized.is_empty() {
        return if &next == allocated {
            Admission::Unchanged
        } else {
            Admission::Allocate(next)
        };
    }
    for container in resized {
        next.insert(
            container.name.clone(),
            container.resources.clone().unwrap_or_default(),
        );
    }
    let wanted = pod_requests(pod, &next);
    let checks = [
        ("cpu", wanted.milli_cpu, others.milli_cpu, node.milli_cpu),
        (
            "memory",
            wanted.memory_bytes,
            others.memory_bytes,
            node.memory_bytes,
        ),
    ];
    for (name, requested, _, capacity) in checks {
        if requested > capacity {
            return Admission::Pending(Pending {
                reason: INFEASIBLE,
                message: format!(
                    "Node didn't have enough capacity: {name}, requested: {requested}, capacity: {capacity}"
                ),
            });
        }
    }
    for (name, requested, used, capacity) in checks {
        if requested.saturating_add(used) > capacity {
            return Admission::Pending(Pending {
                reason: DEFERRED,
                message: format!(
                    "Node didn't have enough resource: {name}, requested: {requested}, used: {used}, capacity: {capacity}"
                ),
            });
        }
    }
    Admission::Allocate(next)
}

/// How a running container gets its allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `UpdateContainerResources`.
    Update,
    /// Kill and start again (a changed resource's policy is
    /// `RestartContainer`).
    Restart,
}

/// One running container to bring to its allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerResize {
    pub name: String,
    /// The running instance.
    pub id: String,
    pub change: Change,
    /// The allocation to apply.
    pub resources: ResourceRequirements,
}

/// The container's `resizePolicy` for `resource`: restart or not.
fn restarts_for(container: &Container, resource: &str) -> bool {
    container
        .resize_policy
        .iter()
        .flatten()
        .any(|p| p.resource_name == resource && p.restart_policy == "RestartContainer")
}

/// The running regular containers and sidecars whose instance was given
/// other resources than their allocation. An instance with no record
/// (created before the plugin recorded them) is updated: the call is
/// idempotent, as the kubelet re-sends after losing its acknowledgement.
pub fn container_resizes(
    pod: &Pod,
    snapshot: &PodSnapshot,
    state: &ResourceState,
) -> Vec<ContainerResize> {
    if pod.metadata.deletion_timestamp.is_some() {
        return Vec::new();
    }
    resizable(pod)
        .filter_map(|container| {
            let allocated = state.allocated.get(&container.name)?;
            let newest = snapshot
                .newest(&container.name)
                .filter(|n| state_of(n) == ContainerState::ContainerRunning)?;
            let want = Amounts::of(Some(allocated));
            // What the runtime reports it applied (containerd 1.6.20 does);
            // else what it accepted last, by our record.
            let reported = newest
                .resources
                .as_ref()
                .and_then(|r| r.linux.as_ref())
                .map(CgroupValues::reported);
            let (cpu, memory) = match (reported, state.actuated.get(&newest.id)) {
                (Some(have), _) => {
                    let want = want.cgroup();
                    (want.cpu_differs(&have), want.memory_differs(&have))
                }
                (None, Some(applied)) => {
                    let have = Amounts::of(Some(applied));
                    (want.cpu_differs(&have), want.memory_differs(&have))
                }
                (None, None) => (true, false),
            };
            if !cpu && !memory {
                return None;
            }
            let restart = (cpu && restarts_for(container, "cpu"))
                || (memory && restarts_for(container, "memory"));
            let change =
                if restart && (reported.is_some() || state.actuated.contains_key(&newest.id)) {
                    Change::Restart
                } else {
                    Change::Update
                };
            Some(ContainerResize {
                name: container.name.clone(),
                id: newest.id.clone(),
                change,
                resources: allocated.clone(),
            })
        })
        .collect()
}

fn state_of(instance: &k8s_cri::v1::ContainerStatus) -> ContainerState {
    state(instance)
}

/// A resize condition to report: `(type, reason, message)`, status True.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResizeCondition {
    pub type_: &'static str,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// The kubelet's resize conditions: `PodResizePending` while a resize is
/// not admitted, `PodResizeInProgress` while a running container does not
/// have its allocation yet (reason `Error` when applying it failed); none
/// once done.
pub fn resize_conditions(
    pod: &Pod,
    snapshot: &PodSnapshot,
    state: &ResourceState,
) -> Vec<ResizeCondition> {
    let mut conditions = Vec::new();
    if let Some(pending) = &state.pending {
        conditions.push(ResizeCondition {
            type_: POD_RESIZE_PENDING,
            reason: Some(pending.reason.to_owned()),
            message: Some(pending.message.clone()),
        });
    }
    if let Some(error) = &state.error {
        conditions.push(ResizeCondition {
            type_: POD_RESIZE_IN_PROGRESS,
            reason: Some(ERROR.to_owned()),
            message: Some(error.clone()),
        });
    } else if !container_resizes(pod, snapshot, state).is_empty() {
        conditions.push(ResizeCondition {
            type_: POD_RESIZE_IN_PROGRESS,
            reason: None,
            message: None,
        });
    }
    conditions
}

/// `containerStatuses[].allocatedResources`: the allocated requests.
pub fn allocated_requests(state: &ResourceState, name: &str) -> Option<BTreeMap<String, Quantity>> {
    state
        .allocated
        .get(name)
        .and_then(|r| r.requests.clone())
        .filter(|r| !r.is_empty())
}

/// `containerStatuses[].resources`: for a running instance what the
/// runtime reports it has (CPU request from shares, CPU limit from quota and
/// period, memory limit; the allocated quantity where it gives the same
/// value, as the kubelet's `convertContainerStatusResources`; the memory
/// request is the allocated one), else our record of what it accepted;
/// the allocation for containers that do not run. `None` when empty.
pub fn status_resources(
    state: &ResourceState,
    name: &str,
    instance: Option<&k8s_cri::v1::ContainerStatus>,
) -> Option<ResourceRequirements> {
    let running = instance.filter(|i| state_of(i) == ContainerState::ContainerRunning);
    let allocated = state.allocated.get(name);
    let reported = running
        .and_then(|i| i.resources.as_ref())
        .and_then(|r| r.linux.as_ref());
    let resources = match (reported, allocated) {
        (Some(linux), Some(allocated)) => from_runtime(linux, allocated),
        _ => running
            .and_then(|i| state.actuated.get(&i.id))
            .or(allocated)?
            .clone(),
    };
    let empty = |l: &Option<BTreeMap<String, Quantity>>| l.as_ref().is_none_or(BTreeMap::is_empty);
    (!(empty(&resources.requests) && empty(&resources.limits))).then(|| ResourceRequirements {
        requests: resources.requests.clone().filter(|l| !l.is_empty()),
        limits: resources.limits.clone().filter(|l| !l.is_empty()),
        ..ResourceRequirements::default()
    })
}

/// The runtime's values as requests and limits, in `allocated`'s
/// quantities where they give the same cgroup value.
fn from_runtime(
    linux: &k8s_cri::v1::LinuxContainerResources,
    allocated: &ResourceRequirements,
) -> ResourceRequirements {
    let want = Amounts::of(Some(allocated)).cgroup();
    let have = CgroupValues::reported(linux);
    let mut requests = allocated.requests.clone().unwrap_or_default();
    let mut limits = allocated.limits.clone().unwrap_or_default();
    if want.cpu_shares != have.cpu_shares && requests.contains_key("cpu") {
        let milli = have.cpu_shares.saturating_mul(1000) / 1024;
        requests.insert("cpu".into(), Quantity(format!("{milli}m")));
    }
    if (want.cpu_quota, want.cpu_period) != (have.cpu_quota, have.cpu_period) {
        if have.cpu_quota > 0 && have.cpu_period > 0 {
            let milli = have.cpu_quota.saturating_mul(1000) / have.cpu_period;
            limits.insert("cpu".into(), Quantity(format!("{milli}m")));
        } else {
            limits.remove("cpu");
        }
    }
    if want.memory_limit_in_bytes != have.memory_limit_in_bytes {
        if have.memory_limit_in_bytes > 0 {
            limits.insert(
                "memory".into(),
                Quantity(have.memory_limit_in_bytes.to_string()),
            );
        } else {
            limits.remove("memory");
        }
    }
    ResourceRequirements {
        requests: Some(requests),
        limits: Some(limits),
        ..ResourceRequirements::default()
    }
}

/// `container` with its allocated resources (what it is started with).
pub fn with_allocation(container: &Container, state: &ResourceState) -> Container {
    let mut container = container.clone();
    if let Some(allocated) = state.allocated.get(&container.name) {
        container.resources = Some(allocated.clone());
    }
    container
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use k8s_cri::v1::{ContainerMetadata, ContainerStatus};
    use serde_json::json;

    const NODE: Allocatable = Allocatable {
        milli_cpu: 2000,
        memory_bytes: 4 << 30,
    };

    fn pod(resources: serde_json::Value, policy: serde_json::Value) -> Pod {
        pod_from_json(json!({"metadata": {"name": "app", "uid": "u"}, "spec": {
            "initContainers": [
                {"name": "setup", "resources": {"requests": {"cpu": "1"}}},
                {"name": "side", "restartPolicy": "Always",
                 "resources": {"requests": {"cpu": "50m"}}}
            ],
            "containers": [{"name": "main", "resources": resources, "resizePolicy": policy}]
        }}))
    }

    fn original() -> serde_json::Value {
        json!({"requests": {"cpu": "100m", "memory": "32Mi"},
               "limits": {"cpu": "200m", "memory": "64Mi"}})
    }

    fn running(name: &str, id: &str) -> ContainerStatus {
        ContainerStatus {
            id: id.into(),
            metadata: Some(ContainerMetadata {
                name: name.into(),
                attempt: 0,
            }),
            state: ContainerState::ContainerRunning as i32,
            ..ContainerStatus::default()
        }
    }

    /// The state after admitting `pod` with nothing allocated yet, and
    /// `main` running as instance "m1" with that allocation.
    fn admitted(pod: &Pod) -> ResourceState {
        let Admission::Allocate(allocated) =
            admit(pod, &BTreeMap::new(), NODE, Requests::default())
        else {
            panic!("a new pod is admitted");
        };
        let actuated = BTreeMap::from([("m1".to_owned(), allocated["main"].clone())]);
        ResourceState {
            allocated,
            actuated,
            ..ResourceState::default()
        }
    }

    fn snapshot() -> PodSnapshot {
        PodSnapshot {
            containers: vec![running("main", "m1")],
            ..PodSnapshot::default()
        }
    }

    #[test]
    fn a_new_pod_is_admitted_as_its_spec_says_whatever_it_asks() {
        let pod = pod(json!({"requests": {"cpu": "64"}}), json!(null));
        let state = admitted(&pod);
        assert_eq!(state.allocated.len(), 3, "every container, init too");
        assert_eq!(
            admit(&pod, &state.allocated, NODE, Requests::default()),
            Admission::Unchanged
        );
        assert!(container_resizes(&pod, &snapshot(), &state).is_empty());
        assert!(resize_conditions(&pod, &snapshot(), &state).is_empty());
    }

    #[test]
    fn a_cpu_resize_that_fits_is_allocated_and_applied_live() {
        let before = pod(original(), json!(null));
        let mut state = admitted(&before);
        let after = pod(
            json!({"requests": {"cpu": "150m", "memory": "32Mi"},
                   "limits": {"cpu": "400m", "memory": "64Mi"}}),
            json!(null),
        );
        let Admission::Allocate(allocated) =
            admit(&after, &state.allocated, NODE, Requests::default())
        else {
            panic!("fits");
        };
        assert_eq!(Amounts::of(Some(&allocated["main"])).cpu_limit, 400);
        state.allocated = allocated;
        let resizes = container_resizes(&after, &snapshot(), &state);
        assert_eq!(resizes.len(), 1);
        assert_eq!(
            (resizes[0].id.as_str(), resizes[0].change),
            ("m1", Change::Update)
        );
        assert_eq!(
            resize_conditions(&after, &snapshot(), &state),
            [ResizeCondition {
                type_: POD_RESIZE_IN_PROGRESS,
                reason: None,
                message: None
            }]
        );
        // Applied: nothing left to do, no condition; the status shows it.
        state
            .actuated
            .insert("m1".into(), resizes[0].resources.clone());
        assert!(container_resizes(&after, &snapshot(), &state).is_empty());
        assert!(resize_conditions(&after, &snapshot(), &state).is_empty());
        let shown = status_resources(&state, "main", Some(&running("main", "m1"))).expect("shown");
        assert_eq!(shown.limits.expect("limits")["cpu"].0, "400m");
        assert_eq!(
            allocated_requests(&state, "main").expect("requests")["cpu"].0,
            "150m"
        );
        // Equal amounts written differently are no resize.
        let same = pod(
            json!({"requests": {"cpu": "0.15", "memory": "32Mi"},
                   "limits": {"cpu": "400m", "memory": "67108864"}}),
            json!(null),
        );
        assert_eq!(
            admit(&same, &state.allocated, NODE, Requests::default()),
            Admission::Unchanged
        );
    }

    #[test]
    fn a_changed_resource_whose_policy_is_restart_container_restarts() {
        let policy = json!([{"resourceName": "memory", "restartPolicy": "RestartContainer"},
                            {"resourceName": "cpu", "restartPolicy": "NotRequired"}]);
        let before = pod(original(), policy.clone());
        let mut state = admitted(&before);
        let memory = pod(
            json!({"requests": {"cpu": "100m", "memory": "32Mi"},
                   "limits": {"cpu": "200m", "memory": "128Mi"}}),
            policy.clone(),
        );
        let Admission::Allocate(allocated) =
            admit(&memory, &state.allocated, NODE, Requests::default())
        else {
            panic!("fits");
        };
        state.allocated = allocated;
        let resizes = container_resizes(&memory, &snapshot(), &state);
        assert_eq!(resizes[0].change, Change::Restart);
        // CPU alone under NotRequired: live.
        let mut state = admitted(&before);
        let cpu = pod(
            json!({"requests": {"cpu": "150m", "memory": "32Mi"},
                   "limits": {"cpu": "200m", "memory": "64Mi"}}),
            policy,
        );
        let Admission::Allocate(allocated) =
            admit(&cpu, &state.allocated, NODE, Requests::default())
        else {
            panic!("fits");
        };
        state.allocated = allocated;
        assert_eq!(
            container_resizes(&cpu, &snapshot(), &state)[0].change,
            Change::Update
        );
    }

    #[test]
    fn more_than_the_node_is_infeasible_more_than_is_free_is_deferred() {
        let before = pod(original(), json!(null));
        let state = admitted(&before);
        let huge = pod(
            json!({"requests": {"cpu": "3", "memory": "32Mi"},
                   "limits": {"cpu": "3", "memory": "64Mi"}}),
            json!(null),
        );
        let Admission::Pending(pending) = admit(&huge, &state.allocated, NODE, Requests::default())
        else {
            panic!("3 CPUs (and the sidecar's 50m) on a 2-CPU node");
        };
        assert_eq!(pending.reason, INFEASIBLE);
        assert_eq!(
            pending.message,
            "Node didn't have enough capacity: cpu, requested: 3050, capacity: 2000"
        );
        let more = pod(
            json!({"requests": {"cpu": "1", "memory": "32Mi"},
                   "limits": {"cpu": "1", "memory": "64Mi"}}),
            json!(null),
        );
        let busy = Requests {
            milli_cpu: 1500,
            memory_bytes: 0,
        };
        let Admission::Pending(pending) = admit(&more, &state.allocated, NODE, busy) else {
            panic!("1050m beside 1500m on 2 CPUs");
        };
        assert_eq!(pending.reason, DEFERRED);
        let mut state = state;
        state.pending = Some(pending);
        let conditions = resize_conditions(&more, &snapshot(), &state);
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].type_, POD_RESIZE_PENDING);
        assert_eq!(conditions[0].reason.as_deref(), Some(DEFERRED));
        // Nothing is applied: the allocation stays.
        assert!(container_resizes(&more, &snapshot(), &state).is_empty());
    }

    #[test]
    fn only_running_resizable_containers_of_live_pods_are_resized() {
        let before = pod(original(), json!(null));
        let mut state = admitted(&before);
        // An instance without a record is updated (idempotent).
        state.actuated.clear();
        assert_eq!(
            container_resizes(&before, &snapshot(), &state)[0].change,
            Change::Update
        );
        let exited = PodSnapshot {
            containers: vec![ContainerStatus {
                state: ContainerState::ContainerExited as i32,
                ..running("main", "m1")
            }],
            ..PodSnapshot::default()
        };
        assert!(container_resizes(&before, &exited, &state).is_empty());
        // A container that does not run shows its allocation.
        let shown = status_resources(&state, "main", exited.containers.first()).expect("shown");
        assert_eq!(shown.requests.expect("requests")["memory"].0, "32Mi");
        let mut deleting = before.clone();
        deleting.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        assert!(container_resizes(&deleting, &snapshot(), &state).is_empty());
        let names: Vec<&str> = resizable(&before).map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["side", "main"], "not the one-shot init container");
        assert_eq!(
            pod_requests(&before, &state.allocated),
            Requests {
                milli_cpu: 150,
                memory_bytes: 32 << 20
            }
        );
    }

    #[test]
    fn the_runtimes_reported_values_decide_and_are_shown() {
        use k8s_cri::v1::{ContainerResources, LinuxContainerResources};
        let reporting = |shares, quota, memory| PodSnapshot {
            containers: vec![ContainerStatus {
                resources: Some(ContainerResources {
                    linux: Some(LinuxContainerResources {
                        cpu_shares: shares,
                        cpu_period: 100_000,
                        cpu_quota: quota,
                        memory_limit_in_bytes: memory,
                        ..LinuxContainerResources::default()
                    }),
                    windows: None,
                }),
                ..running("main", "m1")
            }],
            ..PodSnapshot::default()
        };
        let before = pod(original(), json!(null));
        let mut state = admitted(&before);
        // The record is ignored when the runtime reports.
        state.actuated.clear();
        let applied = reporting(102, 20_000, 64 << 20);
        assert!(container_resizes(&before, &applied, &state).is_empty());
        let shown = status_resources(&state, "main", applied.containers.first()).expect("shown");
        assert_eq!(
            serde_json::to_value(&shown).expect("json"),
            original(),
            "the allocated quantities where they give the reported values"
        );
        // The runtime has another quota: shown as it is, and updated.
        let other = reporting(102, 30_000, 64 << 20);
        let shown = status_resources(&state, "main", other.containers.first()).expect("shown");
        assert_eq!(shown.limits.expect("limits")["cpu"].0, "300m");
        let resizes = container_resizes(&before, &other, &state);
        assert_eq!(resizes[0].change, Change::Update);
        // A memory-request-only change leaves the cgroup as it is.
        let request_only = pod(
            json!({"requests": {"cpu": "100m", "memory": "48Mi"},
                   "limits": {"cpu": "200m", "memory": "64Mi"}}),
            json!([{"resourceName": "memory", "restartPolicy": "RestartContainer"}]),
        );
        let Admission::Allocate(allocated) =
            admit(&request_only, &state.allocated, NODE, Requests::default())
        else {
            panic!("fits");
        };
        state.allocated = allocated;
        assert!(container_resizes(&request_only, &applied, &state).is_empty());
        let limit = pod(
            json!({"requests": {"cpu": "100m", "memory": "48Mi"},
                   "limits": {"cpu": "200m", "memory": "128Mi"}}),
            json!([{"resourceName": "memory", "restartPolicy": "RestartContainer"}]),
        );
        let Admission::Allocate(allocated) =
            admit(&limit, &state.allocated, NODE, Requests::default())
        else {
            panic!("fits");
        };
        state.allocated = allocated;
        assert_eq!(
            container_resizes(&limit, &applied, &state)[0].change,
            Change::Restart
        );
    }

    #[test]
    fn a_failed_update_is_in_progress_with_its_error() {
        let before = pod(original(), json!(null));
        let mut state = admitted(&before);
        state.error = Some("UpdateContainerResources: boom".into());
        let conditions = resize_conditions(&before, &snapshot(), &state);
        assert_eq!(conditions[0].type_, POD_RESIZE_IN_PROGRESS);
        assert_eq!(conditions[0].reason.as_deref(), Some(ERROR));
        assert!(status_resources(&state, "setup", None).is_some());
        let best_effort = ResourceState::default();
        assert!(status_resources(&best_effort, "main", None).is_none());
        assert!(allocated_requests(&best_effort, "main").is_none());
    }
}
