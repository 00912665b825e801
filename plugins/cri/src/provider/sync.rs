//! The relist loop and per-pod sync (the kubelet's PLEG relist plus
//! `SyncPod`): every `relist_interval_ms` the plugin lists its sandboxes
//! and containers by the managed-by label ([`super::listing`]), groups them
//! by pod, and for each pod it holds runs the sandbox, pulls images, starts
//! init containers in order and then the containers ([`super::starting`];
//! restarting per `restartPolicy` through CrashLoopBackOff), keeps sidecars
//! running, then reports the status. Pods are synced in parallel, each by
//! at most one task at a time. Termination ([`super::stopping`]) stops the
//! regular containers, then the sidecars in reverse order, within the
//! grace period, then removes the sandbox and state.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_cri::v1::{ContainerStatus, StopPodSandboxRequest};
use k8s_openapi::api::core::v1::{Container, Pod};
use tokio::sync::Notify;
use tracing::Instrument as _;

use super::setup_retry::SetupStep;
use super::starting::StartFailure;
use super::{Inner, events, grace_seconds, now};
use crate::dead_sandbox::{SandboxChange, sandbox_change};
use crate::ephemeral;
use crate::image_change;
use crate::labels::{self, ContainerRole, PodIdentity};
use crate::restart::PodActions;
use crate::snapshot::PodSnapshot;
use crate::status::SyncError;

