//! Table tests of [`pod_status`], mirroring the kubelet's cases
//! (`TestGetPhase`, `TestConvertToAPIContainerStatuses`, the condition
//! generators' tests).

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_cri::v1::ContainerStatus as CriStatus;
use k8s_openapi::api::core::v1::{ContainerState, ContainerStatus, Pod, PodCondition, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use super::*;
use crate::probes::ProbeKind;
use crate::snapshot::fixtures::{at, created, exited, running, sandbox};
use crate::test_pods::pod_from_json;

fn now() -> Timestamp {
    Timestamp::from_second(1_795_100_000).expect("valid time")
}

fn node_ips() -> Vec<IpAddr> {
    vec!["192.168.0.10".parse().expect("ip")]
}

/// A pod with the given restart policy, init containers and regular
/// containers (by name).
fn pod(policy: &str, init: &[&str], containers: &[&str]) -> Pod {
    let named = |names: &[&str]| -> Vec<serde_json::Value> {
        names
            .iter()
            .map(|n| json!({"name": n, "image": "localhost/vkcri-test/busybox:1"}))
            .collect()
    };
    pod_from_json(json!({
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
        "spec": {"restartPolicy": policy, "initContainers": named(init), "containers": named(containers)}
    }))
}

struct Case<'a> {
    pod: Pod,
    containers: Vec<CriStatus>,
    sync_errors: BTreeMap<String, SyncError>,
    probes: ProbeResults,
    previous: Option<&'a PodStatus>,
    terminal: bool,
}

impl<'a> Case<'a> {
    fn new(pod: Pod, containers: Vec<CriStatus>) -> Self {
        Self {
            pod,
            containers,
            sync_errors: BTreeMap::new(),
            probes: ProbeResults::default(),
            previous: None,
            terminal: false,
        }
    }

    fn status(&self) -> PodStatus {
        let snapshot = PodSnapshot {
            sandboxes: vec![sandbox(0, true, &["10.88.0.5"])],
            containers: self.containers.clone(),
        };
        let node_ips = node_ips();
        pod_status(&StatusInput {
            pod: &self.pod,
            snapshot: &snapshot,
            sync_errors: &self.sync_errors,
            probes: &self.probes,
            node_ips: &node_ips,
            previous: self.previous,
            terminal: self.terminal,
            resources: &crate::resize::ResourceState::default(),
            now: now(),
        })
    }
}

fn phase(status: &PodStatus) -> &str {
    status.phase.as_deref().unwrap_or_default()
}

fn container<'s>(status: &'s PodStatus, name: &str) -> &'s ContainerStatus {
    status
        .container_statuses
        .iter()
        .chain(status.init_container_statuses.iter())
        .flatten()
        .find(|s| s.name == name)
        .expect("a status for every spec container")
}

fn state(status: &ContainerStatus) -> ContainerState {
    status.state.clone().unwrap_or_default()
}

fn waiting_reason(status: &ContainerStatus) -> Option<String> {
    state(status).waiting.and_then(|w| w.reason)
}

fn condition<'s>(status: &'s PodStatus, type_: &str) -> &'s PodCondition {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == type_)
        .expect("condition present")
}

/// (status, reason, message) of a condition.
fn verdict(status: &PodStatus, type_: &str) -> (String, Option<String>, Option<String>) {
    let c = condition(status, type_);
    (c.status.clone(), c.reason.clone(), c.message.clone())
}

fn crash_loop() -> SyncError {
    SyncError {
        reason: "CrashLoopBackOff".into(),
        message: "back-off 10s restarting failed container=app pod=web_shop(u-1)".into(),
    }
}

