//! The one place where a failed kubelet-API request becomes an HTTP status:
//! 400 for parameters (and namespace, pod or container names no object can
//! have), 404 for pods not (on this node), 501 for a capability
//! the plugin did not declare, 503 while it restarts, and the plugin's gRPC
//! codes mapped to their HTTP meaning.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tonic::Code;

use super::PodLookupError;

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
    /// A plugin error status from `rpc`.
    pub fn plugin(plugin: &str, rpc: &'static str, status: &tonic::Status) -> Self {
        Self::Plugin {
            plugin: plugin.to_owned(),
            rpc,
            code: status.code(),
            message: if status.message().is_empty() {
                status.code().description().to_owned()
            } else {
                status.message().to_owned()
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unimplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Plugin { code, .. } => match code {
                Code::NotFound => StatusCode::NOT_FOUND,
                Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
                Code::FailedPrecondition => StatusCode::BAD_REQUEST,
                Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
                Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
                Code::PermissionDenied => StatusCode::FORBIDDEN,
                Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), error = %self, "kubelet API request failed");
        }
        (status, format!("{self}\n")).into_response()
    }
}

impl From<crate::plugins::CallError> for ApiError {
    fn from(error: crate::plugins::CallError) -> Self {
        use crate::plugins::CallError;
        match error {
            CallError::Status {
                plugin,
                rpc,
                status,
            } => Self::plugin(&plugin, rpc, &status),
            CallError::Unsupported { .. } => Self::Unimplemented(error.to_string()),
            CallError::InvalidReply { .. } => Self::Internal(error.to_string()),
        }
    }
}
