//! The container log rotation loop (the kubelet's container log manager):
//! every `container_log_monitor_interval_ms` the log of each running
//! container of a held pod that reached `container_log_max_size` is
//! rotated ([`crate::log_rotation`] decides the file names) and containerd
//! is asked to reopen it (`ReopenContainerLog`); if it cannot, the file is
//! renamed back, to be tried again next round, as the kubelet does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_cri::v1::{
    ContainerFilter, ContainerState, ContainerStateValue, ContainerStatusRequest,
    ListContainersRequest, ReopenContainerLogRequest,
};

use super::{Inner, now};
use crate::labels;
use crate::log_rotation::{self, RotationError, RotationPolicy};

/// One container's log could not be rotated.
#[derive(Debug, thiserror::Error)]
enum RotateError {
    #[error("CRI {call} failed: {}", source.message())]
    Runtime {
        call: &'static str,
        #[source]
        source: tonic::Status,
    },
    #[error(transparent)]
    Files(#[from] RotationError),
    #[error("cannot rename the log file {from} to {to}")]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the log rotation task failed")]
    Task(#[source] tokio::task::JoinError),
    #[error("cannot read the size of the log file {path}")]
    Size {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn runtime_error(call: &'static str) -> impl FnOnce(tonic::Status) -> RotateError {
    move |source| RotateError::Runtime { call, source }
}

impl Inner {
    /// Rotates logs forever, unless `container_log_max_size` turned it off.
    pub(super) async fn log_rotation_loop(self: Arc<Self>) {
        let Some(policy) = self.config.log_rotation() else {
            tracing::info!("container log rotation is off");
            return;
        };
        let interval = self.config.container_log_monitor_interval();
        loop {
            tokio::time::sleep(interval).await;
            if let Err(error) = self.rotate_logs(policy).await {
                tracing::warn!(error = %error, "cannot list the containers to rotate their logs");
            }
        }
    }

    /// One round: each running container of a pod held and not being
    /// deleted, one at a time.
    async fn rotate_logs(&self, policy: RotationPolicy) -> Result<(), RotateError> {
        let containers = self
            .runtime
            .runtime
            .clone()
            .list_containers(ListContainersRequest {
                filter: Some(ContainerFilter {
                    state: Some(ContainerStateValue {
                        state: ContainerState::ContainerRunning as i32,
                    }),
                    label_selector: labels::managed_selector(&self.config.instance_name),
                    ..ContainerFilter::default()
                }),
            })
            .await
            .map_err(runtime_error("ListContainers"))?
            .into_inner()
            .containers;
        for container in containers {
            let held = container
                .labels
                .get(labels::POD_UID)
                .is_some_and(|uid| self.pods().get(uid).is_some_and(|e| !e.deleting));
            if !held {
                continue;
            }
            if let Err(error) = self.rotate_container_log(&container.id, policy).await {
                tracing::warn!(container = %container.id, error = %error, "container log rotation failed");
            }
        }
        Ok(())
    }

    /// Rotates the log of container `id` if it reached the maximum size
    /// (the kubelet's `processContainer` and `rotateLog`).
    async fn rotate_container_log(
        &self,
        id: &str,
        policy: RotationPolicy,
    ) -> Result<(), RotateError> {
        let mut runtime = self.runtime.runtime.clone();
        let status = match runtime
            .container_status(ContainerStatusRequest {
                container_id: id.to_owned(),
                verbose: false,
            })
            .await
        {
            Ok(reply) => reply.into_inner().status,
            // Removed since the list.
            Err(status) if status.code() == tonic::Code::NotFound => None,
            Err(status) => return Err(runtime_error("ContainerStatus")(status)),
        };
        let Some(path) = status
            .map(|s| PathBuf::from(s.log_path))
            .filter(|p| !p.as_os_str().is_empty())
        else {
            return Ok(());
        };
        let size = match file_size(&path).await? {
            Some(size) => size,
            None => {
                // Renamed, but the reopen failed and so did the rename back
                // (or the plugin stopped in between): the runtime writes
                // into the renamed file; have it create the log again.
                self.reopen(id).await?;
                match file_size(&path).await? {
                    Some(size) => size,
                    None => return Ok(()),
                }
            }
        };
        if size < policy.max_size {
            return Ok(());
        }
        let prepared = path.clone();
        let target = tokio::task::spawn_blocking(move || {
            log_rotation::prepare(&prepared, policy.max_files, now())
        })
        .await
        .map_err(RotateError::Task)??;
        let Some(target) = target else {
            tracing::debug!(container = %id, path = %path.display(), "log rotated in this second already; next round");
            return Ok(());
        };
        rename(&path, &target).await?;
        if let Err(error) = self.reopen(id).await {
            // Renamed back to be rotated next round; should that fail too,
            // the next round's reopen recreates the log.
            if let Err(back) = rename(&target, &path).await {
                tracing::error!(container = %id, error = %back, "cannot rename the rotated log back");
            }
            return Err(error);
        }
        tracing::debug!(container = %id, path = %path.display(), size, rotated = %target.display(), "container log rotated");
        Ok(())
    }

    async fn reopen(&self, id: &str) -> Result<(), RotateError> {
        self.runtime
            .runtime
            .clone()
            .reopen_container_log(ReopenContainerLogRequest {
                container_id: id.to_owned(),
            })
            .await
            .map_err(runtime_error("ReopenContainerLog"))?;
        Ok(())
    }
}

/// The size of the file at `path`; `None` when there is none.
async fn file_size(path: &Path) -> Result<Option<u64>, RotateError> {
    match tokio::fs::metadata(path).await {
        Ok(metadata) => Ok(Some(metadata.len())),
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RotateError::Size {
            path: path.to_owned(),
            source,
        }),
    }
}

async fn rename(from: &Path, to: &Path) -> Result<(), RotateError> {
    tokio::fs::rename(from, to)
        .await
        .map_err(|source| RotateError::Rename {
            from: from.to_owned(),
            to: to.to_owned(),
            source,
        })
}
