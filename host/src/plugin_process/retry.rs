//! The retry table of the protocol, in one place: what the host does with
//! each gRPC status a plugin returns (see the top of `proto/provider.proto`).

use tonic::Code;

/// What to do after a plugin call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The outcome counts as success (NOT_FOUND on delete).
    Done,
    /// Do not retry; report the failure.
    Permanent,
    /// Retry with capped exponential backoff, never giving up.
    Backoff,
    /// The capability is absent: never call it again.
    Absent,
}

/// Whether the failing call was a delete, where NOT_FOUND means done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Delete,
    Other,
}

/// The protocol's retry table.
pub fn classify(code: Code, kind: CallKind) -> Retry {
    match code {
        Code::Ok => Retry::Done,
        Code::NotFound if kind == CallKind::Delete => Retry::Done,
        Code::NotFound
        | Code::AlreadyExists
        | Code::InvalidArgument
        | Code::Unauthenticated
        | Code::PermissionDenied
        | Code::OutOfRange => Retry::Permanent,
        Code::Unimplemented => Retry::Absent,
        Code::FailedPrecondition
        | Code::Unavailable
        | Code::ResourceExhausted
        | Code::Aborted
        | Code::DeadlineExceeded
        | Code::Internal
        | Code::Unknown
        | Code::Cancelled
        | Code::DataLoss => Retry::Backoff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_protocol() {
        assert_eq!(classify(Code::NotFound, CallKind::Delete), Retry::Done);
        assert_eq!(classify(Code::NotFound, CallKind::Other), Retry::Permanent);
        assert_eq!(
            classify(Code::InvalidArgument, CallKind::Other),
            Retry::Permanent
        );
        assert_eq!(classify(Code::Unavailable, CallKind::Other), Retry::Backoff);
        assert_eq!(
            classify(Code::FailedPrecondition, CallKind::Other),
            Retry::Backoff
        );
        assert_eq!(
            classify(Code::Unimplemented, CallKind::Other),
            Retry::Absent
        );
    }
}
