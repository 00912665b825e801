//! Why a streaming request is refused before any stream opens, answered
//! as an HTTP status with a `metav1.Status` body (what client-go decodes
//! from a failed upgrade and kubectl prints as `error: <message>`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::options::InvalidQuery;
use super::spdy::{ACCEPTED_PROTOCOLS_HEADER, NoProtocol};
use crate::kubelet_api::{ApiError, PodLookupError};

/// Why a streaming request is refused before any stream opens.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Query(#[from] InvalidQuery),
    /// The pod, the plugin or its capability (the kubelet API's one mapping).
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("container {container:?} not found in pod {namespace}/{pod}")]
    NoContainer {
        namespace: String,
        pod: String,
        container: String,
    },
    #[error("pod {namespace}/{pod} has uid {actual}, not {requested}")]
    OtherUid {
        namespace: String,
        pod: String,
        actual: String,
        requested: String,
    },
    #[error("Upgrade request required: {what} needs an upgrade to {protocols}")]
    NoUpgrade {
        what: &'static str,
        protocols: &'static str,
    },
    #[error("{what} needs an upgrade to {protocols}")]
    OtherUpgrade {
        what: &'static str,
        protocols: &'static str,
    },
    #[error(
        "{what} over SPDY tunnelled in WebSocket ({offered}) is for the API server, which \
         forwards it to the node as SPDY/3.1; connect through the API server, or use \
         {protocols}"
    )]
    SpdyTunnel {
        what: &'static str,
        offered: String,
        protocols: &'static str,
    },
    #[error(
        "none of the requested WebSocket subprotocols ({offered}) is supported; use {protocols}"
    )]
    Subprotocol {
        offered: String,
        protocols: &'static str,
    },
    #[error(
        "unable to upgrade: {what} over SPDY/3.1 needs the X-Stream-Protocol-Version header \
         (one of {served})"
    )]
    NoStreamProtocol { what: &'static str, served: String },
    #[error(
        "unable to upgrade: unable to negotiate protocol: the client offered {offered}; \
         {what} is served with {served}"
    )]
    StreamProtocol {
        what: &'static str,
        offered: String,
        served: String,
    },
    /// Not a refusal of the request as such: the plugin's answer to `/run`.
    #[error("{message}")]
    Failed {
        code: u16,
        reason: &'static str,
        message: String,
    },
}

impl From<PodLookupError> for Refused {
    fn from(error: PodLookupError) -> Self {
        Self::Api(error.into())
    }
}

impl Refused {
    /// The refusal of a SPDY upgrade whose stream protocol is not agreed.
    pub fn stream_protocol<T>(
        what: &'static str,
        served: &[(&'static str, T)],
        why: NoProtocol,
    ) -> Self {
        let served = served
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ");
        match why {
            NoProtocol::Missing => Self::NoStreamProtocol { what, served },
            NoProtocol::Unsupported { offered } => Self::StreamProtocol {
                what,
                offered,
                served,
            },
        }
    }

    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Api(error) => error.status_and_reason(),
            Self::Query(_)
            | Self::NoUpgrade { .. }
            | Self::Subprotocol { .. }
            | Self::NoStreamProtocol { .. } => (StatusCode::BAD_REQUEST, "BadRequest"),
            // As the kubelet's handshake answers it.
            Self::StreamProtocol { .. } => (StatusCode::FORBIDDEN, "Forbidden"),
            Self::NoContainer { .. } | Self::OtherUid { .. } => (StatusCode::NOT_FOUND, "NotFound"),
            Self::OtherUpgrade { .. } | Self::SpdyTunnel { .. } => {
                (StatusCode::NOT_IMPLEMENTED, "NotImplemented")
            }
            Self::Failed { code, reason, .. } => (
                StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                reason,
            ),
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (code, reason) = self.status();
        let message = self.to_string();
        let body = serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code.as_u16(),
        });
        let mut response = (
            code,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        if let Self::StreamProtocol { served, .. } = &self {
            for name in served.split(", ") {
                if let Ok(value) = HeaderValue::from_str(name) {
                    response
                        .headers_mut()
                        .append(ACCEPTED_PROTOCOLS_HEADER, value);
                }
            }
        }
        response
    }
}
