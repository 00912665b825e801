//! Kubernetes Events about pods and the Node, as the kubelet writes them
//! (`reportingController: vk-host`, instance = node name; node events in the
//! `default` namespace). Recording never blocks or fails the caller: events
//! are sent in the background (each send in its own `event` span), at most
//! [`IN_FLIGHT`] at once, and dropped with a warning beyond that (every
//! event not written is counted in `vk_host_events_dropped_total{reason}`).
//!
//! The `events.k8s.io/v1` Events are built here rather than with
//! kube-runtime's `Recorder`: that one counts an event as a repeat for 6 min
//! by type, reason, action and object, without the note, so a second event
//! with the same reason and another message became a series patch that kept
//! the first message (a pod's second `Failed` showed the first error). Here
//! the note is part of the key, as in the kubelet's event correlator: the
//! same note again within [`SERIES_WINDOW`] bumps the first event's series
//! (count and last time, as `kubectl describe` shows `x3 over 2m`); another
//! note is a new Event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Resource as _;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use tokio::sync::Semaphore;
use tracing::Instrument as _;

/// Most events being sent at once; more are dropped (and logged).
pub const IN_FLIGHT: usize = 64;

/// How long after its last occurrence a note repeated on the same object
/// counts towards the same Event (client-go's and kube-runtime's 6 min).
pub const SERIES_WINDOW: SignedDuration = SignedDuration::from_mins(6);

/// Most series remembered; the oldest is forgotten beyond that (its next
/// repeat is a new Event).
const MAX_SERIES: usize = 4096;

/// The API caps an event note at 1 KiB.
const MAX_NOTE: usize = 1000;

const CONTROLLER: &str = "vk-host";

/// Whether an event reports something normal or a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Normal,
    Warning,
}

/// Sends Events for this host.
#[derive(Clone)]
pub struct Events {
    client: kube::Client,
    instance: String,
    series: Arc<Mutex<SeriesCache>>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Events {
    /// Events reported by `vk-host` on node `node_name`.
    pub fn new(client: kube::Client, node_name: &str) -> Self {
        Self {
            client,
            instance: node_name.to_owned(),
            series: Arc::new(Mutex::new(SeriesCache::default())),
            permits: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }

    /// An event about `pod`; `reason` in the kubelet's style (`Created`,
    /// `ProviderCreateFailed`, ...), `note` for people.
    pub fn pod(&self, pod: &Pod, severity: Severity, reason: &str, note: String) {
        self.send(pod.object_ref(&()), severity, reason, note);
    }

    /// An event about a part of `pod` named by `field_path`, as the kubelet
    /// names a container (`spec.containers{main}`).
    pub fn pod_part(
        &self,
        pod: &Pod,
        field_path: String,
        severity: Severity,
        reason: &str,
        note: String,
    ) {
        let reference = ObjectReference {
            field_path: Some(field_path),
            ..pod.object_ref(&())
        };
        self.send(reference, severity, reason, note);
    }

    /// An event about the Node `name` (the kubelet's `NodeReady`,
    /// `NodeNotReady`, `RegisteredNode`, ...).
    pub fn node(
        &self,
        name: &str,
        uid: Option<String>,
        severity: Severity,
        reason: &str,
        note: String,
    ) {
        let reference = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Node".into()),
            name: Some(name.to_owned()),
            uid: uid.or_else(|| Some(name.to_owned())),
            // Node events live in `default`, as the kubelet's do.
            namespace: Some("default".into()),
            ..ObjectReference::default()
        };
        self.send(reference, severity, reason, note);
    }

    fn send(&self, regarding: ObjectReference, severity: Severity, reason: &str, note: String) {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            crate::metrics::global()
                .kube
                .event_dropped("in_flight_limit");
            tracing::warn!(
                reason,
                note = %vk_proto::text::prefix_chars(&note, 200),
                "too many events in flight; this one is dropped"
            );
            return;
        };
        let key = SeriesKey {
            regarding: (
                regarding.kind.clone().unwrap_or_default(),
                regarding.namespace.clone().unwrap_or_default(),
                regarding.name.clone().unwrap_or_default(),
                regarding.uid.clone().unwrap_or_default(),
                regarding.field_path.clone().unwrap_or_default(),
            ),
            severity,
            reason: reason.to_owned(),
            note: vk_proto::text::prefix_bytes(&note, MAX_NOTE).to_owned(),
        };
        let span = tracing::info_span!("event", reason, object = ?regarding.name);
        let this = self.clone();
        tokio::spawn(
            async move {
                if let Err(error) = this.publish(key, regarding).await {
                    crate::metrics::global().kube.event_dropped("write_failed");
                    tracing::warn!(error = %error, "could not record event");
                }
                drop(permit);
            }
            .instrument(span),
        );
    }

