//! What every kubelet-API handler shares: the node's name, the API client,
//! the running plugin, the pod controller's copy of this node's pods, and
//! the rule that only pods bound to this node are served.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use vk_proto::names::{is_dns1123_label, is_dns1123_subdomain};
use vk_proto::v1::PodRef;

use crate::callbacks::NodePodSource;
use crate::plugin_process::{PluginClient, PluginWatch};

/// Shared by all routes (cheap to clone).
#[derive(Clone)]
pub struct ApiState {
    pub node_name: String,
    pub client: kube::Client,
    pub plugin: PluginWatch,
    /// This node's pods as the pod controller's watch has them: a request's
    /// pod is looked up here, and in the API server only when missing.
    pub pods: Arc<dyn NodePodSource>,
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
    pub pod: Arc<Pod>,
    /// Namespace, name and uid, for the plugin.
    pub reference: PodRef,
}

impl BoundPod {
    /// Whether the pod has a container, init or ephemeral container `name`.
    pub fn has_container(&self, name: &str) -> bool {
        let Some(spec) = &self.pod.spec else {
            return false;
        };
        spec.containers.iter().any(|c| c.name == name)
            || spec
                .init_containers
                .iter()
                .flatten()
                .any(|c| c.name == name)
            || spec
                .ephemeral_containers
                .iter()
                .flatten()
                .any(|c| c.name == name)
    }
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
    /// 400: a path segment that no Kubernetes object can be named (checked
    /// before it goes into an API server URL or a plugin request).
    #[error("invalid {what} {value:?}: {rule}")]
    InvalidName {
        what: &'static str,
        value: String,
        rule: &'static str,
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
    /// The pod `namespace/name` if it is bound to this node. Both are checked
    /// first (400 for a namespace that is not a DNS-1123 label or a name that
    /// is not a DNS-1123 subdomain): they come percent-decoded from the
    /// request path and kube-rs puts them into the URL unescaped. The
    /// [`PodRef`] comes from the pod's own metadata.
    ///
    /// The pod comes from the pod controller's copy, without an API request.
    /// One it does not have is read from the API server: a pod just created
    /// may reach the watch a moment after the request that names it, and a
    /// pod bound elsewhere is never in it (that 404 costs one GET, as every
    /// lookup did before the copy was used).
    pub async fn bound_pod(&self, namespace: &str, name: &str) -> Result<BoundPod, PodLookupError> {
        check_pod_path(namespace, name)?;
        lookup(
            self.pods.as_ref(),
            &self.client,
            &self.node_name,
            namespace,
            name,
        )
        .await
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

/// The pod from `cached`, else from the API server, if it is bound to `node`.
async fn lookup(
    cached: &dyn NodePodSource,
    client: &kube::Client,
    node: &str,
    namespace: &str,
    name: &str,
) -> Result<BoundPod, PodLookupError> {
    let pod = match cached.pod(namespace, name) {
        Some(pod) => pod,
        None => {
            let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
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
            Arc::new(pod)
        }
    };
    bound_to(node, namespace, name, pod)
}

/// The rule, whichever copy the pod comes from: it is served only when
/// bound to `node`.
fn bound_to(
    node: &str,
    namespace: &str,
    name: &str,
    pod: Arc<Pod>,
) -> Result<BoundPod, PodLookupError> {
    let bound_here = pod.spec.as_ref().and_then(|spec| spec.node_name.as_deref()) == Some(node);
    if !bound_here {
        return Err(PodLookupError::OtherNode {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            node: node.to_owned(),
        });
    }
    let reference = PodRef {
        namespace: pod
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| namespace.to_owned()),
        name: pod.metadata.name.clone().unwrap_or_else(|| name.to_owned()),
        uid: pod.metadata.uid.clone().unwrap_or_default(),
    };
    Ok(BoundPod { pod, reference })
}

const LABEL_RULE: &str = "must be a DNS-1123 label (at most 63 lower-case letters, digits or '-', \
     starting and ending with a letter or digit)";
const SUBDOMAIN_RULE: &str = "must be a DNS-1123 subdomain (at most 253 lower-case letters, digits, \
     '-' or '.', each '.'-separated part starting and ending with a letter or digit)";

/// The namespace and pod name of a request path, checked as the API server
/// would check them; 400 ([`PodLookupError::InvalidName`]) otherwise.
pub fn check_pod_path(namespace: &str, name: &str) -> Result<(), PodLookupError> {
    if !is_dns1123_label(namespace) {
        return Err(PodLookupError::InvalidName {
            what: "namespace",
            value: namespace.to_owned(),
            rule: LABEL_RULE,
        });
    }
    if !is_dns1123_subdomain(name) {
        return Err(PodLookupError::InvalidName {
            what: "pod name",
            value: name.to_owned(),
            rule: SUBDOMAIN_RULE,
        });
    }
    Ok(())
}

/// A container name of a request path, checked as a DNS-1123 label.
pub fn check_container_name(container: &str) -> Result<(), PodLookupError> {
    if is_dns1123_label(container) {
        Ok(())
    } else {
        Err(PodLookupError::InvalidName {
            what: "container name",
            value: container.to_owned(),
            rule: LABEL_RULE,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_path_that_would_reach_another_url_is_refused() {
        // The decoded form of `default%2Fpods%2Fweb%3F...`.
        let error = check_pod_path("default/pods/web?x=", "web").expect_err("namespace");
        assert!(
            matches!(
                &error,
                PodLookupError::InvalidName {
                    what: "namespace",
                    ..
                }
            ),
            "{error}"
        );
        let error = check_pod_path("default", "web/exec").expect_err("name");
        assert!(
            matches!(
                &error,
                PodLookupError::InvalidName {
                    what: "pod name",
                    ..
                }
            ),
            "{error}"
        );
        assert!(check_pod_path("default", "../secrets").is_err());
        assert!(check_pod_path("kube-system", "coredns-5d78c9869d-abcde").is_ok());
        assert!(check_pod_path("default", "web.v1").is_ok());
        assert!(check_container_name("main").is_ok());
        assert!(check_container_name("main/../x").is_err());
        assert!(check_container_name("a.b").is_err());
    }

    /// A stand-in for the pod controller's copy.
    #[derive(Debug, Default)]
    struct Cached(HashMap<(String, String), Arc<Pod>>);

    impl NodePodSource for Cached {
        fn pod(&self, namespace: &str, name: &str) -> Option<Arc<Pod>> {
            self.0
                .get(&(namespace.to_owned(), name.to_owned()))
                .cloned()
        }
    }

    fn pod(name: &str, node: Option<&str>, uid: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "ns", "uid": uid},
            "spec": {"nodeName": node, "containers": [{"name": "main"}]},
        }))
        .expect("a pod")
    }

    /// An API server holding `pods` in namespace `ns`, counting its requests.
    fn api_server(pods: Vec<Pod>) -> (kube::Client, Arc<AtomicUsize>) {
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&requests);
        let service = tower::service_fn(move |request: http::Request<kube::client::Body>| {
            counted.fetch_add(1, Ordering::SeqCst);
            let path = request.uri().path().to_owned();
            let found = pods.iter().find(|pod| {
                let name = pod.metadata.name.as_deref().unwrap_or_default();
                path == format!("/api/v1/namespaces/ns/pods/{name}")
            });
            let (status, body) = match found {
                Some(pod) => (200, serde_json::to_vec(pod)),
                None => (
                    404,
                    serde_json::to_vec(&serde_json::json!({
                        "kind": "Status", "apiVersion": "v1", "metadata": {},
                        "status": "Failure", "reason": "NotFound", "code": 404,
                        "message": format!("{path} not found"),
                    })),
                ),
            };
            let response = http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(kube::client::Body::from(body.expect("JSON")))
                .expect("a response");
            std::future::ready(Ok::<_, std::convert::Infallible>(response))
        });
        (kube::Client::new(service, "default"), requests)
    }

