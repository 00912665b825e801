//! vk-cri-plugin end to end: nothing a user can see changes when vk-host or
//! the plugin restarts, as under a kubelet restart. A pod with a readiness
//! probe stays Ready throughout (every change of the pod is watched, so a
//! flap of a fraction of a second is seen), keeps its container and restart
//! count, and gets no new events. The real vk-host, vk-cri-plugin,
//! kube-apiserver and an isolated containerd; needs root, never skips.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::WatchParams;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use vk_tests::cluster::{Cluster, wait_for_ok};
use vk_tests::cri_node::{
    BUSYBOX, apply, condition_status, container, cri_environment, delete_all_pods, get_pod,
    loopback_cri_node, phase, pod, pod_events, wait_pod,
};
use vk_tests::virtual_node::VirtualNode;

/// Every (Ready, ContainersReady) pair a watch on pod `name` saw, in order.
#[derive(Debug, Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, String)>>>);

impl Seen {
    fn not_ready(&self) -> Vec<(String, String)> {
        let seen = self.0.lock().expect("lock");
        seen.iter()
            .filter(|(ready, containers)| ready != "True" || containers != "True")
            .cloned()
            .collect()
    }

    fn count(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}

/// Watches pod `name` from `resource_version` on, recording its readiness
/// at every change, until the task is aborted.
fn watch_readiness(
    api: Api<Pod>,
    name: &str,
    resource_version: String,
) -> (Seen, tokio::task::JoinHandle<()>) {
    let seen = Seen::default();
    let record = seen.clone();
    let params = WatchParams::default().fields(&format!("metadata.name={name}"));
    let task = tokio::spawn(async move {
        let mut version = resource_version;
        loop {
            let Ok(stream) = api.watch(&params, &version).await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let mut stream = Box::pin(stream);
            while let Ok(Some(event)) = stream.try_next().await {
                let pod = match event {
                    kube::api::WatchEvent::Added(pod) | kube::api::WatchEvent::Modified(pod) => pod,
                    _ => continue,
                };
                if let Some(v) = pod.metadata.resource_version.clone() {
                    version = v;
                }
                let json = serde_json::to_value(&pod).unwrap_or(Value::Null);
                record.0.lock().expect("lock").push((
                    condition_status(&json, "Ready"),
                    condition_status(&json, "ContainersReady"),
                ));
            }
        }
    });
    (seen, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_pods_stay_ready_through_host_and_plugin_restarts() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, config) = cri_environment("restart", "127.0.0.1", "");
    let setup = loopback_cri_node(cluster, "cri-restart", &config);
    let mut node = VirtualNode::start(cluster, setup.clone()).await;
    let ns = node.namespace.clone();
    eprintln!("restart: node ready: {:?}", test_started.elapsed());

    // Ready through a readiness probe (and a startup probe before it).
    apply(
        cluster,
        &pod(
            &node,
            "web",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"touch /tmp/ready; trap 'exit 0' TERM; while true; do sleep 0.2; done\"]
    startupProbe:
      exec: {{command: [\"cat\", \"/tmp/ready\"]}}
      periodSeconds: 1
    readinessProbe:
      exec: {{command: [\"cat\", \"/tmp/ready\"]}}
      periodSeconds: 5
"
            ),
        ),
    )
    .await;
    let before = wait_pod(
        cluster,
        &node,
        "web",
        "Running and Ready",
        Duration::from_secs(60),
        |p| phase(p) == "Running" && condition_status(p, "Ready") == "True",
    )
    .await;
    let main_before = container(&before, "containerStatuses", "main");
    // Events trail the status; let them settle before taking the baseline.
    let events_before = wait_for_ok(
        Duration::from_secs(20),
        "the pod's events to stop changing",
        async || {
            let first = pod_events(cluster, &ns, "web").await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            let second = pod_events(cluster, &ns, "web").await;
            if first == second {
                Ok(second)
            } else {
                Err(format!("{first:?} -> {second:?}"))
            }
        },
    )
    .await;
    eprintln!("restart: pod ready: {:?}", test_started.elapsed());

    let api: Api<Pod> = Api::namespaced(cluster.client().await, &ns);
    let version = before["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (seen, watch) = watch_readiness(api, "web", version);

    // 1. vk-host stops (SIGTERM: its plugin is shut down too) and starts again.
    let status = node
        .host
        .signal_and_wait(Signal::SIGTERM, Duration::from_secs(30))
        .await;
    assert!(
        status.success(),
        "vk-host exits cleanly on SIGTERM: {status}"
    );
    let name = node.name.clone();
    drop(node);
    node = VirtualNode::start(cluster, setup.clone().node_name(&name)).await;
    node.namespace = ns.clone();
    node.host
        .wait_for_log(
            "reconciling the plugin's pods with the API's",
            Duration::from_secs(30),
        )
        .await;
    // Longer than the readiness period: a restart that lost the result
    // would have shown NotReady, then Ready again, by now.
    tokio::time::sleep(Duration::from_secs(7)).await;
    eprintln!("restart: vk-host restarted: {:?}", test_started.elapsed());

    // 2. The plugin is killed; the supervisor starts a new one.
    let plugin = node.host.child_named("vk-cri-plugin").await;
    kill(Pid::from_raw(plugin as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
    wait_for_ok(
        Duration::from_secs(60),
        "the plugin restarted and its pods reconciled",
        async || {
            let reconciled = node
                .host
                .log()
                .matches("reconciling the plugin's pods with the API's")
                .count();
            if reconciled >= 2 {
                Ok(())
            } else {
                Err(format!("{reconciled} reconciliations"))
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    eprintln!("restart: plugin restarted: {:?}", test_started.elapsed());
    watch.abort();

    assert!(
        seen.not_ready().is_empty(),
        "the pod stayed Ready through both restarts, but a watch saw (Ready, ContainersReady) = {:?} among {} changes",
        seen.not_ready(),
        seen.count()
    );
    let after = get_pod(cluster, &ns, "web").await;
    let main_after = container(&after, "containerStatuses", "main");
    assert_eq!(condition_status(&after, "Ready"), "True", "{after}");
    assert_eq!(
        main_after["containerID"], main_before["containerID"],
        "{after}"
    );
    assert_eq!(
        main_after["restartCount"], main_before["restartCount"],
        "{after}"
    );
    assert_eq!(main_after["ready"], true, "{after}");
    assert_eq!(main_after["started"], true, "{after}");
    let events_after = pod_events(cluster, &ns, "web").await;
    assert_eq!(
        events_after, events_before,
        "no new events about the pod through the restarts"
    );

    delete_all_pods(cluster, &ns, &run_dir).await;
    drop(node);
    drop(env);
    eprintln!("restart: total: {:?}", test_started.elapsed());
}
