//! vk-cri-plugin end to end, issue 12 item 3: a restarted container sees
//! the environment as it is now, as with the kubelet, which resolves env at
//! every container start. A container prints a variable from a ConfigMap
//! key (in `env` and through `$(URL)` in its args) and exits, and is
//! restarted (`restartPolicy: Always`); after `kubectl patch` of the
//! ConfigMap the next instance prints the new value. With the key removed
//! the container waits with `CreateContainerConfigError` and the kubelet's
//! message (a `Failed` event `Error: ...`), and runs again once the key is
//! back. The real vk-host, vk-cri-plugin, kube-apiserver and an isolated
//! containerd (`scripts/cri-env.sh up`). Needs root; when containerd cannot
//! start the test fails, it never skips.

use std::time::{Duration, Instant};

use serde_json::Value;
use vk_tests::cluster::{Cluster, wait_for_ok};
use vk_tests::cri_node::{
    BUSYBOX, apply, container, delete_all_pods, pod, pod_events, start_loopback_cri, wait_pod,
};

fn main_status(pod: &Value) -> Value {
    container(pod, "containerStatuses", "main")
}

/// Waits until `kubectl logs printer` (the newest instance) shows `url`
/// both from the env and from the expanded args.
async fn wait_logs(cluster: &Cluster, ns: &str, url: &str) -> String {
    let wanted = [format!("env={url}"), format!("arg={url}")];
    wait_for_ok(
        Duration::from_secs(60),
        &format!("kubectl logs printer to show {wanted:?}"),
        async || {
            let out = cluster.kubectl(&["logs", "printer", "-n", ns]).await;
            if out.status.success() && wanted.iter().all(|w| out.stdout.contains(w.as_str())) {
                Ok(out.stdout)
            } else {
                Err(format!("stdout {:?}, stderr {:?}", out.stdout, out.stderr))
            }
        },
    )
    .await
}

async fn patch_config_map(cluster: &Cluster, ns: &str, kind: &str, patch: &str) {
    cluster
        .kubectl(&[
            "patch",
            "configmap",
            "app",
            "-n",
            ns,
            "--type",
            kind,
            "-p",
            patch,
        ])
        .await
        .success();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_restarted_containers_see_the_current_env() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, node) = start_loopback_cri(
        cluster,
        "restart-env",
        "crash_loop_backoff_base_ms = 500\ncrash_loop_backoff_max_ms = 2000\n",
        test_started,
    )
    .await;
    let ns = node.namespace.clone();
    let config_map = format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: {ns}
data:
  url: first
"
    );
    apply(cluster, &config_map).await;
    let spec = format!(
        "  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"echo env=$URL; echo arg=$0; sleep 1\", \"$(URL)\"]
    env:
    - name: URL
      valueFrom:
        configMapKeyRef: {{name: app, key: url}}
"
    );
    apply(cluster, &pod(&node, "printer", &spec)).await;
    let first = wait_logs(cluster, &ns, "first").await;
    eprintln!(
        "restart-env: first instance printed {first:?}: {:?}",
        test_started.elapsed()
    );

    // Patched: the next instance (a restart) prints the new value. The
    // pod's own env (resolved by the host at CreatePod) still says
    // `first`; only resolving again at the start can show `second`.
    patch_config_map(cluster, &ns, "merge", r#"{"data":{"url":"second"}}"#).await;
    wait_logs(cluster, &ns, "second").await;
    let restarted = wait_pod(
        cluster,
        &node,
        "printer",
        "restarted at least once",
        Duration::from_secs(30),
        |pod| main_status(pod)["restartCount"].as_i64().unwrap_or(0) >= 1,
    )
    .await;
    eprintln!(
        "restart-env: restarted with the new value (restartCount {}): {:?}",
        main_status(&restarted)["restartCount"],
        test_started.elapsed()
    );

    // The key removed: the container cannot be configured and waits with
    // the kubelet's reason and message.
    patch_config_map(
        cluster,
        &ns,
        "json",
        r#"[{"op":"remove","path":"/data/url"}]"#,
    )
    .await;
    let message = format!("couldn't find key url in ConfigMap {ns}/app");
    let waiting = wait_pod(
        cluster,
        &node,
        "printer",
        "container main waiting with CreateContainerConfigError",
        Duration::from_secs(60),
        |pod| {
            let waiting = &main_status(pod)["state"]["waiting"];
            waiting["reason"] == "CreateContainerConfigError" && waiting["message"] == message
        },
    )
    .await;
    assert_eq!(
        main_status(&waiting)["ready"],
        false,
        "not ready while it cannot start: {waiting}"
    );
    let expected_event = format!("Error: {message}");
    wait_for_ok(
        Duration::from_secs(30),
        &format!("a Failed event {expected_event:?} about container main"),
        async || {
            let events = pod_events(cluster, &ns, "printer").await;
            if events.iter().any(|(reason, text, field)| {
                reason == "Failed" && *text == expected_event && field == "spec.containers{main}"
            }) {
                Ok(())
            } else {
                Err(format!("{events:?}"))
            }
        },
    )
    .await;
    // It stays so: retried, never started with the old value.
    let restarts = main_status(&waiting)["restartCount"].clone();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let still = wait_pod(
        cluster,
        &node,
        "printer",
        "still waiting",
        Duration::from_secs(5),
        |pod| main_status(pod)["state"]["waiting"].is_object(),
    )
    .await;
    assert_eq!(
        main_status(&still)["restartCount"],
        restarts,
        "no instance started without the key: {still}"
    );
    eprintln!(
        "restart-env: waiting with CreateContainerConfigError: {:?}",
        test_started.elapsed()
    );

    // Back: a retry starts it with the value now there.
    patch_config_map(cluster, &ns, "merge", r#"{"data":{"url":"third"}}"#).await;
    wait_logs(cluster, &ns, "third").await;
    eprintln!(
        "restart-env: running again with the key back: {:?}",
        test_started.elapsed()
    );

    // The plugin asked the host, and the host's audit names the container.
    let log = node.host.log();
    assert!(
        log.lines().any(|line| line.contains("vk_host::audit")
            && line.contains("GetContainerEnv")
            && line.contains("env of container main")),
        "no GetContainerEnv audit line in the host log"
    );

    delete_all_pods(cluster, &ns, &run_dir).await;
    drop(node);
    drop(env);
    eprintln!("restart-env: total: {:?}", test_started.elapsed());
}
