//! The shape of a callback request, checked before it is used for anything
//! (lookups, rules, messages): Kubernetes names where Kubernetes names are
//! expected (the rules are `vk_proto::names`), bounded uids and audiences.
//! A refusal names the field and shows at most a short, escaped prefix of
//! what was sent.

use vk_proto::names::{is_dns1123_label, is_dns1123_subdomain};
use vk_proto::text;
use vk_proto::v1::PodRef;

/// The API server's shortest token lifetime (TokenRequest validation).
pub const MIN_TOKEN_SECONDS: i64 = 600;
/// Longest accepted `metadata.uid` (the API server's are 36-character UUIDs).
const MAX_UID_CHARS: usize = 64;
/// At most this many audiences (one is allowed by the rules; more is a
/// refusal by rule, far more is malformed).
const MAX_AUDIENCES: usize = 8;
const MAX_AUDIENCE_CHARS: usize = 256;
/// At most this many pod IPs (a pod has one per family).
const MAX_POD_IPS: usize = 8;
/// How much of a rejected value a message or audit line shows.
const SHOWN_CHARS: usize = 64;

/// At most [`SHOWN_CHARS`] characters of `value`, with `…` when cut. Shown
/// with `{:?}` by callers, so control characters come out escaped.
pub fn truncated(value: &str) -> String {
    text::cut_chars(value, SHOWN_CHARS)
}

fn invalid(field: &str, value: &str, rule: &str) -> String {
    format!("{field} {:?} is not {rule}", truncated(value))
}

fn name(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err(format!("{field} is required"))
    } else if is_dns1123_subdomain(value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            "a valid name (DNS-1123 subdomain: at most 253 of a-z, 0-9, '-' and '.', alphanumeric at both ends)",
        ))
    }
}

fn namespace(field: &str, value: &str) -> Result<(), String> {
    if is_dns1123_label(value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            value,
            "a valid namespace (DNS-1123 label: at most 63 of a-z, 0-9 and '-', alphanumeric at both ends)",
        ))
    }
}

/// The pod a request names: namespace, name and uid all present and well
/// formed.
pub fn pod(pod: Option<&PodRef>) -> Result<&PodRef, String> {
    let pod = pod.ok_or("pod is required (namespace, name and uid)")?;
    if pod.namespace.is_empty() {
        return Err("pod.namespace is required".to_owned());
    }
    namespace("pod.namespace", &pod.namespace)?;
    name("pod.name", &pod.name)?;
    if pod.uid.is_empty() {
        return Err("pod.uid is required".to_owned());
    }
    if pod.uid.len() > MAX_UID_CHARS || !pod.uid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "pod.uid",
            &pod.uid,
            "a valid uid (at most 64 printable ASCII characters)",
        ));
    }
    Ok(pod)
}

/// A GetSecret / GetConfigMap request: the pod, the object's name, and its
/// namespace when given.
pub fn object_request<'a>(
    asked_pod: Option<&'a PodRef>,
    object_name: &str,
    object_namespace: &str,
) -> Result<&'a PodRef, String> {
    let pod = pod(asked_pod)?;
    name("name", object_name)?;
    if !object_namespace.is_empty() {
        namespace("namespace", object_namespace)?;
    }
    Ok(pod)
}

/// A GetContainerEnv request: the pod, the container's name (a DNS-1123
/// label, as the API server requires of container names) and the pod IPs
/// the plugin gives, each an IP address.
pub fn container_env_request<'a>(
    asked_pod: Option<&'a PodRef>,
    container: &str,
    pod_ips: &[String],
) -> Result<&'a PodRef, String> {
    let pod = pod(asked_pod)?;
    if container.is_empty() {
        return Err("container is required".to_owned());
    }
    if !is_dns1123_label(container) {
        return Err(invalid(
            "container",
            container,
            "a valid container name (DNS-1123 label: at most 63 of a-z, 0-9 and '-', alphanumeric at both ends)",
        ));
    }
    if pod_ips.len() > MAX_POD_IPS {
        return Err(format!(
            "pod_ips: {} given, at most {MAX_POD_IPS} accepted",
            pod_ips.len()
        ));
    }
    if let Some(bad) = pod_ips
        .iter()
        .find(|ip| ip.parse::<std::net::IpAddr>().is_err())
    {
        return Err(invalid("pod_ips[]", bad, "an IPv4 or IPv6 address"));
    }
    Ok(pod)
}

