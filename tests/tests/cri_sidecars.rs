//! vk-cri-plugin end to end: sidecar containers (init containers with
//! `restartPolicy: Always`, KEP-753) on a real containerd through the real
//! vk-host, a real kube-apiserver and kubectl. A sidecar starts before the
//! regular init container that reads its file, keeps running beside the main
//! container with its own probes, is restarted when it exits; a
//! `restartPolicy: Never` pod ends Succeeded by its main container although
//! its sidecar was running; deletion stops the main container first, then
//! the sidecars last first. Needs root; when containerd cannot start the
//! test fails, it never skips.

use std::os::unix::fs::PermissionsExt as _;
use std::time::{Duration, Instant};

use serde_json::Value;
use vk_tests::cluster::{Cluster, wait_for_ok};
use vk_tests::cri_node::{
    BUSYBOX, apply, condition_status, container, cri_environment, exec_sh, loopback_cri_node,
    phase, pod, wait_pod,
};
use vk_tests::virtual_node::VirtualNode;

fn running(status: &Value) -> bool {
    status["state"]["running"].is_object()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_runs_sidecars() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, config) = cri_environment(
        "sidecars",
        "127.0.0.1",
        "crash_loop_backoff_base_ms = 500\ncrash_loop_backoff_max_ms = 2000\n",
    );
    // The containers write here when they get SIGTERM: the stop order.
    let order_dir = run_dir.join("order");
    std::fs::create_dir_all(&order_dir).expect("create the order directory");
    std::fs::set_permissions(&order_dir, std::fs::Permissions::from_mode(0o777))
        .expect("chmod the order directory");
    let setup = loopback_cri_node(cluster, "cri-sidecars", &config);
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    eprintln!("sidecars: node ready: {:?}", test_started.elapsed());

    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let mounts = "    volumeMounts:
    - {name: shared, mountPath: /shared}
    - {name: order, mountPath: /order}
