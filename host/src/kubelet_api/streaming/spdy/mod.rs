//! The HTTP/1.1 upgrade to SPDY/3.1 as a kubelet answers it
//! (`Upgrade: SPDY/3.1`, with the Kubernetes sub-protocol negotiated in
//! `X-Stream-Protocol-Version`); the session after it is `vk_spdy`'s.
//!
//! Every API server before 1.36 reaches exec, attach and port-forward this
//! way (and 1.36+ ones for nodes that do not declare
//! `ExtendWebSocketsToKubelet`, or with the `NodeDeclaredFeatures` gate
//! off): it translates kubectl's WebSocket, or unwraps kubectl's SPDY
//! tunnelled in a WebSocket, and opens a SPDY upgrade to the node.

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

/// Why no stream protocol could be agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoProtocol {
    /// The client offered none (400, as the kubelet answers it).
    Missing,
    /// None of the offered protocols is served (403, with the served ones
    /// in `X-Accepted-Stream-Protocol-Versions`).
    Unsupported { offered: String },
}

/// The stream protocol to answer with, as the kubelet's handshake picks
/// it: the first protocol the client offered (its order of preference,
/// values split at commas) that is `supported` (name and what it means to
/// the caller).
pub fn negotiate<T: Copy>(
    headers: &HeaderMap,
    supported: &[(&'static str, T)],
) -> Result<(&'static str, T), NoProtocol> {
    let offered: Vec<&str> = headers
        .get_all(PROTOCOL_HEADER)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .collect();
    if offered.is_empty() {
        return Err(NoProtocol::Missing);
    }
    offered
        .iter()
        .find_map(|name| supported.iter().find(|(served, _)| served == name).copied())
        .ok_or_else(|| NoProtocol::Unsupported {
            offered: offered.join(", "),
        })
}

/// The header naming the served protocols in a 403 answer.
pub const ACCEPTED_PROTOCOLS_HEADER: &str = "x-accepted-stream-protocol-versions";

/// The 101 response's headers.
pub fn upgrade_headers(protocol: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static(UPGRADE));
    headers.insert(PROTOCOL_HEADER, HeaderValue::from_static(protocol));
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
        let supported = [
            ("v4.channel.k8s.io", 4),
            ("v3.channel.k8s.io", 3),
            ("channel.k8s.io", 1),
        ];
        assert_eq!(
            negotiate(&request(&[]), &supported),
            Err(NoProtocol::Missing)
        );
        // The client's order decides; several values, or one with commas.
        assert_eq!(
            negotiate(
                &request(&[
                    (PROTOCOL_HEADER, "v5.channel.k8s.io"),
                    (PROTOCOL_HEADER, "v3.channel.k8s.io, v4.channel.k8s.io")
                ]),
                &supported
            ),
            Ok(("v3.channel.k8s.io", 3))
        );
        assert_eq!(
            negotiate(&request(&[(PROTOCOL_HEADER, "v9.example, x")]), &supported),
            Err(NoProtocol::Unsupported {
                offered: "v9.example, x".to_owned()
            })
        );
    }
}
