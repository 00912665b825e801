//! Per plugin instance: follow its status push stream (reconnecting when it
//! ends), reconcile its pods with the API's by UID once the API's pods are
//! fully listed, and resync every `status_resync` with one GetPods call
//! (skipped while the pod watch lists again after a failure).
//!
//! Reconciling sorts the plugin's pods into: held and expected (status
//! recorded), held but unknown to the API (deleted in the plugin through
//! the queue), and API pods the plugin should hold but does not (queued;
//! the worker confirms with GetPod and marks them lost). API pods never
//! created are created by the worker. Never by name, never pods of another
//! node.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument as _, debug, info, warn};
use vk_proto::v1::Capability;

use super::context::{Context, PluginInstance};
use super::key::{PodKey, uid_of};
use super::pushed;
use super::queue::backoff;
use crate::apiserver::Severity;
use crate::metrics::{self, plugin::StreamEnd};

/// Serves one plugin instance until `token` is cancelled (the instance
/// ended or the host stops).
pub async fn run_generation(ctx: Arc<Context>, current: PluginInstance, token: CancellationToken) {
    let resync_now = Arc::new(tokio::sync::Notify::new());
    // Both end with `token`; run together, a panic in either reaches the
    // follower, which logs it.
    let stream = async {
        if current.client.identity().has(Capability::PodStatusStream) {
            follow_stream(&ctx, &current, &token, &resync_now)
                .instrument(tracing::info_span!("status_stream"))
                .await;
        }
    };
    tokio::join!(stream, reconcile(&ctx, &current, &token, &resync_now));
}

/// Reconciles once the API's pods are listed, then resyncs until `token` is
/// cancelled.
async fn reconcile(
    ctx: &Context,
    current: &PluginInstance,
    token: &CancellationToken,
    resync_now: &tokio::sync::Notify,
) {
    tokio::select! {
        () = token.cancelled() => return,
        () = ctx.store.wait_synced() => {}
    }
    let mut failures = 0;
    let first = loop {
        let started = Instant::now();
        match current.client.get_pods().await {
            Ok(pods) => break observe(ctx, current, pods, started, true),
            Err(error) => {
                failures += 1;
                warn!(%error, "listing the plugin's pods for reconciliation failed; retrying");
                tokio::select! {
                    () = token.cancelled() => return,
                    () = tokio::time::sleep(backoff(failures)) => {}
                }
            }
        }
    };
    report(ctx, current, &first);
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(ctx.status_resync) => {}
            () = resync_now.notified() => {}
        }
        if !ctx.store.is_fresh() {
            // The API's pods as they were before a watch failure (an API
            // server outage): comparing the plugin's with them would act on
            // the past. The list that ends the failure queues every pod.
            debug!("status resync skipped: the pod watch is listing again");
            continue;
        }
        let started = Instant::now();
        match current.client.get_pods().await {
            Ok(pods) => {
                let seen = observe(ctx, current, pods, started, false);
                if seen.orphans + seen.missing > 0 {
                    info!(
                        orphans = seen.orphans,
                        missing = seen.missing,
                        "resync found differences"
                    );
                }
            }
            Err(error) => warn!(%error, "status resync (GetPods) failed"),
        }
    }
}

/// What one listing showed.
#[derive(Debug, Default)]
struct Seen {
    held: usize,
    orphans: usize,
    missing: usize,
    /// Pods the plugin listed without a UID (a protocol error): ignored,
    /// since anything done with them would go by name alone.
    invalid: usize,
}

