//! `vk-bench cri-pods --peer kubelet`: vk-host + vk-cri-plugin next to the
//! real kubelet (`k8s.io/kubernetes/cmd/kubelet` at the control plane's
//! version, built by `bench/kubelet/build.sh`) and the raw CRI floor, in one
//! run, on one private control plane and one isolated containerd
//! (`scripts/cri-env.sh`), with the same busybox pods at the same
//! concurrency.
//!
//! The sides run one at a time, in alternating order per round: a kubelet
//! removes the sandboxes it does not know on its runtime, so it never runs
//! while another side's pods exist, and everything a side made is removed
//! from containerd before the next side starts.
//!
//! The kubelet registers its own Node with a node identity
//! (`system:node:NAME` in `system:nodes`, so the Node authorizer and
//! NodeRestriction apply as on a real node), serves its API on a free
//! loopback port with a serving certificate of the cluster's kubelet CA, and
//! runs with a KubeletConfiguration written for this machine (see
//! [`kubelet_config`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::StreamExt as _;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{NamespaceMode, RunPodSandboxRequest, StopContainerRequest, VersionRequest};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use tonic::transport::Channel;
use vk_tests::cluster::Cluster;
use vk_tests::cri_env::{CriEnv, connect, sandbox_config, start_container};
use vk_tests::processes::peak_rss_kib;
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port, routable_ip};

use crate::cri_pods::{Options, manifest, remove_all_sandboxes};
use crate::pods::{latencies, wait_all, watch_deletions, watch_running};
use crate::side_by_side::{
    self, Sides, Workload, clock_ticks, cpu_seconds, median, median_figures, mib, stop_peer,
    wait_node_ready,
};
use crate::stats::Samples;

/// Another node agent to run beside vk-host + vk-cri-plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CriPeer {
    /// The real kubelet (`bench/kubelet/build.sh`).
    Kubelet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Kubelet,
    Floor,
}

/// The pods' termination grace (and the floor's StopContainer timeout).
const GRACE_SECONDS: u32 = 1;

/// The rows of the table, in order.
const ROWS: [&str; 9] = [
    "create → all Running+Ready (s)",
    "  per pod p50 (ms)",
    "  per pod p99 (ms)",
    "delete (grace 1 s) → all gone (s)",
    "  per pod p50 (ms)",
    "  per pod p99 (ms)",
    "peak RSS (MiB)",
    "CPU seconds, first create → all gone",
    "containerd CPU seconds, same span",
];

/// One measured value per row; `None` where a row does not apply.
type Figures = side_by_side::Figures<{ ROWS.len() }>;

/// What every side shares.
struct Bench {
    options: Options,
    cluster: Cluster,
    client: kube::Client,
    runtime: RuntimeServiceClient<Channel>,
    socket: String,
    busybox: String,
    containerd_pid: u32,
    run_dir: PathBuf,
    our_cgroup_root: String,
    kubelet: PathBuf,
    clock_ticks: f64,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(
        nix::unistd::geteuid().is_root(),
        "vk-bench cri-pods needs root (containerd, runc, CNI, the kubelet)"
    );
    anyhow::ensure!(options.rounds >= 1, "--rounds must be at least 1");
    anyhow::ensure!(options.pods >= 1, "--pods must be at least 1");
    anyhow::ensure!(options.concurrency >= 1, "--concurrency must be at least 1");
    let kubelet = options.kubelet_binary.clone().context(
        "--peer kubelet needs the kubelet binary: pass --kubelet-binary PATH or VK_KUBELET \
         (bench/kubelet/build.sh builds it; scripts/bench.sh does both)",
    )?;
    anyhow::ensure!(
        kubelet.is_file(),
        "kubelet binary {} does not exist; build it with bench/kubelet/build.sh",
        kubelet.display()
    );
    let kubelet_label = kubelet_label(&kubelet)?;
    let clock_ticks = clock_ticks()?;

