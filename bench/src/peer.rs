//! `vk-bench pods --peer upstream`: vk-host + vk-mock-plugin next to upstream
//! virtual-kubelet (its own CLI, `cmd/virtual-kubelet`, with its mock
//! provider) on the same private control plane and the same workload, one
//! side at a time in alternating order, next to the API server's own floor.
//!
//! API requests are counted by the API server: each side runs as its own
//! user, and a FlowSchema per user (in the priority level that user gets
//! anyway) makes `apiserver_flowcontrol_dispatched_requests_total` count that
//! user's requests alone.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use vk_tests::cluster::{Cluster, Identity};
use vk_tests::processes::peak_rss_kib;
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port};

use crate::pods::{
    Arrivals, Options, create_all, delete_all, latencies, wait_all, watch_deletions, watch_running,
};
use crate::side_by_side::{
    self, Sides, Workload, clock_ticks, cpu_seconds, median, median_figures, mib, stop_peer,
    wait_node_ready,
};

/// Another virtual kubelet to run beside vk-host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Peer {
    /// Upstream virtual-kubelet's CLI with its mock provider.
    Upstream,
}

/// The user of vk-host's kubeconfig (controlplane/manifests/vk-host-rbac.yaml).
const OUR_USER: &str = "vk-host";
/// The user upstream's kubeconfig is issued for.
const UPSTREAM_USER: &str = "vk-bench-upstream";
/// Both users match the built-in `global-default` FlowSchema; the counting
/// schemas keep them in its priority level, so nothing but the count changes.
const PRIORITY_LEVEL: &str = "global-default";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Upstream,
}

impl Side {
    fn flow_schema(self) -> &'static str {
        match self {
            Side::Ours => "vk-bench-count-vk-host",
            Side::Upstream => "vk-bench-count-upstream",
        }
    }
}

/// The rows of the table, in order.
const ROWS: [&str; 9] = [
    "create → all Running+Ready (s)",
    "  per pod p50 (ms)",
    "  per pod p99 (ms)",
    "delete (grace 30 s) → all gone (s)",
    "  per pod p50 (ms)",
    "  per pod p99 (ms)",
    "peak RSS (MiB)",
    "CPU seconds, first create → all gone",
    "API requests per pod",
];

/// One measured value per row; `None` where a row does not apply.
type Figures = side_by_side::Figures<{ ROWS.len() }>;

pub async fn run(options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(options.rounds >= 1, "--rounds must be at least 1");
    anyhow::ensure!(options.pods >= 1, "--pods must be at least 1");
    let binary = options.upstream_binary.clone().context(
        "--peer upstream needs upstream's virtual-kubelet binary: pass --upstream-binary PATH \
         or VK_UPSTREAM_VK (bench/upstream/build.sh builds it; scripts/bench.sh does both)",
    )?;
    anyhow::ensure!(
        binary.is_file(),
        "upstream virtual-kubelet binary {} does not exist; build it with bench/upstream/build.sh",
        binary.display()
    );
    let upstream_label = upstream_label(&binary);
    let clock_ticks = clock_ticks()?;

    let cluster = Cluster::start().context("starting a private control plane")?;
    let work_dir = tempfile::tempdir().context("tempdir for upstream's files")?;
    let upstream_kubeconfig = cluster
        .issue_kubeconfig(
            UPSTREAM_USER,
            &[],
            &work_dir.path().join("upstream.kubeconfig"),
        )
        .context("issuing upstream's kubeconfig")?;
    apply(&cluster, &setup_manifests()).await?;
    let client = cluster.client().await;

    let mut floor_rounds = Vec::new();
    let mut our_rounds = Vec::new();
    let mut upstream_rounds = Vec::new();
    let mut our_rss = Vec::new();
    for round in 0..options.rounds {
        floor_rounds.push(floor(&cluster, &options).await?);
        let order = if round % 2 == 0 {
            [Side::Ours, Side::Upstream]
        } else {
            [Side::Upstream, Side::Ours]
        };
        for side in order {
            eprintln!(
                "vk-bench: round {} of {}: {}",
                round + 1,
                options.rounds,
                match side {
                    Side::Ours => "vk-host + vk-mock-plugin",
                    Side::Upstream => &upstream_label,
                }
            );
            match side {
                Side::Ours => {
                    let (figures, rss) = run_ours(&cluster, &options, clock_ticks).await?;
                    our_rounds.push(figures);
                    our_rss.push(rss);
                }
                Side::Upstream => upstream_rounds.push(
                    run_upstream(
                        &cluster,
                        &client,
                        &options,
                        &binary,
                        &upstream_kubeconfig,
                        work_dir.path(),
                        round,
                        clock_ticks,
                    )
                    .await?,
                ),
            }
        }
    }

    let ours = median_figures(&our_rounds);
    let upstream = median_figures(&upstream_rounds);
    let floor = median_figures(&floor_rounds);
    print_table(&options, &upstream_label, &ours, &upstream, &floor);
    let (host, plugin): (Vec<f64>, Vec<f64>) = our_rss.into_iter().unzip();
    println!();
    println!(
        "peak RSS of vk-host + vk-mock-plugin = {:.1} + {:.1} MiB; CPU seconds are utime + stime \
         (children included) from /proc; API requests: the API server's \
         apiserver_flowcontrol_dispatched_requests_total for a FlowSchema matching only that \
         side's user ({OUR_USER}, {UPSTREAM_USER}), from the first create to all gone, over the \
         pod count; the floor's requests are the benchmark's own creates and deletes (grace 0).",
        median(host).unwrap_or(f64::NAN),
        median(plugin).unwrap_or(f64::NAN),
    );
    Ok(())
}

