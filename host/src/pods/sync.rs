//! One pass of work on one pod (always serialized per key by the queue):
//! release plugin pods whose API object is gone, then for the API's pod
//! create it in the plugin (only after GetPod said NOT_FOUND), update it when
//! a part the plugin cares about changed, mark it lost when the plugin
//! dropped it, drive its deletion, fail it when its active deadline passes
//! (`deadline`), and write its status back.
//!
//! Each pass is counted and timed (`vk_host_pod_syncs_total`,
//! `vk_host_pod_sync_duration_seconds`) under the operation it performed,
//! noted in a task-local as the pass goes (the last one noted wins).

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use tracing::{debug, info, warn};

use super::context::{Context, PluginInstance, for_plugin, pod_ref};
use super::deadline::{self, Deadline};
use super::error::SyncError;
use super::key::{PodKey, uid_of};
use super::policy::{self, Reaction};
use super::queue::Outcome;
use super::report::report_failure;
use super::{deletion, diff, env, phase, status};
use crate::metrics::{self, pods::SyncOperation, pods::SyncOutcome};
use crate::plugin_process::CallError;

tokio::task_local! {
    /// What the pass being run did, for its metrics.
    static OPERATION: Cell<SyncOperation>;
}

/// Notes what the current pass is doing (nothing outside a pass).
fn doing(operation: SyncOperation) {
    let _ = OPERATION.try_with(|current| current.set(operation));
}

/// Works on `key` once; never fails: the outcome says when to come back.
pub async fn sync(ctx: &Context, key: &PodKey) -> Outcome {
    let started = std::time::Instant::now();
    let (outcome, failed, operation) = OPERATION
        .scope(Cell::new(SyncOperation::Status), async {
            let (outcome, failed) = sync_once(ctx, key).await;
            (outcome, failed, OPERATION.with(Cell::get))
        })
        .await;
    let result = match outcome {
        _ if failed => SyncOutcome::Error,
        Outcome::Done => SyncOutcome::Success,
        Outcome::After(_) => SyncOutcome::Requeued,
        Outcome::Retry | Outcome::RetrySlowly => SyncOutcome::Error,
    };
    metrics::global()
        .pods
        .sync_done(operation, result, started.elapsed().as_secs_f64());
    outcome
}

/// One pass, and whether it failed the pod for good.
async fn sync_once(ctx: &Context, key: &PodKey) -> (Outcome, bool) {
    let outcome = match sync_pod(ctx, key).await {
        Ok(outcome) => outcome,
        Err(SyncError::Plugin(error)) if policy::react(&error) == Reaction::Unimplemented => {
            return (fail_unimplemented(ctx, key, &error).await, true);
        }
        Err(error) => {
            match &error {
                SyncError::PluginUnavailable => debug!(pod = %key, "plugin restarting; later"),
                error => warn!(pod = %key, error = %error, "pod sync failed; retrying"),
            }
            // A reply over the message limit does not heal by retrying: the
            // pod says so too, not only this log.
            if let SyncError::Plugin(call) = &error
                && call.code() == Some(tonic::Code::OutOfRange)
                && let Some(pod) = ctx.store.get(key)
            {
                report_failure(ctx, key, &pod, "ProviderCallFailed", &call.to_string());
            }
            error.outcome()
        }
    };
    (outcome, false)
}

async fn sync_pod(ctx: &Context, key: &PodKey) -> Result<Outcome, SyncError> {
    let api_pod = ctx.store.get(key);
    // Plugin pods under this key whose API object is gone (deleted, force
    // deleted, or replaced by a new pod of the same name): delete them.
    let current_uid = api_pod.as_ref().map(|pod| uid_of(pod).to_owned());
    let mut again = None;
    for (uid, tracked) in ctx.tracking.stale(key, current_uid.as_deref()) {
        doing(SyncOperation::Delete);
        let wait = deletion::release(ctx, key, &uid, &tracked).await?;
        again = sooner(again, wait);
    }
    let Some(pod) = api_pod else {
        return Ok(come_back(Outcome::Done, again));
    };
    let outcome = sync_api_pod(ctx, key, pod).await?;
    Ok(come_back(outcome, again))
}

