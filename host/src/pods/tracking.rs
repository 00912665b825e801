//! What the host remembers about each pod it has dealt with in the plugin,
//! by key and UID (one [`Tracked`] each), and the names it released lately.
//! Memory only: after a host restart it is rebuilt from the plugin's GetPods
//! and the API's statuses.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio::time::Instant;

use super::key::PodKey;
use super::tracked::Tracked;

/// Everything tracked, by key then UID.
#[derive(Debug, Default)]
pub struct Tracking {
    pods: Mutex<HashMap<PodKey, HashMap<String, Tracked>>>,
    /// Names whose plugin pod the host deleted, and when (see
    /// `policy::quiet_name_retry`).
    released: Mutex<HashMap<PodKey, Instant>>,
}

/// A locked view; never hold it across an `.await`.
type Locked<'a> = MutexGuard<'a, HashMap<PodKey, HashMap<String, Tracked>>>;

impl Tracking {
    fn lock(&self) -> Locked<'_> {
        self.pods.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the entry for `key`/`uid`.
    pub fn get(&self, key: &PodKey, uid: &str) -> Option<Tracked> {
        self.lock().get(key)?.get(uid).cloned()
    }

    /// Changes (creating if needed) the entry for `key`/`uid`.
    pub fn update<R>(&self, key: &PodKey, uid: &str, f: impl FnOnce(&mut Tracked) -> R) -> R {
        let mut pods = self.lock();
        let entry = pods
            .entry(key.clone())
            .or_default()
            .entry(uid.to_owned())
            .or_default();
        f(entry)
    }

    /// Changes the entry for `key`/`uid` only if it exists.
    pub fn update_existing<R>(
        &self,
        key: &PodKey,
        uid: &str,
        f: impl FnOnce(&mut Tracked) -> R,
    ) -> Option<R> {
        self.lock().get_mut(key)?.get_mut(uid).map(f)
    }

    /// Entries of `key` whose UID is not `current` (pods deleted from the
    /// API, or replaced by a pod of the same name).
    pub fn stale(&self, key: &PodKey, current: Option<&str>) -> Vec<(String, Tracked)> {
        self.lock()
            .get(key)
            .map(|uids| {
                uids.iter()
                    .filter(|(uid, _)| Some(uid.as_str()) != current)
                    .map(|(uid, t)| (uid.clone(), t.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets `key`/`uid`.
    pub fn forget(&self, key: &PodKey, uid: &str) {
        let mut pods = self.lock();
        if let Some(uids) = pods.get_mut(key) {
            uids.remove(uid);
            if uids.is_empty() {
                pods.remove(key);
            }
        }
    }

    /// Notes that the plugin pod under `key` was deleted just now.
    pub fn released(&self, key: &PodKey) {
        let now = Instant::now();
        let mut released = self.released.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded by the names released within the grace period.
        released
            .retain(|_, at| now.saturating_duration_since(*at) < super::policy::NAME_RELEASE_GRACE);
        released.insert(key.clone(), now);
    }

    /// When the plugin pod under `key` was last deleted, if lately.
    pub fn released_at(&self, key: &PodKey) -> Option<Instant> {
        let released = self.released.lock().unwrap_or_else(|p| p.into_inner());
        released.get(key).copied()
    }

    /// Every tracked key and UID.
    pub fn all(&self) -> Vec<(PodKey, String)> {
        self.lock()
            .iter()
            .flat_map(|(key, uids)| uids.keys().map(move |uid| (key.clone(), uid.clone())))
            .collect()
    }
}
