//! The plugin's own metrics (GetPluginMetrics, CAPABILITY_PLUGIN_METRICS),
//! fetched at scrape time and exported beside the host's families with a
//! `plugin` label.
//!
//! [`convert`] is the whole policy, a pure function: it checks every family
//! against the protocol's rules and OpenMetrics' (names, label names,
//! values, histogram buckets, limits, names already exported) and writes
//! what passes as OpenMetrics text; what does not is left out and counted
//! by reason (`vk_host_plugin_metrics_dropped_total`), never an error of the
//! scrape.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Mutex;

use vk_proto::v1::{Capability, MetricFamily, MetricType};

use super::plugin::Dropped;
use crate::plugin_process::PluginClient;

/// The most families one reply may hold (proto: GetPluginMetricsResponse).
pub const MAX_FAMILIES: usize = 200;
/// The most metrics (label sets) one reply may hold, over all families.
pub const MAX_SAMPLES: usize = 5000;
/// The most buckets one histogram may hold: beyond this a plugin is
/// sending something other than a classic histogram.
pub const MAX_BUCKETS: usize = 200;
/// Family names the host keeps for its own families.
pub const RESERVED_PREFIX: &str = "vk_host_";

/// Appends the plugin's families to `out` as OpenMetrics text (without the
/// final `# EOF`). Nothing when there is no plugin client or it does not
/// declare the capability; a failed call is counted and logged, never an
/// error of the scrape. `out` holds the host's families already: their
/// names are never reused.
pub async fn append(client: Option<&PluginClient>, out: &mut String) {
    let Some(client) = client else { return };
    if !client.identity().has(Capability::PluginMetrics) {
        return;
    }
    let metrics = &super::global().plugin;
    match client.get_plugin_metrics().await {
        Ok(reply) => {
            let mut taken = exported_names(out);
            let report = convert(&client.identity().name, &reply.families, &mut taken, out);
            for (why, count) in &report.dropped {
                metrics.export_dropped(*why, *count);
            }
            log_once(
                report.first_problem.as_deref(),
                "some of the plugin's metrics are left out",
            );
        }
        Err(error) => {
            metrics.export_failed();
            log_once(
                Some(&error.to_string()),
                "the plugin's metrics could not be read",
            );
        }
    }
}

/// Warns about a problem the first time it is seen (and again when it
/// changes), at debug level after that: a scrape every few seconds must not
/// repeat one warning forever.
fn log_once(problem: Option<&str>, what: &str) {
    static LAST: Mutex<Option<String>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    match problem {
        None => *last = None,
        Some(problem) if last.as_deref() == Some(problem) => {
            tracing::debug!(problem, "{what}");
        }
        Some(problem) => {
            tracing::warn!(problem, "{what} (logged again at debug level)");
            *last = Some(problem.to_owned());
        }
    }
}

/// What [`convert`] left out.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    /// Families or metrics left out, by reason, in the order first seen.
    pub dropped: Vec<(Dropped, u64)>,
    /// The first thing left out, in words.
    pub first_problem: Option<String>,
}

impl Report {
    fn drop(&mut self, why: Dropped, count: u64, problem: impl FnOnce() -> String) {
        if count == 0 {
            return;
        }
        match self.dropped.iter_mut().find(|(w, _)| *w == why) {
            Some((_, n)) => *n += count,
            None => self.dropped.push((why, count)),
        }
        if self.first_problem.is_none() {
            self.first_problem = Some(problem());
        }
    }

    /// How many were left out for `why`.
    pub fn count(&self, why: Dropped) -> u64 {
        self.dropped
            .iter()
            .find(|(w, _)| *w == why)
            .map_or(0, |(_, n)| *n)
    }
}

/// The metric names (family names and sample names) an exposition already
/// uses, read from its `# TYPE` lines.
pub fn exported_names(text: &str) -> HashSet<String> {
    let mut names = HashSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut parts = rest.split(' ');
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => COUNTER_SUFFIXES,
            "histogram" | "gaugehistogram" => HISTOGRAM_SUFFIXES,
            "summary" => &["_count", "_sum", "_created"],
            "info" => &["_info"],
            _ => &[],
        };
        names.extend(sample_names(name, suffixes));
    }
    names
}

const COUNTER_SUFFIXES: &[&str] = &["_total", "_created"];
const HISTOGRAM_SUFFIXES: &[&str] = &["_bucket", "_count", "_sum", "_created", "_gcount", "_gsum"];

