//! Test helper: pods written as JSON, as they cross the plugin protocol.

use k8s_openapi::api::core::v1::Pod;

/// `value` decoded as a Pod; panics (in tests only) on a malformed pod.
pub fn pod_from_json(value: serde_json::Value) -> Pod {
    serde_json::from_value(value).expect("test pod JSON is a valid Pod")
}