/// Works on the API's pod (after its stale predecessors were released).
async fn sync_api_pod(ctx: &Context, key: &PodKey, pod: Arc<Pod>) -> Result<Outcome, SyncError> {
    let uid = uid_of(&pod).to_owned();
    ctx.tracking.update(key, &uid, |t| t.seen(Arc::clone(&pod)));

    if phase::is_terminal(pod.status.as_ref()) {
        // Final: never re-created, never given a non-terminal status.
        if pod.metadata.deletion_timestamp.is_some() {
            doing(SyncOperation::Delete);
            deletion::remove_finished(ctx, key, &pod).await?;
        } else if deadline::failed_by_deadline(&pod) {
            // Failed by the host: its containers must stop.
            doing(SyncOperation::Delete);
            return deadline::stop(ctx, key, &pod).await;
        }
        return Ok(Outcome::Done);
    }
    if pod.metadata.deletion_timestamp.is_some() {
        doing(SyncOperation::Delete);
        return deletion::graceful(ctx, key, &pod).await;
    }
    let recorded = ctx
        .tracking
        .get(key, &uid)
        .and_then(|t| t.status().cloned());
    let deadline =
        match deadline::check(&pod, recorded.as_ref(), k8s_openapi::jiff::Timestamp::now()) {
            Deadline::Passed => {
                doing(SyncOperation::Delete);
                return deadline::enforce(ctx, key, &pod).await;
            }
            Deadline::In(left) => Some(left),
            Deadline::None => None,
        };
    let current = ctx.current().ok_or(SyncError::PluginUnavailable)?;
    let outcome = match ensure_in_plugin(ctx, key, &pod, &current).await? {
        Presence::Held => status::write_plugin_status(ctx, key, &pod, &current).await?,
        Presence::Finished(finished) => {
            status::write(ctx, key, &pod, &finished).await?;
            return Ok(Outcome::Done);
        }
        Presence::Lost => {
            status::write_lost(ctx, key, &pod, &current).await?;
            return Ok(Outcome::Done);
        }
        Presence::NotCreated(outcome) => outcome,
    };
    // Back when the deadline passes, if nothing else brings it back first.
    Ok(come_back(outcome, deadline))
}

