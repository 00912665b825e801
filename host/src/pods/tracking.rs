//! What the host remembers about each pod it has dealt with in the plugin,
//! by key and UID: the pod last sent (to decide on UpdatePod), which plugin
//! instance holds it, the plugin's latest status, and whether it was lost or
//! is being deleted. Memory only: after a host restart it is rebuilt from the
//! plugin's GetPods and the API's statuses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use tokio::time::Instant;

use super::key::PodKey;

/// One plugin instance: a new number after every plugin (re)start.
pub type Generation = u64;

/// What the host knows about one pod (one UID).
#[derive(Debug, Clone, Default)]
pub struct Tracked {
    /// The pod as last seen (API or plugin copy), for DeletePod after the
    /// API object is gone.
    pub last_pod: Option<Arc<Pod>>,
    /// The pod last sent with CreatePod / UpdatePod (or the plugin's copy
    /// when found there), for deciding on UpdatePod.
    pub sent: Option<Arc<Pod>>,
    /// The plugin instance known to hold the pod.
    pub held: Option<Generation>,
    /// When that instance was first seen holding it (a listing started
    /// earlier cannot show it).
    pub held_at: Option<Instant>,
    /// Some plugin instance held it once (created by us or found there).
    pub ever_held: bool,
    /// A listing of the plugin did not show it: confirm with GetPod.
    pub suspect: bool,
    /// Marked lost: the plugin had it and does not any more.
    pub lost: bool,
    /// The plugin's latest status and when it arrived.
    pub status: Option<PodStatus>,
    pub status_at: Option<Instant>,
    /// The plugin instance that was asked to delete the pod.
    pub delete_sent: Option<Generation>,
    /// When DeletePod was first sent: the plugin's grace period runs from
    /// there, as a kubelet's runs from when it starts killing.
    pub delete_sent_at: Option<Instant>,
    /// The last status patch written and the resourceVersion of the pod it
    /// was computed against: until the cache moves past that version the
    /// same patch is not sent again.
    pub written: Option<(serde_json::Value, Option<String>)>,
    /// The last create failure reported in an Event, to avoid repeating it.
    pub reported_failure: Option<(String, Instant)>,
    /// A status patch the API refused as invalid (422): not sent again.
    pub rejected: Option<serde_json::Value>,
    /// The environment last sent kept `status.podIP(s)` entries unresolved:
    /// send UpdatePod once the pod has an IP.
    pub awaits_pod_ip: bool,
}

impl Tracked {
    /// Records a status of the plugin's taken at `taken`, unless a newer one
    /// is recorded already or the recorded one is terminal (a pod that
    /// finished never runs again; a late reply must not revive it).
    /// Returns whether it was recorded.
    pub fn record_status(&mut self, status: PodStatus, taken: Instant) -> bool {
        if !accept_status(self.status.as_ref(), self.status_at, &status, taken) {
            return false;
        }
        self.status = Some(status);
        self.status_at = Some(taken);
        true
    }

    /// The plugin's last recorded status, if it is terminal.
    pub fn finished(&self) -> Option<&PodStatus> {
        self.status
            .as_ref()
            .filter(|s| super::phase::is_terminal(Some(s)))
    }
}

/// Whether a status taken at `taken` replaces `recorded` (taken at
/// `recorded_at`): only if it is newer, and never a terminal phase by one
/// that is not.
pub fn accept_status(
    recorded: Option<&PodStatus>,
    recorded_at: Option<Instant>,
    status: &PodStatus,
    taken: Instant,
) -> bool {
    use super::phase::is_terminal;
    let newer = recorded_at.is_none_or(|at| at < taken);
    let revives = is_terminal(recorded) && !is_terminal(Some(status));
    newer && !revives
}

/// Everything tracked, by key then UID.
#[derive(Debug, Default)]
pub struct Tracking {
    pods: Mutex<HashMap<PodKey, HashMap<String, Tracked>>>,
    /// Names whose plugin pod the host deleted, and when (see
    /// `policy::quiet_name_retry`).
    released: Mutex<HashMap<PodKey, Instant>>,
}

/// A locked view; never hold it across an `.await`.
pub type Locked<'a> = MutexGuard<'a, HashMap<PodKey, HashMap<String, Tracked>>>;

impl Tracking {
    pub fn lock(&self) -> Locked<'_> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn status(phase: &str) -> PodStatus {
        PodStatus {
            phase: Some(phase.into()),
            ..PodStatus::default()
        }
    }

    #[test]
    fn only_newer_statuses_are_recorded() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let mut tracked = Tracked::default();
        assert!(tracked.record_status(status("Pending"), t1));
        // A reply to a call made before the push arrived is older.
        assert!(!tracked.record_status(status("Running"), t0));
        assert_eq!(tracked.status, Some(status("Pending")));
        assert!(tracked.record_status(status("Running"), t1 + Duration::from_millis(1)));
    }

    #[test]
    fn terminal_statuses_are_sticky() {
        let t0 = Instant::now();
        let mut tracked = Tracked::default();
        assert!(tracked.record_status(status("Succeeded"), t0));
        assert!(tracked.finished().is_some());
        assert!(!tracked.record_status(status("Running"), t0 + Duration::from_secs(1)));
        // A terminal status may still be refined (exit codes, messages).
        assert!(tracked.record_status(status("Failed"), t0 + Duration::from_secs(2)));
        assert_eq!(tracked.finished(), Some(&status("Failed")));
        assert!(accept_status(None, None, &status("Running"), t0));
    }
}
