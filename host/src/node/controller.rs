//! The one task that writes the Node: registers it (and re-creates it when
//! someone deletes it), keeps vk-host's labels and taints current, and posts
//! the status on the heartbeat and at once when the plugin's health or
//! NodeInfo changes. Failed writes are retried with backoff, never fatal:
//! the API server may be away for a while.
//!
//! When the API server rejects a write as invalid (400, 413 or 422) while it
//! carries the plugin's NodeInfo, the same round is written again at once
//! without it (the host's defaults, Ready from plugin health), so a plugin
//! reporting something `desired` did not catch can neither keep the Node from
//! registering nor freeze Ready and the Lease. That NodeInfo stays set aside
//! (a warning and a `NodeInfoRejected` Warning event with the API server's
//! message, once) until the plugin reports a different one.

use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use vk_proto::error_chain;
use vk_proto::v1::NodeInfo;

use super::conditions::{owned_conditions, ready_in, stamp};
use super::desired::{self, Desired, PluginName, bounded};
use super::host_facts::HostFacts;
use super::info::InfoState;
use super::merge::new_node;
use super::observe::NodeView;
use super::readiness::{Readiness, readiness};
use super::registration::{self, Created, RegistrationError, status_code};
use super::status::{self, StatusError};
use super::{HEARTBEAT, INFO_WAIT, NodeOptions};
use crate::apiserver::{Events, Severity};
use crate::backoff::Backoff;
use crate::plugin_process::PluginStatus;

/// Least time between two writes caused by NodeInfo updates.
const INFO_WRITE_GAP: Duration = Duration::from_secs(1);
/// Backoff after failed writes: doubling from the first to the last.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));

/// What the controller reacts to.
#[derive(Debug)]
pub struct Watches {
    pub view: watch::Receiver<NodeView>,
    pub info: watch::Receiver<InfoState>,
    pub plugin: watch::Receiver<PluginStatus>,
}

/// Why one round of writes failed.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    #[error(transparent)]
    Status(#[from] StatusError),
}

/// HTTP statuses that say the API server will not take this Node as
/// written: a quantity it cannot decode (400), a request too large (413), a
/// field that fails validation (422). Sending it again cannot help.
const REJECTED: [u16; 3] = [400, 413, 422];

impl RoundError {
    /// The API server's message when it rejected what was written.
    fn rejection(&self) -> Option<String> {
        let source = match self {
            Self::Registration(
                RegistrationError::Create { source, .. } | RegistrationError::Update { source, .. },
            )
            | Self::Status(StatusError::Patch { source, .. }) => source,
            _ => return None,
        };
        let code = status_code(source)?;
        REJECTED.contains(&code).then(|| match source {
            kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
            other => other.to_string(),
        })
    }

    fn is_gone(&self) -> bool {
        matches!(
            self,
            Self::Registration(RegistrationError::Gone { .. })
                | Self::Status(StatusError::Gone { .. })
        )
    }
}

/// The Node writer's state.
#[derive(Debug)]
pub struct Controller {
    nodes: Api<Node>,
    events: Events,
    options: NodeOptions,
    facts: HostFacts,
    /// The Node's UID, for the Lease's owner reference.
    uid: watch::Sender<Option<String>>,
    /// The node's host IPs ([`desired::host_ips`]), for the pod controller.
    host_ips: watch::Sender<Vec<String>>,
    /// The Node as last seen (watch or own write); `None` when it is missing.
    current: Option<Node>,
    /// Ready as last posted, for NodeReady/NodeNotReady events.
    last_ready: Option<bool>,
    /// Plugin entries dropped last time, so each problem is logged once.
    last_dropped: Vec<String>,
    /// The NodeInfo the API server rejected; the Node is written without
    /// the plugin's data while the plugin keeps reporting it.
    rejected_info: Option<NodeInfo>,
}

impl Controller {
    pub fn new(
        nodes: Api<Node>,
        events: Events,
        options: NodeOptions,
        facts: HostFacts,
        uid: watch::Sender<Option<String>>,
        host_ips: watch::Sender<Vec<String>>,
    ) -> Self {
        Self {
            nodes,
            events,
            options,
            facts,
            uid,
            host_ips,
            current: None,
            last_ready: None,
            last_dropped: Vec::new(),
            rejected_info: None,
        }
    }

