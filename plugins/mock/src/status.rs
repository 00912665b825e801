//! A pod's lifecycle (the few instants the mock records) and the pure
//! function that turns it into a realistic Kubernetes `PodStatus` at a given
//! time: phase, conditions, IPs and per-container states.

use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::clock::Timestamp;

/// How a pod's containers ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// When every container terminated.
    pub at: Timestamp,
    pub code: i32,
    /// Stopped by DeletePod rather than exiting on their own.
    pub killed: bool,
}

/// The instants that determine a pod's status at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// CreatePod accepted the pod.
    pub created: Timestamp,
    /// The containers start (`created` + `start_delay_ms`).
    pub started: Timestamp,
    /// The containers terminate (exit-code annotation, or deletion).
    pub exit: Option<Exit>,
    /// DeletePod was called.
    pub deleted: Option<Timestamp>,
}

/// Where a pod is at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Containers are being created.
    Pending,
    /// Containers run.
    Running,
    /// Containers terminated; `ran` is false when they never started.
    Exited { exit: Exit, ran: bool },
}

impl Lifecycle {
    pub fn new(created: Timestamp, started: Timestamp) -> Self {
        Self {
            created,
            started,
            exit: None,
            deleted: None,
        }
    }

    pub fn stage(&self, now: Timestamp) -> Stage {
        if let Some(exit) = self.exit
            && now >= exit.at
        {
            return Stage::Exited {
                exit,
                ran: exit.at >= self.started,
            };
        }
        if now >= self.started {
            Stage::Running
        } else {
            Stage::Pending
        }
    }

    /// Whether the containers are running at `now`.
    pub fn is_running(&self, now: Timestamp) -> bool {
        self.stage(now) == Stage::Running
    }

    /// When the containers started and (if they did) ended, as seen at `now`;
    /// `None` when they have not started (or never will).
    pub fn run_span(&self, now: Timestamp) -> Option<(Timestamp, Option<Timestamp>)> {
        match self.stage(now) {
            Stage::Pending | Stage::Exited { ran: false, .. } => None,
            Stage::Running => Some((self.started, None)),
            Stage::Exited { exit, ran: true } => Some((self.started, Some(exit.at))),
        }
    }
}

/// Everything the status depends on besides time.
#[derive(Debug, Clone, Copy)]
pub struct StatusInput<'a> {
    pub pod: &'a Pod,
    pub life: Lifecycle,
    pub pod_ip: Ipv4Addr,
    /// `None`: `hostIP` and `hostIPs` left empty.
    pub host_ip: Option<Ipv4Addr>,
}

/// The pod phase once containers ended with `code`. No restarts are modelled:
/// a container that exits stays exited, so `restartPolicy: Always` ends in
/// Failed (unless DeletePod stopped it, where exit 0 is a clean stop).
pub fn terminal_phase(restart_policy: Option<&str>, code: i32, killed: bool) -> &'static str {
    let restarts_forever = restart_policy.is_none_or(|p| p == "Always");
    if code == 0 && (killed || !restarts_forever) {
        "Succeeded"
    } else {
        "Failed"
    }
}

