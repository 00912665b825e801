//! The kubelet HTTP API of the virtual node: what the kube-apiserver calls
//! for `kubectl logs/exec/attach/port-forward/top`, served over TLS with the
//! kubelet's webhook authentication and authorization, each request carried
//! to the plugin over the protocol.
//!
//! [`server`] accepts TLS connections ([`tls`] builds the configuration;
//! `admission` decides who may hold a connection, keeping room for peers
//! with a client certificate), [`auth`] checks every request, [`routes`] serves logs, pods, stats,
//! metrics and health, and [`streaming`] exec, attach, port-forward and run.
//! Every request is counted and timed by route and status (`observe`).
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
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
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
/// authentication and authorization, every answer counted (refusals too).
pub fn router(state: ApiState, auth: Arc<auth::Auth>) -> Router {
    Router::new()
        .merge(routes::routes())
        .merge(streaming::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(auth, auth::guard))
        .layer(middleware::from_fn(observe))
        .with_state(state)
}

/// Counts and times a request by its route template (never the raw path,
/// which names pods) and status.
async fn observe(request: Request, next: Next) -> Response {
    let route = crate::metrics::kubelet_api::route_label(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    crate::metrics::global().kubelet_api.observe_request(
        route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;
    use crate::metrics::kubelet_api::RequestLabels;

    fn count(route: &'static str, code: &str) -> u64 {
        crate::metrics::global()
            .kubelet_api
            .requests
            .get_or_create(&RequestLabels {
                route,
                code: code.to_owned(),
            })
            .get()
    }

    #[tokio::test]
    async fn requests_are_counted_by_route_template_and_status() {
        // The layer as `router` applies it, on routes of the same shape.
        let app = Router::new()
            .route(
                "/containerLogs/{namespace}/{pod}/{container}",
                get(|| async { "log" }),
            )
            .fallback(not_found)
            .layer(middleware::from_fn(observe));
        let logs = count("/containerLogs", "200");
        let other = count("other", "404");
        for uri in ["/containerLogs/ns/p/c", "/containerLogs/ns/q/c", "/nowhere"] {
            let request = http::Request::get(uri)
                .body(Body::empty())
                .expect("request");
            app.clone().oneshot(request).await.expect("response");
        }
        assert_eq!(count("/containerLogs", "200"), logs + 2);
        assert_eq!(count("other", "404"), other + 1);
    }
}
