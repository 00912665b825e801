//! `fieldRef` (the downward API for env): the pod's own metadata, spec and
//! IPs. A pod IP the plugin has not reported yet is not an error: it is
//! resolved later (see the proto's "Environment").

use k8s_openapi::api::core::v1::Pod;

/// A field's value, or the fact that it is the pod's IP and not known yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Known(String),
    AwaitsPodIp,
}

/// The value of `path` for `pod`; `host_ips` are the node's addresses for
/// the pod (its `status.hostIPs`, else the Node's InternalIP). `Err` is the
/// kubelet's message.
pub fn value(path: &str, pod: &Pod, host_ips: &[String]) -> Result<FieldValue, String> {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let known = |value: Option<&String>| Ok(FieldValue::Known(value.cloned().unwrap_or_default()));
    match path {
        "metadata.name" => known(meta.name.as_ref()),
        "metadata.namespace" => known(meta.namespace.as_ref()),
        "metadata.uid" => known(meta.uid.as_ref()),
        "spec.nodeName" => known(spec.and_then(|s| s.node_name.as_ref())),
        "spec.serviceAccountName" => known(spec.and_then(|s| s.service_account_name.as_ref())),
        "status.hostIP" => host_ips
            .first()
            .map(|ip| FieldValue::Known(ip.clone()))
            .ok_or_else(|| {
                "cannot determine the node's IP address: the Node has no InternalIP".to_owned()
            }),
        "status.hostIPs" if host_ips.is_empty() => {
            Err("cannot determine the node's IP addresses: the Node has no InternalIP".to_owned())
        }
        "status.hostIPs" => Ok(FieldValue::Known(host_ips.join(","))),
        "status.podIP" | "status.podIPs" => {
            let ips = pod_ips(pod);
            if ips.is_empty() {
                return Ok(FieldValue::AwaitsPodIp);
            }
            Ok(FieldValue::Known(if path == "status.podIP" {
                ips[0].clone()
            } else {
                ips.join(",")
            }))
        }
        _ => {
            let subscripted = |prefix: &str| {
                path.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix("['"))
                    .and_then(|rest| rest.strip_suffix("']"))
            };
            if let Some(key) = subscripted("metadata.labels") {
                Ok(FieldValue::Known(
                    meta.labels
                        .as_ref()
                        .and_then(|l| l.get(key))
                        .cloned()
                        .unwrap_or_default(),
                ))
            } else if let Some(key) = subscripted("metadata.annotations") {
                Ok(FieldValue::Known(
                    meta.annotations
                        .as_ref()
                        .and_then(|a| a.get(key))
                        .cloned()
                        .unwrap_or_default(),
                ))
            } else {
                Err(format!("unsupported fieldPath: {path}"))
            }
        }
    }
}

/// The pod's IPs as its API status has them (`podIPs`, else `podIP`).
pub fn pod_ips(pod: &Pod) -> Vec<String> {
    let Some(status) = pod.status.as_ref() else {
        return Vec::new();
    };
    let listed: Vec<String> = status
        .pod_ips
        .iter()
        .flatten()
        .map(|ip| ip.ip.clone())
        .filter(|ip| !ip.is_empty())
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    status
        .pod_ip
        .iter()
        .filter(|ip| !ip.is_empty())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u",
                         "labels": {"app": "web"}, "annotations": {"team": "a"}},
            "spec": {"nodeName": "n1", "serviceAccountName": "sa", "containers": []},
            "status": status,
        }))
        .expect("pod")
    }

    #[test]
    fn metadata_spec_and_ips() {
        let pod = pod(
            serde_json::json!({"podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}]}),
        );
        let hosts = vec!["192.168.1.2".to_owned()];
        let get = |path| value(path, &pod, &hosts);
        let known = |text: &str| Ok(FieldValue::Known(text.to_owned()));
        assert_eq!(get("metadata.name"), known("p"));
        assert_eq!(get("metadata.namespace"), known("ns"));
        assert_eq!(get("metadata.uid"), known("u"));
        assert_eq!(get("metadata.labels['app']"), known("web"));
        assert_eq!(get("metadata.labels['none']"), known(""));
        assert_eq!(get("metadata.annotations['team']"), known("a"));
        assert_eq!(get("spec.nodeName"), known("n1"));
        assert_eq!(get("spec.serviceAccountName"), known("sa"));
        assert_eq!(get("status.hostIP"), known("192.168.1.2"));
        assert_eq!(get("status.hostIPs"), known("192.168.1.2"));
        assert_eq!(get("status.podIP"), known("10.0.0.5"));
        assert_eq!(get("status.podIPs"), known("10.0.0.5,fd00::5"));
        assert_eq!(
            get("metadata.generateName"),
            Err("unsupported fieldPath: metadata.generateName".into())
        );
    }

    #[test]
    fn a_pod_ip_not_reported_yet_is_awaited() {
        let pod = pod(serde_json::json!({}));
        assert_eq!(
            value("status.podIP", &pod, &[]),
            Ok(FieldValue::AwaitsPodIp)
        );
        assert_eq!(
            value("status.podIPs", &pod, &[]),
            Ok(FieldValue::AwaitsPodIp)
        );
        assert!(value("status.hostIP", &pod, &[]).is_err());
    }
}