/// The pod's status at `now`.
pub fn pod_status(input: StatusInput<'_>, now: Timestamp) -> PodStatus {
    let StatusInput {
        pod,
        life,
        pod_ip,
        host_ip,
    } = input;
    let spec = pod.spec.as_ref();
    let containers: &[Container] = spec.map_or(&[], |s| &s.containers);
    let init_containers: &[Container] = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let stage = life.stage(now);

    let phase = match stage {
        Stage::Pending => "Pending",
        Stage::Running => "Running",
        Stage::Exited { exit, .. } => terminal_phase(
            spec.and_then(|s| s.restart_policy.as_deref()),
            exit.code,
            exit.killed,
        ),
    };

    let container_statuses = containers
        .iter()
        .map(|c| container_status(c, uid, stage, life.started, false))
        .collect::<Vec<_>>();
    let init_statuses = init_containers
        .iter()
        .map(|c| {
            let sidecar = c.restart_policy.as_deref() == Some("Always");
            container_status(c, uid, stage, life.started, !sidecar)
        })
        .collect::<Vec<_>>();

    let time = |at: Timestamp| Some(Time(at));
    let condition =
        |type_: &str, ok: bool, at: Timestamp, reason: Option<String>, message: Option<String>| {
            PodCondition {
                type_: type_.into(),
                status: if ok { "True" } else { "False" }.into(),
                last_transition_time: time(at),
                reason: if ok { None } else { reason },
                message: if ok { None } else { message },
                ..Default::default()
            }
        };
    let unready: Vec<&str> = container_statuses
        .iter()
        .filter(|s| !s.ready)
        .map(|s| s.name.as_str())
        .collect();
    let (ready_reason, ready_message) = if phase == "Succeeded" {
        (Some("PodCompleted".to_owned()), None)
    } else {
        (
            Some("ContainersNotReady".to_owned()),
            Some(format!(
                "containers with unready status: [{}]",
                unready.join(" ")
            )),
        )
    };
    let ready = stage == Stage::Running;
    let ready_since = match stage {
        Stage::Pending => life.created,
        Stage::Running => life.started,
        Stage::Exited { exit, .. } => exit.at,
    };
    let initialized = init_containers.is_empty() || stage != Stage::Pending;
    let initialized_since = if init_containers.is_empty() {
        life.created
    } else {
        life.started.min(ready_since)
    };
    let sandbox = life.deleted.is_none();
    let conditions = vec![
        condition(
            "PodReadyToStartContainers",
            sandbox,
            life.deleted.unwrap_or(life.created),
            None,
            None,
        ),
        condition(
            "Initialized",
            initialized,
            if initialized {
                initialized_since
            } else {
                life.created
            },
            Some("ContainersNotInitialized".into()),
            Some(format!(
                "containers with incomplete status: [{}]",
                init_containers
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
        ),
        condition(
            "Ready",
            ready,
            ready_since,
            ready_reason.clone(),
            ready_message.clone(),
        ),
        condition(
            "ContainersReady",
            ready,
            ready_since,
            ready_reason,
            ready_message,
        ),
        condition("PodScheduled", true, life.created, None, None),
    ];

    let pod_ip = pod_ip.to_string();
    let host_ip = host_ip.map(|ip| ip.to_string());
    PodStatus {
        phase: Some(phase.into()),
        conditions: Some(conditions),
        host_ips: host_ip.clone().map(|ip| vec![HostIP { ip }]),
        host_ip,
        pod_ip: Some(pod_ip.clone()),
        pod_ips: Some(vec![PodIP { ip: pod_ip }]),
        start_time: time(life.created),
        container_statuses: Some(container_statuses),
        init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
        qos_class: pod.status.as_ref().and_then(|s| s.qos_class.clone()),
        ..Default::default()
    }
}

/// One container's status. `runs_to_completion` is true for (non-sidecar)
/// init containers, which the mock completes with exit 0 at the pod's start.
fn container_status(
    container: &Container,
    pod_uid: &str,
    stage: Stage,
    started: Timestamp,
    runs_to_completion: bool,
) -> ContainerStatus {
    let image = container.image.clone().unwrap_or_default();
    let container_id = format!(
        "mock://{}",
        digest(&format!("{pod_uid}/{}", container.name))
    );
    let terminated =
        |code: i32, started_at: Option<Timestamp>, finished_at: Timestamp| ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: code,
                reason: Some(if code == 0 { "Completed" } else { "Error" }.into()),
                started_at: started_at.map(Time),
                finished_at: Some(Time(finished_at)),
                container_id: Some(container_id.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
    let (state, ready, started_flag, ran) = match stage {
        Stage::Pending => (
            ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(
                        if runs_to_completion {
                            "PodInitializing"
                        } else {
                            "ContainerCreating"
                        }
                        .into(),
                    ),
                    message: None,
                }),
                ..Default::default()
            },
            false,
            false,
            false,
        ),
        Stage::Running if runs_to_completion => {
            (terminated(0, Some(started), started), false, false, true)
        }
        Stage::Running => (
            ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(Time(started)),
                }),
                ..Default::default()
            },
            true,
            true,
            true,
        ),
        Stage::Exited { exit, ran } => {
            let (code, finished) = if runs_to_completion {
                (0, started)
            } else {
                (exit.code, exit.at)
            };
            (
                terminated(code, ran.then_some(started), finished),
                false,
                false,
                ran,
            )
        }
    };
    ContainerStatus {
        name: container.name.clone(),
        image_id: if ran {
            format!("{image}@sha256:{}", digest(&image))
        } else {
            String::new()
        },
        image,
        container_id: ran.then_some(container_id.clone()),
        ready,
        started: Some(started_flag),
        restart_count: 0,
        state: Some(state),
        ..Default::default()
    }
}

