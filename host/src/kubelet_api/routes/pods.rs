//! `/pods`: the pods bound to this node as the API server has them (the
//! kubelet's pod manager view), and `/runningpods/`: what the plugin runs
//! (GetPods). Both are `v1.PodList` JSON.

use axum::Json;
use axum::extract::State;
use k8s_openapi::List;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;

use crate::kubelet_api::{ApiError, ApiState};

pub async fn pods(State(state): State<ApiState>) -> Result<Json<List<Pod>>, ApiError> {
    let pods: Api<Pod> = Api::all(state.client.clone());
    let params = ListParams::default().fields(&format!("spec.nodeName={}", state.node_name));
    let list = pods.list(&params).await.map_err(|e| {
        ApiError::Internal(format!("listing the pods of node {}: {e}", state.node_name))
    })?;
    Ok(Json(List {
        items: list.items,
        ..List::default()
    }))
}

pub async fn running_pods(State(state): State<ApiState>) -> Result<Json<List<Pod>>, ApiError> {
    let client = state.plugin_client()?;
    let items = client.get_pods().await?;
    Ok(Json(List {
        items,
        ..List::default()
    }))
}
