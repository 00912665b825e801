//! Kubernetes Events about pods and the Node, as the kubelet writes them
//! (`reportingController: vk-host`, instance = node name; node events in the
//! `default` namespace). Recording never blocks or fails the caller: events
//! are sent in the background, at most [`IN_FLIGHT`] at once, and dropped
//! with a warning beyond that.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use kube::Resource as _;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use tokio::sync::Semaphore;

/// Most events being sent at once; more are dropped (and logged).
pub const IN_FLIGHT: usize = 64;

/// Whether an event reports something normal or a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Normal,
    Warning,
}

/// Sends Events for this host.
#[derive(Clone)]
pub struct Events {
    recorder: Recorder,
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
        let reporter = Reporter {
            controller: "vk-host".into(),
            instance: Some(node_name.to_owned()),
        };
        Self {
            recorder: Recorder::new(client, reporter),
            permits: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }

    /// An event about `pod`; `reason` in the kubelet's style (`Created`,
    /// `ProviderCreateFailed`, ...), `note` for people.
    pub fn pod(&self, pod: &Pod, severity: Severity, reason: &str, note: String) {
        self.send(pod.object_ref(&()), severity, reason, note);
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
            tracing::warn!(
                reason,
                note,
                "too many events in flight; this one is dropped"
            );
            return;
        };
        let event = Event {
            type_: match severity {
                Severity::Normal => EventType::Normal,
                Severity::Warning => EventType::Warning,
            },
            reason: reason.to_owned(),
            // The API caps an event note at 1 KiB.
            note: Some(truncate(note, 1000)),
            action: reason.to_owned(),
            secondary: None,
        };
        let recorder = self.recorder.clone();
        tokio::spawn(async move {
            if let Err(error) = recorder.publish(&event, &regarding).await {
                tracing::warn!(
                    reason = %event.reason,
                    object = ?regarding.name,
                    error = %error,
                    "could not record event"
                );
            }
            drop(permit);
        });
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}
