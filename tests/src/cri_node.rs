//! The vk-cri-plugin end-to-end tests' shared set-up: an isolated
//! containerd with the plugin configured for it, a virtual node running
//! vk-cri-plugin, and kubectl helpers to create pods and wait on them.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::cluster::{Cluster, Identity, wait_for_ok};
use crate::cri_env::CriEnv;
use crate::virtual_node::{NodeSetup, VirtualNode};

pub const BUSYBOX: &str = "localhost/vk-test/busybox:1";

/// A pod manifest on `node` with the given spec lines (indented two
/// spaces, under `spec:`).
pub fn pod(node: &VirtualNode, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
spec:
  nodeName: {node}
  automountServiceAccountToken: false
  tolerations:
  - key: virtual-kubelet.io/provider
    operator: Exists
{spec}",
        ns = node.namespace,
        node = node.name,
    )
}

pub async fn apply(cluster: &Cluster, manifest: &str) {
    cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(manifest))
        .await
        .success();
}

pub async fn get_pod(cluster: &Cluster, ns: &str, name: &str) -> Value {
    cluster
        .kubectl(&["get", "pod", name, "-n", ns, "-o", "json"])
        .await
        .success()
        .json()
}

/// Waits until `check` accepts pod `name`; the message shows the pod's
/// status and the host's log tail.
pub async fn wait_pod(
    cluster: &Cluster,
    node: &VirtualNode,
    name: &str,
    what: &str,
    timeout: Duration,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let ns = node.namespace.clone();
    wait_for_ok(timeout, &format!("pod {name}: {what}"), async || {
        let pod = get_pod(cluster, &ns, name).await;
        if check(&pod) {
            Ok(pod)
        } else {
            Err(format!(
                "status {}\nhost log tail:\n{}",
                pod["status"],
                node.log_tail()
            ))
        }
    })
    .await
}

pub fn phase(pod: &Value) -> &str {
    pod["status"]["phase"].as_str().unwrap_or_default()
}

pub fn container(pod: &Value, list: &str, name: &str) -> Value {
    pod["status"][list]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == name).cloned())
        .unwrap_or(Value::Null)
}

/// One test's own containerd (`scripts/cri-env.sh`), and the plugin
/// configuration pointing at it: the common keys, then `extra` lines.
/// Returns the environment, its run directory and the configuration.
pub fn cri_environment(name: &str, node_ip: &str, extra: &str) -> (CriEnv, PathBuf, String) {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the CRI plugin test needs root (containerd, runc, CNI)"
    );
    let pid = std::process::id();
    let run_dir = PathBuf::from(format!("/tmp/vk-cri-{name}-test.{pid}"));
    let cgroup_root = format!("/vk-cri-{name}-test-{pid}");
    let env = CriEnv::up(&run_dir).removing_cgroups_under(&cgroup_root);
    let config = format!(
        "runtime_endpoint = {socket:?}
pod_logs_dir = {logs:?}
root_dir = {state:?}
instance_name = \"vk-{name}-{pid}\"
cgroup_root = {cgroup_root:?}
relist_interval_ms = 200
node_ips = [{node_ip:?}]
resolv_conf = \"\"
{extra}",
        socket = env.var("VK_CRI_SOCKET"),
        logs = run_dir.join("pod-logs").display().to_string(),
        state = run_dir.join("plugin-state").display().to_string(),
    );
    (env, run_dir, config)
}

/// A virtual node running vk-cri-plugin with `config`, its kubelet API on
/// `ip:port` (set up by hand: the harness's `with_kubelet_api` also
/// configures the mock plugin).
pub fn cri_node(cluster: &Cluster, prefix: &str, config: &str, ip: &str, port: &str) -> NodeSetup {
    let ca = cluster.ca_cert().display().to_string();
    let kubelet_ca = cluster.kubelet_ca_cert().display().to_string();
    let kubelet_key = cluster.kubelet_ca_key().display().to_string();
    let mut setup = NodeSetup::mock(prefix).plugin_config(config).host_args(&[
        "--node-ip",
        ip,
        "--kubelet-address",
        ip,
        "--kubelet-port",
        port,
        "--client-ca-file",
        &ca,
        "--tls-ca-cert-file",
        &kubelet_ca,
        "--tls-ca-key-file",
        &kubelet_key,
    ]);
    setup.plugin = "vk-cri-plugin".into();
    setup
}

/// [`cri_node`] with its kubelet API on 127.0.0.1 and a free port (pods
/// reached through the API server's loopback proxy).
pub fn loopback_cri_node(cluster: &Cluster, prefix: &str, config: &str) -> NodeSetup {
    let port = crate::virtual_node::free_port().to_string();
    cri_node(cluster, prefix, config, "127.0.0.1", &port)
}

/// `kubectl exec POD -- sh -c SCRIPT`, which must succeed; its stdout.
pub async fn exec_sh(cluster: &Cluster, ns: &str, pod: &str, script: &str) -> String {
    cluster
        .kubectl(&["exec", pod, "-n", ns, "--", "sh", "-c", script])
        .await
        .success()
        .stdout
}