    async fn publish(&self, key: SeriesKey, regarding: ObjectReference) -> Result<(), kube::Error> {
        let now = Timestamp::now();
        let namespace = regarding
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let seen = lock(&self.series).repeat(&key, now);
        if let Some(Repeat { name, count }) = seen {
            let series = EventSeries {
                count,
                last_observed_time: MicroTime(now),
            };
            let patch = serde_json::json!({ "series": series });
            match api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                // Gone (the API server's event TTL, or deleted): a new one.
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    lock(&self.series).forget(&key);
                }
                Err(error) => return Err(error),
            }
        }
        let event = build(&key, regarding, &self.instance, now);
        let created = api.create(&PostParams::default(), &event).await?;
        let name = created.metadata.name.unwrap_or_default();
        lock(&self.series).record(key, name, now);
        Ok(())
    }
}

fn lock(series: &Mutex<SeriesCache>) -> std::sync::MutexGuard<'_, SeriesCache> {
    // The cache is only a hint: a panic elsewhere leaves it usable.
    series
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What makes two events the same occurrence: object, type, reason, note.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    /// kind, namespace, name, uid, field path.
    regarding: (String, String, String, String, String),
    severity: Severity,
    reason: String,
    note: String,
}

/// The event to patch for a repeat, and its new count.
#[derive(Debug, PartialEq, Eq)]
struct Repeat {
    name: String,
    count: i32,
}

#[derive(Debug)]
struct Recorded {
    name: String,
    count: i32,
    last: Timestamp,
}

/// The events sent in the last [`SERIES_WINDOW`], by [`SeriesKey`].
#[derive(Debug, Default)]
struct SeriesCache {
    recorded: HashMap<SeriesKey, Recorded>,
}

impl SeriesCache {
    /// When `key` was sent within the window: counts this occurrence and
    /// says which event to patch.
    fn repeat(&mut self, key: &SeriesKey, now: Timestamp) -> Option<Repeat> {
        self.recorded.retain(|_, r| r.last + SERIES_WINDOW > now);
        let recorded = self.recorded.get_mut(key)?;
        recorded.count = recorded.count.saturating_add(1);
        recorded.last = now;
        Some(Repeat {
            name: recorded.name.clone(),
            count: recorded.count,
        })
    }

    /// Remembers the Event `name` just created for `key`.
    fn record(&mut self, key: SeriesKey, name: String, now: Timestamp) {
        if self.recorded.len() >= MAX_SERIES
            && !self.recorded.contains_key(&key)
            && let Some(oldest) = self
                .recorded
                .iter()
                .min_by_key(|(_, r)| r.last)
                .map(|(k, _)| k.clone())
        {
            self.recorded.remove(&oldest);
        }
        self.recorded.insert(
            key,
            Recorded {
                name,
                count: 1,
                last: now,
            },
        );
    }

    fn forget(&mut self, key: &SeriesKey) {
        self.recorded.remove(key);
    }
}

