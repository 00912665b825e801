//! The optional plain-HTTP listener of `--metrics-bind-address`: `/metrics`
//! (the same exposition as the kubelet API's `/metrics`) and `/healthz`, for
//! probes and a Prometheus on the same host or pod. It has no TLS and no
//! authentication, so it belongs on localhost or behind a network policy.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::plugin_process::PluginWatch;

/// Why the metrics listener could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("metrics: cannot listen on {address} (choose another --metrics-bind-address)")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics: serving on {address} failed")]
    Serve {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Binds `address`; done before the plugin starts, so a taken port fails
/// the start with one line and no side effect.
pub async fn bind(address: SocketAddr) -> Result<TcpListener, ListenError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| ListenError::Bind { address, source })
}

/// The routes: `/metrics` and `/healthz`, 404 for the rest.
pub fn router(plugin: PluginWatch) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(plugin)
}

async fn metrics(State(plugin): State<PluginWatch>) -> Response {
    super::render::response(&plugin).await
}

async fn healthz() -> &'static str {
    "ok"
}

/// Serves [`router`] on `listener` (from [`bind`]) until `token` is
/// cancelled.
pub async fn serve(
    listener: TcpListener,
    plugin: PluginWatch,
    token: CancellationToken,
) -> Result<(), ListenError> {
    let address = listener.local_addr().map_err(|source| ListenError::Serve {
        address: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    tracing::info!(
        %address,
        "metrics listening (plain HTTP, no authentication: /metrics, /healthz)"
    );
    axum::serve(listener, router(plugin))
        .with_graceful_shutdown(token.cancelled_owned())
        .await
        .map_err(|source| ListenError::Serve { address, source })
}
