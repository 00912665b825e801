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
use kube::runtime::watcher;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument as _, error, info, warn};

use super::context::{Context, PluginInstance};
use super::key::PodKey;
use super::queue::{Outcome, WorkQueue};
use super::reconcile;
use super::sync;
use crate::plugin_process::PluginClient;

/// Watches the node's pods until `token` is cancelled. After an error the
/// watch lists them again (within seconds of the API server answering),
/// and every pod is queued then.
pub async fn watch_pods(ctx: Arc<Context>, token: CancellationToken) {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let config = watcher::Config::default().fields(&format!("spec.nodeName={}", ctx.node));
    let mut events = crate::apiserver::watch(api, config).boxed();
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
            Some(Err(error)) => {
                // Until the list that follows, the copy may be of the past.
                ctx.store.mark_stale();
                warn!(%error, "pod watch failed; listing the pods again");
            }
            None => return,
        }
    }
}

/// Queues every pod of the node each time the node's host IPs change, so
/// that a status written before they were known gets them.
pub async fn follow_node_host_ips(ctx: Arc<Context>, token: CancellationToken) {
    let mut host_ips = ctx.node_host_ips.clone();
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            changed = host_ips.changed() => {
                if changed.is_err() {
                    // The node controller stopped: so does everything.
                    token.cancelled().await;
                    return;
                }
            }
        }
        for key in ctx.store.keys() {
            ctx.queue.add(key);
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
                let mut guard = Working::new(Arc::clone(&ctx.queue), key);
                let outcome = sync::sync(&ctx, guard.key()).await;
                guard.finish(outcome);
                drop(permit);
            }
            .instrument(span),
        );
        // Reap finished tasks so the set does not grow.
        while let Some(ended) = running.try_join_next() {
            log_panic(ended);
        }
    }
    // Work is idempotent and a plugin call may hang until its deadline:
    // stopping abandons what is in flight rather than waiting for it.
    running.shutdown().await;
}

/// Marks a key's work done when dropped, also when the worker panicked
/// (then as a failure, retried with backoff): a key left "running" would
/// never be worked on again.
struct Working {
    queue: Arc<WorkQueue>,
    key: Option<PodKey>,
    outcome: Outcome,
}

impl Working {
    fn new(queue: Arc<WorkQueue>, key: PodKey) -> Self {
        Self {
            queue,
            key: Some(key),
            outcome: Outcome::Retry,
        }
    }

    fn key(&self) -> &PodKey {
        self.key.as_ref().expect("the key is taken only on drop")
    }

    fn finish(&mut self, outcome: Outcome) {
        self.outcome = outcome;
        if let Some(key) = self.key.take() {
            self.queue.done(key, outcome);
        }
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            if std::thread::panicking() {
                error!(pod = %key, "pod worker panicked; retrying the pod");
            }
            self.queue.done(key, self.outcome);
        }
    }
}

/// Logs a task that panicked (a bug); its work is retried by its guard.
fn log_panic(ended: Result<(), tokio::task::JoinError>) {
    if let Err(error) = ended
        && error.is_panic()
    {
        let panic = error.into_panic();
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        error!(panic = %message, "a pod controller task panicked");
    }
}

/// Numbers every plugin instance and serves each one until the next.
pub async fn follow_plugin(
    ctx: Arc<Context>,
    mut clients: watch::Receiver<Option<PluginClient>>,
    current: watch::Sender<Option<PluginInstance>>,
    token: CancellationToken,
) {
    let mut generation = 0u64;
    // Each instance's task, so that its end (or panic) is seen and logged.
    let mut instances = JoinSet::new();
    loop {
        let client = clients.borrow_and_update().clone();
        let instance = token.child_token();
        if let Some(client) = client {
            generation += 1;
            let serving = PluginInstance { generation, client };
            info!(generation, plugin = serving.plugin(), "plugin instance up");
            current.send_replace(Some(serving.clone()));
            let span = tracing::info_span!("plugin_instance", generation);
            instances.spawn(
                reconcile::run_generation(Arc::clone(&ctx), serving, instance.clone())
                    .instrument(span),
            );
        } else {
            current.send_replace(None);
        }
        let changed = loop {
            tokio::select! {
                () = token.cancelled() => break Err(()),
                changed = clients.changed() => break changed.map_err(|_| ()),
                Some(ended) = instances.join_next() => {
                    if ended.as_ref().is_err_and(|e| e.is_panic()) {
                        // Its pods are still served by the workers; the
                        // status stream and resync come back with the next
                        // plugin instance.
                        warn!("the plugin instance's status stream and resync stopped");
                    }
                    log_panic(ended);
                }
            }
        };
        instance.cancel();
        if changed.is_err() {
            current.send_replace(None);
            instances.shutdown().await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_worker_leaves_its_key_to_be_retried() {
        let queue = Arc::new(WorkQueue::default());
        let key = PodKey::new("ns", "p");
        queue.add(key.clone());
        let taken = queue.next().await;
        let worker = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                let guard = Working::new(queue, taken);
                let _ = guard.key();
                panic!("a bug");
            }
        });
        assert!(worker.await.expect_err("it panicked").is_panic());
        // Not stuck as running: it comes back after the first backoff.
        let again = tokio::time::timeout(Duration::from_secs(1), queue.next())
            .await
            .expect("the key is queued again after a panic");
        assert_eq!(again, key);
    }

    #[tokio::test(start_paused = true)]
    async fn a_finished_worker_reports_its_outcome_once() {
        let queue = Arc::new(WorkQueue::default());
        let key = PodKey::new("ns", "p");
        queue.add(key.clone());
        let mut guard = Working::new(Arc::clone(&queue), queue.next().await);
        guard.finish(Outcome::Done);
        drop(guard);
        assert_eq!(queue.len(), 0, "done, and not retried by the drop");
        queue.add(key.clone());
        assert_eq!(queue.next().await, key);
    }
}
