//! Container environments and volume data end to end: the real vk-host
//! resolves env against real Secrets, ConfigMaps, the Node and the pod's
//! status before the mock plugin gets the pod; the mock records what it
//! received (its `pods_file` lists every container's env and, with
//! `fetch_volumes`, the files it built through the host callbacks).

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod, Secret};
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::{Value, json};
use vk_tests::cluster::{Cluster, wait_for_ok};
use vk_tests::processes::peak_rss_kib;
use vk_tests::virtual_node::{NodeSetup, VirtualNode};

struct Node {
    node: VirtualNode,
    pods_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Node {
    async fn start(cluster: &Cluster, prefix: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let pods_file = dir.path().join("pods.json");
        let config = format!(
            "pods_file = {:?}\nfetch_volumes = true\n",
            pods_file.display().to_string()
        );
        let node =
            VirtualNode::start(cluster, NodeSetup::mock(prefix).plugin_config(&config)).await;
        Self {
            node,
            pods_file,
            _dir: dir,
        }
    }

    /// The mock's entry for pod `name`, once it holds it.
    fn held(&self, name: &str) -> Option<Value> {
        let text = std::fs::read_to_string(&self.pods_file).ok()?;
        let listing: Vec<Value> = serde_json::from_str(&text).ok()?;
        listing.into_iter().find(|p| p["name"] == name)
    }
}

fn pod(node: &VirtualNode, name: &str, spec: Value) -> Pod {
    let mut spec = spec;
    spec["nodeName"] = json!(node.name);
    spec["tolerations"] = json!([{"key": "virtual-kubelet.io/provider", "operator": "Exists"}]);
    serde_json::from_value(
        json!({"metadata": {"name": name, "namespace": node.namespace}, "spec": spec}),
    )
    .expect("pod")
}

/// The env the mock received for `container`: name → value (`None` for an
/// entry still unresolved), without the master service variables
/// (`KUBERNETES_*`, see [`master_env_of`]).
fn env_of(entry: &Value, container: &str) -> Vec<(String, Option<String>)> {
    all_env_of(entry, container)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("KUBERNETES_"))
        .collect()
}

/// The `KUBERNETES_*` variables the mock received for `container`, in order.
fn master_env_of(entry: &Value, container: &str) -> Vec<(String, Option<String>)> {
    all_env_of(entry, container)
        .into_iter()
        .filter(|(name, _)| name.starts_with("KUBERNETES_"))
        .collect()
}

fn all_env_of(entry: &Value, container: &str) -> Vec<(String, Option<String>)> {
    serde_json::from_value(entry["env"][container].clone()).expect("env listing")
}