    let id = std::process::id();
    let run_dir = PathBuf::from(format!("/tmp/vk-bench-cri.{id}"));
    let our_cgroup_root = format!("/vk-bench-cri-{id}");
    let env = CriEnv::up(&run_dir).removing_cgroups_under(&our_cgroup_root);
    let socket = env.var("VK_CRI_SOCKET").to_owned();
    let mut runtime = RuntimeServiceClient::new(connect(&socket).await);
    let version = runtime
        .version(VersionRequest::default())
        .await
        .context("CRI Version")?
        .into_inner();
    let cluster = Cluster::start().context("starting a private control plane")?;
    let mut bench = Bench {
        client: cluster.client().await,
        cluster,
        runtime,
        busybox: env.var("VK_CRI_BUSYBOX_IMAGE").to_owned(),
        containerd_pid: env
            .var("VK_CRI_CONTAINERD_PID")
            .parse()
            .context("VK_CRI_CONTAINERD_PID is not a pid")?,
        socket,
        run_dir,
        our_cgroup_root,
        kubelet,
        clock_ticks,
        options,
    };

    let mut figures: HashMap<&'static str, Vec<Figures>> = HashMap::new();
    let mut our_rss = Vec::new();
    let rounds = bench.options.rounds;
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [Side::Ours, Side::Kubelet, Side::Floor]
        } else {
            [Side::Floor, Side::Kubelet, Side::Ours]
        };
        for side in order {
            eprintln!(
                "vk-bench: round {} of {rounds}: {}",
                round + 1,
                match side {
                    Side::Ours => "vk-host + vk-cri-plugin",
                    Side::Kubelet => &kubelet_label,
                    Side::Floor => "raw CRI floor",
                }
            );
            let (key, result) = match side {
                Side::Ours => {
                    let (result, rss) = bench.run_ours(round).await?;
                    our_rss.push(rss);
                    ("ours", result)
                }
                Side::Kubelet => ("kubelet", bench.run_kubelet(round).await?),
                Side::Floor => ("floor", bench.run_floor(round).await?),
            };
            figures.entry(key).or_default().push(result);
            // Whatever a side left on containerd (a kubelet leaves stopped
            // sandboxes to its garbage collector) goes before the next side.
            remove_all_sandboxes(&mut bench.runtime).await?;
        }
    }

    let median_of = |key| median_figures(figures.get(key).map_or(&[][..], Vec::as_slice));
    print_table(
        &bench.options,
        &format!("{} {}", version.runtime_name, version.runtime_version),
        &kubelet_label,
        &median_of("ours"),
        &median_of("kubelet"),
        &median_of("floor"),
    );
    let (host, plugin): (Vec<f64>, Vec<f64>) = our_rss.into_iter().unzip();
    println!();
    println!(
        "peak RSS of vk-host + vk-cri-plugin = {:.1} + {:.1} MiB; the kubelet's is its own \
         process alone. CPU seconds are utime + stime (reaped children included) from /proc \
         between the first create and the last pod gone; containerd's is the daemon alone (not \
         its shims). The floor is the same pods made by direct CRI calls (RunPodSandbox + \
         CreateContainer + StartContainer, a PID namespace per container as the kubelet makes), \
         {} pods at a time, each timed from its first call to StartContainer's answer, then \
         stopped all at once by StopContainer (timeout {GRACE_SECONDS} s), each timed to its \
         answer; sandboxes are removed after the measurement. The API sides' per-pod times run \
         from each create (delete) request to the pod Running and Ready (gone) in the API.",
        median(host).unwrap_or(f64::NAN),
        median(plugin).unwrap_or(f64::NAN),
        bench.options.concurrency,
    );
    drop(bench);
    drop(env);
    Ok(())
}

fn print_table(
    options: &Options,
    runtime: &str,
    kubelet_label: &str,
    ours: &Figures,
    kubelet: &Figures,
    floor: &Figures,
) {
    println!(
        "vk-bench cri-pods --peer kubelet: {} busybox pods, {} at once, pod network (CNI \
         bridge), {runtime}; {} round(s) per side in alternating order (median shown)",
        options.pods, options.concurrency, options.rounds
    );
    println!();
    let sides = Sides {
        labels: ["vk-host + vk-cri-plugin", kubelet_label, "raw CRI floor"],
        short: ["vk-host", "kubelet", "floor"],
    };
    side_by_side::print_table(&ROWS, &sides, [ours, kubelet, floor]);
}

