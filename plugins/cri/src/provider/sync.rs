//! The relist loop and per-pod sync (the kubelet's PLEG relist plus
//! `SyncPod`): every `relist_interval_ms` the plugin lists its sandboxes
//! and containers by the managed-by label, groups them by pod, and for each
//! pod it holds runs the sandbox, pulls images, starts init containers in
//! order and then the containers (restarting per `restartPolicy` through
//! CrashLoopBackOff), keeps sidecars running, then reports the status.
//! Pods are synced in parallel, each by at most one task at a time.
//! Termination (`terminate`) stops the regular containers, then the
//! sidecars in reverse order, within the grace period, then removes the
//! sandbox and state.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use k8s_cri::v1::{
    ContainerFilter, ContainerState, ContainerStatusRequest, CreateContainerRequest,
    ListContainersRequest, ListPodSandboxRequest, PodSandboxConfig, PodSandboxFilter,
    PodSandboxState, PodSandboxStatusRequest, RemoveContainerRequest, RemovePodSandboxRequest,
    RunPodSandboxRequest, StartContainerRequest, StopPodSandboxRequest,
};
use k8s_openapi::api::core::v1::{Container, Pod};
use tracing::Instrument as _;

use vk_plugin_sdk::PodEvent;

use super::setup_retry::SetupStep;
use super::{Inner, events, grace_seconds, now, store};
use crate::backoff::{StartDecision, backoff_key, backoff_message};
use crate::ephemeral;
use crate::hooks::POST_START_HOOK_ERROR;
use crate::labels::{self, ContainerAnnotations, ContainerRole, PodIdentity};
use crate::paths;
use crate::restart::stop_order;
use crate::sandbox_change::{SandboxChange, sandbox_change};
use crate::snapshot::{PodSnapshot, restart_count, state, timestamp};
use crate::spec::mounts::volume_host_paths;
use crate::spec::{ContainerContext, SandboxContext, container_config, sandbox_config};
use crate::spec_change;
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
    Build(#[from] crate::spec::BuildError),
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
    fn kubelet_text(&self) -> String {
        match self {
            Self::Runtime { status, .. } => crate::cri::grpc_error_text(status),
            other => other.to_string(),
        }
    }
}

/// Removes a removed container instance's log and its rotated files.
async fn remove_logs(log_path: PathBuf) {
    let removed =
        tokio::task::spawn_blocking(move || crate::log_rotation::remove_all(&log_path)).await;
    if let Ok(Err(error)) = removed {
        tracing::warn!(error = %error, "cannot remove the logs of a removed container");
    }
}

fn runtime_error(call: &'static str) -> impl FnOnce(tonic::Status) -> SyncFailure {
    move |status| SyncFailure::Runtime { call, status }
}

