//! The non-streaming routes of the kubelet API: container logs, the pod
//! lists, stats, resource metrics and health; each asks the plugin only for
//! a capability it declared (else 501, at once).

mod container_logs;
mod healthz;
mod metrics;
mod pods;
mod stats;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use vk_proto::v1::Capability;

use super::{ApiError, ApiState};
use crate::plugins::PluginClient;

pub use container_logs::{LogOptions, log_request, parse_log_query};
pub use metrics::render as render_metrics;
pub use stats::summary_json;

/// How long the plugin has to answer a unary call (or to start a stream),
/// the protocol's deadline for queries.
pub const PLUGIN_QUERY_DEADLINE: Duration = Duration::from_secs(10);

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
        .route("/healthz", get(healthz::handler))
}

/// The running plugin's client if it declared `capability`; 501 naming the
/// plugin and the capability if not, 503 while it restarts.
pub fn plugin_with(
    state: &ApiState,
    capability: Capability,
    what: &str,
) -> Result<PluginClient, ApiError> {
    let client = state.plugin_client()?;
    if client.identity().has(capability) {
        Ok(client)
    } else {
        Err(ApiError::Unimplemented(format!(
            "plugin {} does not support {what} ({} not declared)",
            client.identity().name,
            capability.as_str_name()
        )))
    }
}

/// A plugin request with the query deadline.
fn with_deadline<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(PLUGIN_QUERY_DEADLINE);
    request
}
