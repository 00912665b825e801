//! The pod calls the pod controller makes: the six methods of
//! virtual-kubelet's PodLifecycleHandler and the status push stream.

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use vk_proto::v1::{
    Capability, CreatePodRequest, DeletePodRequest, GetPodRequest, GetPodStatusRequest,
    GetPodsRequest, PodRef, PodStatusEvent, UpdatePodRequest, WatchPodStatusRequest,
};

use super::{CallError, PluginClient, PluginStream, with_deadline};

impl PluginClient {
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

    /// The plugin's status push stream (CAPABILITY_POD_STATUS_STREAM). See
    /// [`PluginStream`]: it counts as open from the call on.
    pub fn watch_pod_status(&self) -> Result<PluginStream<PodStatusEvent>, CallError> {
        self.require(Capability::PodStatusStream)?;
        let mut lifecycle = self.lifecycle.clone();
        Ok(self.stream("WatchPodStatus", async move {
            lifecycle.watch_pod_status(WatchPodStatusRequest {}).await
        }))
    }
}
