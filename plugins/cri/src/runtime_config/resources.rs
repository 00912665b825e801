//! A container's Linux resources from its requests and limits, as the
//! kubelet computes them (`calculateLinuxResources`,
//! `GetContainerOOMScoreAdjust`): CPU shares from the request, a CFS quota
//! from the limit, the memory limit, and the OOM score by QoS class.

use std::collections::BTreeMap;

use k8s_cri::v1::LinuxContainerResources;
use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::qos::{QosClass, qos_class};
use crate::quantity::{self, QuantityError};

/// cgroup v1 `cpu.shares` bounds and the kubelet's CFS period (100 ms).
const MIN_SHARES: i64 = 2;
const MAX_SHARES: i64 = 262_144;
const SHARES_PER_CPU: i64 = 1024;
const CFS_PERIOD_US: i64 = 100_000;
const MIN_CFS_QUOTA_US: i64 = 1000;

/// OOM scores: Guaranteed and node-critical pods are killed last.
const GUARANTEED_OOM_SCORE_ADJ: i64 = -997;
const BEST_EFFORT_OOM_SCORE_ADJ: i64 = 1000;

/// The CRI resources of `container` in `pod` on a node with
/// `node_memory_bytes` of memory (which scales a Burstable container's OOM
/// score by its memory request).
pub fn linux_resources(
    pod: &Pod,
    container: &Container,
    node_memory_bytes: i64,
) -> Result<LinuxContainerResources, QuantityError> {
    let resources = container.resources.as_ref();
    let requests = resources.and_then(|r| r.requests.as_ref());
    let limits = resources.and_then(|r| r.limits.as_ref());
    let cpu_request = amount(requests, "cpu", quantity::milli_value)?;
    let cpu_limit = amount(limits, "cpu", quantity::milli_value)?;
    let memory_limit = amount(limits, "memory", quantity::value)?;
    let memory_request = amount(requests, "memory", quantity::value)?;
    let cgroup = CgroupValues::of(cpu_request, cpu_limit, memory_limit);
    Ok(LinuxContainerResources {
        cpu_shares: cgroup.cpu_shares,
        cpu_period: cgroup.cpu_period,
        cpu_quota: cgroup.cpu_quota,
        memory_limit_in_bytes: cgroup.memory_limit_in_bytes,
        oom_score_adj: oom_score_adj(pod, memory_request, node_memory_bytes),
        ..LinuxContainerResources::default()
    })
}

/// The cgroup values a container's CPU and memory amounts give (what
/// in-place resize compares with what the runtime reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgroupValues {
    pub cpu_shares: i64,
    pub cpu_period: i64,
    pub cpu_quota: i64,
    pub memory_limit_in_bytes: i64,
}

impl CgroupValues {
    /// From milli-CPU request and limit and a memory limit in bytes (0: unset).
    pub fn of(cpu_request: i64, cpu_limit: i64, memory_limit: i64) -> Self {
        // A limit without a request means request = limit.
        let shares_from = if cpu_request == 0 && cpu_limit != 0 {
            cpu_limit
        } else {
            cpu_request
        };
        Self {
            cpu_shares: milli_cpu_to_shares(shares_from),
            cpu_period: CFS_PERIOD_US,
            cpu_quota: milli_cpu_to_quota(cpu_limit),
            memory_limit_in_bytes: memory_limit.max(0),
        }
    }

    /// What the runtime reports.
    pub fn reported(resources: &LinuxContainerResources) -> Self {
        Self {
            cpu_shares: resources.cpu_shares,
            cpu_period: resources.cpu_period,
            cpu_quota: resources.cpu_quota,
            memory_limit_in_bytes: resources.memory_limit_in_bytes,
        }
    }

    pub fn cpu_differs(&self, other: &Self) -> bool {
        (self.cpu_shares, self.cpu_period, self.cpu_quota)
            != (other.cpu_shares, other.cpu_period, other.cpu_quota)
    }

    pub fn memory_differs(&self, other: &Self) -> bool {
        self.memory_limit_in_bytes != other.memory_limit_in_bytes
    }
}

/// The amount of resource `name` in `list`, read with `read`; 0 if absent.
fn amount(
    list: Option<&BTreeMap<String, Quantity>>,
    name: &str,
    read: fn(&Quantity) -> Result<i64, QuantityError>,
) -> Result<i64, QuantityError> {
    list.and_then(|l| l.get(name)).map_or(Ok(0), read)
}

