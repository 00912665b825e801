//! Plugin RPC latency and errors by method and code; restarts, health
//! (ready and phase), status-stream reconnects; and the bookkeeping of the
//! plugin's own metrics (`plugin_export`): scrape failures and what was
//! left out.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The plugin's phase as the supervisor sees it (`plugin_process::Phase`
/// without its data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginPhase {
    Starting,
    Ready,
    NotReady,
    BackingOff,
    Stopped,
}

impl PluginPhase {
    const ALL: [Self; 5] = [
        Self::Starting,
        Self::Ready,
        Self::NotReady,
        Self::BackingOff,
        Self::Stopped,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Ready => "ready",
            Self::NotReady => "not_ready",
            Self::BackingOff => "backing_off",
            Self::Stopped => "stopped",
        }
    }
}

/// Why the status stream (WatchPodStatus) was opened again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamEnd {
    /// The stream failed with an error status.
    Error,
    /// The plugin ended the stream.
    Ended,
    /// It could not be opened at all.
    OpenFailed,
}

impl StreamEnd {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Ended => "ended",
            Self::OpenFailed => "open_failed",
        }
    }
}

/// Why part of the plugin's own metrics was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dropped {
    /// A family name that is not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidName,
    /// A family name in the host's own `vk_host_` namespace.
    ReservedName,
    /// A family (or one of its sample names) already exported.
    DuplicateName,
    /// A label name that is invalid or reserved (`le` in a histogram, `__*`).
    InvalidLabel,
    /// Two samples of one family with the same labels.
    DuplicateLabels,
    /// A value OpenMetrics refuses (a negative or NaN counter, histogram
    /// buckets out of order or not cumulative).
    InvalidValue,
    /// A metric type the host does not know (newer than its protocol).
    UnsupportedType,
    /// Past the limit of families or samples per reply.
    OverLimit,
}

impl Dropped {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidName => "invalid_name",
            Self::ReservedName => "reserved_name",
            Self::DuplicateName => "duplicate_name",
            Self::InvalidLabel => "invalid_label",
            Self::DuplicateLabels => "duplicate_labels",
            Self::InvalidValue => "invalid_value",
            Self::UnsupportedType => "unsupported_type",
            Self::OverLimit => "over_limit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ErrorLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PhaseLabels {
    phase: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

fn rpc_histogram() -> Histogram {
    // 0.5 ms .. ~65 s: most calls answer in milliseconds; CreatePod may
    // run up to its 60 s deadline.
    Histogram::new(exponential_buckets(0.0005, 2.0, 18))
}

/// Plugin RPC latency and errors by method and code; restarts, health,
/// status-stream reconnects; plugin-metrics scrape errors and drops.
#[derive(Debug)]
pub struct PluginMetrics {
    rpc_duration: Family<MethodLabels, Histogram, fn() -> Histogram>,
    rpc_errors: Family<ErrorLabels, Counter>,
    restarts: Counter,
    up: Gauge,
    phase: Family<PhaseLabels, Gauge>,
    stream_reconnects: Family<ReasonLabels, Counter>,
    export_errors: Counter,
    export_dropped: Family<ReasonLabels, Counter>,
}

impl PluginMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(registry: &mut Registry) -> Self {
        let this = Self {
            rpc_duration: Family::new_with_constructor(rpc_histogram),
            rpc_errors: Family::default(),
            restarts: Counter::default(),
            up: Gauge::default(),
            phase: Family::default(),
            stream_reconnects: Family::default(),
            export_errors: Counter::default(),
            export_dropped: Family::default(),
        };
        registry.register_with_unit(
            "plugin_rpc_duration",
            "Duration of unary calls to the plugin by method, failed or not",
            Unit::Seconds,
            this.rpc_duration.clone(),
        );
        registry.register(
            "plugin_rpc_errors",
            "Failed calls to the plugin by method and gRPC code (InvalidReply: a reply the protocol does not allow)",
            this.rpc_errors.clone(),
        );
        registry.register(
            "plugin_restarts",
            "Times the plugin process was started again after it exited or failed its health probes",
            this.restarts.clone(),
        );
        registry.register(
            "plugin_up",
            "1 when the plugin is running and ready (handshake done, probes pass), else 0",
            this.up.clone(),
        );
        registry.register(
            "plugin_phase",
            "The plugin's phase: 1 for the current one, 0 for the others",
            this.phase.clone(),
        );
        registry.register(
            "plugin_status_stream_reconnects",
            "Times the pod status stream (WatchPodStatus) was opened again, by why it ended",
            this.stream_reconnects.clone(),
        );
        registry.register(
            "plugin_metrics_scrape_errors",
            "Scrapes at which the plugin's own metrics (GetPluginMetrics) could not be read",
            this.export_errors.clone(),
        );
        registry.register(
            "plugin_metrics_dropped",
            "Families or samples of the plugin's own metrics left out, by reason",
            this.export_dropped.clone(),
        );
        this.set_phase(PluginPhase::Starting);
        // Every series from the start, so that rates have a zero to start
        // from.
        for why in [StreamEnd::Error, StreamEnd::Ended, StreamEnd::OpenFailed] {
            let _ = this.stream_reconnects.get_or_create(&ReasonLabels {
                reason: why.as_str(),
            });
        }
        this
    }