#[test]
fn phase_table() {
    let always = |c| pod("Always", &[], c);
    let never = |c| pod("Never", &[], c);
    let on_failure = |c| pod("OnFailure", &[], c);
    for (name, pod, containers, expected) in [
        ("nothing started yet", always(&["app"]), vec![], PENDING),
        (
            "created, not started",
            always(&["app"]),
            vec![created("app", 0)],
            PENDING,
        ),
        (
            "all running",
            always(&["app", "side"]),
            vec![running("app", 0), running("side", 0)],
            RUNNING,
        ),
        (
            "one running, one waiting",
            always(&["app", "side"]),
            vec![running("app", 0)],
            PENDING,
        ),
        (
            "running and succeeded",
            never(&["app", "side"]),
            vec![running("app", 0), exited("side", 0, 0)],
            RUNNING,
        ),
        (
            "all succeeded, Always",
            always(&["app"]),
            vec![exited("app", 0, 0)],
            RUNNING,
        ),
        (
            "all succeeded, OnFailure",
            on_failure(&["app"]),
            vec![exited("app", 0, 0)],
            SUCCEEDED,
        ),
        (
            "all succeeded, Never",
            never(&["app"]),
            vec![exited("app", 0, 0)],
            SUCCEEDED,
        ),
        (
            "one failed, Never",
            never(&["app", "side"]),
            vec![exited("app", 0, 0), exited("side", 0, 3)],
            FAILED,
        ),
        (
            "one failed, OnFailure",
            on_failure(&["app"]),
            vec![exited("app", 0, 3)],
            RUNNING,
        ),
        (
            "one failed, Always",
            always(&["app"]),
            vec![exited("app", 0, 3)],
            RUNNING,
        ),
    ] {
        let status = Case::new(pod, containers).status();
        assert_eq!(phase(&status), expected, "{name}");
    }
}

#[test]
fn a_terminal_pod_ends_by_exit_codes_whatever_the_policy() {
    let mut case = Case::new(pod("Always", &[], &["app"]), vec![exited("app", 0, 0)]);
    case.terminal = true;
    assert_eq!(phase(&case.status()), SUCCEEDED);
    case.containers = vec![exited("app", 0, 137)];
    assert_eq!(phase(&case.status()), FAILED);
}

#[test]
fn terminal_phases_are_sticky() {
    let previous = PodStatus {
        phase: Some(SUCCEEDED.into()),
        ..PodStatus::default()
    };
    let mut case = Case::new(pod("Always", &[], &["app"]), vec![running("app", 1)]);
    case.previous = Some(&previous);
    assert_eq!(phase(&case.status()), SUCCEEDED);
}

#[test]
fn a_container_without_instances_is_creating() {
    let status = Case::new(pod("Always", &[], &["app"]), vec![]).status();
    let app = container(&status, "app");
    assert_eq!(waiting_reason(app).as_deref(), Some(CONTAINER_CREATING));
    assert_eq!(app.image, "localhost/vkcri-test/busybox:1");
    assert_eq!(
        (app.ready, app.started, app.restart_count),
        (false, Some(false), 0)
    );
    assert_eq!(app.container_id, None);
    assert_eq!(
        verdict(&status, "ContainersReady"),
        (
            "False".into(),
            Some("ContainersNotReady".into()),
            Some("containers with unready status: [app]".into())
        )
    );
    assert_eq!(verdict(&status, "Initialized").0, "True");
    assert_eq!(verdict(&status, "PodScheduled").0, "True");
    assert_eq!(verdict(&status, "PodReadyToStartContainers").0, "True");
    assert_eq!(status.qos_class.as_deref(), Some("BestEffort"));
}

#[test]
fn a_running_pod() {
    let status = Case::new(pod("Always", &[], &["app"]), vec![running("app", 0)]).status();
    let app = container(&status, "app");
    assert_eq!(app.container_id.as_deref(), Some("containerd://app-0"));
    assert_eq!(app.image_id, "sha256:abc");
    assert_eq!((app.ready, app.started), (true, Some(true)));
    let started = state(app).running.and_then(|r| r.started_at);
    assert_eq!(started, timestamp(at(1)).map(Time));
    for type_ in [
        "Initialized",
        "ContainersReady",
        "Ready",
        "PodScheduled",
        "PodReadyToStartContainers",
    ] {
        assert_eq!(
            verdict(&status, type_),
            ("True".into(), None, None),
            "{type_}"
        );
        assert_eq!(
            condition(&status, type_).last_transition_time,
            Some(Time(now()))
        );
    }
    assert_eq!(status.pod_ip.as_deref(), Some("10.88.0.5"));
    assert_eq!(status.host_ip.as_deref(), Some("192.168.0.10"));
    assert_eq!(
        status.start_time,
        timestamp(at(0)).map(Time),
        "the first sandbox's creation"
    );
}

