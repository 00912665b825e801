//! vk-cri-plugin end to end, container lifecycle as the kubelet runs it:
//! postStart hooks (exec and httpGet; the container is reported running
//! only once the hook returned; a failing hook kills the container, which
//! is restarted with `PostStartHookError`), preStop hooks (exec, httpGet,
//! sleep; bounded by the grace period) seen from outside the pod after
//! `kubectl delete` returns, and how containers end: termination messages
//! (file, custom path, 4096-byte cap, `FallbackToLogsOnError`),
//! `StartError` for a missing binary and `OOMKilled` under a memory limit.
//! The real vk-host, vk-cri-plugin, kube-apiserver and an isolated
//! containerd (`scripts/cri-env.sh up`). Needs root; when containerd cannot
//! start the test fails, it never skips.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use vk_tests::cluster::{Cluster, wait_for_ok};
use vk_tests::cri_node::{
    BUSYBOX, apply, container, cri_environment, delete_all_pods, exec_sh, loopback_cri_node, phase,
    pod, pod_events, start_loopback_cri, wait_pod,
};
use vk_tests::virtual_node::VirtualNode;

/// A shell loop that ends at once on SIGTERM (busybox `sleep` as PID 1
/// would ignore it and wait for the SIGKILL).
const TRAP_LOOP: &str = "trap 'exit 0' TERM; while true; do sleep 0.2; done";

/// An HTTP server on the node's loopback that answers 200 to anything and
/// remembers each request line: where httpGet hooks (`host: 127.0.0.1`,
/// sent by the plugin from the node's network namespace) are seen.
struct HookServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl HookServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the hook server");
        let port = listener.local_addr().expect("its address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buffer = [0_u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head);
                    let line = text.lines().next().unwrap_or_default().to_owned();
                    seen.lock().expect("requests").push(line);
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        Self {
            port,
            requests,
            task,
        }
    }

    fn saw(&self, path: &str) -> bool {
        let line = format!("GET {path} HTTP/1.1");
        self.requests.lock().expect("requests").contains(&line)
    }
}

impl Drop for HookServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `kubectl delete pod NAME` (which waits until the pod is gone); how long
/// it took.
async fn delete_timed(cluster: &Cluster, ns: &str, name: &str) -> Duration {
    let started = Instant::now();
    cluster
        .kubectl(&["delete", "pod", name, "-n", ns, "--timeout=60s"])
        .await
        .success();
    started.elapsed()
}

fn main_status(pod: &Value) -> Value {
    container(pod, "containerStatuses", "main")
}

/// `(reason, message)` of the events about container `main` of pod `name`,
/// as `kubectl get events` lists them.
async fn container_events(cluster: &Cluster, ns: &str, name: &str) -> Vec<(String, String)> {
    pod_events(cluster, ns, name)
        .await
        .into_iter()
        .filter(|(_, _, field)| field == "spec.containers{main}")
        .map(|(reason, message, _)| (reason, message))
        .collect()
}

