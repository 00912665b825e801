//! vk-cri-plugin end to end, `kubectl debug` as under the kubelet:
//! an ephemeral container added to a running pod starts, joins its target
//! container's process namespace (`--target`), shows in
//! `ephemeralContainerStatuses`, has logs and takes `kubectl exec`;
//! `kubectl debug -i` attaches to a new one and answers its input; an
//! ephemeral container that exits is never restarted and the pod keeps
//! running. The real vk-host, vk-cri-plugin, kube-apiserver, kubectl and an
//! isolated containerd (`scripts/cri-env.sh up`). Needs root; when
//! containerd cannot start the test fails, it never skips.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use vk_tests::cri_node::{
    BUSYBOX, apply, container, delete_all_pods, phase, pod, start_loopback_cri, wait_pod,
};

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
    let (env, run_dir, node) = start_loopback_cri(cluster, "debug", "", test_started).await;
    let ns = node.namespace.clone();

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

    // kubectl debug -i: attached to a new shell that answers a line of
    // input, then exits 3. The input stays open until the answer came:
    // containerd ends an attach's output at the end of its input (as under
    // the kubelet), so a closed pipe could race the answer.
    let mut debug = tokio::process::Command::new(cluster.kubectl_path())
        .arg("--kubeconfig")
        .arg(cluster.admin_kubeconfig())
        .args(["debug", "-i", "app", "-n", &ns, "-c", "shell"])
        .arg(format!("--image={BUSYBOX}"))
        .args(["--", "sh"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("kubectl debug -i starts");
    let mut input = debug.stdin.take().expect("its stdin");
    let mut output = debug.stdout.take().expect("its stdout");
    input
        .write_all(b"echo from-debug-$((6 * 7))\n")
        .await
        .expect("write a command");
    let mut seen = Vec::new();
    let answered = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buffer = [0_u8; 1024];
        while !String::from_utf8_lossy(&seen).contains("from-debug-42") {
            match output.read(&mut buffer).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
        true
    })
    .await;
    assert_eq!(
        answered,
        Ok(true),
        "kubectl debug -i output: {:?}\nhost log tail:\n{}",
        String::from_utf8_lossy(&seen),
        node.log_tail()
    );
    input.write_all(b"exit 3\n").await.expect("write exit");
    drop(input);
    tokio::time::timeout(Duration::from_secs(30), debug.wait())
        .await
        .expect("kubectl debug -i ends after the shell exits")
        .expect("kubectl debug -i");
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

    // A target that is not running (it finished, under Never): the
    // debugger waits with the kubelet's CreateContainerConfigError.
    apply(
        cluster,
        &pod(
            &node,
            "finished",
            &format!(
                "  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"{MAIN}\"]
  - name: done
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"true\"]
"
            ),
        ),
    )
    .await;
    wait_pod(
        cluster,
        &node,
        "finished",
        "done terminated, main running",
        Duration::from_secs(60),
        |p| {
            container(p, "containerStatuses", "done")["state"]["terminated"].is_object()
                && container(p, "containerStatuses", "main")["state"]["running"].is_object()
        },
    )
    .await;
    cluster
        .kubectl(&[
            "debug",
            "finished",
            "-n",
            &ns,
            "-c",
            "late",
            &format!("--image={BUSYBOX}"),
            "--target=done",
            "--",
            "sh",
        ])
        .await
        .success();
    let refused = wait_pod(
        cluster,
        &node,
        "finished",
        "late waiting for its target",
        Duration::from_secs(60),
        |p| ephemeral(p, "late")["state"]["waiting"]["reason"] == "CreateContainerConfigError",
    )
    .await;
    let late = ephemeral(&refused, "late");
    assert_eq!(
        late["state"]["waiting"]["message"], "unable to find target container done",
        "{late}"
    );
    assert_eq!(phase(&refused), "Running", "{refused}");
    eprintln!(
        "debug: target not running checked: {:?}",
        test_started.elapsed()
    );

    delete_all_pods(cluster, &ns, &run_dir).await;
    drop(node);
    drop(env);
    eprintln!("debug: total: {:?}", test_started.elapsed());
}
