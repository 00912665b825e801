//! A container's environment as of now, asked of the host
//! (`HostCallbacks.GetContainerEnv`) before each of its instances is
//! created, first start and restarts alike: the kubelet resolves env in
//! `generateContainerConfig` at every start, and the pod's own env holds
//! the values of its last CreatePod/UpdatePod (a ConfigMap patched since
//! sends neither). A required key missing now keeps the container waiting
//! with the kubelet's `CreateContainerConfigError` and message, retried at
//! later syncs; so does a host that cannot answer. Without callbacks, or
//! with a host older than the call, the pod's env is used.

use k8s_openapi::api::core::v1::{Container, Pod};
use vk_plugin_sdk::PodKey;

use super::Inner;
use crate::status::SyncError;

/// The kubelet's waiting reason for a container it cannot configure.
const CREATE_CONTAINER_CONFIG_ERROR: &str = "CreateContainerConfigError";

impl Inner {
    /// `container` with the host's current `env`, `command` and `args`;
    /// `Ok(None)`: use it as the pod has it (no callbacks, or a host
    /// without the call); `Err`: it waits, for this reason.
    pub(super) async fn current_env(
        &self,
        pod: &Pod,
        container: &Container,
        pod_ips: &[String],
    ) -> Result<Option<Container>, SyncError> {
        let Some(host) = self.host.callbacks.as_ref() else {
            return Ok(None);
        };
        let key = PodKey::of(pod);
        match host.get_container_env(&key, &container.name, pod_ips).await {
            Ok(current) => Ok(Some(with_env_of(container, current))),
            Err(status) => {
                let outcome = waiting_for(&container.name, &status);
                match &outcome {
                    None => {
                        tracing::debug!(container = %container.name, "the host has no GetContainerEnv; the pod's env is used");
                    }
                    Some(error) => {
                        tracing::debug!(container = %container.name, code = ?status.code(), error = %error.message, "the container's env cannot be resolved now; retrying at a later sync");
                    }
                }
                outcome.map_or(Ok(None), Err)
            }
        }
    }
}

/// `spec` with the `env`, `command` and `args` of `current` (the host's
/// copy of the same container, resolved now). The rest stays the plugin's:
/// those fields cannot change in a running pod, and the image and
/// resources the plugin holds are what this instance runs with.
pub(super) fn with_env_of(spec: &Container, current: Container) -> Container {
    Container {
        env: current.env,
        env_from: None,
        command: current.command,
        args: current.args,
        ..spec.clone()
    }
}

/// What a failed GetContainerEnv means for the container: `None` to use
/// the pod's env (a host older than the call), else the waiting reason
/// (`CreateContainerConfigError`, as the kubelet shows a container whose
/// env cannot be built, whatever the cause): the kubelet's own message for
/// a missing object or key, the host's error otherwise.
pub(super) fn waiting_for(container: &str, status: &tonic::Status) -> Option<SyncError> {
    let message = match status.code() {
        tonic::Code::Unimplemented => return None,
        tonic::Code::FailedPrecondition => status.message().to_owned(),
        _ => format!(
            "cannot resolve the environment of container {container} through vk-host: {}",
            status.message()
        ),
    };
    Some(SyncError {
        reason: CREATE_CONTAINER_CONFIG_ERROR.into(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::EnvVar;

    use super::*;

    fn container(value: &str, image: &str) -> Container {
        Container {
            name: "main".into(),
            image: Some(image.into()),
            command: Some(vec!["sh".into(), "-c".into(), format!("echo {value}")]),
            args: Some(vec![value.into()]),
            env: Some(vec![EnvVar {
                name: "URL".into(),
                value: Some(value.into()),
                value_from: None,
            }]),
            ..Container::default()
        }
    }

    #[test]
    fn env_command_and_args_come_from_the_host_the_rest_from_the_pod() {
        let spec = container("old", "busybox:1");
        let merged = with_env_of(&spec, container("new", "busybox:2"));
        assert_eq!(merged.env, container("new", "x").env);
        assert_eq!(merged.command, container("new", "x").command);
        assert_eq!(merged.args, Some(vec!["new".to_owned()]));
        assert_eq!(merged.image.as_deref(), Some("busybox:1"));
    }

    #[test]
    fn host_errors_become_the_kubelets_waiting_reason() {
        let missing = waiting_for(
            "main",
            &tonic::Status::failed_precondition("couldn't find key url in ConfigMap ns/app"),
        )
        .expect("waits");
        assert_eq!(
            missing,
            SyncError {
                reason: "CreateContainerConfigError".into(),
                message: "couldn't find key url in ConfigMap ns/app".into(),
            }
        );
        let unavailable = waiting_for("main", &tonic::Status::unavailable("API down"))
            .expect("waits, retried later");
        assert_eq!(unavailable.reason, "CreateContainerConfigError");
        assert!(
            unavailable.message.contains("container main")
                && unavailable.message.contains("API down"),
            "{unavailable:?}"
        );
        assert_eq!(
            waiting_for("main", &tonic::Status::unimplemented("old host")),
            None,
            "an older host: the pod's env"
        );
    }
}
