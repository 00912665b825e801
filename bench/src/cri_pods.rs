//! The CRI pod-start benchmark (issue 7): N busybox pods on vk-cri-plugin,
//! each timed from its create request to the API showing it Running and
//! Ready (real kube-apiserver, vk-host, vk-cri-plugin, an isolated
//! containerd from `scripts/cri-env.sh`). The floor, measured in the same
//! run on the same containerd: the same CRI calls (RunPodSandbox,
//! CreateContainer, StartContainer) made directly by a minimal client, each
//! pod timed from its first call to StartContainer's answer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::StreamExt as _;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{
    ListPodSandboxRequest, NamespaceMode, PodSandboxFilter, RemovePodSandboxRequest,
    RunPodSandboxRequest, StopPodSandboxRequest, VersionRequest,
};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use vk_tests::cluster::Cluster;
use vk_tests::cri_env::{CriEnv, connect, sandbox_config, start_container};
use vk_tests::processes::rss_kib;
use vk_tests::virtual_node::{NodeSetup, VirtualNode};

use crate::pods::{latencies, show, wait_all, watch_deletions, watch_running};
use crate::stats::Samples;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Pods started, in each of the two runs.
    #[arg(long, default_value_t = 50)]
    pub(crate) pods: usize,
    /// Pods being started at once (create requests, or direct CRI pods).
    #[arg(long, default_value_t = 10)]
    pub(crate) concurrency: usize,
    /// Also run the real kubelet on the same containerd and control plane,
    /// one side at a time, and print it, vk-host and the floor side by side.
    #[arg(long, value_enum)]
    pub(crate) peer: Option<crate::kubelet_peer::CriPeer>,
    /// With `--peer`: rounds of every side, in alternating order; the table
    /// shows the median of the rounds.
    #[arg(long, default_value_t = 1, requires = "peer")]
    pub(crate) rounds: usize,
    /// With `--peer kubelet`: the kubelet binary (`bench/kubelet/build.sh`
    /// builds it; `scripts/bench.sh` passes it).
    #[arg(long, env = "VK_KUBELET")]
    pub(crate) kubelet_binary: Option<std::path::PathBuf>,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    if options.peer.is_some() {
        return crate::kubelet_peer::run(options).await;
    }
    anyhow::ensure!(
        nix::unistd::geteuid().is_root(),
        "vk-bench cri-pods needs root (containerd, runc, CNI)"
    );
    let id = std::process::id();
    let run_dir = std::path::PathBuf::from(format!("/tmp/vk-bench-cri.{id}"));
    let cgroup_root = format!("/vk-bench-cri-{id}");
    let env = CriEnv::up(&run_dir).removing_cgroups_under(&cgroup_root);
    let socket = env.var("VK_CRI_SOCKET").to_owned();
    let busybox = env.var("VK_CRI_BUSYBOX_IMAGE").to_owned();

    // Floor: the CRI calls alone.
    let mut runtime = RuntimeServiceClient::new(connect(&socket).await);
    let version = runtime
        .version(VersionRequest::default())
        .await
        .context("CRI Version")?
        .into_inner();
    let log_dir = run_dir.join("floor-logs");
    let floor_start = Instant::now();
    let floor: Vec<anyhow::Result<Duration>> = futures::stream::iter((0..options.pods).map(|i| {
        let mut runtime = runtime.clone();
        let (busybox, log_dir) = (busybox.clone(), log_dir.clone());
        async move {
            let config = sandbox_config(&format!("floor-{i:03}"), NamespaceMode::Pod, &log_dir);
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
            start_container(
                &mut runtime,
                &sandbox,
                &config,
                &busybox,
                &["sleep", "3600"],
                NamespaceMode::Pod,
            )
            .await;
            Ok(started.elapsed())
        }
    }))
    .buffer_unordered(options.concurrency)
    .collect()
    .await;
    let floor_total = floor_start.elapsed();
    let floor = Samples::new(floor.into_iter().collect::<anyhow::Result<_>>()?);
    remove_all_sandboxes(&mut runtime).await?;

    // vk-host + vk-cri-plugin, through the API server.
    let cluster = Cluster::start().context("starting a private control plane")?;
    let config = format!(
        "runtime_endpoint = {socket:?}\npod_logs_dir = {logs:?}\nroot_dir = {state:?}\n\
         instance_name = \"vk-bench-{id}\"\ncgroup_root = {cgroup_root:?}\n\
         node_ips = [\"127.0.0.1\"]\nresolv_conf = \"\"\n",
        logs = run_dir.join("pod-logs").display().to_string(),
        state = run_dir.join("plugin-state").display().to_string(),
    );
    let mut setup = NodeSetup::mock("cribench").plugin_config(&config);
    setup.plugin = "vk-cri-plugin".into();
    let node = VirtualNode::start(&cluster, setup).await;
    let pods: Api<Pod> = Api::namespaced(cluster.client().await, &node.namespace);
    let running = watch_running(pods.clone(), "vk");
    let start = Instant::now();
    let issued: Vec<anyhow::Result<(String, Instant)>> =
        futures::stream::iter((0..options.pods).map(|i| {
            let pods = pods.clone();
            let (namespace, node_name, busybox) =
                (node.namespace.clone(), node.name.clone(), busybox.clone());
            async move {
                let name = format!("vk-{i:05}");
                let pod = manifest(&namespace, &name, &node_name, &busybox)?;
                let issued = Instant::now();
                pods.create(&PostParams::default(), &pod)
                    .await
                    .with_context(|| format!("creating pod {name}"))?;
                Ok((name, issued))
            }
        }))
        .buffer_unordered(options.concurrency)
        .collect()
        .await;
    let issued: HashMap<String, Instant> = issued.into_iter().collect::<anyhow::Result<_>>()?;
    let running = wait_all(&running, options.pods, "every pod Running and Ready").await;
    let total = start.elapsed();
    let latency = latencies(&issued, &running);
    let rss = (
        rss_kib(node.host.pid()),
        rss_kib(node.host.plugin_pid().await),
    );

    // Clean up through the plugin, so that containerd is empty for `down`.
    let gone = watch_deletions(pods.clone(), "vk");
    for name in issued.keys() {
        pods.delete(
            name,
            &DeleteParams {
                grace_period_seconds: Some(1),
                ..DeleteParams::default()
            },
        )
        .await
        .with_context(|| format!("deleting pod {name}"))?;
    }
    wait_all(&gone, options.pods, "every pod deleted").await;
    drop(node);
    drop(env);

    println!(
        "vk-bench cri-pods: {} busybox pods, {} at once, pod network (CNI bridge), {} {}",
        options.pods, options.concurrency, version.runtime_name, version.runtime_version
    );
    println!();
    println!("| | all running | per pod p50 | per pod p99 |");
    println!("|---|---|---|---|");
    println!(
        "| vk-host + vk-cri-plugin: create → Running+Ready | {:.2} s | {:.0} ms | {:.0} ms |",
        total.as_secs_f64(),
        latency.micros(50.0) / 1000.0,
        latency.micros(99.0) / 1000.0
    );
    println!(
        "| floor: RunPodSandbox + CreateContainer + StartContainer | {:.2} s | {:.0} ms | {:.0} ms |",
        floor_total.as_secs_f64(),
        floor.micros(50.0) / 1000.0,
        floor.micros(99.0) / 1000.0
    );
    println!(
        "| ratio | {:.1}x | {:.1}x | {:.1}x |",
        total.as_secs_f64() / floor_total.as_secs_f64().max(1e-9),
        latency.micros(50.0) / floor.micros(50.0).max(1e-9),
        latency.micros(99.0) / floor.micros(99.0).max(1e-9)
    );
    println!();
    println!(
        "RSS (KiB) at {} pods: vk-host {}, vk-cri-plugin {}",
        options.pods,
        show(rss.0),
        show(rss.1)
    );
    Ok(())
}

