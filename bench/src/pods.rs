//! The pod benchmark: N pods created at once on a virtual node (real
//! kube-apiserver, real vk-host, real mock plugin), time until all are
//! Running and per-pod latency; the same for deletion; host and plugin memory
//! at N pods. The baseline, measured in the same run on the same API server,
//! is the API server's own floor: the same creates and deletes of pods bound
//! to a node nobody serves (create = accepted, delete = grace 0, gone).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use kube::runtime::watcher::{self, Event};
use vk_tests::cluster::Cluster;
use vk_tests::processes::{peak_rss_kib, rss_kib};
use vk_tests::virtual_node::{NodeSetup, VirtualNode};

use crate::stats::Samples;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Pods created (and deleted) at once.
    #[arg(long, default_value_t = 1000)]
    pub(crate) pods: usize,
    /// API requests in flight from the benchmark's own client.
    #[arg(long, default_value_t = 64)]
    pub(crate) concurrency: usize,
    /// More vk-host flags (e.g. `--kube-api-qps 50`), space separated.
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub(crate) host_args: String,
    /// Also run another virtual kubelet on the same control plane and
    /// workload, one side at a time, and print both side by side.
    #[arg(long, value_enum)]
    pub(crate) peer: Option<crate::peer::Peer>,
    /// With `--peer`: rounds per side, in alternating order (us, peer, peer,
    /// us, ...); the table shows the median of the rounds.
    #[arg(long, default_value_t = 1, requires = "peer")]
    pub(crate) rounds: usize,
    /// With `--peer upstream`: upstream's `virtual-kubelet` binary
    /// (`bench/upstream/build.sh` builds it; `scripts/bench.sh` passes it).
    #[arg(long, env = "VK_UPSTREAM_VK")]
    pub(crate) upstream_binary: Option<std::path::PathBuf>,
}

/// When each pod got where it was going, by name.
pub(crate) type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

pub async fn run(options: Options) -> anyhow::Result<()> {
    if options.peer.is_some() {
        return crate::peer::run(options).await;
    }
    let cluster = Cluster::start().context("starting a private control plane")?;
    let host_args: Vec<&str> = options.host_args.split_whitespace().collect();
    let node = VirtualNode::start(&cluster, NodeSetup::mock("bench").host_args(&host_args)).await;
    let client = cluster.client().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &node.namespace);
    let host_pid = node.host.pid();
    let plugin_pid = node.host.plugin_pid().await;
    let idle = (rss_kib(host_pid), rss_kib(plugin_pid));

    // Baseline: the API server alone.
    let floor_created = Arrivals::default();
    let floor_start = Instant::now();
    let floor_create =
        create_all(&pods, &options, "floor", "vk-bench-nobody", &floor_created).await?;
    let floor_create_total = floor_start.elapsed();
    let floor_gone = watch_deletions(pods.clone(), "floor");
    let floor_start = Instant::now();
    let floor_delete = delete_all(&pods, &options, "floor", Some(0)).await?;
    let floor_gone = wait_all(&floor_gone, options.pods, "floor pods to be gone").await;
    let floor_delete_total = floor_start.elapsed();
    let floor_delete_latency = latencies(&floor_delete, &floor_gone);
    let floor_create_latency = latencies(&floor_create, &floor_created.lock().expect("lock"));

    // vk-host: created -> Running and Ready.
    let running = watch_running(pods.clone(), "vk");
    let start = Instant::now();
    let issued = create_all(&pods, &options, "vk", &node.name, &Arrivals::default()).await?;
    let running = wait_all(&running, options.pods, "every pod Running and Ready").await;
    let create_total = start.elapsed();
    let create_latency = latencies(&issued, &running);
    let at_n = (rss_kib(host_pid), rss_kib(plugin_pid));

    // vk-host: graceful delete (default grace) -> gone from the API.
    let gone = watch_deletions(pods.clone(), "vk");
    let start = Instant::now();
    let issued = delete_all(&pods, &options, "vk", None).await?;
    let gone = wait_all(&gone, options.pods, "every pod gone from the API").await;
    let delete_total = start.elapsed();
    let delete_latency = latencies(&issued, &gone);
    let peak = (peak_rss_kib(host_pid), peak_rss_kib(plugin_pid));

    let n = options.pods;
    println!(
        "vk-bench pods: {n} pods at once, {} API requests in flight, vk-host {}",
        options.concurrency,
        if host_args.is_empty() {
            "defaults".to_owned()
        } else {
            options.host_args.clone()
        }
    );
    println!();
    println!(
        "| | all done | per pod p50 | per pod p99 | API-server floor (all / p50 / p99) | ratio (all) |"
    );
    println!("|---|---|---|---|---|---|");
    row(
        "create → Running+Ready",
        create_total,
        &create_latency,
        floor_create_total,
        &floor_create_latency,
    );
    row(
        "delete (grace 30 s) → gone",
        delete_total,
        &delete_latency,
        floor_delete_total,
        &floor_delete_latency,
    );
    println!();
    println!(
        "RSS (KiB): vk-host idle {} → {} at {n} pods (peak {}); mock plugin idle {} → {} (peak {})",
        show(idle.0),
        show(at_n.0),
        show(peak.0),
        show(idle.1),
        show(at_n.1),
        show(peak.1)
    );
    Ok(())
}

pub(crate) fn show(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".into(), |kib| kib.to_string())
}