#[test]
fn a_crash_looping_container_waits_with_its_last_termination() {
    let mut case = Case::new(
        pod("Always", &[], &["app"]),
        vec![exited("app", 0, 1), exited("app", 1, 2)],
    );
    case.sync_errors.insert("app".into(), crash_loop());
    let status = case.status();
    let app = container(&status, "app");
    let waiting = state(app).waiting.expect("waiting");
    assert_eq!(waiting.reason.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(waiting.message, Some(crash_loop().message));
    let last = app
        .last_state
        .clone()
        .and_then(|s| s.terminated)
        .expect("last termination");
    assert_eq!((last.exit_code, last.reason.as_deref()), (2, Some("Error")));
    assert_eq!(last.container_id.as_deref(), Some("containerd://app-1"));
    assert_eq!(app.restart_count, 1);
    assert!(!app.ready);
    assert_eq!(
        phase(&status),
        RUNNING,
        "restarting containers keep the pod Running"
    );
}

#[test]
fn without_a_sync_error_the_newest_instance_shows_with_the_one_before() {
    let status = Case::new(
        pod("Always", &[], &["app"]),
        vec![exited("app", 0, 1), running("app", 1)],
    )
    .status();
    let app = container(&status, "app");
    assert!(state(app).running.is_some());
    let last = app
        .last_state
        .clone()
        .and_then(|s| s.terminated)
        .expect("last");
    assert_eq!((last.exit_code, app.restart_count), (1, 1));
}

#[test]
fn a_sync_error_is_not_shown_for_a_container_that_will_not_restart() {
    let mut case = Case::new(pod("Never", &[], &["app"]), vec![exited("app", 0, 1)]);
    case.sync_errors.insert("app".into(), crash_loop());
    let status = case.status();
    assert_eq!(
        state(container(&status, "app"))
            .terminated
            .map(|t| t.exit_code),
        Some(1)
    );
    assert_eq!(phase(&status), FAILED);
    assert_eq!(verdict(&status, "Ready").1.as_deref(), Some("PodFailed"));
}

#[test]
fn image_errors_show_as_waiting_reasons() {
    let mut case = Case::new(pod("Always", &[], &["app"]), vec![]);
    case.sync_errors.insert(
        "app".into(),
        SyncError {
            reason: "ErrImageNeverPull".into(),
            message: "Container image \"x:1\" is not present with pull policy of Never".into(),
        },
    );
    let status = case.status();
    assert_eq!(
        waiting_reason(container(&status, "app")).as_deref(),
        Some("ErrImageNeverPull")
    );
    assert_eq!(phase(&status), PENDING);
}

#[test]
fn completed_pods() {
    let status = Case::new(pod("Never", &[], &["app"]), vec![exited("app", 0, 0)]).status();
    let terminated = state(container(&status, "app"))
        .terminated
        .expect("terminated");
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_deref()),
        (0, Some("Completed"))
    );
    assert_eq!(terminated.finished_at, timestamp(at(5)).map(Time));
    assert_eq!(
        verdict(&status, "ContainersReady").1.as_deref(),
        Some("PodCompleted")
    );
    assert_eq!(verdict(&status, "Ready").0, "False");
}

#[test]
fn init_containers_in_progress() {
    let status = Case::new(
        pod("Always", &["one", "two"], &["app"]),
        vec![running("one", 0)],
    )
    .status();
    assert_eq!(phase(&status), PENDING);
    assert!(state(container(&status, "one")).running.is_some());
    assert_eq!(
        waiting_reason(container(&status, "two")).as_deref(),
        Some(POD_INITIALIZING)
    );
    assert_eq!(
        waiting_reason(container(&status, "app")).as_deref(),
        Some(POD_INITIALIZING)
    );
    assert_eq!(
        verdict(&status, "Initialized"),
        (
            "False".into(),
            Some("ContainersNotInitialized".into()),
            Some("containers with incomplete status: [one two]".into())
        )
    );
}

#[test]
fn init_containers_done() {
    let status = Case::new(
        pod("Always", &["one", "two"], &["app"]),
        vec![exited("one", 0, 0), exited("two", 0, 0), running("app", 0)],
    )
    .status();
    assert_eq!(phase(&status), RUNNING);
    let one = container(&status, "one");
    assert!(one.ready, "an init container that exited 0 is ready");
    assert_eq!(verdict(&status, "Initialized").0, "True");
    assert_eq!(verdict(&status, "Ready").0, "True");
}

#[test]
fn a_failed_init_container() {
    let failed = vec![exited("one", 0, 1)];
    let never = Case::new(pod("Never", &["one"], &["app"]), failed.clone()).status();
    assert_eq!(phase(&never), FAILED);
    let mut always = Case::new(pod("Always", &["one"], &["app"]), failed);
    always.sync_errors.insert("one".into(), crash_loop());
    let status = always.status();
    assert_eq!(phase(&status), PENDING);
    assert_eq!(
        waiting_reason(container(&status, "one")).as_deref(),
        Some("CrashLoopBackOff")
    );
    assert_eq!(
        waiting_reason(container(&status, "app")).as_deref(),
        Some(POD_INITIALIZING)
    );
}

