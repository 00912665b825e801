//! Starting one container instance, as the kubelet's `startContainer`: the
//! CrashLoopBackOff gate, the image, an ephemeral container's target, the
//! environment as of now, the instance's files (emptyDirs, log directory,
//! termination-message file), then `CreateContainer` and `StartContainer`
//! with their events, and the postStart hook before the sync ends. Older
//! dead instances go with their logs; the newest stays for `lastState`.

use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use k8s_cri::v1::{
    ContainerConfig, ContainerState, ContainerStatus, CreateContainerRequest,
    RemoveContainerRequest, StartContainerRequest,
};
use k8s_openapi::api::core::v1::{Container, Pod};
use vk_plugin_sdk::PodEvent;

use super::sandbox::ReadySandbox;
use super::sync::{SyncFailure, runtime_error};
use super::{Inner, now};
use crate::backoff::{CrashLoopBackoff, StartDecision, backoff_key, backoff_message};
use crate::ephemeral;
use crate::hooks::POST_START_HOOK_ERROR;
use crate::labels::{self, ContainerRole, PodIdentity};
use crate::paths;
use crate::runtime_config::mounts::volume_host_paths;
use crate::runtime_config::{ContainerContext, container_config};
use crate::snapshot::{PodSnapshot, restart_count, state, timestamp};
use crate::status::SyncError;

/// When a container may be started again, per container (CrashLoopBackOff)
/// and per pod and image (a failed pull, [`super::pulling`]).
#[derive(Debug)]
pub(super) struct StartBackoffs {
    pub(super) crash: Mutex<CrashLoopBackoff>,
    pub(super) pull: Mutex<CrashLoopBackoff>,
}

impl StartBackoffs {
    /// Both from `base`, doubling up to `max`.
    pub(super) fn new(base: std::time::Duration, max: std::time::Duration) -> Self {
        Self {
            crash: Mutex::new(CrashLoopBackoff::new(base, max)),
            pull: Mutex::new(CrashLoopBackoff::new(base, max)),
        }
    }

    /// Forgets the delays of a removed pod.
    pub(super) fn forget_pod(&self, uid: &str) {
        if let Ok(mut backoff) = self.crash.lock() {
            backoff.forget_pod(uid);
        }
        if let Ok(mut backoff) = self.pull.lock() {
            backoff.forget_pod(uid);
        }
    }
}

/// A failed start: the waiting reason the status shows, and the failure
/// logged.
pub(super) type StartFailure = (SyncError, SyncFailure);

/// A failure to build the instance's configuration or files:
/// `CreateContainerConfigError`, the failure as its message.
fn config_error(failure: SyncFailure) -> StartFailure {
    (
        SyncError {
            reason: "CreateContainerConfigError".into(),
            message: failure.to_string(),
        },
        failure,
    )
}

/// A failed runtime call: `reason`, the runtime's message as its message.
fn call_failed(
    reason: &'static str,
    call: &'static str,
) -> impl FnOnce(tonic::Status) -> StartFailure {
    move |status| {
        (
            SyncError {
                reason: reason.into(),
                message: status.message().to_owned(),
            },
            runtime_error(call)(status),
        )
    }
}

/// The files an instance is created with.
struct InstanceFiles {
    /// Host path of every pod volume.
    volumes: BTreeMap<String, PathBuf>,
    /// This instance's termination-message file.
    message_file: PathBuf,
}

impl InstanceFiles {
    /// A failed instance leaves no termination-message file behind.
    fn forget_message_file(&self) {
        let _ = std::fs::remove_file(&self.message_file);
    }
}

impl Inner {
    /// Starts one container instance in the pod's ready `sandbox`.
    /// `Ok(None)`: started; `Ok(Some)`: not now, for this reason (back-off,
    /// image, an env that cannot be resolved now); `Err`: it failed.
    pub(super) async fn start_container(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
        sandbox: &ReadySandbox,
        container: &Container,
        role: ContainerRole,
    ) -> Result<Option<SyncError>, StartFailure> {
        let instances = snapshot.instances(&container.name);
        let newest = instances.first().copied();
        if let Some(waiting) = self.crash_loop_wait(uid, pod, container, newest) {
            return Ok(Some(waiting));
        }
        let image_ref = match self.ensure_image(uid, container, &sandbox.config).await {
            Ok(image_ref) => image_ref,
            Err(error) => return Ok(Some(error)),
        };
        let target_container_id = running_target(pod, snapshot, container, role)?;
        // As the kubelet's generateContainerConfig, at every start: the
        // environment as of now, not as of the pod's last CreatePod.
        let current = match self.current_env(pod, container, &sandbox.ips).await {
            Ok(current) => current,
            Err(waiting) => return Ok(Some(waiting)),
        };
        let container = current.as_ref().unwrap_or(container);
        let restart = newest.map_or(0, |n| restart_count(n) + 1);
        self.remove_older_instances(&instances).await;
        let files = self.instance_files(uid, pod, container, &sandbox.config.log_directory)?;
        let seccomp_root = paths::seccomp_dir(&self.config.root_dir);
        let context = ContainerContext {
            instance_name: &self.config.instance_name,
            role,
            restart_count: restart,
            image_ref: &image_ref,
            pod_ips: &sandbox.ips,
            volumes: &files.volumes,
            termination_message_file: Some(&files.message_file),
            seccomp_root: &seccomp_root,
            node_memory_bytes: self.node.memory_bytes,
            target_container_id,
        };
        // Started with its allocated resources (a resize not admitted
        // does not apply).
        let allocated = self
            .pods()
            .get(uid)
            .map(|e| crate::resize::with_allocation(container, &e.resources))
            .unwrap_or_else(|| container.clone());
        let config = container_config(pod, &allocated, &context).map_err(|e| {
            files.forget_message_file();
            config_error(SyncFailure::Build(e))
        })?;
        let id = self.create_instance(sandbox, config, &files).await?;
        if role != ContainerRole::Ephemeral {
            self.record_created(uid, &id, &allocated);
        }
        self.run_instance(uid, pod, container, &id, restart, &sandbox.ips)
            .await?;
        Ok(None)
    }