impl Bench {
    /// vk-host + vk-cri-plugin: one round on a node of its own. Returns the
    /// figures and the peak RSS of host and plugin (MiB).
    async fn run_ours(&self, round: usize) -> anyhow::Result<(Figures, (f64, f64))> {
        let id = std::process::id();
        let config = format!(
            "runtime_endpoint = {socket:?}\npod_logs_dir = {logs:?}\nroot_dir = {state:?}\n\
             instance_name = \"vk-bench-{id}-{round}\"\ncgroup_root = {cgroup_root:?}\n\
             node_ips = [\"127.0.0.1\"]\nresolv_conf = \"\"\n",
            socket = self.socket,
            logs = self.run_dir.join("pod-logs").display().to_string(),
            state = self
                .run_dir
                .join(format!("plugin-state-{round}"))
                .display()
                .to_string(),
            cgroup_root = self.our_cgroup_root,
        );
        let mut setup = NodeSetup::mock("cribench").plugin_config(&config);
        setup.plugin = "vk-cri-plugin".into();
        let mut node = VirtualNode::start(&self.cluster, setup).await;
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &node.namespace);
        let pids = [node.host.pid(), node.host.plugin_pid().await];

        let cpu_before = cpu_seconds(&pids, self.clock_ticks)?;
        let containerd_before = cpu_seconds(&[self.containerd_pid], self.clock_ticks)?;
        let workload = self.workload(&pods, "vk", &node.name).await?;
        let cpu = cpu_seconds(&pids, self.clock_ticks)? - cpu_before;
        let containerd = cpu_seconds(&[self.containerd_pid], self.clock_ticks)? - containerd_before;
        let host_rss = mib(peak_rss_kib(pids[0]).context("vk-host's peak RSS")?);
        let plugin_rss = mib(peak_rss_kib(pids[1]).context("vk-cri-plugin's peak RSS")?);

