//! The HTTP/1.1 upgrade to SPDY/3.1 as a kubelet answers it
//! (`Upgrade: SPDY/3.1`, with the Kubernetes sub-protocol negotiated in
//! `X-Stream-Protocol-Version`); the session after it is `vk_spdy`'s.
//!
//! `kubectl port-forward` needs it: kubectl tunnels SPDY inside a WebSocket
//! to the API server, which unwraps it and opens a SPDY upgrade to the
//! node.

use axum::http::{HeaderMap, HeaderValue, header};

pub use vk_spdy::{Headers, PROTOCOL_HEADER, Stream, StreamId, UPGRADE, serve, status};

/// Whether the request asks to upgrade the connection to SPDY/3.1.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value.to_str().is_ok_and(|value| {
                value
                    .split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, UPGRADE)
}

/// The stream protocol to answer with, as the kubelet's handshake picks it:
/// none if the client offered none (a legacy client), else the first of
/// `supported` the client offered; `Err` with what the client offered when
/// nothing matches.
pub fn negotiate(
    headers: &HeaderMap,
    supported: &[&'static str],
) -> Result<Option<&'static str>, String> {
    let offered: Vec<&str> = headers
        .get_all(PROTOCOL_HEADER)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .collect();
    if offered.is_empty() {
        return Ok(None);
    }
    supported
        .iter()
        .find(|protocol| offered.contains(protocol))
        .map(|protocol| Some(*protocol))
        .ok_or_else(|| offered.join(", "))
}

/// The 101 response's headers.
pub fn upgrade_headers(protocol: Option<&'static str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static(UPGRADE));
    if let Some(protocol) = protocol {
        headers.insert(PROTOCOL_HEADER, HeaderValue::from_static(protocol));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn recognises_the_upgrade() {
        assert!(is_upgrade(&request(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "spdy/3.1")
        ])));
        assert!(!is_upgrade(&request(&[
            ("connection", "Upgrade"),
            ("upgrade", "websocket")
        ])));
        assert!(!is_upgrade(&request(&[("upgrade", "SPDY/3.1")])));
    }

    #[test]
    fn negotiates_like_the_kubelet() {
        let supported = ["portforward.k8s.io"];
        assert_eq!(negotiate(&request(&[]), &supported), Ok(None));
        assert_eq!(
            negotiate(
                &request(&[
                    (PROTOCOL_HEADER, "v2.portforward.k8s.io"),
                    (PROTOCOL_HEADER, "portforward.k8s.io")
                ]),
                &supported
            ),
            Ok(Some("portforward.k8s.io"))
        );
        assert_eq!(
            negotiate(&request(&[(PROTOCOL_HEADER, "v9.example")]), &supported),
            Err("v9.example".to_owned())
        );
    }
}