    /// The CrashLoopBackOff waiting reason when the container's `newest`
    /// instance exited less than its delay ago (a start raises the delay).
    fn crash_loop_wait(
        &self,
        uid: &str,
        pod: &Pod,
        container: &Container,
        newest: Option<&ContainerStatus>,
    ) -> Option<SyncError> {
        let newest = newest.filter(|n| state(n) == ContainerState::ContainerExited)?;
        let key = backoff_key(uid, &container.name, &labels::container_hash(container));
        let finished = timestamp(newest.finished_at).unwrap_or_else(now);
        let decision = self
            .backoffs
            .crash
            .lock()
            .map(|mut b| b.try_start(&key, finished, now()))
            .unwrap_or(StartDecision::Start);
        let StartDecision::BackOff { delay } = decision else {
            return None;
        };
        let identity = PodIdentity::of(pod);
        Some(SyncError {
            reason: "CrashLoopBackOff".into(),
            message: backoff_message(delay, &container.name, &identity.display()),
        })
    }

    /// Keeps the newest dead instance (lastState); older ones go, with
    /// their log files (the kubelet's `removeContainerLog`).
    async fn remove_older_instances(&self, instances: &[&ContainerStatus]) {
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
    }

    /// Makes what the instance mounts or writes: the pod's emptyDirs, the
    /// container's log directory under `log_directory` (the sandbox's) and
    /// a fresh termination-message file.
    fn instance_files(
        &self,
        uid: &str,
        pod: &Pod,
        container: &Container,
        log_directory: &str,
    ) -> Result<InstanceFiles, StartFailure> {
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
        let log_dir = PathBuf::from(log_directory).join(&container.name);
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
        Ok(InstanceFiles {
            volumes,
            message_file,
        })
    }

    /// `CreateContainer` in the sandbox; the new instance's id.
    async fn create_instance(
        &self,
        sandbox: &ReadySandbox,
        config: ContainerConfig,
        files: &InstanceFiles,
    ) -> Result<String, StartFailure> {
        let created = self
            .runtime
            .runtime
            .clone()
            .create_container(CreateContainerRequest {
                pod_sandbox_id: sandbox.id.clone(),
                config: Some(config),
                sandbox_config: Some(sandbox.config.clone()),
            })
            .await
            .map_err(|status| {
                files.forget_message_file();
                call_failed("CreateContainerError", "CreateContainer")(status)
            })?;
        Ok(created.into_inner().container_id)
    }

    /// `StartContainer` of the created instance `id`, with the `Created`
    /// and `Started` events, then its postStart hook: as the kubelet's
    /// startContainer, the hook runs before the sync ends, so the status
    /// shows the container running only after it.
    async fn run_instance(
        &self,
        uid: &str,
        pod: &Pod,
        container: &Container,
        id: &str,
        restart: u32,
        pod_ips: &[String],
    ) -> Result<(), StartFailure> {
        let event = |event: PodEvent| self.report(uid, event.about(&container.name));
        event(PodEvent::normal(
            "Created",
            format!("Created container: {}", container.name),
        ));
        self.runtime
            .runtime
            .clone()
            .start_container(StartContainerRequest {
                container_id: id.to_owned(),
            })
            .await
            .map_err(call_failed("RunContainerError", "StartContainer"))?;
        tracing::info!(container = %container.name, id = %id, restart, "container started");
        event(PodEvent::normal(
            "Started",
            format!("Started container {}", container.name),
        ));
        self.post_start(pod, container, id, pod_ips)
            .await
            .map_err(|message| {
                (
                    SyncError {
                        reason: POST_START_HOOK_ERROR.into(),
                        message: message.clone(),
                    },
                    SyncFailure::PostStartHook(message),
                )
            })
    }
}

/// An ephemeral container's target must be running (the kubelet's
/// getTargetID), checked before anything is made for the instance: the
/// target's instance id, `None` for any other container.
fn running_target<'a>(
    pod: &Pod,
    snapshot: &'a PodSnapshot,
    container: &Container,
    role: ContainerRole,
) -> Result<Option<&'a str>, StartFailure> {
    let Some(target) = ephemeral::target_of(pod, &container.name) else {
        return Ok(None);
    };
    if role != ContainerRole::Ephemeral {
        return Ok(None);
    }
    snapshot
        .newest(target)
        .filter(|s| state(s) == ContainerState::ContainerRunning)
        .map(|s| Some(s.id.as_str()))
        .ok_or_else(|| {
            config_error(SyncFailure::Target(format!(
                "unable to find target container {target}"
            )))
        })
}

/// Removes a removed container instance's log and its rotated files.
async fn remove_logs(log_path: PathBuf) {
    let removed =
        tokio::task::spawn_blocking(move || crate::log_rotation::remove_all(&log_path)).await;
    if let Ok(Err(error)) = removed {
        tracing::warn!(error = %error, "cannot remove the logs of a removed container");
    }
}

fn make_dir(path: &Path, mode: u32) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)?;
    // The umask may have narrowed it.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// An empty file any container user may write (as the kubelet makes it).
fn make_termination_file(path: &Path) -> std::io::Result<()> {
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
