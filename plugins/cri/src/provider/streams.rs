//! Exec, attach and port-forward: ask CRI for a one-time streaming URL
//! (`Exec`, `Attach`, `PortForward`) and splice the SDK session to it with
//! [`crate::streaming`], as the kubelet proxies kubectl to the same URL.

use std::collections::HashMap;

use k8s_cri::v1::{
    AttachRequest, ExecRequest as CriExecRequest, ListPodSandboxRequest, PodSandboxFilter,
    PodSandboxState, PodSandboxStateValue, PortForwardRequest,
};
use vk_plugin_sdk::{
    ExecRequest, ExecSession, ExitStatus, PodKey, PortForwardConnection, ProviderError, error_chain,
};

use super::{CriProvider, Inner};
use crate::labels;
use crate::streaming::{self, Channels, SessionEnd, StreamError};

impl From<StreamError> for ProviderError {
    fn from(error: StreamError) -> Self {
        match error {
            StreamError::Remote(message) => ProviderError::FailedPrecondition(message),
            // The causes on the same line, for the message kubectl shows.
            other => ProviderError::Unavailable(error_chain::line(&other)),
        }
    }
}

fn cri_error(call: &'static str) -> impl Fn(tonic::Status) -> ProviderError {
    move |status| ProviderError::Unavailable(format!("CRI {call}: {}", status.message()))
}

/// What a client sees when its session ended because it left.
fn end_status(end: SessionEnd) -> ExitStatus {
    match end {
        SessionEnd::Exited(status) => status,
        SessionEnd::ClientGone => ExitStatus::code(0),
    }
}

impl Inner {
    /// The runtime id of the running container `name` of the pod `key`.
    fn running_container(&self, key: &PodKey, name: &str) -> Result<String, ProviderError> {
        let uid = self
            .find(key)
            .ok_or_else(|| ProviderError::NotFound(key.to_string()))?;
        let (id, _, running) = self.container_instance(&uid, name)?;
        id.filter(|_| running).ok_or_else(|| {
            ProviderError::FailedPrecondition(format!("container {name} is not running"))
        })
    }

    /// Whether the spec gives the container `name` a terminal (attach must
    /// match it, as the kubelet's `GetAttach` does).
    fn container_tty(&self, key: &PodKey, name: &str) -> bool {
        let Some(uid) = self.find(key) else {
            return false;
        };
        self.pods()
            .get(&uid)
            .is_some_and(|entry| crate::ephemeral::container_tty(&entry.pod, name) == Some(true))
    }

    /// The id of the pod's newest ready sandbox.
    async fn ready_sandbox(&self, key: &PodKey) -> Result<String, ProviderError> {
        let uid = self
            .find(key)
            .ok_or_else(|| ProviderError::NotFound(key.to_string()))?;
        let sandboxes = self
            .runtime
            .runtime
            .clone()
            .list_pod_sandbox(ListPodSandboxRequest {
                filter: Some(PodSandboxFilter {
                    state: Some(PodSandboxStateValue {
                        state: PodSandboxState::SandboxReady as i32,
                    }),
                    label_selector: HashMap::from([(labels::POD_UID.to_owned(), uid)]),
                    ..PodSandboxFilter::default()
                }),
            })
            .await
            .map_err(cri_error("ListPodSandbox"))?
            .into_inner()
            .items;
        sandboxes
            .into_iter()
            .max_by_key(|s| (s.metadata.as_ref().map_or(0, |m| m.attempt), s.created_at))
            .map(|s| s.id)
            .ok_or_else(|| {
                ProviderError::FailedPrecondition(format!("pod {key} has no ready sandbox"))
            })
    }
}

impl CriProvider {
    /// Runs `request.command` through CRI `Exec` and its streaming URL.
    pub(super) async fn exec_streaming(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        let inner = &self.inner;
        let container_id = inner.running_container(&request.pod, &request.container)?;
        tracing::debug!(
            pod = %request.pod,
            container = %request.container,
            stdin = request.stdin,
            tty = request.tty,
            size = ?request.terminal_size,
            "exec"
        );
        let channels = Channels::new(request.stdin, request.stdout, request.stderr, request.tty);
        let url = inner
            .runtime
            .runtime
            .clone()
            .exec(CriExecRequest {
                container_id,
                cmd: request.command,
                tty: channels.tty,
                stdin: channels.stdin,
                stdout: channels.stdout,
                stderr: channels.stderr,
            })
            .await
            .map_err(cri_error("Exec"))?
            .into_inner()
            .url;
        let size = request.terminal_size.filter(|_| request.tty);
        Ok(end_status(
            streaming::exec(&url, channels, size, session).await?,
        ))
    }

    /// Attaches through CRI `Attach`, with the container's own `tty`.
    pub(super) async fn attach_streaming(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        let inner = &self.inner;
        let container_id = inner.running_container(&request.pod, &request.container)?;
        let tty = inner.container_tty(&request.pod, &request.container);
        let channels = Channels::new(request.stdin, request.stdout, request.stderr, tty);
        let url = inner
            .runtime
            .runtime
            .clone()
            .attach(AttachRequest {
                container_id,
                stdin: channels.stdin,
                tty: channels.tty,
                stdout: channels.stdout,
                stderr: channels.stderr,
            })
            .await
            .map_err(cri_error("Attach"))?
            .into_inner()
            .url;
        let size = request.terminal_size.filter(|_| tty);
        match streaming::exec(&url, channels, size, session).await {
            // The attached stream ends when the container's process does;
            // containerd may close it without a status then.
            Err(StreamError::NoStatus) => Ok(ExitStatus::code(0)),
            ended => Ok(end_status(ended?)),
        }
    }

    /// Carries one connection to `port` of the pod's newest ready sandbox.
    pub(super) async fn port_forward_streaming(
        &self,
        pod: PodKey,
        port: u16,
        connection: PortForwardConnection,
    ) -> Result<(), ProviderError> {
        let inner = &self.inner;
        let pod_sandbox_id = inner.ready_sandbox(&pod).await?;
        let url = inner
            .runtime
            .runtime
            .clone()
            .port_forward(PortForwardRequest {
                pod_sandbox_id,
                port: vec![i32::from(port)],
            })
            .await
            .map_err(cri_error("PortForward"))?
            .into_inner()
            .url;
        streaming::port_forward(&url, connection)
            .await
            .map_err(ProviderError::from)
    }
}
