//! A real `vk-host` running a real plugin against a [`Cluster`]: one per test,
//! with its own node name and namespace, so tests of the node and pod
//! controllers read like a user's session (`kubectl apply`, `kubectl get`).

use std::net::{IpAddr, Ipv4Addr, TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;

use crate::cluster::{Cluster, Identity, node_name, wait_for_ok};
use crate::processes::{HostProcess, workspace_binary};

/// What to run: the plugin, its TOML configuration and extra host flags.
#[derive(Debug, Clone)]
pub struct NodeSetup {
    /// Prefix of the node name and namespace (`<prefix>-<pid>-<n>`).
    pub prefix: String,
    /// The plugin executable's name in target/debug.
    pub plugin: String,
    /// The plugin's configuration file contents; none when empty.
    pub plugin_config: String,
    /// More `vk-host` flags.
    pub host_args: Vec<String>,
    /// Register this node name instead of a fresh one (to restart vk-host
    /// for an existing Node).
    pub node_name: Option<String>,
    /// Serve the kubelet API so that the cluster's API server reaches and
    /// trusts it (see [`NodeSetup::with_kubelet_api`]).
    pub kubelet_api: Option<KubeletApiSetup>,
    /// More environment for the vk-host process (e.g. `RUST_LOG`, or
    /// credentials that must not reach the plugin).
    pub host_env: Vec<(String, String)>,
}

/// Where a test node's kubelet API listens and the files it uses.
#[derive(Debug, Clone)]
pub struct KubeletApiSetup {
    /// The node's InternalIP (the mock plugin reports it) and listen address.
    pub ip: IpAddr,
    /// A free port, the Node's daemon endpoint.
    pub port: u16,
    /// The cluster CA: verifies client certificates (the API server's
    /// `--kubelet-client-certificate` is signed by it).
    pub client_ca: PathBuf,
    /// The kubelet CA the API server trusts; it signs the serving
    /// certificate vk-host generates at start.
    pub kubelet_ca_cert: PathBuf,
    pub kubelet_ca_key: PathBuf,
}

impl NodeSetup {
    /// The mock plugin with its defaults.
    pub fn mock(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            plugin: "vk-mock-plugin".into(),
            plugin_config: String::new(),
            host_args: Vec::new(),
            node_name: None,
            kubelet_api: None,
            host_env: Vec::new(),
        }
    }

    /// Serves the kubelet API on 127.0.0.1 and a free port, trusted by the
    /// cluster's API server: enough for `kubectl logs/exec/attach/
    /// port-forward`. The API server refuses `nodes/proxy` to loopback
    /// addresses; use [`with_kubelet_api_on`](Self::with_kubelet_api_on)
    /// with [`routable_ip`] for `kubectl get --raw .../proxy/...`.
    /// The mock plugin's `host_ip` is set to the address: do not set it in
    /// the plugin configuration too.
    pub fn with_kubelet_api(self, cluster: &Cluster) -> Self {
        self.with_kubelet_api_on(cluster, IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// [`with_kubelet_api`](Self::with_kubelet_api) on `ip`.
    pub fn with_kubelet_api_on(mut self, cluster: &Cluster, ip: IpAddr) -> Self {
        self.kubelet_api = Some(KubeletApiSetup {
            ip,
            port: free_port(),
            client_ca: cluster.ca_cert(),
            kubelet_ca_cert: cluster.kubelet_ca_cert(),
            kubelet_ca_key: cluster.kubelet_ca_key(),
        });
        self
    }

    /// Sets the plugin's TOML configuration.
    pub fn plugin_config(mut self, toml: &str) -> Self {
        self.plugin_config = toml.to_owned();
        self
    }

    /// Uses `name` as the node name (e.g. a second vk-host for the Node of
    /// an earlier one).
    pub fn node_name(mut self, name: &str) -> Self {
        self.node_name = Some(name.to_owned());
        self
    }

    /// Adds environment variables of the vk-host process.
    pub fn host_env(mut self, env: &[(&str, &str)]) -> Self {
        self.host_env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// Adds host flags.
    pub fn host_args(mut self, args: &[&str]) -> Self {
        self.host_args
            .extend(args.iter().map(|arg| (*arg).to_owned()));
        self
    }
}

/// A running virtual node: the `vk-host` process, its node name and a
/// namespace of its own for the test's pods.
#[derive(Debug)]
pub struct VirtualNode {
    pub host: HostProcess,
    pub name: String,
    pub namespace: String,
    setup: NodeSetup,
    _config_dir: tempfile::TempDir,
}

impl VirtualNode {
    /// Starts vk-host as the least-privileged `vk-host` identity and waits
    /// until its Node is Ready (60 s).
    pub async fn start(cluster: &Cluster, setup: NodeSetup) -> Self {
        let name = setup
            .node_name
            .clone()
            .unwrap_or_else(|| node_name(&setup.prefix));
        let namespace = cluster.create_namespace(&setup.prefix).await;
        let config_dir = tempfile::tempdir().expect("tempdir for the plugin config");
        // The plugin may run as another user (`--plugin-user`): it must be
        // able to read its configuration file.
        std::fs::set_permissions(config_dir.path(), std::fs::Permissions::from_mode(0o711))
            .expect("chmod the plugin config dir");
        let plugin = workspace_binary(&setup.plugin);
        let kubeconfig = cluster.vk_host_kubeconfig();
        let mut args: Vec<String> = vec![
            "--plugin".into(),
            plugin.display().to_string(),
            "--node-name".into(),
            name.clone(),
            "--kubeconfig".into(),
            kubeconfig.display().to_string(),
        ];
        let mut plugin_config = setup.plugin_config.clone();
        if let Some(api) = &setup.kubelet_api {
            // Top-level keys first: the given configuration may open tables.
            plugin_config = format!("host_ip = \"{}\"\n{plugin_config}", api.ip);
            args.extend([
                "--node-ip".into(),
                api.ip.to_string(),
                "--kubelet-address".into(),
                api.ip.to_string(),
                "--kubelet-port".into(),
                api.port.to_string(),
                "--client-ca-file".into(),
                api.client_ca.display().to_string(),
                "--tls-ca-cert-file".into(),
                api.kubelet_ca_cert.display().to_string(),
                "--tls-ca-key-file".into(),
                api.kubelet_ca_key.display().to_string(),
            ]);
        }
        let port_given = setup.host_args.iter().any(|arg| arg == "--kubelet-port");
        if setup.kubelet_api.is_none() && !port_given {
            // Tests run in parallel: each host's kubelet API needs a port of
            // its own even when the test does not use it.
            args.extend([
                "--kubelet-address".into(),
                "127.0.0.1".into(),
                "--kubelet-port".into(),
                free_port().to_string(),
            ]);
        }
        if !plugin_config.is_empty() {
            let path = config_dir.path().join("plugin.toml");
            std::fs::write(&path, &plugin_config).expect("write the plugin config");
            args.extend(["--plugin-config".into(), path.display().to_string()]);
        }
        args.extend(setup.host_args.iter().cloned());
        let env: Vec<(&str, &str)> = setup
            .host_env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let host = HostProcess::start(&args, &env);
        let node = Self {
            host,
            name,
            namespace,
            setup,
            _config_dir: config_dir,
        };
        node.wait_ready(cluster, Duration::from_secs(60)).await;
        node
    }

    /// Waits until the Node's Ready condition is True.
    pub async fn wait_ready(&self, cluster: &Cluster, timeout: Duration) {
        self.wait_condition(cluster, "Ready", "True", timeout).await;
    }

    /// Waits until condition `kind` of the Node has `status`; the timeout
    /// message shows the conditions seen last and the host's log tail.
    pub async fn wait_condition(
        &self,
        cluster: &Cluster,
        kind: &str,
        status: &str,
        timeout: Duration,
    ) -> Node {
        let nodes: kube::Api<Node> = kube::Api::all(cluster.client().await);
        let what = format!("node {} condition {kind}={status}", self.name);
        wait_for_ok(timeout, &what, async || {
            let node = nodes.get_opt(&self.name).await.map_err(|e| e.to_string())?;
            let Some(node) = node else {
                return Err(format!("no Node yet; host log tail:\n{}", self.log_tail()));
            };
            let conditions = node
                .status
                .as_ref()
                .and_then(|status| status.conditions.clone())
                .unwrap_or_default();
            if conditions
                .iter()
                .any(|c| c.type_ == kind && c.status == status)
            {
                Ok(node)
            } else {
                let seen: Vec<String> = conditions
                    .iter()
                    .map(|c| {
                        format!(
                            "{}={} ({}: {})",
                            c.type_,
                            c.status,
                            c.reason.clone().unwrap_or_default(),
                            c.message.clone().unwrap_or_default()
                        )
                    })
                    .collect();
                Err(format!(
                    "conditions {seen:?}; host log tail:\n{}",
                    self.log_tail()
                ))
            }
        })
        .await
    }

    /// A pod manifest (YAML) bound to this node in its namespace, tolerating
    /// the node's taint: the shape of every test pod. `extra_metadata` is
    /// indented YAML under `metadata:` (labels, annotations), or empty.
    pub fn pod_yaml(&self, name: &str, extra_metadata: &str) -> String {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
{extra_metadata}
spec:
  nodeName: {node}
  tolerations:
  - key: virtual-kubelet.io/provider
    operator: Exists
  containers:
  - name: main
    image: busybox
    command: [\"sleep\", \"3600\"]
",
            namespace = self.namespace,
            node = self.name,
        )
    }

    /// `https://<ip>:<port>` of the kubelet API, when the setup serves it.
    pub fn kubelet_url(&self) -> Option<String> {
        let api = self.setup.kubelet_api.as_ref()?;
        Some(match api.ip {
            IpAddr::V4(ip) => format!("https://{ip}:{}", api.port),
            IpAddr::V6(ip) => format!("https://[{ip}]:{}", api.port),
        })
    }

    /// Creates pod `name` (from [`pod_yaml`](Self::pod_yaml)) with kubectl
    /// and waits until it is Running (60 s).
    pub async fn run_pod(&self, cluster: &Cluster, name: &str) {
        cluster
            .kubectl_stdin(
                Identity::Admin,
                &["apply", "-f", "-"],
                Some(&self.pod_yaml(name, "")),
            )
            .await
            .success();
        let ns = self.namespace.as_str();
        wait_for_ok(
            Duration::from_secs(60),
            &format!("pod {ns}/{name} Running"),
            async || {
                let out = cluster
                    .kubectl(&[
                        "get",
                        "pod",
                        name,
                        "-n",
                        ns,
                        "-o",
                        "jsonpath={.status.phase}",
                    ])
                    .await;
                if out.stdout == "Running" {
                    Ok(())
                } else {
                    Err(format!(
                        "phase {:?}; host log:\n{}",
                        out.stdout,
                        self.log_tail()
                    ))
                }
            },
        )
        .await;
    }

    /// The plugin this node runs (for messages).
    pub fn plugin(&self) -> &str {
        &self.setup.plugin
    }

    /// The last 40 lines of the host's log.
    pub fn log_tail(&self) -> String {
        let log = self.host.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

/// This machine's address towards its default route (connecting a UDP
/// socket selects a route and sends nothing): a non-loopback address the API
/// server's `nodes/proxy` accepts. Panics, saying why, when there is none.
pub fn routable_ip() -> IpAddr {
    let ip = UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| {
            socket.connect("192.0.2.1:9")?;
            socket.local_addr()
        })
        .map(|address| address.ip());
    match ip {
        Ok(ip) if !ip.is_loopback() && !ip.is_unspecified() => ip,
        other => panic!(
            "this machine has no non-loopback address with a default route ({other:?}); \
             kubelet-API tests through nodes/proxy need one"
        ),
    }
}

/// A port that is free now, below Linux's ephemeral range (32768-60999), so
/// an outgoing connection of a busy test process cannot take it before
/// vk-host binds it.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() % 1000) as u16;
    for _ in 0..2000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 21000 + (seed.wrapping_mul(7).wrapping_add(n.wrapping_mul(13))) % 11000;
        if TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 21000..32000")
}
