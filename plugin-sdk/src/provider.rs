//! The [`Provider`] trait a plugin implements, and the typed requests and
//! streaming sessions the SDK hands to it. Required methods are the six pod
//! calls; every optional capability defaults to "not supported" and is only
//! ever called when the provider lists it in [`Provider::capabilities`].

use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use tokio::sync::mpsc;

use crate::error::ProviderError;
use crate::proto::{
    Capability, GetMetricsResourceResponse, GetStatsSummaryResponse, MetricFamily, NodeInfo,
    TerminalSize,
};

/// A stream of raw bytes (logs).
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, ProviderError>> + Send>>;
/// A stream of pod status changes.
pub type PodStatusStream = Pin<Box<dyn Stream<Item = PodStatusUpdate> + Send>>;
/// A stream of node information, current value first.
pub type NodeInfoStream = Pin<Box<dyn Stream<Item = NodeInfo> + Send>>;

/// Who the plugin is, answered in the handshake.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    /// DNS-label style name, e.g. "mock"; used in the node's taint and in logs.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
}

impl PluginInfo {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }
}

/// Identifies a pod in lookups. `uid`, when set, must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PodKey {
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
}

impl PodKey {
    /// The key of `pod`, with its uid (as status updates and events need).
    pub fn of(pod: &Pod) -> Self {
        let meta = &pod.metadata;
        Self {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone(),
        }
    }
}

impl std::fmt::Display for PodKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A pod's new status, Kubernetes Events about it, or both, pushed through
/// [`Provider::watch_pod_status`].
#[derive(Debug, Clone)]
pub struct PodStatusUpdate {
    /// Which pod; `uid` must be set.
    pub pod: PodKey,
    /// None when the update only carries events.
    pub status: Option<PodStatus>,
    /// Events to record about the pod, oldest first.
    pub events: Vec<PodEvent>,
}

impl PodStatusUpdate {
    /// The pod's new status.
    pub fn status(pod: PodKey, status: PodStatus) -> Self {
        Self {
            pod,
            status: Some(status),
            events: Vec::new(),
        }
    }

    /// Events about the pod; its status is unchanged.
    pub fn events(pod: PodKey, events: Vec<PodEvent>) -> Self {
        Self {
            pod,
            status: None,
            events,
        }
    }
}

/// Whether an event reports something normal or a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodEventType {
    Normal,
    Warning,
}

/// A Kubernetes Event about a pod, in the kubelet's terms (see the proto's
/// `PodEvent`): `reason` in UpperCamelCase, `message` for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodEvent {
    pub type_: PodEventType,
    pub reason: String,
    pub message: String,
    /// The container it is about, if any.
    pub container: Option<String>,
}

impl PodEvent {
    pub fn normal(reason: &str, message: impl Into<String>) -> Self {
        Self::new(PodEventType::Normal, reason, message)
    }

    pub fn warning(reason: &str, message: impl Into<String>) -> Self {
        Self::new(PodEventType::Warning, reason, message)
    }

    /// The same event, about container `name`.
    pub fn about(mut self, container: &str) -> Self {
        self.container = Some(container.to_owned());
        self
    }

    fn new(type_: PodEventType, reason: &str, message: impl Into<String>) -> Self {
        Self {
            type_,
            reason: reason.to_owned(),
            message: message.into(),
            container: None,
        }
    }
}

/// Whether the plugin can take pods now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Alive but not able to take pods; the reason is shown on the node.
    NotReady(String),
}

/// Options of a container log request, as `kubectl logs` sets them.
#[derive(Debug, Clone, Default)]
pub struct LogsRequest {
    pub pod: PodKey,
    pub container: String,
    pub tail_lines: Option<i64>,
    pub limit_bytes: Option<i64>,
    pub since_unix_seconds: Option<i64>,
    pub timestamps: bool,
    pub follow: bool,
    pub previous: bool,
}

/// What to run for an exec or attach.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub pod: PodKey,
    pub container: String,
    /// argv; empty for attach.
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    pub terminal_size: Option<TerminalSize>,
}

/// The streams of one exec or attach. All channels are bounded: a provider
/// that stops reading `stdin` slows the client, and a client that stops
/// reading output makes `stdout.send` wait.
#[derive(Debug)]
pub struct ExecSession {
    /// Bytes for the process's stdin; the channel closes at stdin end-of-file.
    pub stdin: mpsc::Receiver<Bytes>,
    /// Terminal resizes (only with a TTY).
    pub resize: mpsc::Receiver<TerminalSize>,
    /// Output to the client's stdout. Its `closed()` resolves when the
    /// client has gone away (also for a session without stdout).
    pub stdout: mpsc::Sender<Bytes>,
    /// Output to the client's stderr (merged into stdout by clients with a TTY).
    pub stderr: mpsc::Sender<Bytes>,
}

/// How a process ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: i32,
    /// Why it did not exit on its own (e.g. "OOMKilled"); empty otherwise.
    pub reason: String,
}

