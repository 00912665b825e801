//! The Node's Ready condition from the plugin's state: pure, so every phase's
//! reason and message are unit-tested. `Ready=True` only while the plugin is
//! running and passes its probes; otherwise `False` with a reason that says
//! what the plugin is doing and a message that says why (cut to
//! [`MAX_TEXT`](super::desired::MAX_TEXT) bytes: the why is the plugin's own
//! text).

use super::desired::bounded;
use crate::plugin_process::{Phase, PluginStatus};

/// What the Ready condition should say (status, reason, message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    /// CamelCase, as in `kubectl describe node`: `KubeletReady`,
    /// `PluginNotReady`, `PluginRestarting`, `PluginStarting`, `PluginStopped`.
    pub reason: &'static str,
    pub message: String,
}

/// The Ready condition for a plugin in `status`.
pub fn readiness(status: &PluginStatus) -> Readiness {
    let mut readiness = unbounded(status);
    readiness.message = bounded(&readiness.message);
    readiness
}

fn unbounded(status: &PluginStatus) -> Readiness {
    let plugin = match &status.identity {
        Some(identity) => format!("plugin {} {}", identity.name, identity.version),
        None => "the plugin".to_owned(),
    };
    match &status.phase {
        Phase::Ready => Readiness {
            ready: true,
            reason: "KubeletReady",
            message: format!("vk-host is posting ready status; {plugin} is ready"),
        },
        Phase::NotReady(why) => Readiness {
            ready: false,
            reason: "PluginNotReady",
            message: format!("{plugin} is not ready: {why}"),
        },
        Phase::BackingOff { delay, reason } => Readiness {
            ready: false,
            reason: "PluginRestarting",
            message: format!(
                "{plugin} stopped ({reason}); restarting in {} (restarts so far: {})",
                humantime::format_duration(round_to_millis(*delay)),
                status.restarts
            ),
        },
        Phase::Starting => Readiness {
            ready: false,
            reason: "PluginStarting",
            message: if status.restarts == 0 {
                format!("{plugin} is starting")
            } else {
                format!("{plugin} is starting again (restart {})", status.restarts)
            },
        },
        Phase::Stopped => Readiness {
            ready: false,
            reason: "PluginStopped",
            message: format!("{plugin} was stopped by vk-host"),
        },
    }
}

fn round_to_millis(delay: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_millis(delay.as_millis().try_into().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::node::desired::MAX_TEXT;
    use crate::plugin_process::PluginIdentity;

    fn status(phase: Phase, restarts: u64) -> PluginStatus {
        PluginStatus {
            phase,
            restarts,
            pid: Some(42),
            identity: Some(Arc::new(PluginIdentity {
                name: "vk-mock-plugin".into(),
                version: "0.1.0".into(),
                protocol_version: 1,
                capabilities: HashSet::new(),
            })),
        }
    }

    #[test]
    fn a_ready_plugin_makes_a_ready_node() {
        let r = readiness(&status(Phase::Ready, 0));
        assert!(r.ready);
        assert_eq!(r.reason, "KubeletReady");
        assert_eq!(
            r.message,
            "vk-host is posting ready status; plugin vk-mock-plugin 0.1.0 is ready"
        );
    }

    #[test]
    fn a_probe_failure_carries_the_probe_reason() {
        let why = "plugin is not answering health probes (2 failed, last: no answer within 2s)";
        let r = readiness(&status(Phase::NotReady(why.into()), 0));
        assert!(!r.ready);
        assert_eq!(r.reason, "PluginNotReady");
        assert_eq!(
            r.message,
            format!("plugin vk-mock-plugin 0.1.0 is not ready: {why}")
        );
    }

    #[test]
    fn a_restart_says_why_and_when() {
        let r = readiness(&status(
            Phase::BackingOff {
                delay: Duration::from_micros(1_500_300),
                reason: "plugin exited with exit status: 3".into(),
            },
            2,
        ));
        assert!(!r.ready);
        assert_eq!(r.reason, "PluginRestarting");
        assert_eq!(
            r.message,
            "plugin vk-mock-plugin 0.1.0 stopped (plugin exited with exit status: 3); \
             restarting in 1s 500ms (restarts so far: 2)"
        );
    }

    #[test]
    fn starting_and_stopped_are_not_ready() {
        let first = readiness(&status(Phase::Starting, 0));
        assert_eq!((first.ready, first.reason), (false, "PluginStarting"));
        assert_eq!(first.message, "plugin vk-mock-plugin 0.1.0 is starting");
        let again = readiness(&status(Phase::Starting, 3));
        assert!(again.message.ends_with("starting again (restart 3)"));
        let stopped = readiness(&status(Phase::Stopped, 0));
        assert_eq!((stopped.ready, stopped.reason), (false, "PluginStopped"));
    }

    #[test]
    fn a_long_probe_message_is_cut() {
        let why = "x".repeat(100_000);
        let r = readiness(&status(Phase::NotReady(why), 0));
        assert_eq!(r.message.len(), MAX_TEXT);
        assert!(
            r.message
                .starts_with("plugin vk-mock-plugin 0.1.0 is not ready: xxx")
        );
        assert!(r.message.ends_with("..."));
    }

    #[test]
    fn without_an_identity_the_plugin_is_still_named() {
        let mut s = status(Phase::Starting, 0);
        s.identity = None;
        assert_eq!(readiness(&s).message, "the plugin is starting");
    }
}
