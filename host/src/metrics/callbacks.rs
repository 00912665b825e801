//! HostCallbacks calls by rpc, outcome and the rule that refused them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// How a callback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackOutcome {
    /// Allowed and answered.
    Ok,
    /// Allowed, but reading the object failed (not found, API error).
    Error,
    /// Refused.
    Denied,
}

impl CallbackOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Denied => "denied",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    rpc: &'static str,
    outcome: &'static str,
    rule: &'static str,
}

/// HostCallbacks calls by rpc, rule and outcome.
#[derive(Debug)]
pub struct CallbackMetrics {
    calls: Family<CallLabels, Counter>,
}

impl CallbackMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(registry: &mut Registry) -> Self {
        let this = Self {
            calls: Family::default(),
        };
        registry.register(
            "callback_calls",
            "HostCallbacks calls by rpc, outcome (ok, error, denied) and rule (the rule that refused \
             a denied call: pod-bound, pod-running, same-namespace, referenced, own-service-account, \
             token-projected, authentication, invalid-request, no-cluster; none when allowed)",
            this.calls.clone(),
        );
        this
    }

    /// One callback ended; `rule` names what refused it ("none" when
    /// allowed).
    pub fn call(&self, rpc: &'static str, outcome: CallbackOutcome, rule: &'static str) {
        self.calls
            .get_or_create(&CallLabels {
                rpc,
                outcome: outcome.as_str(),
                rule,
            })
            .inc();
    }

    /// How many calls were counted under these labels (for tests).
    pub fn count(&self, rpc: &'static str, outcome: CallbackOutcome, rule: &'static str) -> u64 {
        self.calls
            .get(&CallLabels {
                rpc,
                outcome: outcome.as_str(),
                rule,
            })
            .map_or(0, |counter| counter.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn calls_are_counted_by_rpc_outcome_and_rule() {
        let mut registry = Registry::with_prefix("vk_host");
        let metrics = CallbackMetrics::new(&mut registry);
        metrics.call("GetSecret", CallbackOutcome::Denied, "referenced");
        metrics.call("GetSecret", CallbackOutcome::Ok, "none");
        metrics.call("GetSecret", CallbackOutcome::Ok, "none");
        let mut text = String::new();
        encode(&mut text, &registry).expect("encode");
        for line in [
            r#"vk_host_callback_calls_total{rpc="GetSecret",outcome="denied",rule="referenced"} 1"#,
            r#"vk_host_callback_calls_total{rpc="GetSecret",outcome="ok",rule="none"} 2"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
    }
}
