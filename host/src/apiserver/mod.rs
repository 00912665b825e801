//! The host's one door to the Kubernetes API: client construction (kubeconfig
//! lookup, client-side QPS/burst), Events and watches that recover within
//! seconds of an outage, shared by the node and pod controllers.

mod client;
mod events;
mod instrument;
mod rate_limit;
mod watch;

pub use client::{KubeError, KubeOptions, connect, connect_unpaced};
pub use events::{Events, Severity};
pub use instrument::InstrumentLayer;
pub use rate_limit::RateLimitLayer;
pub use watch::watch;
