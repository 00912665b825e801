//! Check results and how they are shown: one `PASS|FAIL|SKIP <name>: <message>`
//! line per check as it completes, then the summary line `N passed, N failed`
//! (`, N skipped` when any were), or one JSON document with `--json`.
//! The line shapes are stable: CI and tests parse them.

use std::io::Write as _;

use serde_json::json;

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Only for an optional capability the plugin did not declare.
    Skip,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// Stable, kebab-case, e.g. `create-idempotent`.
    pub name: String,
    pub verdict: Verdict,
    /// What was seen (PASS), what went wrong (FAIL), why skipped (SKIP).
    pub message: String,
}

impl CheckResult {
    /// `PASS create-get: ...`; no message means no colon.
    pub fn line(&self) -> String {
        if self.message.is_empty() {
            format!("{} {}", self.verdict.as_str(), self.name)
        } else {
            format!("{} {}: {}", self.verdict.as_str(), self.name, self.message)
        }
    }
}

/// What the handshake said, for the header and the JSON document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginSummary {
    pub path: String,
    pub name: String,
    pub version: String,
    pub protocol_version: u32,
    pub capabilities: Vec<String>,
}

/// How results are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Lines printed as checks complete.
    Text,
    /// One JSON document at the end; nothing else on stdout.
    Json,
}

/// All results of one run.
#[derive(Debug)]
pub struct Report {
    format: Format,
    pub plugin: PluginSummary,
    pub results: Vec<CheckResult>,
    /// Set when the plugin could not be launched or failed its handshake.
    pub launch_failed: bool,
}

impl Report {
    pub fn new(format: Format, path: String) -> Self {
        Self {
            format,
            plugin: PluginSummary {
                path,
                ..PluginSummary::default()
            },
            results: Vec::new(),
            launch_failed: false,
        }
    }

    /// A line of context above the results (text format only).
    pub fn note(&self, text: &str) {
        if self.format == Format::Text {
            print_line(text);
        }
    }

    pub fn record(&mut self, result: CheckResult) {
        if self.format == Format::Text {
            print_line(&result.line());
        }
        self.results.push(result);
    }

    pub fn pass(&mut self, name: &str, message: impl Into<String>) {
        self.record(CheckResult {
            name: name.to_owned(),
            verdict: Verdict::Pass,
            message: message.into(),
        });
    }

    pub fn fail(&mut self, name: &str, message: impl Into<String>) {
        self.record(CheckResult {
            name: name.to_owned(),
            verdict: Verdict::Fail,
            message: message.into(),
        });
    }

    pub fn skip(&mut self, name: &str, message: impl Into<String>) {
        self.record(CheckResult {
            name: name.to_owned(),
            verdict: Verdict::Skip,
            message: message.into(),
        });
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.results.iter().filter(|r| r.verdict == verdict).count()
    }

    /// True when every check passed or was skipped and the plugin launched.
    pub fn success(&self) -> bool {
        !self.launch_failed && self.count(Verdict::Fail) == 0
    }

    /// `N passed, N failed`, plus `, N skipped` when any were.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed",
            self.count(Verdict::Pass),
            self.count(Verdict::Fail)
        );
        let skipped = self.count(Verdict::Skip);
        if skipped > 0 {
            line.push_str(&format!(", {skipped} skipped"));
        }
        line
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "plugin": {
                "path": self.plugin.path,
                "name": self.plugin.name,
                "version": self.plugin.version,
                "protocol_version": self.plugin.protocol_version,
                "capabilities": self.plugin.capabilities,
            },
            "launched": !self.launch_failed,
            "checks": self.results.iter().map(|r| json!({
                "name": r.name,
                "result": r.verdict.as_str().to_ascii_lowercase(),
                "message": r.message,
            })).collect::<Vec<_>>(),
            "passed": self.count(Verdict::Pass),
            "failed": self.count(Verdict::Fail),
            "skipped": self.count(Verdict::Skip),
            "summary": self.summary_line(),
        })
    }

    /// The summary line (text) or the whole document (JSON).
    pub fn finish(&self) {
        match self.format {
            Format::Text => print_line(&self.summary_line()),
            Format::Json => print_line(
                &serde_json::to_string_pretty(&self.to_json())
                    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")),
            ),
        }
    }
}

/// One line, flushed at once so progress shows while checks run.
fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_has_the_parsed_shape() {
        let mut report = Report::new(Format::Json, "p".into());
        report.pass("a", "");
        report.fail("b", "GetPod: expected OK, got NOT_FOUND");
        assert_eq!(report.summary_line(), "1 passed, 1 failed");
        report.skip("c", "CAPABILITY_EXEC not declared");
        assert_eq!(report.summary_line(), "1 passed, 1 failed, 1 skipped");
        assert!(!report.success());
        assert_eq!(
            report.results[1].line(),
            "FAIL b: GetPod: expected OK, got NOT_FOUND"
        );
        assert_eq!(report.results[0].line(), "PASS a");
        let json = report.to_json();
        assert_eq!(json["failed"], 1);
        assert_eq!(json["checks"][2]["result"], "skip");
    }

    #[test]
    fn skips_alone_are_a_success() {
        let mut report = Report::new(Format::Json, "p".into());
        report.skip("exec", "not declared");
        assert!(report.success());
        report.launch_failed = true;
        assert!(!report.success());
    }
}