/// Waits until pod `name`'s container `main` has every `(reason, message)`
/// event of `wanted`.
async fn wait_events(cluster: &Cluster, ns: &str, name: &str, wanted: &[(&str, &str)]) {
    wait_for_ok(
        Duration::from_secs(30),
        &format!("the events of {name}"),
        async || {
            let events = container_events(cluster, ns, name).await;
            let missing: Vec<_> = wanted
                .iter()
                .filter(|(r, m)| !events.iter().any(|(er, em)| er == r && em == m))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("missing {missing:?} in {events:?}"))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_lifecycle_hooks_run_like_the_kubelets() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, config) = cri_environment(
        "hooks",
        "127.0.0.1",
        "crash_loop_backoff_base_ms = 500\ncrash_loop_backoff_max_ms = 2000\n",
    );
    let out_dir = run_dir.join("hostpath-out");
    std::fs::create_dir_all(&out_dir).expect("create the hostPath directory");
    let setup = loopback_cri_node(cluster, "cri-hooks", &config);
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    let server = HookServer::start().await;
    let hook_port = server.port;
    eprintln!("hooks: node ready: {:?}", test_started.elapsed());

    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let trap = format!("    command: [\"sh\", \"-c\", \"{TRAP_LOOP}\"]\n");
    let manifests = [
        pod(
            &node,
            "post-start",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}{trap}    lifecycle:
      postStart:
        exec: {{command: [\"sh\", \"-c\", \"sleep 2; echo started-by-hook > /tmp/hook\"]}}
"
            ),
        ),
        pod(
            &node,
            "http-hooks",
            &format!(
                "  terminationGracePeriodSeconds: 30
  containers:
  - name: main
{image}{trap}    lifecycle:
      postStart:
        httpGet: {{host: 127.0.0.1, port: {hook_port}, path: /post-start}}
      preStop:
        httpGet: {{host: 127.0.0.1, port: {hook_port}, path: /pre-stop}}
"
            ),
        ),
        pod(
            &node,
            "post-start-fails",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}{trap}    lifecycle:
      postStart:
        exec: {{command: [\"sh\", \"-c\", \"sleep 2; echo hook-failed; exit 3\"]}}
"
            ),
        ),
        pod(
            &node,
            "pre-stop-exec",
            &format!(
                "  terminationGracePeriodSeconds: 30
  volumes:
  - name: out
    hostPath: {{path: {out}}}
  containers:
  - name: main
{image}{trap}    volumeMounts: [{{name: out, mountPath: /out}}]
    lifecycle:
      preStop:
        exec: {{command: [\"sh\", \"-c\", \"echo pre-stop-ran > /out/pre-stop-exec\"]}}
",
                out = out_dir.display()
            ),
        ),
        pod(
            &node,
            "pre-stop-sleep",
            &format!(
                "  terminationGracePeriodSeconds: 30
  containers:
  - name: main
{image}{trap}    lifecycle:
      preStop:
        sleep: {{seconds: 3}}
"
            ),
        ),
        pod(
            &node,
            "pre-stop-bounded",
            &format!(
                "  terminationGracePeriodSeconds: 3
  containers:
  - name: main
{image}    command: [\"sleep\", \"3600\"]
    lifecycle:
      preStop:
        exec: {{command: [\"sleep\", \"60\"]}}
"
            ),
        ),
    ];
    apply(cluster, &manifests.join("---\n")).await;

    // Watched at once and side by side, since each status lasts only so
    // long. postStart exec: the first status that shows the container
    // running comes after the hook (2 s) wrote its file. postStart httpGet:
    // received before the container is reported running. A failing
    // postStart hook: the container is killed and waits with
    // PostStartHookError and the kubelet's message (shown while the next
    // attempt's 2 s hook runs), then is restarted.
    let started_hooks = async {
        let running = wait_pod(
            cluster,
            &node,
            "post-start",
            "its container running",
            Duration::from_secs(60),
            |p| !main_status(p)["state"]["running"].is_null(),
        )
        .await;
        let seen = exec_sh(cluster, &ns, "post-start", "cat /tmp/hook").await;
        assert_eq!(
            seen.trim(),
            "started-by-hook",
            "running was reported before the postStart hook finished: {running}"
        );
        assert_eq!(main_status(&running)["restartCount"], 0, "{running}");
        eprintln!("hooks: postStart exec seen: {:?}", test_started.elapsed());
        let running = wait_pod(
            cluster,
            &node,
            "http-hooks",
            "its container running",
            Duration::from_secs(60),
            |p| !main_status(p)["state"]["running"].is_null(),
        )
        .await;
        assert!(
            server.saw("/post-start"),
            "no postStart request before Running: {:?} {running}",
            server.requests.lock().expect("requests")
        );
        assert!(!server.saw("/pre-stop"), "preStop ran early");
    };
    let hook_failed = wait_pod(
        cluster,
        &node,
        "post-start-fails",
        "waiting with PostStartHookError",
        Duration::from_secs(60),
        |p| main_status(p)["state"]["waiting"]["reason"] == "PostStartHookError",
    );
    let ((), failed) = tokio::join!(started_hooks, hook_failed);
    let waiting = &main_status(&failed)["state"]["waiting"];
    let message = waiting["message"].as_str().unwrap_or_default();
    let expected = format!(
        "Exec lifecycle hook ([sh -c sleep 2; echo hook-failed; exit 3]) for Container \"main\" in Pod \"post-start-fails_{ns}("
    );
    assert!(
        message.starts_with(&expected)
            && message.contains("exited with 3")
            && message.contains("hook-failed"),
        "{failed}"
    );
    assert!(
        !main_status(&failed)["lastState"]["terminated"].is_null(),
        "the killed instance is lastState: {failed}"
    );
    let restarted = wait_pod(
        cluster,
        &node,
        "post-start-fails",
        "restarted twice after its postStart hook failed",
        Duration::from_secs(60),
        |p| main_status(p)["restartCount"].as_i64().unwrap_or(0) >= 2,
    )
    .await;
    let state = &main_status(&restarted)["state"];
    let reason = state["waiting"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason == "PostStartHookError" || reason == "CrashLoopBackOff",
        "never running for long: {restarted}"
    );
    // The kubelet's events: the failure without the hook's output, and the
    // kill it caused.
    wait_events(
        cluster,
        &ns,
        "post-start-fails",
        &[
            ("FailedPostStartHook", "PostStartHook failed"),
            ("Killing", "FailedPostStartHook"),
        ],
    )
    .await;
    eprintln!(
        "hooks: postStart failure restarts: {:?}",
        test_started.elapsed()
    );

    // preStop hooks, deleted in parallel.
    for name in ["pre-stop-exec", "pre-stop-sleep", "pre-stop-bounded"] {
        wait_pod(
            cluster,
            &node,
            name,
            "Running",
            Duration::from_secs(60),
            |p| phase(p) == "Running",
        )
        .await;
    }
    let (exec_took, sleep_took, bounded_took, http_took) = tokio::join!(
        delete_timed(cluster, &ns, "pre-stop-exec"),
        delete_timed(cluster, &ns, "pre-stop-sleep"),
        delete_timed(cluster, &ns, "pre-stop-bounded"),
        delete_timed(cluster, &ns, "http-hooks"),
    );
    eprintln!(
        "hooks: deletions: exec {exec_took:?}, sleep 3 s {sleep_took:?}, bounded {bounded_took:?}, http {http_took:?}"
    );
    let written = std::fs::read_to_string(out_dir.join("pre-stop-exec"))
        .expect("the preStop exec hook wrote into the hostPath directory");
    assert_eq!(written, "pre-stop-ran\n");
    wait_events(
        cluster,
        &ns,
        "pre-stop-exec",
        &[("Killing", "Stopping container main")],
    )
    .await;
    assert!(
        server.saw("/pre-stop"),
        "no preStop request: {:?}",
        server.requests.lock().expect("requests")
    );
    // The sleep hook holds the deletion 3 s; the trapping container then
    // stops at once, well before its 30 s grace period.
    assert!(
        sleep_took >= Duration::from_secs(3) && sleep_took < Duration::from_secs(20),
        "preStop sleep 3 s: deletion took {sleep_took:?}"
    );
    // A 60 s hook is cut at the 3 s grace period, then SIGTERM is ignored
    // for the 2 s minimum: about 5 s, nowhere near 60.
    assert!(
        bounded_took >= Duration::from_secs(3) && bounded_took < Duration::from_secs(25),
        "preStop bounded by a 3 s grace period: deletion took {bounded_took:?}"
    );
    assert!(
        exec_took < Duration::from_secs(20) && http_took < Duration::from_secs(20),
        "fast preStop hooks: {exec_took:?}, {http_took:?}"
    );

    delete_all_pods(cluster, &ns, &run_dir).await;
    drop(server);
    drop(node);
    drop(env);
    eprintln!("hooks: total: {:?}", test_started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_exit_statuses_carry_termination_messages_and_reasons() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, node) = start_loopback_cri(cluster, "exits", "", test_started).await;
    let ns = node.namespace.clone();

    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let never = |name: &str, container: &str| {
        pod(
            &node,
            name,
            &format!(
                "  restartPolicy: Never
  containers:
  - name: main
{image}{container}"
            ),
        )
    };
    let manifests = [
        never(
            "message-file",
            "    command: [\"sh\", \"-c\", \"printf 'all done' > /dev/termination-log\"]\n",
        ),
        never(
            "message-path",
            "    terminationMessagePath: /tmp/why
    command: [\"sh\", \"-c\", \"printf 'custom path' > /tmp/why; exit 1\"]\n",
        ),
        never(
            "message-big",
            "    command: [\"sh\", \"-c\", \"head -c 5000 /dev/zero | tr '\\\\0' x > /dev/termination-log\"]\n",
        ),
        never(
            "fallback",
            "    terminationMessagePolicy: FallbackToLogsOnError
    command: [\"sh\", \"-c\", \"for i in $(seq 1 100); do echo line $i; done; exit 2\"]\n",
        ),
        never(
            "fallback-ok",
            "    terminationMessagePolicy: FallbackToLogsOnError
    command: [\"sh\", \"-c\", \"echo fine\"]\n",
        ),
        never(
            "fallback-file",
            "    terminationMessagePolicy: FallbackToLogsOnError
    command: [\"sh\", \"-c\", \"echo noise; printf 'the file wins' > /dev/termination-log; exit 1\"]\n",
        ),
        never("start-error", "    command: [\"/no/such/binary\"]\n"),
        never(
            "oom",
            "    command: [\"sh\", \"-c\", \"head -c 200m /dev/zero | tail\"]
    resources:
      limits: {memory: 32Mi}\n",
        ),
    ];
    apply(cluster, &manifests.join("---\n")).await;

    let terminated = async |name: &str| -> (Value, Value) {
        let pod = wait_pod(
            cluster,
            &node,
            name,
            "Succeeded or Failed",
            Duration::from_secs(60),
            |p| {
                matches!(phase(p), "Succeeded" | "Failed")
                    && !main_status(p)["state"]["terminated"].is_null()
            },
        )
        .await;
        let state = main_status(&pod)["state"]["terminated"].clone();
        (pod, state)
    };

    let (pod, state) = terminated("message-file").await;
    assert_eq!(state["message"], "all done", "{pod}");
    assert_eq!(state["reason"], "Completed", "{pod}");

    let (pod, state) = terminated("message-path").await;
    assert_eq!(state["message"], "custom path", "{pod}");
    assert_eq!(state["exitCode"], 1, "{pod}");

    let (pod, state) = terminated("message-big").await;
    assert_eq!(
        state["message"].as_str().map(str::len),
        Some(4096),
        "the message is capped at 4096 bytes: {pod}"
    );

    let (pod, state) = terminated("fallback").await;
    let lines: String = (21..=100).map(|i| format!("line {i}\n")).collect();
    assert_eq!(
        state["message"].as_str(),
        Some(lines.as_str()),
        "the last 80 log lines: {pod}"
    );
    assert_eq!(state["exitCode"], 2, "{pod}");

    let (pod, state) = terminated("fallback-ok").await;
    assert!(
        state["message"].is_null(),
        "no fallback after exit 0: {pod}"
    );

    let (pod, state) = terminated("fallback-file").await;
    assert_eq!(state["message"], "the file wins", "{pod}");

    // A binary that does not exist: containerd leaves the container exited
    // with StartError, 128 and runc's text; under Never the pod fails.
    let (pod, state) = terminated("start-error").await;
    assert_eq!(phase(&pod), "Failed", "{pod}");
    assert_eq!(state["reason"], "StartError", "{pod}");
    assert_eq!(state["exitCode"], 128, "{pod}");
    let message = state["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("/no/such/binary") && message.contains("no such file or directory"),
        "{pod}"
    );

    let (pod, state) = terminated("oom").await;
    assert_eq!(phase(&pod), "Failed", "{pod}");
    assert_eq!(state["reason"], "OOMKilled", "{pod}");
    assert_eq!(state["exitCode"], 137, "{pod}");
    eprintln!("exits: all checked: {:?}", test_started.elapsed());

    delete_all_pods(cluster, &ns, &run_dir).await;
    drop(node);
    drop(env);
    eprintln!("exits: total: {:?}", test_started.elapsed());
}
