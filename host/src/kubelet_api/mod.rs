//! The kubelet HTTP API of the virtual node: what the kube-apiserver calls
//! for `kubectl logs/exec/attach/port-forward/top`, served over TLS with the
//! kubelet's webhook authentication and authorization, each request carried
//! to the plugin over the protocol.
//!
//! [`server`] accepts TLS connections ([`tls`] builds the configuration;
//! `admission` decides who may hold a connection, keeping room for peers
//! with a client certificate), [`auth`] checks every request, [`routes`] serves logs, pods, stats,
//! metrics and health, and [`streaming`] exec, attach, port-forward and run.
//! `state` finds a request's pod in the pod controller's copy of this
//! node's pods (the API server only for a pod the copy lacks); every plugin
//! call is a typed [`PluginClient`](crate::plugin_process::PluginClient) method;
//! `error` is the one mapping of failures, a plugin's gRPC codes included,
//! to HTTP statuses. Pods not bound to this node are 404; a capability the
//! plugin did not declare is 501 at once; a restarting plugin is 503.

mod admission;
pub mod auth;
mod error;
pub mod routes;
mod server;
mod state;
pub mod streaming;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use http::StatusCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
pub use state::{ApiState, BoundPod, PodLookupError};

/// How the kubelet API is served (validated from the flags).
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// `--kubelet-address`:`--kubelet-port`.
    pub listen: SocketAddr,
    pub tls: Arc<rustls::ServerConfig>,
    /// Where the serving certificate came from, for the start-up log.
    pub tls_description: String,
    /// Whether client certificates are accepted (`--client-ca-file`).
    pub client_certificates: bool,
    /// `--kubelet-api-insecure-anonymous`: no authentication, no
    /// authorization. Development only.
    pub insecure_anonymous: bool,
}

/// Why the kubelet API could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "kubelet API: cannot listen on {address} (choose another --kubelet-address or --kubelet-port)"
    )]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The whole API: routes, streaming routes, 404 for the rest, all behind
/// authentication and authorization.
pub fn router(state: ApiState, auth: Arc<auth::Auth>) -> Router {
    Router::new()
        .merge(routes::routes())
        .merge(streaming::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(auth, auth::guard))
        .with_state(state)
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "404 page not found\n")
}

/// Binds the kubelet API's address; done before the plugin starts, so a
/// taken port fails the start with one line and no side effect.
pub async fn bind(options: &ApiOptions) -> Result<TcpListener, ServeError> {
    TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            address: options.listen,
            source,
        })
}

/// Serves the kubelet API on `listener` (from [`bind`]) until `token` is
/// cancelled.
pub async fn serve(
    listener: TcpListener,
    options: ApiOptions,
    state: ApiState,
    token: CancellationToken,
) -> Result<(), ServeError> {
    if options.insecure_anonymous {
        tracing::warn!(
            "--kubelet-api-insecure-anonymous: the kubelet API serves every request without \
             authentication or authorization; anyone who reaches {} can read logs and run \
             commands in pods. For development only.",
            options.listen
        );
    }
    tracing::info!(
        address = %options.listen,
        certificate = %options.tls_description,
        client_certificates = options.client_certificates,
        "kubelet API listening"
    );
    let auth = Arc::new(auth::Auth::new(
        state.client.clone(),
        state.node_name.clone(),
        options.insecure_anonymous,
    ));
    let app = router(state, auth);
    server::accept_loop(listener, options.tls, app, token).await;
    Ok(())
}
