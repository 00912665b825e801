//! `HostCallbacks`, served to each plugin launch on the host socket named at
//! launch: the only door from a plugin to cluster data. A call is answered
//! only when it carries the launch's secret, comes from the plugin's uid,
//! and asks for an object that a pod bound to this node references (the
//! rules, in order, are in `rules` and in the proto). Every call leaves one
//! audit line; secret data is never logged.
//!
//! - `validate`: the request's shape, checked before anything uses it (pure);
//! - `references`: what a pod's spec names (pure);
//! - `rules`: the decision (pure);
//! - `peer`: the Unix socket peer's uid;
//! - `fetch`: one GET or TokenRequest per call, nothing cached;
//! - `container_env`: one container's environment as of now, resolved as
//!   before CreatePod (`pods::env`);
//! - `audit`: the audit line;
//! - `service`: the gRPC service tying them together, behind its gate (secret
//!   and peer uid, checked on the headers before the body is decoded).

mod audit;
mod container_env;
mod fetch;
mod peer;
pub mod references;
mod rules;
mod service;
mod validate;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use vk_proto::auth::RequireSecret;
use vk_proto::v1::host_callbacks_server::HostCallbacksServer;

/// The longest service-account token lifetime granted when not configured.
pub const DEFAULT_MAX_TOKEN_EXPIRATION: Duration = Duration::from_secs(3600);

/// The host's current pods of this node, by namespace and name: the pod
/// controller's copy of the API (a pod deleted from the API is gone from it).
pub trait NodePodSource: Send + Sync + std::fmt::Debug {
    fn pod(&self, namespace: &str, name: &str) -> Option<Arc<Pod>>;
}

/// What the callbacks answer from: a cluster and this node's pods, or
/// nothing (a plugin launched without a cluster, e.g. by the conformance
/// checker: every call is refused). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CallbackScope {
    cluster: Option<Arc<Cluster>>,
}

/// The cluster side of a [`CallbackScope`].
pub struct Cluster {
    client: kube::Client,
    node: String,
    pods: Arc<dyn NodePodSource>,
    max_token_seconds: i64,
    /// The master service variables of `GetContainerEnv` (cached briefly,
    /// as the pod controller's own copy).
    master: crate::pods::env::MasterService,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.node)
            .field("max_token_seconds", &self.max_token_seconds)
            .finish_non_exhaustive()
    }
}

impl CallbackScope {
    /// Answers for the pods of `node` that `pods` holds, reading objects
    /// with `client`; tokens live at most `max_token_expiration`.
    pub fn node(
        client: kube::Client,
        node: impl Into<String>,
        pods: Arc<dyn NodePodSource>,
        max_token_expiration: Duration,
    ) -> Self {
        Self {
            cluster: Some(Arc::new(Cluster {
                client,
                node: node.into(),
                pods,
                max_token_seconds: i64::try_from(max_token_expiration.as_secs())
                    .unwrap_or(i64::MAX),
                master: crate::pods::env::MasterService::default(),
            })),
        }
    }

    fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }
}

/// Binds `path` (mode 0600) and serves `HostCallbacks` there for the plugin
/// launch holding `secret`, running as `peer_uid`, until `stop`.
pub fn serve(
    path: &Path,
    secret: &str,
    plugin: &str,
    scope: &CallbackScope,
    peer_uid: u32,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let gate = service::Gate {
        secret: RequireSecret::new(secret),
        plugin: plugin.to_owned(),
        uid: peer_uid,
    };
    // `HostCallbacksServer::with_interceptor`, with the message limits set
    // on the inner server: the gate runs on the headers, before decoding.
    let service = tonic::service::interceptor::InterceptedService::new(
        HostCallbacksServer::new(service::Service {
            scope: scope.clone(),
            plugin: plugin.to_owned(),
        })
        .max_decoding_message_size(vk_proto::DEFAULT_MAX_MESSAGE_BYTES)
        .max_encoding_message_size(vk_proto::DEFAULT_MAX_MESSAGE_BYTES),
        gate,
    );
    let server = tonic::transport::Server::builder()
        .timeout(CALL_DEADLINE)
        .concurrency_limit_per_connection(MAX_CALLS_IN_FLIGHT)
        .layer(
            tower::ServiceBuilder::new()
                .map_request(service::tag_rpc)
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    MAX_CALLS_IN_FLIGHT,
                )),
        )
        .add_service(service)
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), async move {
            stop.cancelled().await
        });
    tokio::spawn(
        async move {
            if let Err(error) = server.await {
                tracing::warn!(%error, "the host callback server failed");
            }
        }
        .instrument(tracing::info_span!("host_callbacks")),
    );
    Ok(())
}

/// Calls of one launch served at once, over all its connections; more wait
/// for a slot (the caller's deadline applies). A plugin flooding its callbacks gets no more
/// API reads or host CPU than this, whatever it sends.
const MAX_CALLS_IN_FLIGHT: usize = 16;

/// The protocol's deadline of a callback (the API read included).
const CALL_DEADLINE: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use vk_proto::auth::AddSecret;
    use vk_proto::v1::host_callbacks_client::HostCallbacksClient;
    use vk_proto::v1::{GetObjectRequest, PodRef};

    use super::*;

    /// Over a real Unix socket, in order: the secret (UNAUTHENTICATED), the
    /// peer's uid (a server expecting another uid refuses the right secret),
    /// then the scope (a host without a cluster refuses everything else).
    #[tokio::test]
    async fn the_server_checks_the_secret_then_the_peer_then_the_scope() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stop = CancellationToken::new();
        let own_uid = nix::unistd::geteuid().as_raw();
        let serve_at = |name: &str, peer_uid: u32| {
            let socket = dir.path().join(name);
            serve(
                &socket,
                "s3cret",
                "plugin",
                &CallbackScope::default(),
                peer_uid,
                stop.clone(),
            )
            .expect("serve");
            socket
        };
        let ours = serve_at("host.sock", own_uid);
        let another_users = serve_at("other.sock", own_uid.wrapping_add(1));
        let request = || GetObjectRequest {
            pod: Some(PodRef {
                namespace: "ns".into(),
                name: "p".into(),
                uid: "u".into(),
            }),
            name: "db".into(),
            namespace: String::new(),
        };
        let call = |socket: &Path, secret: &'static str| {
            let channel = vk_proto::uds::connect_lazy(socket);
            let add = AddSecret::new(secret).expect("ascii");
            async move {
                HostCallbacksClient::with_interceptor(channel, add)
                    .get_secret(request())
                    .await
                    .expect_err("refused")
            }
        };
        let wrong = call(&ours, "other").await;
        assert_eq!(wrong.code(), tonic::Code::Unauthenticated, "{wrong:?}");
        let wrong_and_other_peer = call(&another_users, "other").await;
        assert_eq!(
            wrong_and_other_peer.code(),
            tonic::Code::Unauthenticated,
            "the secret first: {wrong_and_other_peer:?}"
        );
        let other_peer = call(&another_users, "s3cret").await;
        assert_eq!(
            other_peer.code(),
            tonic::Code::PermissionDenied,
            "{other_peer:?}"
        );
        assert!(
            other_peer
                .message()
                .contains(&format!("the caller runs as uid {own_uid}")),
            "{other_peer:?}"
        );
        let right = call(&ours, "s3cret").await;
        assert_eq!(right.code(), tonic::Code::PermissionDenied, "{right:?}");
        assert!(right.message().contains("without a cluster"), "{right:?}");
        stop.cancel();
    }
}
