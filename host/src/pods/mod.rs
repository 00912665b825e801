//! The pod controller: pods bound to this node (and only those) are created,
//! updated and deleted in the plugin, their status is written back, and the
//! plugin's pods are reconciled with the API's by UID after every (re)start.
//!
//! - `controller`: the watch, the dispatcher and the plugin follower;
//!   `context`: what all the parts share;
//! - `queue`: per-pod serialization, de-duplication and backoff;
//! - `store`: the API's pods; `tracking`: what the host knows of each, one
//!   `tracked` state per pod, changed only by named transitions;
//! - `sync`: one pass on one pod; `deletion`: its deletion step;
//!   `deadline`: `activeDeadlineSeconds`; `status`:
//!   writing status to the API; `error`: why a pass failed; `report`: the
//!   Warning events of failed plugin calls;
//! - `reconcile`: the status stream, start-up/restart reconciliation and
//!   resync; `pushed`: recording what the plugin pushes;
//! - `diff`, `phase`, `patch`, `policy`: the pure decisions, unit-tested
//!   (`policy` holds every reaction to a failed plugin call or status write);
//! - `env`: container environments resolved before CreatePod/UpdatePod.
//!
//! Decisions worth knowing:
//! - Failed work is retried after 250 ms, doubling to 60 s, forever; a new
//!   event for the pod runs it at once. PERMISSION_DENIED and
//!   UNAUTHENTICATED (only a person fixes those) are retried at 60 s;
//!   NOT_FOUND and ALREADY_EXISTS, though "permanent" in the retry table,
//!   mostly mean a race with a deletion and are retried normally.
//!   INVALID_ARGUMENT from CreatePod is final, as the protocol says: the pod
//!   fails (`Failed`, reason `ProviderFailed`) and is not retried; so does
//!   UNIMPLEMENTED from any rpc every plugin must have.
//! - A create that fails otherwise leaves the pod `Pending` with reason
//!   `ProviderFailed` and the plugin's message, plus a `ProviderCreateFailed`
//!   Warning event (at most one per message per minute). ALREADY_EXISTS
//!   within a minute of the host deleting the pod that had the name is the
//!   plugin still removing it: retried quietly.
//! - A pod the plugin held and no longer holds becomes `Failed`, reason
//!   `ProviderLost`, its containers terminated with 137
//!   (`ContainerStatusUnknown`, as the kubelet reports a vanished container),
//!   and a `ProviderLost` Warning event; it is never re-created. After a host
//!   restart "held before" is read from the API status (a start time or
//!   container statuses, which only a plugin's status carries). A pod whose
//!   last status from the plugin was terminal is not lost: that status is
//!   written (and a terminal status recorded is never replaced by one that
//!   is not).
//! - A deleted pod gets a terminal status before its object is removed:
//!   the last one the plugin reported.
//! - A pod past its `activeDeadlineSeconds` (from its start time) becomes
//!   `Failed`, reason `DeadlineExceeded`, as the kubelet does; its object
//!   stays and the plugin is asked to stop it (DeletePod).
//! - A DeletePod that fails gives a `FailedKillPod` Warning event (at most
//!   once a minute per message) and is asked again after 2 s, doubling to
//!   5 minutes: resyncs do not ask sooner.
//! - The pod watch lists the pods again after any error, about 2 s apart
//!   at most while the API server does not answer (`apiserver::watch`), so
//!   pods are put right within seconds of an outage of any length; every
//!   pod is queued after that list, and the status resync waits for it.
//! - A status the API refuses as invalid (422) gets one
//!   `FailedToUpdateStatus` Warning and is not sent again.
//! - No events for successful creates and updates: every request shares the
//!   client's QPS budget with the status writes that make pods Running.
//! - A pod whose environment needs a Secret, ConfigMap or key that does not
//!   exist is not created: it stays `Pending` with its container waiting
//!   (`CreateContainerConfigError`, the kubelet's message) and a `Failed`
//!   Warning event (`Error: <message>`, at most once a minute), and is
//!   retried with the backoff above until the object appears.
//! - An env entry from `status.podIP(s)` is sent unresolved until the plugin
//!   reports the IP; then one UpdatePod carries the value.
//! - A plugin status without `hostIP` and `hostIPs` is written with the
//!   node's (the node controller's InternalIP, and one of the other family
//!   on a dual-stack node), as the kubelet always sets them; a plugin's own
//!   value is kept. When the node's change, every pod is queued again.