/// `cpu.shares` for a request of `milli_cpu` thousandths of a CPU.
fn milli_cpu_to_shares(milli_cpu: i64) -> i64 {
    if milli_cpu <= 0 {
        return MIN_SHARES;
    }
    (milli_cpu.saturating_mul(SHARES_PER_CPU) / 1000).clamp(MIN_SHARES, MAX_SHARES)
}

/// The CFS quota for a limit of `milli_cpu`; 0 (no quota) without a limit.
fn milli_cpu_to_quota(milli_cpu: i64) -> i64 {
    if milli_cpu <= 0 {
        return 0;
    }
    (milli_cpu.saturating_mul(CFS_PERIOD_US) / 1000).max(MIN_CFS_QUOTA_US)
}

fn oom_score_adj(pod: &Pod, memory_request: i64, node_memory_bytes: i64) -> i64 {
    let node_critical = pod
        .spec
        .as_ref()
        .and_then(|s| s.priority_class_name.as_deref())
        == Some("system-node-critical");
    match qos_class(pod) {
        _ if node_critical => GUARANTEED_OOM_SCORE_ADJ,
        QosClass::Guaranteed => GUARANTEED_OOM_SCORE_ADJ,
        QosClass::BestEffort => BEST_EFFORT_OOM_SCORE_ADJ,
        QosClass::Burstable => {
            let capacity = node_memory_bytes.max(1);
            let score = 1000 - (1000i128 * i128::from(memory_request) / i128::from(capacity));
            // Never as protected as Guaranteed, never as exposed as BestEffort.
            let floor = 1000 + GUARANTEED_OOM_SCORE_ADJ;
            match i64::try_from(score).unwrap_or(floor) {
                s if s < floor => floor,
                BEST_EFFORT_OOM_SCORE_ADJ => BEST_EFFORT_OOM_SCORE_ADJ - 1,
                s => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    const GIB: i64 = 1 << 30;

    fn resources_of(container: serde_json::Value) -> LinuxContainerResources {
        let pod =
            pod_from_json(json!({"metadata": {"name": "p"}, "spec": {"containers": [container]}}));
        let container = &pod.spec.as_ref().expect("spec").containers[0];
        linux_resources(&pod, container, 4 * GIB).expect("resources")
    }

    #[test]
    fn best_effort_gets_minimum_shares_no_quota_no_limit() {
        let r = resources_of(json!({"name": "c"}));
        assert_eq!(
            (
                r.cpu_shares,
                r.cpu_period,
                r.cpu_quota,
                r.memory_limit_in_bytes,
                r.oom_score_adj
            ),
            (2, 100_000, 0, 0, 1000)
        );
    }

    #[test]
    fn guaranteed() {
        let both = json!({"cpu": "500m", "memory": "64Mi"});
        let r = resources_of(json!({"name": "c", "resources": {"requests": both, "limits": both}}));
        assert_eq!(
            (
                r.cpu_shares,
                r.cpu_quota,
                r.memory_limit_in_bytes,
                r.oom_score_adj
            ),
            (512, 50_000, 64 << 20, -997)
        );
    }

    #[test]
    fn burstable() {
        let r = resources_of(json!({"name": "c", "resources": {
            "requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "2"}
        }}));
        assert_eq!(
            (r.cpu_shares, r.cpu_quota, r.memory_limit_in_bytes),
            (256, 200_000, 0)
        );
        assert_eq!(r.oom_score_adj, 750, "1000 - 1000 * 1Gi / 4Gi");
        let r = resources_of(json!({"name": "c", "resources": {"limits": {"cpu": "1m"}}}));
        assert_eq!((r.cpu_shares, r.cpu_quota), (2, 1000), "floors");
        assert_eq!(
            r.oom_score_adj, 999,
            "no memory request: just below BestEffort"
        );
        let r = resources_of(json!({"name": "c", "resources": {"requests": {"memory": "8Gi"}}}));
        assert_eq!(r.oom_score_adj, 3, "a request above the node's memory");
    }

    #[test]
    fn node_critical_pods_are_protected() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "priorityClassName": "system-node-critical", "containers": [{"name": "c"}]
        }}));
        let r = linux_resources(&pod, &pod.spec.as_ref().expect("spec").containers[0], GIB)
            .expect("resources");
        assert_eq!(r.oom_score_adj, -997);
    }

    #[test]
    fn a_bad_quantity_is_an_error() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "containers": [{"name": "c", "resources": {"limits": {"memory": "lots"}}}]
        }}));
        let outcome = linux_resources(&pod, &pod.spec.as_ref().expect("spec").containers[0], GIB);
        assert!(outcome.is_err());
    }
}
