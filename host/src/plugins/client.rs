//! The typed client the rest of the host uses to call a plugin: the
//! per-launch secret on every call, a deadline on every unary call, explicit
//! message-size limits, and Kubernetes JSON decoded (or refused) here.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use vk_proto::auth::AddSecret;
use vk_proto::v1::plugin_identity_client::PluginIdentityClient;
use vk_proto::v1::pod_lifecycle_client::PodLifecycleClient;
use vk_proto::v1::{
    Capability, CreatePodRequest, DeletePodRequest, GetNodeInfoRequest, GetPodRequest,
    GetPodStatusRequest, GetPodsRequest, NodeInfo, PodRef, PodStatusEvent, ProbeRequest,
    ShutdownRequest, UpdatePodRequest, WatchNodeInfoRequest, WatchPodStatusRequest,
};

use super::health::ProbeOutcome;
use super::retry::{CallKind, Retry, classify};

/// Deadlines by call class, as the protocol documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub handshake: Duration,
    /// CreatePod, UpdatePod, DeletePod.
    pub mutate: Duration,
    /// Everything else unary.
    pub query: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            handshake: Duration::from_secs(10),
            mutate: Duration::from_secs(60),
            query: Duration::from_secs(10),
        }
    }
}

/// What the plugin said about itself in the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginIdentity {
    pub name: String,
    pub version: String,
    pub protocol_version: u32,
    pub capabilities: HashSet<Capability>,
}

impl PluginIdentity {
    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

/// A failed plugin call.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The plugin returned an error status (or the transport failed).
    #[error("plugin {plugin}: {rpc} failed: {}: {}", .status.code(), .status.message())]
    Status {
        plugin: Arc<str>,
        rpc: &'static str,
        status: Status,
    },
    /// The plugin did not declare the capability, so it is not called.
    #[error("plugin {plugin} does not support {}", .capability.as_str_name())]
    Unsupported {
        plugin: Arc<str>,
        capability: Capability,
    },
    /// The reply is not what the protocol promises.
    #[error("plugin {plugin}: {rpc} replied with invalid data: {why}")]
    InvalidReply {
        plugin: Arc<str>,
        rpc: &'static str,
        why: String,
    },
}

impl CallError {
    /// What the retry table says to do.
    pub fn retry(&self) -> Retry {
        match self {
            Self::Status { rpc, status, .. } => {
                let kind = if *rpc == "DeletePod" {
                    CallKind::Delete
                } else {
                    CallKind::Other
                };
                classify(status.code(), kind)
            }
            Self::Unsupported { .. } => Retry::Absent,
            Self::InvalidReply { .. } => Retry::Backoff,
        }
    }

    /// The gRPC code, when the plugin returned one.
    pub fn code(&self) -> Option<Code> {
        match self {
            Self::Status { status, .. } => Some(status.code()),
            _ => None,
        }
    }
}

type Authed = InterceptedService<Channel, AddSecret>;

/// A server stream of the plugin (status, node information), opened
/// lazily: it counts as open from the call on. grpc-go and grpcio send a
/// server stream's response headers only with its first message, so the
/// call of an idle plugin stays pending, and that is not a failure: there
/// is no deadline on opening a stream (a hung plugin is caught by the health
/// probe). A failure to open arrives as the stream's first item.
pub type PluginStream<T> = BoxStream<'static, Result<T, CallError>>;

/// Calls one running plugin instance. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PluginClient {
    identity_client: PluginIdentityClient<Authed>,
    lifecycle: PodLifecycleClient<Authed>,
    deadlines: Deadlines,
    identity: Arc<PluginIdentity>,
    name: Arc<str>,
}

/// Message-size limit, both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimit(pub usize);

impl Default for MessageLimit {
    fn default() -> Self {
        Self(vk_proto::DEFAULT_MAX_MESSAGE_BYTES)
    }
}

pub(crate) fn identity_client(
    channel: Channel,
    secret: AddSecret,
    limit: MessageLimit,
) -> PluginIdentityClient<Authed> {
    PluginIdentityClient::with_interceptor(channel, secret)
        .max_decoding_message_size(limit.0)
        .max_encoding_message_size(limit.0)
}

