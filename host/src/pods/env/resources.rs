//! `resourceFieldRef`: a container's limit or request, divided by the
//! divisor and rounded up, as the kubelet computes it. A limit the container
//! does not set (cpu, memory, ephemeral-storage) is the Node's allocatable.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec, ResourceFieldSelector};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use vk_proto::quantity::scaled_ceil;

/// Limits that default to the Node's allocatable (the kubelet's list).
const DEFAULTED: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];

/// The value of `selector` for `container` of `spec`. `allocatable` is the
/// Node's, when known. `Err` is the kubelet's message.
pub fn value(
    selector: &ResourceFieldSelector,
    spec: &PodSpec,
    container: &Container,
    allocatable: Option<&BTreeMap<String, Quantity>>,
) -> Result<String, String> {
    let target = match selector.container_name.as_deref().filter(|n| !n.is_empty()) {
        None => container,
        Some(name) => spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .find(|c| c.name == name)
            .ok_or_else(|| format!("container {name} not found"))?,
    };
    let unsupported = || format!("unsupported container resource : {}", selector.resource);
    let (kind, resource) = selector.resource.split_once('.').ok_or_else(unsupported)?;
    let supported = matches!(resource, "cpu" | "memory" | "ephemeral-storage")
        || resource.starts_with("hugepages-");
    if !supported || !matches!(kind, "limits" | "requests") {
        return Err(unsupported());
    }
    let resources = target.resources.as_ref();
    let set = if kind == "limits" {
        resources.and_then(|r| r.limits.as_ref())
    } else {
        resources.and_then(|r| r.requests.as_ref())
    };
    let given = set
        .and_then(|values| values.get(resource))
        .filter(|q| scaled_ceil(&q.0, 3) != Ok(0));
    let quantity = match given {
        Some(quantity) => quantity.0.clone(),
        None if kind == "limits" && DEFAULTED.contains(&resource) => {
            let allocatable = allocatable
                .ok_or_else(|| "failed to find node object, expected a node".to_owned())?;
            allocatable
                .get(resource)
                .map_or_else(|| "0".to_owned(), |q| q.0.clone())
        }
        None => "0".to_owned(),
    };
    let divisor = selector
        .divisor
        .as_ref()
        .map(|d| d.0.as_str())
        .filter(|d| scaled_ceil(d, 3).is_ok_and(|milli| milli != 0))
        .unwrap_or("1");
    // CPU counts in milli-units (a divisor of 1m is common), the rest in units.
    let scale = if resource == "cpu" { 3 } else { 0 };
    let bad = |text: &str| format!("invalid quantity {text:?} for {}", selector.resource);
    let amount = scaled_ceil(&quantity, scale).map_err(|_| bad(&quantity))?;
    let per = scaled_ceil(divisor, scale)
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| bad(divisor))?;
    Ok(ceil_div(amount, per).to_string())
}

fn ceil_div(amount: i128, per: i128) -> i128 {
    let quotient = amount / per;
    if amount % per > 0 {
        quotient + 1
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PodSpec {
        serde_json::from_value(serde_json::json!({
            "containers": [
                {"name": "a", "resources": {
                    "limits": {"cpu": "500m", "memory": "128Mi"},
                    "requests": {"cpu": "250m", "memory": "64Mi"}}},
                {"name": "b"},
            ],
        }))
        .expect("spec")
    }

    fn selector(
        resource: &str,
        divisor: Option<&str>,
        container: Option<&str>,
    ) -> ResourceFieldSelector {
        ResourceFieldSelector {
            resource: resource.into(),
            divisor: divisor.map(|d| Quantity(d.into())),
            container_name: container.map(Into::into),
        }
    }

    #[test]
    fn limits_requests_and_divisors() {
        let spec = spec();
        let a = &spec.containers[0];
        let allocatable = BTreeMap::from([
            ("cpu".to_owned(), Quantity("4".into())),
            ("memory".to_owned(), Quantity("1Gi".into())),
        ]);
        let run = |resource, divisor, container| {
            value(
                &selector(resource, divisor, container),
                &spec,
                a,
                Some(&allocatable),
            )
        };
        assert_eq!(run("limits.cpu", None, None), Ok("1".into()));
        assert_eq!(run("limits.cpu", Some("1m"), None), Ok("500".into()));
        assert_eq!(run("requests.cpu", Some("1m"), None), Ok("250".into()));
        assert_eq!(run("limits.memory", None, None), Ok("134217728".into()));
        assert_eq!(run("limits.memory", Some("1Mi"), None), Ok("128".into()));
        assert_eq!(run("requests.memory", Some("1Mi"), None), Ok("64".into()));
        // No limit: the Node's allocatable; no request: 0.
        assert_eq!(run("limits.cpu", None, Some("b")), Ok("4".into()));
        assert_eq!(
            run("limits.memory", Some("1Mi"), Some("b")),
            Ok("1024".into())
        );
        assert_eq!(run("requests.cpu", None, Some("b")), Ok("0".into()));
        assert_eq!(
            run("limits.gpu", None, None),
            Err("unsupported container resource : limits.gpu".into())
        );
        assert_eq!(
            run("limits.cpu", None, Some("zzz")),
            Err("container zzz not found".into())
        );
        assert!(value(&selector("limits.cpu", None, Some("b")), &spec, a, None).is_err());
    }
}
