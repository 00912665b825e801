//! The virtual Node: registration (labels, taints, capacity from the plugin),
//! the Lease heartbeat, and a status whose Ready condition follows the
//! plugin's health.
//!
//! Tasks, each with its span: `node-status` ([`controller`]: the only writer
//! of the Node), `node-watch` ([`observe`]: sees deletions and edits),
//! `node-info` ([`info`]: the plugin's NodeInfo) and `node-lease`
//! ([`lease`]). Pure decisions live in [`desired`] (the Node vk-host
//! wants), [`readiness`], [`conditions`] and [`merge`].
//!
//! Behaviour worth knowing (and where it differs from the kubelet or
//! upstream virtual-kubelet):
//! - Labels, taints, capacity, addresses and conditions follow the options
//!   and the plugin's NodeInfo for the Node's whole life, not only at
//!   creation. vk-host owns what it set (recorded in the
//!   `vk-host.io/managed-*` annotations): it re-applies its own labels and
//!   taints if someone removes them (change the flags to change them), and
//!   never touches other writers' labels, taints, resources or conditions.
//! - A Node deleted by someone else is registered again at once (new UID; the
//!   Lease's owner reference follows).
//! - The Lease is renewed while vk-host runs, healthy plugin or not (like the
//!   kubelet's: it says the node agent is alive); Ready=False with a reason
//!   is what says the plugin cannot take pods.
//! - The status is posted every [`HEARTBEAT`] and at once on a change of
//!   plugin health or NodeInfo (NodeInfo-driven writes at most once a
//!   second).
//! - Without CAPABILITY_NODE_INFO (or for fields the plugin leaves empty) the
//!   Node describes this machine: its CPUs and memory, `pods: 110`, its OS,
//!   architecture, kernel and OS image; the container runtime is
//!   `<plugin name>://<plugin version>`. The InternalIP is `--node-ip`, else
//!   the source address of the default route, else 127.0.0.1, whenever the
//!   plugin reports no InternalIP of its own; a Hostname address (the node
//!   name) is added unless the plugin gives one.
//! - The node's host IPs (the kubelet's choice from those addresses: the
//!   first InternalIP, then one of the other family) are published for the
//!   pod controller, which gives them to pods whose plugin status has no
//!   `hostIP`/`hostIPs`.
//! - Plugin data the API server would refuse is dropped (fractional `pods`
//!   or extended resources, invalid labels, taints, conditions, addresses)
//!   or cut (text beyond 1 KiB), each problem logged once. If the API server
//!   still rejects a write carrying the plugin's NodeInfo, the Node is
//!   written without it (a `NodeInfoRejected` Warning event says why) until
//!   the plugin reports different information: Ready and the Lease never
//!   depend on the plugin's data being valid.
//! - On shutdown nothing is deleted: like the kubelet, vk-host leaves its
//!   Node, which the node lifecycle controller marks Unknown once the Lease
//!   expires.

mod conditions;
mod controller;
mod desired;
pub(crate) mod host_facts;
mod info;
mod lease;
mod merge;
mod observe;
mod readiness;
mod registration;
mod status;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Taint};
use kube::Api;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::apiserver::Events;
use crate::plugin_process::PluginWatch;
use crate::task_group::TaskGroup;

pub use desired::{KUBERNETES_VERSION, PROVIDER_TAINT_KEY, kubelet_version};
pub use merge::{MANAGED_METADATA, MANAGED_STATUS};
pub use readiness::{Readiness, readiness};

/// The field manager of every vk-host write to the Node and Lease.
pub const FIELD_MANAGER: &str = "vk-host";

/// How often the status is posted when nothing changes (at once on a
/// change). The kubelet posts every 5 min when a Lease is used; 30 s keeps
/// `lastHeartbeatTime` meaningful for people at a negligible cost.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// How long registration waits for the plugin's first NodeInfo before it
/// registers with defaults (updated as soon as the NodeInfo comes).
pub const INFO_WAIT: Duration = Duration::from_secs(15);

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
    /// One of the controller's tasks ended while vk-host was running.
    #[error("node {node}: the {task} task ended unexpectedly")]
    TaskEnded { node: String, task: &'static str },
}

/// Registers the Node and keeps it, its Lease and its status fresh until
/// `token` is cancelled. `client` should be one without client-side pacing
/// ([`crate::apiserver::connect_unpaced`]): a Lease renewal queued behind pod
/// work for longer than 40 s lets the node go Unknown. Events still go
/// through `events` (paced; they can wait). The node's host IPs go to
/// `host_ips` whenever they change.
pub async fn run(
    client: kube::Client,
    events: Events,
    options: NodeOptions,
    plugin: PluginWatch,
    host_ips: watch::Sender<Vec<String>>,
    token: CancellationToken,
) -> Result<(), NodeError> {
    let name = options.name.clone();
    let facts = tokio::task::spawn_blocking(host_facts::HostFacts::gather)
        .await
        .unwrap_or_else(|_| host_facts::HostFacts::gather());
    let nodes: Api<Node> = Api::all(client.clone());
    let leases: Api<Lease> = Api::namespaced(client, lease::NAMESPACE);
    let (view_tx, view) = watch::channel(observe::NodeView::default());
    let (info_tx, info) = watch::channel(info::InfoState::default());
    let (uid_tx, uid) = watch::channel(None);

    let mut tasks: TaskGroup<()> = TaskGroup::new(token.child_token());
    let tasks_token = tasks.token().clone();
    let watch_nodes = observe::observe(nodes.clone(), name.clone(), view_tx, tasks_token.clone());
    tasks.spawn(
        "node-watch",
        watch_nodes.instrument(tracing::info_span!("node-watch", node = %name)),
    );
    let follow = info::follow(plugin.client.clone(), info_tx, tasks_token.clone());
    tasks.spawn(
        "node-info",
        follow.instrument(tracing::info_span!("node-info", node = %name)),
    );
    let renew = lease::run(leases, name.clone(), uid, tasks_token.clone());
    tasks.spawn(
        "node-lease",
        renew.instrument(tracing::info_span!("node-lease", node = %name)),
    );
    let controller = controller::Controller::new(nodes, events, options, facts, uid_tx, host_ips);
    let watches = controller::Watches {
        view,
        info,
        plugin: plugin.status,
    };
    let status = controller.run(watches, tasks_token);
    tasks.spawn(
        "node-status",
        status.instrument(tracing::info_span!("node-status", node = %name)),
    );

    let outcome = match tasks.first_unexpected_end().await {
        Some((task, ())) => Err(NodeError::TaskEnded { node: name, task }),
        None => Ok(()),
    };
    // Nothing in flight needs finishing (an API call cut short is simply
    // not made); aborting keeps shutdown prompt even while the API server
    // is slow to answer.
    tasks.abort().await;
    outcome
}
