//! The pod controller end to end: the real vk-host binary with the real mock
//! plugin against a real kube-apiserver, controller-manager and scheduler,
//! driven with the real kubectl as a user would.
//!
//! What the plugin holds is read from the mock's `pods_file` (a JSON listing
//! the mock keeps current within 100 ms: namespace, name, uid, labels and
//! its UpdatePod count), so "the plugin got it" is observed in the plugin
//! process itself, not inferred from the host's log.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use vk_tests::cluster::{Cluster, Identity, wait_for_ok};
use vk_tests::mock_node::{MockNode as Node, consistent, phase, plugin_pods, ready, reason, uid};
use vk_tests::virtual_node::{NodeSetup, VirtualNode};

/// Waits until the plugin holds `count` pods (its listing trails by up to
/// 100 ms).
async fn wait_plugin_holds(node: &Node, count: usize) {
    wait_for_ok(
        Duration::from_secs(10),
        &format!("the plugin to hold {count} pods"),
        async || match node.plugin_pods().len() {
            n if n == count => Ok(()),
            n => Err(format!("it holds {n}")),
        },
    )
    .await;
}

/// Waits until the plugin's listing at `path` holds the pod `pod_uid` (it
/// trails the plugin's status reports by up to 100 ms) and returns it.
async fn wait_listed(path: &Path, pod_uid: &str) -> HashMap<String, Value> {
    wait_for_ok(
        Duration::from_secs(10),
        &format!("the plugin's listing to hold pod {pod_uid}"),
        async || {
            let held = plugin_pods(path);
            if held.contains_key(pod_uid) {
                Ok(held)
            } else {
                Err(format!("it holds {:?}", held.keys()))
            }
        },
    )
    .await
}

async fn apply(cluster: &Cluster, yaml: &str) {
    cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(yaml))
        .await
        .success();
}

fn pods_api(client: kube::Client, ns: &str) -> Api<Pod> {
    Api::namespaced(client, ns)
}

/// Waits until pod `name` satisfies `check`; returns it.
async fn wait_pod(
    api: &Api<Pod>,
    name: &str,
    timeout: Duration,
    what: &str,
    check: impl Fn(&Pod) -> bool,
) -> Pod {
    wait_for_ok(
        timeout,
        &format!("pod {name}: {what}"),
        async || match api.get_opt(name).await {
            Ok(Some(pod)) if check(&pod) => Ok(pod),
            Ok(Some(pod)) => Err(format!(
                "phase {:?}, reason {:?}, deleting {}",
                phase(&pod),
                reason(&pod),
                pod.metadata.deletion_timestamp.is_some()
            )),
            Ok(None) => Err("no such pod".to_string()),
            Err(e) => Err(e.to_string()),
        },
    )
    .await
}

async fn wait_running(node: &Node, api: &Api<Pod>, name: &str) -> Pod {
    let pod = wait_pod(
        api,
        name,
        Duration::from_secs(60),
        "Running and Ready",
        |p| phase(p) == "Running" && ready(p),
    )
    .await;
    let _ = node;
    pod
}

/// Waits until `count` pods of the node's namespace are Running and Ready.
async fn wait_all_ready(node: &Node, api: &Api<Pod>, count: usize, timeout: Duration) {
    wait_for_ok(
        timeout,
        &format!("all {count} pods Running and Ready"),
        async || {
            let pods = api
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let ready_count = pods
                .items
                .iter()
                .filter(|p| phase(p) == "Running" && ready(p))
                .count();
            if ready_count == count {
                Ok(())
            } else {
                Err(format!(
                    "{ready_count} of {} ready; host log tail:\n{}",
                    pods.items.len(),
                    node.node.log_tail()
                ))
            }
        },
    )
    .await;
}

async fn wait_gone(api: &Api<Pod>, name: &str, timeout: Duration) {
    wait_for_ok(
        timeout,
        &format!("pod {name} to be gone from the API"),
        async || match api.get_opt(name).await {
            Ok(None) => Ok(()),
            Ok(Some(pod)) => Err(format!("still there, phase {:?}", phase(&pod))),
            Err(e) => Err(e.to_string()),
        },
    )
    .await;
}