#[tokio::test]
async fn env_is_resolved_with_kubelet_semantics_and_the_pod_ip_arrives_late() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "env").await;
    let ns = node.node.namespace.clone();
    let client = cluster.client().await;
    let post = PostParams::default();
    let settings: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "settings"},
        "data": {"mode": "fast", "level": "3"},
    }))
    .expect("configmap");
    Api::<ConfigMap>::namespaced(client.clone(), &ns)
        .create(&post, &settings)
        .await
        .expect("configmap");
    let creds: Secret = serde_json::from_value(json!({
        "metadata": {"name": "creds"}, "stringData": {"password": "pw-env-test"},
    }))
    .expect("secret");
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&post, &creds)
        .await
        .expect("secret");

    let spec = json!({
        "containers": [{
            "name": "main", "image": "busybox",
            "command": ["sh", "-c", "echo $(MODE) $$(MODE)"],
            "args": ["--mode=$(MODE)", "--level=$(CFG_level)", "$(UNDEFINED)"],
            "resources": {"limits": {"cpu": "500m"}, "requests": {"cpu": "250m"}},
            "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"},
                        {"secretRef": {"name": "absent", "optional": true}}],
            "env": [
                {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
                {"name": "CFG_level", "value": "override-$(MODE)"},
                {"name": "OPTIONAL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "none", "optional": true}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
                {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "POD_URL", "value": "http://$(POD_IP):8080"},
                {"name": "CPU_MILLIS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}}},
                {"name": "CPU_REQUEST", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}}},
                {"name": "MEMORY_MI", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
                {"name": "ESCAPED", "value": "$$(MODE)"},
                // The user's value wins over the master service's, and may
                // refer to the master service variables.
                {"name": "KUBERNETES_SERVICE_PORT", "value": "8443-$(KUBERNETES_SERVICE_HOST)"},
            ],
            "volumeMounts": [{"name": "creds", "mountPath": "/creds"}],
        }],
        "volumes": [{"name": "creds", "secret": {"secretName": "creds"}}],
    });
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    pods.create(&post, &pod(&node.node, "envs", spec))
        .await
        .expect("create pod");

    // The pod IP is known only after the plugin reported it; then one
    // UpdatePod carries it.
    let (api_pod, entry) = wait_for_ok(
        Duration::from_secs(60),
        "the plugin to hold pod envs with POD_IP resolved",
        async || {
            let api_pod = pods.get("envs").await.map_err(|e| e.to_string())?;
            let entry = node
                .held("envs")
                .ok_or_else(|| format!("not held yet; host log:\n{}", node.node.log_tail()))?;
            let resolved = env_of(&entry, "main")
                .iter()
                .any(|(name, value)| name == "POD_IP" && value.is_some());
            if resolved {
                Ok((api_pod, entry))
            } else {
                Err(format!("POD_IP not resolved yet: {entry}"))
            }
        },
    )
    .await;
    let status = api_pod.status.clone().expect("status");
    let pod_ip = status.pod_ip.clone().expect("the mock reports a pod IP");
    let node_object = Api::<k8s_openapi::api::core::v1::Node>::all(client.clone())
        .get(&node.node.name)
        .await
        .expect("node");
    let host_ip = status.host_ip.clone().expect("hostIP");
    let memory_mi = {
        let allocatable = node_object
            .status
            .and_then(|s| s.allocatable)
            .expect("allocatable");
        let memory = allocatable["memory"].0.clone();
        assert_eq!(memory, "512Gi", "the mock's default allocatable");
        "524288".to_owned()
    };
    let expected: Vec<(String, Option<String>)> = [
        ("CFG_level", "override-fast"),
        ("CFG_mode", "fast"),
        ("MODE", "fast"),
        ("PASSWORD", "pw-env-test"),
        ("POD_NAME", "envs"),
        ("NODE", node.node.name.as_str()),
        ("SA", "default"),
        ("HOST_IP", host_ip.as_str()),
        ("POD_IP", pod_ip.as_str()),
        ("POD_URL", &format!("http://{pod_ip}:8080")),
        ("CPU_MILLIS", "500"),
        ("CPU_REQUEST", "250"),
        ("MEMORY_MI", memory_mi.as_str()),
        ("ESCAPED", "$(MODE)"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
    .collect();
    assert_eq!(
        env_of(&entry, "main"),
        expected,
        "env as the plugin received it: {entry}"
    );
    assert_eq!(
        entry["commands"]["main"],
        json!([
            ["sh", "-c", "echo fast $(MODE)"],
            ["--mode=fast", "--level=override-fast", "$(UNDEFINED)"]
        ]),
        "command and args expanded as the kubelet does ($$ escapes, unknown names stay): {entry}"
    );
    assert!(
        entry["updates"].as_u64().expect("updates") >= 1,
        "the pod IP came with an UpdatePod: {entry}"
    );

    // The master service variables, as the kubelet injects them in every
    // namespace: from Service default/kubernetes, the user's definition first.
    let master = Api::<k8s_openapi::api::core::v1::Service>::namespaced(client.clone(), "default")
        .get("kubernetes")
        .await
        .expect("Service default/kubernetes");
    let ip = master
        .spec
        .and_then(|spec| spec.cluster_ip)
        .expect("the kubernetes Service's ClusterIP");
    let port = 443;
    let expected: Vec<(String, Option<String>)> = [
        ("KUBERNETES_SERVICE_PORT", format!("8443-{ip}")),
        ("KUBERNETES_SERVICE_HOST", ip.clone()),
        ("KUBERNETES_SERVICE_PORT_HTTPS", port.to_string()),
        ("KUBERNETES_PORT", format!("tcp://{ip}:{port}")),
        ("KUBERNETES_PORT_443_TCP", format!("tcp://{ip}:{port}")),
        ("KUBERNETES_PORT_443_TCP_PROTO", "tcp".to_owned()),
        ("KUBERNETES_PORT_443_TCP_PORT", port.to_string()),
        ("KUBERNETES_PORT_443_TCP_ADDR", ip.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Some(v)))
    .collect();
    assert_eq!(
        master_env_of(&entry, "main"),
        expected,
        "master service variables: {entry}"
    );

    // Volume data through the callbacks: the secret volume and the
    // auto-injected kube-api-access volume (token, CA, namespace).
    let volumes = entry["volumes"].as_object().expect("volumes");
    assert_eq!(
        volumes["creds"],
        json!({"password": "pw-env-test".len()}),
        "{entry}"
    );
    let (name, access) = volumes
        .iter()
        .find(|(name, _)| name.starts_with("kube-api-access-"))
        .unwrap_or_else(|| panic!("a kube-api-access volume: {entry}"));
    assert!(
        access["token"].as_u64().is_some_and(|n| n > 100),
        "{name}: {access}"
    );
    assert!(
        access["ca.crt"].as_u64().is_some_and(|n| n > 100),
        "{name}: {access}"
    );
    assert_eq!(access["namespace"], json!(ns.len()), "{name}: {access}");
}

#[tokio::test]
async fn a_missing_config_map_holds_the_pod_until_it_is_created() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "env-late").await;
    let ns = node.node.namespace.clone();
    let client = cluster.client().await;
    let post = PostParams::default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let spec = json!({"containers": [{"name": "main", "image": "busybox",
        "env": [{"name": "LATE", "valueFrom": {"configMapKeyRef": {"name": "late-config", "key": "value"}}}]}]});
    pods.create(&post, &pod(&node.node, "late", spec))
        .await
        .expect("create pod");

    let message = "configmap \"late-config\" not found";
    wait_for_ok(
        Duration::from_secs(60),
        "pod late waiting with CreateContainerConfigError",
        async || {
            let pod = pods.get("late").await.map_err(|e| e.to_string())?;
            let status = pod.status.clone().unwrap_or_default();
            let waiting = status
                .container_statuses
                .iter()
                .flatten()
                .find(|c| c.name == "main")
                .and_then(|c| c.state.clone())
                .and_then(|s| s.waiting);
            let matches = status.phase.as_deref() == Some("Pending")
                && waiting.as_ref().is_some_and(|w| {
                    w.reason.as_deref() == Some("CreateContainerConfigError")
                        && w.message.as_deref() == Some(message)
                });
            if matches {
                Ok(())
            } else {
                Err(format!("status {status:?}"))
            }
        },
    )
    .await;
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    wait_for_ok(
        Duration::from_secs(30),
        "a Failed event in the kubelet's words",
        async || {
            let list = events
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let found = list.items.iter().any(|e| {
                e.reason.as_deref() == Some("Failed")
                    && e.type_.as_deref() == Some("Warning")
                    && e.message.as_deref() == Some(&format!("Error: {message}"))
            });
            if found {
                Ok(())
            } else {
                Err(format!(
                    "events: {:?}",
                    list.items
                        .iter()
                        .map(|e| (&e.reason, &e.message))
                        .collect::<Vec<_>>()
                ))
            }
        },
    )
    .await;
    assert!(
        node.held("late").is_none(),
        "not created in the plugin while the ConfigMap is missing"
    );

    let late: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "late-config"}, "data": {"value": "arrived"}}),
    )
    .expect("configmap");
    Api::<ConfigMap>::namespaced(client.clone(), &ns)
        .create(&post, &late)
        .await
        .expect("configmap");
    let entry = wait_for_ok(
        Duration::from_secs(90),
        "pod late created once its ConfigMap exists",
        async || {
            let phase = pods
                .get("late")
                .await
                .map_err(|e| e.to_string())?
                .status
                .and_then(|s| s.phase);
            match node.held("late") {
                Some(entry) if phase.as_deref() == Some("Running") => Ok(entry),
                other => Err(format!("phase {phase:?}, plugin entry {other:?}")),
            }
        },
    )
    .await;
    assert_eq!(
        env_of(&entry, "main"),
        vec![("LATE".to_owned(), Some("arrived".to_owned()))]
    );
    let master = master_env_of(&entry, "main");
    assert!(
        master
            .iter()
            .any(|(name, value)| name == "KUBERNETES_SERVICE_HOST" && value.is_some()),
        "every container gets KUBERNETES_SERVICE_HOST: {master:?}"
    );
}

