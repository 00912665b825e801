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
    /// [`PodRef`] comes from the fetched pod's own metadata.
    pub async fn bound_pod(&self, namespace: &str, name: &str) -> Result<BoundPod, PodLookupError> {
        check_pod_path(namespace, name)?;
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

    /// The running plugin's client.
    pub fn plugin_client(&self) -> Result<PluginClient, PodLookupError> {
        self.plugin
            .client
            .borrow()
            .clone()
            .ok_or(PodLookupError::PluginDown)
    }
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

/// Kubernetes' `IsDNS1123Label`: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most
/// 63 characters.
pub fn is_dns1123_label(value: &str) -> bool {
    value.len() <= 63 && is_label_shape(value)
}

/// Kubernetes' `IsDNS1123Subdomain`: labels of the shape above joined by
/// `.`, at most 253 characters in all.
pub fn is_dns1123_subdomain(value: &str) -> bool {
    value.len() <= 253 && value.split('.').all(is_label_shape)
}

fn is_label_shape(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1123_labels_and_subdomains() {
        for good in ["a", "default", "kube-system", "a1", &"a".repeat(63)] {
            assert!(is_dns1123_label(good), "{good}");
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a.b",
            "a_b",
            "a/b",
            "a?b",
            "a%2Fb",
            "..",
            &"a".repeat(64),
        ] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
        assert!(is_dns1123_subdomain("web.v1-2.x"));
        assert!(is_dns1123_subdomain(&"a".repeat(253)));
        for bad in [
            "",
            ".",
            "a.",
            ".a",
            "a..b",
            "a/b",
            "web?x",
            "Web",
            &"a".repeat(254),
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

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
}
