//! The decision of one callback, as a plain function: the Node authorizer's
//! rules for a kubelet, restated for a plugin (see the `HostCallbacks`
//! comment in proto/provider.proto). The first rule that fails is named.

use k8s_openapi::api::core::v1::Pod;

use super::references;

/// What the plugin asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted<'a> {
    Secret(&'a str),
    ConfigMap(&'a str),
    /// A token for this service account ("" = the pod's own) with these
    /// audiences (none = the API server's default).
    Token {
        account: &'a str,
        audiences: &'a [String],
    },
    /// The environment of one of the pod's own containers: no object is
    /// named, so only the pod rules apply (whether the pod has that
    /// container is the service's NOT_FOUND, not a refusal).
    ContainerEnv(&'a str),
}

/// The pod the plugin names and the namespace it asks in ("" = the pod's).
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
    pub object_namespace: &'a str,
}

/// The rule that refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    PodBound,
    PodRunning,
    SameNamespace,
    Referenced,
    OwnServiceAccount,
    TokenProjected,
}

impl Rule {
    /// The rule's name in messages and audit lines (as in the proto).
    pub fn name(self) -> &'static str {
        match self {
            Self::PodBound => "pod-bound",
            Self::PodRunning => "pod-running",
            Self::SameNamespace => "same-namespace",
            Self::Referenced => "referenced",
            Self::OwnServiceAccount => "own-service-account",
            Self::TokenProjected => "token-projected",
        }
    }
}

/// A refusal: the rule and a message for the plugin's author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub rule: Rule,
    pub message: String,
}

impl Denial {
    fn new(rule: Rule, message: String) -> Self {
        Self {
            rule,
            message: format!("refused by rule {}: {message}", rule.name()),
        }
    }
}

/// Decides a call. `held` is the host's copy of the pod under the asked
/// namespace/name, if any; `node` is this node's name.
pub fn authorize(
    node: &str,
    asked: Asked<'_>,
    held: Option<&Pod>,
    wanted: Wanted<'_>,
) -> Result<(), Denial> {
    let pod_name = format!("{}/{}", asked.namespace, asked.name);
    let bound = held.filter(|pod| {
        pod.metadata.uid.as_deref() == Some(asked.uid)
            && pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
    });
    let Some(pod) = bound else {
        return Err(Denial::new(
            Rule::PodBound,
            format!(
                "pod {pod_name} with uid {} is not bound to node {node} (unknown, deleted, or on another node)",
                asked.uid
            ),
        ));
    };
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return Err(Denial::new(
            Rule::PodRunning,
            format!(
                "pod {pod_name} has finished ({})",
                phase.unwrap_or_default()
            ),
        ));
    }
    if !asked.object_namespace.is_empty() && asked.object_namespace != asked.namespace {
        return Err(Denial::new(
            Rule::SameNamespace,
            format!(
                "namespace {} is not the namespace of pod {pod_name}; a pod references objects of its own namespace only",
                asked.object_namespace
            ),
        ));
    }
    let empty = Default::default();
    let spec = pod.spec.as_ref().unwrap_or(&empty);
    match wanted {
        Wanted::Secret(name) if !references::secrets(spec).contains(name) => Err(Denial::new(
            Rule::Referenced,
            format!(
                "pod {pod_name} does not reference Secret {name} (env, envFrom, volumes, projected sources, imagePullSecrets)"
            ),
        )),
        Wanted::ConfigMap(name) if !references::config_maps(spec).contains(name) => {
            Err(Denial::new(
                Rule::Referenced,
                format!(
                    "pod {pod_name} does not reference ConfigMap {name} (env, envFrom, volumes, projected sources)"
                ),
            ))
        }
        Wanted::Token { account, audiences } => {
            let own = references::service_account(spec);
            if !account.is_empty() && account != own {
                return Err(Denial::new(
                    Rule::OwnServiceAccount,
                    format!("pod {pod_name} runs as service account {own}, not {account}"),
                ));
            }
            token_projected(&pod_name, spec, audiences)
        }
        _ => Ok(()),
    }
}