/// A CreateServiceAccountToken request; returns the pod and the asked
/// lifetime (`None`: 0, the host's cap).
pub fn token_request<'a>(
    asked_pod: Option<&'a PodRef>,
    service_account: &str,
    audiences: &[String],
    expiration_seconds: i64,
) -> Result<(&'a PodRef, Option<i64>), String> {
    let pod = pod(asked_pod)?;
    if !service_account.is_empty() {
        name("service_account_name", service_account)?;
    }
    if audiences.len() > MAX_AUDIENCES {
        return Err(format!(
            "audiences: {} given, at most {MAX_AUDIENCES} accepted (and one allowed)",
            audiences.len()
        ));
    }
    for audience in audiences {
        if audience.chars().count() > MAX_AUDIENCE_CHARS || audience.chars().any(char::is_control) {
            return Err(invalid(
                "audiences[]",
                audience,
                "a valid audience (at most 256 characters, no control characters)",
            ));
        }
    }
    let lifetime = match expiration_seconds {
        0 => None,
        seconds if seconds < MIN_TOKEN_SECONDS => {
            return Err(format!(
                "expiration_seconds {seconds} is under the API server's minimum of {MIN_TOKEN_SECONDS} (10 minutes); ask 0 for the default"
            ));
        }
        seconds => Some(seconds),
    };
    Ok((pod, lifetime))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_ref(namespace: &str, name: &str, uid: &str) -> PodRef {
        PodRef {
            namespace: namespace.into(),
            name: name.into(),
            uid: uid.into(),
        }
    }

    #[test]
    fn each_field_is_named_and_escaped() {
        let uid = "0b7e3c4e-9a2f-4c1e-8f00-123456789abc";
        let good = pod_ref("ns", "web-0", uid);
        assert!(object_request(Some(&good), "db", "").is_ok());
        assert!(object_request(Some(&good), "db", "ns").is_ok());
        let check = |pod: PodRef, name: &str, namespace: &str| {
            object_request(Some(&pod), name, namespace).map(|_| ())
        };
        let cases = [
            (
                object_request(None, "db", "").map(|_| ()),
                "pod is required",
            ),
            (
                check(pod_ref("", "web-0", uid), "db", ""),
                "pod.namespace is required",
            ),
            (
                check(pod_ref("NS", "web-0", uid), "db", ""),
                "pod.namespace \"NS\"",
            ),
            (
                check(pod_ref("ns", "web\n0", uid), "db", ""),
                "pod.name \"web\\n0\"",
            ),
            (
                check(pod_ref("ns", "web-0", ""), "db", ""),
                "pod.uid is required",
            ),
            (check(pod_ref("ns", "web-0", "a b"), "db", ""), "pod.uid"),
            (
                check(pod_ref("ns", "web-0", &"u".repeat(65)), "db", ""),
                "pod.uid",
            ),
            (check(good.clone(), "", ""), "name is required"),
            (
                check(good.clone(), "db\u{1b}[31m", ""),
                "name \"db\\u{1b}[31m\"",
            ),
            (check(good.clone(), "db", "x/y"), "namespace \"x/y\""),
        ];
        for (result, expected) in cases {
            let message = result.expect_err(expected);
            assert!(message.contains(expected), "{message:?} names {expected:?}");
        }
        let long = object_request(Some(&good), &"x".repeat(10_000), "").expect_err("too long");
        assert!(long.len() < 400, "a long value is cut: {long}");
    }

    #[test]
    fn container_env_requests() {
        let good = pod_ref("ns", "web-0", "u1");
        let ips = |list: &[&str]| -> Vec<String> { list.iter().map(|s| (*s).to_owned()).collect() };
        assert!(container_env_request(Some(&good), "main", &[]).is_ok());
        assert!(
            container_env_request(Some(&good), "main", &ips(&["10.88.0.5", "fd00::5"])).is_ok()
        );
        let cases = [
            (
                container_env_request(None, "main", &[]).map(|_| ()),
                "pod is required",
            ),
            (
                container_env_request(Some(&pod_ref("ns", "web-0", "")), "main", &[]).map(|_| ()),
                "pod.uid is required",
            ),
            (
                container_env_request(Some(&good), "", &[]).map(|_| ()),
                "container is required",
            ),
            (
                container_env_request(Some(&good), "Main", &[]).map(|_| ()),
                "container \"Main\"",
            ),
            (
                container_env_request(Some(&good), "a.b", &[]).map(|_| ()),
                "container \"a.b\"",
            ),
            (
                container_env_request(Some(&good), "main\n", &[]).map(|_| ()),
                "container \"main\\n\"",
            ),
            (
                container_env_request(Some(&good), &"c".repeat(64), &[]).map(|_| ()),
                "a valid container name",
            ),
            (
                container_env_request(Some(&good), "main", &ips(&["10.0.0.300"])).map(|_| ()),
                "pod_ips[] \"10.0.0.300\"",
            ),
            (
                container_env_request(Some(&good), "main", &ips(&[""])).map(|_| ()),
                "pod_ips[]",
            ),
            (
                container_env_request(Some(&good), "main", &ips(&["10.0.0.1"; 9])).map(|_| ()),
                "pod_ips: 9 given",
            ),
        ];
        for (result, expected) in cases {
            let message = result.expect_err(expected);
            assert!(message.contains(expected), "{message:?} names {expected:?}");
        }
    }

    #[test]
    fn token_requests() {
        let good = pod_ref("ns", "web-0", "u1");
        assert_eq!(
            token_request(Some(&good), "", &[], 0).map(|(_, s)| s),
            Ok(None)
        );
        assert_eq!(
            token_request(Some(&good), "app", &["vault".into()], 600).map(|(_, s)| s),
            Ok(Some(600))
        );
        let short = token_request(Some(&good), "", &[], 599).expect_err("under 600");
        assert!(short.contains("expiration_seconds 599"), "{short}");
        assert!(token_request(Some(&good), "", &[], -1).is_err(), "negative");
        let many = vec!["a".to_owned(); 9];
        assert!(
            token_request(Some(&good), "", &many, 0)
                .expect_err("nine")
                .starts_with("audiences:")
        );
        let huge = vec!["a".repeat(257)];
        assert!(token_request(Some(&good), "", &huge, 0).is_err());
        assert!(token_request(Some(&good), "", &["a\r\nb".into()], 0).is_err());
        assert!(token_request(Some(&good), "Admin", &[], 0).is_err());
    }
}
