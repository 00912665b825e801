//! The mock provider called in process through the `Provider` trait: the
//! pod contract of proto/provider.proto, status pushes, fault injection,
//! logs, exec and stats.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Container, EnvVar, Pod, PodSpec, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use tokio::sync::mpsc;
use vk_mock_plugin::{Config, MockProvider};
use vk_plugin_sdk::proto::Capability;
use vk_plugin_sdk::{
    ExecRequest, ExecSession, LogsRequest, PodKey, PodStatusStream, PortForwardConnection,
    Provider, ProviderError, Readiness,
};

const WAIT: Duration = Duration::from_secs(5);

fn pod(name: &str, uid: &str) -> Pod {
    Pod {
        metadata: ObjectMeta {
            namespace: Some("default".into()),
            name: Some(name.into()),
            uid: Some(uid.into()),
            annotations: Some(BTreeMap::new()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "app".into(),
                image: Some("registry.local/app:1".into()),
                env: Some(vec![
                    EnvVar {
                        name: "GREETING".into(),
                        value: Some("hello".into()),
                        ..Default::default()
                    },
                    EnvVar {
                        name: "FROM_SECRET".into(),
                        value: None,
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }],
            restart_policy: Some("Never".into()),
            ..Default::default()
        }),
        status: None,
    }
}

fn annotated(mut pod: Pod, key: &str, value: &str) -> Pod {
    pod.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(key.into(), value.into());
    pod
}

fn key(name: &str, uid: Option<&str>) -> PodKey {
    PodKey {
        namespace: "default".into(),
        name: name.into(),
        uid: uid.map(Into::into),
    }
}

fn phase(status: &PodStatus) -> &str {
    status.phase.as_deref().unwrap_or_default()
}

fn new_mock(config: Config) -> MockProvider {
    MockProvider::new(config)
}

/// The next status update, past updates that only carry Events.
async fn next_update(updates: &mut PodStatusStream, what: &str) -> (PodKey, PodStatus) {
    loop {
        let update = tokio::time::timeout(WAIT, updates.next())
            .await
            .unwrap_or_else(|_| panic!("expected a status update ({what}) within {WAIT:?}"))
            .expect("the status stream stays open");
        if let Some(status) = update.status {
            return (update.pod, status);
        }
    }
}

#[tokio::test]
async fn starting_containers_are_reported_as_the_kubelets_events_even_before_a_watcher_attaches() {
    let mock = new_mock(Config::default());
    // Created before the host's stream attaches (as while it reconnects).
    mock.create_pod(pod("web", "u1")).await.expect("create");
    let mut updates = mock.watch_pod_status().await.expect("status stream");
    let (_, status) = next_update(&mut updates, "running").await;
    assert_eq!(phase(&status), "Running");
    let update = tokio::time::timeout(WAIT, updates.next())
        .await
        .expect("the events within the wait")
        .expect("the status stream stays open");
    let reasons: Vec<_> = update
        .events
        .iter()
        .map(|e| (e.reason.as_str(), e.container.as_deref()))
        .collect();
    assert_eq!(
        reasons,
        [("Created", Some("app")), ("Started", Some("app"))],
        "{:?}",
        update.events
    );
}

#[tokio::test]
async fn create_is_idempotent_per_uid_and_conflicts_on_another_uid() {
    let mock = new_mock(Config::default());
    mock.create_pod(pod("web", "u1"))
        .await
        .expect("first create");
    mock.create_pod(pod("web", "u1"))
        .await
        .expect("same uid again is OK");
    let error = mock
        .create_pod(pod("web", "u2"))
        .await
        .expect_err("other uid");
    assert!(matches!(error, ProviderError::AlreadyExists(_)), "{error}");
    assert_eq!(mock.pod_count(), 1);

    let held = mock.get_pod(&key("web", None)).await.expect("held");
    assert_eq!(held.metadata.uid.as_deref(), Some("u1"));
    let status = held.status.expect("status");
    assert_eq!(phase(&status), "Running");
    assert!(
        status
            .pod_ip
            .as_deref()
            .is_some_and(|ip| ip.starts_with("10.244."))
    );

    let error = mock
        .get_pod(&key("web", Some("u2")))
        .await
        .expect_err("uid mismatch");
    assert!(matches!(error, ProviderError::NotFound(_)), "{error}");
    assert!(mock.get_pod(&key("web", Some("u1"))).await.is_ok());
}

#[tokio::test]
async fn unheld_pods_are_not_found() {
    let mock = new_mock(Config::default());
    let not_found =
        |result: Result<(), ProviderError>| matches!(result, Err(ProviderError::NotFound(_)));
    assert!(not_found(mock.update_pod(pod("ghost", "u")).await));
    assert!(not_found(mock.delete_pod(pod("ghost", "u")).await));
    assert!(matches!(
        mock.get_pod(&key("ghost", None)).await,
        Err(ProviderError::NotFound(_))
    ));
    assert!(matches!(
        mock.get_pod_status(&key("ghost", None)).await,
        Err(ProviderError::NotFound(_))
    ));
    // Held under another uid: the delete is not for this pod.
    mock.create_pod(pod("web", "u1")).await.expect("create");
    assert!(not_found(mock.delete_pod(pod("web", "old")).await));
    assert!(not_found(mock.update_pod(pod("web", "old")).await));
    assert_eq!(mock.pod_count(), 1);
}

#[tokio::test]
async fn delete_terminates_then_forgets() {
    let mock = new_mock(Config::default());
    let mut updates = mock.watch_pod_status().await.expect("status stream");
    mock.create_pod(pod("web", "u1")).await.expect("create");
    let (_, status) = next_update(&mut updates, "running").await;
    assert_eq!(phase(&status), "Running");

    mock.delete_pod(pod("web", "u1")).await.expect("delete");
    let (pod_key, status) = next_update(&mut updates, "terminated").await;
    assert_eq!(pod_key.uid.as_deref(), Some("u1"));
    assert_eq!(phase(&status), "Succeeded");
    let state = status.container_statuses.expect("containers")[0]
        .state
        .clone()
        .expect("state");
    assert_eq!(
        state.terminated.expect("terminated").reason.as_deref(),
        Some("Completed")
    );

    assert!(matches!(
        mock.get_pod(&key("web", None)).await,
        Err(ProviderError::NotFound(_))
    ));
    assert!(mock.get_pods().await.expect("list").is_empty());
    // A new pod may take the name.
    mock.create_pod(pod("web", "u2")).await.expect("re-create");
}

#[tokio::test]
async fn delete_delay_keeps_the_terminated_pod_for_a_while() {
    let mock = new_mock(Config {
        delete_delay_ms: 200,
        ..Config::default()
    });
    mock.create_pod(pod("web", "u1")).await.expect("create");
    mock.delete_pod(pod("web", "u1")).await.expect("delete");
    mock.delete_pod(pod("web", "u1"))
        .await
        .expect("a repeated delete is OK");
    let status = mock
        .get_pod_status(&key("web", None))
        .await
        .expect("still held");
    assert_eq!(phase(&status), "Succeeded");
    let gone = tokio::time::timeout(WAIT, async {
        while mock.get_pod(&key("web", None)).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        gone.is_ok(),
        "the pod should be forgotten after delete_delay_ms"
    );
}

#[tokio::test]
async fn pods_start_after_the_start_delay_and_the_change_is_pushed() {
    let mock = new_mock(Config {
        start_delay_ms: 150,
        ..Config::default()
    });
    let mut updates = mock.watch_pod_status().await.expect("status stream");
    mock.create_pod(pod("slow", "u1")).await.expect("create");
    let (_, first) = next_update(&mut updates, "pending").await;
    assert_eq!(phase(&first), "Pending");
    assert_eq!(
        phase(
            &mock
                .get_pod_status(&key("slow", None))
                .await
                .expect("status")
        ),
        "Pending"
    );
    let (_, second) = next_update(&mut updates, "running after the delay").await;
    assert_eq!(phase(&second), "Running");
    let ready = second
        .conditions
        .expect("conditions")
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .expect("Ready condition");
    assert_eq!(ready.status, "True");
}

#[tokio::test]
async fn status_push_can_be_switched_off() {
    let mock = new_mock(Config {
        status_push: false,
        ..Config::default()
    });
    assert!(!mock.capabilities().contains(&Capability::PodStatusStream));
    assert!(matches!(
        mock.watch_pod_status().await,
        Err(ProviderError::Unsupported(_))
    ));
    let all = new_mock(Config::default()).capabilities();
    for capability in [
        Capability::PodStatusStream,
        Capability::ContainerLogs,
        Capability::Exec,
        Capability::Attach,
        Capability::PortForward,
        Capability::StatsSummary,
        Capability::MetricsResource,
        Capability::NodeInfo,
    ] {
        assert!(all.contains(&capability), "{capability:?}");
    }
}

#[tokio::test]
async fn fault_annotations_fail_until_removed() {
    let mock = new_mock(Config::default());
    let failing = annotated(
        pod("web", "u1"),
        "mock.vk-host.io/fail-create",
        "backend is down",
    );
    let error = mock.create_pod(failing).await.expect_err("injected");
    assert!(
        matches!(&error, ProviderError::Unavailable(m) if m == "backend is down"),
        "{error}"
    );
    let failing = annotated(pod("web", "u1"), "mock.vk-host.io/fail-create", "");
    let error = mock.create_pod(failing).await.expect_err("injected");
    assert!(
        error.to_string().contains("mock.vk-host.io/fail-create"),
        "{error}"
    );
    mock.create_pod(pod("web", "u1"))
        .await
        .expect("annotation removed");

    let stuck = annotated(pod("web", "u1"), "mock.vk-host.io/fail-delete", "");
    assert!(matches!(
        mock.delete_pod(stuck).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert!(mock.get_pod(&key("web", None)).await.is_ok());
    mock.delete_pod(pod("web", "u1"))
        .await
        .expect("annotation removed");
}

#[tokio::test]
async fn exit_code_annotation_ends_the_pod() {
    let mock = new_mock(Config::default());
    mock.create_pod(annotated(
        pod("job", "u1"),
        "mock.vk-host.io/exit-code",
        "0",
    ))
    .await
    .expect("create");
    assert_eq!(
        phase(
            &mock
                .get_pod_status(&key("job", None))
                .await
                .expect("status")
        ),
        "Succeeded"
    );

    mock.create_pod(annotated(
        pod("bad", "u2"),
        "mock.vk-host.io/exit-code",
        "3",
    ))
    .await
    .expect("create");
    let status = mock
        .get_pod_status(&key("bad", None))
        .await
        .expect("status");
    assert_eq!(phase(&status), "Failed");
    let terminated = status.container_statuses.expect("containers")[0]
        .state
        .clone()
        .and_then(|s| s.terminated)
        .expect("terminated");
    assert_eq!(
        (terminated.exit_code, terminated.reason.as_deref()),
        (3, Some("Error"))
    );

    let error = mock
        .create_pod(annotated(
            pod("odd", "u3"),
            "mock.vk-host.io/exit-code",
            "soon",
        ))
        .await
        .expect_err("not a number");
    assert!(
        matches!(error, ProviderError::InvalidArgument(_)),
        "{error}"
    );

    // Added later through UpdatePod, it stops a running pod now.
    let mut updates = mock.watch_pod_status().await.expect("status stream");
    mock.create_pod(pod("svc", "u4")).await.expect("create");
    let _ = next_update(&mut updates, "running").await;
    mock.update_pod(annotated(
        pod("svc", "u4"),
        "mock.vk-host.io/exit-code",
        "1",
    ))
    .await
    .expect("update");
    let (_, status) = next_update(&mut updates, "failed after the update").await;
    assert_eq!(phase(&status), "Failed");
}

#[tokio::test]
async fn update_stores_metadata_and_keeps_status() {
    let mock = new_mock(Config::default());
    mock.create_pod(pod("web", "u1")).await.expect("create");
    let before = mock
        .get_pod_status(&key("web", None))
        .await
        .expect("status");
    let mut changed = pod("web", "u1");
    changed.metadata.labels = Some(BTreeMap::from([("tier".to_owned(), "front".to_owned())]));
    mock.update_pod(changed).await.expect("update");
    let held = mock.get_pod(&key("web", None)).await.expect("held");
    assert_eq!(held.metadata.labels.expect("labels")["tier"], "front");
    assert_eq!(held.status.expect("status"), before);
    assert_eq!(mock.update_count(&key("web", None)), Some(1));
}

#[tokio::test]
async fn invalid_pods_are_refused() {
    let mock = new_mock(Config::default());
    let mut empty = pod("empty", "u1");
    empty.spec = Some(PodSpec::default());
    assert!(matches!(
        mock.create_pod(empty).await,
        Err(ProviderError::InvalidArgument(_))
    ));
}

async fn logs(mock: &MockProvider, request: LogsRequest) -> Result<String, ProviderError> {
    let mut stream = mock.container_logs(request).await?;
    let mut out = Vec::new();
    while let Some(chunk) = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("log chunk in time")
    {
        out.extend_from_slice(&chunk?);
    }
    Ok(String::from_utf8(out).expect("utf-8"))
}

#[tokio::test]
async fn logs_are_synthetic_and_honour_the_options() {
    let mock = new_mock(Config {
        log_interval_ms: 10,
        ..Config::default()
    });
    mock.create_pod(pod("web", "u1")).await.expect("create");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let request = |tail: Option<i64>, limit: Option<i64>, timestamps: bool| LogsRequest {
        pod: key("web", None),
        container: "app".into(),
        tail_lines: tail,
        limit_bytes: limit,
        timestamps,
        ..Default::default()
    };

    let all = logs(&mock, request(None, None, false)).await.expect("logs");
    let lines: Vec<&str> = all.lines().collect();
    assert!(lines.len() >= 10, "{all}");
    assert_eq!(lines[0], "default/web/app line 0");
    assert_eq!(lines[3], "default/web/app line 3");

    let tail = logs(&mock, request(Some(2), None, false))
        .await
        .expect("tail");
    assert_eq!(tail.lines().count(), 2);
    assert!(tail.ends_with('\n'));

    let limited = logs(&mock, request(None, Some(10), false))
        .await
        .expect("limit");
    assert_eq!(limited, "default/we");

    let stamped = logs(&mock, request(Some(1), None, true))
        .await
        .expect("timestamps");
    let (stamp, rest) = stamped.split_once(' ').expect("timestamp then text");
    assert_eq!(
        stamp.len(),
        "2026-11-25T12:00:00.000000000Z".len(),
        "{stamp}"
    );
    assert!(
        stamp.ends_with('Z') && rest.starts_with("default/web/app line "),
        "{stamped}"
    );

    let unknown = logs(
        &mock,
        LogsRequest {
            container: "nope".into(),
            ..request(None, None, false)
        },
    )
    .await;
    assert!(matches!(unknown, Err(ProviderError::NotFound(_))));
    let previous = logs(
        &mock,
        LogsRequest {
            previous: true,
            ..request(None, None, false)
        },
    )
    .await;
    assert!(matches!(previous, Err(ProviderError::NotFound(_))));
}

#[tokio::test]
async fn following_logs_end_when_the_pod_is_deleted() {
    let mock = new_mock(Config {
        log_interval_ms: 20,
        ..Config::default()
    });
    mock.create_pod(pod("web", "u1")).await.expect("create");
    let mut stream = mock
        .container_logs(LogsRequest {
            pod: key("web", None),
            container: "app".into(),
            follow: true,
            tail_lines: Some(0),
            ..Default::default()
        })
        .await
        .expect("follow");
    let chunk = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("a new line while following")
        .expect("open")
        .expect("chunk");
    assert!(chunk.starts_with(b"default/web/app line "));
    mock.delete_pod(pod("web", "u1")).await.expect("delete");
    let ended = tokio::time::timeout(WAIT, async { while stream.next().await.is_some() {} }).await;
    assert!(
        ended.is_ok(),
        "following should stop once the pod is deleted"
    );
}

struct Client {
    stdin: mpsc::Sender<Bytes>,
    stdout: mpsc::Receiver<Bytes>,
    stderr: mpsc::Receiver<Bytes>,
    _resize: mpsc::Sender<vk_plugin_sdk::proto::TerminalSize>,
}

fn new_session() -> (ExecSession, Client) {
    let (stdin_tx, stdin) = mpsc::channel(8);
    let (resize_tx, resize) = mpsc::channel(8);
    let (stdout, stdout_rx) = mpsc::channel(8);
    let (stderr, stderr_rx) = mpsc::channel(8);
    (
        ExecSession {
            stdin,
            resize,
            stdout,
            stderr,
        },
        Client {
            stdin: stdin_tx,
            stdout: stdout_rx,
            stderr: stderr_rx,
            _resize: resize_tx,
        },
    )
}

async fn read_all(rx: &mut mpsc::Receiver<Bytes>) -> String {
    let mut out = Vec::new();
    while let Some(data) = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("output in time")
    {
        out.extend_from_slice(&data);
    }
    String::from_utf8(out).expect("utf-8")
}

fn exec_request(command: &[&str], stdin: bool) -> ExecRequest {
    ExecRequest {
        pod: key("web", None),
        container: "app".into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        stdin,
        stdout: true,
        stderr: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn exec_attach_and_port_forward() {
    let mock = new_mock(Config::default());
    mock.create_pod(pod("web", "u1")).await.expect("create");

    let (session, mut client) = new_session();
    let status = mock
        .exec(exec_request(&["echo", "hello", "world"], false), session)
        .await
        .expect("echo");
    assert_eq!(status.code, 0);
    assert_eq!(read_all(&mut client.stdout).await, "hello world\n");

    let (session, _client) = new_session();
    let status = mock
        .exec(exec_request(&["sh", "-c", "exit 3"], false), session)
        .await
        .expect("exit");
    assert_eq!(status.code, 3);

    let (session, mut client) = new_session();
    let status = mock
        .exec(exec_request(&["env"], false), session)
        .await
        .expect("env");
    assert_eq!(status.code, 0);
    assert_eq!(read_all(&mut client.stdout).await, "GREETING=hello\n");

    let (session, mut client) = new_session();
    let run = tokio::spawn({
        let mock = mock.clone();
        async move { mock.exec(exec_request(&["cat"], true), session).await }
    });
    client
        .stdin
        .send(Bytes::from_static(b"ping"))
        .await
        .expect("stdin");
    drop(client.stdin);
    assert_eq!(read_all(&mut client.stdout).await, "ping");
    assert_eq!(read_all(&mut client.stderr).await, "");
    let status = run.await.expect("task").expect("cat");
    assert_eq!(status.code, 0);

    let (session, mut client) = new_session();
    let run = tokio::spawn({
        let mock = mock.clone();
        async move { mock.attach(exec_request(&[], true), session).await }
    });
    client
        .stdin
        .send(Bytes::from_static(b"attached"))
        .await
        .expect("stdin");
    drop(client.stdin);
    assert_eq!(read_all(&mut client.stdout).await, "attached");
    assert_eq!(run.await.expect("task").expect("attach").code, 0);

    let (to_pod, from_client) = mpsc::channel(8);
    let (to_client, mut from_pod) = mpsc::channel(8);
    let run = tokio::spawn({
        let mock = mock.clone();
        async move {
            mock.port_forward(
                key("web", None),
                8080,
                PortForwardConnection {
                    from_client,
                    to_client,
                },
            )
            .await
        }
    });
    to_pod
        .send(Bytes::from_static(b"GET /"))
        .await
        .expect("send");
    drop(to_pod);
    assert_eq!(read_all(&mut from_pod).await, "GET /");
    run.await.expect("task").expect("port-forward");

    let (session, _client) = new_session();
    let error = mock
        .exec(
            ExecRequest {
                container: "nope".into(),
                ..exec_request(&["true"], false)
            },
            session,
        )
        .await
        .expect_err("unknown container");
    assert!(matches!(error, ProviderError::NotFound(_)), "{error}");
}

#[tokio::test]
async fn attach_without_stdin_shows_new_log_lines_until_detached() {
    let mock = new_mock(Config {
        log_interval_ms: 10,
        ..Config::default()
    });
    mock.create_pod(pod("web", "u1")).await.expect("create");
    let (session, mut client) = new_session();
    let run = tokio::spawn({
        let mock = mock.clone();
        async move { mock.attach(exec_request(&[], false), session).await }
    });
    let first = tokio::time::timeout(WAIT, client.stdout.recv())
        .await
        .expect("output while attached")
        .expect("open");
    assert!(first.starts_with(b"default/web/app line "), "{first:?}");
    drop(client.stdout); // detach
    let status = tokio::time::timeout(WAIT, run)
        .await
        .expect("attach ends once the client detaches")
        .expect("task")
        .expect("attach");
    assert_eq!(status.code, 0);
}

#[tokio::test]
async fn a_session_ends_when_its_pod_is_deleted() {
    let mock = new_mock(Config::default());
    mock.create_pod(pod("web", "u1")).await.expect("create");
    let (session, client) = new_session();
    let run = tokio::spawn({
        let mock = mock.clone();
        async move {
            mock.exec(exec_request(&["sleep", "60"], false), session)
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    mock.delete_pod(pod("web", "u1")).await.expect("delete");
    let status = tokio::time::timeout(WAIT, run)
        .await
        .expect("exec ends after the pod is deleted")
        .expect("task")
        .expect("exec");
    assert_eq!(
        (status.code, status.reason.as_str()),
        (137, "ContainerStopped")
    );
    drop(client);
}

#[tokio::test]
async fn stats_node_info_and_probe() {
    let dir = std::env::temp_dir().join(format!("vk-mock-test-{}", std::process::id()));
    let mock = new_mock(Config {
        not_ready_file: Some(dir.clone()),
        ..Config::default()
    });
    mock.create_pod(pod("a", "u1")).await.expect("create");
    mock.create_pod(pod("b", "u2")).await.expect("create");

    let summary = mock.stats_summary().await.expect("summary");
    assert_eq!(summary.pods.len(), 2);
    let node = summary.node.expect("node");
    assert_eq!(
        node.memory.expect("memory").working_set_bytes,
        Some(2 * 16 * 1024 * 1024)
    );
    assert_eq!(node.cpu.expect("cpu").usage_nano_cores, Some(2_000_000));

    let metrics = mock.metrics_resource().await.expect("metrics");
    assert_eq!(metrics.containers.len(), 2);
    assert_eq!(metrics.containers[0].container, "app");

    let info = mock.node_info().await.expect("node info");
    assert_eq!(info.capacity["pods"], "1000");

    assert_eq!(mock.probe().await, Readiness::Ready);
    std::fs::write(&dir, b"").expect("create the not-ready file");
    let readiness = mock.probe().await;
    std::fs::remove_file(&dir).expect("remove the not-ready file");
    assert!(matches!(readiness, Readiness::NotReady(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_pods_concurrently() {
    let mock = new_mock(Config {
        start_delay_ms: 50,
        ..Config::default()
    });
    let mut updates = mock.watch_pod_status().await.expect("status stream");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let mock = mock.clone();
        tasks.spawn(async move {
            mock.create_pod(pod(&format!("p{i}"), &format!("u{i}")))
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("create");
    }
    assert_eq!(mock.pod_count(), 1000);
    let mut running = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        while running < 1000 {
            let (_, status) = next_update(&mut updates, "a pod starting").await;
            if phase(&status) == "Running" {
                running += 1;
            }
        }
    })
    .await
    .expect("all 1000 pods report Running");
    let pods = mock.get_pods().await.expect("list");
    assert_eq!(pods.len(), 1000);
    let names: Vec<_> = pods
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    assert!(
        names.windows(2).all(|w| w[0] <= w[1]),
        "GetPods is sorted by name"
    );
    let mut ips: Vec<_> = pods
        .iter()
        .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
        .collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 1000, "every pod gets its own IP");
}
