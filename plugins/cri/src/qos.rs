//! A pod's quality-of-service class (`GetPodQOS`): Guaranteed when every
//! container has CPU and memory limits equal to its requests, BestEffort
//! when none has any CPU or memory request or limit, Burstable otherwise.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod};

use crate::quantity::parse_nanos;

/// The QoS class, as `status.qosClass` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QosClass {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl QosClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guaranteed => "Guaranteed",
            Self::Burstable => "Burstable",
            Self::BestEffort => "BestEffort",
        }
    }
}

/// The class of `pod`, from its containers' and init containers' CPU and
/// memory (the API server has already defaulted requests to limits).
pub fn qos_class(pod: &Pod) -> QosClass {
    let Some(spec) = pod.spec.as_ref() else {
        return QosClass::BestEffort;
    };
    let mut requests: BTreeMap<&str, i128> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i128> = BTreeMap::new();
    let mut guaranteed = true;
    let containers: Vec<&Container> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .collect();
    for container in containers {
        let resources = container.resources.as_ref();
        for (name, amount) in positive(resources.and_then(|r| r.requests.as_ref())) {
            *requests.entry(name).or_default() += amount;
        }
        let mut found = Vec::new();
        for (name, amount) in positive(resources.and_then(|r| r.limits.as_ref())) {
            *limits.entry(name).or_default() += amount;
            found.push(name);
        }
        if !(found.contains(&"cpu") && found.contains(&"memory")) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return QosClass::BestEffort;
    }
    if guaranteed
        && requests.len() == limits.len()
        && requests
            .iter()
            .all(|(name, request)| limits.get(name) == Some(request))
    {
        return QosClass::Guaranteed;
    }
    QosClass::Burstable
}

/// The CPU and memory amounts above zero in `list`, in nano-units.
fn positive(
    list: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
) -> impl Iterator<Item = (&'static str, i128)> + '_ {
    list.into_iter().flatten().filter_map(|(name, quantity)| {
        let name = match name.as_str() {
            "cpu" => "cpu",
            "memory" => "memory",
            _ => return None,
        };
        // The API server validated the quantity; an unreadable one counts
        // as absent.
        let amount = parse_nanos(&quantity.0).ok().filter(|a| *a > 0)?;
        Some((name, amount))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    fn class(containers: serde_json::Value, init: serde_json::Value) -> QosClass {
        qos_class(&pod_from_json(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": containers, "initContainers": init}
        })))
    }

    fn resources(requests: serde_json::Value, limits: serde_json::Value) -> serde_json::Value {
        json!({"name": "c", "resources": {"requests": requests, "limits": limits}})
    }

    #[test]
    fn the_kubelet_cases() {
        let both = json!({"cpu": "500m", "memory": "64Mi"});
        assert_eq!(
            class(json!([{"name": "c"}]), json!([])),
            QosClass::BestEffort
        );
        assert_eq!(
            class(
                json!([resources(json!({"cpu": "0"}), json!({}))]),
                json!([])
            ),
            QosClass::BestEffort,
            "zero requests count as none"
        );
        assert_eq!(
            class(
                json!([resources(json!({"ephemeral-storage": "1Gi"}), json!({}))]),
                json!([])
            ),
            QosClass::BestEffort,
            "only cpu and memory count"
        );
        assert_eq!(
            class(json!([resources(both.clone(), both.clone())]), json!([])),
            QosClass::Guaranteed
        );
        assert_eq!(
            class(
                json!([resources(
                    json!({"cpu": "0.5", "memory": "67108864"}),
                    both.clone()
                )]),
                json!([])
            ),
            QosClass::Guaranteed,
            "equal amounts in other spellings"
        );
        assert_eq!(
            class(
                json!([resources(
                    json!({"cpu": "250m", "memory": "64Mi"}),
                    both.clone()
                )]),
                json!([])
            ),
            QosClass::Burstable
        );
        assert_eq!(
            class(
                json!([resources(json!({"cpu": "500m"}), json!({"cpu": "500m"}))]),
                json!([])
            ),
            QosClass::Burstable,
            "a memory limit is needed too"
        );
        assert_eq!(
            class(
                json!([resources(both.clone(), both.clone())]),
                json!([{"name": "init"}])
            ),
            QosClass::Burstable,
            "an init container without limits"
        );
        assert_eq!(
            class(
                json!([resources(both.clone(), both.clone()), {"name": "b"}]),
                json!([])
            ),
            QosClass::Burstable
        );
        assert_eq!(QosClass::BestEffort.as_str(), "BestEffort");
    }
}
