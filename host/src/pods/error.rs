//! Why one pass of work on a pod failed, and when to come back: every
//! variant is retried with backoff, a plugin error per the reaction
//! `policy` gives it.

use super::env;
use super::key::PodKey;
use super::policy;
use super::queue::Outcome;
use crate::plugin_process::CallError;

/// Why one pass failed; every variant is retried with backoff.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the plugin is restarting")]
    PluginUnavailable,
    #[error(transparent)]
    Plugin(#[from] CallError),
    #[error("pod {key}: {source}")]
    Env {
        key: PodKey,
        #[source]
        source: env::EnvError,
    },
    #[error("pod {key}: {what}")]
    Api {
        key: PodKey,
        what: &'static str,
        #[source]
        source: kube::Error,
    },
}

impl SyncError {
    /// When to work on the pod again.
    pub fn outcome(&self) -> Outcome {
        match self {
            Self::Plugin(error) => policy::react(error).outcome(),
            _ => Outcome::Retry,
        }
    }
}
