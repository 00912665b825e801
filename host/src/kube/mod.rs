//! The host's one door to the Kubernetes API: client construction (kubeconfig
//! lookup, client-side QPS/burst) shared by the node and pod controllers.

mod client;
mod rate_limit;

pub use client::{KubeError, KubeOptions, connect};
pub use rate_limit::RateLimitLayer;