/// The earlier of two optional waits.
fn sooner(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `outcome`, but back after `wait` at the latest when it would not come
/// back sooner (a failure's retry comes back on its own).
fn come_back(outcome: Outcome, wait: Option<Duration>) -> Outcome {
    match (outcome, wait) {
        (Outcome::Done, Some(wait)) => Outcome::After(wait),
        (Outcome::After(after), Some(wait)) => Outcome::After(after.min(wait)),
        (outcome, _) => outcome,
    }
}

/// A required rpc the plugin does not implement: the protocol says never to
/// retry, so the pod fails with the reason (once it is terminal nothing more
/// is asked of the plugin, and a deletion removes it at once).
async fn fail_unimplemented(ctx: &Context, key: &PodKey, error: &CallError) -> Outcome {
    let Some(pod) = ctx.store.get(key) else {
        return Outcome::Done;
    };
    let message = format!(
        "{error}; every plugin must implement it (is the plugin built for this protocol version?)"
    );
    warn!(pod = %key, error = %message, "a required rpc is unimplemented; failing the pod");
    report_failure(ctx, key, &pod, phase::PROVIDER_FAILED, &message);
    match status::write_failed(ctx, key, &pod, true, &message).await {
        Ok(()) => Outcome::Done,
        Err(error) => {
            warn!(pod = %key, error = %error, "writing the failure failed; retrying");
            error.outcome()
        }
    }
}

/// Where the pod stands in the plugin after [`ensure_in_plugin`].
enum Presence {
    Held,
    /// The plugin finished it and no longer holds it: its last status.
    Finished(Box<PodStatus>),
    /// The plugin had it and does not any more.
    Lost,
    /// Creating it failed; come back per the outcome.
    NotCreated(Outcome),
}

async fn ensure_in_plugin(
    ctx: &Context,
    key: &PodKey,
    pod: &Arc<Pod>,
    current: &PluginInstance,
) -> Result<Presence, SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
    if tracked.is_lost() {
        return Ok(Presence::Lost);
    }
    if tracked.needs_get_pod(current.generation) {
        // A status recorded while the call was out is newer than its reply.
        let asked = tokio::time::Instant::now();
        match current.client.get_pod(pod_ref(key, uid)).await {
            Ok(held) => {
                let generation = current.generation;
                let now = tokio::time::Instant::now();
                ctx.tracking.update(key, uid, |t| {
                    t.found_in_plugin(generation, &held, now);
                    if let Some(status) = held.status.clone() {
                        t.record_status(status, asked);
                    }
                });
            }
            Err(error) if policy::react(&error) == Reaction::NotHeld => {
                // Read again: a push may have come while GetPod was out.
                let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
                if let Some(finished) = tracked.finished() {
                    // Finished, then dropped by the plugin: nothing is lost.
                    debug!(pod = %key, %uid, "the plugin dropped the finished pod");
                    ctx.tracking
                        .update(key, uid, |t| t.dropped_after_finishing());
                    return Ok(Presence::Finished(Box::new(finished.clone())));
                }
                if tracked.was_in_plugin() || phase::was_started(pod.status.as_ref()) {
                    return Ok(Presence::Lost);
                }
                return create(ctx, key, pod, current).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
    update_if_changed(ctx, key, pod, current).await?;
    Ok(Presence::Held)
}

async fn create(
    ctx: &Context,
    key: &PodKey,
    pod: &Arc<Pod>,
    current: &PluginInstance,
) -> Result<Presence, SyncError> {
    doing(SyncOperation::Create);
    let uid = uid_of(pod);
    let resolved = match resolve_env(ctx, key, pod).await? {
        Ok(resolved) => resolved,
        Err(outcome) => return Ok(Presence::NotCreated(outcome)),
    };
    match current.client.create_pod(&resolved.pod).await {
        Ok(()) => {
            info!(pod = %key, %uid, plugin = current.plugin(), "created in the plugin");
            let generation = current.generation;
            let now = tokio::time::Instant::now();
            ctx.tracking.update(key, uid, |t| {
                t.created(generation, Arc::clone(pod), resolved.awaits_pod_ip, now);
            });
            Ok(Presence::Held)
        }
        Err(error) => {
            let reaction = policy::react(&error);
            let message = error.to_string();
            if reaction == Reaction::NameTaken
                && policy::quiet_name_retry(
                    ctx.tracking.released_at(key),
                    tokio::time::Instant::now(),
                )
            {
                // The plugin is still removing the pod that had this name.
                debug!(pod = %key, %uid, error = %message, "name still held by the pod deleted before; waiting");
                return Ok(Presence::NotCreated(Outcome::Retry));
            }
            // The protocol: INVALID_ARGUMENT means the plugin can never run
            // this pod, UNIMPLEMENTED that it runs none; the pod fails.
            // Everything else is retried.
            let permanent = matches!(reaction, Reaction::Rejected | Reaction::Unimplemented);
            let message = if reaction == Reaction::Unimplemented {
                format!("{message}; every plugin must implement CreatePod")
            } else {
                message
            };
            warn!(pod = %key, %uid, error = %message, permanent, "CreatePod failed");
            report_failure(ctx, key, pod, "ProviderCreateFailed", &message);
            status::write_failed(ctx, key, pod, permanent, &message).await?;
            Ok(Presence::NotCreated(reaction.outcome()))
        }
    }
}

async fn update_if_changed(
    ctx: &Context,
    key: &PodKey,
    pod: &Arc<Pod>,
    current: &PluginInstance,
) -> Result<(), SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
    let pod_ip_arrived = tracked.awaits_pod_ip() && env::has_pod_ip(pod);
    if !pod_ip_arrived
        && tracked
            .sent()
            .is_some_and(|sent| !diff::needs_update(sent, pod))
    {
        return Ok(());
    }
    doing(SyncOperation::Update);
    let resolved = match resolve_env(ctx, key, pod).await? {
        Ok(resolved) => resolved,
        // Reported; the plugin keeps what it has until the object is back.
        Err(_) => return Ok(()),
    };
    match current.client.update_pod(&resolved.pod).await {
        Ok(()) => {
            info!(pod = %key, %uid, pod_ip_arrived, "updated in the plugin");
            ctx.tracking.update(key, uid, |t| {
                t.updated(Arc::clone(pod), resolved.awaits_pod_ip);
            });
            Ok(())
        }
        Err(error) if policy::react(&error) == Reaction::NotHeld => {
            // Gone since we last looked: the next pass confirms with GetPod.
            ctx.tracking.update(key, uid, |t| t.update_not_found());
            Err(error.into())
        }
        Err(error) if policy::react(&error) == Reaction::Unimplemented => Err(error.into()),
        Err(error) => {
            let message = error.to_string();
            report_failure(ctx, key, pod, "ProviderUpdateFailed", &message);
            if policy::react(&error) == Reaction::Rejected {
                // The plugin cannot take this change; retrying will not help.
                ctx.tracking
                    .update(key, uid, |t| t.update_refused(Arc::clone(pod)));
                Ok(())
            } else {
                Err(error.into())
            }
        }
    }
}

/// The pod as the plugin receives it, environment resolved. A missing
/// object or key is reported as the kubelet does (status and event) and
/// comes back as `Err(outcome)`: come back later. Only a failed API read is
/// an error.
async fn resolve_env(
    ctx: &Context,
    key: &PodKey,
    pod: &Arc<Pod>,
) -> Result<Result<env::Resolved, Outcome>, SyncError> {
    match env::resolve(
        &ctx.client,
        &ctx.node,
        &ctx.master_service,
        &for_plugin(pod),
    )
    .await
    {
        Ok(resolved) => {
            for message in &resolved.skipped_keys {
                report_failure(ctx, key, pod, "InvalidEnvironmentVariableNames", message);
            }
            Ok(Ok(resolved))
        }
        Err(env::EnvError::Config(error)) => {
            warn!(pod = %key, container = %error.container, error = %error.message, "cannot build the container's environment; retrying");
            report_failure(
                ctx,
                key,
                pod,
                "Failed",
                &format!("Error: {}", error.message),
            );
            if ctx
                .tracking
                .get(key, uid_of(pod))
                .is_none_or(|t| !t.was_in_plugin())
            {
                let waiting = env::config_error::status(pod, &error.container, &error.message);
                status::write(ctx, key, pod, &waiting).await?;
            }
            Ok(Err(Outcome::Retry))
        }
        Err(source) => Err(SyncError::Env {
            key: key.clone(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_pass_is_named_by_the_last_operation_it_noted() {
        // Outside a pass: nothing to note, and no panic.
        doing(SyncOperation::Create);
        let noted = OPERATION
            .scope(Cell::new(SyncOperation::Status), async {
                doing(SyncOperation::Delete);
                tokio::task::yield_now().await;
                doing(SyncOperation::Create);
                OPERATION.with(Cell::get)
            })
            .await;
        assert_eq!(noted, SyncOperation::Create);
    }

    #[test]
    fn the_sooner_wait_wins() {
        let s = Duration::from_secs;
        assert_eq!(come_back(Outcome::Done, None), Outcome::Done);
        assert_eq!(come_back(Outcome::Done, Some(s(5))), Outcome::After(s(5)));
        assert_eq!(
            come_back(Outcome::After(s(1)), Some(s(5))),
            Outcome::After(s(1))
        );
        assert_eq!(
            come_back(Outcome::After(s(9)), Some(s(5))),
            Outcome::After(s(5))
        );
        assert_eq!(come_back(Outcome::Retry, Some(s(5))), Outcome::Retry);
        assert_eq!(sooner(None, Some(s(2))), Some(s(2)));
        assert_eq!(sooner(Some(s(3)), Some(s(2))), Some(s(2)));
        assert_eq!(sooner(None, None), None);
    }
}