fn print_table(
    options: &Options,
    upstream_label: &str,
    ours: &Figures,
    upstream: &Figures,
    floor: &Figures,
) {
    let host_args = if options.host_args.trim().is_empty() {
        "defaults".to_owned()
    } else {
        options.host_args.clone()
    };
    println!(
        "vk-bench pods --peer upstream: {} pods at once, {} API requests in flight, {} round(s) \
         per side in alternating order (median shown); vk-host {host_args}; {upstream_label} at \
         its defaults",
        options.pods, options.concurrency, options.rounds
    );
    println!();
    let sides = Sides {
        labels: [
            "vk-host + vk-mock-plugin",
            upstream_label,
            "API-server floor",
        ],
        short: ["vk-host", "upstream", "floor"],
    };
    side_by_side::print_table(&ROWS, &sides, [ours, upstream, floor]);
}

/// vk-host + vk-mock-plugin: one round. Returns the figures and the peak RSS
/// of host and plugin (MiB).
async fn run_ours(
    cluster: &Cluster,
    options: &Options,
    clock_ticks: f64,
) -> anyhow::Result<(Figures, (f64, f64))> {
    let host_args: Vec<&str> = options.host_args.split_whitespace().collect();
    let mut node = VirtualNode::start(cluster, NodeSetup::mock("vk").host_args(&host_args)).await;
    let client = cluster.client().await;
    let pods: Api<Pod> = Api::namespaced(client, &node.namespace);
    let host_pid = node.host.pid();
    let plugin_pid = node.host.plugin_pid().await;
    let pids = [host_pid, plugin_pid];

    let requests_before = dispatched(cluster, Side::Ours).await?;
    let cpu_before = cpu_seconds(&pids, clock_ticks)?;
    let workload = workload(&pods, options, "vk", &node.name).await?;
    let cpu = cpu_seconds(&pids, clock_ticks)? - cpu_before;
    let requests = dispatched(cluster, Side::Ours).await? - requests_before;
    let host_rss = mib(peak_rss_kib(host_pid).context("vk-host's peak RSS")?);
    let plugin_rss = mib(peak_rss_kib(plugin_pid).context("vk-mock-plugin's peak RSS")?);

    node.host
        .signal_and_wait(nix::sys::signal::Signal::SIGTERM, Duration::from_secs(30))
        .await;
    let mut figures = workload.figures(&[]);
    figures[6] = Some(host_rss + plugin_rss);
    figures[7] = Some(cpu);
    figures[8] = Some(requests / options.pods as f64);
    Ok((figures, (host_rss, plugin_rss)))
}

