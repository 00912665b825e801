//! `vk-host --config FILE` end to end: the real binary with the mock plugin
//! against the real control plane. A file registers a Ready Node with its
//! settings, a flag overrides a file key, an unknown key stops vk-host before
//! it touches the cluster, and `--print-config` shows where each value came
//! from (flag > environment > file > default) and reads back as a file.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use vk_tests::cluster::{Cluster, node_name, wait_for_ok};
use vk_tests::processes::{HostProcess, workspace_binary};
use vk_tests::virtual_node::free_port;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the config file");
    path.display().to_string()
}

/// A file for a mock-plugin node `name` that reaches `cluster`.
fn node_config(cluster: &Cluster, name: &str) -> String {
    format!(
        r#"# vk-host settings, as a platform team keeps them
plugin = "{plugin}"
node-name = "{name}"
kubeconfig = "{kubeconfig}"
node-label = ["config.example.com/source=file", "config.example.com/team=edge"]
node-taint = "config.example.com/from=file:NoSchedule"
kubelet-address = "127.0.0.1"
kubelet-port = {port}
pod-status-resync = "5s"
kube-api-qps = 20
"#,
        plugin = workspace_binary("vk-mock-plugin").display(),
        kubeconfig = cluster.vk_host_kubeconfig().display(),
        port = free_port(),
    )
}

async fn node_ready(nodes: &Api<Node>, name: &str) -> Result<Node, String> {
    let node = nodes.get(name).await.map_err(|e| e.to_string())?;
    let ready = node
        .status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Ready"))
        .map(|condition| condition.status.clone());
    match ready.as_deref() {
        Some("True") => Ok(node),
        other => Err(format!("Ready is {other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_registers_the_node_and_a_flag_overrides_it() {
    let cluster = Cluster::shared();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = node_name("cfg-file");
    let config = write(dir.path(), "vk-host.toml", &node_config(cluster, &name));
    let host = HostProcess::start(
        &[
            "--config",
            &config,
            "--node-taint",
            "config.example.com/from=flag:NoSchedule",
        ],
        &[],
    );
    let nodes: Api<Node> = Api::all(cluster.client().await);
    let node = wait_for_ok(
        Duration::from_secs(60),
        &format!("Node {name} from the config file to be Ready"),
        async || node_ready(&nodes, &name).await,
    )
    .await;

    let labels = node.metadata.labels.clone().unwrap_or_default();
    for (key, value) in [
        ("config.example.com/source", "file"),
        ("config.example.com/team", "edge"),
    ] {
        assert_eq!(
            labels.get(key).map(String::as_str),
            Some(value),
            "{labels:?}"
        );
    }
    let taints: Vec<String> = node
        .spec
        .and_then(|spec| spec.taints)
        .unwrap_or_default()
        .iter()
        .map(|t| {
            format!(
                "{}={}:{}",
                t.key,
                t.value.as_deref().unwrap_or(""),
                t.effect
            )
        })
        .collect();
    assert!(
        taints.contains(&"config.example.com/from=flag:NoSchedule".to_owned()),
        "the flag's taint: {taints:?}"
    );
    assert!(
        !taints.iter().any(|t| t.contains("from=file")),
        "the file's taint was overridden: {taints:?}"
    );
    let port = node
        .status
        .and_then(|status| status.daemon_endpoints)
        .and_then(|endpoints| endpoints.kubelet_endpoint)
        .map(|endpoint| endpoint.port);
    assert!(
        config_text(&config).contains(&format!("kubelet-port = {}", port.unwrap_or(-1))),
        "daemonEndpoints port {port:?} is the file's"
    );
    drop(host);
    nodes
        .delete(&name, &Default::default())
        .await
        .expect("delete the test's Node");
}

fn config_text(path: &str) -> String {
    std::fs::read_to_string(path).expect("read the config file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_stops_vk_host_before_it_registers_anything() {
    let cluster = Cluster::shared();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = node_name("cfg-unknown");
    let text = format!("{}kubelet-prot = 10250\n", node_config(cluster, &name));
    let line = text.lines().count();
    let config = write(dir.path(), "vk-host.toml", &text);
    let output = tokio::process::Command::new(workspace_binary("vk-host"))
        .args(["--config", &config])
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run vk-host");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "vk-host: --config {config}: line {line}: unknown key \"kubelet-prot\" (keys are vk-host's long flag names, see vk-host --help)"
        ),
    );
    assert!(output.stdout.is_empty(), "{output:?}");
    let nodes: Api<Node> = Api::all(cluster.client().await);
    let found = nodes.get_opt(&name).await.expect("read Nodes");
    assert!(found.is_none(), "no Node {name} was registered: {found:?}");
}

/// `vk-host --print-config` with `args` and `env`, its stdout.
async fn print_config(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = tokio::process::Command::new(workspace_binary("vk-host"))
        .arg("--print-config")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run vk-host --print-config");
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The `key = value` lines, without their source comments.
fn values(printed: &str) -> Vec<&str> {
    printed
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.rsplit_once("  # ").expect("a source comment").0)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_config_shows_each_value_and_its_source_and_reads_back() {
    let cluster = Cluster::shared();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = node_name("cfg-print");
    let text = format!(
        "{}plugin-env = [\"API_TOKEN=s3cr3t-value\", \"HOME\"]\nkube-api-burst = 30\nevent-burst = 40\n",
        node_config(cluster, &name)
    );
    let config = write(dir.path(), "vk-host.toml", &text);
    let flag_name = format!("{name}-flag");
    let printed = print_config(
        &["--config", &config, "--node-name", &flag_name],
        &[
            ("VK_NODE_NAME", "from-env"),
            ("VK_KUBE_API_BURST", "7"),
            ("VK_LOG_FORMAT", "json"),
        ],
    )
    .await;
    assert!(!printed.contains("s3cr3t"), "{printed}");
    for line in [
        format!("node-name = \"{flag_name}\"  # flag"),
        "kube-api-burst = 7  # env VK_KUBE_API_BURST".to_owned(),
        "log-format = \"json\"  # env VK_LOG_FORMAT".to_owned(),
        "event-burst = 40  # file".to_owned(),
        "kube-api-qps = 20  # file".to_owned(),
        "plugin-env = [\"API_TOKEN=<redacted>\", \"HOME\"]  # file".to_owned(),
        "node-label = [\"config.example.com/source=file\", \"config.example.com/team=edge\"]  # file".to_owned(),
        "pod-sync-workers = 32  # default".to_owned(),
        "disable-taint = false  # default".to_owned(),
        "# tls-cert-file is not set  # default".to_owned(),
    ] {
        assert!(printed.lines().any(|got| got == line), "{line} in\n{printed}");
    }

    // The output is a configuration file that means the same thing.
    let again_path = write(dir.path(), "printed.toml", &printed);
    let again = print_config(&["--config", &again_path], &[]).await;
    assert_eq!(values(&again), values(&printed), "{again}");
    assert!(
        again.contains("kube-api-burst = 7  # file"),
        "now from the file: {again}"
    );

    // Printing starts nothing: no Node under either name.
    let nodes: Api<Node> = Api::all(cluster.client().await);
    for name in [&name, &flag_name] {
        let found = nodes.get_opt(name).await.expect("read Nodes");
        assert!(found.is_none(), "--print-config registered {name}");
    }
}
