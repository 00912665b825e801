//! The moving parts: the API watch (pods with `spec.nodeName=<node>`) feeding
//! the cache and the queue; the dispatcher running queued keys on up to
//! `workers` tasks; and the plugin follower that numbers each plugin
//! instance and serves it (status stream, reconciliation, resync).
//!
//! Why not `kube_runtime::Controller`: it cannot reconcile an object that is
//! gone from its store, and a pod deleted from the API (force delete, or
//! while the watch was down) must still be deleted in the plugin. The queue
//! here is small, keeps kube-runtime's guarantees (one run per key at a
//! time, re-run when re-triggered mid-flight) and adds retries that never
//! give up.

use std::sync::Arc;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, watcher};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument as _, info, warn};

use super::context::{Context, Current};
use super::reconcile;
use super::sync;
use crate::plugins::PluginClient;

/// Watches the node's pods until `token` is cancelled.
pub async fn watch_pods(ctx: Arc<Context>, token: CancellationToken) {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let config = watcher::Config::default().fields(&format!("spec.nodeName={}", ctx.node));
    let mut events = watcher(api, config).default_backoff().boxed();
    let mut listed = false;
    loop {
        let event = tokio::select! {
            () = token.cancelled() => return,
            event = events.next() => event,
        };
        match event {
            Some(Ok(event)) => {
                let done = matches!(event, watcher::Event::InitDone);
                for key in ctx.store.apply(event) {
                    ctx.queue.add(key);
                }
                if done && !listed {
                    listed = true;
                    info!(pods = ctx.store.len(), "pods of this node listed");
                }
            }
            Some(Err(error)) => warn!(%error, "pod watch failed; retrying"),
            None => return,
        }
    }
}

/// Runs queued keys, at most `workers` at once, until `token` is cancelled.
pub async fn dispatch(ctx: Arc<Context>, workers: usize, token: CancellationToken) {
    // Nothing is decided before the API's pods are fully known.
    tokio::select! {
        () = token.cancelled() => return,
        () = ctx.store.wait_synced() => {}
    }
    let permits = Arc::new(Semaphore::new(workers.max(1)));
    let mut running = JoinSet::new();
    loop {
        let permit = tokio::select! {
            () = token.cancelled() => break,
            permit = Arc::clone(&permits).acquire_owned() => permit,
        };
        let Ok(permit) = permit else { break };
        let key = tokio::select! {
            () = token.cancelled() => break,
            key = ctx.queue.next() => key,
        };
        let ctx = Arc::clone(&ctx);
        let span = tracing::info_span!("pod", pod = %key);
        running.spawn(
            async move {
                let outcome = sync::sync(&ctx, &key).await;
                ctx.queue.done(key, outcome);
                drop(permit);
            }
            .instrument(span),
        );
        // Reap finished tasks so the set does not grow.
        while running.try_join_next().is_some() {}
    }
    // Work is idempotent and a plugin call may hang until its deadline:
    // stopping abandons what is in flight rather than waiting for it.
    running.shutdown().await;
}

/// Numbers every plugin instance and serves each one until the next.
pub async fn follow_plugin(
    ctx: Arc<Context>,
    mut clients: watch::Receiver<Option<PluginClient>>,
    current: watch::Sender<Option<Current>>,
    token: CancellationToken,
) {
    let mut generation = 0u64;
    loop {
        let client = clients.borrow_and_update().clone();
        let instance = token.child_token();
        if let Some(client) = client {
            generation += 1;
            let serving = Current { generation, client };
            info!(generation, plugin = serving.plugin(), "plugin instance up");
            current.send_replace(Some(serving.clone()));
            let span = tracing::info_span!("plugin_instance", generation);
            tokio::spawn(
                reconcile::run_generation(Arc::clone(&ctx), serving, instance.clone())
                    .instrument(span),
            );
        } else {
            current.send_replace(None);
        }
        let changed = tokio::select! {
            () = token.cancelled() => Err(()),
            changed = clients.changed() => changed.map_err(|_| ()),
        };
        instance.cancel();
        if changed.is_err() {
            current.send_replace(None);
            return;
        }
    }
}
