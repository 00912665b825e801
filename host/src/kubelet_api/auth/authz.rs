//! May this caller do this: a SubjectAccessReview on the node's subresource,
//! with the kubelet's attribute mapping (`pkg/kubelet/server/auth.go`),
//! answers cached (allowed 5 min, denied 30 s, bounded) as the kubelet's
//! webhook authorizer does by default.

use std::time::Duration;

use http::Method;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::Api;
use kube::api::PostParams;

use super::authn::UserInfo;
use super::cache::TtlCache;
use super::{ReviewError, ReviewLimit};

pub const ALLOWED_TTL: Duration = Duration::from_secs(300);
pub const DENIED_TTL: Duration = Duration::from_secs(30);
const CACHE_SIZE: usize = 4096;

/// One thing to ask about: `<verb>` on `nodes/<subresource>` named after the
/// node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attributes {
    pub verb: &'static str,
    pub subresource: &'static str,
}

/// What a request needs, in the order asked; one allowed is enough. As the
/// kubelet with fine-grained authorization (KEP-2862, on by default since
/// 1.33): `/pods`, `/runningpods/` ask `nodes/pods` and `/healthz` asks
/// `nodes/healthz` first, then, like every path, the coarse subresource:
/// `stats` for `/stats*`, `metrics` for `/metrics*`, `log` for `/logs*`
/// (the node's log files, not `/containerLogs`) and `proxy` otherwise.
///
/// The verb follows the HTTP method (GET get, POST create, PUT update,
/// PATCH patch, DELETE delete, anything else the method in lower case). One
/// deliberate difference: a WebSocket upgrade (a GET) to `/exec`, `/attach`,
/// `/portForward` or `/run` is asked as `create`, because it does what the
/// POST form does; a `get`-only grant on `nodes/proxy` must not run commands.
pub fn attributes(method: &Method, path: &str, websocket: bool) -> Vec<Attributes> {
    let mut verb = match *method {
        Method::GET | Method::HEAD => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "unknown",
    };
    let streaming = ["/exec", "/attach", "/portForward", "/run"]
        .iter()
        .any(|prefix| is_subpath(path, prefix));
    if websocket && streaming {
        verb = "create";
    }
    let mut wanted = Vec::with_capacity(2);
    let fine = if is_subpath(path, "/pods") || is_subpath(path, "/runningpods") {
        Some("pods")
    } else if is_subpath(path, "/healthz") {
        Some("healthz")
    } else if is_subpath(path, "/configz") {
        Some("configz")
    } else {
        None
    };
    if let Some(subresource) = fine {
        wanted.push(Attributes { verb, subresource });
    }
    let coarse = if is_subpath(path, "/stats") {
        "stats"
    } else if is_subpath(path, "/metrics") {
        "metrics"
    } else if is_subpath(path, "/logs") {
        "log"
    } else {
        "proxy"
    };
    wanted.push(Attributes {
        verb,
        subresource: coarse,
    });
    wanted
}

/// `path` is `prefix` or below it (`/stats` matches `/stats/summary`, not
/// `/statsx`).
fn is_subpath(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// SubjectAccessReview with a cache.
pub struct Authorizer {
    client: kube::Client,
    node_name: String,
    limit: ReviewLimit,
    cache: TtlCache<(UserInfo, Attributes), bool>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("node_name", &self.node_name)
            .finish_non_exhaustive()
    }
}

impl Authorizer {
    pub fn new(client: kube::Client, node_name: String, limit: ReviewLimit) -> Self {
        Self {
            client,
            node_name,
            limit,
            cache: TtlCache::new(CACHE_SIZE),
        }
    }

    /// Whether `user` may do any of `wanted` (asked in order).
    pub async fn allowed(
        &self,
        user: &UserInfo,
        wanted: &[Attributes],
    ) -> Result<bool, ReviewError> {
        for attributes in wanted {
            if self.allowed_one(user, *attributes).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn allowed_one(
        &self,
        user: &UserInfo,
        attributes: Attributes,
    ) -> Result<bool, ReviewError> {
        let key = (user.clone(), attributes);
        if let Some(answer) = self.cache.get(&key) {
            return Ok(answer);
        }
        let _permit = self.limit.try_permit()?;
        let review = self.review(user, attributes);
        let reviews: Api<SubjectAccessReview> = Api::all(self.client.clone());
        let answer = reviews.create(&PostParams::default(), &review).await?;
        let allowed = answer
            .status
            .is_some_and(|status| status.allowed && status.denied != Some(true));
        let ttl = if allowed { ALLOWED_TTL } else { DENIED_TTL };
        self.cache.insert(key, allowed, ttl);
        Ok(allowed)
    }

    /// The review asked for `user` and `attributes`.
    pub fn review(&self, user: &UserInfo, attributes: Attributes) -> SubjectAccessReview {
        SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(user.name.clone()),
                uid: Some(user.uid.clone()).filter(|uid| !uid.is_empty()),
                groups: Some(user.groups.clone()),
                extra: Some(user.extra.clone()).filter(|extra| !extra.is_empty()),
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(attributes.verb.to_owned()),
                    group: Some(String::new()),
                    version: Some("v1".into()),
                    resource: Some("nodes".into()),
                    subresource: Some(attributes.subresource.to_owned()),
                    name: Some(self.node_name.clone()),
                    ..ResourceAttributes::default()
                }),
                ..SubjectAccessReviewSpec::default()
            },
            ..SubjectAccessReview::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(verb: &'static str, subresource: &'static str) -> Attributes {
        Attributes { verb, subresource }
    }

