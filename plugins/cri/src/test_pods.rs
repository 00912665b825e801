//! Test helper: pods written as JSON, as they cross the plugin protocol.

use k8s_openapi::api::core::v1::{Container, Pod};

/// `value` decoded as a Pod; panics (in tests only) on a malformed pod.
pub fn pod_from_json(value: serde_json::Value) -> Pod {
    serde_json::from_value(value).expect("test pod JSON is a valid Pod")
}

/// Container `app` with port `web` (8080) and `field` set to `value`
/// (e.g. a `readinessProbe` or `lifecycle`), as in a pod `n/p`.
pub fn web_container(field: &str, value: serde_json::Value) -> Container {
    let mut container = serde_json::json!({
        "name": "app",
        "ports": [{"name": "web", "containerPort": 8080}],
    });
    container[field] = value;
    let pod = pod_from_json(serde_json::json!({
        "metadata": {"name": "p", "namespace": "n", "uid": "u"},
        "spec": {"containers": [container]}
    }));
    pod.spec
        .expect("a spec")
        .containers
        .into_iter()
        .next()
        .expect("one container")
}
