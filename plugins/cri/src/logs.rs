//! Container logs from the CRI log files the runtime writes
//! (`<pod_logs_dir>/<ns>_<name>_<uid>/<container>/<restartCount>.log`), in
//! the CRI format `<RFC3339Nano> <stdout|stderr> <P|F> <content>`, turned
//! into what `kubectl logs` shows (the kubelet's `ReadLogs`): `tailLines`,
//! `limitBytes`, `sinceSeconds`/`sinceTime`, `timestamps` and `follow`
//! until the container exits. Parsing and selection are pure; [`stream`]
//! does the file I/O.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use k8s_openapi::jiff::Timestamp;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use vk_plugin_sdk::{ByteStream, ProviderError};

/// How often a followed log file is read again for new records.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// One record of a CRI log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// The timestamp as written (RFC 3339 with nanoseconds).
    pub time_text: &'a str,
    pub time: Option<Timestamp>,
    /// `stdout` or `stderr`.
    pub stream: &'a str,
    /// `P`: the line goes on in the next record; `F`: it ends here.
    pub partial: bool,
    pub content: &'a [u8],
}

/// Parses one line (without its `\n`); `None` for a malformed line.
pub fn parse_record(line: &[u8]) -> Option<Record<'_>> {
    let mut parts = line.splitn(4, |b| *b == b' ');
    let time_text = std::str::from_utf8(parts.next()?).ok()?;
    let stream = std::str::from_utf8(parts.next()?).ok()?;
    if stream != "stdout" && stream != "stderr" {
        return None;
    }
    let tags = parts.next()?;
    // Tags are `:`-separated; the first is P or F.
    let partial = tags.split(|b| *b == b':').next()? == b"P";
    Some(Record {
        time_text,
        time: time_text.parse().ok(),
        stream,
        partial,
        content: parts.next().unwrap_or_default(),
    })
}

/// What `kubectl logs` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub tail_lines: Option<usize>,
    pub limit_bytes: Option<usize>,
    pub since: Option<Timestamp>,
    pub timestamps: bool,
}

impl LogOptions {
    /// The options of an SDK request (negative numbers mean "none").
    pub fn of(request: &vk_plugin_sdk::LogsRequest) -> Self {
        Self {
            tail_lines: request.tail_lines.and_then(|n| usize::try_from(n).ok()),
            limit_bytes: request
                .limit_bytes
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0),
            since: request
                .since_unix_seconds
                .and_then(|s| Timestamp::from_second(s).ok()),
            timestamps: request.timestamps,
        }
    }

    /// Whether `record` is shown under `since`.
    fn shows(&self, record: &Record<'_>) -> bool {
        match (self.since, record.time) {
            (Some(since), Some(time)) => time >= since,
            _ => true,
        }
    }
}

