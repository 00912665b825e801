//! The protocol benchmark: the cost of crossing the process boundary.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use tokio_util::sync::CancellationToken;
use vk_host::plugin_process::{PluginClient, PluginSpec, Supervisor, SupervisorConfig};
use vk_mock_plugin::{Config, MockProvider};
use vk_plugin_sdk::Provider as _;

use crate::stats::Samples;

/// CreatePod calls in flight while measuring status push, so the push stream,
/// not the sequential create latency, is what limits the rate.
const CREATE_CONCURRENCY: usize = 64;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// CreatePod calls to time, each way.
    #[arg(long, default_value_t = 5000)]
    iterations: usize,
    /// Pods created for the status-push measurement.
    #[arg(long, default_value_t = 5000)]
    push_pods: usize,
    /// The mock plugin executable [default: next to this binary].
    #[arg(long)]
    mock_plugin: Option<PathBuf>,
}

fn pod(run: &str, i: usize) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(format!("bench-{run}-{i}")),
            namespace: Some("bench".into()),
            uid: Some(format!("{run}-{i:08}")),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "main".into(),
                image: Some("busybox".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: None,
    }
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let plugin_path = match options.mock_plugin {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("vk-mock-plugin"),
    };
    anyhow::ensure!(
        plugin_path.is_file(),
        "{} not found; build it first (cargo build --release -p vk-mock-plugin)",
        plugin_path.display()
    );
    let runtime = tempfile::tempdir()?;
    let spec = PluginSpec {
        path: plugin_path,
        args: Vec::new(),
        config: None,
        runtime_dir: runtime.path().to_owned(),
        env: Default::default(),
    };
    let supervisor = Supervisor::start(
        SupervisorConfig::new(spec, "vk-bench"),
        &CancellationToken::new(),
    )
    .await
    .context("starting the mock plugin")?;
    let client = supervisor
        .client()
        .borrow()
        .clone()
        .context("the plugin is not running")?;

    println!(
        "CreatePod round trip, {} calls each, sequential:",
        options.iterations
    );
    let in_process = create_in_process(options.iterations).await?;
    let over_socket = create_over_socket(&client, options.iterations).await?;
    for (label, samples) in [
        ("in-process provider call", &in_process),
        ("vk-host client -> Unix socket -> plugin", &over_socket),
    ] {
        println!(
            "  {label:<42} p50 {:>8.1} us   p99 {:>8.1} us",
            samples.micros(50.0),
            samples.micros(99.0)
        );
    }
    println!(
        "  ratio (socket / in-process)                p50 {:>8.1}x   p99 {:>8.1}x",
        over_socket.micros(50.0) / in_process.micros(50.0).max(0.001),
        over_socket.micros(99.0) / in_process.micros(99.0).max(0.001)
    );

    println!(
        "Status push, {} pods created {CREATE_CONCURRENCY} at a time, until every pod's Running status arrived:",
        options.push_pods
    );
    let (local_events, local_time) = push_in_process(options.push_pods).await?;
    let (remote_events, remote_time) = push_over_socket(&client, options.push_pods).await?;
    let local_rate = local_events as f64 / local_time.as_secs_f64();
    let remote_rate = remote_events as f64 / remote_time.as_secs_f64();
    println!(
        "  {:<42} {:>10.0} updates/s ({local_events} in {local_time:.2?})",
        "in-process provider stream", local_rate
    );
    println!(
        "  {:<42} {:>10.0} updates/s ({remote_events} in {remote_time:.2?})",
        "WatchPodStatus over the Unix socket", remote_rate
    );
    println!(
        "  ratio (socket / in-process)                {:>10.2}x",
        remote_rate / local_rate
    );

    supervisor.stop().await;
    Ok(())
}

async fn create_in_process(iterations: usize) -> anyhow::Result<Samples> {
    let provider = MockProvider::new(Config::default());
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let pod = pod("local", i);
        let started = Instant::now();
        provider.create_pod(pod).await?;
        samples.push(started.elapsed());
    }
    Ok(Samples::new(samples))
}

async fn create_over_socket(client: &PluginClient, iterations: usize) -> anyhow::Result<Samples> {
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let pod = pod("socket", i);
        let started = Instant::now();
        client.create_pod(&pod).await?;
        samples.push(started.elapsed());
    }
    Ok(Samples::new(samples))
}

fn is_running(status: &k8s_openapi::api::core::v1::PodStatus) -> bool {
    status.phase.as_deref() == Some("Running")
}

async fn push_in_process(pods: usize) -> anyhow::Result<(usize, Duration)> {
    let provider = std::sync::Arc::new(MockProvider::new(Config {
        status_buffer: pods * 4,
        ..Config::default()
    }));
    let mut stream = provider.watch_pod_status().await?;
    let started = Instant::now();
    let creator = {
        let provider = std::sync::Arc::clone(&provider);
        tokio::spawn(async move {
            futures::stream::iter(0..pods)
                .map(|i| {
                    let provider = std::sync::Arc::clone(&provider);
                    async move { provider.create_pod(pod("push-local", i)).await }
                })
                .buffer_unordered(CREATE_CONCURRENCY)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?;
            anyhow::Ok(())
        })
    };
    let mut running = HashSet::new();
    let mut events = 0;
    while running.len() < pods {
        let update = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .context("no status update for 30 s")?
            .context("the status stream ended")?;
        events += 1;
        if update.status.as_ref().is_some_and(is_running) {
            running.insert(update.pod.uid);
        }
    }
    creator.await??;
    Ok((events, started.elapsed()))
}

async fn push_over_socket(client: &PluginClient, pods: usize) -> anyhow::Result<(usize, Duration)> {
    let mut stream = client.watch_pod_status()?;
    let started = Instant::now();
    let creator = {
        let client = client.clone();
        tokio::spawn(async move {
            futures::stream::iter(0..pods)
                .map(|i| {
                    let client = client.clone();
                    async move { client.create_pod(&pod("push-socket", i)).await }
                })
                .buffer_unordered(CREATE_CONCURRENCY)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?;
            anyhow::Ok(())
        })
    };
    let mut running = HashSet::new();
    let mut events = 0;
    while running.len() < pods {
        let event = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .context("no status update for 30 s")?
            .context("the status stream ended")??;
        events += 1;
        // A message with events only carries no status.
        if event.status.is_empty() {
            continue;
        }
        let status: k8s_openapi::api::core::v1::PodStatus = serde_json_from(&event.status)?;
        if is_running(&status) {
            running.insert(event.pod.map(|p| p.uid).unwrap_or_default());
        }
    }
    creator.await??;
    Ok((events, started.elapsed()))
}

fn serde_json_from<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> anyhow::Result<T> {
    Ok(serde_json::from_slice(bytes)?)
}