    #[tokio::test]
    async fn the_pod_controllers_copy_answers_and_a_miss_asks_the_api() {
        let mut cached = Cached::default();
        cached.0.insert(
            ("ns".into(), "web".into()),
            Arc::new(pod("web", Some("vk"), "1")),
        );
        let (client, requests) = api_server(vec![
            pod("fresh", Some("vk"), "2"),
            pod("stranger", Some("elsewhere"), "3"),
        ]);
        let find = |name: &'static str| lookup(&cached, &client, "vk", "ns", name);

        let web = find("web").await.expect("the cached pod");
        assert_eq!(
            web.reference,
            PodRef {
                namespace: "ns".into(),
                name: "web".into(),
                uid: "1".into(),
            }
        );
        assert!(web.has_container("main") && !web.has_container("sidecar"));
        assert_eq!(requests.load(Ordering::SeqCst), 0, "no API request");

        // Created a moment ago; the watch has not delivered it yet.
        let fresh = find("fresh").await.expect("the pod from the API");
        assert_eq!(fresh.reference.uid, "2");
        assert_eq!(requests.load(Ordering::SeqCst), 1);

        let error = find("stranger").await.expect_err("bound elsewhere");
        assert!(
            matches!(error, PodLookupError::OtherNode { ref node, .. } if node == "vk"),
            "{error}"
        );
        let error = find("ghost").await.expect_err("no such pod");
        assert!(matches!(error, PodLookupError::NotFound { .. }), "{error}");
        assert_eq!(requests.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn only_a_pod_bound_to_this_node_is_served() {
        for (node, served) in [
            (Some("vk"), true),
            (Some("elsewhere"), false),
            (None, false),
        ] {
            let result = bound_to("vk", "ns", "web", Arc::new(pod("web", node, "1")));
            assert_eq!(result.is_ok(), served, "{node:?}");
        }
    }
}
