//! The typed client the rest of the host uses to call a plugin: the
//! per-launch secret on every call, a deadline on every unary call, explicit
//! message-size limits, the capability check before every optional rpc, and
//! Kubernetes JSON decoded (or refused) here.
//!
//! - this module: [`PluginClient`], its deadlines and limits, the capability
//!   check, and the identity calls (probe, shutdown);
//! - `error`: [`CallError`], what a failed call says and what the retry
//!   table does with it;
//! - `pods`, `node`: the calls the pod and node controllers make;
//! - `kubelet`: the calls behind the kubelet API (logs, exec, attach,
//!   port-forward, stats, resource metrics);
//! - `stream`: [`PluginStream`], how a streaming call counts as open.
//!
//! Every unary call is timed and its failure counted by method and code
//! (`vk_host_plugin_rpc_duration_seconds`, `vk_host_plugin_rpc_errors_total`);
//! a call refused before it is made (an undeclared capability) is not.

mod error;
mod kubelet;
mod node;
mod pods;
mod stream;

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vk_proto::auth::AddSecret;
use vk_proto::v1::plugin_identity_client::PluginIdentityClient;
use vk_proto::v1::pod_lifecycle_client::PodLifecycleClient;
use vk_proto::v1::{Capability, ProbeRequest, ShutdownRequest};

use super::health::ProbeOutcome;
use crate::metrics::{self, plugin::code_name};

pub use error::CallError;
pub use stream::PluginStream;

/// Deadlines by call class, as the protocol documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub handshake: Duration,
    /// CreatePod, UpdatePod, DeletePod.
    pub mutate: Duration,
    /// Everything else unary, and how long a log stream has to fail early
    /// (see [`PluginClient::container_logs`]).
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

type Authed = InterceptedService<Channel, AddSecret>;

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

    /// The raw `PodLifecycle` client, for callers that test the protocol
    /// itself (the conformance checker); the host calls the typed methods.
    /// Check [`PluginIdentity::has`] before calling an optional rpc.
    pub fn lifecycle(&self) -> PodLifecycleClient<Authed> {
        self.lifecycle.clone()
    }

    /// The one capability check: `Ok` if the plugin declared `capability`,
    /// [`CallError::Unsupported`] if not. Every optional rpc goes through it,
    /// and so does a caller that must refuse before it calls (the kubelet
    /// API's streaming routes, before the upgrade).
    pub fn require(&self, capability: Capability) -> Result<(), CallError> {
        if self.identity.has(capability) {
            Ok(())
        } else {
            Err(CallError::Unsupported {
                plugin: Arc::clone(&self.name),
                capability,
            })
        }
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

    fn pod_json(&self, rpc: &'static str, pod: &Pod) -> Result<bytes::Bytes, CallError> {
        serde_json::to_vec(pod)
            .map(Into::into)
            .map_err(|e| self.invalid(rpc, format!("encoding the pod: {e}")))
    }

    /// Runs one unary call made of `call`, timing it and counting its
    /// failure under `rpc`.
    async fn observed<T>(
        &self,
        rpc: &'static str,
        call: impl Future<Output = Result<T, CallError>>,
    ) -> Result<T, CallError> {
        let started = Instant::now();
        let result = call.await;
        let code = match &result {
            Ok(_) => None,
            Err(CallError::Status { status, .. }) => Some(code_name(status.code())),
            Err(CallError::InvalidReply { .. }) => Some("InvalidReply"),
            // Never called: nothing to time.
            Err(CallError::Unsupported { .. }) => return result,
        };
        metrics::global()
            .plugin
            .rpc_done(rpc, started.elapsed().as_secs_f64(), code);
        result
    }

    /// One readiness probe with `timeout`.
    pub async fn probe(&self, timeout: Duration) -> ProbeOutcome {
        let started = Instant::now();
        let mut client = self.identity_client.clone();
        let call = client.probe(with_deadline(ProbeRequest {}, timeout));
        let (outcome, code) = match tokio::time::timeout(timeout, call).await {
            Ok(Ok(reply)) => {
                let reply = reply.into_inner();
                let outcome = if reply.ready {
                    ProbeOutcome::Ready
                } else {
                    ProbeOutcome::NotReady(reply.message)
                };
                (outcome, None)
            }
            Ok(Err(status)) => (
                ProbeOutcome::Failed(format!("{}: {}", status.code(), status.message())),
                Some(code_name(status.code())),
            ),
            Err(_) => (
                ProbeOutcome::Failed(format!("no answer within {timeout:?}")),
                Some(code_name(tonic::Code::DeadlineExceeded)),
            ),
        };
        metrics::global()
            .plugin
            .rpc_done("Probe", started.elapsed().as_secs_f64(), code);
        outcome
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
