//! What the plugin holds: the local pods it mirrors (by local UID) and the
//! latest remote pods from a watch on the node's label selector. The watch
//! pushes every remote change, mapped back, to the host's status stream; its
//! first list adopts the remote pods of an earlier plugin instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use kube::api::Api;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use tracing::{info, warn};
use vk_plugin_sdk::{PodKey, PodStatusFeed, PodStatusUpdate};

use crate::translate::{self, Target};

/// One mirrored local pod.
#[derive(Debug, Clone)]
pub struct Held {
    /// The pod as the host last sent it (or as adopted).
    pub local: Pod,
    /// The remote pod's name.
    pub remote_name: String,
    /// DeletePod was called.
    pub deleting: bool,
    /// The final status once the remote pod is gone.
    pub gone: Option<PodStatus>,
}

impl Held {
    pub fn key(&self) -> PodKey {
        PodKey::of(&self.local)
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// Local UID → pod.
    held: HashMap<String, Held>,
    /// Local UID → latest remote pod.
    remote: HashMap<String, Pod>,
    /// The first list of remote pods is done.
    listed: bool,
    /// The last watch error, for the probe.
    last_error: Option<String>,
}

/// Shared between the provider and the watch task.
#[derive(Debug, Clone)]
pub struct State {
    inner: Arc<Mutex<Inner>>,
    pub feed: PodStatusFeed,
    pub target: Target,
}

impl State {
    pub fn new(target: Target) -> Self {
        Self {
            inner: Arc::default(),
            feed: PodStatusFeed::new(PodStatusFeed::DEFAULT_CAPACITY),
            target,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The held pod of `key` (uid must match when given).
    pub fn find(&self, key: &PodKey) -> Option<Held> {
        let inner = self.lock();
        match &key.uid {
            Some(uid) if !uid.is_empty() => inner.held.get(uid).cloned().filter(|held| {
                let k = held.key();
                k.namespace == key.namespace && k.name == key.name
            }),
            _ => inner
                .held
                .values()
                .filter(|held| {
                    let k = held.key();
                    k.namespace == key.namespace && k.name == key.name
                })
                .min_by_key(|held| held.deleting)
                .cloned(),
        }
    }

    /// Another held, not deleting, pod under the same namespace/name.
    pub fn conflicting(&self, key: &PodKey) -> Option<Held> {
        let inner = self.lock();
        inner
            .held
            .values()
            .find(|held| {
                let k = held.key();
                k.namespace == key.namespace
                    && k.name == key.name
                    && k.uid != key.uid
                    && !held.deleting
            })
            .cloned()
    }

    pub fn insert(&self, uid: &str, held: Held) {
        self.lock().held.insert(uid.to_owned(), held);
    }

    pub fn remove(&self, uid: &str) {
        self.lock().held.remove(uid);
    }

    /// Runs `change` on the held pod of `uid`.
    pub fn modify(&self, uid: &str, change: impl FnOnce(&mut Held)) -> bool {
        self.lock().held.get_mut(uid).map(change).is_some()
    }

    /// The latest remote pod of local `uid`.
    pub fn remote(&self, uid: &str) -> Option<Pod> {
        self.lock().remote.get(uid).cloned()
    }

    /// The current local status of `held`.
    pub fn status_of(&self, held: &Held, uid: &str) -> PodStatus {
        if let Some(gone) = &held.gone {
            return gone.clone();
        }
        match self.remote(uid) {
            Some(remote) => translate::local_status(&remote),
            None => PodStatus {
                phase: Some("Pending".into()),
                ..Default::default()
            },
        }
    }

    /// Every held pod with its status.
    pub fn all(&self) -> Vec<Pod> {
        let held: Vec<(String, Held)> = self
            .lock()
            .held
            .iter()
            .map(|(uid, held)| (uid.clone(), held.clone()))
            .collect();
        held.into_iter()
            .map(|(uid, held)| {
                let mut pod = held.local.clone();
                pod.status = Some(self.status_of(&held, &uid));
                pod
            })
            .collect()
    }

    /// Ok once the first remote list is done, else why not.
    pub fn readiness(&self) -> Result<(), String> {
        let inner = self.lock();
        if inner.listed {
            Ok(())
        } else {
            Err(inner
                .last_error
                .clone()
                .unwrap_or_else(|| "listing the remote pods".into()))
        }
    }

    /// A remote pod appeared or changed.
    fn applied(&self, remote: Pod) {
        let Some(uid) = translate::origin_uid(&remote).map(str::to_owned) else {
            return;
        };
        let update = {
            let mut inner = self.lock();
            inner.remote.insert(uid.clone(), remote.clone());
            if !inner.held.contains_key(&uid) {
                if remote.metadata.deletion_timestamp.is_some() {
                    return;
                }
                let Some(local) = translate::from_remote(&remote, &self.target) else {
                    return;
                };
                info!(pod = %PodKey::of(&local), remote = ?remote.metadata.name, "adopted a remote pod");
                inner.held.insert(
                    uid.clone(),
                    Held {
                        local,
                        remote_name: remote.metadata.name.clone().unwrap_or_default(),
                        deleting: false,
                        gone: None,
                    },
                );
            }
            inner
                .held
                .get(&uid)
                .map(|held| (held.key(), translate::local_status(&remote)))
        };
        if let Some((key, status)) = update {
            self.feed.send(PodStatusUpdate::status(key, status));
        }
    }

    /// A remote pod is gone.
    fn deleted(&self, remote: &Pod) {
        let Some(uid) = translate::origin_uid(remote).map(str::to_owned) else {
            return;
        };
        let update = {
            let mut inner = self.lock();
            let last = inner
                .remote
                .remove(&uid)
                .map(|pod| translate::local_status(&pod));
            let Some(held) = inner.held.get_mut(&uid) else {
                return;
            };
            let status = translate::gone_status(last, held.deleting);
            let key = held.key();
            if held.deleting {
                inner.held.remove(&uid);
            } else {
                warn!(pod = %key, "the remote pod was deleted outside of this node");
                held.gone = Some(status.clone());
            }
            (key, status)
        };
        self.feed.send(PodStatusUpdate::status(update.0, update.1));
    }

    /// A fresh list: `pods` are all remote pods there are.
    fn relisted(&self, pods: Vec<Pod>) {
        let listed: HashMap<String, Pod> = pods
            .iter()
            .filter_map(|p| Some((translate::origin_uid(p)?.to_owned(), p.clone())))
            .collect();
        let vanished: Vec<Pod> = {
            let mut inner = self.lock();
            inner.listed = true;
            inner.last_error = None;
            inner
                .remote
                .iter()
                .filter(|(uid, _)| !listed.contains_key(*uid))
                .map(|(_, pod)| pod.clone())
                .collect()
        };
        for pod in &vanished {
            self.deleted(pod);
        }
        for pod in pods {
            self.applied(pod);
        }
    }

    fn failed(&self, error: String) {
        self.lock().last_error = Some(error);
    }
}

/// Watches the remote pods of `selector` in `namespace` until the process
/// ends, keeping `state` current and pushing statuses.
pub async fn watch(client: kube::Client, namespace: String, selector: String, state: State) {
    let api: Api<Pod> = Api::namespaced(client, &namespace);
    let config = watcher::Config::default().labels(&selector);
    let mut events = watcher::watcher(api, config).default_backoff().boxed();
    let mut initial: Vec<Pod> = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(Event::Init) => initial.clear(),
            Ok(Event::InitApply(pod)) => initial.push(pod),
            Ok(Event::InitDone) => {
                info!(
                    namespace,
                    selector,
                    pods = initial.len(),
                    "listed the remote pods"
                );
                state.relisted(std::mem::take(&mut initial));
            }
            Ok(Event::Apply(pod)) => state.applied(pod),
            Ok(Event::Delete(pod)) => state.deleted(&pod),
            Err(error) => {
                let message = format!(
                    "watching remote pods in {namespace}: {}",
                    vk_plugin_sdk::error_chain::line(&error)
                );
                warn!("{message}");
                state.failed(message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::tests::{local_pod, target};

    fn mirror() -> Pod {
        let mut pod = translate::to_remote(&local_pod(), &target())
            .expect("translates")
            .pod;
        pod.status = Some(PodStatus {
            phase: Some("Running".into()),
            pod_ip: Some("10.9.0.7".into()),
            ..Default::default()
        });
        pod
    }

    fn key() -> PodKey {
        PodKey::of(&local_pod())
    }

    #[test]
    fn the_first_list_adopts_remote_pods() {
        let state = State::new(target());
        assert!(state.readiness().is_err());
        state.relisted(vec![mirror()]);
        assert!(state.readiness().is_ok());
        let held = state.find(&key()).expect("adopted");
        assert_eq!(held.local.metadata.uid, local_pod().metadata.uid);
        let status = state.status_of(&held, "1111-2222");
        assert_eq!(status.pod_ip.as_deref(), Some("10.9.0.7"));
        assert_eq!(state.all().len(), 1);
    }

    #[test]
    fn a_terminating_remote_pod_is_not_adopted() {
        let state = State::new(target());
        let mut pod = mirror();
        pod.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        state.relisted(vec![pod]);
        assert!(state.find(&key()).is_none());
    }

    #[test]
    fn a_deleted_mirror_ends_the_pod() {
        let state = State::new(target());
        state.relisted(vec![mirror()]);
        // Deleted by DeletePod: forgotten.
        state.modify("1111-2222", |held| held.deleting = true);
        state.deleted(&mirror());
        assert!(state.find(&key()).is_none());

        // Deleted behind the node's back: kept, Failed.
        state.applied(mirror());
        state.deleted(&mirror());
        let held = state.find(&key()).expect("still held");
        let status = state.status_of(&held, "1111-2222");
        assert_eq!(status.phase.as_deref(), Some("Failed"));
        assert_eq!(status.reason.as_deref(), Some("RemotePodDeleted"));
    }

    #[test]
    fn a_relist_without_a_pod_counts_as_its_deletion() {
        let state = State::new(target());
        state.relisted(vec![mirror()]);
        state.modify("1111-2222", |held| held.deleting = true);
        state.relisted(Vec::new());
        assert!(state.find(&key()).is_none());
    }
}