    /// Runs until `token` is cancelled (or an input's sender is gone).
    pub async fn run(mut self, mut watches: Watches, token: CancellationToken) {
        if !self.wait_for_start(&mut watches, &token).await {
            return;
        }
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.reset();
        let mut status_due = true;
        let mut failures = 0u32;
        let mut retry_at: Option<Instant>;
        let mut last_info_write = Instant::now();
        loop {
            match self.round(&watches, status_due).await {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(failures, "node writes work again");
                    }
                    failures = 0;
                    status_due = false;
                    retry_at = None;
                }
                Err(error) => {
                    if error.is_gone() {
                        self.current = None;
                    }
                    failures = failures.saturating_add(1);
                    let delay = backoff(failures);
                    tracing::warn!(error = %error, cause = %error_chain::causes(&error), ?delay, "node write failed; retrying");
                    retry_at = Some(Instant::now() + delay);
                }
            }
            let retry = async {
                match retry_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = token.cancelled() => return,
                changed = watches.view.changed() => {
                    if changed.is_err() { return }
                    let view = watches.view.borrow_and_update().clone();
                    self.adopt(view);
                }
                changed = watches.plugin.changed() => {
                    if changed.is_err() { return }
                    status_due = true;
                }
                changed = watches.info.changed() => {
                    if changed.is_err() { return }
                    status_due = true;
                    let earliest = last_info_write + INFO_WRITE_GAP;
                    tokio::select! {
                        () = token.cancelled() => return,
                        () = tokio::time::sleep_until(earliest) => {}
                    }
                    last_info_write = Instant::now();
                }
                _ = heartbeat.tick() => status_due = true,
                () = retry => status_due = true,
            }
        }
    }

    /// Waits for the first list of the Node and (at most [`INFO_WAIT`]) for
    /// the plugin's first NodeInfo, so the Node is registered complete.
    async fn wait_for_start(&mut self, watches: &mut Watches, token: &CancellationToken) -> bool {
        let listed = watches
            .view
            .wait_for(|view| !matches!(view, NodeView::Unknown));
        let view = tokio::select! {
            () = token.cancelled() => return false,
            view = listed => match view {
                Ok(view) => view.clone(),
                Err(_) => return false,
            },
        };
        self.adopt(view);
        watches.view.borrow_and_update();
        let settled = watches.info.wait_for(|state| state.settled);
        tokio::select! {
            () = token.cancelled() => return false,
            _ = settled => {}
            () = tokio::time::sleep(INFO_WAIT) => {
                tracing::warn!(wait = ?INFO_WAIT, "no node information from the plugin yet; registering with defaults");
            }
        }
        true
    }

    /// Takes in what the watch saw.
    fn adopt(&mut self, view: NodeView) {
        match view {
            NodeView::Unknown => {}
            NodeView::Present(node) => {
                if !is_older(&node, self.current.as_ref()) {
                    self.current = Some((*node).clone());
                }
            }
            NodeView::Absent { deleted_uid } => {
                let ours = self.current.as_ref().and_then(|n| n.metadata.uid.clone());
                if deleted_uid.is_none() || deleted_uid == ours {
                    if self.current.is_some() {
                        tracing::warn!(node = %self.options.name, "the Node was deleted; registering it again");
                    }
                    self.current = None;
                }
            }
        }
    }

    /// One round of writes, with the plugin's NodeInfo unless the API server
    /// rejected it (then once more without it).
    async fn round(&mut self, watches: &Watches, status_due: bool) -> Result<(), RoundError> {
        let plugin = watches.plugin.borrow().clone();
        let info = watches.info.borrow().info.clone();
        let info = match use_info(info, self.rejected_info.as_ref()) {
            Some(info) => info,
            None => return self.write(&plugin, None, status_due).await,
        };
        let error = match self.write(&plugin, Some(&info), status_due).await {
            Err(error) => error,
            Ok(()) => return Ok(()),
        };
        let Some(why) = error.rejection() else {
            return Err(error);
        };
        let plugin_name = plugin.identity.as_deref().map_or_else(
            || "the plugin".to_owned(),
            |i| format!("plugin {} {}", i.name, i.version),
        );
        tracing::warn!(
            node = %self.options.name,
            plugin = %plugin_name,
            error = %why,
            "the API server rejected the node information from the plugin; writing the Node without it"
        );
        self.write(&plugin, None, true).await?;
        self.rejected_info = Some(info);
        let uid = self.current.as_ref().and_then(|n| n.metadata.uid.clone());
        self.events.node(
            &self.options.name,
            uid,
            Severity::Warning,
            "NodeInfoRejected",
            bounded(&format!(
                "The API server rejected the node information from {plugin_name} ({why}); \
                 the Node shows vk-host's defaults instead until the plugin reports different information"
            )),
        );
        Ok(())
    }

    /// One round of writes: create if missing, labels and taints, then the
    /// status when due.
    async fn write(
        &mut self,
        plugin: &PluginStatus,
        info: Option<&NodeInfo>,
        status_due: bool,
    ) -> Result<(), RoundError> {
        let identity = plugin.identity.clone();
        let desired = desired::desired(desired::Inputs {
            options: &self.options,
            facts: &self.facts,
            plugin: identity.as_deref().map(|i| PluginName {
                name: &i.name,
                version: &i.version,
            }),
            info,
        });
        if desired.dropped != self.last_dropped {
            for note in &desired.dropped {
                tracing::warn!(problem = %note, "ignoring invalid node information from the plugin");
            }
            self.last_dropped = desired.dropped.clone();
        }
        // What this write gives the Node (a rejected NodeInfo's fallback
        // round publishes the defaults right after).
        let host_ips = desired::host_ips(&desired.addresses);
        self.host_ips.send_if_modified(|current| {
            let changed = *current != host_ips;
            if changed {
                *current = host_ips;
            }
            changed
        });
        let ready = readiness(plugin);
        let specs = owned_conditions(&ready, &desired.plugin_conditions);
        let now = Time(Timestamp::now());

        let mut status_due = status_due;
        let current = match self.current.clone() {
            Some(node) => node,
            None => {
                let conditions = stamp(&specs, &[], &now);
                let node = new_node(&self.options.name, &desired, conditions.clone());
                match registration::create(&self.nodes, &node).await? {
                    Created::New(node) => {
                        tracing::info!(node = %self.options.name, uid = ?node.metadata.uid, "registered the Node");
                        self.events.node(
                            &self.options.name,
                            node.metadata.uid.clone(),
                            Severity::Normal,
                            "RegisteredNode",
                            format!(
                                "Node {} registered by vk-host{}",
                                self.options.name,
                                identity
                                    .as_deref()
                                    .map(|i| format!(" (plugin {} {})", i.name, i.version))
                                    .unwrap_or_default()
                            ),
                        );
                        self.publish_uid(&node);
                        self.note_ready(None, &ready, &node);
                        self.current = Some(node);
                        return Ok(());
                    }
                    Created::Existing(node) => {
                        status_due = true;
                        node
                    }
                }
            }
        };
        self.publish_uid(&current);
        let current = match registration::sync_metadata(&self.nodes, &current, &desired).await? {
            Some(written) => {
                tracing::info!(node = %self.options.name, "updated the Node's labels and taints");
                written
            }
            None => current,
        };
        self.current = Some(current.clone());
        if status_due {
            self.post_status(&current, &desired, &specs, &now, &ready)
                .await?;
        }
        Ok(())
    }

    async fn post_status(
        &mut self,
        current: &Node,
        desired: &Desired,
        specs: &[super::conditions::ConditionSpec],
        now: &Time,
        ready: &Readiness,
    ) -> Result<(), RoundError> {
        let previous = current
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let conditions = stamp(specs, &previous, now);
        let written = status::post(&self.nodes, current, desired, &conditions).await?;
        self.note_ready(ready_in(&previous), ready, &written);
        self.current = Some(written);
        Ok(())
    }

    /// Records a NodeReady/NodeNotReady event when Ready flipped.
    fn note_ready(&mut self, before: Option<bool>, ready: &Readiness, node: &Node) {
        let now = ready.ready;
        let before = self.last_ready.or(before);
        self.last_ready = Some(now);
        if before == Some(now) {
            return;
        }
        let name = &self.options.name;
        if now {
            tracing::info!(node = %name, "node is Ready");
            self.events.node(
                name,
                node.metadata.uid.clone(),
                Severity::Normal,
                "NodeReady",
                format!("Node {name} status is now: NodeReady"),
            );
        } else {
            let (reason, message) = (ready.reason, &ready.message);
            tracing::warn!(node = %name, reason, message, "node is not Ready");
            self.events.node(
                name,
                node.metadata.uid.clone(),
                Severity::Warning,
                "NodeNotReady",
                format!("Node {name} status is now: NodeNotReady ({reason}: {message})"),
            );
        }
    }

    fn publish_uid(&self, node: &Node) {
        let uid = node.metadata.uid.clone();
        self.uid.send_if_modified(|current| {
            let changed = *current != uid;
            if changed {
                current.clone_from(&uid);
            }
            changed
        });
    }
}

