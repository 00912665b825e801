//! The two upgrades a streaming request may ask for: WebSocket (with the
//! channel subprotocols, negotiated here) and SPDY/3.1 (answered here,
//! its stream protocol negotiated by `spdy::negotiate`); and the 400 for a
//! request that asks for none.

use std::future::Future;

use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{FromRequestParts as _, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tracing::{Instrument as _, Span};

use super::channel::{self, Protocol, Refusal};
use super::refused::Refused;
use super::spdy;
use crate::kubelet_api::ApiState;

/// Largest WebSocket message or frame accepted from a client: kubectl
/// writes stdin in 32 KiB pieces; anything far larger would only be
/// buffered whole.
const MAX_CLIENT_MESSAGE: usize = 1024 * 1024;

/// Whether the request asks for some upgrade: an `Upgrade` header
/// (HTTP/1.1), or HTTP/2's extended CONNECT.
pub fn asks_upgrade(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::CONNECT || headers.contains_key(header::UPGRADE)
}

/// The WebSocket upgrade and the negotiated protocol (`None`: the client
/// offered no subprotocol). `asked`: whether the request asks for an
/// upgrade at all ([`asks_upgrade`]).
pub fn websocket(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    asked: bool,
    what: &'static str,
    supported: &[Protocol],
) -> Result<(WebSocketUpgrade, Option<Protocol>), Refused> {
    let protocols = names(supported);
    let Ok(upgrade) = upgrade else {
        if !asked {
            return Err(Refused::NoUpgrade { what, protocols });
        }
        return Err(Refused::OtherUpgrade { what, protocols });
    };
    let offered: Vec<String> = upgrade
        .requested_protocols()
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect();
    match channel::negotiate(&offered, supported) {
        Ok(None) => Ok((upgrade, None)),
        Ok(Some(protocol)) => Ok((upgrade.protocols([protocol.name()]), Some(protocol))),
        Err(Refusal::SpdyTunnel(offered)) => Err(Refused::SpdyTunnel {
            what,
            offered,
            protocols,
        }),
        Err(Refusal::Unsupported { offered }) => Err(Refused::Subprotocol {
            offered: offered.join(", "),
            protocols,
        }),
    }
}

/// What a client may upgrade to, for refusals.
pub fn names(supported: &[Protocol]) -> &'static str {
    if supported == channel::PORT_FORWARD {
        "WebSocket (subprotocol v4.channel.k8s.io) or SPDY/3.1 (portforward.k8s.io)"
    } else {
        "WebSocket (subprotocol v5.channel.k8s.io, v4.channel.k8s.io or channel.k8s.io) or \
         SPDY/3.1 (v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io or channel.k8s.io)"
    }
}

pub fn limited(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
}

/// Answers an upgrade to SPDY/3.1 with `protocol` and serves the upgraded
/// connection with `serve`, in its own task under `span`.
pub fn spdy_upgrade<Serve, Served>(
    mut request: Request,
    protocol: &'static str,
    span: Span,
    serve: Serve,
) -> Response
where
    Serve: FnOnce(TokioIo<Upgraded>) -> Served + Send + 'static,
    Served: Future<Output = ()> + Send,
{
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(
        async move {
            match upgrade.await {
                Ok(upgraded) => serve(TokioIo::new(upgraded)).await,
                Err(error) => tracing::debug!(%error, "the SPDY upgrade did not complete"),
            }
        }
        .instrument(span),
    );
    (
        StatusCode::SWITCHING_PROTOCOLS,
        spdy::upgrade_headers(protocol),
    )
        .into_response()
}

/// The request's WebSocket upgrade, if it is one.
pub async fn websocket_upgrade(
    state: &ApiState,
    request: Request,
) -> (Result<WebSocketUpgrade, WebSocketUpgradeRejection>, bool) {
    let asked = asks_upgrade(request.method(), request.headers());
    let (mut parts, _body) = request.into_parts();
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, state).await;
    (upgrade, asked)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::kubelet_api::streaming::remote_command;

    #[test]
    fn a_request_without_an_upgrade_is_a_bad_request() {
        let mut headers = HeaderMap::new();
        assert!(!asks_upgrade(&Method::POST, &headers));
        assert!(!asks_upgrade(&Method::GET, &headers));
        assert!(asks_upgrade(&Method::CONNECT, &headers), "HTTP/2 WebSocket");
        let refused = Refused::NoUpgrade {
            what: "exec",
            protocols: names(channel::REMOTE_COMMAND),
        };
        assert_eq!(refused.status(), (StatusCode::BAD_REQUEST, "BadRequest"));
        // An upgrade to something else is "not implemented".
        headers.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(asks_upgrade(&Method::POST, &headers));
        assert!(!spdy::is_upgrade(&headers));
        let refused = Refused::OtherUpgrade {
            what: "exec",
            protocols: names(channel::REMOTE_COMMAND),
        };
        assert_eq!(
            refused.status(),
            (StatusCode::NOT_IMPLEMENTED, "NotImplemented")
        );
    }

    #[test]
    fn an_unagreed_spdy_protocol_is_refused_as_the_kubelet_does() {
        let served = remote_command::spdy::PROTOCOLS;
        let missing = Refused::stream_protocol("exec", served, spdy::NoProtocol::Missing);
        assert_eq!(missing.status().0, StatusCode::BAD_REQUEST);
        let other = Refused::stream_protocol(
            "exec",
            served,
            spdy::NoProtocol::Unsupported {
                offered: "v9.channel.k8s.io".into(),
            },
        );
        assert_eq!(other.status().0, StatusCode::FORBIDDEN);
        let response = other.into_response();
        let accepted: Vec<_> = response
            .headers()
            .get_all(spdy::ACCEPTED_PROTOCOLS_HEADER)
            .iter()
            .collect();
        assert_eq!(accepted.len(), served.len());
        assert_eq!(accepted[0], "v4.channel.k8s.io");
    }
}