    #[test]
    fn paths_map_to_the_kubelets_subresources() {
        let get = |path| attributes(&Method::GET, path, false);
        assert_eq!(get("/stats/summary"), vec![one("get", "stats")]);
        assert_eq!(get("/stats"), vec![one("get", "stats")]);
        assert_eq!(get("/metrics/resource"), vec![one("get", "metrics")]);
        assert_eq!(get("/logs/syslog"), vec![one("get", "log")]);
        assert_eq!(
            get("/containerLogs/ns/pod/c"),
            vec![one("get", "proxy")],
            "container logs are proxy, as in the kubelet"
        );
        assert_eq!(get("/pods"), vec![one("get", "pods"), one("get", "proxy")]);
        assert_eq!(
            get("/runningpods/"),
            vec![one("get", "pods"), one("get", "proxy")]
        );
        assert_eq!(
            get("/healthz"),
            vec![one("get", "healthz"), one("get", "proxy")]
        );
        assert_eq!(get("/statsx"), vec![one("get", "proxy")]);
        assert_eq!(get("/nowhere"), vec![one("get", "proxy")]);
    }

    #[test]
    fn verbs_follow_the_method_and_websocket_streams_are_create() {
        let verb = |method: Method, path, ws| attributes(&method, path, ws)[0].verb;
        assert_eq!(verb(Method::POST, "/exec/ns/p/c", false), "create");
        assert_eq!(verb(Method::PUT, "/x", false), "update");
        assert_eq!(verb(Method::PATCH, "/x", false), "patch");
        assert_eq!(verb(Method::DELETE, "/x", false), "delete");
        assert_eq!(verb(Method::GET, "/exec/ns/p/c", false), "get");
        assert_eq!(verb(Method::GET, "/exec/ns/p/c", true), "create");
        assert_eq!(verb(Method::GET, "/portForward/ns/p", true), "create");
        assert_eq!(verb(Method::GET, "/containerLogs/ns/p/c", true), "get");
    }

    #[tokio::test]
    async fn the_review_names_the_node_and_the_user() {
        // A client that is never used: building the review is pure.
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        let client = kube::Client::try_from(config).expect("client");
        let authorizer = Authorizer::new(client, "vk-1".into(), ReviewLimit::new(1));
        let user = UserInfo {
            name: "alice".into(),
            groups: vec!["devs".into()],
            ..UserInfo::default()
        };
        let review = authorizer.review(&user, one("get", "log"));
        let attributes = review.spec.resource_attributes.expect("attributes");
        assert_eq!(review.spec.user.as_deref(), Some("alice"));
        assert_eq!(review.spec.groups, Some(vec!["devs".to_owned()]));
        assert_eq!(attributes.resource.as_deref(), Some("nodes"));
        assert_eq!(attributes.subresource.as_deref(), Some("log"));
        assert_eq!(attributes.name.as_deref(), Some("vk-1"));
        assert_eq!(attributes.verb.as_deref(), Some("get"));
    }

    #[tokio::test]
    async fn a_miss_with_no_permit_free_is_busy() {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        let client = kube::Client::try_from(config).expect("client");
        let limit = ReviewLimit::new(1);
        let authorizer = Authorizer::new(client, "vk-1".into(), limit.clone());
        let user = UserInfo {
            name: "alice".into(),
            ..UserInfo::default()
        };
        authorizer
            .cache
            .insert((user.clone(), one("get", "stats")), true, ALLOWED_TTL);
        let _held = limit.try_permit().expect("the only permit");
        assert!(
            authorizer
                .allowed(&user, &[one("get", "stats")])
                .await
                .expect("cached")
        );
        assert!(matches!(
            authorizer.allowed(&user, &[one("get", "log")]).await,
            Err(ReviewError::Busy)
        ));
    }
}
