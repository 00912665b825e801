//! One pod as the runtime last showed it: its sandboxes and every instance
//! of its containers (from `PodSandboxStatus` and `ContainerStatus`, found
//! by the pod-UID label). The status and restart rules read only this.

use k8s_cri::v1::{ContainerState, ContainerStatus, PodSandboxState, PodSandboxStatus};
use k8s_openapi::jiff::Timestamp;

use crate::labels::ContainerAnnotations;

/// The runtime's view of one pod.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSnapshot {
    pub sandboxes: Vec<PodSandboxStatus>,
    pub containers: Vec<ContainerStatus>,
}

impl PodSnapshot {
    /// Every instance of the container `name`, newest first (by creation
    /// time, then restart count).
    pub fn instances(&self, name: &str) -> Vec<&ContainerStatus> {
        let mut instances: Vec<&ContainerStatus> = self
            .containers
            .iter()
            .filter(|c| container_name(c) == Some(name))
            .collect();
        instances.sort_by_key(|c| std::cmp::Reverse((c.created_at, restart_count(c))));
        instances
    }

    /// The newest instance of the container `name`.
    pub fn newest(&self, name: &str) -> Option<&ContainerStatus> {
        self.instances(name).into_iter().next()
    }

    /// The newest sandbox (highest attempt, then creation time).
    pub fn newest_sandbox(&self) -> Option<&PodSandboxStatus> {
        self.sandboxes
            .iter()
            .max_by_key(|s| (s.metadata.as_ref().map_or(0, |m| m.attempt), s.created_at))
    }

    /// Whether the newest sandbox is READY.
    pub fn sandbox_ready(&self) -> bool {
        self.newest_sandbox()
            .is_some_and(|s| s.state == PodSandboxState::SandboxReady as i32)
    }
}

/// The spec name of a container instance (its CRI metadata name).
pub fn container_name(status: &ContainerStatus) -> Option<&str> {
    status.metadata.as_ref().map(|m| m.name.as_str())
}

/// The instance's restart count: its annotation, else its CRI attempt.
pub fn restart_count(status: &ContainerStatus) -> u32 {
    ContainerAnnotations::parse(&status.annotations)
        .restart_count
        .or_else(|| status.metadata.as_ref().map(|m| m.attempt))
        .unwrap_or(0)
}

/// The instance's CRI state.
pub fn state(status: &ContainerStatus) -> ContainerState {
    ContainerState::try_from(status.state).unwrap_or(ContainerState::ContainerUnknown)
}

/// A CRI time (nanoseconds since the epoch); `None` for 0, which the
/// runtime reports for "never" (e.g. `started_at` of a container whose start
/// failed; the kubelet would show 1970-01-01 there).
pub fn timestamp(nanos: i64) -> Option<Timestamp> {
    if nanos <= 0 {
        return None;
    }
    Timestamp::from_nanosecond(i128::from(nanos)).ok()
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Snapshot builders for the status and restart tests.

    use std::collections::HashMap;

    use k8s_cri::v1::{
        ContainerMetadata, ContainerState, ContainerStatus, PodIp, PodSandboxMetadata,
        PodSandboxNetworkStatus, PodSandboxState, PodSandboxStatus,
    };

    use crate::labels::CONTAINER_RESTART_COUNT;

    /// Seconds → CRI nanoseconds on a fixed day.
    pub fn at(seconds: i64) -> i64 {
        (1_795_000_000 + seconds) * 1_000_000_000
    }

    pub fn sandbox(attempt: u32, ready: bool, ips: &[&str]) -> PodSandboxStatus {
        PodSandboxStatus {
            id: format!("sandbox-{attempt}"),
            metadata: Some(PodSandboxMetadata {
                attempt,
                ..PodSandboxMetadata::default()
            }),
            state: if ready {
                PodSandboxState::SandboxReady
            } else {
                PodSandboxState::SandboxNotready
            } as i32,
            created_at: at(i64::from(attempt) * 100),
            network: ips.split_first().map(|(ip, more)| PodSandboxNetworkStatus {
                ip: (*ip).to_owned(),
                additional_ips: more
                    .iter()
                    .map(|ip| PodIp {
                        ip: (*ip).to_owned(),
                    })
                    .collect(),
            }),
            ..PodSandboxStatus::default()
        }
    }

    /// A container instance; `restart` is its restart count and orders
    /// instances in time.
    pub fn running(name: &str, restart: u32) -> ContainerStatus {
        let started = at(i64::from(restart) * 10 + 1);
        ContainerStatus {
            id: format!("{name}-{restart}"),
            metadata: Some(ContainerMetadata {
                name: name.to_owned(),
                attempt: restart,
            }),
            state: ContainerState::ContainerRunning as i32,
            created_at: at(i64::from(restart) * 10),
            started_at: started,
            image_ref: "sha256:abc".into(),
            annotations: HashMap::from([(CONTAINER_RESTART_COUNT.to_owned(), restart.to_string())]),
            ..ContainerStatus::default()
        }
    }

    pub fn exited(name: &str, restart: u32, code: i32) -> ContainerStatus {
        ContainerStatus {
            state: ContainerState::ContainerExited as i32,
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            finished_at: at(i64::from(restart) * 10 + 5),
            ..running(name, restart)
        }
    }

    pub fn created(name: &str, restart: u32) -> ContainerStatus {
        ContainerStatus {
            state: ContainerState::ContainerCreated as i32,
            started_at: 0,
            ..running(name, restart)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn newest_first() {
        let snapshot = PodSnapshot {
            sandboxes: vec![sandbox(1, true, &[]), sandbox(0, false, &[])],
            containers: vec![
                exited("app", 0, 1),
                running("app", 2),
                exited("app", 1, 1),
                running("side", 0),
            ],
        };
        let order: Vec<u32> = snapshot
            .instances("app")
            .into_iter()
            .map(restart_count)
            .collect();
        assert_eq!(order, vec![2, 1, 0]);
        assert_eq!(
            snapshot.newest("side").map(|c| c.id.as_str()),
            Some("side-0")
        );
        assert!(snapshot.newest("none").is_none());
        assert_eq!(
            snapshot.newest_sandbox().map(|s| s.id.as_str()),
            Some("sandbox-1")
        );
        assert!(snapshot.sandbox_ready());
        assert_eq!(timestamp(0), None);
        assert!(timestamp(at(0)).is_some());
    }
}
