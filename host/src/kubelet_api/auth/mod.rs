//! Authentication and authorization of every kubelet-API request, as the
//! kubelet does in webhook mode: a verified client certificate or a bearer
//! token (TokenReview) says who; a SubjectAccessReview on the node's
//! subresource says whether. No credentials: 401; denied: 403; the API
//! server could not be asked: 500. Anonymous access exists only behind
//! `--kubelet-api-insecure-anonymous`, which allows every request.

pub mod authn;
pub mod authz;
mod cache;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use http::StatusCode;
use http::header::{AUTHORIZATION, UPGRADE};

pub use authn::UserInfo;

/// What the TLS layer knows about a connection, inserted into every request
/// of it by the server.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub remote: SocketAddr,
    /// The user named by the client certificate, which rustls verified
    /// against `--client-ca-file`; `None` without one.
    pub certificate_user: Option<UserInfo>,
}

/// The authenticated caller, inserted into the request for the handlers.
#[derive(Debug, Clone)]
pub struct Caller(pub UserInfo);

/// How requests are checked.
#[derive(Debug)]
pub struct Auth {
    tokens: authn::TokenAuthenticator,
    authorizer: authz::Authorizer,
    /// `--kubelet-api-insecure-anonymous`: everything allowed.
    insecure_anonymous: bool,
}

impl Auth {
    pub fn new(client: kube::Client, node_name: String, insecure_anonymous: bool) -> Self {
        Self {
            tokens: authn::TokenAuthenticator::new(client.clone()),
            authorizer: authz::Authorizer::new(client, node_name),
            insecure_anonymous,
        }
    }
}

/// The middleware in front of every route (and of the 404 fallback, as in
/// the kubelet: an unauthenticated caller learns nothing about the paths).
pub async fn guard(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let certificate_user = request
        .extensions()
        .get::<PeerInfo>()
        .and_then(|peer| peer.certificate_user.clone());
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(authn::bearer_token)
        .map(str::to_owned);
    let user = match authenticate(&auth, certificate_user, token.as_deref()).await {
        Ok(Some(user)) => Some(user),
        Ok(None) if auth.insecure_anonymous => None,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, "Unauthorized"),
        Err(error) => {
            tracing::warn!(error = %error, "TokenReview failed");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error: authentication failed",
            );
        }
    };
    if auth.insecure_anonymous {
        request
            .extensions_mut()
            .insert(Caller(user.unwrap_or_else(UserInfo::anonymous)));
        return next.run(request).await;
    }
    let Some(user) = user else {
        return refuse(StatusCode::UNAUTHORIZED, "Unauthorized");
    };
    let websocket = request
        .headers()
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let wanted = authz::attributes(request.method(), request.uri().path(), websocket);
    let path = request.uri().path().to_owned();
    match auth.authorizer.allowed(&user, &wanted).await {
        Ok(true) => {
            request.extensions_mut().insert(Caller(user));
            next.run(request).await
        }
        Ok(false) => {
            let attributes = wanted.last().copied().unwrap_or(authz::Attributes {
                verb: "get",
                subresource: "proxy",
            });
            tracing::info!(
                user = %user.name,
                verb = attributes.verb,
                subresource = attributes.subresource,
                path = %path,
                "kubelet API request forbidden"
            );
            refuse(
                StatusCode::FORBIDDEN,
                &format!(
                    "Forbidden (user={}, verb={}, resource=nodes, subresource={})",
                    user.name, attributes.verb, attributes.subresource
                ),
            )
        }
        Err(error) => {
            tracing::warn!(error = %error, user = %user.name, "SubjectAccessReview failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error: authorization failed",
            )
        }
    }
}

/// The caller, if credentials were given: a client certificate wins over a
/// token. An invalid token is `Ok(None)` (401), like no credentials.
async fn authenticate(
    auth: &Auth,
    certificate_user: Option<UserInfo>,
    token: Option<&str>,
) -> Result<Option<UserInfo>, kube::Error> {
    if let Some(user) = certificate_user {
        return Ok(Some(user));
    }
    match token {
        Some(token) => auth.tokens.authenticate(token).await,
        None => Ok(None),
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}