/// The reasons of the Events about pod `name`.
async fn event_reasons(cluster: &Cluster, ns: &str, name: &str) -> Vec<String> {
    let selector = format!("involvedObject.name={name}");
    let out = cluster
        .kubectl(&[
            "get",
            "events",
            "-n",
            ns,
            "--field-selector",
            &selector,
            "-o",
            "json",
        ])
        .await
        .success();
    out.json()["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["reason"].as_str().map(ToOwned::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn many_pods(node: &VirtualNode, prefix: &str, count: usize) -> String {
    (0..count)
        .map(|i| node.pod_yaml(&format!("{prefix}-{i}"), ""))
        .collect::<Vec<_>>()
        .join("---\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_pods_created_with_kubectl_all_run_and_are_ready() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-hundred", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    let started = Instant::now();
    apply(cluster, &many_pods(&node.node, "p", 100)).await;
    let applied = started.elapsed();
    wait_all_ready(&node, &api, 100, Duration::from_secs(90)).await;
    eprintln!(
        "100 pods: kubectl apply took {} ms, all Running and Ready after {} ms",
        applied.as_millis(),
        started.elapsed().as_millis()
    );
    wait_plugin_holds(&node, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_is_scheduled_onto_the_node_and_scales_down() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-deploy", "").await;
    let ns = node.ns().to_owned();
    let deployment = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      nodeSelector:
        kubernetes.io/hostname: {name}
      tolerations:
      - key: virtual-kubelet.io/provider
        operator: Exists
      containers:
      - name: web
        image: nginx
",
        name = node.node.name
    );
    apply(cluster, &deployment).await;
    let api = pods_api(cluster.client().await, &ns);
    let listed = ListParams::default().labels("app=web");
    wait_for_ok(
        Duration::from_secs(90),
        "3 replicas scheduled onto the virtual node and Running",
        async || {
            let pods = api.list(&listed).await.map_err(|e| e.to_string())?;
            let running: Vec<&Pod> = pods
                .items
                .iter()
                .filter(|p| {
                    phase(p) == "Running"
                        && ready(p)
                        && p.spec.as_ref().and_then(|s| s.node_name.as_deref())
                            == Some(node.node.name.as_str())
                })
                .collect();
            if running.len() == 3 {
                Ok(())
            } else {
                Err(format!("{} of 3 running on the node", running.len()))
            }
        },
    )
    .await;
    wait_plugin_holds(&node, 3).await;

    cluster
        .kubectl(&["scale", "deployment", "web", "-n", &ns, "--replicas=1"])
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(60),
        "the deployment scaled down to one pod, in the API and in the plugin",
        async || {
            let pods = api.list(&listed).await.map_err(|e| e.to_string())?;
            let held = node.plugin_pods();
            let live: Vec<_> = held.values().filter(|p| p["deleted"] == false).collect();
            if pods.items.len() == 1 && live.len() == 1 && held.len() == 1 {
                Ok(())
            } else {
                Err(format!(
                    "{} pods in the API, {} held by the plugin ({} not deleted); host log tail:\n{}",
                    pods.items.len(),
                    held.len(),
                    live.len(),
                    node.node.log_tail()
                ))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_change_reaches_the_plugin_through_update_pod() {
    let cluster = Cluster::shared();
    // A plugin that does not know the node's address: the host gives the
    // pod the Node's InternalIP, as the kubelet sets hostIP(s) always.
    let node = Node::start(cluster, "pods-label", "report_host_ip = false\n").await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(
        cluster,
        &node.node.pod_yaml("labelled", "  labels:\n    color: red"),
    )
    .await;
    let pod = wait_running(&node, &api, "labelled").await;
    let pod_uid = uid(&pod);
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(cluster.client().await);
    let internal_ip = nodes
        .get(&node.node.name)
        .await
        .expect("the Node")
        .status
        .and_then(|s| s.addresses)
        .into_iter()
        .flatten()
        .find(|a| a.type_ == "InternalIP")
        .expect("the Node has an InternalIP")
        .address;
    let status = pod.status.clone().unwrap_or_default();
    assert_eq!(
        status.host_ip.as_deref(),
        Some(internal_ip.as_str()),
        "status.hostIP is the Node's InternalIP"
    );
    assert_eq!(
        status
            .host_ips
            .unwrap_or_default()
            .into_iter()
            .map(|ip| ip.ip)
            .collect::<Vec<_>>(),
        [internal_ip]
    );
    cluster
        .kubectl(&[
            "label",
            "pod",
            "labelled",
            "-n",
            node.ns(),
            "color=blue",
            "--overwrite",
        ])
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(30),
        "the plugin to hold the pod with color=blue after an UpdatePod",
        async || {
            let held = node.plugin_pods();
            let entry = held
                .get(&pod_uid)
                .ok_or("the plugin does not hold the pod")?;
            if entry["labels"]["color"] == "blue" && entry["updates"].as_u64() >= Some(1) {
                Ok(())
            } else {
                Err(format!("plugin has {entry}"))
            }
        },
    )
    .await;
    // A status-only change (the host's own status writes) is no update.
    let updates = node.plugin_pods()[&pod_uid]["updates"].as_u64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(node.plugin_pods()[&pod_uid]["updates"].as_u64(), updates);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_delete_ends_as_soon_as_the_plugin_is_done() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-graceful", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(cluster, &node.node.pod_yaml("graceful", "")).await;
    let pod = wait_running(&node, &api, "graceful").await;
    let started = Instant::now();
    cluster
        .kubectl(&[
            "delete",
            "pod",
            "graceful",
            "-n",
            node.ns(),
            "--grace-period=60",
            "--wait=true",
        ])
        .await
        .success();
    let took = started.elapsed();
    wait_gone(&api, "graceful", Duration::from_secs(5)).await;
    eprintln!("graceful delete (grace 60 s) took {} ms", took.as_millis());
    assert!(
        took < Duration::from_secs(30),
        "the pod stayed {took:?} (grace 60 s) although the plugin stopped it at once"
    );
    wait_plugin_holds(&node, 0).await;
    let _ = uid(&pod);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_force_delete_removes_the_pod_from_the_plugin() {
    let cluster = Cluster::shared();
    // Deleted pods linger in the mock for a while unless deleted again: the
    // listing shows whether DeletePod came.
    let node = Node::start(cluster, "pods-force", "delete_delay_ms = 600000\n").await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(cluster, &node.node.pod_yaml("forced", "")).await;
    let pod = wait_running(&node, &api, "forced").await;
    let pod_uid = uid(&pod);
    cluster
        .kubectl(&[
            "delete",
            "pod",
            "forced",
            "-n",
            node.ns(),
            "--force",
            "--grace-period=0",
        ])
        .await
        .success();
    wait_gone(&api, "forced", Duration::from_secs(10)).await;
    wait_for_ok(
        Duration::from_secs(10),
        "DeletePod of the force-deleted pod in the plugin",
        async || match node.plugin_pods().get(&pod_uid) {
            Some(entry) if entry["deleted"] == true => Ok(()),
            Some(entry) => Err(format!("plugin still runs it: {entry}")),
            None => Err("the plugin never had it?".to_string()),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_is_reported_and_succeeds_once_the_fault_is_gone() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-failing", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(
        cluster,
        &node.node.pod_yaml(
            "failing",
            "  annotations:\n    mock.vk-host.io/fail-create: \"the disk is on fire\"",
        ),
    )
    .await;
    let pod = wait_pod(
        &api,
        "failing",
        Duration::from_secs(30),
        "Pending with reason ProviderFailed",
        |p| phase(p) == "Pending" && reason(p) == "ProviderFailed",
    )
    .await;
    let message = pod
        .status
        .as_ref()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("the disk is on fire"),
        "status message: {message}"
    );
    wait_for_ok(
        Duration::from_secs(20),
        "a ProviderCreateFailed event",
        async || {
            let reasons = event_reasons(cluster, node.ns(), "failing").await;
            if reasons.iter().any(|r| r == "ProviderCreateFailed") {
                Ok(())
            } else {
                Err(format!("events: {reasons:?}"))
            }
        },
    )
    .await;
    assert!(node.plugin_pods().is_empty(), "nothing was created");

    cluster
        .kubectl(&[
            "annotate",
            "pod",
            "failing",
            "-n",
            node.ns(),
            "mock.vk-host.io/fail-create-",
        ])
        .await
        .success();
    let pod = wait_running(&node, &api, "failing").await;
    assert_eq!(reason(&pod), "", "the failure reason is cleared");
    wait_plugin_holds(&node, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_killed_during_pod_churn_leaves_no_pod_unaccounted_for() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-churn", "").await;
    let ns = node.ns().to_owned();
    let api = pods_api(cluster.client().await, &ns);
    apply(cluster, &many_pods(&node.node, "before", 15)).await;
    for i in 0..15 {
        wait_running(&node, &api, &format!("before-{i}")).await;
    }
    // Churn: create and delete while the plugin dies.
    let churn = async {
        for round in 0..6 {
            apply(cluster, &many_pods(&node.node, &format!("churn{round}"), 5)).await;
            let victim = format!("before-{round}");
            cluster
                .kubectl(&["delete", "pod", &victim, "-n", &ns, "--wait=false"])
                .await
                .success();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let killer = async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let plugin = node.node.host.plugin_pid().await;
        kill(Pid::from_raw(plugin as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
        plugin
    };
    let ((), killed) = tokio::join!(churn, killer);
    eprintln!("killed plugin pid {killed} during the churn");
    let (running, lost) = wait_for_ok(
        Duration::from_secs(90),
        "every API pod held exactly once by the plugin or terminal with a reason, and no plugin pod without its API pod",
        async || {
            let pods = api.list(&ListParams::default()).await.map_err(|e| e.to_string())?;
            consistent(&pods.items, &node.plugin_pods())
                .map_err(|e| format!("{e}; host log tail:\n{}", node.node.log_tail()))
        },
    )
    .await;
    eprintln!("after the plugin restart: {running} pods running, {lost} marked lost");
    assert!(
        lost > 0,
        "pods running before the kill were lost by the mock, so some must be marked"
    );
    let pods = api.list(&ListParams::default()).await.expect("list pods");
    let lost_pod = pods
        .items
        .iter()
        .find(|p| phase(p) == "Failed")
        .expect("a lost pod");
    assert_eq!(reason(lost_pod), "ProviderLost");
    let name = lost_pod.metadata.name.clone().unwrap_or_default();
    wait_for_ok(
        Duration::from_secs(20),
        "a ProviderLost event",
        async || {
            let reasons = event_reasons(cluster, &ns, &name).await;
            if reasons.iter().any(|r| r == "ProviderLost") {
                Ok(())
            } else {
                Err(format!("events of {name}: {reasons:?}"))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_recovers_from_an_apiserver_restart_without_losing_a_pod() {
    let cluster = Cluster::start().expect("a private control plane");
    let node = Node::start(&cluster, "pods-apiserver", "").await;
    let ns = node.ns().to_owned();
    apply(&cluster, &many_pods(&node.node, "early", 10)).await;
    let api = pods_api(cluster.client().await, &ns);
    for i in 0..10 {
        wait_running(&node, &api, &format!("early-{i}")).await;
    }
    let uids_before: Vec<String> = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(uid)
        .collect();

    cluster.restart_apiserver().await;
    // While the host's watch reconnects: more pods, fewer pods.
    let api = pods_api(cluster.client().await, &ns);
    apply(&cluster, &many_pods(&node.node, "late", 5)).await;
    cluster
        .kubectl(&[
            "delete",
            "pod",
            "early-0",
            "early-1",
            "-n",
            &ns,
            "--wait=false",
        ])
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(90),
        "13 pods Running, the 2 deleted ones gone from the API and the plugin",
        async || {
            let pods = api
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let held = node.plugin_pods();
            let (running, lost) = consistent(&pods.items, &held)?;
            if running == 13 && lost == 0 && held.len() == 13 {
                Ok(())
            } else {
                Err(format!(
                    "{running} running, {lost} terminal, plugin holds {}; host log tail:\n{}",
                    held.len(),
                    node.node.log_tail()
                ))
            }
        },
    )
    .await;
    // The early pods kept their identity: no pod was replaced or re-created.
    let api_uids: Vec<String> = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(uid)
        .collect();
    let held = node.plugin_pods();
    for early in &uids_before {
        assert_eq!(
            api_uids.contains(early),
            held.contains_key(early),
            "pod {early}: the API and the plugin agree"
        );
    }
    assert_eq!(
        uids_before.iter().filter(|u| api_uids.contains(u)).count(),
        8,
        "8 of the 10 early pods remain, under their original UIDs"
    );
}

/// After a 55 s API server outage the pods are Ready again within seconds of
/// the server answering, however long the outage: the pod watch neither
/// waits out a backoff grown during the outage nor a second one for the
/// `Expired` that follows (it was 42–89 s: out of Service endpoints).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_are_ready_again_within_seconds_of_a_long_apiserver_outage() {
    let cluster = Cluster::start().expect("a private control plane");
    let node = Node::start(&cluster, "pods-outage", "").await;
    let ns = node.ns().to_owned();
    apply(&cluster, &many_pods(&node.node, "p", 10)).await;
    let api = pods_api(cluster.client().await, &ns);
    wait_all_ready(&node, &api, 10, Duration::from_secs(90)).await;

    cluster.apiserver_outage(Duration::from_secs(55)).await;
    let answered = Instant::now();
    // What the node lifecycle controller does, on its own schedule, to the
    // pods of a node whose lease expired during the outage; done at once
    // here, so that the host has something to put right.
    let api = pods_api(cluster.client().await, &ns);
    let not_ready = Patch::Strategic(serde_json::json!({
        "status": {"conditions": [{
            "type": "Ready",
            "status": "False",
            "reason": "NodeStatusUnknown",
            "message": "Kubelet stopped posting node status.",
        }]}
    }));
    for i in 0..10 {
        api.patch_status(&format!("p-{i}"), &PatchParams::default(), &not_ready)
            .await
            .expect("marking a pod not ready as the node lifecycle controller does");
    }
    wait_all_ready(&node, &api, 10, Duration::from_secs(150)).await;
    let recovered = answered.elapsed();
    eprintln!("all 10 pods Ready again {recovered:?} after the API server answered");
    assert!(
        recovered < Duration::from_secs(20),
        "pods Ready again only {recovered:?} after the API server answered; host log tail:\n{}",
        node.node.log_tail()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_without_a_status_stream_is_polled() {
    let cluster = Cluster::shared();
    let node = Node::start(
        cluster,
        "pods-poll",
        "status_push = false\nstart_delay_ms = 3000\n",
    )
    .await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(cluster, &many_pods(&node.node, "polled", 3)).await;
    wait_pod(
        &api,
        "polled-0",
        Duration::from_secs(30),
        "Pending while its containers are created",
        |p| {
            phase(p) == "Pending"
                && reason(p).is_empty()
                && p.status
                    .as_ref()
                    .is_some_and(|s| s.container_statuses.is_some())
        },
    )
    .await;
    for i in 0..3 {
        wait_running(&node, &api, &format!("polled-{i}")).await;
    }
    let started = Instant::now();
    cluster
        .kubectl(&["delete", "pod", "polled-0", "-n", node.ns(), "--wait=true"])
        .await
        .success();
    // Well within the default 30 s grace period: the poll sees it gone.
    assert!(started.elapsed() < Duration::from_secs(20));
    wait_plugin_holds(&node, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_the_plugin_cannot_run_fails_and_is_not_retried() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-invalid", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    // The mock answers INVALID_ARGUMENT for an exit code that is no number.
    apply(
        cluster,
        &node.node.pod_yaml(
            "invalid",
            "  annotations:\n    mock.vk-host.io/exit-code: \"soon\"",
        ),
    )
    .await;
    let pod = wait_pod(
        &api,
        "invalid",
        Duration::from_secs(30),
        "Failed with reason ProviderFailed",
        |p| phase(p) == "Failed" && reason(p) == "ProviderFailed",
    )
    .await;
    let message = pod
        .status
        .as_ref()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("InvalidArgument") || message.contains("must be an integer"),
        "{message}"
    );
    // Terminal is final: removing the cause does not bring it back.
    cluster
        .kubectl(&[
            "annotate",
            "pod",
            "invalid",
            "-n",
            node.ns(),
            "mock.vk-host.io/exit-code-",
        ])
        .await
        .success();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pod = api.get("invalid").await.expect("the pod");
    assert_eq!(phase(&pod), "Failed");
    assert!(node.plugin_pods().is_empty());
    // A terminal pod goes at once when deleted.
    let started = Instant::now();
    cluster
        .kubectl(&["delete", "pod", "invalid", "-n", node.ns(), "--wait=true"])
        .await
        .success();
    // Not after the default 30 s grace period.
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_pods_reach_running_under_the_default_api_rate_limits() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-thousand", "").await;
    let client = cluster.client().await;
    let api = pods_api(client, node.ns());
    let started = Instant::now();
    // Created through the API directly (20 at a time) so that kubectl's own
    // client-side limits do not hide the host's.
    let names: Vec<String> = (0..1000).map(|i| format!("k-{i}")).collect();
    futures::stream::iter(names.iter())
        .for_each_concurrent(20, |name| {
            let api = api.clone();
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "metadata": {"name": name, "namespace": node.ns()},
                "spec": {
                    "nodeName": node.node.name,
                    "tolerations": [{"key": "virtual-kubelet.io/provider", "operator": "Exists"}],
                    "containers": [{"name": "main", "image": "busybox", "command": ["sleep", "3600"]}],
                },
            }))
            .expect("a pod");
            async move {
                api.create(&kube::api::PostParams::default(), &pod)
                    .await
                    .unwrap_or_else(|e| panic!("creating {name}: {e}"));
            }
        })
        .await;
    let created = started.elapsed();
    wait_all_ready(&node, &api, 1000, Duration::from_secs(120)).await;
    eprintln!(
        "1000 pods: created in {} ms, all Running and Ready after {} ms (vk-host at --kube-api-qps 100 --kube-api-burst 200)",
        created.as_millis(),
        started.elapsed().as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_host_restart_pods_that_ran_are_reported_lost_and_the_rest_created() {
    let cluster = Cluster::shared();
    let first = Node::start(cluster, "pods-host-restart", "").await;
    let ns = first.ns().to_owned();
    let node_name = first.node.name.clone();
    let api = pods_api(cluster.client().await, &ns);
    apply(cluster, &many_pods(&first.node, "ran", 3)).await;
    for i in 0..3 {
        wait_running(&first, &api, &format!("ran-{i}")).await;
    }
    apply(
        cluster,
        &first.node.pod_yaml(
            "waiting",
            "  annotations:\n    mock.vk-host.io/fail-create: \"not yet\"",
        ),
    )
    .await;
    wait_pod(
        &api,
        "waiting",
        Duration::from_secs(30),
        "ProviderFailed",
        |p| reason(p) == "ProviderFailed",
    )
    .await;
    // The host dies; its plugin (and the mock's in-memory pods) with it.
    kill(Pid::from_raw(first.node.host.pid() as i32), Signal::SIGKILL).expect("SIGKILL vk-host");
    drop(first);
    cluster
        .kubectl(&[
            "annotate",
            "pod",
            "waiting",
            "-n",
            &ns,
            "mock.vk-host.io/fail-create-",
        ])
        .await
        .success();

    let dir = tempfile::tempdir().expect("tempdir");
    let pods_file = dir.path().join("pods.json");
    let config = format!("pods_file = {:?}\n", pods_file.display().to_string());
    let second = VirtualNode::start(
        cluster,
        NodeSetup::mock("pods-host-restart")
            .node_name(&node_name)
            .plugin_config(&config),
    )
    .await;
    for i in 0..3 {
        let pod = wait_pod(
            &api,
            &format!("ran-{i}"),
            Duration::from_secs(30),
            "Failed with reason ProviderLost",
            |p| phase(p) == "Failed" && reason(p) == "ProviderLost",
        )
        .await;
        let exit = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|c| c.first())
            .and_then(|c| c.state.as_ref())
            .and_then(|s| s.terminated.as_ref())
            .map(|t| t.exit_code);
        assert_eq!(exit, Some(137), "the lost container is reported terminated");
    }
    let waiting = wait_pod(&api, "waiting", Duration::from_secs(60), "Running", |p| {
        phase(p) == "Running" && ready(p)
    })
    .await;
    let held = wait_listed(&pods_file, &uid(&waiting)).await;
    assert_eq!(
        held.len(),
        1,
        "only the never-created pod was created: {held:?}"
    );
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pod_held_by_a_finalizer_shows_its_final_phase() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-finalizer", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(
        cluster,
        &node
            .node
            .pod_yaml("held", "  finalizers:\n  - vk-host.io/test-hold"),
    )
    .await;
    wait_running(&node, &api, "held").await;
    cluster
        .kubectl(&["delete", "pod", "held", "-n", node.ns(), "--wait=false"])
        .await
        .success();
    // The kubelet writes the terminal phase before the object goes; the
    // finalizer keeps it, so the phase is what a controller would see.
    let pod = wait_pod(
        &api,
        "held",
        Duration::from_secs(30),
        "deleted, held by its finalizer, in a terminal phase",
        |p| p.metadata.deletion_timestamp.is_some() && matches!(phase(p), "Succeeded" | "Failed"),
    )
    .await;
    assert!(!ready(&pod), "a finished pod is not Ready");
    wait_plugin_holds(&node, 0).await;
    cluster
        .kubectl(&[
            "patch",
            "pod",
            "held",
            "-n",
            node.ns(),
            "--type=json",
            "-p",
            r#"[{"op": "remove", "path": "/metadata/finalizers"}]"#,
        ])
        .await
        .success();
    wait_gone(&api, "held", Duration::from_secs(10)).await;
}

/// The Events about pod `name`: (reason, message, count).
async fn events_of(cluster: &Cluster, ns: &str, name: &str) -> Vec<(String, String, i64)> {
    let selector = format!("involvedObject.name={name}");
    let out = cluster
        .kubectl(&[
            "get",
            "events",
            "-n",
            ns,
            "--field-selector",
            &selector,
            "-o",
            "json",
        ])
        .await
        .success();
    out.json()["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|e| {
                    (
                        e["reason"].as_str().unwrap_or_default().to_owned(),
                        e["message"].as_str().unwrap_or_default().to_owned(),
                        e["count"].as_i64().unwrap_or(1),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The mock stops the containers (exit 0), pushes that status and forgets
/// the pod within DeletePod: that last word is the pod's final status, not
/// containers "that could not be located".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pod_keeps_the_final_status_the_plugin_reported() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-laststatus", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(
        cluster,
        &node
            .node
            .pod_yaml("stopped", "  finalizers:\n  - vk-host.io/test-hold"),
    )
    .await;
    wait_running(&node, &api, "stopped").await;
    cluster
        .kubectl(&["delete", "pod", "stopped", "-n", node.ns(), "--wait=false"])
        .await
        .success();
    let pod = wait_pod(
        &api,
        "stopped",
        Duration::from_secs(30),
        "deleted, held by its finalizer, in a terminal phase",
        |p| p.metadata.deletion_timestamp.is_some() && matches!(phase(p), "Succeeded" | "Failed"),
    )
    .await;
    let containers = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    let terminated: Vec<_> = containers
        .iter()
        .map(|c| {
            let t = c.state.as_ref().and_then(|s| s.terminated.as_ref());
            (
                c.name.as_str(),
                t.map(|t| t.exit_code),
                t.and_then(|t| t.reason.clone()),
            )
        })
        .collect();
    assert_eq!(
        (phase(&pod), terminated),
        (
            "Succeeded",
            vec![("main", Some(0), Some("Completed".to_owned()))]
        ),
        "the plugin stopped the container with exit 0; host log tail:\n{}",
        node.node.log_tail()
    );
    assert!(!ready(&pod), "a finished pod is not Ready");
    cluster
        .kubectl(&[
            "patch",
            "pod",
            "stopped",
            "-n",
            node.ns(),
            "--type=json",
            "-p",
            r#"[{"op": "remove", "path": "/metadata/finalizers"}]"#,
        ])
        .await
        .success();
    wait_gone(&api, "stopped", Duration::from_secs(10)).await;
}

/// `activeDeadlineSeconds` as the kubelet enforces it: the pod fails with
/// its reason and message, stays in the API, and its containers are
/// stopped in the plugin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_past_its_active_deadline_fails_and_is_stopped_in_the_plugin() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-deadline", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    let yaml = node
        .node
        .pod_yaml("bounded", "")
        .replace("spec:\n", "spec:\n  activeDeadlineSeconds: 4\n");
    apply(cluster, &yaml).await;
    let running = wait_running(&node, &api, "bounded").await;
    wait_listed(&node.pods_file, &uid(&running)).await;
    let pod = wait_pod(
        &api,
        "bounded",
        Duration::from_secs(60),
        "Failed with reason DeadlineExceeded",
        |p| phase(p) == "Failed",
    )
    .await;
    let message = pod
        .status
        .as_ref()
        .and_then(|s| s.message.as_deref())
        .unwrap_or_default();
    assert_eq!(
        (reason(&pod), message),
        (
            "DeadlineExceeded",
            "Pod was active on the node longer than the specified deadline"
        )
    );
    assert!(!ready(&pod), "a failed pod is not Ready");
    assert!(
        pod.metadata.deletion_timestamp.is_none(),
        "the pod object stays, as the kubelet leaves it"
    );
    // DeletePod: the mock forgets a pod it stopped.
    wait_plugin_holds(&node, 0).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pod = api.get("bounded").await.expect("the failed pod stays");
    assert_eq!(
        (phase(&pod), reason(&pod)),
        ("Failed", "DeadlineExceeded"),
        "the plugin's later status does not replace it"
    );
}

/// A plugin that cannot stop a pod: a `FailedKillPod` Warning event with its
/// message, and DeletePod asked again after a growing back-off, not at
/// every resync (10 s) and not every quarter second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_keeps_failing_delete_pod_is_reported_and_asked_less_and_less() {
    const REFUSAL: &str = "the backend refuses to stop this pod";
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "pods-killfail", "").await;
    let api = pods_api(cluster.client().await, node.ns());
    apply(
        cluster,
        &node.node.pod_yaml(
            "stuck",
            &format!("  annotations:\n    mock.vk-host.io/fail-delete: \"{REFUSAL}\""),
        ),
    )
    .await;
    let pod = wait_running(&node, &api, "stuck").await;
    cluster
        .kubectl(&[
            "delete",
            "pod",
            "stuck",
            "-n",
            node.ns(),
            "--force",
            "--grace-period=0",
        ])
        .await
        .success();
    let deleted = Instant::now();
    wait_gone(&api, "stuck", Duration::from_secs(10)).await;
    wait_for_ok(
        Duration::from_secs(30),
        "a FailedKillPod Warning event with the plugin's message",
        async || {
            let events = events_of(cluster, node.ns(), "stuck").await;
            if events
                .iter()
                .any(|(reason, message, _)| reason == "FailedKillPod" && message.contains(REFUSAL))
            {
                Ok(())
            } else {
                Err(format!("events: {events:?}"))
            }
        },
    )
    .await;
    // 30 s of a plugin that keeps failing: a back-off from 2 s asks at
    // 0, 2, 6, 14 and 30 s; a quarter second doubling plus every resync
    // asked about 10 times.
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(deleted.elapsed())).await;
    let log = node.node.host.log();
    let asked = log
        .lines()
        .filter(|line| line.contains("DeletePod failed") && line.contains(REFUSAL))
        .count();
    assert!(
        (1..=6).contains(&asked),
        "DeletePod failed {asked} times in 30 s; host log tail:\n{}",
        node.node.log_tail()
    );
    assert!(
        node.plugin_pods().contains_key(&uid(&pod)),
        "the plugin still holds the pod it could not stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_reused_while_the_plugin_still_removes_the_old_pod_is_created_quietly() {
    let cluster = Cluster::shared();
    // The plugin keeps a deleted pod (and its name) for 4 s.
    let node = Node::start(cluster, "pods-reuse", "delete_delay_ms = 4000\n").await;
    let api = pods_api(cluster.client().await, node.ns());
    let yaml = node.node.pod_yaml("reused", "");
    apply(cluster, &yaml).await;
    let old = wait_running(&node, &api, "reused").await;
    cluster
        .kubectl(&[
            "delete",
            "pod",
            "reused",
            "-n",
            node.ns(),
            "--force",
            "--grace-period=0",
        ])
        .await
        .success();
    wait_gone(&api, "reused", Duration::from_secs(10)).await;
    apply(cluster, &yaml).await;
    // While the old pod goes, CreatePod says ALREADY_EXISTS: no failure is
    // shown, the pod just waits.
    let started = Instant::now();
    let mut reasons_seen = Vec::new();
    let new = loop {
        let pod = api.get("reused").await.expect("the new pod");
        assert_ne!(uid(&pod), uid(&old), "a new pod");
        if !reason(&pod).is_empty() {
            reasons_seen.push(reason(&pod).to_owned());
        }
        if phase(&pod) == "Running" && ready(&pod) {
            break pod;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the new pod was not Running within 30 s: phase {:?}, reason {:?}",
            phase(&pod),
            reason(&pod)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        reasons_seen.is_empty(),
        "status reasons shown: {reasons_seen:?}; host log tail:\n{}",
        node.node.log_tail()
    );
    let events = event_reasons(cluster, node.ns(), "reused").await;
    assert!(
        !events.iter().any(|r| r == "ProviderCreateFailed"),
        "events: {events:?}"
    );
    wait_listed(&node.pods_file, &uid(&new)).await;
}

/// A plugin whose gRPC server sends a stream's response headers only with
/// its first message, as grpc-go and grpcio do: the host's status stream
/// call stays pending while the plugin has nothing to say. That counts as
/// open: no reconnect churn, and a pod created after a long idle spell is
/// reported through the stream at once (the resync is 5 minutes here, so
/// nothing else could make it Running), with the plugin's Events recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_stream_without_early_headers_stays_open_and_delivers_status_and_events() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("pods-late-headers")
            .plugin_config("status_headers_with_first_message = true\n")
            .host_args(&["--pod-status-resync", "300s"]),
    )
    .await;
    // Idle for longer than any deadline the host puts on a plugin call.
    tokio::time::sleep(Duration::from_secs(15)).await;
    let api = pods_api(cluster.client().await, &node.namespace);
    apply(cluster, &node.pod_yaml("late", "")).await;
    wait_pod(
        &api,
        "late",
        Duration::from_secs(30),
        "Running and Ready through the status stream",
        |p| phase(p) == "Running" && ready(p),
    )
    .await;
    wait_for_ok(
        Duration::from_secs(30),
        "the plugin's Created and Started events about pod late",
        async || {
            let reasons = event_reasons(cluster, &node.namespace, "late").await;
            if reasons.iter().any(|r| r == "Created") && reasons.iter().any(|r| r == "Started") {
                Ok(())
            } else {
                Err(format!("reasons so far: {reasons:?}"))
            }
        },
    )
    .await;
    let log = node.host.log();
    for churn in [
        "did not open in time",
        "status stream failed",
        "status stream ended",
    ] {
        assert!(
            !log.contains(churn),
            "the idle status stream was never dropped, but the host logged {churn:?}:\n{}",
            node.log_tail()
        );
    }
}
