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
        self.observed("CreatePod", async {
            self.lifecycle
                .clone()
                .create_pod(with_deadline(request, self.deadlines.mutate))
                .await
                .map_err(self.status_error("CreatePod"))?;
            Ok(())
        })
        .await
    }

    pub async fn update_pod(&self, pod: &Pod) -> Result<(), CallError> {
        let request = UpdatePodRequest {
            pod: self.pod_json("UpdatePod", pod)?,
        };
        self.observed("UpdatePod", async {
            self.lifecycle
                .clone()
                .update_pod(with_deadline(request, self.deadlines.mutate))
                .await
                .map_err(self.status_error("UpdatePod"))?;
            Ok(())
        })
        .await
    }

    pub async fn delete_pod(&self, pod: &Pod) -> Result<(), CallError> {
        let request = DeletePodRequest {
            pod: self.pod_json("DeletePod", pod)?,
        };
        self.observed("DeletePod", async {
            self.lifecycle
                .clone()
                .delete_pod(with_deadline(request, self.deadlines.mutate))
                .await
                .map_err(self.status_error("DeletePod"))?;
            Ok(())
        })
        .await
    }

    pub async fn get_pod(&self, pod: PodRef) -> Result<Pod, CallError> {
        self.observed("GetPod", self.get_pod_unobserved(pod)).await
    }

    async fn get_pod_unobserved(&self, pod: PodRef) -> Result<Pod, CallError> {
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
        self.observed("GetPodStatus", self.get_pod_status_unobserved(pod))
            .await
    }

    async fn get_pod_status_unobserved(&self, pod: PodRef) -> Result<PodStatus, CallError> {
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
        self.observed("GetPods", self.get_pods_unobserved()).await
    }

    async fn get_pods_unobserved(&self) -> Result<Vec<Pod>, CallError> {
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

/// Property tests of how the host reads a plugin's pod JSON (GetPod,
/// GetPodStatus, GetPods and the status stream all decode with
/// `serde_json::from_slice` into the Kubernetes types): any bytes, any
/// JSON and any nesting depth give a pod or an error, never a panic or a
/// stack overflow.
#[cfg(test)]
mod proptests {
    use k8s_openapi::api::core::v1::{Pod, PodStatus};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// A pod as a plugin would send it.
    fn valid_pod() -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.2",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "main", "image": "busybox", "imageID": "",
                    "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]},
        }))
        .expect("json")
    }

    /// JSON of any shape with the keys of a pod.
    fn pod_shaped() -> impl Strategy<Value = Value> {
        let key = proptest::sample::select(
            &[
                "metadata",
                "name",
                "uid",
                "spec",
                "status",
                "containers",
                "phase",
                "conditions",
                "containerStatuses",
                "state",
                "running",
                "terminated",
                "exitCode",
                "startedAt",
                "restartCount",
                "labels",
                "resources",
                "limits",
                "cpu",
                "podIPs",
                "ip",
            ][..],
        );
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            Just(Value::from("2026-01-01T00:00:00Z")),
            Just(Value::from("500m")),
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((key.clone(), inner), 0..6).prop_map(|entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect(),
                    )
                }),
            ]
        })
    }

    fn decode_all(bytes: &[u8]) {
        let _ = serde_json::from_slice::<Pod>(bytes);
        let _ = serde_json::from_slice::<PodStatus>(bytes);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn any_bytes_are_a_pod_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            decode_all(&bytes);
        }

        #[test]
        fn any_pod_shaped_json_is_a_pod_or_an_error(json in pod_shaped()) {
            decode_all(&serde_json::to_vec(&json).expect("json"));
        }

        #[test]
        fn a_damaged_pod_is_a_pod_or_an_error(
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<proptest::sample::Index>(),
        ) {
            let mut bytes = valid_pod();
            for (at, byte) in edits {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            decode_all(&bytes);
        }

        #[test]
        fn deep_nesting_is_never_a_stack_overflow(depth in 0usize..20_000, field in 0usize..3) {
            let (open, close) = [("[", "]"), ("{\"metadata\":", "}"), ("{\"status\":{\"conditions\":", "}}")][field];
            // Refused past 128 levels, or skipped as unknown fields
            // (iteratively): either way the thread's stack is safe.
            let bytes = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            decode_all(bytes.as_bytes());
        }
    }
}
