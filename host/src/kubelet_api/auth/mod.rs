//! Authentication and authorization of every kubelet-API request, as the
//! kubelet does in webhook mode: a verified client certificate or a bearer
//! token (TokenReview) says who; a SubjectAccessReview on the node's
//! subresource says whether. No credentials, an invalid or oversized token,
//! or a TokenReview that failed: 401 (as the kubelet); denied: 403; the
//! SubjectAccessReview failed: 500; too many reviews already in flight: 503.
//! Anonymous access exists only behind `--kubelet-api-insecure-anonymous`,
//! which allows every request.

pub mod authn;
pub mod authz;
mod cache;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use http::StatusCode;
use http::header::{AUTHORIZATION, RETRY_AFTER, UPGRADE};
use tokio::sync::{Semaphore, SemaphorePermit};

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

/// Most TokenReview + SubjectAccessReview calls in flight at once. They go
/// through the kube client the pod controllers share; past this, callers get
/// 503 at once instead of queueing without bound.
pub const MAX_REVIEWS_IN_FLIGHT: usize = 64;

/// Least time between two warnings about a failed TokenReview (the others
/// are logged at debug).
const TOKEN_REVIEW_WARN_INTERVAL: Duration = Duration::from_secs(10);

/// Why a review could not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// [`MAX_REVIEWS_IN_FLIGHT`] reviews are already running.
    #[error("too many authentication checks in flight")]
    Busy,
    /// The API server could not be asked, or refused to answer.
    #[error(transparent)]
    Api(#[from] kube::Error),
}

/// The bound on reviews in flight, shared by authentication and
/// authorization. Only cache misses take a permit.
#[derive(Debug, Clone)]
pub struct ReviewLimit(Arc<Semaphore>);

impl ReviewLimit {
    pub fn new(max_in_flight: usize) -> Self {
        Self(Arc::new(Semaphore::new(max_in_flight)))
    }

    /// A permit for one review, held until it is answered; `Busy` when none
    /// is free (never waits).
    pub fn try_permit(&self) -> Result<SemaphorePermit<'_>, ReviewError> {
        self.0.try_acquire().map_err(|_| ReviewError::Busy)
    }
}

/// How requests are checked.
#[derive(Debug)]
pub struct Auth {
    tokens: authn::TokenAuthenticator,
    authorizer: authz::Authorizer,
    /// `--kubelet-api-insecure-anonymous`: everything allowed.
    insecure_anonymous: bool,
    /// When a failed TokenReview was last logged at warn.
    last_review_warning: Mutex<Option<Instant>>,
}

impl Auth {
    pub fn new(client: kube::Client, node_name: String, insecure_anonymous: bool) -> Self {
        Self::with_limit(client, node_name, insecure_anonymous, MAX_REVIEWS_IN_FLIGHT)
    }

    fn with_limit(
        client: kube::Client,
        node_name: String,
        insecure_anonymous: bool,
        max_reviews_in_flight: usize,
    ) -> Self {
        let limit = ReviewLimit::new(max_reviews_in_flight);
        Self {
            tokens: authn::TokenAuthenticator::new(client.clone(), limit.clone()),
            authorizer: authz::Authorizer::new(client, node_name, limit),
            insecure_anonymous,
            last_review_warning: Mutex::new(None),
        }
    }

    /// Logs a failed TokenReview: at warn at most once per
    /// [`TOKEN_REVIEW_WARN_INTERVAL`] (anyone can cause one), else at debug.
    fn log_token_review_failure(&self, error: &kube::Error) {
        let now = Instant::now();
        let warn = {
            let mut last = self
                .last_review_warning
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let due = last.is_none_or(|at| now.duration_since(at) >= TOKEN_REVIEW_WARN_INTERVAL);
            if due {
                *last = Some(now);
            }
            due
        };
        if warn {
            tracing::warn!(error = %error, "TokenReview failed; answering 401");
        } else {
            tracing::debug!(error = %error, "TokenReview failed; answering 401");
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
        Err(ReviewError::Busy) => return busy(),
        Err(ReviewError::Api(error)) => {
            // As the kubelet: an authenticator error is 401, not 500.
            auth.log_token_review_failure(&error);
            return refuse(StatusCode::UNAUTHORIZED, "Unauthorized");
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
            // Debug: anyone with credentials can cause one per request.
            tracing::debug!(
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
        Err(ReviewError::Busy) => busy(),
        Err(ReviewError::Api(error)) => {
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
) -> Result<Option<UserInfo>, ReviewError> {
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

/// 503 when [`MAX_REVIEWS_IN_FLIGHT`] reviews are already running.
fn busy() -> Response {
    let mut response = refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service Unavailable: too many authentication checks in flight",
    );
    response
        .headers_mut()
        .insert(RETRY_AFTER, http::HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    /// The guard in front of one route, with an API server where nothing
    /// listens (every review fails) and `max_reviews` permits.
    fn guarded(max_reviews: usize) -> (Router, Arc<Auth>) {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        let client = kube::Client::try_from(config).expect("client");
        let auth = Arc::new(Auth::with_limit(client, "vk-1".into(), false, max_reviews));
        let router = Router::new()
            .route("/pods", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(auth.clone(), guard));
        (router, auth)
    }

    async fn status(router: Router, token: Option<&str>, peer: Option<PeerInfo>) -> StatusCode {
        let mut request = Request::builder().uri("/pods");
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let mut request = request.body(Body::empty()).expect("request");
        if let Some(peer) = peer {
            request.extensions_mut().insert(peer);
        }
        router.oneshot(request).await.expect("response").status()
    }

    fn certificate_peer() -> PeerInfo {
        PeerInfo {
            remote: "127.0.0.1:40000".parse().expect("addr"),
            certificate_user: Some(UserInfo {
                name: "alice".into(),
                ..UserInfo::default()
            }),
        }
    }

    #[tokio::test]
    async fn no_credentials_and_oversized_tokens_are_401() {
        let (router, _) = guarded(0);
        assert_eq!(
            status(router.clone(), None, None).await,
            StatusCode::UNAUTHORIZED
        );
        // No permit exists, so a review would be 503: 401 means none was tried.
        let huge = "a".repeat(authn::MAX_TOKEN_LEN + 1);
        assert_eq!(
            status(router, Some(&huge), None).await,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn a_failed_token_review_is_401() {
        let (router, _) = guarded(4);
        assert_eq!(
            status(router, Some("abc"), None).await,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn reviews_past_the_limit_are_503() {
        let (router, _) = guarded(0);
        assert_eq!(
            status(router.clone(), Some("abc"), None).await,
            StatusCode::SERVICE_UNAVAILABLE,
            "token review"
        );
        assert_eq!(
            status(router, None, Some(certificate_peer())).await,
            StatusCode::SERVICE_UNAVAILABLE,
            "access review"
        );
    }

    #[tokio::test]
    async fn a_failed_access_review_is_500() {
        let (router, _) = guarded(4);
        assert_eq!(
            status(router, None, Some(certificate_peer())).await,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn the_review_limit_frees_permits_when_dropped() {
        let limit = ReviewLimit::new(1);
        let permit = limit.try_permit().expect("first");
        assert!(matches!(limit.try_permit(), Err(ReviewError::Busy)));
        drop(permit);
        assert!(limit.try_permit().is_ok());
    }
}