impl ExitStatus {
    pub fn code(code: i32) -> Self {
        Self {
            code,
            reason: String::new(),
        }
    }
}

/// One forwarded TCP connection. Reading `from_client` to its end means the
/// client closed; returning from [`Provider::port_forward`] closes the
/// connection towards the client.
#[derive(Debug)]
pub struct PortForwardConnection {
    pub from_client: mpsc::Receiver<Bytes>,
    pub to_client: mpsc::Sender<Bytes>,
}

/// A provider of pods: what a vk-host plugin implements. See the crate docs
/// for a complete plugin.
#[tonic::async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Optional capabilities this provider implements. The SDK answers
    /// UNIMPLEMENTED for the others without calling the provider, so a
    /// plugin's handshake can never promise more than it does.
    fn capabilities(&self) -> Vec<Capability> {
        Vec::new()
    }

    /// Start a pod. Must be idempotent per `metadata.uid`: a second create of
    /// a UID already held returns `Ok(())` and changes nothing.
    async fn create_pod(&self, pod: Pod) -> Result<(), ProviderError>;

    /// Apply a changed spec or metadata. `NotFound` if the UID is not held.
    async fn update_pod(&self, pod: Pod) -> Result<(), ProviderError>;

    /// Stop a pod, honouring `metadata.deletionGracePeriodSeconds`.
    /// `NotFound` when it is not held (the host counts that as done).
    async fn delete_pod(&self, pod: Pod) -> Result<(), ProviderError>;

    /// The pod as held, with its current status.
    async fn get_pod(&self, pod: &PodKey) -> Result<Pod, ProviderError>;

    /// The pod's current status.
    async fn get_pod_status(&self, pod: &PodKey) -> Result<PodStatus, ProviderError>;

    /// Every pod held, rebuilt from the backend after a restart.
    async fn get_pods(&self) -> Result<Vec<Pod>, ProviderError>;

    /// Readiness for the host's periodic probe.
    async fn probe(&self) -> Readiness {
        Readiness::Ready
    }

    /// Called once when the plugin is asked to stop (shutdown rpc, SIGTERM or
    /// the host going away), before the server exits. Pods keep running.
    async fn shutdown(&self) {}

    /// [`Capability::PodStatusStream`]. Send updates into a
    /// [`crate::PodStatusFeed`] and return its `subscribe()`: it keeps what
    /// is sent while the host is reconnecting, as the protocol asks.
    async fn watch_pod_status(&self) -> Result<PodStatusStream, ProviderError> {
        Err(ProviderError::Unsupported("pod status stream".into()))
    }

    /// [`Capability::ContainerLogs`].
    async fn container_logs(&self, _request: LogsRequest) -> Result<ByteStream, ProviderError> {
        Err(ProviderError::Unsupported("container logs".into()))
    }

    /// [`Capability::Exec`]: run `request.command` and return its exit status.
    async fn exec(
        &self,
        _request: ExecRequest,
        _session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        Err(ProviderError::Unsupported("exec".into()))
    }

    /// [`Capability::Attach`]: attach to the container's main process until
    /// it exits or the client detaches.
    async fn attach(
        &self,
        _request: ExecRequest,
        _session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        Err(ProviderError::Unsupported("attach".into()))
    }

    /// [`Capability::PortForward`]: carry one TCP connection to `port`.
    async fn port_forward(
        &self,
        _pod: PodKey,
        _port: u16,
        _connection: PortForwardConnection,
    ) -> Result<(), ProviderError> {
        Err(ProviderError::Unsupported("port-forward".into()))
    }

    /// [`Capability::StatsSummary`].
    async fn stats_summary(&self) -> Result<GetStatsSummaryResponse, ProviderError> {
        Err(ProviderError::Unsupported("stats summary".into()))
    }

    /// [`Capability::MetricsResource`].
    async fn metrics_resource(&self) -> Result<GetMetricsResourceResponse, ProviderError> {
        Err(ProviderError::Unsupported("resource metrics".into()))
    }

    /// [`Capability::PluginMetrics`]: the plugin's own metrics, called when
    /// the host's `/metrics` is scraped (with a deadline of about two
    /// seconds: read values kept where they change, do not compute them
    /// here). The host labels every sample `plugin="<name>"`; see
    /// [`crate::metrics`] for builders and the rules.
    async fn plugin_metrics(&self) -> Result<Vec<MetricFamily>, ProviderError> {
        Err(ProviderError::Unsupported("plugin metrics".into()))
    }

    /// [`Capability::NodeInfo`]: what the plugin adds to the Node.
    async fn node_info(&self) -> Result<NodeInfo, ProviderError> {
        Err(ProviderError::Unsupported("node info".into()))
    }

    /// [`Capability::NodeInfo`]: current node info, then every change. The
    /// default sends [`Provider::node_info`] once and never again.
    async fn watch_node_info(&self) -> Result<NodeInfoStream, ProviderError> {
        let current = self.node_info().await?;
        Ok(Box::pin(
            futures::stream::once(async move { current }).chain(futures::stream::pending()),
        ))
    }
}