/// The family name and every sample name it may produce.
fn sample_names(family: &str, suffixes: &[&str]) -> Vec<String> {
    std::iter::once(family.to_owned())
        .chain(suffixes.iter().map(|suffix| format!("{family}{suffix}")))
        .collect()
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not `__`-prefixed (reserved by Prometheus).
fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// Escapes a label value or help text per OpenMetrics: backslash, double
/// quote and line feed.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A number as OpenMetrics writes it.
fn number_into(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value == f64::INFINITY {
        out.push_str("+Inf");
    } else if value == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        // Debug keeps a `.0` or an exponent: always a valid float.
        let _ = write!(out, "{value:?}");
    }
}

/// One metric's labels as written, `plugin` first; `Err` names the bad
/// label.
fn labels_of(
    plugin: &str,
    labels: &std::collections::HashMap<String, String>,
    histogram: bool,
) -> Result<Vec<(String, String)>, String> {
    let mut sorted: Vec<(String, String)> = Vec::with_capacity(labels.len() + 1);
    sorted.push(("plugin".to_owned(), plugin.to_owned()));
    let mut names: Vec<&String> = labels.keys().filter(|n| *n != "plugin").collect();
    names.sort();
    for name in names {
        if !valid_label_name(name) || (histogram && name == "le") {
            return Err(name.clone());
        }
        sorted.push((name.clone(), labels[name].clone()));
    }
    Ok(sorted)
}

/// Writes `name{labels[,le="bound"]} value`.
fn sample_into(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(String, String)],
    le: Option<f64>,
    value: impl FnOnce(&mut String),
) {
    out.push_str(name);
    out.push_str(suffix);
    out.push('{');
    for (i, (label, text)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(label);
        out.push_str("=\"");
        escape_into(out, text);
        out.push('"');
    }
    if let Some(bound) = le {
        out.push_str(",le=\"");
        number_into(out, bound);
        out.push('"');
    }
    out.push_str("} ");
    value(out);
    out.push('\n');
}

/// Why a histogram cannot be exported as it is, if it cannot.
fn histogram_problem(h: &vk_proto::v1::Histogram) -> Option<&'static str> {
    if h.buckets.len() > MAX_BUCKETS {
        return Some("too many buckets");
    }
    let mut previous: Option<(f64, u64)> = None;
    for bucket in &h.buckets {
        if bucket.upper_bound.is_nan() {
            return Some("a bucket's upper bound is NaN");
        }
        if let Some((bound, count)) = previous {
            if bucket.upper_bound <= bound {
                return Some("bucket upper bounds are not increasing");
            }
            if bucket.cumulative_count < count {
                return Some("bucket counts are not cumulative");
            }
        }
        previous = Some((bucket.upper_bound, bucket.cumulative_count));
    }
    match h.buckets.last() {
        Some(last)
            if last.upper_bound == f64::INFINITY && last.cumulative_count != h.sample_count =>
        {
            return Some("the +Inf bucket is not the sample count");
        }
        Some(last) if last.cumulative_count > h.sample_count => {
            return Some("a bucket counts more than the sample count");
        }
        _ => {}
    }
    let negative_buckets = h.buckets.iter().any(|b| b.upper_bound < 0.0);
    if h.sample_sum.is_nan() || (h.sample_sum < 0.0 && !negative_buckets) {
        return Some("the sum is negative (or NaN) with no negative bucket");
    }
    None
}

/// Converts the plugin's families to OpenMetrics text appended to `out`,
/// every sample labelled `plugin="<plugin>"` (the plugin's own `plugin`
/// label replaced), counters with `_total`, histograms with `+Inf`. What
/// cannot be exported is left out and reported; `taken` holds the metric
/// names already exported and receives those written.
pub fn convert(
    plugin: &str,
    families: &[MetricFamily],
    taken: &mut HashSet<String>,
    out: &mut String,
) -> Report {
    let mut report = Report::default();
    if families.len() > MAX_FAMILIES {
        let over = families.len() - MAX_FAMILIES;
        report.drop(Dropped::OverLimit, over as u64, || {
            format!(
                "{} families, more than the limit of {MAX_FAMILIES}",
                families.len()
            )
        });
    }
    let mut samples_left = MAX_SAMPLES;
    for family in families.iter().take(MAX_FAMILIES) {
        family_into(plugin, family, taken, &mut samples_left, out, &mut report);
    }
    report
}