/// The NodeInfo to write with: none when the plugin gave none or gives the
/// one the API server rejected.
fn use_info(info: Option<NodeInfo>, rejected: Option<&NodeInfo>) -> Option<NodeInfo> {
    info.filter(|info| Some(info) != rejected)
}

/// True when `seen` is older than `known` (both from the same Node, by
/// resourceVersion; unknown order counts as newer).
fn is_older(seen: &Node, known: Option<&Node>) -> bool {
    let Some(known) = known else {
        return false;
    };
    if seen.metadata.uid != known.metadata.uid {
        return false;
    }
    let version = |n: &Node| n.metadata.resource_version.as_deref()?.parse::<u64>().ok();
    matches!((version(seen), version(known)), (Some(a), Some(b)) if a < b)
}

fn backoff(failures: u32) -> Duration {
    BACKOFF.delay(failures)
}

#[cfg(test)]
mod tests {
    use kube::api::ObjectMeta;

    use super::*;

    fn node(uid: &str, version: &str) -> Node {
        Node {
            metadata: ObjectMeta {
                uid: Some(uid.into()),
                resource_version: Some(version.into()),
                ..ObjectMeta::default()
            },
            ..Node::default()
        }
    }

    #[test]
    fn a_stale_watch_event_does_not_replace_a_newer_write() {
        assert!(is_older(&node("a", "5"), Some(&node("a", "9"))));
        assert!(!is_older(&node("a", "9"), Some(&node("a", "5"))));
        assert!(
            !is_older(&node("b", "1"), Some(&node("a", "9"))),
            "a new Node"
        );
        assert!(!is_older(&node("a", "x"), Some(&node("a", "9"))));
        assert!(!is_older(&node("a", "1"), None));
    }

