//! Warning events about failed plugin calls (and environments that cannot
//! be built), at most one per message per minute for a pod, so that retries
//! do not flood the API with events (see `Tracked::failed`).

use k8s_openapi::api::core::v1::Pod;

use super::context::Context;
use super::key::{PodKey, uid_of};
use crate::apiserver::Severity;

/// A Warning event `reason`: `message` about `pod`, unless the same was
/// reported for it within the last minute.
pub fn report_failure(ctx: &Context, key: &PodKey, pod: &Pod, reason: &str, message: &str) {
    let now = tokio::time::Instant::now();
    let text = format!("{reason}: {message}");
    let report = ctx
        .tracking
        .update(key, uid_of(pod), |t| t.failed(&text, now));
    if report {
        ctx.events
            .pod(pod, Severity::Warning, reason, message.to_owned());
    }
}