mod context;
mod controller;
mod deadline;
mod deletion;
mod diff;
pub mod env;
mod error;
mod key;
mod patch;
mod phase;
mod plugin_events;
mod policy;
mod pushed;
mod queue;
mod reconcile;
mod report;
mod status;
mod store;
mod sync;
mod tracked;
mod tracking;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::apiserver::Events;
use crate::plugin_process::PluginWatch;
use crate::task_group::TaskGroup;

pub use key::PodKey;
pub use phase::{PROVIDER_FAILED, PROVIDER_LOST};

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

/// Why the pod controller stopped. Failures of single pods never stop it
/// (they are retried); the watch retries with backoff on its own.
#[derive(Debug, thiserror::Error)]
pub enum PodsError {
    #[error("the pod controller's {task} task ended unexpectedly")]
    TaskEnded { task: &'static str },
}

/// The API's pods bound to this node as the pod controller sees them: a
/// handle for the host callbacks, which answer only for these pods.
#[derive(Debug, Clone, Default)]
pub struct NodePods(Arc<store::PodStore>);

impl crate::callbacks::NodePodSource for NodePods {
    fn pod(&self, namespace: &str, name: &str) -> Option<Arc<k8s_openapi::api::core::v1::Pod>> {
        self.0.get(&PodKey::new(namespace, name))
    }
}

/// Runs the pod controller until `token` is cancelled, keeping `pods`
/// current. `node_host_ips` are the node's, from the node controller.
pub async fn run(
    client: kube::Client,
    events: Events,
    options: PodOptions,
    plugin: PluginWatch,
    pods: NodePods,
    node_host_ips: watch::Receiver<Vec<String>>,
    token: CancellationToken,
) -> Result<(), PodsError> {
    // Ours alone: a task that ends early stops its siblings, not the host
    // (run() sees the error and stops the rest).
    let mut tasks = TaskGroup::new(token.child_token());
    let token = tasks.token().clone();
    let (current_tx, current) = watch::channel(None);
    let ctx = Arc::new(context::Context {
        node: options.node_name.clone(),
        client,
        events,
        event_filter: plugin_events::SpamFilter::default(),
        store: pods.0,
        tracking: tracking::Tracking::default(),
        queue: Arc::new(queue::WorkQueue::default()),
        plugin: current,
        status_resync: options.status_resync,
        master_service: env::MasterService::default(),
        node_host_ips,
    });
    tasks.spawn(
        "watch",
        controller::watch_pods(Arc::clone(&ctx), token.clone())
            .instrument(tracing::info_span!("pod_watch")),
    );
    tasks.spawn(
        "dispatch",
        controller::dispatch(Arc::clone(&ctx), options.workers, token.clone())
            .instrument(tracing::info_span!("pod_workers")),
    );
    tasks.spawn(
        "node-host-ips",
        controller::follow_node_host_ips(Arc::clone(&ctx), token.clone())
            .instrument(tracing::info_span!("node_host_ips")),
    );
    tasks.spawn(
        "plugin",
        controller::follow_plugin(Arc::clone(&ctx), plugin.client, current_tx, token)
            .instrument(tracing::info_span!("plugin_follower")),
    );
    let outcome = match tasks.first_unexpected_end().await {
        Some((task, ())) => Err(PodsError::TaskEnded { task }),
        None => Ok(()),
    };
    tasks.stop(|_, ()| {}).await;
    outcome
}
