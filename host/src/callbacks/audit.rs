//! The audit trail: one line per callback, allowed or not, at INFO on the
//! target `vk_host::audit`. It names who asked (plugin), what (rpc and
//! object), for which pod, the decision and its rule or result; it is built
//! only from request fields and outcomes, never from returned data. Every
//! field a plugin controls is recorded with `Debug` (escaped, quoted) and
//! cut to a bounded length, so a crafted name cannot forge log lines.

use std::fmt;

/// The longest reason recorded (rule messages quote at most short prefixes
/// of request fields; this bounds the rest).
const MAX_REASON_CHARS: usize = 1024;

/// What one call asked for; the fields of its audit line.
#[derive(Debug, Clone)]
pub struct Call {
    pub plugin: String,
    pub rpc: &'static str,
    /// `Secret ns/name`, `ConfigMap ns/name`, `token for ns/serviceaccount`.
    pub object: String,
    /// `ns/name (uid)` as the plugin named it.
    pub pod: String,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Denied,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
        })
    }
}

impl Call {
    /// Writes the call's audit line. `reason` is the refusing rule's
    /// message, or for an allowed call what came of it (`ok`, `not found`).
    pub fn record(&self, decision: Decision, reason: &str) {
        tracing::info!(
            target: "vk_host::audit",
            plugin = ?self.plugin,
            rpc = self.rpc,
            object = ?self.object,
            pod = ?self.pod,
            %decision,
            reason = ?vk_proto::text::cut_chars(reason, MAX_REASON_CHARS),
            "host callback"
        );
    }
}