/// The status ("True"/"False") of condition `type_` of a pod.
pub fn condition_status(pod: &Value, type_: &str) -> String {
    pod["status"]["conditions"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == type_))
        .and_then(|c| c["status"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The events about pod `name` (with `more` field selectors, e.g.
/// `,reason=X`), as `kubectl get events -o json` lists them.
pub async fn pod_event_items(cluster: &Cluster, ns: &str, name: &str, more: &str) -> Vec<Value> {
    let list = cluster
        .kubectl(&[
            "get",
            "events",
            "-n",
            ns,
            "--field-selector",
            &format!("involvedObject.name={name}{more}"),
            "-o",
            "json",
        ])
        .await
        .success()
        .json();
    list["items"].as_array().cloned().unwrap_or_default()
}

/// `(reason, message, fieldPath)` of every event about pod `name`, as
/// `kubectl get events` lists them.
pub async fn pod_events(cluster: &Cluster, ns: &str, name: &str) -> Vec<(String, String, String)> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    pod_event_items(cluster, ns, name, "")
        .await
        .iter()
        .map(|e| {
            (
                text(&e["reason"]),
                text(&e["message"]),
                text(&e["involvedObject"]["fieldPath"]),
            )
        })
        .collect()
}

/// Waits until the plugin has removed every pod's state under its
/// `root_dir` in `run_dir` (nothing left when the environment goes down).
pub async fn wait_all_forgotten(run_dir: &std::path::Path) {
    let state = run_dir.join("plugin-state/pods");
    wait_for_ok(
        Duration::from_secs(20),
        "the plugin to forget every pod",
        async || {
            let left: Vec<_> = std::fs::read_dir(&state)
                .map(|d| d.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("{left:?}"))
            }
        },
    )
    .await;
}

/// Waits until `kubectl describe pod NAME` shows every text of `wanted`
/// (events are recorded in the background and may trail the status);
/// the description.
pub async fn wait_described(cluster: &Cluster, ns: &str, name: &str, wanted: &[&str]) -> String {
    wait_for_ok(
        Duration::from_secs(30),
        &format!("kubectl describe pod {name} to show {wanted:?}"),
        async || {
            let described = cluster
                .kubectl(&["describe", "pod", name, "-n", ns])
                .await
                .success()
                .stdout;
            if wanted.iter().all(|text| described.contains(text)) {
                Ok(described)
            } else {
                Err(described)
            }
        },
    )
    .await
}

/// The usual start of a CRI test: its own containerd ([`cri_environment`]
/// named `name`, with `extra` plugin configuration lines) and a virtual
/// node `cri-<name>` running vk-cri-plugin on it, kubelet API on loopback.
/// Prints `<name>: node ready` with the time since `started`.
pub async fn start_loopback_cri(
    cluster: &Cluster,
    name: &str,
    extra: &str,
    started: std::time::Instant,
) -> (CriEnv, PathBuf, VirtualNode) {
    let (env, run_dir, config) = cri_environment(name, "127.0.0.1", extra);
    let setup = loopback_cri_node(cluster, &format!("cri-{name}"), &config);
    let node = VirtualNode::start(cluster, setup).await;
    eprintln!("{name}: node ready: {:?}", started.elapsed());
    (env, run_dir, node)
}

/// The usual end of a CRI test: `kubectl delete pods --all` in `ns`
/// (which waits until they are gone, at most 90 s), then until the plugin
/// has forgotten every pod under `run_dir`.
pub async fn delete_all_pods(cluster: &Cluster, ns: &str, run_dir: &std::path::Path) {
    cluster
        .kubectl(&["delete", "pods", "--all", "-n", ns, "--timeout=90s"])
        .await
        .success();
    wait_all_forgotten(run_dir).await;
}

/// `kubectl attach -i` to `pod`, whose process echoes each line as
/// `echo: LINE` and exits at `bye`: each line is sent once the previous
/// answer is back (the end of stdin would detach), and the attach ends
/// when the process exits.
pub async fn attach_and_talk(cluster: &Cluster, node: &VirtualNode, pod: &str) {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

    let mut attach = cluster
        .kubectl_command(Identity::Admin)
        .args([
            "attach",
            "-i",
            "-q",
            "-n",
            &node.namespace,
            pod,
            "-c",
            "main",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("kubectl attach starts");
    let mut to_attach = attach.stdin.take().expect("piped stdin");
    let mut from_attach =
        tokio::io::BufReader::new(attach.stdout.take().expect("piped stdout")).lines();
    for line in ["attached", "bye"] {
        to_attach
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("writing to kubectl attach");
        let answer = tokio::time::timeout(Duration::from_secs(30), from_attach.next_line())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "attach: no answer to {line:?} in 30 s\nhost log tail:\n{}",
                    node.log_tail()
                )
            })
            .expect("reading kubectl attach");
        assert_eq!(answer.as_deref(), Some(format!("echo: {line}").as_str()));
    }
    let status = tokio::time::timeout(Duration::from_secs(30), attach.wait())
        .await
        .expect("kubectl attach did not end in 30 s after the process exited")
        .expect("kubectl attach ran");
    assert!(status.success(), "kubectl attach: {status:?}");
}

/// One HTTP/1.0 `GET /index.html` through `kubectl port-forward`'s local
/// port (busybox httpd in the test pods), read to its end: the response.
pub async fn http_get_through(local: u16, node: &VirtualNode, what: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let mut connection = tokio::net::TcpStream::connect(("127.0.0.1", local))
        .await
        .expect("connecting to kubectl's local port");
    connection
        .write_all(b"GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n")
        .await
        .expect("writing the request");
    let mut response = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        connection.read_to_end(&mut response),
    )
    .await
    .unwrap_or_else(|_| {
        panic!(
            "{what}: httpd's response did not end in 30 s\nhost log tail:\n{}",
            node.log_tail()
        )
    })
    .expect("reading the response");
    String::from_utf8_lossy(&response).into_owned()
}