    fn api_error(code: u16, message: &str) -> kube::Error {
        kube::Error::Api(Box::new(kube::core::Status {
            code,
            message: message.into(),
            ..kube::core::Status::default()
        }))
    }

    #[test]
    fn invalid_writes_are_rejections_and_outages_are_not() {
        let create = |code| {
            RoundError::Registration(RegistrationError::Create {
                node: "vk-1".into(),
                source: api_error(code, "Node \"vk-1\" is invalid: status.capacity.x"),
            })
        };
        assert_eq!(
            create(422).rejection().as_deref(),
            Some("Node \"vk-1\" is invalid: status.capacity.x")
        );
        assert!(create(400).rejection().is_some());
        assert!(create(413).rejection().is_some());
        assert!(create(500).rejection().is_none());
        assert!(create(429).rejection().is_none());
        let status = RoundError::Status(StatusError::Patch {
            node: "vk-1".into(),
            source: api_error(422, "invalid"),
        });
        assert!(status.rejection().is_some());
        let read = RoundError::Registration(RegistrationError::Read {
            node: "vk-1".into(),
            source: api_error(422, "invalid"),
        });
        assert!(read.rejection().is_none(), "a read writes nothing");
        let gone = RoundError::Status(StatusError::Gone {
            node: "vk-1".into(),
        });
        assert!(gone.rejection().is_none());
    }

    #[test]
    fn rejected_node_info_is_set_aside_until_it_changes() {
        let rejected = NodeInfo {
            labels: [("zone".to_owned(), "a".to_owned())].into(),
            ..NodeInfo::default()
        };
        assert_eq!(use_info(Some(rejected.clone()), Some(&rejected)), None);
        let changed = NodeInfo::default();
        assert_eq!(
            use_info(Some(changed.clone()), Some(&rejected)),
            Some(changed.clone())
        );
        assert_eq!(use_info(Some(changed.clone()), None), Some(changed));
        assert_eq!(use_info(None, Some(&rejected)), None);
    }

    #[test]
    fn write_backoff_starts_small() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(20), Duration::from_secs(30));
    }
}
