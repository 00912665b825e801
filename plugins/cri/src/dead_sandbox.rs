//! A pod whose sandbox died under it (the kubelet's `podSandboxChanged`:
//! the newest sandbox is not ready, e.g. its pause process was killed or
//! the runtime lost it), while the pod still runs or still has something
//! to start. The kubelet kills the pod's containers, and unless the pod
//! must not restart (`restartPolicy: Never` once something ran), runs a
//! new sandbox (attempt + 1) and starts over from the first init container.

use k8s_cri::v1::ContainerState;
use k8s_openapi::api::core::v1::Pod;

use crate::probes::ProbeResults;
use crate::restart::{RestartPolicy, pod_actions};
use crate::snapshot::{PodSnapshot, state};

/// What to do about a dead sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxChange {
    /// The sandbox is ready, or the pod is finished: nothing.
    None,
    /// Kill the containers; the pod is then done (`Never` after a run).
    KillPod,
    /// Nothing runs and nothing may start (`Never` after a run): no new
    /// sandbox for what never started.
    Finished,
    /// Kill the containers and run a new sandbox, init containers again.
    Recreate,
}

/// Whether `pod`'s sandbox changed, and what follows. Never for a pod
/// being deleted (its termination stops everything). `probes` tell
/// whether sidecars have started (see [`pod_actions`]).
pub fn sandbox_change(pod: &Pod, snapshot: &PodSnapshot, probes: &ProbeResults) -> SandboxChange {
    if pod.metadata.deletion_timestamp.is_some()
        || snapshot.newest_sandbox().is_none()
        || snapshot.sandbox_ready()
    {
        return SandboxChange::None;
    }
    let running = snapshot
        .containers
        .iter()
        .any(|c| state(c) == ContainerState::ContainerRunning);
    let actions = pod_actions(pod, snapshot, probes);
    let to_start = !actions.start_init.is_empty() || !actions.start.is_empty();
    if !running && !to_start {
        return SandboxChange::None;
    }
    if RestartPolicy::of(pod) == RestartPolicy::Never && !snapshot.containers.is_empty() {
        if running {
            SandboxChange::KillPod
        } else {
            SandboxChange::Finished
        }
    } else {
        SandboxChange::Recreate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No probe results: these pods have no sidecars.
    fn sandbox_change(pod: &Pod, snapshot: &PodSnapshot) -> SandboxChange {
        super::sandbox_change(pod, snapshot, &ProbeResults::default())
    }
    use crate::test_pods::pod_from_json;
    use k8s_cri::v1::{
        ContainerMetadata, ContainerStatus, PodSandboxMetadata, PodSandboxState, PodSandboxStatus,
    };
    use serde_json::json;

    fn pod(policy: &str) -> Pod {
        pod_from_json(json!({"metadata": {"name": "p", "uid": "u"}, "spec": {
            "restartPolicy": policy,
            "containers": [{"name": "main", "image": "busybox:1"}]
        }}))
    }

    fn snapshot(ready: bool, main: Option<ContainerState>) -> PodSnapshot {
        PodSnapshot {
            sandboxes: vec![PodSandboxStatus {
                id: "s".into(),
                metadata: Some(PodSandboxMetadata::default()),
                state: if ready {
                    PodSandboxState::SandboxReady
                } else {
                    PodSandboxState::SandboxNotready
                } as i32,
                ..PodSandboxStatus::default()
            }],
            containers: main
                .map(|main| ContainerStatus {
                    id: "c".into(),
                    metadata: Some(ContainerMetadata {
                        name: "main".into(),
                        attempt: 0,
                    }),
                    state: main as i32,
                    exit_code: 137,
                    ..ContainerStatus::default()
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn a_dead_sandbox_under_a_running_pod_is_replaced_unless_never() {
        let running = Some(ContainerState::ContainerRunning);
        assert_eq!(
            sandbox_change(&pod("Always"), &snapshot(false, running)),
            SandboxChange::Recreate
        );
        assert_eq!(
            sandbox_change(&pod("Never"), &snapshot(false, running)),
            SandboxChange::KillPod
        );
        assert_eq!(
            sandbox_change(&pod("Always"), &snapshot(true, running)),
            SandboxChange::None
        );
        // Not started yet: the first sandbox attempt failed or died early.
        assert_eq!(
            sandbox_change(&pod("Never"), &snapshot(false, None)),
            SandboxChange::Recreate
        );
        // Finished under Never: the sandbox was stopped on purpose.
        assert_eq!(
            sandbox_change(
                &pod("Never"),
                &snapshot(false, Some(ContainerState::ContainerExited))
            ),
            SandboxChange::None
        );
        // Never, one container ran and one never started: no new sandbox
        // for the second (the kubelet does not create one either).
        let mut two = pod("Never");
        if let Some(spec) = two.spec.as_mut() {
            let mut second = spec.containers[0].clone();
            second.name = "second".into();
            spec.containers.push(second);
        }
        assert_eq!(
            sandbox_change(
                &two,
                &snapshot(false, Some(ContainerState::ContainerExited))
            ),
            SandboxChange::Finished
        );
        let mut deleting = pod("Always");
        deleting.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        assert_eq!(
            sandbox_change(&deleting, &snapshot(false, running)),
            SandboxChange::None
        );
    }
}
