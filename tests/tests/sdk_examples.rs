//! The example plugins of the Go and Python SDKs, built as the README says
//! (`scripts/sdk-examples.sh build DIR`), checked by `vk-plugin-conformance`
//! and then run under the real vk-host against the real control plane,
//! driven with the real kubectl: the node turns Ready, a Deployment's pods
//! run with IPs, `kubectl logs -f` follows, `kubectl exec -i` talks to the
//! container (when the example declares exec), a Secret reaches the plugin
//! through the host's callbacks, a graceful delete ends, and the plugin
//! survives a SIGKILL.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use vk_tests::cluster::{Cluster, Identity, wait_for_ok};
use vk_tests::processes::{children_of, workspace_binary};
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port};

/// Replicas of the test Deployment.
const REPLICAS: usize = 2;

/// One SDK's example plugin.
struct Example {
    /// Executable name in the build directory (and the test's prefix).
    binary: &'static str,
    /// Short name for node names and namespaces.
    prefix: &'static str,
    /// The environment variable naming the file where the example keeps its
    /// pods across restarts, if it has one; without it a restarted plugin
    /// has lost its pods and the host reports them lost.
    state_env: Option<&'static str>,
}

const GO: Example = Example {
    binary: "vk-go-example-plugin",
    prefix: "sdk-go",
    state_env: Some("VK_GO_EXAMPLE_STATE_FILE"),
};

const PYTHON: Example = Example {
    binary: "vk-python-example-plugin",
    prefix: "sdk-py",
    state_env: Some("VK_PYTHON_EXAMPLE_STATE_FILE"),
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_go_example_plugin_passes_conformance_and_runs_a_deployment() {
    scenario(&GO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_plugin_passes_conformance_and_runs_a_deployment() {
    scenario(&PYTHON).await;
}

async fn scenario(example: &Example) {
    let plugin = built_examples().join(example.binary);
    let capabilities = passes_conformance(&plugin);

    let cluster = Cluster::shared();
    let state = tempfile::tempdir().expect("tempdir for the example's state");
    let node =
        VirtualNode::start(cluster, node_setup(cluster, example, &plugin, state.path())).await;
    let ns = node.namespace.clone();
    apply(cluster, &secret_yaml(&ns)).await;
    apply(cluster, &deployment_yaml(&ns, &node.name)).await;
    let pods = pods_api(cluster, &ns).await;
    let running = wait_deployment_running(&node, &pods).await;
    let first = running.first().expect("a running pod").clone();

    secret_line_in_log(cluster, &ns, &first).await;
    logs_follow(cluster, &ns, &first).await;
    if capabilities.contains("CAPABILITY_EXEC") {
        exec_interactive(cluster, &ns, &first).await;
    } else {
        eprintln!(
            "{} does not declare CAPABILITY_EXEC: kubectl exec not tried",
            example.binary
        );
    }
    graceful_delete(cluster, &node, &pods, &first).await;
    survives_sigkill(&node, example, &pods).await;
}

/// Builds both examples once per test binary with the script the README
/// names, into `target/<profile>/sdk-examples/`.
fn built_examples() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = workspace_binary("vk-host")
            .parent()
            .expect("target/<profile>")
            .join("sdk-examples");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the repository root");
        let output = Command::new(repo.join("scripts/sdk-examples.sh"))
            .arg("build")
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/sdk-examples.sh");
        assert!(
            output.status.success(),
            "scripts/sdk-examples.sh build {} failed ({}):\n{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        dir
    })
}

/// Runs `vk-plugin-conformance` on the plugin: exit 0, no FAIL line.
/// Returns the handshake line (it lists the declared capabilities).
fn passes_conformance(plugin: &Path) -> String {
    let output = Command::new(workspace_binary("vk-plugin-conformance"))
        .arg(plugin)
        .stdin(Stdio::null())
        .output()
        .expect("run vk-plugin-conformance");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "vk-plugin-conformance {} failed:\n{report}\nstderr:\n{}",
        plugin.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !report.lines().any(|line| line.starts_with("FAIL ")),
        "{report}"
    );
    eprintln!("{report}");
    report
        .lines()
        .find(|line| line.starts_with("PASS handshake: "))
        .unwrap_or_else(|| panic!("no handshake line in:\n{report}"))
        .to_owned()
}

