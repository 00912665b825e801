//! The cluster reads behind the callbacks: one GET of the named Secret or
//! ConfigMap, or one TokenRequest bound to the pod, each time it is asked.
//! Nothing is cached or watched, so the host never holds more than the
//! object being answered.

use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use kube::Api;
use kube::api::PostParams;
use tonic::Status;

/// A failed cluster read, by what the plugin should do about it.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{kind} {namespace}/{name} not found")]
    NotFound {
        kind: &'static str,
        namespace: String,
        name: String,
    },
    #[error("the API server refused vk-host's request for {what}: {message}")]
    Refused { what: String, message: String },
    #[error("the API server rejected the request for {what}: {message}")]
    Invalid { what: String, message: String },
    #[error("reading {what} from the API server failed")]
    Api {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("the API server returned no token for {what}")]
    NoToken { what: String },
}

impl FetchError {
    fn from_kube(kind: &'static str, namespace: &str, name: &str, error: kube::Error) -> Self {
        let what = format!("{kind} {namespace}/{name}");
        match error {
            kube::Error::Api(status) if status.code == 404 => Self::NotFound {
                kind,
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            },
            kube::Error::Api(status) if status.code == 403 => Self::Refused {
                what,
                message: status.message,
            },
            kube::Error::Api(status) if matches!(status.code, 400 | 422) => Self::Invalid {
                what,
                message: status.message,
            },
            source => Self::Api { what, source },
        }
    }

    /// The status the plugin receives (the protocol's retry table).
    pub fn to_status(&self) -> Status {
        let message = format!("{self:#}");
        match self {
            Self::NotFound { .. } => Status::not_found(message),
            Self::Refused { .. } => Status::permission_denied(format!(
                "{message} (vk-host's own RBAC lacks this permission; see controlplane/manifests/vk-host-rbac.yaml)"
            )),
            Self::Invalid { .. } => Status::invalid_argument(message),
            Self::Api { source, .. } => Status::unavailable(format!("{message}: {source}")),
            Self::NoToken { .. } => Status::unavailable(message),
        }
    }

    /// A short word for the audit line.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not found",
            Self::Refused { .. } => "refused by the API server",
            Self::Invalid { .. } => "invalid for the API server",
            Self::Api { .. } | Self::NoToken { .. } => "API server error",
        }
    }
}

pub async fn secret(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Secret, FetchError> {
    Api::<Secret>::namespaced(client.clone(), namespace)
        .get(name)
        .await
        .map_err(|e| FetchError::from_kube("Secret", namespace, name, e))
}

pub async fn config_map(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<ConfigMap, FetchError> {
    Api::<ConfigMap>::namespaced(client.clone(), namespace)
        .get(name)
        .await
        .map_err(|e| FetchError::from_kube("ConfigMap", namespace, name, e))
}

/// What a token is for.
#[derive(Debug, Clone)]
pub struct TokenFor<'a> {
    pub namespace: &'a str,
    pub service_account: &'a str,
    pub pod_name: &'a str,
    pub pod_uid: &'a str,
    pub audiences: Vec<String>,
    pub expiration_seconds: i64,
}

/// A token and when it expires (Unix seconds).
pub struct Token {
    pub token: String,
    pub expires_unix_seconds: i64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("token", &"<redacted>")
            .field("expires_unix_seconds", &self.expires_unix_seconds)
            .finish()
    }
}

/// A TokenRequest for the service account, bound to the pod: the API server
/// invalidates the token when the pod is deleted.
pub async fn token(client: &kube::Client, wanted: TokenFor<'_>) -> Result<Token, FetchError> {
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            audiences: Some(wanted.audiences),
            bound_object_ref: Some(BoundObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(wanted.pod_name.to_owned()),
                uid: Some(wanted.pod_uid.to_owned()),
            }),
            expiration_seconds: Some(wanted.expiration_seconds),
        }),
        ..TokenRequest::default()
    };
    let reply = Api::<ServiceAccount>::namespaced(client.clone(), wanted.namespace)
        .create_token_request(wanted.service_account, &PostParams::default(), &request)
        .await
        .map_err(|e| {
            FetchError::from_kube(
                "ServiceAccount",
                wanted.namespace,
                wanted.service_account,
                e,
            )
        })?;
    let no_token = || FetchError::NoToken {
        what: format!("{}/{}", wanted.namespace, wanted.service_account),
    };
    let status = reply.status.ok_or_else(no_token)?;
    Ok(Token {
        token: status
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(no_token)?,
        expires_unix_seconds: status
            .expiration_timestamp
            .map(|at| at.0.as_second())
            .unwrap_or_default(),
    })
}
