//! Which pod a piece of work is about: `namespace/name`, the key of the work
//! queue and of the API cache. The UID is tracked separately: a pod deleted
//! and re-created under the same name is a different pod under the same key.

use std::fmt;

use k8s_openapi::api::core::v1::Pod;

/// `namespace/name` of a pod.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    pub namespace: String,
    pub name: String,
}

impl PodKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The key of `pod`; `None` for an object without namespace or name
    /// (the API never sends one).
    pub fn of(pod: &Pod) -> Option<Self> {
        Some(Self::new(
            pod.metadata.namespace.clone()?,
            pod.metadata.name.clone()?,
        ))
    }
}

impl fmt::Display for PodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The UID of `pod`, empty when missing.
pub fn uid_of(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or_default()
}