pub(crate) fn manifest(
    namespace: &str,
    name: &str,
    node: &str,
    image: &str,
) -> anyhow::Result<Pod> {
    Ok(serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": namespace, "labels": { "vk-bench": "1" } },
        "spec": {
            "nodeName": node,
            "automountServiceAccountToken": false,
            "terminationGracePeriodSeconds": 1,
            "tolerations": [{ "key": "virtual-kubelet.io/provider", "operator": "Exists" }],
            "containers": [{
                "name": "main",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["sleep", "3600"]
            }]
        }
    }))?)
}

/// Stops and removes every sandbox (and so its containers) on the runtime.
/// A CRI call's result, with NotFound (gone already) counted as done.
fn already_gone_is_done<T>(result: Result<T, tonic::Status>) -> Result<(), tonic::Status> {
    match result {
        Err(status) if status.code() == tonic::Code::NotFound => Ok(()),
        other => other.map(drop),
    }
}

pub(crate) async fn remove_all_sandboxes(
    runtime: &mut RuntimeServiceClient<tonic::transport::Channel>,
) -> anyhow::Result<()> {
    let sandboxes = runtime
        .list_pod_sandbox(ListPodSandboxRequest {
            filter: Some(PodSandboxFilter::default()),
        })
        .await
        .context("ListPodSandbox")?
        .into_inner()
        .items;
    // A sandbox its owner (a kubelet that was just stopped) removes at the
    // same time is gone already: NotFound is done.
    for sandbox in sandboxes {
        already_gone_is_done(
            runtime
                .stop_pod_sandbox(StopPodSandboxRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                })
                .await,
        )
        .context("StopPodSandbox")?;
        already_gone_is_done(
            runtime
                .remove_pod_sandbox(RemovePodSandboxRequest {
                    pod_sandbox_id: sandbox.id,
                })
                .await,
        )
        .context("RemovePodSandbox")?;
    }
    Ok(())
}