/// Appends the output of `record` to `out`.
fn render(record: &Record<'_>, timestamps: bool, out: &mut Vec<u8>) {
    if timestamps {
        out.extend_from_slice(record.time_text.as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(record.content);
    if !record.partial {
        out.push(b'\n');
    }
}

/// The complete lines of `data` (each without its `\n`) and how many bytes
/// they take; an unfinished last line is left for later.
fn complete_lines(data: &[u8]) -> (Vec<&[u8]>, usize) {
    let end = data.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut lines: Vec<&[u8]> = data[..end].split(|b| *b == b'\n').collect();
    // `split` yields an empty piece after the last `\n`.
    lines.pop();
    (lines, end)
}

/// The output for the records in `lines`, with `since`, `tail_lines` and
/// `timestamps` applied (`limit_bytes` is applied by the caller across
/// chunks). `tail` counts records, as the kubelet counts file lines.
pub fn select(lines: &[&[u8]], options: &LogOptions, tail: bool) -> Vec<u8> {
    let records: Vec<Record<'_>> = lines
        .iter()
        .filter_map(|line| parse_record(line))
        .filter(|r| options.shows(r))
        .collect();
    let skip = match (tail, options.tail_lines) {
        (true, Some(n)) => records.len().saturating_sub(n),
        _ => 0,
    };
    let mut out = Vec::new();
    for record in &records[skip..] {
        render(record, options.timestamps, &mut out);
    }
    out
}

/// Streams the log at `path`. With `follow`, new records are sent until
/// `running` says the container has stopped (and the file has been read to
/// its end) or the reader goes away.
pub fn stream(
    path: PathBuf,
    options: LogOptions,
    follow: bool,
    running: impl Fn() -> bool + Send + 'static,
) -> ByteStream {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, ProviderError>>(8);
    tokio::spawn(async move {
        let mut budget = options.limit_bytes.unwrap_or(usize::MAX);
        let mut offset = 0u64;
        let mut first = true;
        loop {
            let still_running = running();
            let data = match read_from(&path, offset).await {
                Ok(data) => data,
                Err(error) => {
                    let _ = sender
                        .send(Err(ProviderError::internal(
                            format!("reading the log file {}", path.display()),
                            error,
                        )))
                        .await;
                    return;
                }
            };
            let (lines, used) = complete_lines(&data);
            offset += used as u64;
            let mut out = select(&lines, &options, first);
            first = false;
            if out.len() > budget {
                out.truncate(budget);
            }
            budget -= out.len();
            if !out.is_empty() && sender.send(Ok(Bytes::from(out))).await.is_err() {
                return;
            }
            if !follow || budget == 0 || (!still_running && used == 0) {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(FOLLOW_POLL) => {}
                () = sender.closed() => return,
            }
        }
    });
    Box::pin(ReceiverStream::new(receiver))
}

/// The file's bytes from `offset`; nothing when it does not exist (yet).
async fn read_from(path: &std::path::Path, offset: u64) -> std::io::Result<Vec<u8>> {
    let mut file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut data = Vec::new();
    file.read_to_end(&mut data).await?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &[u8] = b"2026-11-25T10:00:00.000000001Z stdout F one\n\
2026-11-25T10:00:01.5Z stderr F two words\n\
2026-11-25T10:00:02Z stdout P par\n\
2026-11-25T10:00:02.1Z stdout F tial\n\
garbage\n\
2026-11-25T10:00:03Z stdout F four\n\
2026-11-25T10:00:04Z stdout F unfinis";

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn records_parse() {
        let record = parse_record(b"2026-11-25T10:00:01.5Z stderr F two words").expect("record");
        assert_eq!(record.stream, "stderr");
        assert!(!record.partial);
        assert_eq!(record.content, b"two words");
        assert!(record.time.is_some());
        assert!(parse_record(b"2026-11-25T10:00:01Z stdout P").is_some_and(|r| r.partial));
        assert_eq!(parse_record(b"garbage"), None);
        assert_eq!(parse_record(b"t other F x"), None);
    }

    #[test]
    fn whole_log_tail_since_and_timestamps() {
        let (lines, used) = complete_lines(LOG);
        assert_eq!(
            used,
            LOG.len() - "2026-11-25T10:00:04Z stdout F unfinis".len()
        );
        let all = |options: LogOptions| text(select(&lines, &options, true));
        assert_eq!(
            all(LogOptions::default()),
            "one\ntwo words\npartial\nfour\n"
        );
        assert_eq!(
            all(LogOptions {
                tail_lines: Some(2),
                ..LogOptions::default()
            }),
            "tial\nfour\n"
        );
        assert_eq!(
            all(LogOptions {
                tail_lines: Some(0),
                ..LogOptions::default()
            }),
            ""
        );
        assert_eq!(
            all(LogOptions {
                since: Some("2026-11-25T10:00:02Z".parse().expect("time")),
                ..LogOptions::default()
            }),
            "partial\nfour\n"
        );
        assert_eq!(
            all(LogOptions {
                tail_lines: Some(1),
                timestamps: true,
                ..LogOptions::default()
            }),
            "2026-11-25T10:00:03Z four\n"
        );
    }

    #[tokio::test]
    async fn follow_until_stopped_with_a_byte_limit() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        use tokio_stream::StreamExt as _;

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.log");
        std::fs::write(&path, &LOG[..LOG.len() - 37]).expect("write");
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let mut logs = stream(path.clone(), LogOptions::default(), true, move || {
            flag.load(Ordering::SeqCst)
        });
        let first = logs.next().await.expect("a chunk").expect("no error");
        assert_eq!(first, Bytes::from("one\ntwo words\npartial\nfour\n"));
        std::fs::write(&path, LOG).expect("rewrite");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        std::io::Write::write_all(&mut file, b"hed\n").expect("append");
        let second = logs.next().await.expect("a chunk").expect("no error");
        assert_eq!(second, Bytes::from("unfinished\n"));
        running.store(false, Ordering::SeqCst);
        assert!(logs.next().await.is_none(), "ends once stopped");

        let limited = stream(
            path,
            LogOptions {
                limit_bytes: Some(6),
                ..LogOptions::default()
            },
            true,
            || true,
        );
        let chunks: Vec<_> = limited.collect().await;
        assert_eq!(chunks.len(), 1);
        assert_eq!(
            chunks[0].as_ref().expect("no error"),
            &Bytes::from("one\ntw")
        );
    }
}
