//! Parses an OpenMetrics exposition with a real, strict parser: the official
//! Prometheus Python client's `text_string_to_metric_families`, run from a
//! cached virtualenv (`openmetrics_venv.sh`, pinned in
//! `openmetrics-requirements.txt`) by `openmetrics_parse.py`, which hands
//! the families back as JSON.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::cluster::Cluster;

/// One metric family as the parser read it.
#[derive(Debug, Clone, Deserialize)]
pub struct Family {
    /// The family name (a counter's without `_total`).
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub unit: String,
    pub help: String,
    pub samples: Vec<Sample>,
}

/// One sample of a family.
#[derive(Debug, Clone, Deserialize)]
pub struct Sample {
    /// The sample name (`_total`, `_bucket`, `_count`, ... included).
    pub name: String,
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "float_text")]
    pub value: f64,
}

fn float_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

impl Family {
    /// The sum of the samples named `sample` whose labels include `labels`.
    pub fn sum(&self, sample: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == sample)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }
}

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The virtualenv's python, built once per test process (and cached across
/// runs). Panics with the script's output when it cannot be built.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let output = Command::new("bash")
            .arg(here().join("openmetrics_venv.sh"))
            .stdin(Stdio::null())
            .output()
            .expect("bash runs tests/src/openmetrics_venv.sh");
        assert!(
            output.status.success(),
            "building the OpenMetrics parser's virtualenv failed (needs python3.11+ with venv, and PyPI): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let venv = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Path::new(&venv).join("bin/python")
    })
}

/// Parses `text` strictly; `Err` carries the parser's message.
pub fn parse(text: &str) -> Result<Vec<Family>, String> {
    let mut child = Command::new(python())
        .arg(here().join("openmetrics_parse.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the parser's python starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let text = text.to_owned();
    // Written from another thread: the parser's output could fill its pipe
    // before it has read all of a large input.
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let output = child.wait_with_output().expect("the parser ran");
    writer
        .join()
        .expect("the writer thread")
        .expect("the exposition written to the parser");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("the parser's JSON: {e}"))
}

/// Node `node`'s `/metrics` through the API server's node proxy, as admin
/// (`kubectl get --raw`): the text and its families, parsed strictly.
pub async fn scrape_node(cluster: &Cluster, node: &str) -> (String, BTreeMap<String, Family>) {
    let path = format!("/api/v1/nodes/{node}/proxy/metrics");
    let text = cluster
        .kubectl(&["get", "--raw", &path])
        .await
        .success()
        .stdout;
    let families = families(&text);
    (text, families)
}

/// The families of `text` by name; panics with the parser's message and
/// the text when it is not valid OpenMetrics.
pub fn families(text: &str) -> BTreeMap<String, Family> {
    match parse(text) {
        Ok(families) => families
            .into_iter()
            .map(|family| (family.name.clone(), family))
            .collect(),
        Err(why) => panic!("{why}\nin:\n{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_reads_valid_text_and_refuses_invalid_text() {
        let text = "# HELP a_seconds A.\n# TYPE a_seconds counter\n# UNIT a_seconds seconds\n\
                    a_seconds_total{k=\"v\"} 1.5\na_seconds_total{k=\"w\"} 2\n# EOF\n";
        let families = families(text);
        let family = &families["a_seconds"];
        assert_eq!(
            (family.kind.as_str(), family.unit.as_str()),
            ("counter", "seconds")
        );
        assert_eq!(family.sum("a_seconds_total", &[]), 3.5);
        assert_eq!(family.sum("a_seconds_total", &[("k", "v")]), 1.5);
        // No # EOF; a counter sample without _total.
        assert!(parse("# TYPE a counter\na_total 1\n").is_err());
        assert!(parse("# TYPE a counter\na 1\n# EOF\n").is_err());
    }
}
