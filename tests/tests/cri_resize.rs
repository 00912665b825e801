//! vk-cri-plugin end to end, in-place pod resize as under the kubelet
//! (`kubectl patch pod --subresource resize`): a CPU resize is applied to
//! the running container (its cgroup's CFS quota changes, no restart) and
//! shown in `containerStatuses[].resources` and `allocatedResources`, with
//! no resize condition left; a resize asking more CPU than the node has is
//! refused by the API server; one asking more than is free beside another
//! pod is `PodResizePending` `Deferred`, changes nothing, and is applied
//! once that pod is deleted; a memory resize under `resizePolicy:
//! RestartContainer` restarts the container with the new limit. The real vk-host, vk-cri-plugin, kube-apiserver, kubectl and
//! an isolated containerd (`scripts/cri-env.sh up`). Needs root; when
//! containerd cannot start the test fails, it never skips.

use std::time::{Duration, Instant};

use serde_json::Value;
use vk_tests::cluster::Cluster;
use vk_tests::cri_node::{
    BUSYBOX, apply, container, exec_sh, phase, pod, start_loopback_cri, wait_all_forgotten,
    wait_pod,
};
use vk_tests::virtual_node::VirtualNode;

const MAIN: &str = "trap 'exit 0' TERM; while true; do sleep 0.2; done";

/// The container's CFS quota and period as cgroup v2's `cpu.max` shows
/// them (read from cgroup v1's files on a v1 host).
const CPU_MAX: &str = "if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; \
     else echo \"$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)\"; fi";
/// The container's memory limit in bytes (v2 `memory.max`, v1
/// `memory.limit_in_bytes`).
const MEMORY_MAX: &str = "cat /sys/fs/cgroup/memory.max 2>/dev/null \
     || cat /sys/fs/cgroup/memory/memory.limit_in_bytes";

fn manifest(node: &VirtualNode, name: &str, resize_policy: &str) -> String {
    pod(
        node,
        name,
        &format!(
            "  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"{MAIN}\"]
    resources:
      requests: {{cpu: 100m, memory: 32Mi}}
      limits: {{cpu: 200m, memory: 64Mi}}
{resize_policy}"
        ),
    )
}

async fn resize(cluster: &Cluster, ns: &str, name: &str, patch: &str) {
    cluster
        .kubectl(&[
            "patch",
            "pod",
            name,
            "-n",
            ns,
            "--subresource",
            "resize",
            "--patch",
            patch,
        ])
        .await
        .success();
}

fn conditions_of_type(pod: &Value, type_: &str) -> Vec<Value> {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == type_)
        .cloned()
        .collect()
}