/// vk-host with the example and the kubelet API the API server reaches
/// (for logs and exec). No plugin configuration file: the examples read
/// their own keys only.
fn node_setup(cluster: &Cluster, example: &Example, plugin: &Path, state: &Path) -> NodeSetup {
    let port = free_port().to_string();
    let files = [
        cluster.ca_cert(),
        cluster.kubelet_ca_cert(),
        cluster.kubelet_ca_key(),
    ];
    let [client_ca, kubelet_ca_cert, kubelet_ca_key] = files.map(|f| f.display().to_string());
    let mut args = vec![
        "--node-ip",
        "127.0.0.1",
        "--kubelet-address",
        "127.0.0.1",
        "--kubelet-port",
        &port,
        "--client-ca-file",
        &client_ca,
        "--tls-ca-cert-file",
        &kubelet_ca_cert,
        "--tls-ca-key-file",
        &kubelet_ca_key,
    ];
    let state_env = example
        .state_env
        .map(|name| format!("{name}={}", state.join("pods.json").display()));
    if let Some(assignment) = &state_env {
        args.extend(["--plugin-env", assignment]);
    }
    let mut setup = NodeSetup::mock(example.prefix).host_args(&args);
    // An absolute path: workspace_binary() joins it unchanged.
    setup.plugin = plugin.display().to_string();
    setup
}

fn secret_yaml(ns: &str) -> String {
    format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: app-creds
  namespace: {ns}
stringData:
  username: demo
  password: s3cr3t-value
"
    )
}

/// A Deployment pinned to the node whose pods mount Secret app-creds.
fn deployment_yaml(ns: &str, node: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: {REPLICAS}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      nodeSelector:
        kubernetes.io/hostname: {node}
      tolerations:
      - key: virtual-kubelet.io/provider
        operator: Exists
      terminationGracePeriodSeconds: 30
      containers:
      - name: main
        image: busybox
        volumeMounts:
        - {{name: creds, mountPath: /etc/creds}}
      volumes:
      - name: creds
        secret:
          secretName: app-creds
"
    )
}

async fn apply(cluster: &Cluster, yaml: &str) {
    cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(yaml))
        .await
        .success();
}

async fn pods_api(cluster: &Cluster, ns: &str) -> Api<Pod> {
    Api::namespaced(cluster.client().await, ns)
}

fn name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

fn uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

/// Running, Ready, with an IP, on this node, not being deleted.
fn serving(pod: &Pod, node: &str) -> bool {
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && ready
        && status
            .and_then(|s| s.pod_ip.as_deref())
            .is_some_and(|ip| !ip.is_empty())
        && pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
        && pod.metadata.deletion_timestamp.is_none()
}

/// Waits until the Deployment's replicas all serve; returns them by name.
async fn wait_deployment_running(node: &VirtualNode, pods: &Api<Pod>) -> Vec<Pod> {
    let listed = ListParams::default().labels("app=web");
    wait_for_ok(
        Duration::from_secs(120),
        &format!(
            "{REPLICAS} replicas Running and Ready with pod IPs on node {}",
            node.name
        ),
        async || {
            let list = pods.list(&listed).await.map_err(|e| e.to_string())?;
            let mut up: Vec<Pod> = list
                .items
                .into_iter()
                .filter(|p| serving(p, &node.name))
                .collect();
            up.sort_by_key(name);
            if up.len() == REPLICAS {
                Ok(up)
            } else {
                Err(format!(
                    "{} serving; host log tail:\n{}",
                    up.len(),
                    node.log_tail()
                ))
            }
        },
    )
    .await
}

/// The plugin read Secret app-creds through the host's callbacks: the
/// container's log names it and its keys (never the values).
async fn secret_line_in_log(cluster: &Cluster, ns: &str, pod: &Pod) {
    let pod_name = name(pod);
    let log = wait_for_ok(
        Duration::from_secs(30),
        &format!("a line about Secret app-creds in the log of {pod_name}"),
        async || {
            let out = cluster.kubectl(&["logs", &pod_name, "-n", ns]).await;
            if out.stdout.contains("app-creds") {
                Ok(out.stdout)
            } else {
                Err(format!("log: {:?} {:?}", out.stdout, out.stderr))
            }
        },
    )
    .await;
    let line = log
        .lines()
        .find(|line| line.contains("app-creds"))
        .expect("the line found above");
    assert!(
        line.contains("username") && line.contains("password"),
        "the Secret's keys are named: {line:?}"
    );
    assert!(
        !log.contains("s3cr3t-value"),
        "a Secret value reached the log:\n{log}"
    );
}

