//! The non-streaming routes of the kubelet API: container logs, the pod
//! lists, stats, resource metrics, the host's own metrics and health. Each calls the plugin through
//! a typed [`PluginClient`](crate::plugin_process::PluginClient) method, which asks
//! only for a capability the plugin declared (else 501, at once) and with
//! the protocol's query deadline.

mod container_logs;
mod healthz;
mod metrics;
mod pods;
mod stats;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::ApiState;

pub use container_logs::{LogOptions, log_request, parse_log_query};
pub use metrics::render as render_metrics;
pub use stats::summary_json;

/// The routes, with and without a trailing slash where the kubelet takes both.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route(
            "/containerLogs/{namespace}/{pod}/{container}",
            get(container_logs::handler),
        )
        .route("/pods", get(pods::pods))
        .route("/pods/", get(pods::pods))
        .route("/runningpods", get(pods::running_pods))
        .route("/runningpods/", get(pods::running_pods))
        .route("/stats/summary", get(stats::handler))
        .route("/stats/summary/", get(stats::handler))
        .route("/metrics/resource", get(metrics::handler))
        .route("/metrics/resource/", get(metrics::handler))
        .route("/metrics", get(host_metrics))
        .route("/healthz", get(healthz::handler))
}

/// `/metrics`: the host's own families and the plugin's (the same text as
/// the `--metrics-bind-address` listener), authorized as `nodes/metrics`.
async fn host_metrics(State(state): State<ApiState>) -> Response {
    crate::metrics::render::response(&state.plugin).await
}