/// A 60 KiB pod whose variables repeat one another (30 variables of 100
/// `$(A)` each, A being 40 KiB) would expand to 120 MiB: it waits with
/// CreateContainerConfigError saying the environment is too large, as a
/// pod whose env cannot be built does (a referenced ConfigMap may shrink),
/// never reaches the plugin, and vk-host's memory stays bounded.
#[tokio::test]
async fn an_environment_that_expands_past_the_limit_is_refused_on_the_pod() {
    let cluster = Cluster::shared();
    let node = Node::start(cluster, "env-huge").await;
    let ns = node.node.namespace.clone();
    let pods: Api<Pod> = Api::namespaced(cluster.client().await, &ns);
    let mut env = vec![json!({"name": "A", "value": "x".repeat(40 * 1024)})];
    env.extend((0..30).map(|i| json!({"name": format!("B{i}"), "value": "$(A)".repeat(100)})));
    let spec = json!({"containers": [{"name": "main", "image": "busybox", "env": env}]});
    pods.create(&PostParams::default(), &pod(&node.node, "amplified", spec))
        .await
        .expect("create pod");

    let status = wait_for_ok(
        Duration::from_secs(60),
        "pod amplified waiting with CreateContainerConfigError: environment too large",
        async || {
            let pod = pods.get("amplified").await.map_err(|e| e.to_string())?;
            let status = pod.status.clone().unwrap_or_default();
            let waiting = status
                .container_statuses
                .iter()
                .flatten()
                .find(|c| c.name == "main")
                .and_then(|c| c.state.clone())
                .and_then(|s| s.waiting);
            let matches = status.phase.as_deref() == Some("Pending")
                && waiting.as_ref().is_some_and(|w| {
                    w.reason.as_deref() == Some("CreateContainerConfigError")
                        && w.message
                            .as_deref()
                            .is_some_and(|m| m.contains("environment is too large"))
                });
            if matches {
                Ok(status)
            } else {
                Err(format!(
                    "status {status:?}; host log:\n{}",
                    node.node.log_tail()
                ))
            }
        },
    )
    .await;
    println!("refused: {:?}", status.container_statuses);
    // A few more passes of the retry, then the peak.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        node.held("amplified").is_none(),
        "not created in the plugin"
    );
    let peak = peak_rss_kib(node.node.host.pid()).expect("vk-host VmHWM");
    println!("vk-host peak RSS {peak} KiB");
    assert!(
        peak < 200 * 1024,
        "vk-host's peak RSS is {peak} KiB: the environment was expanded beyond the limit"
    );
}
