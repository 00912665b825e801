//! The per-launch secret on the wire: `authorization: Bearer <secret>` on every
//! call, in both directions. One interceptor adds it; one checks it.

use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::AUTHORIZATION_METADATA;

/// Adds the bearer secret to every outgoing call.
#[derive(Clone)]
pub struct AddSecret {
    value: MetadataValue<tonic::metadata::Ascii>,
}

impl std::fmt::Debug for AddSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddSecret(<redacted>)")
    }
}

impl AddSecret {
    /// Fails only if the secret is not printable ASCII.
    pub fn new(secret: &str) -> Result<Self, Status> {
        let value = format!("Bearer {secret}")
            .parse()
            .map_err(|_| Status::internal("the per-launch secret is not printable ASCII"))?;
        Ok(Self { value })
    }
}

impl Interceptor for AddSecret {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert(AUTHORIZATION_METADATA, self.value.clone());
        Ok(request)
    }
}

/// Rejects incoming calls that do not carry the bearer secret.
#[derive(Clone)]
pub struct RequireSecret {
    expected: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for RequireSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequireSecret(<redacted>)")
    }
}

impl RequireSecret {
    pub fn new(secret: &str) -> Self {
        Self {
            expected: format!("Bearer {secret}").into_bytes().into(),
        }
    }

    /// Checks one request's metadata.
    pub fn check(&self, metadata: &tonic::metadata::MetadataMap) -> Result<(), Status> {
        let Some(presented) = metadata.get(AUTHORIZATION_METADATA) else {
            return Err(Status::unauthenticated(
                "missing `authorization: Bearer <per-launch secret>` metadata",
            ));
        };
        if constant_time_eq(presented.as_bytes(), &self.expected) {
            Ok(())
        } else {
            Err(Status::unauthenticated(
                "the per-launch secret does not match this launch",
            ))
        }
    }
}

impl Interceptor for RequireSecret {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        self.check(request.metadata())?;
        Ok(request)
    }
}

/// Compares without an early exit, so timing does not reveal a prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_added_secret_is_accepted_and_others_are_not() {
        let mut add = AddSecret::new("s3cret").expect("ascii");
        let request = add.call(Request::new(())).expect("adds");
        assert!(
            RequireSecret::new("s3cret")
                .check(request.metadata())
                .is_ok()
        );
        let refused = RequireSecret::new("other")
            .check(request.metadata())
            .expect_err("wrong secret");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
        let missing = RequireSecret::new("s3cret")
            .check(Request::new(()).metadata())
            .expect_err("no secret");
        assert!(missing.message().contains("missing"));
    }
}