        node.host
            .signal_and_wait(nix::sys::signal::Signal::SIGTERM, Duration::from_secs(30))
            .await;
        Ok((
            workload.figures(&[Some(host_rss + plugin_rss), Some(cpu), Some(containerd)]),
            (host_rss, plugin_rss),
        ))
    }

    /// The real kubelet: one round, registered as a Node of its own.
    async fn run_kubelet(&self, round: usize) -> anyhow::Result<Figures> {
        let id = std::process::id();
        let node = format!("vk-bench-kubelet-{id}-{round}");
        let namespace = self.cluster.create_namespace("kubelet").await;
        let dir = self.run_dir.join(&node);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let kubeconfig = self
            .cluster
            .issue_kubeconfig(
                &format!("system:node:{node}"),
                &["system:nodes"],
                &dir.join("kubeconfig"),
            )
            .context("issuing the kubelet's node kubeconfig")?;
        let (cert, key) = self
            .cluster
            .issue_kubelet_serving_cert(&node, &dir)
            .context("issuing the kubelet's serving certificate")?;
        // Removes, also when this round fails, what the kubelet leaves
        // outside its process: the bind mount of its root directory and its
        // cgroups (after the pods' containers are gone).
        let mut leftovers = KubeletLeftovers {
            root_dir: dir.join("root"),
            cgroup_root: format!("/vk-bench-kubelet-{id}-{round}"),
        };
        create_cgroup(&leftovers.cgroup_root)?;
        let config = kubelet_config(
            &self.socket,
            &self.cluster.ca_cert(),
            &cert,
            &key,
            &leftovers.cgroup_root,
            &dir.join("pod-logs"),
            self.options.pods,
        );
        let config_path = dir.join("kubelet-config.json");
        std::fs::write(&config_path, serde_json::to_vec_pretty(&config)?)
            .with_context(|| format!("writing {}", config_path.display()))?;
        let log_path = dir.join("kubelet.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut child = tokio::process::Command::new(&self.kubelet)
            .args(["--config", &config_path.display().to_string()])
            .args(["--kubeconfig", &kubeconfig.display().to_string()])
            .args(["--root-dir", &leftovers.root_dir.display().to_string()])
            .args(["--hostname-override", &node])
            // The kubelet refuses a loopback node IP (it then sets no node
            // addresses); its API still listens on loopback only.
            .args(["--node-ip", &routable_ip().to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("log file")?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", self.kubelet.display()))?;
        let pid = child.id().context("the kubelet's pid")?;
        wait_node_ready(&self.client, &node, &mut child, &log_path, "the kubelet").await?;

        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let cpu_before = cpu_seconds(&[pid], self.clock_ticks)?;
        let containerd_before = cpu_seconds(&[self.containerd_pid], self.clock_ticks)?;
        let workload = self.workload(&pods, "kl", &node).await?;
        let cpu = cpu_seconds(&[pid], self.clock_ticks)? - cpu_before;
        let containerd = cpu_seconds(&[self.containerd_pid], self.clock_ticks)? - containerd_before;
        let rss = mib(peak_rss_kib(pid).context("the kubelet's peak RSS")?);

        stop_peer(&mut child, "the kubelet").await;
        let mut runtime = self.runtime.clone();
        remove_all_sandboxes(&mut runtime).await?;
        leftovers.remove();
        Ok(workload.figures(&[Some(rss), Some(cpu), Some(containerd)]))
    }

    /// The same pods through direct CRI calls: started `concurrency` at a
    /// time, then stopped all at once (StopContainer with the pods' grace as
    /// its timeout); the sandboxes are left for the caller to remove.
    async fn run_floor(&self, round: usize) -> anyhow::Result<Figures> {
        let log_dir = self.run_dir.join("floor-logs");
        let containerd_before = cpu_seconds(&[self.containerd_pid], self.clock_ticks)?;
        let start = Instant::now();
        let created: Vec<anyhow::Result<(Duration, String)>> =
            futures::stream::iter((0..self.options.pods).map(|i| {
                let mut runtime = self.runtime.clone();
                let log_dir = log_dir.clone();
                async move {
                    let mut config = sandbox_config(
                        &format!("floor-{round}-{i:03}"),
                        NamespaceMode::Pod,
                        &log_dir,
                    );
                    // A PID namespace per container, as the kubelet makes
                    // them (no shareProcessNamespace): `sleep` is PID 1 and
                    // ignores SIGTERM, so stopping it takes the full timeout
                    // on every side.
                    if let Some(options) = config
                        .linux
                        .as_mut()
                        .and_then(|linux| linux.security_context.as_mut())
                        .and_then(|context| context.namespace_options.as_mut())
                    {
                        options.pid = NamespaceMode::Container as i32;
                    }
                    let started = Instant::now();
                    let sandbox = runtime
                        .run_pod_sandbox(RunPodSandboxRequest {
                            config: Some(config.clone()),
                            runtime_handler: String::new(),
                        })
                        .await
                        .context("RunPodSandbox")?
                        .into_inner()
                        .pod_sandbox_id;
                    // Its own PID namespace, as the kubelet gives a pod
                    // without shareProcessNamespace.
                    let container = start_container(
                        &mut runtime,
                        &sandbox,
                        &config,
                        &self.busybox,
                        &["sleep", "3600"],
                        NamespaceMode::Container,
                    )
                    .await;
                    Ok((started.elapsed(), container))
                }
            }))
            .buffer_unordered(self.options.concurrency)
            .collect()
            .await;
        let create_total = start.elapsed();
        let created = created.into_iter().collect::<anyhow::Result<Vec<_>>>()?;

        let start = Instant::now();
        let deleted: Vec<anyhow::Result<Duration>> =
            futures::stream::iter(created.iter().map(|(_, container)| {
                let mut runtime = self.runtime.clone();
                async move {
                    let started = Instant::now();
                    runtime
                        .stop_container(StopContainerRequest {
                            container_id: container.clone(),
                            timeout: i64::from(GRACE_SECONDS),
                        })
                        .await
                        .context("StopContainer")?;
                    Ok(started.elapsed())
                }
            }))
            // All at once: a delete through the API returns at once, so on
            // the other sides every pod is terminating at the same time too.
            // A pod is gone from the API once its containers stopped (both
            // agents stop sandboxes after or around that); the sandboxes are
            // removed after the measurement, as every side's leftovers are.
            .buffer_unordered(created.len().max(1))
            .collect()
            .await;
        let delete_total = start.elapsed();
        let containerd = cpu_seconds(&[self.containerd_pid], self.clock_ticks)? - containerd_before;
        let workload = Workload {
            create_total,
            create: Samples::new(created.iter().map(|(took, _)| *took).collect()),
            delete_total,
            delete: Samples::new(deleted.into_iter().collect::<anyhow::Result<_>>()?),
        };
        Ok(workload.figures(&[None, None, Some(containerd)]))
    }

    /// The same busybox pods bound to `node`: created `concurrency` at a
    /// time until all are Running and Ready; then deleted (grace 1 s) until
    /// all are gone from the API.
    async fn workload(&self, pods: &Api<Pod>, run: &str, node: &str) -> anyhow::Result<Workload> {
        let namespace = crate::pods::pods_namespace(pods)?;
        let names: Vec<String> = (0..self.options.pods)
            .map(|i| format!("{run}-{i:05}"))
            .collect();
        let running = watch_running(pods.clone(), run);
        let start = Instant::now();
        let issued: Vec<anyhow::Result<(String, Instant)>> =
            futures::stream::iter(names.iter().map(|name| {
                let namespace = namespace.clone();
                async move {
                    let pod = manifest(&namespace, name, node, &self.busybox)?;
                    let issued = Instant::now();
                    pods.create(&PostParams::default(), &pod)
                        .await
                        .with_context(|| format!("creating pod {name}"))?;
                    Ok((name.clone(), issued))
                }
            }))
            .buffer_unordered(self.options.concurrency)
            .collect()
            .await;
        let issued: HashMap<String, Instant> = issued.into_iter().collect::<anyhow::Result<_>>()?;
        let running = wait_all(&running, self.options.pods, "every pod Running and Ready").await;
        let create_total = start.elapsed();
        let create = latencies(&issued, &running);

        let gone = watch_deletions(pods.clone(), run);
        let params = DeleteParams {
            grace_period_seconds: Some(GRACE_SECONDS),
            ..DeleteParams::default()
        };
        let start = Instant::now();
        let issued: Vec<anyhow::Result<(String, Instant)>> =
            futures::stream::iter(names.iter().map(|name| {
                let params = params.clone();
                async move {
                    let issued = Instant::now();
                    pods.delete(name, &params)
                        .await
                        .with_context(|| format!("deleting pod {name}"))?;
                    Ok((name.clone(), issued))
                }
            }))
            .buffer_unordered(self.options.concurrency)
            .collect()
            .await;
        let issued: HashMap<String, Instant> = issued.into_iter().collect::<anyhow::Result<_>>()?;
        let gone = wait_all(&gone, self.options.pods, "every pod gone from the API").await;
        Ok(Workload {
            create_total,
            create,
            delete_total: start.elapsed(),
            delete: latencies(&issued, &gone),
        })
    }
}

/// The kubelet's configuration on this machine: containerd's cgroup driver
/// (cgroupfs: cri-env's containerd config does not set `SystemdCgroup`),
/// cgroup v1 allowed, swap tolerated, QoS cgroups under a root of its own,
/// its API on loopback only (a free port, client certificates of the cluster
/// CA, webhook authorization), no read-only port, no healthz port, image GC
/// and disk eviction off (the images are imported, not pullable), pod logs
/// in the run directory, no resolv.conf (as vk-cri-plugin's `resolv_conf =
/// ""`).
fn kubelet_config(
    socket: &str,
    client_ca: &Path,
    cert: &Path,
    key: &Path,
    cgroup_root: &str,
    pod_logs: &Path,
    pods: usize,
) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": "127.0.0.1",
        "port": free_port(),
        "readOnlyPort": 0,
        "healthzPort": 0,
        "tlsCertFile": cert,
        "tlsPrivateKeyFile": key,
        "authentication": {
            "anonymous": { "enabled": false },
            "webhook": { "enabled": true },
            "x509": { "clientCAFile": client_ca },
        },
        "authorization": { "mode": "Webhook" },
        "containerRuntimeEndpoint": format!("unix://{socket}"),
        "imageServiceEndpoint": format!("unix://{socket}"),
        "cgroupDriver": "cgroupfs",
        "cgroupsPerQOS": true,
        "cgroupRoot": cgroup_root,
        "enforceNodeAllocatable": ["pods"],
        "failCgroupV1": false,
        "failSwapOn": false,
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": { "memory.available": "1Mi" },
        "podLogsDir": pod_logs,
        "resolvConf": "",
        "registerNode": true,
        "maxPods": pods.max(110),
    })
}