/// Why one step of a sync failed (logged; a later relist tries again, after
/// a back-off for the set-up steps of `setup_retry`).
#[derive(Debug, thiserror::Error)]
pub(super) enum SyncFailure {
    #[error("{call}: {status}")]
    Runtime {
        call: &'static str,
        #[source]
        status: tonic::Status,
    },
    #[error("{0}")]
    Build(#[from] crate::runtime_config::BuildError),
    #[error("postStart hook: {0}")]
    PostStartHook(String),
    #[error("{0}")]
    Target(String),
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl SyncFailure {
    /// The failure as the kubelet words it (gRPC errors in grpc-go's form).
    pub(super) fn kubelet_text(&self) -> String {
        match self {
            Self::Runtime { status, .. } => crate::cri::grpc_error_text(status),
            other => other.to_string(),
        }
    }
}

pub(super) fn runtime_error(call: &'static str) -> impl FnOnce(tonic::Status) -> SyncFailure {
    move |status| SyncFailure::Runtime { call, status }
}

/// The relist loop's own state.
#[derive(Debug)]
pub(super) struct RelistState {
    /// Wakes the relist loop early (a new pod, a probe result).
    pub(super) wake: Notify,
    /// The last relist reached the runtime.
    pub(super) runtime_ok: AtomicBool,
    /// Final statuses of exited containers (they never change), by id.
    pub(super) exited: Mutex<HashMap<String, ContainerStatus>>,
}

impl Default for RelistState {
    fn default() -> Self {
        Self {
            wake: Notify::new(),
            runtime_ok: AtomicBool::new(true),
            exited: Mutex::default(),
        }
    }
}

impl Inner {
    /// Relists forever: at every interval, or at once when a pod arrives.
    pub(super) async fn relist_loop(self: Arc<Self>) {
        let interval = self.config.relist_interval();
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = self.relist.wake.notified() => {}
            }
            // A pod whose sync is still running while we list may change
            // under the list: if that sync ends before we get to the pod,
            // our snapshot of it is stale (it may show an init container
            // still `Created` that has run since, which would then be run
            // again), so its sync lists it afresh.
            let busy_at_list: HashSet<String> = self
                .pods()
                .iter()
                .filter(|(_, e)| e.lock.try_lock().is_err())
                .map(|(uid, _)| uid.clone())
                .collect();
            let snapshots = match self
                .fetch(labels::managed_selector(&self.config.instance_name))
                .await
            {
                Ok(snapshots) => {
                    self.relist.runtime_ok.store(true, Ordering::Relaxed);
                    snapshots
                }
                Err(error) => {
                    self.relist.runtime_ok.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %error, "relist failed");
                    continue;
                }
            };
            let mut snapshots = snapshots;
            let held: Vec<(String, Arc<tokio::sync::Mutex<()>>, bool)> = self
                .pods()
                .iter()
                .map(|(uid, e)| (uid.clone(), e.lock.clone(), e.deleting))
                .collect();
            for (uid, lock, deleting) in held {
                // Busy (a slow sync or a termination): its own task reports.
                let Ok(guard) = lock.try_lock_owned() else {
                    continue;
                };
                let snapshot = snapshots.remove(&uid).unwrap_or_default();
                let stale = busy_at_list.contains(&uid);
                let this = self.clone();
                let span = tracing::info_span!("sync", pod = %uid);
                tokio::spawn(
                    async move {
                        let snapshot = if stale {
                            match this.fetch_pod(&uid).await {
                                Ok(fresh) => fresh,
                                Err(error) => {
                                    tracing::warn!(error = %error, "relisting the pod failed");
                                    drop(guard);
                                    return;
                                }
                            }
                        } else {
                            snapshot
                        };
                        this.sync_pod(&uid, snapshot, deleting).await;
                        this.sync_probes(&uid);
                        drop(guard);
                    }
                    .instrument(span),
                );
            }
            let now = now();
            self.backoffs
                .crash
                .lock()
                .map(|mut b| b.forget_stale(now))
                .ok();
        }
    }

    /// One sync of one pod: act on the runtime (unless it is being deleted),
    /// then report the status.
    async fn sync_pod(&self, uid: &str, snapshot: PodSnapshot, deleting: bool) {
        let Some(pod) = self.pods().get(uid).map(|e| e.pod.clone()) else {
            return;
        };
        let mut snapshot = snapshot;
        if !deleting {
            match self.act(uid, &pod, &snapshot).await {
                Ok(false) => {}
                Ok(true) => match self.fetch_pod(uid).await {
                    Ok(fresh) => snapshot = fresh,
                    Err(error) => tracing::warn!(error = %error, "relisting the pod failed"),
                },
                Err(error) => {
                    tracing::warn!(error = %error, "sync failed; retrying at the next relist")
                }
            }
        }
        self.set_status(uid, &snapshot);
    }

    /// Does what the pod needs next; true when something changed.
    async fn act(&self, uid: &str, pod: &Pod, snapshot: &PodSnapshot) -> Result<bool, SyncFailure> {
        if self.kill_unhealthy(pod, snapshot).await {
            return Ok(true);
        }
        // A dead sandbox is replaced, and a container stopped for a new image
        // started again, in this same sync, as the kubelet's kill-and-start:
        // no status in between may show the pod finished (under
        // restartPolicy Never that would be final).
        // A dead sandbox whose re-creation failed waits for its back-off
        // before it is killed and replaced again.
        if sandbox_change(pod, snapshot, &self.probes.results()) == SandboxChange::Recreate
            && !self.may_try(uid, SetupStep::Sandbox)
        {
            return Ok(false);
        }
        let change = self.replace_dead_sandbox(uid, pod, snapshot).await?;
        let restarting = match change {
            // Killed, or nothing may start: no new sandbox.
            SandboxChange::KillPod => return Ok(true),
            SandboxChange::Finished => return Ok(false),
            SandboxChange::Recreate => Vec::new(),
            SandboxChange::None => {
                let mut restarting = self.stop_changed(pod, snapshot).await;
                // In-place resize: applied live, or a restart like a new image.
                restarting.extend(self.resize(uid, pod, snapshot).await);
                restarting
            }
        };
        let refreshed;
        let snapshot = if change == SandboxChange::Recreate || !restarting.is_empty() {
            refreshed = self.fetch_pod(uid).await?;
            &refreshed
        } else {
            snapshot
        };
        let actions = image_change::actions(pod, snapshot, &self.probes.results(), &restarting);
        if actions.kill_pod {
            return self.finish_pod(uid, pod, snapshot).await;
        }
        let to_start = containers_to_start(pod, snapshot, &actions);
        if to_start.is_empty() {
            return Ok(false);
        }
        let waiting: Vec<&str> = to_start.iter().map(|(c, _)| c.name.as_str()).collect();
        let Some(sandbox) = self.set_up_pod(uid, pod, snapshot, &waiting).await? else {
            return Ok(false);
        };
        let mut changed = sandbox.created;
        for (container, role) in to_start {
            let outcome = self
                .start_container(uid, pod, snapshot, &sandbox, &container, role)
                .await;
            let Some(started) = self.record_start(uid, pod, &container, outcome) else {
                break;
            };
            changed |= started;
        }
        Ok(changed)
    }

    /// A pod finished for good: stops what still runs (sidecars, last
    /// first) with the pod's grace period, then releases the sandbox (and
    /// its IP), as the kubelet's killPodWithSyncResult. False when it has
    /// no ready sandbox.
    async fn finish_pod(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
    ) -> Result<bool, SyncFailure> {
        let Some(sandbox) = snapshot
            .newest_sandbox()
            .filter(|_| snapshot.sandbox_ready())
        else {
            return Ok(false);
        };
        self.stop_containers(uid, pod, snapshot, grace_seconds(pod))
            .await;
        self.runtime
            .runtime
            .clone()
            .stop_pod_sandbox(StopPodSandboxRequest {
                pod_sandbox_id: sandbox.id.clone(),
            })
            .await
            .map_err(runtime_error("StopPodSandbox"))?;
        Ok(true)
    }

    /// Keeps the outcome of one container's start in the pod's reason
    /// cache, with the waiting reason's events when it is new; whether the
    /// start changed something, `None` when the pod is gone.
    fn record_start(
        &self,
        uid: &str,
        pod: &Pod,
        container: &Container,
        outcome: Result<Option<SyncError>, StartFailure>,
    ) -> Option<bool> {
        let mut pods = self.pods();
        let entry = pods.get_mut(uid)?;
        let (waiting, changed) = match outcome {
            Ok(Some(error)) => (Some(error), false),
            Ok(None) => {
                entry.sync_errors.remove(&container.name);
                (None, true)
            }
            Err((error, failure)) => {
                tracing::warn!(container = %container.name, error = %failure, "container start failed");
                (Some(error), true)
            }
        };
        if let Some(error) = waiting {
            let previous = entry
                .sync_errors
                .insert(container.name.clone(), error.clone());
            drop(pods);
            if previous.as_ref() != Some(&error) {
                let identity = PodIdentity::of(pod).display();
                for event in events::waiting(&container.name, &identity, &error) {
                    self.report(uid, event);
                }
            }
        }
        Some(changed)
    }
}

/// What to start, in the kubelet's SyncPod order: ephemeral containers
/// first (they can debug a pod whose init containers fail), then init,
/// then regular.
fn containers_to_start(
    pod: &Pod,
    snapshot: &PodSnapshot,
    actions: &PodActions,
) -> Vec<(Container, ContainerRole)> {
    let ephemeral = ephemeral::to_start(pod, snapshot)
        .into_iter()
        .map(|c| (c, ContainerRole::Ephemeral));
    let spec = pod.spec.as_ref();
    let init = actions.start_init.iter().filter_map(|name| {
        spec?
            .init_containers
            .iter()
            .flatten()
            .find(|c| &c.name == name)
            .map(|c| (c.clone(), ContainerRole::Init))
    });
    let regular = actions.start.iter().filter_map(|name| {
        spec?
            .containers
            .iter()
            .find(|c| &c.name == name)
            .map(|c| (c.clone(), ContainerRole::Regular))
    });
    ephemeral.chain(init).chain(regular).collect()
}
