//! Kubernetes API requests by verb, resource and code and their latency,
//! client-side throttling delay, and events dropped before they were
//! written. The request families are filled by the tower layer every kube
//! client carries (`apiserver::instrument`); [`classify`] turns a request's
//! method and path into bounded labels.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// Resources (and resource/subresource pairs) the host talks to; anything
/// else is `other`, so the label stays bounded whatever the path.
const RESOURCES: [&str; 17] = [
    "pods",
    "pods/status",
    "pods/binding",
    "pods/eviction",
    "nodes",
    "nodes/status",
    "leases",
    "events",
    "secrets",
    "configmaps",
    "serviceaccounts",
    "serviceaccounts/token",
    "services",
    "namespaces",
    "tokenreviews",
    "subjectaccessreviews",
    "persistentvolumeclaims",
];

/// Labels of one Kubernetes API request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Kubernetes verb: get, list, watch, create, update, patch, delete,
    /// deletecollection; the lower-case HTTP method outside resource paths.
    pub verb: &'static str,
    /// One of [`RESOURCES`], or `other`.
    pub resource: &'static str,
    /// HTTP status code, or `error` when no response came.
    pub code: String,
}

/// Labels of a request's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerbLabels {
    pub verb: &'static str,
    pub resource: &'static str,
}

/// Which paced client waited.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClientLabels {
    /// `main` (--kube-api-qps) or `events` (--event-qps).
    pub client: &'static str,
}

/// Why an event was not written.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    /// `in_flight_limit` (too many being sent) or `write_failed` (the API
    /// server refused it or could not be reached).
    pub reason: &'static str,
}

/// Kubernetes API requests, client-side throttling, events dropped.
#[derive(Debug)]
pub struct KubeMetrics {
    /// `vk_host_kube_api_requests_total{verb,resource,code}`.
    pub requests: Family<RequestLabels, Counter>,
    /// `vk_host_kube_api_request_duration_seconds{verb,resource}`: until the
    /// response headers (a watch: until it is established).
    pub request_duration: Family<VerbLabels, Histogram>,
    /// `vk_host_kube_api_throttle_delay_seconds{client}`: time a request
    /// waited for the client-side token bucket.
    pub throttle_delay: Family<ClientLabels, Histogram>,
    /// `vk_host_events_dropped_total{reason}`.
    pub events_dropped: Family<DropLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl KubeMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(registry: &mut Registry) -> Self {
        let this = Self {
            requests: Family::default(),
            request_duration: Family::new_with_constructor(latency_histogram),
            throttle_delay: Family::new_with_constructor(latency_histogram),
            events_dropped: Family::default(),
        };
        registry.register(
            "kube_api_requests",
            "Kubernetes API requests by verb, resource and HTTP status code",
            this.requests.clone(),
        );
        registry.register_with_unit(
            "kube_api_request_duration",
            "Kubernetes API request latency until the response headers, by verb and resource",
            Unit::Seconds,
            this.request_duration.clone(),
        );
        registry.register_with_unit(
            "kube_api_throttle_delay",
            "Time Kubernetes API requests waited for the client-side rate limit, by client",
            Unit::Seconds,
            this.throttle_delay.clone(),
        );
        registry.register(
            "events_dropped",
            "Kubernetes Events not written, by reason",
            this.events_dropped.clone(),
        );
        // Present from the start (zero), so a dashboard sees the family.
        for reason in ["in_flight_limit", "write_failed"] {
            drop(this.events_dropped.get_or_create(&DropLabels { reason }));
        }
        this
    }

    /// Counts one finished request; `status` is `None` when none came back.
    pub fn observe_request(
        &self,
        method: &http::Method,
        path: &str,
        query: Option<&str>,
        status: Option<http::StatusCode>,
        seconds: f64,
    ) {
        let (verb, resource) = classify(method, path, query);
        let code = status.map_or_else(|| "error".to_owned(), |s| s.as_u16().to_string());
        self.requests
            .get_or_create(&RequestLabels {
                verb,
                resource,
                code,
            })
            .inc();
        self.request_duration
            .get_or_create(&VerbLabels { verb, resource })
            .observe(seconds);
    }

    /// Counts one event that was not written.
    pub fn event_dropped(&self, reason: &'static str) {
        self.events_dropped
            .get_or_create(&DropLabels { reason })
            .inc();
    }
}