    /// One unary call to the plugin took `seconds`; `code` is its error
    /// (a gRPC code name, or `InvalidReply`), `None` when it succeeded.
    pub fn rpc_done(&self, method: &'static str, seconds: f64, code: Option<&'static str>) {
        self.rpc_duration
            .get_or_create(&MethodLabels { method })
            .observe(seconds);
        if let Some(code) = code {
            self.rpc_errors
                .get_or_create(&ErrorLabels { method, code })
                .inc();
        }
    }

    /// The plugin is being started again.
    pub fn restarted(&self) {
        self.restarts.inc();
    }

    /// The plugin's phase changed.
    pub fn set_phase(&self, phase: PluginPhase) {
        for each in PluginPhase::ALL {
            self.phase
                .get_or_create(&PhaseLabels {
                    phase: each.as_str(),
                })
                .set(i64::from(each == phase));
        }
        self.up.set(i64::from(phase == PluginPhase::Ready));
    }

    /// The status stream is opened again after it ended this way.
    pub fn stream_reconnect(&self, why: StreamEnd) {
        self.stream_reconnects
            .get_or_create(&ReasonLabels {
                reason: why.as_str(),
            })
            .inc();
    }

    /// GetPluginMetrics failed at a scrape.
    pub fn export_failed(&self) {
        self.export_errors.inc();
    }

    /// `count` families or samples of the plugin's metrics were left out.
    pub fn export_dropped(&self, why: Dropped, count: u64) {
        self.export_dropped
            .get_or_create(&ReasonLabels {
                reason: why.as_str(),
            })
            .inc_by(count);
    }
}

/// The name of a gRPC code as a label value (tonic's, as in grpc-go's
/// `codes.Code.String()`).
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn families_are_encoded_with_their_openmetrics_names() {
        let mut registry = Registry::with_prefix("vk_host");
        let metrics = PluginMetrics::new(&mut registry);
        metrics.rpc_done("CreatePod", 0.002, None);
        metrics.rpc_done("CreatePod", 0.1, Some(code_name(tonic::Code::Unavailable)));
        metrics.restarted();
        metrics.set_phase(PluginPhase::Ready);
        metrics.stream_reconnect(StreamEnd::Ended);
        metrics.export_failed();
        metrics.export_dropped(Dropped::InvalidName, 2);
        let mut text = String::new();
        encode(&mut text, &registry).expect("encode");
        for line in [
            "# TYPE vk_host_plugin_rpc_duration_seconds histogram",
            r#"vk_host_plugin_rpc_duration_seconds_count{method="CreatePod"} 2"#,
            r#"vk_host_plugin_rpc_errors_total{method="CreatePod",code="Unavailable"} 1"#,
            "vk_host_plugin_restarts_total 1",
            "vk_host_plugin_up 1",
            r#"vk_host_plugin_phase{phase="ready"} 1"#,
            r#"vk_host_plugin_phase{phase="starting"} 0"#,
            r#"vk_host_plugin_status_stream_reconnects_total{reason="ended"} 1"#,
            "vk_host_plugin_metrics_scrape_errors_total 1",
            r#"vk_host_plugin_metrics_dropped_total{reason="invalid_name"} 2"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
    }
}