/// Applies a listing of the plugin's pods taken at `started`.
fn observe(
    ctx: &Context,
    current: &PluginInstance,
    pods: Vec<Pod>,
    started: Instant,
    all: bool,
) -> Seen {
    let mut seen = Seen::default();
    let mut listed = HashSet::new();
    let generation = current.generation;
    for pod in pods {
        let Some(key) = PodKey::of(&pod) else {
            continue;
        };
        let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        if node.is_some_and(|n| !n.is_empty() && n != ctx.node) {
            // Another node's pod in a shared backend: never ours to touch.
            continue;
        }
        let uid = uid_of(&pod).to_owned();
        if uid.is_empty() {
            seen.invalid += 1;
            warn!(pod = %key, "the plugin listed a pod without metadata.uid (a protocol error); ignored, never deleted");
            continue;
        }
        listed.insert((key.clone(), uid.clone()));
        let expected = ctx.store.has_uid(&key, &uid);
        let now = Instant::now();
        let changed = ctx.tracking.update(&key, &uid, |t| {
            // What this instance runs is the base for UpdatePod.
            t.found_in_plugin(generation, &pod, now);
            if !expected {
                t.seen(Arc::new(pod.clone()));
            }
            // A pushed status newer than this listing wins.
            t.record_listed_status(pod.status.as_ref(), started)
        });
        if expected {
            seen.held += 1;
        } else {
            seen.orphans += 1;
            info!(pod = %key, %uid, "plugin pod unknown to the API; deleting it");
        }
        if all || changed || !expected {
            ctx.queue.add(key);
        }
    }
    // Pods the plugin held before this listing started and no longer lists.
    for (key, uid) in ctx.tracking.all() {
        if listed.contains(&(key.clone(), uid.clone())) {
            continue;
        }
        match ctx.store.get(&key) {
            // Terminal pods may be dropped by a plugin; nothing is lost.
            Some(pod) if uid_of(&pod) == uid && !super::phase::is_terminal(pod.status.as_ref()) => {
            }
            _ => continue,
        }
        // A pod the plugin finished may be dropped by it: not missing.
        let missing = ctx
            .tracking
            .update_existing(&key, &uid, |t| t.missing_from_listing(generation, started));
        if missing == Some(true) {
            seen.missing += 1;
            ctx.queue.add(key);
        }
    }
    if all {
        // Every API pod, and every pod still to be deleted in the plugin.
        for key in ctx.store.keys() {
            ctx.queue.add(key);
        }
        for (key, _) in ctx.tracking.all() {
            ctx.queue.add(key);
        }
    }
    seen
}

/// Logs the start-up reconciliation and, after a plugin restart, records it
/// as a Node event.
fn report(ctx: &Context, current: &PluginInstance, seen: &Seen) {
    let expected = ctx.store.len();
    info!(
        generation = current.generation,
        plugin_pods = seen.held + seen.orphans,
        api_pods = expected,
        orphans = seen.orphans,
        without_uid = seen.invalid,
        "reconciling the plugin's pods with the API's"
    );
    if current.generation > 1 {
        ctx.events.node(
            &ctx.node,
            None,
            Severity::Normal,
            "PodsReconciled",
            format!(
                "plugin {} restarted; it holds {} of the {} pods bound to this node, {} pods unknown to the API are being deleted; missing pods are re-created if they never ran and marked Failed (ProviderLost) otherwise",
                current.plugin(),
                seen.held,
                expected,
                seen.orphans
            ),
        );
    }
}

/// Consumes the plugin's status stream, reconnecting with backoff until
/// `token` is cancelled; after a reconnect a resync catches what was missed.
async fn follow_stream(
    ctx: &Context,
    current: &PluginInstance,
    token: &CancellationToken,
    resync_now: &tokio::sync::Notify,
) {
    let mut failures = 0u32;
    loop {
        // The stream counts as open from the call on (see `PluginStream`):
        // grpc-go and grpcio send no response headers before the first
        // message, so an idle plugin's call stays pending, which is fine.
        let ended = match current.client.watch_pod_status() {
            Ok(mut stream) => {
                if failures > 0 {
                    // What was pushed while no stream was open is caught up
                    // by a resync (a plugin's SDK also keeps its events).
                    resync_now.notify_one();
                }
                loop {
                    let item = tokio::select! {
                        () = token.cancelled() => return,
                        item = stream.next() => item,
                    };
                    match item {
                        Some(Ok(event)) => {
                            failures = 0;
                            pushed::receive(ctx, event);
                        }
                        Some(Err(error)) => {
                            warn!(%error, "status stream failed; reconnecting");
                            break StreamEnd::Error;
                        }
                        None => {
                            warn!("status stream ended; reconnecting");
                            break StreamEnd::Ended;
                        }
                    }
                }
            }
            Err(error) => {
                warn!(%error, "cannot open the status stream; retrying");
                StreamEnd::OpenFailed
            }
        };
        metrics::global().plugin.stream_reconnect(ended);
        failures = failures.saturating_add(1);
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(backoff(failures).min(Duration::from_secs(10))) => {}
        }
    }
}
