//! The Node controller end to end: the real vk-host binary with the mock
//! plugin against a real kube-apiserver, checked the way a user would see it
//! (kube-rs reads and `kubectl`): registration, the Lease heartbeat, Ready
//! following plugin health (a hung plugin, a plugin that says not ready),
//! re-creation of a deleted Node, taint and label flags, and conditions
//! written by others surviving vk-host's heartbeats.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Node, NodeCondition, Taint};
use kube::Api;
use kube::api::ListParams;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use vk_tests::cluster::{Cluster, wait_for, wait_for_ok};
use vk_tests::virtual_node::{NodeSetup, VirtualNode};

/// A mock plugin reporting a recognisable node.
const MOCK_NODE: &str = r#"
[node]
cpu = "64"
memory = "256Gi"
pods = "500"
extra_capacity = { "example.com/widget" = "3" }
labels = { "mock.example.com/zone" = "z1" }
taints = [{ key = "mock.example.com/gpu", value = "yes", effect = "PreferNoSchedule" }]
conditions = [{ type = "MockHealthy", status = "True", reason = "AllGood", message = "the mock is fine" }]
"#;

async fn nodes(cluster: &Cluster) -> Api<Node> {
    Api::all(cluster.client().await)
}

async fn get_node(cluster: &Cluster, name: &str) -> Node {
    nodes(cluster)
        .await
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("reading Node {name}: {e}"))
}

fn labels(node: &Node) -> BTreeMap<String, String> {
    node.metadata.labels.clone().unwrap_or_default()
}

fn taints(node: &Node) -> Vec<Taint> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
}

fn condition(node: &Node, type_: &str) -> Option<NodeCondition> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .cloned()
}

fn has_taint(node: &Node, key: &str, value: Option<&str>, effect: &str) -> bool {
    taints(node).iter().any(|t| {
        t.key == key
            && t.effect == effect
            && t.value.as_deref().unwrap_or("") == value.unwrap_or("")
    })
}

async fn lease(cluster: &Cluster, name: &str) -> Option<Lease> {
    let leases: Api<Lease> = Api::namespaced(cluster.client().await, "kube-node-lease");
    leases
        .get_opt(name)
        .await
        .unwrap_or_else(|e| panic!("reading Lease {name}: {e}"))
}

/// The reasons of the Events about Node `name` (in `default`, as the
/// kubelet's).
async fn node_event_reasons(cluster: &Cluster, name: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(cluster.client().await, "default");
    let list = events
        .list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
        .await
        .unwrap_or_else(|e| panic!("listing events of {name}: {e}"));
    list.items.into_iter().filter_map(|e| e.reason).collect()
}