fn no_resize_condition(pod: &Value) -> bool {
    conditions_of_type(pod, "PodResizeInProgress").is_empty()
        && conditions_of_type(pod, "PodResizePending").is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kubectl_resize_applies_cpu_and_memory_in_place_or_by_restart() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, node) = start_loopback_cri(cluster, "resize", "", test_started).await;
    let ns = node.namespace.clone();

    apply(cluster, &manifest(&node, "app", "")).await;
    apply(
        cluster,
        &manifest(
            &node,
            "mem",
            "    resizePolicy:
    - {resourceName: memory, restartPolicy: RestartContainer}
",
        ),
    )
    .await;
    let running = wait_pod(
        cluster,
        &node,
        "app",
        "Running with its resources shown",
        Duration::from_secs(60),
        |p| phase(p) == "Running" && container(p, "containerStatuses", "main")["ready"] == true,
    )
    .await;
    let main = container(&running, "containerStatuses", "main");
    let main_id = main["containerID"].clone();
    assert_eq!(
        main["resources"],
        serde_json::json!({"requests": {"cpu": "100m", "memory": "32Mi"},
                           "limits": {"cpu": "200m", "memory": "64Mi"}}),
        "{main}"
    );
    assert_eq!(
        main["allocatedResources"],
        serde_json::json!({"cpu": "100m", "memory": "32Mi"}),
        "{main}"
    );
    assert_eq!(
        exec_sh(cluster, &ns, "app", CPU_MAX).await.trim(),
        "20000 100000"
    );

    // CPU, live: the quota changes, the container stays.
    resize(
        cluster,
        &ns,
        "app",
        r#"{"spec":{"containers":[{"name":"main","resources":{"requests":{"cpu":"150m"},"limits":{"cpu":"400m"}}}]}}"#,
    )
    .await;
    let resized = wait_pod(
        cluster,
        &node,
        "app",
        "resized to cpu 150m/400m, no resize condition left",
        Duration::from_secs(30),
        |p| {
            let main = container(p, "containerStatuses", "main");
            main["resources"]["limits"]["cpu"] == "400m" && no_resize_condition(p)
        },
    )
    .await;
    let main = container(&resized, "containerStatuses", "main");
    assert_eq!(main["containerID"], main_id, "not restarted: {main}");
    assert_eq!(main["restartCount"], 0, "{main}");
    assert_eq!(
        main["resources"],
        serde_json::json!({"requests": {"cpu": "150m", "memory": "32Mi"},
                           "limits": {"cpu": "400m", "memory": "64Mi"}}),
        "{main}"
    );
    assert_eq!(
        main["allocatedResources"],
        serde_json::json!({"cpu": "150m", "memory": "32Mi"}),
        "{main}"
    );
    assert_eq!(
        exec_sh(cluster, &ns, "app", CPU_MAX).await.trim(),
        "40000 100000"
    );
    assert_eq!(
        exec_sh(cluster, &ns, "app", MEMORY_MAX).await.trim(),
        (64u64 << 20).to_string()
    );
    eprintln!("resize: cpu applied: {:?}", test_started.elapsed());

    // More CPU than the node has: under 1.36 the API server refuses it
    // before any kubelet sees it (the plugin's own Infeasible check is
    // unit-tested).
    let refused = cluster
        .kubectl(&[
            "patch",
            "pod",
            "app",
            "-n",
            &ns,
            "--subresource",
            "resize",
            "--patch",
            r#"{"spec":{"containers":[{"name":"main","resources":{"requests":{"cpu":"1000"},"limits":{"cpu":"1000"}}}]}}"#,
        ])
        .await
        .failure();
    assert!(
        refused
            .stderr
            .contains("node didn't have enough allocatable resources: cpu"),
        "{}",
        refused.stderr
    );

    // More CPU than is free beside another pod: Deferred, nothing applied,
    // until that pod goes. The other pod leaves 500m of the node's CPU.
    let allocatable = cluster
        .kubectl(&["get", "node", &node.name, "-o", "json"])
        .await
        .success()
        .json()["status"]["allocatable"]["cpu"]
        .as_str()
        .map(str::to_owned)
        .expect("the node's allocatable cpu");
    let capacity: i64 = match allocatable.strip_suffix('m') {
        Some(milli) => milli.parse().expect("milli-CPU"),
        None => allocatable.parse::<i64>().expect("CPUs") * 1000,
    };
    let hog = capacity - 500;
    apply(
        cluster,
        &pod(
            &node,
            "hog",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"{MAIN}\"]
    resources:
      requests: {{cpu: {hog}m}}
"
            ),
        ),
    )
    .await;
    wait_pod(
        cluster,
        &node,
        "hog",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    resize(
        cluster,
        &ns,
        "app",
        r#"{"spec":{"containers":[{"name":"main","resources":{"requests":{"cpu":"600m"},"limits":{"cpu":"800m"}}}]}}"#,
    )
    .await;
    let deferred = wait_pod(
        cluster,
        &node,
        "app",
        "PodResizePending Deferred",
        Duration::from_secs(30),
        |p| !conditions_of_type(p, "PodResizePending").is_empty(),
    )
    .await;
    let pending = &conditions_of_type(&deferred, "PodResizePending")[0];
    assert_eq!(pending["status"], "True", "{pending}");
    assert_eq!(pending["reason"], "Deferred", "{pending}");
    assert_eq!(
        pending["message"],
        // Used: the hog's and the mem pod's 100m.
        format!(
            "Node didn't have enough resource: cpu, requested: 600, used: {}, capacity: {capacity}",
            hog + 100
        ),
        "{pending}"
    );
    assert!(pending["lastTransitionTime"].is_string(), "{pending}");
    assert!(conditions_of_type(&deferred, "PodResizeInProgress").is_empty());
    let main = container(&deferred, "containerStatuses", "main");
    assert_eq!(main["containerID"], main_id, "{main}");
    assert_eq!(main["resources"]["limits"]["cpu"], "400m", "{main}");
    assert_eq!(main["allocatedResources"]["cpu"], "150m", "{main}");
    assert_eq!(
        exec_sh(cluster, &ns, "app", CPU_MAX).await.trim(),
        "40000 100000"
    );
    eprintln!("resize: deferred: {:?}", test_started.elapsed());

    cluster
        .kubectl(&["delete", "pod", "hog", "-n", &ns, "--timeout=60s"])
        .await
        .success();
    let applied = wait_pod(
        cluster,
        &node,
        "app",
        "the deferred resize applied, PodResizePending removed",
        Duration::from_secs(30),
        |p| {
            container(p, "containerStatuses", "main")["resources"]["limits"]["cpu"] == "800m"
                && no_resize_condition(p)
        },
    )
    .await;
    let main = container(&applied, "containerStatuses", "main");
    assert_eq!(main["containerID"], main_id, "{main}");
    assert_eq!(main["restartCount"], 0, "{main}");
    assert_eq!(main["allocatedResources"]["cpu"], "600m", "{main}");
    assert_eq!(
        exec_sh(cluster, &ns, "app", CPU_MAX).await.trim(),
        "80000 100000"
    );

    // Memory under RestartContainer: a new instance with the new limit.
    let before = wait_pod(
        cluster,
        &node,
        "mem",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running" && container(p, "containerStatuses", "main")["ready"] == true,
    )
    .await;
    let mem_id = container(&before, "containerStatuses", "main")["containerID"].clone();
    assert_eq!(
        exec_sh(cluster, &ns, "mem", MEMORY_MAX).await.trim(),
        (64u64 << 20).to_string()
    );
    resize(
        cluster,
        &ns,
        "mem",
        r#"{"spec":{"containers":[{"name":"main","resources":{"limits":{"memory":"128Mi"}}}]}}"#,
    )
    .await;
    let restarted = wait_pod(
        cluster,
        &node,
        "mem",
        "restarted with memory 128Mi",
        Duration::from_secs(60),
        |p| {
            let main = container(p, "containerStatuses", "main");
            main["restartCount"] == 1
                && main["ready"] == true
                && main["resources"]["limits"]["memory"] == "128Mi"
                && no_resize_condition(p)
        },
    )
    .await;
    let main = container(&restarted, "containerStatuses", "main");
    assert_ne!(main["containerID"], mem_id, "a new instance: {main}");
    assert!(main["state"]["running"].is_object(), "{main}");
    assert_eq!(phase(&restarted), "Running");
    assert_eq!(
        exec_sh(cluster, &ns, "mem", MEMORY_MAX).await.trim(),
        (128u64 << 20).to_string()
    );
    // Its CPU was not changed.
    assert_eq!(
        exec_sh(cluster, &ns, "mem", CPU_MAX).await.trim(),
        "20000 100000"
    );
    eprintln!("resize: memory restart: {:?}", test_started.elapsed());

    for name in ["app", "mem"] {
        cluster
            .kubectl(&["delete", "pod", name, "-n", &ns, "--timeout=60s"])
            .await
            .success();
    }
    wait_all_forgotten(&run_dir).await;
    drop(node);
    drop(env);
    eprintln!("resize: total: {:?}", test_started.elapsed());
}