";
    let manifests = [
        pod(
            &node,
            "sidecar",
            &format!(
                "  terminationGracePeriodSeconds: 10
  volumes:
  - name: shared
    emptyDir: {{}}
  - name: order
    hostPath: {{path: {order}}}
  initContainers:
  - name: side
{image}    restartPolicy: Always
    command: [\"sh\", \"-c\", \"echo side > /shared/x; trap 'echo side >> /order/log; exit 0' TERM; while [ ! -e /shared/stop ]; do sleep 0.2; done; rm -f /shared/stop; exit 1\"]
    startupProbe:
      exec: {{command: [\"test\", \"-e\", \"/shared/x\"]}}
      periodSeconds: 1
    readinessProbe:
      exec: {{command: [\"cat\", \"/shared/x\"]}}
      periodSeconds: 1
{mounts}  - name: check
{image}    command: [\"sh\", \"-c\", \"cat /shared/x && echo checked > /shared/checked\"]
{mounts}  - name: logger
{image}    restartPolicy: Always
    command: [\"sh\", \"-c\", \"trap 'echo logger >> /order/log; exit 0' TERM; while true; do sleep 0.2; done\"]
{mounts}  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"cat /shared/checked; trap 'echo main >> /order/log; exit 0' TERM; while true; do sleep 0.2; done\"]
{mounts}",
                order = order_dir.display(),
            ),
        ),
        pod(
            &node,
            "job",
            &format!(
                "  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  initContainers:
  - name: side
{image}    restartPolicy: Always
    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"sleep 2; echo job done\"]
"
            ),
        ),
    ];
    apply(cluster, &manifests.join("---\n")).await;

    // The sidecar started (its startup probe passed) before `check` read its
    // file; the main container runs beside the sidecars; all ready.
    let sidecar = wait_pod(
        cluster,
        &node,
        "sidecar",
        "Running and Ready with its sidecars",
        Duration::from_secs(40),
        |p| phase(p) == "Running" && condition_status(p, "Ready") == "True",
    )
    .await;
    eprintln!("sidecars: pod Ready: {:?}", test_started.elapsed());
    let side = container(&sidecar, "initContainerStatuses", "side");
    assert!(running(&side), "sidecar status {side}");
    assert_eq!(side["started"], true, "{side}");
    assert_eq!(side["ready"], true, "{side}");
    assert_eq!(side["restartCount"], 0, "{side}");
    let check = container(&sidecar, "initContainerStatuses", "check");
    assert_eq!(
        check["state"]["terminated"]["exitCode"], 0,
        "check read the sidecar's file on its first run: {check}"
    );
    assert_eq!(check["restartCount"], 0, "{check}");
    let logger = container(&sidecar, "initContainerStatuses", "logger");
    assert!(running(&logger) && logger["started"] == true, "{logger}");
    let main = container(&sidecar, "containerStatuses", "main");
    assert!(running(&main), "{main}");
    let main_id = main["containerID"].clone();
    for type_ in ["Initialized", "ContainersReady", "Ready"] {
        assert_eq!(condition_status(&sidecar, type_), "True", "{type_}");
    }
    // main's first output may reach its log file just after it runs.
    wait_for_ok(
        Duration::from_secs(30),
        "main's log to show the check",
        async || {
            let logs = cluster
                .kubectl(&["logs", "sidecar", "-n", &ns, "-c", "main"])
                .await
                .success()
                .stdout;
            if logs.contains("checked") {
                Ok(())
            } else {
                Err(format!("main's log: {logs:?}"))
            }
        },
    )
    .await;

    // The sidecar exits (exit 1): restarted beside the running main container.
    exec_sh(cluster, &ns, "sidecar", "touch /shared/stop").await;
    let restarted = wait_pod(
        cluster,
        &node,
        "sidecar",
        "the sidecar restarted once and started again",
        Duration::from_secs(20),
        |p| {
            let side = container(p, "initContainerStatuses", "side");
            side["restartCount"] == 1 && running(&side) && side["started"] == true
        },
    )
    .await;
    eprintln!("sidecars: sidecar restarted: {:?}", test_started.elapsed());
    let side = container(&restarted, "initContainerStatuses", "side");
    assert_eq!(
        side["lastState"]["terminated"]["exitCode"], 1,
        "the exited sidecar instance: {side}"
    );
    let main = container(&restarted, "containerStatuses", "main");
    assert_eq!(main["containerID"], main_id, "main kept running: {main}");
    assert_eq!(main["restartCount"], 0, "{main}");
    assert_eq!(phase(&restarted), "Running");

    // restartPolicy Never: the main container's exit 0 ends the pod
    // Succeeded; its running sidecar is then stopped, not restarted.
    let job = wait_pod(
        cluster,
        &node,
        "job",
        "Succeeded with its sidecar stopped",
        Duration::from_secs(30),
        |p| phase(p) == "Succeeded",
    )
    .await;
    eprintln!("sidecars: job Succeeded: {:?}", test_started.elapsed());
    let main = container(&job, "containerStatuses", "main");
    assert_eq!(main["state"]["terminated"]["exitCode"], 0, "{main}");
    let side = container(&job, "initContainerStatuses", "side");
    assert!(side["state"]["terminated"].is_object(), "{side}");
    assert_eq!(side["restartCount"], 0, "{side}");
    assert_eq!(condition_status(&job, "Ready"), "False");

    // Deletion: the main container first, then the sidecars, last first.
    let started = Instant::now();
    cluster
        .kubectl(&["delete", "pod", "sidecar", "-n", &ns, "--timeout=60s"])
        .await
        .success();
    eprintln!("sidecars: delete took {:?}", started.elapsed());
    let log = order_dir.join("log");
    let order = wait_for_ok(Duration::from_secs(10), "the stop order", async || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.lines().count() >= 3 {
            Ok(text)
        } else {
            Err(format!("{} holds {text:?}", log.display()))
        }
    })
    .await;
    assert_eq!(
        order.lines().collect::<Vec<_>>(),
        ["main", "logger", "side"],
        "stop order"
    );

    cluster
        .kubectl(&["delete", "pods", "--all", "-n", &ns, "--timeout=60s"])
        .await
        .success();
    drop(node);
    drop(env);
    assert!(
        !run_dir.exists(),
        "run directory {} is left",
        run_dir.display()
    );
    eprintln!("sidecars: done in {:?}", test_started.elapsed());
}
