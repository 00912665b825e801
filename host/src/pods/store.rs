//! The host's copy of the API's pods bound to this node, fed by the watch.
//! Unlike a plain reflector it reports which keys changed, including pods
//! that disappeared while the watch was down (present before a re-list,
//! absent after it), so their plugin pods are deleted too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::Event;
use tokio::sync::watch;

use super::key::PodKey;

/// Pods by key, plus whether the first full list has arrived.
#[derive(Debug)]
pub struct PodStore {
    pods: RwLock<HashMap<PodKey, Arc<Pod>>>,
    /// Pods of the re-list in progress.
    relist: std::sync::Mutex<Option<HashMap<PodKey, Arc<Pod>>>>,
    synced: watch::Sender<bool>,
    /// False from a watch error until the next complete list: meanwhile the
    /// copy may be of the past (an API server outage).
    fresh: AtomicBool,
}

impl Default for PodStore {
    fn default() -> Self {
        Self {
            pods: RwLock::default(),
            relist: std::sync::Mutex::default(),
            synced: watch::channel(false).0,
            fresh: AtomicBool::new(false),
        }
    }
}

impl PodStore {
    /// The API's pod under `key`.
    pub fn get(&self, key: &PodKey) -> Option<Arc<Pod>> {
        self.read().get(key).cloned()
    }

    /// Whether the API has the pod with this UID (after the first list).
    pub fn has_uid(&self, key: &PodKey, uid: &str) -> bool {
        self.get(key)
            .is_some_and(|pod| pod.metadata.uid.as_deref() == Some(uid))
    }

    /// Every key.
    pub fn keys(&self) -> Vec<PodKey> {
        self.read().keys().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Waits until the first complete list has been applied.
    pub async fn wait_synced(&self) {
        let mut synced = self.synced.subscribe();
        // An error means the store is gone, and so is everyone waiting.
        let _ = synced.wait_for(|s| *s).await;
    }

    /// The watch failed: what is held may be stale until the next list.
    pub fn mark_stale(&self) {
        self.fresh.store(false, Ordering::Relaxed);
    }

    /// Whether the copy is complete and has not been stale since the last
    /// list (see [`Self::mark_stale`]).
    pub fn is_fresh(&self) -> bool {
        self.fresh.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub fn is_synced(&self) -> bool {
        *self.synced.borrow()
    }

    /// Applies one watch event; returns the keys whose pod changed or went.
    pub fn apply(&self, event: Event<Pod>) -> Vec<PodKey> {
        match event {
            Event::Apply(pod) => {
                let Some(key) = PodKey::of(&pod) else {
                    return Vec::new();
                };
                self.write().insert(key.clone(), Arc::new(pod));
                vec![key]
            }
            Event::Delete(pod) => {
                let Some(key) = PodKey::of(&pod) else {
                    return Vec::new();
                };
                let mut pods = self.write();
                // A re-created pod under the same name may already be here.
                if pods
                    .get(&key)
                    .is_some_and(|held| held.metadata.uid == pod.metadata.uid)
                {
                    pods.remove(&key);
                }
                vec![key]
            }
            Event::Init => {
                *self.relist_slot() = Some(HashMap::new());
                Vec::new()
            }
            Event::InitApply(pod) => {
                if let (Some(key), Some(buffer)) = (PodKey::of(&pod), self.relist_slot().as_mut()) {
                    buffer.insert(key, Arc::new(pod));
                }
                Vec::new()
            }
            Event::InitDone => {
                let Some(fresh) = self.relist_slot().take() else {
                    return Vec::new();
                };
                let mut pods = self.write();
                let old = std::mem::replace(&mut *pods, fresh);
                let mut changed: Vec<PodKey> = pods.keys().cloned().collect();
                // Keys gone while the watch was down: their pods were deleted.
                changed.extend(old.into_keys().filter(|key| !pods.contains_key(key)));
                drop(pods);
                self.fresh.store(true, Ordering::Relaxed);
                self.synced.send_replace(true);
                changed
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<PodKey, Arc<Pod>>> {
        self.pods.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<PodKey, Arc<Pod>>> {
        self.pods.write().unwrap_or_else(|p| p.into_inner())
    }

    fn relist_slot(&self) -> std::sync::MutexGuard<'_, Option<HashMap<PodKey, Arc<Pod>>>> {
        self.relist.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, uid: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "ns", "uid": uid},
        }))
        .expect("a pod")
    }

    #[test]
    fn a_relist_reports_pods_deleted_while_the_watch_was_down() {
        let store = PodStore::default();
        assert!(!store.is_synced());
        store.apply(Event::Init);
        store.apply(Event::InitApply(pod("a", "1")));
        store.apply(Event::InitApply(pod("b", "2")));
        let mut changed = store.apply(Event::InitDone);
        changed.sort();
        assert_eq!(
            changed,
            vec![PodKey::new("ns", "a"), PodKey::new("ns", "b")]
        );
        assert!(store.is_synced());
        // The watch broke; "b" was deleted meanwhile.
        store.apply(Event::Init);
        store.apply(Event::InitApply(pod("a", "1")));
        // Until the re-list is complete the old view stays.
        assert_eq!(store.len(), 2);
        let mut changed = store.apply(Event::InitDone);
        changed.sort();
        assert_eq!(
            changed,
            vec![PodKey::new("ns", "a"), PodKey::new("ns", "b")]
        );
        assert!(store.get(&PodKey::new("ns", "b")).is_none());
    }

    #[test]
    fn a_failed_watch_leaves_the_copy_stale_until_the_next_list() {
        let store = PodStore::default();
        assert!(!store.is_fresh(), "nothing listed yet");
        store.apply(Event::Init);
        store.apply(Event::InitApply(pod("a", "1")));
        store.apply(Event::InitDone);
        assert!(store.is_fresh());
        store.mark_stale();
        store.apply(Event::Init);
        store.apply(Event::InitApply(pod("a", "1")));
        assert!(!store.is_fresh(), "a list in progress is not yet fresh");
        let changed = store.apply(Event::InitDone);
        assert!(store.is_fresh());
        assert_eq!(
            changed,
            vec![PodKey::new("ns", "a")],
            "every pod is queued again"
        );
    }

    #[test]
    fn a_late_delete_does_not_remove_a_recreated_pod() {
        let store = PodStore::default();
        store.apply(Event::Apply(pod("a", "2")));
        store.apply(Event::Delete(pod("a", "1")));
        assert!(store.has_uid(&PodKey::new("ns", "a"), "2"));
        store.apply(Event::Delete(pod("a", "2")));
        assert_eq!(store.len(), 0);
    }
}
