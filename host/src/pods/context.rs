//! What every part of the pod controller shares: the API client, the pod
//! cache, the work queue, the tracked state and the current plugin instance
//! (numbered, so a restart is visible as a new generation).

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use tokio::sync::watch;
use vk_proto::v1::PodRef;

use super::key::PodKey;
use super::queue::WorkQueue;
use super::store::PodStore;
use super::tracked::Generation;
use super::tracking::Tracking;
use crate::apiserver::Events;
use crate::plugin_process::PluginClient;

/// The running plugin instance and its generation.
#[derive(Debug, Clone)]
pub struct PluginInstance {
    pub generation: Generation,
    pub client: PluginClient,
}

impl PluginInstance {
    pub fn plugin(&self) -> &str {
        &self.client.identity().name
    }
}

/// Shared by the watch, the workers, the status stream and the resync.
pub struct Context {
    pub node: String,
    pub client: kube::Client,
    pub events: Events,
    /// Limits the events the plugin reports, per pod.
    pub event_filter: super::plugin_events::SpamFilter,
    pub store: Arc<PodStore>,
    pub tracking: Tracking,
    pub queue: Arc<WorkQueue>,
    pub plugin: watch::Receiver<Option<PluginInstance>>,
    pub status_resync: Duration,
    /// The master service variables every container gets, cached briefly.
    pub master_service: crate::pods::env::MasterService,
    /// The node's host IPs from the node controller, for statuses without.
    pub node_host_ips: watch::Receiver<Vec<String>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("node", &self.node)
            .field("pods", &self.store.len())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The plugin instance running now, `None` while it restarts.
    pub fn current(&self) -> Option<PluginInstance> {
        self.plugin.borrow().clone()
    }

    /// The pods API of `key`'s namespace.
    pub fn pods(&self, key: &PodKey) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &key.namespace)
    }
}

/// The lookup reference of a pod, with its UID so that a pod of the same
/// name under another UID counts as not found.
pub fn pod_ref(key: &PodKey, uid: &str) -> PodRef {
    PodRef {
        namespace: key.namespace.clone(),
        name: key.name.clone(),
        uid: uid.to_owned(),
    }
}

/// The pod as sent to the plugin: managed fields are noise to it.
pub fn for_plugin(pod: &Pod) -> Pod {
    let mut pod = pod.clone();
    pod.metadata.managed_fields = None;
    pod
}

/// A pod known only by key and UID (to delete a plugin pod whose object we
/// never saw in full).
pub fn bare_pod(key: &PodKey, uid: &str) -> Pod {
    let mut pod = Pod::default();
    pod.metadata.namespace = Some(key.namespace.clone());
    pod.metadata.name = Some(key.name.clone());
    pod.metadata.uid = Some(uid.to_owned());
    pod
}