#[test]
fn a_running_container_that_vanished_has_ended() {
    let previous = Case::new(pod("Always", &[], &["app"]), vec![running("app", 2)]).status();
    let mut case = Case::new(pod("Always", &[], &["app"]), vec![]);
    case.previous = Some(&previous);
    let status = case.status();
    let app = container(&status, "app");
    let last = app
        .last_state
        .clone()
        .and_then(|s| s.terminated)
        .expect("last");
    assert_eq!(
        (last.exit_code, last.reason.as_deref()),
        (137, Some(CONTAINER_STATUS_UNKNOWN))
    );
    assert_eq!(app.restart_count, 3);
    assert_eq!(phase(&status), RUNNING, "not back to Pending");
    assert_eq!(status.pod_ip.as_deref(), Some("10.88.0.5"));
}

#[test]
fn unchanged_conditions_keep_their_transition_time_and_others_are_kept() {
    let mut previous = Case::new(pod("Always", &[], &["app"]), vec![running("app", 0)]).status();
    let earlier = Time(Timestamp::from_second(1_795_000_000).expect("time"));
    for condition in previous.conditions.iter_mut().flatten() {
        condition.last_transition_time = Some(earlier.clone());
    }
    previous
        .conditions
        .get_or_insert_default()
        .push(PodCondition {
            type_: "DisruptionTarget".into(),
            status: "True".into(),
            ..PodCondition::default()
        });
    let mut case = Case::new(pod("Always", &[], &["app"]), vec![exited("app", 0, 1)]);
    case.previous = Some(&previous);
    let status = case.status();
    assert_eq!(
        condition(&status, "PodScheduled").last_transition_time,
        Some(earlier)
    );
    assert_eq!(
        condition(&status, "Ready").last_transition_time,
        Some(Time(now()))
    );
    assert_eq!(condition(&status, "DisruptionTarget").status, "True");
}

#[test]
fn probes_gate_ready_and_started() {
    let case_pod = || {
        pod_from_json(json!({
            "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
            "spec": {"containers": [
                {"name": "app", "readinessProbe": {"exec": {"command": ["true"]}}},
                {"name": "slow", "startupProbe": {"exec": {"command": ["true"]}}}
            ]}
        }))
    };
    let status = Case::new(case_pod(), vec![running("app", 0), running("slow", 0)]).status();
    let app = container(&status, "app");
    assert_eq!((app.ready, app.started), (false, Some(true)));
    let slow = container(&status, "slow");
    assert_eq!((slow.ready, slow.started), (false, Some(false)));
    assert_eq!(phase(&status), RUNNING);
    assert_eq!(
        verdict(&status, "Ready").2.as_deref(),
        Some("containers with unready status: [app slow]")
    );

    // Results are per instance: the readiness success makes app ready; the
    // startup success makes slow started, and (no readiness probe) ready.
    let mut case = Case::new(case_pod(), vec![running("app", 0), running("slow", 0)]);
    case.probes.set("app-0", ProbeKind::Readiness, true);
    case.probes.set("slow-0", ProbeKind::Startup, true);
    let status = case.status();
    let app = container(&status, "app");
    assert_eq!((app.ready, app.started), (true, Some(true)));
    let slow = container(&status, "slow");
    assert_eq!((slow.ready, slow.started), (true, Some(true)));
    assert_eq!(verdict(&status, "Ready").0, "True");
    assert_eq!(verdict(&status, "ContainersReady").0, "True");
    // A new instance of app starts unready again.
    case.containers = vec![exited("app", 0, 137), running("app", 1), running("slow", 0)];
    let status = case.status();
    assert!(!container(&status, "app").ready);
    assert_eq!(verdict(&status, "ContainersReady").0, "False");
}

#[test]
fn readiness_gates() {
    let pod = pod_from_json(json!({
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
        "spec": {"readinessGates": [{"conditionType": "example.com/lb"}], "containers": [{"name": "app"}]}
    }));
    let status = Case::new(pod.clone(), vec![running("app", 0)]).status();
    assert_eq!(verdict(&status, "ContainersReady").0, "True");
    assert_eq!(
        verdict(&status, "Ready"),
        (
            "False".into(),
            Some("ReadinessGatesNotReady".into()),
            Some(
                "corresponding condition of pod readiness gate \"example.com/lb\" does not exist."
                    .into()
            )
        )
    );
    let mut previous = status;
    previous
        .conditions
        .get_or_insert_default()
        .push(PodCondition {
            type_: "example.com/lb".into(),
            status: "True".into(),
            ..PodCondition::default()
        });
    let mut case = Case::new(pod, vec![running("app", 0)]);
    case.previous = Some(&previous);
    assert_eq!(verdict(&case.status(), "Ready").0, "True");
}

