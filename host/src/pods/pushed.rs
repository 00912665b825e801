//! Receiving what the plugin pushes on its status stream: each status is
//! recorded (see `Tracked::record_status` for which replaces which) and its
//! pod queued, so a worker writes it to the API (`status`); the Events it
//! carries are checked and recorded (`plugin_events`). Nothing here calls
//! the API or the plugin. A status that is not a PodStatus is ignored with a
//! warning, at most one per `plugin_events::FAULT_WARN_INTERVAL`.

use std::time::Instant;

use k8s_openapi::api::core::v1::PodStatus;
use tracing::{debug, warn};
use vk_proto::v1::PodStatusEvent;

use super::context::Context;
use super::key::{PodKey, uid_of};
use super::plugin_events;

/// Records one pushed status event and queues the pod; records the Events
/// it carries about a pod of this node.
pub fn receive(ctx: &Context, event: PodStatusEvent) {
    let Some(reference) = event.pod else { return };
    let key = PodKey::new(reference.namespace, reference.name);
    let uid = reference.uid;
    if !event.events.is_empty() {
        match ctx.store.get(&key).filter(|pod| uid_of(pod) == uid) {
            Some(pod) => plugin_events::record(&ctx.events, &ctx.event_filter, &pod, event.events),
            None => {
                debug!(pod = %key, %uid, "events about a pod not bound here (or gone); dropped")
            }
        }
    }
    if event.status.is_empty() {
        return;
    }
    let status: PodStatus = match serde_json::from_slice(&event.status) {
        Ok(status) => status,
        Err(error) => {
            // A plugin may push garbage in a loop: rate-limited, counted.
            match ctx.event_filter.invalid_statuses.warn_now(Instant::now()) {
                Some(suppressed) => warn!(
                    pod = %key,
                    %error,
                    suppressed,
                    "the plugin pushed a status that is not a PodStatus; ignored"
                ),
                None => {
                    debug!(pod = %key, %error, "the plugin pushed a status that is not a PodStatus; ignored")
                }
            }
            return;
        }
    };
    let now = tokio::time::Instant::now();
    let recorded = match ctx
        .tracking
        .update_existing(&key, &uid, |t| t.record_status(status.clone(), now))
    {
        Some(recorded) => recorded,
        // Not a pod of ours (or not yet listed): the resync sorts it out.
        None if !ctx.store.has_uid(&key, &uid) => return,
        None => ctx
            .tracking
            .update(&key, &uid, |t| t.record_status(status, now)),
    };
    if recorded {
        ctx.queue.add(key);
    }
}