/// Upstream's CLI with its mock provider: one round, on a node and namespace
/// of its own.
#[allow(clippy::too_many_arguments)]
async fn run_upstream(
    cluster: &Cluster,
    client: &kube::Client,
    options: &Options,
    binary: &Path,
    kubeconfig: &Path,
    work_dir: &Path,
    round: usize,
    clock_ticks: f64,
) -> anyhow::Result<Figures> {
    let node = format!("vk-bench-upstream-{}-{round}", std::process::id());
    let namespace = cluster.create_namespace("upstream").await;
    let dir = work_dir.join(&node);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let (cert, key) = cluster
        .issue_kubelet_serving_cert(&node, &dir)
        .context("issuing upstream's kubelet serving certificate")?;
    let provider_config = dir.join("mock.json");
    let capacity = serde_json::json!({
        &node: { "cpu": "1000", "memory": "4Ti", "pods": options.pods.max(110).to_string() }
    });
    std::fs::write(&provider_config, capacity.to_string())
        .with_context(|| format!("writing {}", provider_config.display()))?;
    let log_path = dir.join("virtual-kubelet.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let mut child = tokio::process::Command::new(binary)
        .args(["--kubeconfig", &kubeconfig.display().to_string()])
        .args(["--nodename", &node])
        .args(["--provider", "mock"])
        .args(["--provider-config", &provider_config.display().to_string()])
        .args(["--metrics-addr", &format!("127.0.0.1:{}", free_port())])
        // Its kubelet API: a free port, the kubelet CA's serving certificate,
        // clients verified against the cluster CA (webhook auth).
        .env("KUBELET_PORT", free_port().to_string())
        .env("APISERVER_CERT_LOCATION", &cert)
        .env("APISERVER_KEY_LOCATION", &key)
        .env("APISERVER_CA_CERT_LOCATION", cluster.ca_cert())
        .env("VKUBELET_POD_IP", "127.0.0.1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().context("log file")?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let pid = child.id().context("upstream's pid")?;
    wait_node_ready(
        client,
        &node,
        &mut child,
        &log_path,
        "upstream virtual-kubelet",
    )
    .await?;

    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let requests_before = dispatched(cluster, Side::Upstream).await?;
    let cpu_before = cpu_seconds(&[pid], clock_ticks)?;
    let workload = workload(&pods, options, "up", &node).await?;
    let cpu = cpu_seconds(&[pid], clock_ticks)? - cpu_before;
    let requests = dispatched(cluster, Side::Upstream).await? - requests_before;
    let rss = mib(peak_rss_kib(pid).context("upstream's peak RSS")?);

    stop_peer(&mut child, "upstream").await;
    let mut figures = workload.figures(&[]);
    figures[6] = Some(rss);
    figures[7] = Some(cpu);
    figures[8] = Some(requests / options.pods as f64);
    Ok(figures)
}

/// The same pods as the floor, bound to `node`: created 64 at a time, until
/// all are Running and Ready; then deleted with the default grace (30 s),
/// until all are gone.
async fn workload(
    pods: &Api<Pod>,
    options: &Options,
    run: &str,
    node: &str,
) -> anyhow::Result<Workload> {
    let running = watch_running(pods.clone(), run);
    let start = Instant::now();
    let issued = create_all(pods, options, run, node, &Arrivals::default()).await?;
    let running = wait_all(&running, options.pods, "every pod Running and Ready").await;
    let create_total = start.elapsed();
    let create = latencies(&issued, &running);

    let gone = watch_deletions(pods.clone(), run);
    let start = Instant::now();
    let issued = delete_all(pods, options, run, None).await?;
    let gone = wait_all(&gone, options.pods, "every pod gone from the API").await;
    Ok(Workload {
        create_total,
        create,
        delete_total: start.elapsed(),
        delete: latencies(&issued, &gone),
    })
}

/// The API server alone: the same creates, bound to a node nobody serves
/// (done when accepted), and deletes with grace 0 (done when gone).
async fn floor(cluster: &Cluster, options: &Options) -> anyhow::Result<Figures> {
    let namespace = cluster.create_namespace("floor").await;
    let pods: Api<Pod> = Api::namespaced(cluster.client().await, &namespace);
    let accepted = Arrivals::default();
    let start = Instant::now();
    let created = create_all(&pods, options, "floor", "vk-bench-nobody", &accepted).await?;
    let create_total = start.elapsed();
    let gone = watch_deletions(pods.clone(), "floor");
    let start = Instant::now();
    let deleted = delete_all(&pods, options, "floor", Some(0)).await?;
    let gone = wait_all(&gone, options.pods, "floor pods to be gone").await;
    let workload = Workload {
        create_total,
        create: latencies(&created, &accepted.lock().expect("lock")),
        delete_total: start.elapsed(),
        delete: latencies(&deleted, &gone),
    };
    let mut figures = workload.figures(&[]);
    figures[8] = Some((created.len() + deleted.len()) as f64 / options.pods as f64);
    Ok(figures)
}

/// RBAC for upstream's user (what upstream's CLI needs: informers on pods,
/// secrets, configmaps and services in all namespaces, its node and lease,
/// pod status, events, webhook auth of its kubelet API) and the counting
/// FlowSchemas.
fn setup_manifests() -> String {
    let flow_schema = |name: &str, user: &str| {
        format!(
            r#"---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: {name}
spec:
  matchingPrecedence: 100
  priorityLevelConfiguration:
    name: {PRIORITY_LEVEL}
  distinguisherMethod:
    type: ByUser
  rules:
    - subjects:
        - kind: User
          user:
            name: {user}
      resourceRules:
        - verbs: ["*"]
          apiGroups: ["*"]
          resources: ["*"]
          clusterScope: true
          namespaces: ["*"]
      nonResourceRules:
        - verbs: ["*"]
          nonResourceURLs: ["*"]
"#
        )
    };
    let rbac = format!(
        r#"---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {UPSTREAM_USER}
rules:
  - apiGroups: [""]
    resources: ["nodes", "nodes/status"]
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list", "watch", "update", "patch", "delete"]
  - apiGroups: [""]
    resources: ["pods/status"]
    verbs: ["get", "update", "patch"]
  - apiGroups: [""]
    resources: ["secrets", "configmaps", "services"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["", "events.k8s.io"]
    resources: ["events"]
    verbs: ["create", "patch", "update"]
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
  - apiGroups: ["authentication.k8s.io"]
    resources: ["tokenreviews"]
    verbs: ["create"]
  - apiGroups: ["authorization.k8s.io"]
    resources: ["subjectaccessreviews"]
    verbs: ["create"]
  - apiGroups: [""]
    resources: ["serviceaccounts/token"]
    verbs: ["create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {UPSTREAM_USER}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {UPSTREAM_USER}
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: {UPSTREAM_USER}
"#
    );
    rbac + &flow_schema(Side::Ours.flow_schema(), OUR_USER)
        + &flow_schema(Side::Upstream.flow_schema(), UPSTREAM_USER)
}

async fn apply(cluster: &Cluster, manifests: &str) -> anyhow::Result<()> {
    let output = cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(manifests))
        .await;
    anyhow::ensure!(
        output.status.success(),
        "{} failed: {}",
        output.command,
        output.stderr.trim()
    );
    // The API server picks FlowSchemas up asynchronously; wait until both
    // are in effect (not dangling), else early requests go uncounted.
    let deadline = Instant::now() + Duration::from_secs(30);
    for side in [Side::Ours, Side::Upstream] {
        loop {
            let output = cluster
                .kubectl(&[
                    "get",
                    "flowschema",
                    side.flow_schema(),
                    "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Dangling\")].status}",
                ])
                .await;
            if output.status.success() && output.stdout.trim() == "False" {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "FlowSchema {} not in effect within 30 s ({})",
                side.flow_schema(),
                output.stderr.trim()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// Requests the API server has dispatched for `side`'s user so far.
async fn dispatched(cluster: &Cluster, side: Side) -> anyhow::Result<f64> {
    let output = cluster.kubectl(&["get", "--raw", "/metrics"]).await;
    anyhow::ensure!(
        output.status.success(),
        "{} failed: {}",
        output.command,
        output.stderr.trim()
    );
    Ok(sum_metric(
        &output.stdout,
        "apiserver_flowcontrol_dispatched_requests_total",
        &format!("flow_schema=\"{}\"", side.flow_schema()),
    ))
}

/// The sum of every sample of `metric` whose labels contain `label`.
fn sum_metric(text: &str, metric: &str, label: &str) -> f64 {
    text.lines()
        .filter_map(|line| {
            let labels_and_value = line.strip_prefix(metric)?.strip_prefix('{')?;
            let (labels, value) = labels_and_value.rsplit_once("} ")?;
            labels
                .split(',')
                .any(|pair| pair == label)
                .then(|| value.trim().parse::<f64>().ok())?
        })
        .sum()
}

/// "upstream virtual-kubelet v1.14.1", from the module version the Go
/// toolchain recorded in the binary.
fn upstream_label(binary: &PathBuf) -> String {
    let version = std::process::Command::new("go")
        .args(["version", "-m"])
        .arg(binary)
        .output()
        .ok()
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .find_map(|line| {
                    let mut fields = line.split_whitespace();
                    (fields.next() == Some("mod")
                        && fields.next() == Some("github.com/virtual-kubelet/virtual-kubelet"))
                    .then(|| fields.next().map(str::to_owned))?
                })
        });
    match version {
        Some(version) => format!("upstream virtual-kubelet {version} (mock)"),
        None => "upstream virtual-kubelet (mock)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_one_flow_schema() {
        let text = "\
# TYPE apiserver_flowcontrol_dispatched_requests_total counter
apiserver_flowcontrol_dispatched_requests_total{flow_schema=\"a\",priority_level=\"p\"} 3
apiserver_flowcontrol_dispatched_requests_total{flow_schema=\"b\",priority_level=\"p\"} 40
apiserver_flowcontrol_dispatched_requests_total{flow_schema=\"a\",priority_level=\"q\"} 2
apiserver_flowcontrol_dispatched_requests_totalx{flow_schema=\"a\"} 100
";
        let metric = "apiserver_flowcontrol_dispatched_requests_total";
        assert_eq!(sum_metric(text, metric, "flow_schema=\"a\""), 5.0);
        assert_eq!(sum_metric(text, metric, "flow_schema=\"c\""), 0.0);
    }
}