/// The Kubernetes verb and bounded resource of a request. Pure.
///
/// Paths: `/api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]]` and
/// `/apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUB]]`
/// (`/api/v1/namespaces/NAME` is the namespace itself).
pub fn classify(
    method: &http::Method,
    path: &str,
    query: Option<&str>,
) -> (&'static str, &'static str) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segments.as_slice() {
        ["api", _version, rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => return (plain_verb(method), "other"),
    };
    let rest = match rest {
        ["namespaces", _namespace, tail @ ..] if !tail.is_empty() => tail,
        other => other,
    };
    let (resource, named) = match rest {
        [] => return (plain_verb(method), "other"),
        [resource] => (resource.to_string(), false),
        [resource, _name] => (resource.to_string(), true),
        [resource, _name, sub, ..] => (format!("{resource}/{sub}"), true),
    };
    let resource = RESOURCES
        .iter()
        .copied()
        .find(|known| *known == resource)
        .unwrap_or("other");
    let watch = query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair == "watch=true" || pair == "watch=1")
    });
    let verb = match *method {
        http::Method::GET if watch => "watch",
        http::Method::GET if named => "get",
        http::Method::GET => "list",
        http::Method::POST => "create",
        http::Method::PUT => "update",
        http::Method::PATCH => "patch",
        http::Method::DELETE if named => "delete",
        http::Method::DELETE => "deletecollection",
        _ => plain_verb(method),
    };
    (verb, resource)
}

/// A bounded label for a method outside resource paths.
fn plain_verb(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "get",
        http::Method::HEAD => "head",
        http::Method::POST => "post",
        http::Method::PUT => "put",
        http::Method::PATCH => "patch",
        http::Method::DELETE => "delete",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn requests_are_classified_by_verb_and_bounded_resource() {
        let cases = [
            (
                Method::GET,
                "/api/v1/namespaces/ns/pods/p",
                None,
                ("get", "pods"),
            ),
            (
                Method::GET,
                "/api/v1/pods",
                Some("fieldSelector=spec.nodeName%3Dn"),
                ("list", "pods"),
            ),
            (
                Method::GET,
                "/api/v1/pods",
                Some("fieldSelector=x&watch=true"),
                ("watch", "pods"),
            ),
            (
                Method::PATCH,
                "/api/v1/namespaces/ns/pods/p/status",
                None,
                ("patch", "pods/status"),
            ),
            (
                Method::PUT,
                "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n",
                None,
                ("update", "leases"),
            ),
            (
                Method::POST,
                "/apis/events.k8s.io/v1/namespaces/ns/events",
                None,
                ("create", "events"),
            ),
            (
                Method::POST,
                "/apis/authentication.k8s.io/v1/tokenreviews",
                None,
                ("create", "tokenreviews"),
            ),
            (
                Method::POST,
                "/api/v1/namespaces/ns/serviceaccounts/sa/token",
                None,
                ("create", "serviceaccounts/token"),
            ),
            (
                Method::DELETE,
                "/api/v1/namespaces/ns/pods/p",
                None,
                ("delete", "pods"),
            ),
            (
                Method::DELETE,
                "/api/v1/namespaces/ns/pods",
                None,
                ("deletecollection", "pods"),
            ),
            (
                Method::GET,
                "/api/v1/namespaces/ns",
                None,
                ("get", "namespaces"),
            ),
            (
                Method::GET,
                "/api/v1/namespaces/ns/widgets/w",
                None,
                ("get", "other"),
            ),
            (
                Method::GET,
                "/apis/x.io/v1/things/a/b/c/d",
                None,
                ("get", "other"),
            ),
            (Method::GET, "/version", None, ("get", "other")),
            (Method::GET, "/api/v1", None, ("get", "other")),
        ];
        for (method, path, query, expected) in cases {
            assert_eq!(classify(&method, path, query), expected, "{method} {path}");
        }
    }

    #[test]
    fn observed_requests_are_counted_with_their_code() {
        let mut registry = Registry::default();
        let metrics = KubeMetrics::new(&mut registry);
        let path = "/api/v1/nodes/n";
        metrics.observe_request(&Method::GET, path, None, Some(http::StatusCode::OK), 0.01);
        metrics.observe_request(&Method::GET, path, None, None, 0.01);
        let count = |code: &str| {
            metrics
                .requests
                .get_or_create(&RequestLabels {
                    verb: "get",
                    resource: "nodes",
                    code: code.to_owned(),
                })
                .get()
        };
        assert_eq!((count("200"), count("error")), (1, 1));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        assert!(
            text.contains(
                "kube_api_requests_total{verb=\"get\",resource=\"nodes\",code=\"200\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("# UNIT kube_api_request_duration_seconds seconds"),
            "{text}"
        );
    }
}
