//! What every kubelet-API handler shares: the node's name, the API client,
//! the running plugin, and the rule that only pods bound to this node are
//! served.

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use vk_proto::v1::PodRef;

use crate::plugins::{PluginClient, PluginWatch};

/// Shared by all routes (cheap to clone).
#[derive(Clone)]
pub struct ApiState {
    pub node_name: String,
    pub client: kube::Client,
    pub plugin: PluginWatch,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("node_name", &self.node_name)
            .finish_non_exhaustive()
    }
}

/// A pod that is bound to this node, as the handlers need it.
#[derive(Debug, Clone)]
pub struct BoundPod {
    pub pod: Pod,
    /// Namespace, name and uid, for the plugin.
    pub reference: PodRef,
}

/// Why a request's pod cannot be served; each maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum PodLookupError {
    /// 404: no such pod.
    #[error("pod {namespace}/{name} not found")]
    NotFound { namespace: String, name: String },
    /// 404 as well, like the kubelet: the pod exists but is not on this node.
    #[error("pod {namespace}/{name} is not bound to node {node}")]
    OtherNode {
        namespace: String,
        name: String,
        node: String,
    },
    /// 503: the plugin is restarting.
    #[error("the plugin is not running (restarting); try again")]
    PluginDown,
    /// 500: the API server could not be asked.
    #[error("reading pod {namespace}/{name}")]
    Api {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

impl ApiState {
    /// The pod `namespace/name` if it is bound to this node.
    pub async fn bound_pod(&self, namespace: &str, name: &str) -> Result<BoundPod, PodLookupError> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let pod = pods
            .get_opt(name)
            .await
            .map_err(|source| PodLookupError::Api {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                source,
            })?
            .ok_or_else(|| PodLookupError::NotFound {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            })?;
        let bound_here = pod.spec.as_ref().and_then(|spec| spec.node_name.as_deref())
            == Some(self.node_name.as_str());
        if !bound_here {
            return Err(PodLookupError::OtherNode {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                node: self.node_name.clone(),
            });
        }
        let reference = PodRef {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            uid: pod.metadata.uid.clone().unwrap_or_default(),
        };
        Ok(BoundPod { pod, reference })
    }

    /// The running plugin's client.
    pub fn plugin_client(&self) -> Result<PluginClient, PodLookupError> {
        self.plugin
            .client
            .borrow()
            .clone()
            .ok_or(PodLookupError::PluginDown)
    }
}