#[test]
fn ip_addresses() {
    let node_ips: Vec<IpAddr> = vec!["192.168.0.10".parse().expect("ip")];
    let status_of = |pod: &Pod, ips: &[&str]| {
        let snapshot = PodSnapshot {
            sandboxes: vec![sandbox(0, true, ips)],
            containers: vec![running("app", 0)],
        };
        pod_status(&StatusInput {
            pod,
            snapshot: &snapshot,
            sync_errors: &BTreeMap::new(),
            probes: &ProbeResults::default(),
            node_ips: &node_ips,
            previous: None,
            terminal: false,
            resources: &crate::resize::ResourceState::default(),
            now: now(),
        })
    };
    let plain = pod("Always", &[], &["app"]);
    let status = status_of(&plain, &["fd00::5", "10.88.0.5"]);
    let ips: Vec<String> = status
        .pod_ips
        .iter()
        .flatten()
        .map(|ip| ip.ip.clone())
        .collect();
    assert_eq!(
        ips,
        vec!["10.88.0.5".to_owned(), "fd00::5".to_owned()],
        "node family first"
    );
    assert_eq!(status.pod_ip.as_deref(), Some("10.88.0.5"));

    let mut host_network = plain.clone();
    if let Some(spec) = host_network.spec.as_mut() {
        spec.host_network = Some(true);
    }
    let status = status_of(&host_network, &[]);
    assert_eq!(status.pod_ip.as_deref(), Some("192.168.0.10"));
    assert_eq!(status.host_ips.map(|ips| ips.len()), Some(1));

    let status = status_of(&plain, &[]);
    assert_eq!(status.pod_ip, None);
    assert_eq!(verdict(&status, "PodReadyToStartContainers").0, "True");
}

/// Init containers `one` (regular) and `side` (a sidecar with a startup and
/// a readiness probe), regular container `app`.
fn sidecar_pod(policy: &str) -> Pod {
    pod_from_json(json!({
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
        "spec": {
            "restartPolicy": policy,
            "initContainers": [
                {"name": "one", "image": "busybox"},
                {
                    "name": "side",
                    "image": "busybox",
                    "restartPolicy": "Always",
                    "startupProbe": {"exec": {"command": ["true"]}},
                    "readinessProbe": {"exec": {"command": ["true"]}}
                }
            ],
            "containers": [{"name": "app", "image": "busybox"}]
        }
    }))
}

#[test]
fn a_sidecar_is_initialized_once_started_and_counts_for_readiness() {
    let mut case = Case::new(
        sidecar_pod("Always"),
        vec![exited("one", 0, 0), running("side", 0)],
    );
    // Running, startup probe not yet passed: not started, pod initializing.
    let status = case.status();
    let side = container(&status, "side");
    assert!(state(side).running.is_some());
    assert_eq!((side.started, side.ready), (Some(false), false));
    assert_eq!(phase(&status), PENDING);
    assert_eq!(
        verdict(&status, "Initialized"),
        (
            "False".into(),
            Some("ContainersNotInitialized".into()),
            Some("containers with incomplete status: [side]".into())
        )
    );
    assert_eq!(
        waiting_reason(container(&status, "app")).as_deref(),
        Some(POD_INITIALIZING)
    );

    // Started: Initialized, and the app may run; readiness still unknown.
    case.probes.set("side-0", ProbeKind::Startup, true);
    case.containers.push(running("app", 0));
    let status = case.status();
    let side = container(&status, "side");
    assert_eq!((side.started, side.ready), (Some(true), false));
    assert_eq!(phase(&status), RUNNING);
    assert_eq!(verdict(&status, "Initialized").0, "True");
    assert_eq!(
        verdict(&status, "ContainersReady"),
        (
            "False".into(),
            Some("ContainersNotReady".into()),
            Some("containers with unready status: [side]".into())
        )
    );
    assert_eq!(verdict(&status, "Ready").0, "False");

    case.probes.set("side-0", ProbeKind::Readiness, true);
    let status = case.status();
    assert!(container(&status, "side").ready);
    assert_eq!(verdict(&status, "ContainersReady").0, "True");
    assert_eq!(verdict(&status, "Ready").0, "True");
    assert!(
        container(&status, "one").ready,
        "a completed init container"
    );
}