impl Inner {
    /// Relists forever: at every interval, or at once when a pod arrives.
    pub(super) async fn relist_loop(self: Arc<Self>) {
        let interval = self.config.relist_interval();
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = self.wake.notified() => {}
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
                    self.runtime_ok.store(true, Ordering::Relaxed);
                    snapshots
                }
                Err(error) => {
                    self.runtime_ok.store(false, Ordering::Relaxed);
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
            self.crash_backoff
                .lock()
                .map(|mut b| b.forget_stale(now))
                .ok();
        }
    }

    /// Recomputes every held pod's status from the runtime (at start).
    pub(super) async fn refresh_all_statuses(&self) {
        match self
            .fetch(labels::managed_selector(&self.config.instance_name))
            .await
        {
            Ok(mut snapshots) => {
                let uids: Vec<String> = self.pods().keys().cloned().collect();
                for uid in uids {
                    let snapshot = snapshots.remove(&uid).unwrap_or_default();
                    self.set_status(&uid, &snapshot);
                }
            }
            Err(error) => {
                self.runtime_ok.store(false, Ordering::Relaxed);
                tracing::warn!(error = %error, "first relist failed");
            }
        }
    }

    /// The sandboxes and containers matching `selector`, by pod UID.
    async fn fetch(
        &self,
        selector: HashMap<String, String>,
    ) -> Result<HashMap<String, PodSnapshot>, SyncFailure> {
        let mut runtime = self.runtime.runtime.clone();
        let sandboxes = runtime
            .list_pod_sandbox(ListPodSandboxRequest {
                filter: Some(PodSandboxFilter {
                    label_selector: selector.clone(),
                    ..PodSandboxFilter::default()
                }),
            })
            .await
            .map_err(runtime_error("ListPodSandbox"))?
            .into_inner()
            .items;
        let containers = runtime
            .list_containers(ListContainersRequest {
                filter: Some(ContainerFilter {
                    label_selector: selector,
                    ..ContainerFilter::default()
                }),
            })
            .await
            .map_err(runtime_error("ListContainers"))?
            .into_inner()
            .containers;
        let mut snapshots: HashMap<String, PodSnapshot> = HashMap::new();
        for sandbox in sandboxes {
            let Some(uid) = sandbox.labels.get(labels::POD_UID).cloned() else {
                continue;
            };
            let status = match runtime
                .pod_sandbox_status(PodSandboxStatusRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                    verbose: false,
                })
                .await
            {
                Ok(reply) => reply.into_inner().status,
                // Removed between the list and the status call.
                Err(status) if status.code() == tonic::Code::NotFound => None,
                Err(status) => return Err(runtime_error("PodSandboxStatus")(status)),
            };
            if let Some(status) = status {
                snapshots.entry(uid).or_default().sandboxes.push(status);
            }
        }
        let mut seen = Vec::with_capacity(containers.len());
        for container in containers {
            let Some(uid) = container.labels.get(labels::POD_UID).cloned() else {
                continue;
            };
            seen.push(container.id.clone());
            let cached = self
                .exited
                .lock()
                .ok()
                .and_then(|c| c.get(&container.id).cloned());
            let status = match cached {
                Some(status) => status,
                None => match runtime
                    .container_status(ContainerStatusRequest {
                        container_id: container.id.clone(),
                        verbose: false,
                    })
                    .await
                {
                    Ok(reply) => match reply.into_inner().status {
                        Some(status) if state(&status) == ContainerState::ContainerExited => {
                            // Final: its termination message is read once
                            // (file, or log fallback) and cached with it.
                            let status = with_termination_message(status).await;
                            if let Ok(mut cache) = self.exited.lock() {
                                cache.insert(status.id.clone(), status.clone());
                            }
                            status
                        }
                        Some(status) => status,
                        None => continue,
                    },
                    Err(status) if status.code() == tonic::Code::NotFound => continue,
                    Err(status) => return Err(runtime_error("ContainerStatus")(status)),
                },
            };
            snapshots.entry(uid).or_default().containers.push(status);
        }
        if let Ok(mut cache) = self.exited.lock() {
            cache.retain(|id, _| seen.contains(id));
        }
        Ok(snapshots)
    }

    /// The runtime's view of one pod.
    pub(super) async fn fetch_pod(&self, uid: &str) -> Result<PodSnapshot, SyncFailure> {
        let mut snapshots = self
            .fetch(labels::pod_selector(&self.config.instance_name, uid))
            .await?;
        Ok(snapshots.remove(uid).unwrap_or_default())
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
        let actions = spec_change::actions(pod, snapshot, &self.probes.results(), &restarting);
        if actions.kill_pod {
            let Some(sandbox) = snapshot
                .newest_sandbox()
                .filter(|_| snapshot.sandbox_ready())
            else {
                return Ok(false);
            };
            // Finished for good: stop what still runs (sidecars, last
            // first) with the pod's grace period, then release the sandbox
            // (and its IP), as the kubelet's killPodWithSyncResult.
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
            return Ok(true);
        }
        // As the kubelet's SyncPod: ephemeral containers first (they can
        // debug a pod whose init containers fail), then init, then regular.
        let to_start: Vec<(Container, ContainerRole)> = {
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
        };
        if to_start.is_empty() {
            return Ok(false);
        }
        // As the kubelet (WaitForAttachAndMount), volumes before the sandbox;
        // until both are set up the containers wait in ContainerCreating.
        let waiting: Vec<&str> = to_start.iter().map(|(c, _)| c.name.as_str()).collect();
        if !self.may_try(uid, SetupStep::Volumes) {
            return Ok(false);
        }
        let pod_dir = paths::pod_dir(&self.config.root_dir, uid);
        if let Err(error) = self.volumes.set_up(uid, pod, &pod_dir).await {
            self.setup_failed(uid, SetupStep::Volumes, error.to_string(), &waiting);
            return Ok(false);
        }
        self.setup_succeeded(uid, SetupStep::Volumes);
        let creating = snapshot
            .newest_sandbox()
            .filter(|_| snapshot.sandbox_ready())
            .is_none();
        if creating && !self.may_try(uid, SetupStep::Sandbox) {
            return Ok(false);
        }
        let (sandbox_id, sandbox_config, pod_ips, created) =
            match self.ensure_sandbox(uid, pod, snapshot).await {
                Ok(sandbox) => sandbox,
                Err(failure) if creating => {
                    let message =
                        format!("Failed to create pod sandbox: {}", failure.kubelet_text());
                    self.setup_failed(uid, SetupStep::Sandbox, message, &waiting);
                    return Ok(false);
                }
                Err(failure) => return Err(failure),
            };
        self.setup_succeeded(uid, SetupStep::Sandbox);
        let mut changed = created;
        for (container, role) in to_start {
            let outcome = self
                .start_container(
                    uid,
                    pod,
                    &container,
                    role,
                    snapshot,
                    &sandbox_id,
                    &sandbox_config,
                    &pod_ips,
                )
                .await;
            let mut pods = self.pods();
            let Some(entry) = pods.get_mut(uid) else {
                break;
            };
            let waiting = match outcome {
                Ok(Some(error)) => Some(error),
                Ok(None) => {
                    entry.sync_errors.remove(&container.name);
                    changed = true;
                    None
                }
                Err((error, failure)) => {
                    tracing::warn!(container = %container.name, error = %failure, "container start failed");
                    changed = true;
                    Some(error)
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
        }
        Ok(changed)
    }

    /// The pod's ready sandbox, run now when there is none: its id, config,
    /// IPs, and whether it was just created.
    async fn ensure_sandbox(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
    ) -> Result<(String, PodSandboxConfig, Vec<String>, bool), SyncFailure> {
        let context = SandboxContext {
            instance_name: &self.config.instance_name,
            pod_logs_dir: &self.config.pod_logs_dir,
            cgroup_root: &self.config.cgroup_root,
            dns: &self.dns,
        };
        let host_network = pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let ips_of = |status: &k8s_cri::v1::PodSandboxStatus| -> Vec<String> {
            if host_network {
                return self.node_ips.iter().map(ToString::to_string).collect();
            }
            status
                .network
                .iter()
                .flat_map(|n| {
                    std::iter::once(n.ip.clone())
                        .chain(n.additional_ips.iter().map(|i| i.ip.clone()))
                })
                .filter(|ip| !ip.is_empty())
                .collect()
        };
        if let Some(sandbox) = snapshot
            .newest_sandbox()
            .filter(|_| snapshot.sandbox_ready())
        {
            let attempt = sandbox.metadata.as_ref().map_or(0, |m| m.attempt);
            let config = sandbox_config(pod, attempt, &context)?;
            return Ok((sandbox.id.clone(), config, ips_of(sandbox), false));
        }
        let attempt = snapshot
            .newest_sandbox()
            .map_or(0, |s| s.metadata.as_ref().map_or(0, |m| m.attempt) + 1);
        let config = sandbox_config(pod, attempt, &context)?;
        let log_dir = PathBuf::from(&config.log_directory);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(&log_dir)
            .map_err(|source| SyncFailure::Io {
                what: format!("creating the pod log directory {}", log_dir.display()),
                source,
            })?;
        let mut runtime = self.runtime.runtime.clone();
        let id = runtime
            .run_pod_sandbox(RunPodSandboxRequest {
                config: Some(config.clone()),
                runtime_handler: String::new(),
            })
            .await
            .map_err(runtime_error("RunPodSandbox"))?
            .into_inner()
            .pod_sandbox_id;
        tracing::info!(sandbox = %id, attempt, "sandbox running");
        let status = runtime
            .pod_sandbox_status(PodSandboxStatusRequest {
                pod_sandbox_id: id.clone(),
                verbose: false,
            })
            .await
            .map_err(runtime_error("PodSandboxStatus"))?
            .into_inner()
            .status
            .unwrap_or_default();
        let _ = uid;
        Ok((id, config, ips_of(&status), true))
    }

    /// Starts one container instance. `Ok(None)`: started; `Ok(Some)`:
    /// not now, for this reason (back-off, image, an env that cannot be
    /// resolved now); `Err`: it failed.
    #[allow(clippy::too_many_arguments)]
    async fn start_container(
        &self,
        uid: &str,
        pod: &Pod,
        container: &Container,
        role: ContainerRole,
        snapshot: &PodSnapshot,
        sandbox_id: &str,
        sandbox_config: &PodSandboxConfig,
        pod_ips: &[String],
    ) -> Result<Option<SyncError>, (SyncError, SyncFailure)> {
        let identity = PodIdentity::of(pod);
        let instances = snapshot.instances(&container.name);
        let newest = instances.first().copied();
        if let Some(newest) = newest.filter(|n| state(n) == ContainerState::ContainerExited) {
            let key = backoff_key(uid, &container.name, &labels::container_hash(container));
            let finished = timestamp(newest.finished_at).unwrap_or_else(now);
            let decision = self
                .crash_backoff
                .lock()
                .map(|mut b| b.try_start(&key, finished, now()))
                .unwrap_or(StartDecision::Start);
            if let StartDecision::BackOff { delay } = decision {
                return Ok(Some(SyncError {
                    reason: "CrashLoopBackOff".into(),
                    message: backoff_message(delay, &container.name, &identity.display()),
                }));
            }
        }
        let image_ref = match self.ensure_image(uid, container, sandbox_config).await {
            Ok(image_ref) => image_ref,
            Err(error) => return Ok(Some(error)),
        };
        // An ephemeral container's target must be running (the kubelet's
        // getTargetID), checked before anything is made for the instance.
        let target_container_id = match ephemeral::target_of(pod, &container.name) {
            Some(target) if role == ContainerRole::Ephemeral => Some(
                snapshot
                    .newest(target)
                    .filter(|s| state(s) == ContainerState::ContainerRunning)
                    .map(|s| s.id.as_str())
                    .ok_or_else(|| {
                        let message = format!("unable to find target container {target}");
                        (
                            SyncError {
                                reason: "CreateContainerConfigError".into(),
                                message: message.clone(),
                            },
                            SyncFailure::Target(message),
                        )
                    })?,
            ),
            _ => None,
        };
        // As the kubelet's generateContainerConfig, at every start: the
        // environment as of now, not as of the pod's last CreatePod.
        let current = match self.current_env(pod, container, pod_ips).await {
            Ok(current) => current,
            Err(waiting) => return Ok(Some(waiting)),
        };
        let container = current.as_ref().unwrap_or(container);
        let restart = newest.map_or(0, |n| restart_count(n) + 1);
        // Keep the newest dead instance (lastState); older ones go, with
        // their log files (the kubelet's `removeContainerLog`).
        for old in instances.iter().skip(1) {
            if state(old) == ContainerState::ContainerExited {
                let removed = self
                    .runtime
                    .runtime
                    .clone()
                    .remove_container(RemoveContainerRequest {
                        container_id: old.id.clone(),
                    })
                    .await;
                if removed.is_ok() && !old.log_path.is_empty() {
                    remove_logs(PathBuf::from(&old.log_path)).await;
                }
            }
        }
        let config_error = |failure: SyncFailure| {
            (
                SyncError {
                    reason: "CreateContainerConfigError".into(),
                    message: failure.to_string(),
                },
                failure,
            )
        };
        let pod_dir = paths::pod_dir(&self.config.root_dir, uid);
        let volumes = volume_host_paths(pod, &pod_dir)
            .map_err(|e| config_error(SyncFailure::Build(e.into())))?;
        for (name, path) in &volumes {
            let is_empty_dir = pod
                .spec
                .as_ref()
                .and_then(|s| s.volumes.as_ref())
                .into_iter()
                .flatten()
                .any(|v| &v.name == name && v.empty_dir.is_some());
            if is_empty_dir && !path.exists() {
                make_dir(path, 0o777).map_err(|source| {
                    config_error(SyncFailure::Io {
                        what: format!("creating emptyDir {}", path.display()),
                        source,
                    })
                })?;
            }
        }
        let log_dir = PathBuf::from(&sandbox_config.log_directory).join(&container.name);
        make_dir(&log_dir, 0o755).map_err(|source| {
            config_error(SyncFailure::Io {
                what: format!("creating the log directory {}", log_dir.display()),
                source,
            })
        })?;
        let message_file = pod_dir
            .join("containers")
            .join(&container.name)
            .join(format!("{:08x}", rand_suffix()));
        make_termination_file(&message_file).map_err(|source| {
            config_error(SyncFailure::Io {
                what: format!(
                    "creating the termination-message file {}",
                    message_file.display()
                ),
                source,
            })
        })?;
        let seccomp_root = paths::seccomp_dir(&self.config.root_dir);
        let context = ContainerContext {
            instance_name: &self.config.instance_name,
            role,
            restart_count: restart,
            image_ref: &image_ref,
            pod_ips,
            volumes: &volumes,
            termination_message_file: Some(&message_file),
            seccomp_root: &seccomp_root,
            node_memory_bytes: self.node_memory_bytes,
            target_container_id,
        };
        // A failed instance leaves no termination-message file behind.
        let forget_message_file = || {
            let _ = std::fs::remove_file(&message_file);
        };
        // Started with its allocated resources (a resize not admitted
        // does not apply).
        let allocated = self
            .pods()
            .get(uid)
            .map(|e| crate::resize::with_allocation(container, &e.resources))
            .unwrap_or_else(|| container.clone());
        let config = container_config(pod, &allocated, &context).map_err(|e| {
            forget_message_file();
            config_error(SyncFailure::Build(e))
        })?;
        let mut runtime = self.runtime.runtime.clone();
        let id = runtime
            .create_container(CreateContainerRequest {
                pod_sandbox_id: sandbox_id.to_owned(),
                config: Some(config),
                sandbox_config: Some(sandbox_config.clone()),
            })
            .await
            .map_err(|status| {
                forget_message_file();
                (
                    SyncError {
                        reason: "CreateContainerError".into(),
                        message: status.message().to_owned(),
                    },
                    runtime_error("CreateContainer")(status),
                )
            })?
            .into_inner()
            .container_id;
        if role != ContainerRole::Ephemeral {
            self.record_created(uid, &id, &allocated);
        }
        let event = |event: PodEvent| self.report(uid, event.about(&container.name));
        event(PodEvent::normal(
            "Created",
            format!("Created container: {}", container.name),
        ));
        runtime
            .start_container(StartContainerRequest {
                container_id: id.clone(),
            })
            .await
            .map_err(|status| {
                (
                    SyncError {
                        reason: "RunContainerError".into(),
                        message: status.message().to_owned(),
                    },
                    runtime_error("StartContainer")(status),
                )
            })?;
        tracing::info!(container = %container.name, id = %id, restart, "container started");
        event(PodEvent::normal(
            "Started",
            format!("Started container {}", container.name),
        ));
        // As the kubelet's startContainer: the hook runs before the sync
        // ends, so the status shows the container running only after it.
        if let Err(message) = self.post_start(pod, container, &id, pod_ips).await {
            return Err((
                SyncError {
                    reason: POST_START_HOOK_ERROR.into(),
                    message: message.clone(),
                },
                SyncFailure::PostStartHook(message),
            ));
        }
        Ok(None)
    }

    /// Stops a deleted pod: the running regular containers in parallel,
    /// then the sidecars last first ([`Self::stop_containers`]), each with
    /// its preStop hook and then `StopContainer` with the rest of the grace
    /// period, reports the stopped status, then removes the sandboxes, the
    /// pod's state and forgets it.
    pub(super) async fn terminate(
        self: Arc<Self>,
        uid: String,
        grace_seconds: i64,
        lock: Arc<tokio::sync::Mutex<()>>,
    ) {
        let _serialized = lock.lock_owned().await;
        // Liveness and startup probes end with the deletion.
        self.sync_probes(&uid);
        let started = std::time::Instant::now();
        let snapshot = loop {
            match self.fetch_pod(&uid).await {
                Ok(snapshot) => break snapshot,
                Err(error) => {
                    tracing::warn!(%uid, error = %error, "cannot list the pod to stop it; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        let pod = self
            .pods()
            .get(&uid)
            .map(|e| e.pod.clone())
            .unwrap_or_default();
        self.stop_containers(&uid, &pod, &snapshot, grace_seconds)
            .await;
        match self.fetch_pod(&uid).await {
            Ok(stopped) => self.set_status(&uid, &stopped),
            Err(error) => tracing::warn!(%uid, error = %error, "relisting the stopped pod failed"),
        }
        let mut runtime = self.runtime.runtime.clone();
        for sandbox in &snapshot.sandboxes {
            let id = sandbox.id.clone();
            if sandbox.state == PodSandboxState::SandboxReady as i32
                && let Err(status) = runtime
                    .stop_pod_sandbox(StopPodSandboxRequest {
                        pod_sandbox_id: id.clone(),
                    })
                    .await
            {
                tracing::warn!(sandbox = %id, error = %status.message(), "StopPodSandbox failed");
            }
            if let Err(status) = runtime
                .remove_pod_sandbox(RemovePodSandboxRequest {
                    pod_sandbox_id: id.clone(),
                })
                .await
            {
                tracing::warn!(sandbox = %id, error = %status.message(), "RemovePodSandbox failed");
            }
        }
        self.remove_pod_cgroup(&uid);
        // The kubelet's container GC removes a deleted pod's logs too.
        if !pod.metadata.name.as_deref().unwrap_or_default().is_empty() {
            let logs = paths::pod_log_dir(&self.config.pod_logs_dir, &PodIdentity::of(&pod));
            match tokio::fs::remove_dir_all(&logs).await {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(%uid, path = %logs.display(), %error, "cannot remove the pod's log directory");
                }
                _ => {}
            }
        }
        if let Err(error) = store::remove(&self.config.root_dir, &uid) {
            tracing::warn!(%uid, %error, "cannot remove the pod's state directory");
        }
        self.pods().remove(&uid);
        self.probes.forget_pod(&uid);
        if let Ok(mut backoff) = self.crash_backoff.lock() {
            backoff.forget_pod(&uid);
        }
        if let Ok(mut backoff) = self.pull_backoff.lock() {
            backoff.forget_pod(&uid);
        }
        tracing::info!(%uid, elapsed = ?started.elapsed(), "pod stopped and removed");
    }

    /// Stops the running containers of a pod within `grace_seconds` from
    /// now, in [`stop_order`]: the regular containers in parallel, then
    /// the sidecars one at a time, last first, each killed (`Killing`
    /// event, preStop hook, `StopContainer`) with what is left of the grace
    /// period in whole seconds, rounded up (at least 2 s after its hook;
    /// none when the grace period is 0). A container the spec no longer has
    /// is stopped with the first group, with the hooks its annotations
    /// recorded.
    pub(super) async fn stop_containers(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
        grace_seconds: i64,
    ) {
        let deadline =
            std::time::Instant::now() + Duration::from_secs(grace_seconds.max(0).unsigned_abs());
        let pod_ip = self.pod_ip(uid);
        for group in stop_order(Some(pod), snapshot) {
            // Whole seconds left, rounded up: the first group gets all of it.
            let left_ms = deadline
                .saturating_duration_since(std::time::Instant::now())
                .as_millis();
            let left = i64::try_from(left_ms.div_ceil(1000)).unwrap_or(grace_seconds);
            let grace = if grace_seconds == 0 { 0 } else { left.max(2) };
            let kills = group.iter().filter_map(|id| {
                let instance = snapshot.containers.iter().find(|c| &c.id == id)?;
                let name = crate::snapshot::container_name(instance).unwrap_or_default();
                // The spec's hooks; the annotations' when the spec no longer
                // has the container (`restoreSpecsFromContainerLabels`).
                let container = pod
                    .spec
                    .iter()
                    .flat_map(|s| {
                        s.containers
                            .iter()
                            .chain(s.init_containers.iter().flatten())
                    })
                    .find(|c| c.name == name)
                    .cloned()
                    .unwrap_or_else(|| {
                        ContainerAnnotations::parse(&instance.annotations).restored_container(name)
                    });
                let pod_ip = pod_ip.clone();
                Some(async move {
                    let why = format!("Stopping container {}", container.name);
                    self.kill_container(pod, id, &container, grace, pod_ip.as_deref(), &why)
                        .await;
                })
            });
            futures::future::join_all(kills).await;
        }
    }

    /// Removes the pod's cgroup (`<cgroup_root>/pod<uid>`) in every
    /// hierarchy; runc removes the containers' own, not their parent.
    fn remove_pod_cgroup(&self, uid: &str) {
        let relative = format!("{}/pod{uid}", self.config.cgroup_root.trim_matches('/'));
        let mut roots = vec![PathBuf::from("/sys/fs/cgroup")];
        if let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") {
            roots.extend(entries.flatten().map(|e| e.path()));
        }
        for root in roots {
            let path = root.join(&relative);
            if path.is_dir() {
                let _ = std::fs::remove_dir(&path);
            }
        }
    }
}

/// `status` with its termination message added (file reads, off the
/// async threads).
async fn with_termination_message(
    status: k8s_cri::v1::ContainerStatus,
) -> k8s_cri::v1::ContainerStatus {
    let fallback = status.clone();
    tokio::task::spawn_blocking(move || {
        let mut status = status;
        crate::termination::add_termination_message(&mut status);
        status
    })
    .await
    .unwrap_or(fallback)
}

fn make_dir(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)?;
    // The umask may have narrowed it.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// An empty file any container user may write (as the kubelet makes it).
fn make_termination_file(path: &std::path::Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        make_dir(parent, 0o755)?;
    }
    std::fs::File::create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
}

/// Eight hex digits that differ between calls (file names, not secrets).
fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now().as_nanosecond().unsigned_abs());
    hasher.finish() as u32
}