async fn wait_for_event(cluster: &Cluster, node: &VirtualNode, reason: &str) {
    wait_for_ok(
        Duration::from_secs(30),
        &format!("Event {reason} about Node {}", node.name),
        async || {
            let reasons = node_event_reasons(cluster, &node.name).await;
            if reasons.iter().any(|r| r == reason) {
                Ok(())
            } else {
                Err(format!("events seen: {reasons:?}"))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_registers_with_what_the_plugin_and_flags_say() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("node-reg")
            .plugin_config(MOCK_NODE)
            .host_args(&[
                "--node-label",
                "team.example.com/owner=infra",
                "--kubelet-port",
                "10555",
            ]),
    )
    .await;
    let seen = get_node(cluster, &node.name).await;

    let labels = labels(&seen);
    for (key, value) in [
        ("type", "virtual-kubelet"),
        ("kubernetes.io/role", "agent"),
        ("kubernetes.io/hostname", node.name.as_str()),
        ("kubernetes.io/os", "linux"),
        ("mock.example.com/zone", "z1"),
        ("team.example.com/owner", "infra"),
    ] {
        assert_eq!(
            labels.get(key).map(String::as_str),
            Some(value),
            "label {key} in {labels:?}"
        );
    }
    assert!(labels.contains_key("kubernetes.io/arch"), "{labels:?}");

    assert!(
        has_taint(
            &seen,
            "virtual-kubelet.io/provider",
            Some("mock"),
            "NoSchedule"
        ),
        "provider taint in {:?}",
        taints(&seen)
    );
    assert!(
        has_taint(
            &seen,
            "mock.example.com/gpu",
            Some("yes"),
            "PreferNoSchedule"
        ),
        "plugin taint in {:?}",
        taints(&seen)
    );

    let status = seen.status.clone().expect("a status");
    let capacity = status.capacity.clone().expect("capacity");
    let allocatable = status.allocatable.clone().expect("allocatable");
    for (resource, quantity) in [
        ("cpu", "64"),
        ("memory", "256Gi"),
        ("pods", "500"),
        ("example.com/widget", "3"),
    ] {
        assert_eq!(
            capacity.get(resource).map(|q| q.0.as_str()),
            Some(quantity),
            "capacity {resource}"
        );
        assert_eq!(
            allocatable.get(resource).map(|q| q.0.as_str()),
            Some(quantity),
            "allocatable {resource}"
        );
    }
    let addresses: Vec<(String, String)> = status
        .addresses
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.type_, a.address))
        .collect();
    assert_eq!(
        addresses,
        [
            ("InternalIP".to_owned(), "10.0.0.1".to_owned()),
            ("Hostname".to_owned(), node.name.clone())
        ],
        "the mock's InternalIP and the node name as Hostname"
    );
    let port = status
        .daemon_endpoints
        .as_ref()
        .and_then(|d| d.kubelet_endpoint.as_ref())
        .map(|e| e.port);
    assert_eq!(port, Some(10555));
    let info = status.node_info.clone().expect("nodeInfo");
    assert!(
        info.kubelet_version.starts_with("v1.36.3-vk-host-"),
        "{}",
        info.kubelet_version
    );
    assert_eq!(info.operating_system, "linux");
    assert_eq!(info.os_image, "vk-mock-plugin");
    assert!(
        info.container_runtime_version.starts_with("mock://"),
        "{}",
        info.container_runtime_version
    );
    assert!(!info.kernel_version.is_empty());

    let ready = condition(&seen, "Ready").expect("Ready");
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_deref()),
        ("True", Some("KubeletReady"))
    );
    assert!(
        ready
            .message
            .as_deref()
            .unwrap_or("")
            .contains("plugin mock "),
        "{:?}",
        ready.message
    );
    for (type_, reason) in [
        ("MemoryPressure", "KubeletHasSufficientMemory"),
        ("DiskPressure", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "KubeletHasSufficientPID"),
    ] {
        let c = condition(&seen, type_).unwrap_or_else(|| panic!("{type_}"));
        assert_eq!(
            (c.status.as_str(), c.reason.as_deref()),
            ("False", Some(reason))
        );
    }
    let mock = condition(&seen, "MockHealthy").expect("the plugin's own condition");
    assert_eq!(
        (mock.status.as_str(), mock.reason.as_deref()),
        ("True", Some("AllGood"))
    );

    // What `kubectl get nodes -o wide` shows.
    let wide = cluster
        .kubectl(&["get", "node", &node.name, "-o", "wide", "--no-headers"])
        .await
        .success();
    let columns: Vec<&str> = wide.stdout.split_whitespace().collect();
    assert_eq!(columns.get(1), Some(&"Ready"), "{}", wide.stdout);
    assert_eq!(columns.get(2), Some(&"agent"), "ROLES: {}", wide.stdout);
    assert!(wide.stdout.contains("10.0.0.1"), "{}", wide.stdout);
    assert!(
        wide.stdout.contains("vk-mock-plugin"),
        "OS-IMAGE: {}",
        wide.stdout
    );

    wait_for_event(cluster, &node, "RegisteredNode").await;
    wait_for_event(cluster, &node, "NodeReady").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_is_renewed_and_the_status_heartbeats() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(cluster, NodeSetup::mock("node-lease")).await;
    let registered = get_node(cluster, &node.name).await;
    let uid = registered.metadata.uid.clone().expect("uid");
    let ready_before = condition(&registered, "Ready").expect("Ready");
    let first = wait_for(Duration::from_secs(20), "the node Lease", async || {
        lease(cluster, &node.name).await
    })
    .await;
    let spec = first.spec.clone().expect("lease spec");
    assert_eq!(spec.holder_identity.as_deref(), Some(node.name.as_str()));
    assert_eq!(spec.lease_duration_seconds, Some(40));
    let owners = first.metadata.owner_references.clone().unwrap_or_default();
    assert!(
        owners
            .iter()
            .any(|o| o.kind == "Node" && o.name == node.name && o.uid == uid),
        "owner references {owners:?} name Node {} {uid}",
        node.name
    );
    let renewed_at = spec.renew_time.expect("renewTime").0;
    let started = Instant::now();
    let later = wait_for(
        Duration::from_secs(25),
        "the Lease to be renewed",
        async || {
            let spec = lease(cluster, &node.name).await?.spec?;
            let at = spec.renew_time?.0;
            (at > renewed_at).then_some(at)
        },
    )
    .await;
    eprintln!(
        "lease renewed after {:?} (renewTime moved {} s)",
        started.elapsed(),
        later.duration_since(renewed_at).as_secs_f64()
    );
    // The host's cadence, from the times it wrote (10 s plus its GET and
    // write), not from when this test happened to look.
    assert!(
        later.duration_since(renewed_at).as_secs_f64() <= 13.0,
        "renewal every 10 s"
    );

    // With nothing changing, the status is still posted every 30 s: the
    // heartbeat moves, the transition does not.
    let heartbeat_before = ready_before.last_heartbeat_time.clone().expect("heartbeat");
    let ready_after = wait_for(Duration::from_secs(45), "a status heartbeat", async || {
        let ready = condition(&get_node(cluster, &node.name).await, "Ready")?;
        (ready.last_heartbeat_time.clone()? > heartbeat_before).then_some(ready)
    })
    .await;
    assert_eq!(ready_after.status, "True");
    assert_eq!(
        ready_after.last_transition_time, ready_before.last_transition_time,
        "Ready did not flip, so its lastTransitionTime stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_plugin_makes_the_node_not_ready_and_back() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(cluster, NodeSetup::mock("node-hung")).await;
    let plugin = node.host.plugin_pid().await;
    let pid = Pid::from_raw(i32::try_from(plugin).expect("pid"));

    kill(pid, Signal::SIGSTOP).expect("SIGSTOP the plugin");
    let stopped = Instant::now();
    let seen = node
        .wait_condition(cluster, "Ready", "False", Duration::from_secs(30))
        .await;
    let to_not_ready = stopped.elapsed();
    kill(pid, Signal::SIGCONT).expect("SIGCONT the plugin");
    let continued = Instant::now();
    let ready = condition(&seen, "Ready").expect("Ready");
    eprintln!(
        "SIGSTOP -> Ready=False after {to_not_ready:?}: {:?}: {:?}",
        ready.reason, ready.message
    );
    assert_eq!(ready.reason.as_deref(), Some("PluginNotReady"));
    let message = ready.message.unwrap_or_default();
    assert!(
        message.contains("not answering health probes"),
        "the message says why: {message}"
    );
    assert!(
        to_not_ready <= Duration::from_secs(20),
        "took {to_not_ready:?}"
    );

    node.wait_ready(cluster, Duration::from_secs(30)).await;
    eprintln!("SIGCONT -> Ready=True after {:?}", continued.elapsed());
    wait_for_event(cluster, &node, "NodeNotReady").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_says_not_ready_is_shown_and_others_conditions_survive() {
    let cluster = Cluster::shared();
    let dir = tempfile::tempdir().expect("tempdir");
    let switch = dir.path().join("not-ready");
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("node-nr").plugin_config(&format!(
            "not_ready_file = {:?}\n",
            switch.display().to_string()
        )),
    )
    .await;
    // Someone else's condition, as an operator or another controller would
    // write it.
    cluster
        .kubectl(&[
            "patch",
            "node",
            &node.name,
            "--subresource=status",
            "--type=strategic",
            "-p",
            r#"{"status":{"conditions":[{"type":"ExampleCustom","status":"True","reason":"SetByTest","message":"written by someone else"}]}}"#,
        ])
        .await
        .success();
    let before = get_node(cluster, &node.name).await;
    let heartbeat_before = condition(&before, "Ready")
        .and_then(|c| c.last_heartbeat_time)
        .expect("heartbeat");
    assert!(condition(&before, "ExampleCustom").is_some());

    std::fs::write(&switch, b"").expect("create the not-ready file");
    let started = Instant::now();
    let seen = node
        .wait_condition(cluster, "Ready", "False", Duration::from_secs(30))
        .await;
    eprintln!(
        "not_ready_file -> Ready=False after {:?}",
        started.elapsed()
    );
    let ready = condition(&seen, "Ready").expect("Ready");
    assert_eq!(ready.reason.as_deref(), Some("PluginNotReady"));
    let message = ready.message.clone().unwrap_or_default();
    assert!(
        message.contains("not_ready_file") && message.contains("plugin reports not ready"),
        "the probe's reason reaches the node: {message}"
    );
    assert!(ready.last_heartbeat_time.expect("heartbeat") >= heartbeat_before);
    assert!(
        ready.last_transition_time.expect("transition").0 >= heartbeat_before.0,
        "the flip moved lastTransitionTime"
    );
    let custom = condition(&seen, "ExampleCustom").expect("someone else's condition survives");
    assert_eq!(custom.reason.as_deref(), Some("SetByTest"));

    std::fs::remove_file(&switch).expect("remove the not-ready file");
    let back = node
        .wait_condition(cluster, "Ready", "True", Duration::from_secs(30))
        .await;
    assert!(
        condition(&back, "ExampleCustom").is_some(),
        "still there after the next status post"
    );
    assert!(condition(&back, "MemoryPressure").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_node_comes_back_with_its_lease() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(cluster, NodeSetup::mock("node-del")).await;
    let old_uid = get_node(cluster, &node.name)
        .await
        .metadata
        .uid
        .expect("uid");
    wait_for(Duration::from_secs(20), "the node Lease", async || {
        lease(cluster, &node.name).await
    })
    .await;

    cluster
        .kubectl(&["delete", "node", &node.name, "--wait=true"])
        .await
        .success();
    let deleted = Instant::now();
    let api = nodes(cluster).await;
    let new_uid = wait_for_ok(
        Duration::from_secs(20),
        "the Node to be registered again",
        async || match api.get_opt(&node.name).await.map_err(|e| e.to_string())? {
            Some(n) if n.metadata.uid.as_deref() != Some(old_uid.as_str()) => {
                Ok(n.metadata.uid.expect("uid"))
            }
            Some(_) => Err("still the old Node".to_owned()),
            None => Err("no Node".to_owned()),
        },
    )
    .await;
    eprintln!("deleted Node re-created after {:?}", deleted.elapsed());
    node.wait_ready(cluster, Duration::from_secs(20)).await;
    let recreated = get_node(cluster, &node.name).await;
    assert!(has_taint(
        &recreated,
        "virtual-kubelet.io/provider",
        Some("mock"),
        "NoSchedule"
    ));
    assert_eq!(
        labels(&recreated).get("type").map(String::as_str),
        Some("virtual-kubelet")
    );
    wait_for_ok(
        Duration::from_secs(30),
        "the Lease to name the new Node as owner",
        async || {
            let lease = lease(cluster, &node.name).await.ok_or("no Lease")?;
            let owners = lease.metadata.owner_references.unwrap_or_default();
            if owners.iter().any(|o| o.kind == "Node" && o.uid == new_uid) {
                Ok(())
            } else {
                Err(format!("owners {owners:?}"))
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taint_and_label_flags_apply_and_follow_a_restart() {
    let cluster = Cluster::shared();
    let first = VirtualNode::start(
        cluster,
        NodeSetup::mock("node-flags").host_args(&[
            "--node-taint",
            "example.com/dedicated=vk:NoExecute",
            "--node-label",
            "stage.example.com/phase=one",
        ]),
    )
    .await;
    let name = first.name.clone();
    let seen = get_node(cluster, &name).await;
    assert!(
        has_taint(&seen, "example.com/dedicated", Some("vk"), "NoExecute"),
        "{:?}",
        taints(&seen)
    );
    assert!(
        !taints(&seen)
            .iter()
            .any(|t| t.key == "virtual-kubelet.io/provider"),
        "a custom taint replaces the provider taint: {:?}",
        taints(&seen)
    );
    assert_eq!(
        labels(&seen)
            .get("stage.example.com/phase")
            .map(String::as_str),
        Some("one")
    );

    // An admin's own label and taint, which vk-host must leave alone.
    cluster
        .kubectl(&["label", "node", &name, "admin.example.com/keep=yes"])
        .await
        .success();
    cluster
        .kubectl(&[
            "taint",
            "node",
            &name,
            "admin.example.com/maint=true:PreferNoSchedule",
        ])
        .await
        .success();

    // The same Node, served by a new vk-host with other flags.
    drop(first);
    let second = VirtualNode::start(
        cluster,
        NodeSetup::mock("node-flags").node_name(&name).host_args(&[
            "--disable-taint",
            "--node-label",
            "stage.example.com/phase=two",
        ]),
    )
    .await;
    let api = nodes(cluster).await;
    let after = wait_for_ok(
        Duration::from_secs(30),
        "the new flags on the Node",
        async || {
            let node = api.get(&name).await.map_err(|e| e.to_string())?;
            let phase = labels(&node).get("stage.example.com/phase").cloned();
            let dedicated = taints(&node)
                .iter()
                .any(|t| t.key == "example.com/dedicated");
            if phase.as_deref() == Some("two") && !dedicated {
                Ok(node)
            } else {
                Err(format!(
                    "label {phase:?}, taints {:?}; host log:\n{}",
                    taints(&node),
                    second.log_tail()
                ))
            }
        },
    )
    .await;
    assert_eq!(
        labels(&after)
            .get("admin.example.com/keep")
            .map(String::as_str),
        Some("yes")
    );
    assert!(
        has_taint(
            &after,
            "admin.example.com/maint",
            Some("true"),
            "PreferNoSchedule"
        ),
        "the admin's taint stays: {:?}",
        taints(&after)
    );
    assert!(
        !taints(&after)
            .iter()
            .any(|t| t.key == "virtual-kubelet.io/provider")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_without_node_info_gets_defaults() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("node-noinfo")
            .plugin_config("disabled_capabilities = [\"node_info\"]\n")
            .host_args(&["--node-ip", "127.0.0.1"]),
    )
    .await;
    let seen = get_node(cluster, &node.name).await;
    let status = seen.status.expect("status");
    let capacity = status.capacity.expect("capacity");
    assert_eq!(capacity.get("pods").map(|q| q.0.as_str()), Some("110"));
    let cpus = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .to_string();
    assert_eq!(
        capacity.get("cpu").map(|q| q.0.as_str()),
        Some(cpus.as_str())
    );
    assert!(capacity.contains_key("memory"));
    let addresses: Vec<(String, String)> = status
        .addresses
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.type_, a.address))
        .collect();
    assert_eq!(
        addresses[0],
        ("InternalIP".to_owned(), "127.0.0.1".to_owned())
    );
    let info = status.node_info.expect("nodeInfo");
    // The plugin's name and version stand in for the runtime; the OS image
    // is this machine's (the mock reports "vk-mock-plugin" when asked).
    assert!(
        info.container_runtime_version.starts_with("mock://"),
        "{}",
        info.container_runtime_version
    );
    assert_ne!(info.os_image, "vk-mock-plugin");
    assert!(!info.os_image.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_crash_is_reported_as_restarting_then_ready() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(cluster, NodeSetup::mock("node-crash")).await;
    let plugin = node.host.plugin_pid().await;
    kill(
        Pid::from_raw(i32::try_from(plugin).expect("pid")),
        Signal::SIGKILL,
    )
    .expect("SIGKILL the plugin");
    // The NotReady window lasts only the restart backoff; the Event keeps it.
    let events: Api<Event> = Api::namespaced(cluster.client().await, "default");
    let note = wait_for_ok(
        Duration::from_secs(30),
        "a NodeNotReady Event naming the restart",
        async || {
            let list = events
                .list(&ListParams::default().fields(&format!("involvedObject.name={}", node.name)))
                .await
                .map_err(|e| e.to_string())?;
            let notes: Vec<String> = list
                .items
                .into_iter()
                .filter(|e| e.reason.as_deref() == Some("NodeNotReady"))
                .filter_map(|e| e.message)
                .collect();
            notes
                .iter()
                .find(|n| n.contains("PluginRestarting"))
                .cloned()
                .ok_or(format!("NodeNotReady notes: {notes:?}"))
        },
    )
    .await;
    eprintln!("NodeNotReady event: {note}");
    assert!(note.contains("signal: 9"), "the exit is named: {note}");
    node.wait_ready(cluster, Duration::from_secs(30)).await;
}

/// Plugin node data the API server would refuse: a fractional extended
/// resource (it takes only whole numbers of those) and a condition message
/// of 5000 bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_data_the_api_server_would_refuse_is_dropped_or_cut() {
    let cluster = Cluster::shared();
    let long = "m".repeat(5000);
    let config = format!(
        r#"
[node]
extra_capacity = {{ "example.com/widget" = "0.5", "example.com/gadget" = "2" }}
conditions = [{{ type = "MockChatty", status = "True", reason = "Talks", message = "{long}" }}]
"#
    );
    // `start` waits for Ready: the Node registered although its plugin
    // reported all of that.
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("node-invalid").plugin_config(&config),
    )
    .await;
    let seen = get_node(cluster, &node.name).await;
    let status = seen.status.clone().expect("a status");
    let capacity = status.capacity.clone().expect("capacity");
    assert!(
        !capacity.contains_key("example.com/widget"),
        "the fractional widget is dropped: {capacity:?}"
    );
    assert_eq!(
        capacity.get("example.com/gadget").map(|q| q.0.as_str()),
        Some("2"),
        "the plugin's valid resources stay"
    );
    let chatty = condition(&seen, "MockChatty").expect("the plugin's condition");
    let message = chatty.message.unwrap_or_default();
    assert!(
        message.len() <= 1024 && message.starts_with("mmm") && message.ends_with("..."),
        "the message is cut to 1 KiB: {} bytes",
        message.len()
    );
    let ready = condition(&seen, "Ready").expect("Ready");
    assert_eq!(ready.status, "True", "{ready:?}");
}
