//! `vk-bench`: measured figures, each printed next to a baseline measured in
//! the same run (these machines are noisy, so only same-run ratios mean much).
//!
//! `vk-bench protocol`: CreatePod round trip through the host's plugin client
//! over the real Unix socket to a real `vk-mock-plugin` process, against the
//! same call on the mock provider in process; and status-push throughput
//! through `WatchPodStatus` against the provider's own stream.
//!
//! `vk-bench pods`: N pods at once on a virtual node (real control plane,
//! vk-host, mock plugin) to Running and deleted, against the API server's own
//! floor for the same requests. With `--peer upstream`, upstream
//! virtual-kubelet (its own CLI and mock provider) on the same control plane
//! and workload, one side at a time, in one table.
//!
//! `vk-bench cri-pods`: N busybox pods on vk-cri-plugin (real containerd)
//! from create to Running, against the same CRI calls made directly. With
//! `--peer kubelet`, the real kubelet on the same containerd, control plane
//! and pods, one side at a time, in one table with the floor.

mod cri_pods;
mod kubelet_peer;
mod peer;
mod pods;
mod protocol;
mod side_by_side;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "vk-bench", about)]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Plugin protocol overhead: unary CreatePod latency and status push rate.
    Protocol(protocol::Options),
    /// Pods at scale on a virtual node: N pods to Running and back, memory.
    Pods(pods::Options),
    /// Pod start latency on vk-cri-plugin (real containerd) against direct
    /// CRI calls.
    CriPods(cri_pods::Options),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().bench {
        Bench::Protocol(options) => protocol::run(options).await,
        Bench::Pods(options) => pods::run(options).await,
        Bench::CriPods(options) => cri_pods::run(options).await,
    }
}