#[test]
fn a_crashed_sidecar_waits_in_crash_loop_back_off_whatever_the_pod_policy() {
    let mut case = Case::new(
        sidecar_pod("Never"),
        vec![
            exited("one", 0, 0),
            exited("side", 0, 0),
            exited("side", 1, 2),
            running("app", 0),
        ],
    );
    case.sync_errors.insert("side".into(), crash_loop());
    let status = case.status();
    let side = container(&status, "side");
    assert_eq!(waiting_reason(side).as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(side.restart_count, 1);
    assert_eq!(
        side.last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .map(|t| t.exit_code),
        Some(2)
    );
    // A stopped sidecar does not make the pod Pending or Failed.
    assert_eq!(phase(&status), RUNNING);
    assert_eq!(verdict(&status, "Initialized").0, "True");
    assert_eq!(verdict(&status, "ContainersReady").0, "False");

    // Once the pod is done, the sidecar is not going to be restarted.
    case.terminal = true;
    case.containers = vec![
        exited("one", 0, 0),
        exited("side", 1, 137),
        exited("app", 0, 0),
    ];
    let status = case.status();
    assert!(state(container(&status, "side")).terminated.is_some());
    assert_eq!(phase(&status), SUCCEEDED);
}

#[test]
fn regular_containers_decide_the_end_while_a_sidecar_is_stopped() {
    let mut probes = ProbeResults::default();
    probes.set("side-0", ProbeKind::Startup, true);
    for (policy, app_exit, side, terminal, expected) in [
        // The app is done, the sidecar still runs until it is stopped.
        ("Never", 0, running("side", 0), true, RUNNING),
        ("Never", 0, exited("side", 0, 137), true, SUCCEEDED),
        ("Never", 0, exited("side", 0, 137), false, SUCCEEDED),
        ("OnFailure", 0, exited("side", 0, 143), false, SUCCEEDED),
        ("Never", 1, exited("side", 0, 0), false, FAILED),
        ("Always", 0, exited("side", 0, 0), false, RUNNING),
    ] {
        let mut case = Case::new(
            sidecar_pod(policy),
            vec![
                exited("one", 0, 0),
                side.clone(),
                exited("app", 0, app_exit),
            ],
        );
        case.probes = probes.clone();
        case.terminal = terminal;
        let status = case.status();
        assert_eq!(
            phase(&status),
            expected,
            "{policy} exit {app_exit} {side:?}"
        );
    }
}

/// `kubectl debug`: ephemeral containers get their own status list, are
/// never ready, never shown waiting to restart once they ran, and do not
/// change the pod's phase or readiness.
#[test]
fn ephemeral_containers_have_their_own_statuses() {
    let mut pod = pod("Always", &[], &["main"]);
    pod.spec.as_mut().expect("spec").ephemeral_containers = Some(
        serde_json::from_value(json!([
            {"name": "debugger", "image": "localhost/vkcri-test/busybox:1", "targetContainerName": "main"},
            {"name": "done", "image": "localhost/vkcri-test/busybox:1"},
            {"name": "pending", "image": "localhost/vkcri-test/busybox:1"},
        ]))
        .expect("ephemeral containers"),
    );
    let mut case = Case::new(
        pod,
        vec![
            running("main", 0),
            running("debugger", 0),
            exited("done", 0, 1),
        ],
    );
    for name in ["done", "pending"] {
        case.sync_errors.insert(
            name.into(),
            SyncError {
                reason: "ErrImagePull".into(),
                message: "pull failed".into(),
            },
        );
    }
    let status = case.status();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    let ephemeral = status
        .ephemeral_container_statuses
        .expect("ephemeral statuses");
    let by_name = |name: &str| {
        ephemeral
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name}: {ephemeral:?}"))
    };
    let debugger = by_name("debugger");
    assert!(debugger.state.and_then(|s| s.running).is_some());
    assert!(!debugger.ready);
    assert_eq!(debugger.started, None);
    let done = by_name("done").state.expect("state");
    assert_eq!(
        done.terminated.map(|t| t.exit_code),
        Some(1),
        "not waiting to restart"
    );
    let pending = by_name("pending")
        .state
        .and_then(|s| s.waiting)
        .expect("waiting");
    assert_eq!(pending.reason.as_deref(), Some("ErrImagePull"));
    // Readiness is the regular containers' alone.
    assert_eq!(status.container_statuses.map(|c| c.len()), Some(1));
}