/// A new `events.k8s.io/v1` Event for `key` about `regarding`.
fn build(key: &SeriesKey, regarding: ObjectReference, instance: &str, now: Timestamp) -> Event {
    let object = regarding.name.clone().unwrap_or_else(|| CONTROLLER.into());
    Event {
        metadata: ObjectMeta {
            // The kubelet's `<object>.<hex nanoseconds>`.
            name: Some(format!("{object}.{:x}", now.as_nanosecond())),
            namespace: regarding.namespace.clone(),
            ..ObjectMeta::default()
        },
        event_time: Some(MicroTime(now)),
        type_: Some(
            match key.severity {
                Severity::Normal => "Normal",
                Severity::Warning => "Warning",
            }
            .into(),
        ),
        reason: Some(key.reason.clone()),
        action: Some(key.reason.clone()),
        note: Some(key.note.clone()).filter(|n| !n.is_empty()),
        regarding: Some(regarding),
        reporting_controller: Some(CONTROLLER.into()),
        reporting_instance: Some(instance.to_owned()),
        ..Event::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(reason: &str, note: &str) -> SeriesKey {
        SeriesKey {
            regarding: (
                "Pod".into(),
                "ns".into(),
                "p".into(),
                "uid-1".into(),
                String::new(),
            ),
            severity: Severity::Warning,
            reason: reason.into(),
            note: note.into(),
        }
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).expect("valid time")
    }

    #[test]
    fn the_same_note_again_is_a_series_and_another_note_a_new_event() {
        let mut cache = SeriesCache::default();
        let first = key("Failed", "image a not found");
        assert_eq!(cache.repeat(&first, at(0)), None);
        cache.record(first.clone(), "p.1".into(), at(0));
        assert_eq!(
            cache.repeat(&first, at(10)),
            Some(Repeat {
                name: "p.1".into(),
                count: 2
            })
        );
        assert_eq!(
            cache.repeat(&first, at(20)).map(|r| r.count),
            Some(3),
            "counts on"
        );
        let other = key("Failed", "image b not found");
        assert_eq!(
            cache.repeat(&other, at(30)),
            None,
            "a different note with the same reason is a new event"
        );
        assert_eq!(
            cache.repeat(&key("Pulled", "image a not found"), at(30)),
            None
        );
    }

    #[test]
    fn a_series_ends_six_minutes_after_its_last_occurrence() {
        let mut cache = SeriesCache::default();
        let k = key("Failed", "x");
        cache.record(k.clone(), "p.1".into(), at(0));
        assert!(cache.repeat(&k, at(300)).is_some());
        assert!(
            cache.repeat(&k, at(300 + 359)).is_some(),
            "the window follows the last occurrence"
        );
        assert_eq!(cache.repeat(&k, at(300 + 359 + 360)), None);
        assert!(cache.recorded.is_empty(), "old entries are pruned");
    }

    #[test]
    fn the_cache_is_bounded() {
        let mut cache = SeriesCache::default();
        for n in 0..MAX_SERIES + 10 {
            let seconds = i64::try_from(n).expect("small");
            cache.record(key("R", &n.to_string()), format!("e{n}"), at(seconds));
        }
        assert_eq!(cache.recorded.len(), MAX_SERIES);
        assert!(
            !cache.recorded.contains_key(&key("R", "0")),
            "the oldest went"
        );
        assert!(
            cache
                .recorded
                .contains_key(&key("R", &(MAX_SERIES + 9).to_string()))
        );
    }

    #[test]
    fn events_carry_the_note_and_the_reporter() {
        let regarding = ObjectReference {
            kind: Some("Node".into()),
            name: Some("vk-1".into()),
            namespace: Some("default".into()),
            ..ObjectReference::default()
        };
        let event = build(
            &key("NodeNotReady", "plugin down"),
            regarding,
            "vk-1",
            at(5),
        );
        assert_eq!(event.note.as_deref(), Some("plugin down"));
        assert_eq!(event.type_.as_deref(), Some("Warning"));
        assert_eq!(event.reason.as_deref(), Some("NodeNotReady"));
        assert_eq!(event.reporting_controller.as_deref(), Some("vk-host"));
        assert_eq!(event.reporting_instance.as_deref(), Some("vk-1"));
        assert_eq!(event.metadata.namespace.as_deref(), Some("default"));
        assert!(
            event
                .metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("vk-1."))
        );
        assert!(event.series.is_none());
        assert_eq!(
            vk_proto::text::prefix_bytes(&"é".repeat(600), MAX_NOTE).len(),
            MAX_NOTE
        );
    }
}
