//! Remote API failures as provider errors, so the host retries what is
//! transient and gives up on what is not: 404 NotFound, 409 AlreadyExists,
//! 400/422 InvalidArgument, 403 FailedPrecondition (the SDK has no
//! PermissionDenied; the host retries, so fixing RBAC remotely recovers),
//! 401/429/5xx and transport errors Unavailable.

use vk_plugin_sdk::ProviderError;

/// `what` failed remotely with `error`.
pub fn remote(what: &str, error: kube::Error) -> ProviderError {
    match &error {
        kube::Error::Api(status) => from_status(what, status.code, &status.message),
        _ => ProviderError::Unavailable(format!(
            "{what}: the remote API did not answer: {}",
            vk_plugin_sdk::error_chain::line(&error)
        )),
    }
}

/// The error for an HTTP status `code` of the remote API.
pub fn from_status(what: &str, code: u16, message: &str) -> ProviderError {
    let text = format!("{what}: remote API answered {code}: {message}");
    match code {
        404 => ProviderError::NotFound(text),
        409 => ProviderError::AlreadyExists(text),
        400 | 422 => ProviderError::InvalidArgument(text),
        403 => ProviderError::FailedPrecondition(format!(
            "{text} (grant the plugin's remote identity access to the namespace)"
        )),
        401 | 429 | 500..=599 => ProviderError::Unavailable(text),
        _ => ProviderError::Internal {
            message: text,
            source: None,
        },
    }
}

/// Is this a remote 404?
pub fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn codes_map_to_the_retry_table() {
        let code = |status| from_status("create pod x", status, "m").code();
        assert_eq!(code(404), Code::NotFound);
        assert_eq!(code(409), Code::AlreadyExists);
        assert_eq!(code(400), Code::InvalidArgument);
        assert_eq!(code(422), Code::InvalidArgument);
        assert_eq!(code(403), Code::FailedPrecondition);
        assert_eq!(code(429), Code::Unavailable);
        assert_eq!(code(503), Code::Unavailable);
        assert_eq!(code(401), Code::Unavailable);
        assert!(
            from_status("create pod x", 422, "bad")
                .to_string()
                .contains("create pod x: remote API answered 422: bad")
        );
    }
}
