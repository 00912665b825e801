//! The kubelet HTTP API of the virtual node: what the kube-apiserver calls
//! for `kubectl logs/exec/attach/port-forward/top`, served over TLS with the
//! kubelet's webhook authentication and authorization, each request carried
//! to the plugin over the protocol.

mod state;
pub mod streaming;

pub use state::{ApiState, BoundPod, PodLookupError};
