//! Forwards a plugin's stdout and stderr into the host's `tracing` output,
//! one event per line, labelled with the plugin. Lines are capped in length
//! and read through a fixed buffer, so a plugin that writes a 10 MB line
//! costs the host one truncated event, never 10 MB. The last stderr lines
//! are kept for error messages.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio_util::sync::CancellationToken;

/// Longest line forwarded; the rest of a longer line is dropped.
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024;
/// How many stderr lines are kept for error messages, and how long each.
const TAIL_LINES: usize = 10;
const TAIL_LINE_BYTES: usize = 512;

/// The last lines a plugin wrote to stderr.
#[derive(Debug, Clone, Default)]
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    /// Cancelled once stderr reached its end (every line is in).
    ended: CancellationToken,
}

impl StderrTail {
    fn push(&self, line: &str) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(vk_proto::text::prefix_bytes(line, TAIL_LINE_BYTES).to_owned());
    }

    /// Waits until the plugin's stderr has ended (it exited, and no child
    /// of it holds stderr open), at most `bound`.
    pub(crate) async fn wait_ended(&self, bound: Duration) {
        let _ = tokio::time::timeout(bound, self.ended.cancelled()).await;
    }

    /// The kept lines joined with " | ", or "(none)".
    pub(crate) fn render(&self) -> String {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.is_empty() {
            "(none)".into()
        } else {
            lines.iter().cloned().collect::<Vec<_>>().join(" | ")
        }
    }
}

/// Which of the plugin's streams a line came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Reads `reader` to its end, forwarding each line.
pub(crate) async fn forward(
    reader: impl AsyncRead + Unpin,
    stream: Stream,
    plugin: Arc<str>,
    tail: StderrTail,
) {
    let mut reader = BufReader::with_capacity(MAX_LINE_BYTES, reader);
    let mut line = Vec::with_capacity(256);
    let mut truncated = false;
    loop {
        let buffer = match reader.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(buffer) => buffer,
        };
        let (chunk, ends_line) = match buffer.iter().position(|b| *b == b'\n') {
            Some(at) => (&buffer[..at], true),
            None => (buffer, false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        if chunk.len() > room {
            truncated = true;
        }
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let consumed = chunk.len() + usize::from(ends_line);
        reader.consume(consumed);
        if ends_line {
            emit(&line, truncated, stream, &plugin, &tail);
            line.clear();
            truncated = false;
        }
    }
    if !line.is_empty() {
        emit(&line, truncated, stream, &plugin, &tail);
    }
    if matches!(stream, Stream::Stderr) {
        tail.ended.cancel();
    }
}

fn emit(raw: &[u8], truncated: bool, stream: Stream, plugin: &str, tail: &StderrTail) {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches('\r');
    if text.is_empty() {
        return;
    }
    if matches!(stream, Stream::Stderr) {
        tail.push(text);
    }
    let line = PluginLine::parse(text);
    let stream = match stream {
        Stream::Stdout => "stdout",
        Stream::Stderr => "stderr",
    };
    let message = line.message.as_ref();
    macro_rules! event {
        ($level:expr) => {
            match &line.fields {
                Some(fields) => tracing::event!(
                    target: "plugin", $level, plugin, stream, truncated, fields = %fields, "{message}"
                ),
                None => tracing::event!(target: "plugin", $level, plugin, stream, truncated, "{message}"),
            }
        };
    }
    match line.level {
        Level::Error => event!(tracing::Level::ERROR),
        Level::Warn => event!(tracing::Level::WARN),
        Level::Info => event!(tracing::Level::INFO),
        Level::Debug => event!(tracing::Level::DEBUG),
        Level::Trace => event!(tracing::Level::TRACE),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// One line as the host understood it: a JSON log record (`level` and
/// `message`/`msg`, other fields kept as text), or plain text at INFO.
#[derive(Debug)]
struct PluginLine<'a> {
    level: Level,
    message: std::borrow::Cow<'a, str>,
    fields: Option<String>,
}

impl<'a> PluginLine<'a> {
    fn parse(text: &'a str) -> Self {
        let plain = Self {
            level: Level::Info,
            message: text.into(),
            fields: None,
        };
        if !text.starts_with('{') {
            return plain;
        }
        let Ok(serde_json::Value::Object(mut record)) = serde_json::from_str(text) else {
            return plain;
        };
        let level = match record
            .remove("level")
            .as_ref()
            .and_then(|v| v.as_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("error" | "fatal" | "panic") => Level::Error,
            Some("warn" | "warning") => Level::Warn,
            Some("debug") => Level::Debug,
            Some("trace") => Level::Trace,
            _ => Level::Info,
        };
        let message = ["message", "msg"]
            .iter()
            .find_map(|key| record.remove(*key))
            .map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .unwrap_or_default();
        record.remove("timestamp");
        record.remove("time");
        let fields = (!record.is_empty()).then(|| serde_json::Value::Object(record).to_string());
        Self {
            level,
            message: message.into(),
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_keep_their_level_message_and_fields() {
        let line =
            PluginLine::parse(r#"{"timestamp":"t","level":"WARN","message":"slow","pod":"a/b"}"#);
        assert_eq!(line.level, Level::Warn);
        assert_eq!(line.message, "slow");
        assert_eq!(line.fields.as_deref(), Some(r#"{"pod":"a/b"}"#));
    }

    #[test]
    fn odd_json_and_plain_text_are_info_lines() {
        let odd = PluginLine::parse(r#"{"level":7,"msg":{"x":1}}"#);
        assert_eq!(odd.level, Level::Info);
        assert_eq!(odd.message, r#"{"x":1}"#);
        let plain = PluginLine::parse("panic: boom");
        assert_eq!(plain.level, Level::Info);
        assert_eq!(plain.message, "panic: boom");
    }

    #[tokio::test]
    async fn a_huge_line_is_truncated_and_the_next_line_still_arrives() {
        let mut input = vec![b'x'; 3 * MAX_LINE_BYTES];
        input.extend_from_slice(b"\nsecond line\n");
        let tail = StderrTail::default();
        forward(&input[..], Stream::Stderr, "test".into(), tail.clone()).await;
        let rendered = tail.render();
        let lines: Vec<_> = rendered.split(" | ").collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), TAIL_LINE_BYTES);
        assert_eq!(lines[1], "second line");
    }

    #[test]
    fn the_tail_keeps_the_last_lines() {
        let tail = StderrTail::default();
        for i in 0..(TAIL_LINES + 3) {
            tail.push(&format!("line {i}"));
        }
        let rendered = tail.render();
        assert!(rendered.starts_with("line 3 |"));
        assert!(rendered.ends_with(&format!("line {}", TAIL_LINES + 2)));
    }
}