fn row(what: &str, total: Duration, samples: &Samples, floor_total: Duration, floor: &Samples) {
    println!(
        "| {what} | {:.2} s | {:.0} ms | {:.0} ms | {:.2} s / {:.0} ms / {:.0} ms | {:.1}x |",
        total.as_secs_f64(),
        samples.micros(50.0) / 1000.0,
        samples.micros(99.0) / 1000.0,
        floor_total.as_secs_f64(),
        floor.micros(50.0) / 1000.0,
        floor.micros(99.0) / 1000.0,
        total.as_secs_f64() / floor_total.as_secs_f64().max(1e-9),
    );
}

fn pod_name(run: &str, i: usize) -> String {
    format!("{run}-{i:05}")
}

pub(crate) fn manifest(namespace: &str, name: &str, node: &str) -> anyhow::Result<Pod> {
    Ok(serde_json::from_value(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": namespace, "labels": { "vk-bench": "1" } },
        "spec": {
            "nodeName": node,
            "tolerations": [{ "key": "virtual-kubelet.io/provider", "operator": "Exists" }],
            "containers": [{ "name": "main", "image": "busybox" }]
        }
    }))?)
}

/// Creates the pods, `concurrency` at a time; returns when each create was
/// issued, and records in `accepted` when the API server answered.
pub(crate) async fn create_all(
    pods: &Api<Pod>,
    options: &Options,
    run: &str,
    node: &str,
    accepted: &Arrivals,
) -> anyhow::Result<HashMap<String, Instant>> {
    let namespace = pods_namespace(pods)?;
    let results: Vec<anyhow::Result<(String, Instant)>> =
        futures::stream::iter((0..options.pods).map(|i| {
            let name = pod_name(run, i);
            let namespace = namespace.clone();
            async move {
                let pod = manifest(&namespace, &name, node)?;
                let issued = Instant::now();
                pods.create(&PostParams::default(), &pod)
                    .await
                    .with_context(|| format!("creating pod {name}"))?;
                accepted
                    .lock()
                    .expect("lock")
                    .insert(name.clone(), Instant::now());
                Ok((name, issued))
            }
        }))
        .buffer_unordered(options.concurrency)
        .collect()
        .await;
    results.into_iter().collect()
}

pub(crate) async fn delete_all(
    pods: &Api<Pod>,
    options: &Options,
    run: &str,
    grace: Option<u32>,
) -> anyhow::Result<HashMap<String, Instant>> {
    let params = DeleteParams {
        grace_period_seconds: grace,
        ..DeleteParams::default()
    };
    let results: Vec<anyhow::Result<(String, Instant)>> =
        futures::stream::iter((0..options.pods).map(|i| {
            let name = pod_name(run, i);
            let params = params.clone();
            async move {
                let issued = Instant::now();
                pods.delete(&name, &params)
                    .await
                    .with_context(|| format!("deleting pod {name}"))?;
                Ok((name, issued))
            }
        }))
        .buffer_unordered(options.concurrency)
        .collect()
        .await;
    results.into_iter().collect()
}

pub(crate) fn pods_namespace(pods: &Api<Pod>) -> anyhow::Result<String> {
    // Api<Pod> does not expose its namespace; the resource URL has it.
    let url = pods.resource_url();
    url.split('/')
        .skip_while(|part| *part != "namespaces")
        .nth(1)
        .map(str::to_owned)
        .context("namespaced pod API")
}

/// Records when each pod of `run` is first seen Running with Ready=True.
pub(crate) fn watch_running(pods: Api<Pod>, run: &str) -> Arrivals {
    watch(pods, run, |event| match event {
        Event::Apply(pod) | Event::InitApply(pod) => {
            is_running_and_ready(&pod).then(|| name_of(&pod))
        }
        _ => None,
    })
}

/// Records when each pod of `run` is gone from the API.
pub(crate) fn watch_deletions(pods: Api<Pod>, run: &str) -> Arrivals {
    watch(pods, run, |event| match event {
        Event::Delete(pod) => Some(name_of(&pod)),
        _ => None,
    })
}

fn watch(pods: Api<Pod>, run: &str, seen: fn(Event<Pod>) -> Option<String>) -> Arrivals {
    let arrivals = Arrivals::default();
    let recorded = arrivals.clone();
    let prefix = format!("{run}-");
    let stream = watcher::watcher(pods, watcher::Config::default().labels("vk-bench=1"));
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Ok(Some(event)) = stream.try_next().await {
            if let Some(name) = seen(event).filter(|name| name.starts_with(&prefix)) {
                recorded
                    .lock()
                    .expect("lock")
                    .entry(name)
                    .or_insert_with(Instant::now);
            }
        }
    });
    arrivals
}

fn name_of(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

fn is_running_and_ready(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status.phase.as_deref() == Some("Running")
        && status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

pub(crate) async fn wait_all(
    arrivals: &Arrivals,
    n: usize,
    what: &str,
) -> HashMap<String, Instant> {
    // Upstream virtual-kubelet's client is paced at 5 requests/s: two
    // requests per pod take 400 s at 1000 pods.
    let limit = Duration::from_secs(600.max(n as u64));
    let deadline = Instant::now() + limit;
    loop {
        let count = arrivals.lock().expect("lock").len();
        if count >= n {
            return arrivals.lock().expect("lock").clone();
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {count} of {n} after {} s",
            limit.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn latencies(
    issued: &HashMap<String, Instant>,
    arrived: &HashMap<String, Instant>,
) -> Samples {
    Samples::new(
        issued
            .iter()
            .filter_map(|(name, start)| Some(arrived.get(name)?.saturating_duration_since(*start)))
            .collect(),
    )
}