/// What a kubelet leaves outside its process.
struct KubeletLeftovers {
    /// Its `--root-dir`, which it bind-mounts onto itself.
    root_dir: PathBuf,
    /// Its `cgroupRoot`, in every hierarchy.
    cgroup_root: String,
}

impl KubeletLeftovers {
    fn remove(&mut self) {
        unmount_under(&self.root_dir);
        for hierarchy in cgroup_hierarchies() {
            let dir = hierarchy.join(self.cgroup_root.trim_start_matches('/'));
            if dir.exists() {
                remove_cgroup_tree(&dir);
            }
        }
        self.cgroup_root.clear();
    }
}

impl Drop for KubeletLeftovers {
    fn drop(&mut self) {
        if !self.cgroup_root.is_empty() {
            self.remove();
        }
    }
}

/// Unmounts every mount point at or under `dir`, deepest first.
fn unmount_under(dir: &Path) {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut points: Vec<&str> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .filter(|point| Path::new(point).starts_with(dir))
        .collect();
    points.sort_by_key(|point| std::cmp::Reverse(point.len()));
    for point in points {
        let status = std::process::Command::new("umount").arg(point).status();
        if !status.is_ok_and(|status| status.success()) {
            eprintln!("vk-bench: could not unmount {point} (the kubelet's root directory)");
        }
    }
}

