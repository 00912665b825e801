//! vk-cri-plugin end to end, `kubectl debug` as under the kubelet:
//! an ephemeral container added to a running pod starts, joins its target
//! container's process namespace (`--target`), shows in
//! `ephemeralContainerStatuses`, has logs and takes `kubectl exec`;
//! `kubectl debug -i` attaches to a new one and reads piped input; an
//! ephemeral container that exits is never restarted and the pod keeps
//! running. The real vk-host, vk-cri-plugin, kube-apiserver, kubectl and an
//! isolated containerd (`scripts/cri-env.sh up`). Needs root; when
//! containerd cannot start the test fails, it never skips.

use std::time::{Duration, Instant};

use serde_json::Value;
use vk_tests::cluster::Identity;
use vk_tests::cri_node::{
    BUSYBOX, apply, container, cri_environment, loopback_cri_node, phase, pod, wait_all_forgotten,
    wait_pod,
};
use vk_tests::virtual_node::VirtualNode;

/// The target's command line carries a marker that only a process in its
/// PID namespace can see with `ps`.
const MAIN: &str = ": main-marker; trap 'exit 0' TERM; while true; do sleep 0.2; done";

fn ephemeral(pod: &Value, name: &str) -> Value {
    container(pod, "ephemeralContainerStatuses", name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kubectl_debug_adds_ephemeral_containers_to_a_running_pod() {
    let test_started = Instant::now();
    let cluster = vk_tests::cluster::Cluster::shared();
    let (env, run_dir, config) = cri_environment("debug", "127.0.0.1", "");
    let setup = loopback_cri_node(cluster, "cri-debug", &config);
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    eprintln!("debug: node ready: {:?}", test_started.elapsed());

    apply(
        cluster,
        &pod(
            &node,
            "app",
            &format!(
                "  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"{MAIN}\"]
"
            ),
        ),
    )
    .await;
    let running = wait_pod(
        cluster,
        &node,
        "app",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    let main_id = container(&running, "containerStatuses", "main")["containerID"].clone();

    // kubectl debug --target: a long-running debugger beside main.
    cluster
        .kubectl(&[
            "debug",
            "app",
            "-n",
            &ns,
            "-c",
            "debugger",
            &format!("--image={BUSYBOX}"),
            "--target=main",
            "--",
            "sh",
            "-c",
            "echo debugger-up; trap 'exit 0' TERM; while true; do sleep 0.2; done",
        ])
        .await
        .success();
    let debugged = wait_pod(
        cluster,
        &node,
        "app",
        "debugger running",
        Duration::from_secs(60),
        |p| ephemeral(p, "debugger")["state"]["running"].is_object(),
    )
    .await;
    let debugger = ephemeral(&debugged, "debugger");
    assert_eq!(debugger["ready"], false, "{debugger}");
    assert!(
        debugger["containerID"]
            .as_str()
            .is_some_and(|id| id.starts_with("containerd://")),
        "{debugger}"
    );
    assert_eq!(phase(&debugged), "Running");
    // main is untouched: same instance, still ready.
    let main = container(&debugged, "containerStatuses", "main");
    assert_eq!(main["containerID"], main_id, "{main}");
    assert_eq!(main["ready"], true, "{main}");
    eprintln!("debug: debugger running: {:?}", test_started.elapsed());

    // Its PID namespace is main's: ps shows main's marker.
    let processes = cluster
        .kubectl(&["exec", "app", "-n", &ns, "-c", "debugger", "--", "ps"])
        .await
        .success()
        .stdout;
    assert!(
        processes.contains("main-marker"),
        "ps in the debugger shows main's processes: {processes}"
    );
    let logs = cluster
        .kubectl(&["logs", "app", "-n", &ns, "-c", "debugger"])
        .await
        .success()
        .stdout;
    assert_eq!(logs, "debugger-up\n");

    // kubectl debug -i: attached to a new shell that reads piped input,
    // then exits 3.
    let interactive = cluster
        .kubectl_stdin(
            Identity::Admin,
            &[
                "debug",
                "-i",
                "app",
                "-n",
                &ns,
                "-c",
                "shell",
                &format!("--image={BUSYBOX}"),
                "--",
                "sh",
            ],
            Some("echo from-debug-$((6 * 7))\nexit 3\n"),
        )
        .await;
    assert!(
        interactive.stdout.contains("from-debug-42"),
        "kubectl debug -i output: {:?} (stderr {:?})",
        interactive.stdout,
        interactive.stderr
    );
    let finished = wait_pod(
        cluster,
        &node,
        "app",
        "shell terminated",
        Duration::from_secs(60),
        |p| ephemeral(p, "shell")["state"]["terminated"].is_object(),
    )
    .await;
    assert_eq!(
        ephemeral(&finished, "shell")["state"]["terminated"]["exitCode"],
        3,
        "{finished}"
    );
    // Never restarted: after several relists it is still the one instance.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = wait_pod(
        cluster,
        &node,
        "app",
        "still Running",
        Duration::from_secs(10),
        |p| phase(p) == "Running",
    )
    .await;
    let shell = ephemeral(&later, "shell");
    assert_eq!(shell["restartCount"], 0, "{shell}");
    assert_eq!(shell["state"]["terminated"]["exitCode"], 3, "{shell}");
    assert!(ephemeral(&later, "debugger")["state"]["running"].is_object());
    eprintln!("debug: checked: {:?}", test_started.elapsed());

    cluster
        .kubectl(&["delete", "pod", "app", "-n", &ns, "--timeout=60s"])
        .await
        .success();
    wait_all_forgotten(&run_dir).await;
    drop(node);
    drop(env);
    eprintln!("debug: total: {:?}", test_started.elapsed());
}
