//! What a failed plugin call says: the plugin, the rpc and the cause; and
//! what the retry table makes of it.

use std::sync::Arc;

use tonic::{Code, Status};
use vk_proto::v1::Capability;

use crate::plugin_process::retry::{CallKind, Retry, classify};

/// A failed plugin call.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The plugin returned an error status (or the transport failed).
    #[error("plugin {plugin}: {rpc} failed: {}: {}", .status.code(), .status.message())]
    Status {
        plugin: Arc<str>,
        rpc: &'static str,
        status: Status,
    },
    /// The plugin did not declare the capability, so it is not called.
    #[error(
        "plugin {plugin} does not support {} ({} not declared)",
        what(.capability),
        .capability.as_str_name()
    )]
    Unsupported {
        plugin: Arc<str>,
        capability: Capability,
    },
    /// The reply is not what the protocol promises.
    #[error("plugin {plugin}: {rpc} replied with invalid data: {why}")]
    InvalidReply {
        plugin: Arc<str>,
        rpc: &'static str,
        why: String,
    },
}

impl CallError {
    /// What the retry table says to do.
    pub fn retry(&self) -> Retry {
        match self {
            Self::Status { rpc, status, .. } => {
                let kind = if *rpc == "DeletePod" {
                    CallKind::Delete
                } else {
                    CallKind::Other
                };
                classify(status.code(), kind)
            }
            Self::Unsupported { .. } => Retry::Absent,
            Self::InvalidReply { .. } => Retry::Backoff,
        }
    }

    /// The gRPC code, when the plugin returned one.
    pub fn code(&self) -> Option<Code> {
        match self {
            Self::Status { status, .. } => Some(status.code()),
            _ => None,
        }
    }
}

/// What a capability lets the host do, in the words a user reads.
fn what(capability: &Capability) -> &'static str {
    match capability {
        Capability::Unspecified => "an unnamed capability",
        Capability::PodStatusStream => "pushing pod status",
        Capability::ContainerLogs => "container logs",
        Capability::Exec => "exec",
        Capability::Attach => "attach",
        Capability::PortForward => "port-forward",
        Capability::StatsSummary => "stats (/stats/summary)",
        Capability::MetricsResource => "resource metrics (/metrics/resource)",
        Capability::NodeInfo => "node information",
        Capability::PluginMetrics => "the plugin's own metrics",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undeclared_capability_is_named_in_words_and_by_its_proto_name() {
        let error = CallError::Unsupported {
            plugin: "vk-mock-plugin".into(),
            capability: Capability::ContainerLogs,
        };
        assert_eq!(
            error.to_string(),
            "plugin vk-mock-plugin does not support container logs \
             (CAPABILITY_CONTAINER_LOGS not declared)"
        );
        assert_eq!(error.retry(), Retry::Absent);
    }
}
