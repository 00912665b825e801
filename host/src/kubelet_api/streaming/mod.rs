//! Streaming routes of the kubelet API (`/exec`, `/attach`, `/portForward`,
//! `/run`): WebSocket with the Kubernetes channel protocols, carried to the
//! plugin's bidirectional streams with backpressure end to end.

use axum::Router;

use super::ApiState;

/// The streaming routes, merged into the kubelet API's router.
pub fn routes() -> Router<ApiState> {
    Router::new()
}