/// `kubectl logs -f` delivers lines written after it started: more than a
/// plain `kubectl logs` showed.
async fn logs_follow(cluster: &Cluster, ns: &str, pod: &Pod) {
    let pod_name = name(pod);
    let before = cluster
        .kubectl(&["logs", &pod_name, "-n", ns])
        .await
        .success();
    let seen_before = before.stdout.lines().count();
    let mut follow = cluster
        .kubectl_command(Identity::Admin)
        .args(["logs", "-f", &pod_name, "-n", ns])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kubectl logs -f");
    let mut lines = BufReader::new(follow.stdout.take().expect("stdout")).lines();
    let want = seen_before + 2;
    let mut got = 0;
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while got < want {
            match lines.next_line().await {
                Ok(Some(_)) => got += 1,
                _ => break,
            }
        }
    })
    .await;
    let _ = follow.kill().await;
    assert!(
        read.is_ok() && got >= want,
        "kubectl logs -f of {pod_name} gave {got} lines within 60 s; a plain kubectl logs had \
         shown {seen_before}, so at least {want} were expected"
    );
}

/// `kubectl exec -i`: stdin reaches the container's `cat` and comes back;
/// an exit code reaches kubectl.
async fn exec_interactive(cluster: &Cluster, ns: &str, pod: &Pod) {
    let pod_name = name(pod);
    let out = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["exec", "-i", "-n", ns, &pod_name, "--", "cat"],
            Some("hello\nfrom kubectl\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "hello\nfrom kubectl\n", "{out:?}");
    let out = cluster
        .kubectl(&["exec", "-n", ns, &pod_name, "--", "sh", "-c", "exit 3"])
        .await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

/// A graceful delete ends (the plugin reports the containers stopped) and
/// the ReplicaSet's replacement runs.
async fn graceful_delete(cluster: &Cluster, node: &VirtualNode, pods: &Api<Pod>, pod: &Pod) {
    let pod_name = name(pod);
    cluster
        .kubectl(&[
            "delete",
            "pod",
            &pod_name,
            "-n",
            &node.namespace,
            "--wait=true",
        ])
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(60),
        &format!("pod {pod_name} gone from the API"),
        async || match pods.get_opt(&pod_name).await {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err("still there".to_owned()),
            Err(e) => Err(e.to_string()),
        },
    )
    .await;
    let now = wait_deployment_running(node, pods).await;
    assert!(
        now.iter().all(|p| name(p) != pod_name),
        "the deleted pod came back"
    );
}

/// SIGKILL of the plugin: vk-host starts it again, the node is Ready, and
/// the Deployment's pods serve, their logs read through the new plugin
/// instance. An example that keeps its pods (a state file) still runs the
/// same pods; one that does not has them reported lost and re-created.
async fn survives_sigkill(node: &VirtualNode, example: &Example, pods: &Api<Pod>) {
    let cluster = Cluster::shared();
    let before: BTreeSet<String> = wait_deployment_running(node, pods)
        .await
        .iter()
        .map(uid)
        .collect();
    let host = node.host.pid();
    let plugin = node.host.plugin_pid().await;
    kill(Pid::from_raw(plugin as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
    wait_for_ok(
        Duration::from_secs(60),
        "vk-host to start the plugin again",
        async || {
            let children = children_of(host);
            if children.iter().any(|pid| *pid != plugin) {
                Ok(())
            } else {
                Err(format!("children {children:?}"))
            }
        },
    )
    .await;
    node.wait_ready(cluster, Duration::from_secs(60)).await;
    let after: BTreeSet<String> = served_by_the_plugin(cluster, node, pods)
        .await
        .iter()
        .map(uid)
        .collect();
    if example.state_env.is_some() {
        assert_eq!(
            after, before,
            "the plugin keeps its pods across a restart: the same pods serve after it"
        );
    }
    eprintln!(
        "after the plugin's SIGKILL: {} of {REPLICAS} pods the same",
        after.intersection(&before).count()
    );
}

/// Waits until the Deployment's replicas serve and the plugin answers
/// `kubectl logs` for each (a pod the plugin lost has no log).
async fn served_by_the_plugin(cluster: &Cluster, node: &VirtualNode, pods: &Api<Pod>) -> Vec<Pod> {
    let listed = ListParams::default().labels("app=web");
    wait_for_ok(
        Duration::from_secs(120),
        &format!("{REPLICAS} replicas serving, each with a log from the plugin"),
        async || {
            let list = pods.list(&listed).await.map_err(|e| e.to_string())?;
            let up: Vec<Pod> = list
                .items
                .into_iter()
                .filter(|p| serving(p, &node.name))
                .collect();
            if up.len() != REPLICAS {
                return Err(format!(
                    "{} serving; host log tail:\n{}",
                    up.len(),
                    node.log_tail()
                ));
            }
            for pod in &up {
                let out = cluster
                    .kubectl(&["logs", &name(pod), "-n", &node.namespace])
                    .await;
                if !out.status.success() || !out.stdout.contains("app-creds") {
                    return Err(format!("kubectl logs {}: {:?}", name(pod), out.stderr));
                }
            }
            Ok(up)
        },
    )
    .await
}
