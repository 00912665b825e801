//! The one place where a failed kubelet-API request becomes an HTTP status
//! and a `metav1.StatusReason`: 400 for parameters (and namespace, pod or
//! container names no object can have), 404 for pods not (on this node),
//! 501 for a capability the plugin did not declare, 503 while it restarts,
//! and the plugin's gRPC codes mapped to their HTTP meaning by
//! [`http_status`], for the plain routes and the streaming ones alike.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tonic::Code;

use super::PodLookupError;
use crate::plugin_process::CallError;

/// Why a request was not served; the message is the response body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unimplemented(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
    /// The plugin answered with an error status.
    #[error("plugin {plugin}: {rpc}: {message}")]
    Plugin {
        plugin: String,
        rpc: &'static str,
        code: Code,
        message: String,
    },
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        self.status_and_reason().0
    }

    /// The HTTP status and the `metav1.StatusReason` a client reads.
    pub fn status_and_reason(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "BadRequest"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
            Self::Unimplemented(_) => (StatusCode::NOT_IMPLEMENTED, "NotImplemented"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
            Self::Plugin { code, .. } => http_status(*code),
        }
    }
}

/// A plugin's gRPC code as the kubelet would answer: HTTP status and
/// `metav1.StatusReason`.
pub fn http_status(code: Code) -> (StatusCode, &'static str) {
    match code {
        Code::NotFound => (StatusCode::NOT_FOUND, "NotFound"),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            (StatusCode::BAD_REQUEST, "BadRequest")
        }
        Code::AlreadyExists => (StatusCode::CONFLICT, "AlreadyExists"),
        Code::PermissionDenied => (StatusCode::FORBIDDEN, "Forbidden"),
        Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "Unauthorized"),
        Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, "NotImplemented"),
        Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        Code::DeadlineExceeded => (StatusCode::GATEWAY_TIMEOUT, "Timeout"),
        Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
    }
}

impl From<PodLookupError> for ApiError {
    fn from(error: PodLookupError) -> Self {
        match &error {
            PodLookupError::NotFound { .. } | PodLookupError::OtherNode { .. } => {
                Self::NotFound(error.to_string())
            }
            PodLookupError::InvalidName { .. } => Self::BadRequest(error.to_string()),
            PodLookupError::PluginDown => Self::Unavailable(error.to_string()),
            PodLookupError::Api { source, .. } => {
                tracing::warn!(error = %source, "{error}");
                Self::Internal(format!("{error}: {source}"))
            }
        }
    }
}

impl From<CallError> for ApiError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Status {
                plugin,
                rpc,
                status,
            } => Self::Plugin {
                plugin: plugin.to_string(),
                rpc,
                code: status.code(),
                message: if status.message().is_empty() {
                    status.code().description().to_owned()
                } else {
                    status.message().to_owned()
                },
            },
            CallError::Unsupported { .. } => Self::Unimplemented(error.to_string()),
            CallError::InvalidReply { .. } => Self::Internal(error.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), error = %self, "kubelet API request failed");
        }
        (status, format!("{self}\n")).into_response()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use vk_proto::v1::Capability;

    use super::*;

    #[test]
    fn plugin_codes_map_to_the_kubelets_statuses() {
        for (code, status, reason) in [
            (Code::NotFound, 404, "NotFound"),
            (Code::InvalidArgument, 400, "BadRequest"),
            (Code::FailedPrecondition, 400, "BadRequest"),
            (Code::OutOfRange, 400, "BadRequest"),
            (Code::AlreadyExists, 409, "AlreadyExists"),
            (Code::PermissionDenied, 403, "Forbidden"),
            (Code::Unauthenticated, 401, "Unauthorized"),
            (Code::Unimplemented, 501, "NotImplemented"),
            (Code::Unavailable, 503, "ServiceUnavailable"),
            (Code::DeadlineExceeded, 504, "Timeout"),
            (Code::ResourceExhausted, 429, "TooManyRequests"),
            (Code::Internal, 500, "InternalError"),
            (Code::Unknown, 500, "InternalError"),
            (Code::Aborted, 500, "InternalError"),
            (Code::Cancelled, 500, "InternalError"),
            (Code::DataLoss, 500, "InternalError"),
        ] {
            let (got, got_reason) = http_status(code);
            assert_eq!((got.as_u16(), got_reason), (status, reason), "{code:?}");
            let error = ApiError::from(CallError::Status {
                plugin: "p".into(),
                rpc: "Exec",
                status: tonic::Status::new(code, "why"),
            });
            assert_eq!(error.status().as_u16(), status, "{code:?} through ApiError");
        }
    }

    #[test]
    fn the_other_plugin_failures_and_pod_lookups_have_their_statuses() {
        let plugin: Arc<str> = "p".into();
        let unsupported = ApiError::from(CallError::Unsupported {
            plugin: Arc::clone(&plugin),
            capability: Capability::Attach,
        });
        assert_eq!(
            unsupported.status_and_reason(),
            (StatusCode::NOT_IMPLEMENTED, "NotImplemented")
        );
        assert!(unsupported.to_string().contains("CAPABILITY_ATTACH"));
        let invalid = ApiError::from(CallError::InvalidReply {
            plugin,
            rpc: "GetPods",
            why: "not JSON".into(),
        });
        assert_eq!(invalid.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let silent = ApiError::from(CallError::Status {
            plugin: "p".into(),
            rpc: "GetContainerLogs",
            status: tonic::Status::new(Code::NotFound, ""),
        });
        assert_eq!(
            silent.to_string(),
            "plugin p: GetContainerLogs: Some requested entity was not found"
        );

        for (error, status) in [
            (
                PodLookupError::NotFound {
                    namespace: "ns".into(),
                    name: "web".into(),
                },
                404,
            ),
            (
                PodLookupError::OtherNode {
                    namespace: "ns".into(),
                    name: "web".into(),
                    node: "vk".into(),
                },
                404,
            ),
            (
                PodLookupError::InvalidName {
                    what: "namespace",
                    value: "A".into(),
                    rule: "lower case",
                },
                400,
            ),
            (PodLookupError::PluginDown, 503),
        ] {
            assert_eq!(ApiError::from(error).status().as_u16(), status);
        }
    }
}
