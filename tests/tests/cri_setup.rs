//! vk-cri-plugin end to end, a pod whose set-up fails before any container
//! starts, as `kubectl describe pod` shows it under the kubelet: a Secret
//! volume whose Secret does not exist yet (`FailedMount`, retried with a
//! growing back-off, Running once the Secret exists) and a sandbox the
//! runtime refuses to run (`FailedCreatePodSandBox`, retried every 10 s).
//! The real vk-host, vk-cri-plugin, kube-apiserver and an isolated
//! containerd (`scripts/cri-env.sh up`). Needs root; when containerd cannot
//! start the test fails, it never skips.

use std::time::{Duration, Instant};

use serde_json::Value;
use vk_tests::cluster::{Cluster, wait_for_ok};
use vk_tests::cri_node::{
    BUSYBOX, apply, container, delete_all_pods, exec_sh, phase, pod, pod_event_items,
    start_loopback_cri, wait_described, wait_pod,
};

/// A container that runs until stopped.
const LOOP: &str = "trap 'exit 0' TERM; while true; do sleep 0.2; done";

/// `(message, occurrences)` of each event of pod `name` with `reason`, as
/// `kubectl get events` lists them: a note repeated on one object is one
/// Event whose `series.count` counts the occurrences (as `kubectl
/// describe` shows `x3 over 2m`).
async fn events_with_reason(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    reason: &str,
) -> Vec<(String, u64)> {
    pod_event_items(cluster, ns, name, &format!(",reason={reason}"))
        .await
        .iter()
        .map(|e| {
            (
                e["message"].as_str().unwrap_or_default().to_owned(),
                e["series"]["count"].as_u64().unwrap_or(1),
            )
        })
        .collect()
}

/// Waits until pod `name` has an event with `reason` and at least
/// `attempts` occurrences in all; its events.
async fn wait_attempts(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    reason: &str,
    attempts: u64,
) -> Vec<(String, u64)> {
    wait_for_ok(
        Duration::from_secs(60),
        &format!("{attempts} {reason} events about {name}"),
        async || {
            let events = events_with_reason(cluster, ns, name, reason).await;
            if events.iter().map(|(_, n)| n).sum::<u64>() >= attempts {
                Ok(events)
            } else {
                Err(format!("events: {events:?}"))
            }
        },
    )
    .await
}

fn waiting(pod: &Value) -> (String, String) {
    let state = &container(pod, "containerStatuses", "main")["state"]["waiting"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (text(&state["reason"]), text(&state["message"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_set_up_failures_are_shown_and_retried_with_back_off() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, node) = start_loopback_cri(cluster, "setup", "", test_started).await;
    let ns = node.namespace.clone();

    let main_container = format!(
        "  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"{LOOP}\"]
"
    );
    apply(
        cluster,
        &pod(
            &node,
            "missing-secret",
            &format!(
                "  terminationGracePeriodSeconds: 1
  volumes:
  - name: data
    secret: {{secretName: later}}
{main_container}    volumeMounts:
    - {{name: data, mountPath: /etc/later}}
"
            ),
        ),
    )
    .await;
    // The kernel has no such sysctl: runc cannot start the pause container.
    apply(
        cluster,
        &pod(
            &node,
            "bad-sandbox",
            &format!(
                "  terminationGracePeriodSeconds: 1
  securityContext:
    sysctls:
    - {{name: net.ipv4.vk_no_such_sysctl, value: \"1\"}}
{main_container}"
            ),
        ),
    )
    .await;
    let applied = Instant::now();

    // FailedMount: the kubelet's message, the container waits in
    // ContainerCreating with it.
    let mounts = wait_attempts(cluster, &ns, "missing-secret", "FailedMount", 2).await;
    let (message, _) = &mounts[0];
    assert!(
        message.starts_with("MountVolume.SetUp failed for volume \"data\" : ")
            && message.contains("later")
            && message.contains("not found"),
        "FailedMount message: {message}"
    );
    let pod_now = wait_pod(
        cluster,
        &node,
        "missing-secret",
        "waiting in ContainerCreating",
        Duration::from_secs(30),
        |p| waiting(p).0 == "ContainerCreating",
    )
    .await;
    assert_eq!(phase(&pod_now), "Pending", "{pod_now}");
    assert!(waiting(&pod_now).1.contains("later"), "{pod_now}");

    // FailedCreatePodSandBox: runtime's error in grpc-go's form, retried.
    let sandboxes = wait_attempts(cluster, &ns, "bad-sandbox", "FailedCreatePodSandBox", 2).await;
    let (message, _) = &sandboxes[0];
    assert!(
        message.starts_with("Failed to create pod sandbox: rpc error: code = ")
            && message.contains("vk_no_such_sysctl"),
        "FailedCreatePodSandBox message: {message}"
    );
    let bad = wait_pod(
        cluster,
        &node,
        "bad-sandbox",
        "waiting in ContainerCreating",
        Duration::from_secs(30),
        |p| waiting(p).0 == "ContainerCreating",
    )
    .await;
    assert_eq!(phase(&bad), "Pending", "{bad}");
    wait_described(cluster, &ns, "bad-sandbox", &["FailedCreatePodSandBox"]).await;

    // Let a few more retries pass: they back off instead of following the
    // 200 ms relist (which would have made about 5 attempts a second).
    tokio::time::sleep(Duration::from_secs(12)).await;
    let elapsed = applied.elapsed();
    let total = |events: &[(String, u64)]| events.iter().map(|(_, n)| n).sum::<u64>();
    let mount_attempts =
        total(&events_with_reason(cluster, &ns, "missing-secret", "FailedMount").await);
    let sandbox_attempts =
        total(&events_with_reason(cluster, &ns, "bad-sandbox", "FailedCreatePodSandBox").await);
    eprintln!(
        "setup: after {elapsed:?}: {mount_attempts} FailedMount, {sandbox_attempts} FailedCreatePodSandBox"
    );
    // Volumes: one at once, then 0.5 s after each failure, doubling (about
    // log2(elapsed / 0.5 s) + 1 in all; one more allowed).
    let doubling_bound = 3 + (elapsed.as_secs_f64() / 0.5).log2().ceil() as u64;
    assert!(
        (2..=doubling_bound).contains(&mount_attempts),
        "FailedMount attempts after {elapsed:?}: {mount_attempts} (at most {doubling_bound})"
    );
    // Sandbox: at once, then every 10 s (one more allowed).
    let every_ten_bound = 3 + elapsed.as_secs() / 10;
    assert!(
        (2..=every_ten_bound).contains(&sandbox_attempts),
        "FailedCreatePodSandBox attempts after {elapsed:?}: {sandbox_attempts} (at most {every_ten_bound})"
    );

    // The Secret appears: the pod runs at its next retry and sees it.
    cluster
        .kubectl(&[
            "create",
            "secret",
            "generic",
            "later",
            "-n",
            &ns,
            "--from-literal=key=arrived",
        ])
        .await
        .success();
    let running = wait_pod(
        cluster,
        &node,
        "missing-secret",
        "Running once the Secret exists",
        Duration::from_secs(90),
        |p| phase(p) == "Running",
    )
    .await;
    assert_eq!(
        container(&running, "containerStatuses", "main")["restartCount"],
        0,
        "{running}"
    );
    assert_eq!(
        exec_sh(cluster, &ns, "missing-secret", "cat /etc/later/key").await,
        "arrived"
    );
    eprintln!("setup: checked: {:?}", test_started.elapsed());

    delete_all_pods(cluster, &ns, &run_dir).await;
    drop(node);
    drop(env);
    eprintln!("setup: total: {:?}", test_started.elapsed());
}