/// The cgroup hierarchies: /sys/fs/cgroup itself on a unified (v2) host,
/// else each mounted v1 controller (and the hybrid's `unified`).
fn cgroup_hierarchies() -> Vec<PathBuf> {
    let root = Path::new("/sys/fs/cgroup");
    if root.join("cgroup.controllers").exists() {
        return vec![root.to_owned()];
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
        .collect()
}

/// Creates `cgroup` in every hierarchy (the kubelet wants its `cgroupRoot`
/// to exist); a new v1 cpuset gets its parent's CPUs and memory nodes.
fn create_cgroup(cgroup: &str) -> anyhow::Result<()> {
    for hierarchy in cgroup_hierarchies() {
        let dir = hierarchy.join(cgroup.trim_start_matches('/'));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating cgroup {}", dir.display()))?;
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let parent = hierarchy.join(file);
            if hierarchy.join("cgroup.controllers").exists() || !parent.exists() {
                continue;
            }
            let value = std::fs::read_to_string(&parent)
                .with_context(|| format!("reading {}", parent.display()))?;
            std::fs::write(dir.join(file), value.trim())
                .with_context(|| format!("writing {}", dir.join(file).display()))?;
        }
    }
    Ok(())
}

/// Removes a cgroup and every cgroup under it (children first).
fn remove_cgroup_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_cgroup_tree(&entry.path());
            }
        }
    }
    if let Err(e) = std::fs::remove_dir(dir) {
        eprintln!("vk-bench: could not remove cgroup {}: {e}", dir.display());
    }
}

/// "kubelet v1.37.2", from `kubelet --version`.
fn kubelet_label(binary: &Path) -> anyhow::Result<String> {
    let output = std::process::Command::new(binary)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .split_whitespace()
        .find(|word| word.starts_with('v'))
        .with_context(|| {
            format!(
                "{} --version printed no version: {:?}",
                binary.display(),
                text
            )
        })?;
    Ok(format!("kubelet {version}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_config_names_the_runtime_and_cgroups() {
        let config = kubelet_config(
            "/tmp/x/containerd.sock",
            Path::new("/ca.crt"),
            Path::new("/n.crt"),
            Path::new("/n.key"),
            "/vk-bench-kubelet-1-0",
            Path::new("/tmp/x/logs"),
            50,
        );
        assert_eq!(
            config["containerRuntimeEndpoint"],
            "unix:///tmp/x/containerd.sock"
        );
        assert_eq!(config["cgroupRoot"], "/vk-bench-kubelet-1-0");
        assert_eq!(config["maxPods"], 110);
        assert_eq!(config["readOnlyPort"], 0);
    }
}