/// A stable 64-hex-digit digest of `text` (FNV-1a, four lanes). Not a
/// cryptographic hash: it only makes IDs look real and stay deterministic.
pub fn digest(text: &str) -> String {
    let mut out = String::with_capacity(64);
    for lane in 0u64..4 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ lane.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{hash:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use k8s_openapi::api::core::v1::PodSpec;

    use super::*;
    use crate::clock::after;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + seconds).expect("valid time")
    }

    fn pod(restart_policy: &str, init: bool) -> Pod {
        let container = |name: &str| Container {
            name: name.into(),
            image: Some(format!("registry.local/{name}:1")),
            ..Default::default()
        };
        Pod {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("web".into()),
                namespace: Some("default".into()),
                uid: Some("uid-1".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![container("app"), container("side")],
                init_containers: init.then(|| vec![container("setup")]),
                restart_policy: Some(restart_policy.into()),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn status(pod: &Pod, life: Lifecycle, now: Timestamp) -> PodStatus {
        pod_status(
            StatusInput {
                pod,
                life,
                pod_ip: Ipv4Addr::new(10, 244, 0, 2),
                host_ip: Some(Ipv4Addr::new(10, 0, 0, 1)),
            },
            now,
        )
    }

    fn condition<'a>(status: &'a PodStatus, type_: &str) -> &'a PodCondition {
        status
            .conditions
            .as_ref()
            .and_then(|c| c.iter().find(|c| c.type_ == type_))
            .expect("condition present")
    }

    #[test]
    fn pending_then_running_and_ready() {
        let pod = pod("Always", false);
        let life = Lifecycle::new(t(0), t(5));

        let pending = status(&pod, life, t(1));
        assert_eq!(pending.phase.as_deref(), Some("Pending"));
        let app = &pending.container_statuses.as_ref().expect("statuses")[0];
        assert_eq!(
            app.state
                .as_ref()
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref()),
            Some("ContainerCreating")
        );
        assert!(!app.ready);
        assert_eq!(condition(&pending, "Ready").status, "False");
        assert_eq!(
            condition(&pending, "Ready").message.as_deref(),
            Some("containers with unready status: [app side]")
        );

        let running = status(&pod, life, t(6));
        assert_eq!(running.phase.as_deref(), Some("Running"));
        assert_eq!(running.pod_ip.as_deref(), Some("10.244.0.2"));
        assert_eq!(running.host_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(running.start_time, Some(Time(t(0))));
        for type_ in [
            "PodScheduled",
            "Initialized",
            "ContainersReady",
            "Ready",
            "PodReadyToStartContainers",
        ] {
            assert_eq!(condition(&running, type_).status, "True", "{type_}");
        }
        assert_eq!(
            condition(&running, "Ready").last_transition_time,
            Some(Time(t(5)))
        );
        let statuses = running.container_statuses.expect("statuses");
        assert_eq!(statuses.len(), 2);
        let app = &statuses[0];
        assert!(app.ready);
        assert_eq!(app.started, Some(true));
        assert_eq!(app.image, "registry.local/app:1");
        assert!(app.image_id.starts_with("registry.local/app:1@sha256:"));
        assert_eq!(
            app.state
                .as_ref()
                .and_then(|s| s.running.as_ref())
                .and_then(|r| r.started_at.clone()),
            Some(Time(t(5)))
        );
    }

    #[test]
    fn exit_codes_and_restart_policies_decide_the_terminal_phase() {
        assert_eq!(terminal_phase(Some("Never"), 0, false), "Succeeded");
        assert_eq!(terminal_phase(Some("OnFailure"), 0, false), "Succeeded");
        assert_eq!(terminal_phase(Some("Always"), 0, false), "Failed");
        assert_eq!(terminal_phase(None, 0, false), "Failed");
        assert_eq!(terminal_phase(Some("Never"), 3, false), "Failed");
        assert_eq!(terminal_phase(Some("Always"), 0, true), "Succeeded");

        let pod = pod("Never", false);
        let mut life = Lifecycle::new(t(0), t(2));
        life.exit = Some(Exit {
            at: t(2),
            code: 7,
            killed: false,
        });
        assert_eq!(status(&pod, life, t(1)).phase.as_deref(), Some("Pending"));
        let failed = status(&pod, life, t(3));
        assert_eq!(failed.phase.as_deref(), Some("Failed"));
        let app = &failed.container_statuses.as_ref().expect("statuses")[0];
        let terminated = app
            .state
            .as_ref()
            .and_then(|s| s.terminated.clone())
            .expect("terminated");
        assert_eq!(terminated.exit_code, 7);
        assert_eq!(terminated.reason.as_deref(), Some("Error"));
        assert_eq!(terminated.started_at, Some(Time(t(2))));
        assert_eq!(terminated.finished_at, Some(Time(t(2))));
        assert_eq!(condition(&failed, "Ready").status, "False");
    }

    #[test]
    fn a_terminal_phase_stays_when_the_pod_is_deleted_later() {
        let pod = pod("Always", false);
        let mut life = Lifecycle::new(t(0), t(0));
        life.exit = Some(Exit {
            at: t(0),
            code: 0,
            killed: false,
        });
        assert_eq!(status(&pod, life, t(1)).phase.as_deref(), Some("Failed"));
        life.deleted = Some(t(5));
        assert_eq!(status(&pod, life, t(6)).phase.as_deref(), Some("Failed"));
    }

    #[test]
    fn deletion_terminates_with_completed() {
        let pod = pod("Always", false);
        let mut life = Lifecycle::new(t(0), t(0));
        life.exit = Some(Exit {
            at: t(10),
            code: 0,
            killed: true,
        });
        life.deleted = Some(t(10));
        let done = status(&pod, life, t(10));
        assert_eq!(done.phase.as_deref(), Some("Succeeded"));
        assert_eq!(
            condition(&done, "Ready").reason.as_deref(),
            Some("PodCompleted")
        );
        assert_eq!(
            condition(&done, "PodReadyToStartContainers").status,
            "False"
        );
        let terminated = done.container_statuses.as_ref().expect("statuses")[0]
            .state
            .as_ref()
            .and_then(|s| s.terminated.clone())
            .expect("terminated");
        assert_eq!(terminated.reason.as_deref(), Some("Completed"));
        assert_eq!(terminated.finished_at, Some(Time(t(10))));

        // Deleted before the containers started: they never ran.
        let mut early = Lifecycle::new(t(0), t(5));
        early.exit = Some(Exit {
            at: t(1),
            code: 0,
            killed: true,
        });
        early.deleted = Some(t(1));
        assert_eq!(
            early.stage(t(2)),
            Stage::Exited {
                exit: Exit {
                    at: t(1),
                    code: 0,
                    killed: true
                },
                ran: false
            }
        );
        let gone = status(&pod, early, t(2));
        let app = &gone.container_statuses.as_ref().expect("statuses")[0];
        assert_eq!(app.image_id, "");
        assert!(
            app.state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .is_some_and(|t| t.started_at.is_none())
        );
    }

    #[test]
    fn init_containers_complete_when_the_pod_starts() {
        let pod = pod("Always", true);
        let life = Lifecycle::new(t(0), t(3));
        let pending = status(&pod, life, t(1));
        assert_eq!(condition(&pending, "Initialized").status, "False");
        let running = status(&pod, life, t(4));
        assert_eq!(condition(&running, "Initialized").status, "True");
        let init = &running
            .init_container_statuses
            .as_ref()
            .expect("init statuses")[0];
        assert_eq!(
            init.state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .map(|t| t.exit_code),
            Some(0)
        );
    }

    #[test]
    fn run_span_follows_the_stage() {
        let mut life = Lifecycle::new(t(0), t(1));
        assert_eq!(life.run_span(t(0)), None);
        assert_eq!(life.run_span(t(2)), Some((t(1), None)));
        life.exit = Some(Exit {
            at: after(t(1), Duration::from_secs(4)),
            code: 0,
            killed: false,
        });
        assert_eq!(life.run_span(t(9)), Some((t(1), Some(t(5)))));
        assert!(life.is_running(t(4)));
        assert!(!life.is_running(t(5)));
    }

    #[test]
    fn digests_are_stable_and_long() {
        assert_eq!(digest("nginx"), digest("nginx"));
        assert_ne!(digest("nginx"), digest("nginx:1"));
        assert_eq!(digest("x").len(), 64);
    }
}