/// The kube-apiserver's ServiceAccountNodeAudienceRestriction for a
/// kubelet, restated: at most one audience, and it must be the audience of
/// one of the pod's `serviceAccountToken` projections (none or "" = the API
/// server's default); a pod that projects no token gets none.
fn token_projected(
    pod_name: &str,
    spec: &k8s_openapi::api::core::v1::PodSpec,
    audiences: &[String],
) -> Result<(), Denial> {
    let projected = references::token_audiences(spec);
    if projected.is_empty() {
        return Err(Denial::new(
            Rule::TokenProjected,
            format!(
                "pod {pod_name} projects no service-account token (volumes[].projected.sources[].serviceAccountToken), so it gets none"
            ),
        ));
    }
    let audience = match audiences {
        [] => "",
        [one] => one.as_str(),
        _ => {
            return Err(Denial::new(
                Rule::TokenProjected,
                format!(
                    "a token for pod {pod_name} has at most one audience, as a projection has; {} were asked",
                    audiences.len()
                ),
            ));
        }
    };
    if projected.contains(audience) {
        Ok(())
    } else {
        let shown = |a: &str| {
            if a.is_empty() {
                "(the API server's default)".to_owned()
            } else {
                format!("{a:?}")
            }
        };
        Err(Denial::new(
            Rule::TokenProjected,
            format!(
                "pod {pod_name} projects no service-account token with audience {}; it projects {}",
                shown(audience),
                projected
                    .iter()
                    .map(|a| shown(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(node: &str, phase: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
            "spec": {"nodeName": node, "serviceAccountName": "app",
                     "containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "db"}}]}],
                     "volumes": [{"name": "v", "configMap": {"name": "conf"}},
                                 {"name": "t", "projected": {"sources": [
                                     {"serviceAccountToken": {"path": "token"}},
                                     {"serviceAccountToken": {"path": "vault", "audience": "vault"}}]}}]},
            "status": {"phase": phase},
        }))
        .expect("a pod")
    }

    fn asked<'a>(uid: &'a str, object_namespace: &'a str) -> Asked<'a> {
        Asked {
            namespace: "ns",
            name: "p",
            uid,
            object_namespace,
        }
    }

    fn token<'a>(account: &'a str, audiences: &[&str]) -> Wanted<'a> {
        let audiences: Vec<String> = audiences.iter().map(|a| (*a).to_owned()).collect();
        Wanted::Token {
            account,
            audiences: Vec::leak(audiences),
        }
    }

    fn rule(result: Result<(), Denial>) -> Option<Rule> {
        result.err().map(|d| d.rule)
    }

    #[test]
    fn referenced_objects_of_a_bound_pod_are_allowed() {
        let pod = pod("n1", "Running");
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", ""),
                Some(&pod),
                Wanted::Secret("db")
            )),
            None
        );
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", "ns"),
                Some(&pod),
                Wanted::ConfigMap("conf")
            )),
            None
        );
        assert_eq!(
            rule(authorize("n1", asked("u1", ""), Some(&pod), token("", &[]))),
            None
        );
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", ""),
                Some(&pod),
                token("", &["vault"])
            )),
            None
        );
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", ""),
                Some(&pod),
                token("app", &[])
            )),
            None
        );
    }

    #[test]
    fn each_rule_refuses_with_its_name() {
        let pod = pod("n1", "Running");
        assert_eq!(
            rule(authorize("n1", asked("u1", ""), None, Wanted::Secret("db"))),
            Some(Rule::PodBound)
        );
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u2", ""),
                Some(&pod),
                Wanted::Secret("db")
            )),
            Some(Rule::PodBound)
        );
        assert_eq!(
            rule(authorize(
                "n2",
                asked("u1", ""),
                Some(&pod),
                Wanted::Secret("db")
            )),
            Some(Rule::PodBound)
        );
        let finished = self::pod("n1", "Succeeded");
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", ""),
                Some(&finished),
                Wanted::Secret("db")
            )),
            Some(Rule::PodRunning)
        );
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", "other"),
                Some(&pod),
                Wanted::Secret("db")
            )),
            Some(Rule::SameNamespace)
        );
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", ""),
                Some(&pod),
                Wanted::Secret("conf")
            )),
            Some(Rule::Referenced)
        );
        assert_eq!(
            rule(authorize(
                "n1",
                asked("u1", ""),
                Some(&pod),
                Wanted::ConfigMap("db")
            )),
            Some(Rule::Referenced)
        );
        let denial = authorize("n1", asked("u1", ""), Some(&pod), token("admin", &[]))
            .expect_err("another account");
        assert_eq!(denial.rule, Rule::OwnServiceAccount);
        assert!(
            denial
                .message
                .starts_with("refused by rule own-service-account: "),
            "{}",
            denial.message
        );
    }

    /// A pod's own container env: allowed for the bound, unfinished pod
    /// whatever it references; refused by the pod rules like the others.
    #[test]
    fn container_env_is_under_the_pod_rules() {
        let running = pod("n1", "Running");
        let pending = pod("n1", "Pending");
        let finished = pod("n1", "Failed");
        // (what, node, asked, the host's pod, the refusing rule)
        type Case<'a> = (&'a str, &'a str, Asked<'a>, Option<&'a Pod>, Option<Rule>);
        let cases: [Case<'_>; 7] = [
            ("own pod", "n1", asked("u1", ""), Some(&running), None),
            (
                "own pod, pending",
                "n1",
                asked("u1", ""),
                Some(&pending),
                None,
            ),
            (
                "unknown pod",
                "n1",
                asked("u1", ""),
                None,
                Some(Rule::PodBound),
            ),
            (
                "wrong uid",
                "n1",
                asked("u2", ""),
                Some(&running),
                Some(Rule::PodBound),
            ),
            (
                "another node's pod",
                "n2",
                asked("u1", ""),
                Some(&running),
                Some(Rule::PodBound),
            ),
            (
                "finished pod",
                "n1",
                asked("u1", ""),
                Some(&finished),
                Some(Rule::PodRunning),
            ),
            (
                "another namespace",
                "n1",
                asked("u1", "other"),
                Some(&running),
                Some(Rule::SameNamespace),
            ),
        ];
        for (what, node, asked, held, expected) in cases {
            assert_eq!(
                rule(authorize(node, asked, held, Wanted::ContainerEnv("c"))),
                expected,
                "{what}"
            );
        }
    }

    #[test]
    fn a_token_only_for_a_projected_audience() {
        let pod = pod("n1", "Running");
        let denied = |wanted| rule(authorize("n1", asked("u1", ""), Some(&pod), wanted));
        assert_eq!(denied(token("", &["vk-test"])), Some(Rule::TokenProjected));
        assert_eq!(
            denied(token("", &["vault", "vault"])),
            Some(Rule::TokenProjected),
            "at most one audience"
        );
        let mut bare = pod.clone();
        if let Some(spec) = bare.spec.as_mut() {
            spec.volumes = None;
        }
        let denial = authorize("n1", asked("u1", ""), Some(&bare), token("", &[]))
            .expect_err("no projection, no token");
        assert_eq!(denial.rule, Rule::TokenProjected);
        assert!(
            denial.message.contains("projects no service-account token"),
            "{}",
            denial.message
        );
    }
}
