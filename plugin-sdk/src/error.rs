//! The one error type a provider returns, and the one place it becomes a gRPC
//! status. The retry table in `proto/provider.proto` says what the host does
//! with each code.

use tonic::{Code, Status};

/// What went wrong in a provider call. Each variant maps to exactly one gRPC
/// code (see [`ProviderError::code`]); the message reaches users through pod
/// events, so say what failed and why.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The pod, container or other object does not exist. For `delete_pod`
    /// this means "already gone" and the host counts it as done.
    #[error("not found: {0}")]
    NotFound(String),
    /// A different pod (another UID) already holds this namespace/name.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The request is malformed or asks for something this provider can never
    /// do; the host does not retry it.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Something the pod needs is not there yet; the host retries with backoff.
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// A transient failure of the backend; the host retries with backoff.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The optional capability is not implemented by this provider.
    #[error("not supported by this provider: {0}")]
    Unsupported(String),
    /// Anything else; the host retries with backoff.
    #[error("internal error: {message}")]
    Internal {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl ProviderError {
    /// An internal error with a cause kept for logs.
    pub fn internal(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Internal {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The gRPC code the host sees for this error.
    pub fn code(&self) -> Code {
        match self {
            Self::NotFound(_) => Code::NotFound,
            Self::AlreadyExists(_) => Code::AlreadyExists,
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::FailedPrecondition(_) => Code::FailedPrecondition,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Unsupported(_) => Code::Unimplemented,
            Self::Internal { .. } => Code::Internal,
        }
    }
}

impl From<ProviderError> for Status {
    fn from(error: ProviderError) -> Self {
        let message = match &error {
            ProviderError::Internal {
                message,
                source: Some(source),
            } => format!("{message}: {source}"),
            other => other.to_string(),
        };
        Status::new(error.code(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_documented_code() {
        let cases = [
            (ProviderError::NotFound("x".into()), Code::NotFound),
            (
                ProviderError::AlreadyExists("x".into()),
                Code::AlreadyExists,
            ),
            (
                ProviderError::InvalidArgument("x".into()),
                Code::InvalidArgument,
            ),
            (
                ProviderError::FailedPrecondition("x".into()),
                Code::FailedPrecondition,
            ),
            (ProviderError::Unavailable("x".into()), Code::Unavailable),
            (ProviderError::Unsupported("x".into()), Code::Unimplemented),
        ];
        for (error, code) in cases {
            assert_eq!(Status::from(error).code(), code);
        }
    }

    #[test]
    fn internal_errors_keep_their_cause_in_the_message() {
        let io = std::io::Error::other("disk full");
        let status = Status::from(ProviderError::internal("writing pod state", io));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "writing pod state: disk full");
    }
}