impl PluginClient {
    pub(crate) fn new(
        channel: Channel,
        secret: AddSecret,
        identity: PluginIdentity,
        deadlines: Deadlines,
        limit: MessageLimit,
    ) -> Self {
        let lifecycle = PodLifecycleClient::with_interceptor(channel.clone(), secret.clone())
            .max_decoding_message_size(limit.0)
            .max_encoding_message_size(limit.0);
        Self {
            identity_client: identity_client(channel, secret, limit),
            lifecycle,
            deadlines,
            name: identity.name.as_str().into(),
            identity: Arc::new(identity),
        }
    }

    /// What the plugin declared in its handshake.
    pub fn identity(&self) -> &PluginIdentity {
        &self.identity
    }

    /// The raw `PodLifecycle` client, for streaming calls (logs, exec...).
    /// Check [`PluginIdentity::has`] before calling an optional rpc.
    pub fn lifecycle(&self) -> PodLifecycleClient<Authed> {
        self.lifecycle.clone()
    }

    fn status_error(&self, rpc: &'static str) -> impl FnOnce(Status) -> CallError + '_ {
        move |status| CallError::Status {
            plugin: Arc::clone(&self.name),
            rpc,
            status,
        }
    }

    fn invalid(&self, rpc: &'static str, why: impl std::fmt::Display) -> CallError {
        CallError::InvalidReply {
            plugin: Arc::clone(&self.name),
            rpc,
            why: why.to_string(),
        }
    }

    fn require(&self, capability: Capability) -> Result<(), CallError> {
        if self.identity.has(capability) {
            Ok(())
        } else {
            Err(CallError::Unsupported {
                plugin: Arc::clone(&self.name),
                capability,
            })
        }
    }

    fn pod_json(&self, rpc: &'static str, pod: &Pod) -> Result<bytes::Bytes, CallError> {
        serde_json::to_vec(pod)
            .map(Into::into)
            .map_err(|e| self.invalid(rpc, format!("encoding the pod: {e}")))
    }

    pub async fn create_pod(&self, pod: &Pod) -> Result<(), CallError> {
        let request = CreatePodRequest {
            pod: self.pod_json("CreatePod", pod)?,
        };
        self.lifecycle
            .clone()
            .create_pod(with_deadline(request, self.deadlines.mutate))
            .await
            .map_err(self.status_error("CreatePod"))?;
        Ok(())
    }

    pub async fn update_pod(&self, pod: &Pod) -> Result<(), CallError> {
        let request = UpdatePodRequest {
            pod: self.pod_json("UpdatePod", pod)?,
        };
        self.lifecycle
            .clone()
            .update_pod(with_deadline(request, self.deadlines.mutate))
            .await
            .map_err(self.status_error("UpdatePod"))?;
        Ok(())
    }

    pub async fn delete_pod(&self, pod: &Pod) -> Result<(), CallError> {
        let request = DeletePodRequest {
            pod: self.pod_json("DeletePod", pod)?,
        };
        self.lifecycle
            .clone()
            .delete_pod(with_deadline(request, self.deadlines.mutate))
            .await
            .map_err(self.status_error("DeletePod"))?;
        Ok(())
    }

    pub async fn get_pod(&self, pod: PodRef) -> Result<Pod, CallError> {
        let reply = self
            .lifecycle
            .clone()
            .get_pod(with_deadline(
                GetPodRequest { pod: Some(pod) },
                self.deadlines.query,
            ))
            .await
            .map_err(self.status_error("GetPod"))?;
        serde_json::from_slice(&reply.into_inner().pod)
            .map_err(|e| self.invalid("GetPod", format!("not a Kubernetes Pod in JSON: {e}")))
    }

    pub async fn get_pod_status(&self, pod: PodRef) -> Result<PodStatus, CallError> {
        let reply = self
            .lifecycle
            .clone()
            .get_pod_status(with_deadline(
                GetPodStatusRequest { pod: Some(pod) },
                self.deadlines.query,
            ))
            .await
            .map_err(self.status_error("GetPodStatus"))?;
        serde_json::from_slice(&reply.into_inner().status).map_err(|e| {
            self.invalid(
                "GetPodStatus",
                format!("not a Kubernetes PodStatus in JSON: {e}"),
            )
        })
    }

    pub async fn get_pods(&self) -> Result<Vec<Pod>, CallError> {
        let reply = self
            .lifecycle
            .clone()
            .get_pods(with_deadline(GetPodsRequest {}, self.deadlines.query))
            .await
            .map_err(self.status_error("GetPods"))?;
        reply
            .into_inner()
            .pods
            .iter()
            .map(|json| serde_json::from_slice(json))
            .collect::<Result<_, _>>()
            .map_err(|e| {
                self.invalid(
                    "GetPods",
                    format!("an entry is not a Kubernetes Pod in JSON: {e}"),
                )
            })
    }

    /// The plugin's status push stream (CAPABILITY_POD_STATUS_STREAM).
    /// The plugin's status push stream (CAPABILITY_POD_STATUS_STREAM). See
    /// [`PluginStream`]: it counts as open from the call on.
    pub fn watch_pod_status(&self) -> Result<PluginStream<PodStatusEvent>, CallError> {
        self.require(Capability::PodStatusStream)?;
        let mut lifecycle = self.lifecycle.clone();
        Ok(self.server_stream("WatchPodStatus", async move {
            lifecycle.watch_pod_status(WatchPodStatusRequest {}).await
        }))
    }

    pub async fn get_node_info(&self) -> Result<NodeInfo, CallError> {
        self.require(Capability::NodeInfo)?;
        let reply = self
            .lifecycle
            .clone()
            .get_node_info(with_deadline(GetNodeInfoRequest {}, self.deadlines.query))
            .await
            .map_err(self.status_error("GetNodeInfo"))?;
        Ok(reply.into_inner())
    }

    /// The plugin's node information stream (CAPABILITY_NODE_INFO): the
    /// current NodeInfo at once, then every change. See [`PluginStream`].
    pub fn watch_node_info(&self) -> Result<PluginStream<NodeInfo>, CallError> {
        self.require(Capability::NodeInfo)?;
        let mut lifecycle = self.lifecycle.clone();
        Ok(self.server_stream("WatchNodeInfo", async move {
            lifecycle.watch_node_info(WatchNodeInfoRequest {}).await
        }))
    }

    /// Wraps a server-streaming call into a [`PluginStream`].
    fn server_stream<T, F>(&self, rpc: &'static str, open: F) -> PluginStream<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<tonic::Response<tonic::Streaming<T>>, Status>> + Send + 'static,
    {
        let plugin = Arc::clone(&self.name);
        futures::stream::once(async move { open.await.map(tonic::Response::into_inner) })
            .try_flatten()
            .map_err(move |status| CallError::Status {
                plugin: Arc::clone(&plugin),
                rpc,
                status,
            })
            .boxed()
    }

    /// One readiness probe with `timeout`.
    pub async fn probe(&self, timeout: Duration) -> ProbeOutcome {
        let mut client = self.identity_client.clone();
        let call = client.probe(with_deadline(ProbeRequest {}, timeout));
        match tokio::time::timeout(timeout, call).await {
            Ok(Ok(reply)) => {
                let reply = reply.into_inner();
                if reply.ready {
                    ProbeOutcome::Ready
                } else {
                    ProbeOutcome::NotReady(reply.message)
                }
            }
            Ok(Err(status)) => {
                ProbeOutcome::Failed(format!("{}: {}", status.code(), status.message()))
            }
            Err(_) => ProbeOutcome::Failed(format!("no answer within {timeout:?}")),
        }
    }

    /// Asks the plugin to stop; errors are only logged (it may already be gone).
    pub async fn shutdown(&self, grace: Duration) {
        let request = ShutdownRequest {
            grace_period_ms: grace.as_millis() as u64,
        };
        let mut client = self.identity_client.clone();
        let call = client.shutdown(with_deadline(request, Duration::from_secs(1)));
        if let Ok(Err(status)) = tokio::time::timeout(Duration::from_secs(1), call).await {
            tracing::debug!(plugin = %self.name, %status, "shutdown rpc failed");
        }
    }
}

pub(crate) fn with_deadline<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(deadline);
    request
}
