//! Kubelet HTTP API requests by route and code and their latency; streaming
//! sessions open by kind and transport. Routes are labelled by the route's
//! fixed prefix ([`route_label`]), never the raw path, which names pods.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The route labels, longest prefix first where one extends another.
const ROUTES: [&str; 11] = [
    "/containerLogs",
    "/exec",
    "/attach",
    "/portForward",
    "/run",
    "/runningpods",
    "/pods",
    "/stats/summary",
    "/metrics/resource",
    "/metrics",
    "/healthz",
];

/// Labels of one kubelet-API request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// One of the routes (`/containerLogs`, `/exec`, ...), or `other` for a
    /// path no route serves.
    pub route: &'static str,
    /// HTTP status code (101 for an upgraded stream).
    pub code: String,
}

/// Labels of a request's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: &'static str,
}

/// Labels of open streaming sessions.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SessionLabels {
    /// `exec`, `attach` or `port_forward`.
    pub kind: &'static str,
    /// `websocket` or `spdy`.
    pub transport: &'static str,
}

/// Kubelet HTTP API requests and streaming sessions.
#[derive(Debug)]
pub struct KubeletApiMetrics {
    /// `vk_host_kubelet_api_requests_total{route,code}`.
    pub requests: Family<RequestLabels, Counter>,
    /// `vk_host_kubelet_api_request_duration_seconds{route}`: until the
    /// response headers (a log follow or a stream: until it starts).
    pub request_duration: Family<RouteLabels, Histogram>,
    /// `vk_host_kubelet_api_streaming_sessions{kind,transport}`.
    pub sessions: Family<SessionLabels, Gauge>,
}

impl KubeletApiMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(registry: &mut Registry) -> Self {
        let this = Self {
            requests: Family::default(),
            request_duration: Family::new_with_constructor(|| {
                // 1 ms .. ~33 s.
                Histogram::new(exponential_buckets(0.001, 2.0, 16))
            }),
            sessions: Family::default(),
        };
        registry.register(
            "kubelet_api_requests",
            "Kubelet HTTP API requests by route and HTTP status code",
            this.requests.clone(),
        );
        registry.register_with_unit(
            "kubelet_api_request_duration",
            "Kubelet HTTP API latency until the response headers, by route",
            Unit::Seconds,
            this.request_duration.clone(),
        );
        registry.register(
            "kubelet_api_streaming_sessions",
            "Streaming sessions (exec, attach, port-forward) open, by kind and transport",
            this.sessions.clone(),
        );
        // Every series present from the start (zero).
        for kind in ["exec", "attach", "port_forward"] {
            for transport in ["websocket", "spdy"] {
                drop(
                    this.sessions
                        .get_or_create(&SessionLabels { kind, transport }),
                );
            }
        }
        this
    }

    /// Counts one answered request.
    pub fn observe_request(&self, route: &'static str, status: http::StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route,
                code: status.as_u16().to_string(),
            })
            .inc();
        self.request_duration
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// Marks a streaming session open until the guard is dropped. `kind` is
    /// `exec`, `attach` or `port_forward`; `transport` `websocket` or `spdy`.
    pub fn session_open(&self, kind: &'static str, transport: &'static str) -> SessionOpen {
        let gauge = self
            .sessions
            .get_or_create_owned(&SessionLabels { kind, transport });
        gauge.inc();
        SessionOpen { gauge }
    }
}

/// One open streaming session; dropping it closes it in the gauge.
#[derive(Debug)]
pub struct SessionOpen {
    gauge: Gauge,
}

impl Drop for SessionOpen {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// The route label of a request: from the matched route template when
/// there is one (`/containerLogs/{namespace}/{pod}/{container}` →
/// `/containerLogs`), else `other`. Pure.
pub fn route_label(template: Option<&str>) -> &'static str {
    let Some(template) = template else {
        return "other";
    };
    ROUTES
        .iter()
        .copied()
        .find(|route| {
            template
                .strip_prefix(route)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_by_their_prefix_never_the_path() {
        for (template, label) in [
            (
                Some("/containerLogs/{namespace}/{pod}/{container}"),
                "/containerLogs",
            ),
            (Some("/exec/{namespace}/{pod}/{uid}/{container}"), "/exec"),
            (Some("/portForward/{namespace}/{pod}"), "/portForward"),
            (Some("/pods/"), "/pods"),
            (Some("/runningpods/"), "/runningpods"),
            (Some("/metrics/resource/"), "/metrics/resource"),
            (Some("/metrics"), "/metrics"),
            (Some("/stats/summary"), "/stats/summary"),
            (Some("/healthz"), "/healthz"),
            (Some("/podsx"), "other"),
            (None, "other"),
        ] {
            assert_eq!(route_label(template), label, "{template:?}");
        }
    }

    #[test]
    fn a_session_is_open_until_its_guard_is_dropped() {
        let metrics = KubeletApiMetrics::new(&mut Registry::default());
        let labels = SessionLabels {
            kind: "exec",
            transport: "spdy",
        };
        let open = metrics.session_open("exec", "spdy");
        let second = metrics.session_open("exec", "spdy");
        assert_eq!(metrics.sessions.get_or_create(&labels).get(), 2);
        drop(open);
        drop(second);
        assert_eq!(metrics.sessions.get_or_create(&labels).get(), 0);
    }
}