fn family_into(
    plugin: &str,
    family: &MetricFamily,
    taken: &mut HashSet<String>,
    samples_left: &mut usize,
    out: &mut String,
    report: &mut Report,
) {
    let shown = vk_proto::text::cut_chars(&family.name, 64);
    let Ok(kind) = MetricType::try_from(family.r#type) else {
        report.drop(Dropped::UnsupportedType, 1, || {
            format!("family {shown:?}: unknown type {}", family.r#type)
        });
        return;
    };
    if !valid_metric_name(&family.name) {
        report.drop(Dropped::InvalidName, 1, || {
            format!("family {shown:?}: not a valid metric name")
        });
        return;
    }
    if family.name.starts_with(RESERVED_PREFIX) {
        report.drop(Dropped::ReservedName, 1, || {
            format!("family {shown:?}: {RESERVED_PREFIX} names are the host's")
        });
        return;
    }
    // A counter's family name never ends in `_total`; a plugin that sends
    // one (as Go's client names them) means the same counter.
    let (name, type_name, suffixes) = match kind {
        MetricType::Counter => (
            family.name.strip_suffix("_total").unwrap_or(&family.name),
            "counter",
            COUNTER_SUFFIXES,
        ),
        MetricType::Gauge | MetricType::Unspecified => (family.name.as_str(), "gauge", &[][..]),
        MetricType::Histogram => (family.name.as_str(), "histogram", HISTOGRAM_SUFFIXES),
    };
    if name.is_empty() {
        report.drop(Dropped::InvalidName, 1, || {
            format!("family {shown:?}: nothing left of the name without _total")
        });
        return;
    }
    let names = sample_names(name, suffixes);
    if names.iter().any(|n| taken.contains(n)) {
        report.drop(Dropped::DuplicateName, 1, || {
            format!("family {shown:?}: its name (or a sample name) is already exported")
        });
        return;
    }
    taken.extend(names);

    out.push_str("# TYPE ");
    out.push_str(name);
    out.push(' ');
    out.push_str(type_name);
    out.push('\n');
    if !family.help.is_empty() {
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        escape_into(out, &family.help);
        out.push('\n');
    }

    let histogram = kind == MetricType::Histogram;
    let mut seen = HashSet::new();
    for (index, metric) in family.metrics.iter().enumerate() {
        if *samples_left == 0 {
            let over = family.metrics.len() - index;
            report.drop(Dropped::OverLimit, over as u64, || {
                format!("family {shown:?}: past the limit of {MAX_SAMPLES} metrics per reply")
            });
            return;
        }
        *samples_left -= 1;
        let labels = match labels_of(plugin, &metric.labels, histogram) {
            Ok(labels) => labels,
            Err(label) => {
                let label = vk_proto::text::cut_chars(&label, 64);
                report.drop(Dropped::InvalidLabel, 1, || {
                    format!("family {shown:?}: label name {label:?} is invalid or reserved")
                });
                continue;
            }
        };
        if !seen.insert(labels.clone()) {
            report.drop(Dropped::DuplicateLabels, 1, || {
                format!("family {shown:?}: two metrics with the same labels")
            });
            continue;
        }
        match kind {
            MetricType::Counter => {
                let value = metric.value;
                if value.is_nan() || value < 0.0 {
                    report.drop(Dropped::InvalidValue, 1, || {
                        format!("family {shown:?}: a counter of {value}")
                    });
                    continue;
                }
                sample_into(out, name, "_total", &labels, None, |o| {
                    number_into(o, value)
                });
            }
            MetricType::Gauge | MetricType::Unspecified => {
                sample_into(out, name, "", &labels, None, |o| {
                    number_into(o, metric.value)
                });
            }
            MetricType::Histogram => {
                let empty = vk_proto::v1::Histogram::default();
                let h = metric.histogram.as_ref().unwrap_or(&empty);
                if let Some(why) = histogram_problem(h) {
                    report.drop(Dropped::InvalidValue, 1, || {
                        format!("family {shown:?}: {why}")
                    });
                    continue;
                }
                for bucket in &h.buckets {
                    sample_into(
                        out,
                        name,
                        "_bucket",
                        &labels,
                        Some(bucket.upper_bound),
                        |o| {
                            let _ = write!(o, "{}", bucket.cumulative_count);
                        },
                    );
                }
                if h.buckets
                    .last()
                    .is_none_or(|b| b.upper_bound != f64::INFINITY)
                {
                    sample_into(out, name, "_bucket", &labels, Some(f64::INFINITY), |o| {
                        let _ = write!(o, "{}", h.sample_count);
                    });
                }
                sample_into(out, name, "_count", &labels, None, |o| {
                    let _ = write!(o, "{}", h.sample_count);
                });
                sample_into(out, name, "_sum", &labels, None, |o| {
                    number_into(o, h.sample_sum)
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vk_proto::v1::{Bucket, Histogram, Metric};

    fn family(name: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
        MetricFamily {
            name: name.to_owned(),
            help: format!("help of {name}"),
            r#type: kind as i32,
            metrics,
        }
    }

    fn value(v: f64, labels: &[(&str, &str)]) -> Metric {
        Metric {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            value: v,
            histogram: None,
        }
    }

    fn histogram(count: u64, sum: f64, buckets: &[(f64, u64)]) -> Metric {
        Metric {
            labels: Default::default(),
            value: 0.0,
            histogram: Some(Histogram {
                sample_count: count,
                sample_sum: sum,
                buckets: buckets
                    .iter()
                    .map(|&(upper_bound, cumulative_count)| Bucket {
                        cumulative_count,
                        upper_bound,
                    })
                    .collect(),
            }),
        }
    }

    fn run(families: &[MetricFamily]) -> (String, Report) {
        let mut out = String::new();
        let report = convert("p", families, &mut HashSet::new(), &mut out);
        (out, report)
    }

    #[test]
    fn a_counter_gets_total_and_the_plugin_label() {
        let (out, report) = run(&[family(
            "requests",
            MetricType::Counter,
            vec![value(3.0, &[("code", "ok")])],
        )]);
        assert_eq!(
            out,
            "# TYPE requests counter\n# HELP requests help of requests\n\
             requests_total{plugin=\"p\",code=\"ok\"} 3.0\n"
        );
        assert_eq!(report, Report::default());
    }

    #[test]
    fn a_counter_named_with_total_is_the_same_counter() {
        let (out, _) = run(&[family(
            "requests_total",
            MetricType::Counter,
            vec![value(1.0, &[])],
        )]);
        assert!(out.starts_with("# TYPE requests counter\n"), "{out}");
        assert!(
            out.contains("\nrequests_total{plugin=\"p\"} 1.0\n"),
            "{out}"
        );
    }

    #[test]
    fn gauges_and_unspecified_types_are_gauges_with_openmetrics_numbers() {
        let (out, _) = run(&[
            family(
                "temperature",
                MetricType::Gauge,
                vec![
                    value(-1.5, &[("at", "a")]),
                    value(f64::NAN, &[("at", "b")]),
                    value(f64::INFINITY, &[("at", "c")]),
                    value(1e300, &[("at", "d")]),
                ],
            ),
            family("queue", MetricType::Unspecified, vec![value(7.0, &[])]),
        ]);
        for line in [
            "temperature{plugin=\"p\",at=\"a\"} -1.5",
            "temperature{plugin=\"p\",at=\"b\"} NaN",
            "temperature{plugin=\"p\",at=\"c\"} +Inf",
            "temperature{plugin=\"p\",at=\"d\"} 1e300",
            "# TYPE queue gauge",
            "queue{plugin=\"p\"} 7.0",
        ] {
            assert!(
                out.lines().any(|l| l == line),
                "{line:?} missing in:\n{out}"
            );
        }
    }

    #[test]
    fn a_histogram_gets_its_inf_bucket_count_and_sum() {
        let (out, report) = run(&[family(
            "latency_seconds",
            MetricType::Histogram,
            vec![histogram(5, 2.5, &[(0.1, 1), (1.0, 4)])],
        )]);
        assert_eq!(report, Report::default());
        let samples: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            samples,
            [
                "latency_seconds_bucket{plugin=\"p\",le=\"0.1\"} 1",
                "latency_seconds_bucket{plugin=\"p\",le=\"1.0\"} 4",
                "latency_seconds_bucket{plugin=\"p\",le=\"+Inf\"} 5",
                "latency_seconds_count{plugin=\"p\"} 5",
                "latency_seconds_sum{plugin=\"p\"} 2.5",
            ]
        );
        // An +Inf bucket sent by the plugin is not repeated.
        let (out, _) = run(&[family(
            "h",
            MetricType::Histogram,
            vec![histogram(2, 1.0, &[(1.0, 1), (f64::INFINITY, 2)])],
        )]);
        assert_eq!(out.matches("le=\"+Inf\"").count(), 1, "{out}");
    }

    #[test]
    fn histograms_that_are_not_cumulative_or_not_increasing_are_dropped() {
        let (out, report) = run(&[family(
            "h",
            MetricType::Histogram,
            [
                histogram(5, 1.0, &[(0.1, 3), (1.0, 2)]),
                histogram(5, 1.0, &[(1.0, 1), (0.1, 2)]),
                histogram(5, 1.0, &[(1.0, 1), (f64::INFINITY, 4)]),
                histogram(1, 1.0, &[(1.0, 2)]),
                histogram(1, -1.0, &[(1.0, 1)]),
                histogram(1, 1.0, &[(f64::NAN, 1)]),
            ]
            .into_iter()
            .enumerate()
            .map(|(i, mut m)| {
                m.labels.insert("case".into(), i.to_string());
                m
            })
            .collect(),
        )]);
        assert_eq!(report.count(Dropped::InvalidValue), 6, "{report:?}");
        assert!(!out.contains("h_bucket"), "{out}");
        // A histogram with negative buckets may have a negative sum.
        let (out, report) = run(&[family(
            "h",
            MetricType::Histogram,
            vec![histogram(1, -3.0, &[(-1.0, 1)])],
        )]);
        assert_eq!(report, Report::default());
        assert!(out.contains("h_sum{plugin=\"p\"} -3.0"), "{out}");
    }

    #[test]
    fn invalid_and_reserved_names_are_dropped() {
        let (out, report) = run(&[
            family("bad-name", MetricType::Gauge, vec![value(1.0, &[])]),
            family("", MetricType::Gauge, vec![value(1.0, &[])]),
            family("9lives", MetricType::Gauge, vec![value(1.0, &[])]),
            family("x\n# EOF", MetricType::Gauge, vec![value(1.0, &[])]),
            family("_total", MetricType::Counter, vec![value(1.0, &[])]),
            family(
                "vk_host_pod_syncs",
                MetricType::Counter,
                vec![value(1.0, &[])],
            ),
            family("ok:name_1", MetricType::Gauge, vec![value(1.0, &[])]),
        ]);
        assert_eq!(report.count(Dropped::InvalidName), 5, "{report:?}");
        assert_eq!(report.count(Dropped::ReservedName), 1, "{report:?}");
        assert_eq!(
            out.lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>(),
            ["ok:name_1{plugin=\"p\"} 1.0"]
        );
        assert!(report.first_problem.is_some_and(|p| p.contains("bad-name")));
    }

    #[test]
    fn invalid_label_names_drop_the_metric_and_plugin_is_replaced() {
        let (out, report) = run(&[family(
            "g",
            MetricType::Gauge,
            vec![
                value(1.0, &[("plugin", "forged"), ("a", "1")]),
                value(2.0, &[("bad-label", "x")]),
                value(3.0, &[("__reserved", "x")]),
            ],
        )]);
        assert_eq!(report.count(Dropped::InvalidLabel), 2, "{report:?}");
        assert_eq!(
            out.lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>(),
            ["g{plugin=\"p\",a=\"1\"} 1.0"]
        );
        // `le` is the host's in a histogram, and anybody's elsewhere.
        let (_, report) = run(&[
            family(
                "h",
                MetricType::Histogram,
                vec![{
                    let mut m = histogram(0, 0.0, &[]);
                    m.labels.insert("le".into(), "1".into());
                    m
                }],
            ),
            family("g", MetricType::Gauge, vec![value(1.0, &[("le", "1")])]),
        ]);
        assert_eq!(report.count(Dropped::InvalidLabel), 1, "{report:?}");
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut f = family(
            "g",
            MetricType::Gauge,
            vec![value(1.0, &[("path", "a\\b\"c\nd")])],
        );
        f.help = "line one\nline \"two\" \\".to_owned();
        let mut out = String::new();
        convert("plug\"in", &[f], &mut HashSet::new(), &mut out);
        assert_eq!(
            out,
            "# TYPE g gauge\n# HELP g line one\\nline \\\"two\\\" \\\\\n\
             g{plugin=\"plug\\\"in\",path=\"a\\\\b\\\"c\\nd\"} 1.0\n"
        );
    }

    #[test]
    fn duplicate_families_labels_and_clashing_sample_names_are_dropped() {
        let (out, report) = run(&[
            family("a", MetricType::Gauge, vec![value(1.0, &[])]),
            family("a", MetricType::Gauge, vec![value(2.0, &[])]),
            family("c", MetricType::Counter, vec![value(1.0, &[])]),
            family("c_total", MetricType::Gauge, vec![value(1.0, &[])]),
            family("h", MetricType::Histogram, vec![histogram(0, 0.0, &[])]),
            family("h_count", MetricType::Gauge, vec![value(1.0, &[])]),
            family(
                "d",
                MetricType::Gauge,
                vec![value(1.0, &[("x", "1")]), value(2.0, &[("x", "1")])],
            ),
        ]);
        assert_eq!(report.count(Dropped::DuplicateName), 3, "{report:?}");
        assert_eq!(report.count(Dropped::DuplicateLabels), 1, "{report:?}");
        assert_eq!(out.matches("# TYPE").count(), 4, "{out}");
        assert!(out.contains("a{plugin=\"p\"} 1.0\n") && !out.contains("a{plugin=\"p\"} 2.0"));
    }

    #[test]
    fn names_the_host_exports_are_never_reused() {
        let host = "# HELP process_cpu_seconds CPU.\n# TYPE process_cpu_seconds counter\n\
                    # UNIT process_cpu_seconds seconds\nprocess_cpu_seconds_total 1.5\n";
        let mut taken = exported_names(host);
        assert!(taken.contains("process_cpu_seconds_total"));
        let mut out = String::new();
        let report = convert(
            "p",
            &[
                family("process_cpu_seconds_total", MetricType::Gauge, vec![]),
                family("process_cpu_seconds", MetricType::Counter, vec![]),
                family("mine", MetricType::Counter, vec![]),
            ],
            &mut taken,
            &mut out,
        );
        assert_eq!(report.count(Dropped::DuplicateName), 2, "{report:?}");
        assert_eq!(out, "# TYPE mine counter\n# HELP mine help of mine\n");
    }

    #[test]
    fn limits_on_families_and_samples_are_enforced() {
        let many: Vec<_> = (0..MAX_FAMILIES + 5)
            .map(|i| family(&format!("f{i}"), MetricType::Gauge, vec![value(1.0, &[])]))
            .collect();
        let (out, report) = run(&many);
        assert_eq!(report.count(Dropped::OverLimit), 5);
        assert_eq!(out.matches("# TYPE").count(), MAX_FAMILIES);

        let metrics = |n: usize| -> Vec<Metric> {
            (0..n)
                .map(|i| value(1.0, &[("i", &i.to_string())]))
                .collect()
        };
        let (out, report) = run(&[
            family("a", MetricType::Gauge, metrics(MAX_SAMPLES - 10)),
            family("b", MetricType::Gauge, metrics(30)),
        ]);
        assert_eq!(report.count(Dropped::OverLimit), 20);
        let samples = out.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(samples, MAX_SAMPLES);

        let buckets: Vec<(f64, u64)> = (0..=MAX_BUCKETS).map(|i| (i as f64, 0)).collect();
        let (_, report) = run(&[family(
            "h",
            MetricType::Histogram,
            vec![histogram(0, 0.0, &buckets)],
        )]);
        assert_eq!(report.count(Dropped::InvalidValue), 1);
    }

    #[test]
    fn counters_must_not_be_negative_or_nan_and_unknown_types_are_dropped() {
        let (out, report) = run(&[
            family(
                "c",
                MetricType::Counter,
                vec![
                    value(-1.0, &[("a", "1")]),
                    value(f64::NAN, &[("a", "2")]),
                    value(0.0, &[("a", "3")]),
                ],
            ),
            MetricFamily {
                name: "s".into(),
                help: String::new(),
                r#type: 42,
                metrics: vec![value(1.0, &[])],
            },
        ]);
        assert_eq!(report.count(Dropped::InvalidValue), 2);
        assert_eq!(report.count(Dropped::UnsupportedType), 1);
        assert_eq!(
            out.lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>(),
            ["c_total{plugin=\"p\",a=\"3\"} 0.0"]
        );
    }
}
