//! Container logs from the CRI log files the runtime writes
//! (`<pod_logs_dir>/<ns>_<name>_<uid>/<container>/<restartCount>.log`), in
//! the CRI format `<RFC3339Nano> <stdout|stderr> <P|F> <content>`, turned
//! into what `kubectl logs` shows (the kubelet's `ReadLogs`): `tailLines`,
//! `limitBytes`, `sinceSeconds`/`sinceTime`, `timestamps` and `follow`
//! until the container exits, following the log across rotations. Only
//! the file being written is read, as by the kubelet. Parsing and
//! selection are pure; [`tail_start`] finds `tailLines` from the file's
//! end; [`stream`] does the file I/O.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use k8s_openapi::jiff::Timestamp;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use vk_plugin_sdk::{ByteStream, ProviderError};

/// How often a followed log file is read again for new records.
const FOLLOW_POLL: Duration = Duration::from_millis(100);
/// Bytes read backwards at a time to find where `tailLines` start.
const TAIL_BLOCK: u64 = 8 * 1024;
/// Bytes read forward at a time (more for a longer line).
const READ_CHUNK: usize = 256 * 1024;

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

/// Where the last `n` complete lines that `counts` accepts begin in the
/// first `end` bytes of `file`, found by reading backwards in blocks from
/// `end` (the kubelet's `findTailLineStartIndex`): 0 when there are fewer;
/// the end of the complete lines when `n` is 0. Lines are counted as
/// [`select`] counts them, so the output from there is what the whole
/// file would give.
pub fn tail_start<R: Read + Seek>(
    file: &mut R,
    end: u64,
    n: usize,
    counts: impl Fn(&[u8]) -> bool,
) -> std::io::Result<u64> {
    let mut pos = end;
    // The bytes from `pos` up to the end of the line being looked at.
    let mut buffer: Vec<u8> = Vec::new();
    // The offset of the `\n` that ends the line being looked at.
    let mut line_end: Option<u64> = None;
    let mut found = 0;
    while pos > 0 {
        let block_start = pos.saturating_sub(TAIL_BLOCK);
        let mut block = vec![0; usize::try_from(pos - block_start).unwrap_or(0)];
        file.seek(SeekFrom::Start(block_start))?;
        file.read_exact(&mut block)?;
        block.extend_from_slice(&buffer);
        buffer = block;
        for at in (block_start..pos).rev() {
            if buffer[index(at, block_start)] != b'\n' {
                continue;
            }
            match line_end {
                None if n == 0 => return Ok(at + 1),
                None => {}
                Some(end) => {
                    let line = &buffer[index(at + 1, block_start)..index(end, block_start)];
                    if counts(line) {
                        found += 1;
                        if found == n {
                            return Ok(at + 1);
                        }
                    }
                }
            }
            line_end = Some(at);
        }
        pos = block_start;
        // Only the line not yet delimited is needed further.
        if let Some(end) = line_end {
            buffer.truncate(index(end, pos));
        } else {
            buffer.clear();
        }
    }
    Ok(0)
}

fn index(offset: u64, base: u64) -> usize {
    usize::try_from(offset - base).unwrap_or(usize::MAX)
}

/// Streams the log at `path`: with `tailLines`, from where [`tail_start`]
/// finds them. With `follow`, new records are sent until `running` says
/// the container has stopped (and the file has been read to its end) or
/// the reader goes away; when the log is rotated (renamed, and the runtime
/// writes a new file at `path`) the old file is read to its end and the
/// new one followed from its start.
pub fn stream(
    path: PathBuf,
    options: LogOptions,
    follow: bool,
    running: impl Fn() -> bool + Send + 'static,
) -> ByteStream {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, ProviderError>>(8);
    tokio::spawn(async move {
        let failed = |error| {
            Err(ProviderError::internal(
                format!("reading the log file {}", path.display()),
                error,
            ))
        };
        let mut budget = options.limit_bytes.unwrap_or(usize::MAX);
        let mut log: Option<LogFile> = None;
        let mut opened = false;
        loop {
            let still_running = running();
            if log.is_none() {
                let tail = if opened { None } else { options.tail_lines };
                match LogFile::open(&path, tail, &options, follow).await {
                    Ok(file) => log = file,
                    Err(error) => {
                        let _ = sender.send(failed(error)).await;
                        return;
                    }
                }
                opened |= log.is_some();
            }
            let Some(file) = log.as_mut() else {
                if !follow || !still_running {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(FOLLOW_POLL) => {}
                    () = sender.closed() => return,
                }
                continue;
            };
            let (data, more) = match file.read_chunk().await {
                Ok(read) => read,
                Err(error) => {
                    let _ = sender.send(failed(error)).await;
                    return;
                }
            };
            let (lines, used) = complete_lines(&data);
            file.offset += used as u64;
            if used == 0 && more {
                // One line longer than a chunk: read more of it at once.
                file.chunk = file.chunk.saturating_mul(2);
            }
            // `tail_start` placed the start: no further tail selection.
            let mut out = select(&lines, &options, false);
            if out.len() > budget {
                out.truncate(budget);
            }
            budget -= out.len();
            if !out.is_empty() && sender.send(Ok(Bytes::from(out))).await.is_err() {
                return;
            }
            if budget == 0 || (!follow && !more) {
                return;
            }
            if more {
                continue;
            }
            if file.replaced {
                // Read to its end after the new file appeared: switch.
                log = None;
                continue;
            }
            match file.rotated(&path).await {
                Ok(true) => {
                    // The runtime writes the new file now; what it wrote to
                    // the old one before is read once more first.
                    file.replaced = true;
                    continue;
                }
                Ok(false) => {}
                Err(error) => {
                    let _ = sender.send(failed(error)).await;
                    return;
                }
            }
            if !still_running && used == 0 {
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

/// An open log file being read forward.
struct LogFile {
    file: tokio::fs::File,
    /// Where the next read starts (after the last complete line sent).
    offset: u64,
    /// Where reading stops (not following: the size when opened).
    end: Option<u64>,
    /// At most this many bytes are read at once.
    chunk: usize,
    /// Device and inode, to notice when `path` names another file.
    id: (u64, u64),
    /// `path` names another file now (the log was rotated).
    replaced: bool,
}

impl LogFile {
    /// Opens `path` (`None` when it does not exist yet), from where the last
    /// `tail` records shown under `options` start. Without `follow` it is
    /// read only up to its size now: `--tail 5` prints 5 lines although
    /// the container writes on meanwhile.
    async fn open(
        path: &Path,
        tail: Option<usize>,
        options: &LogOptions,
        follow: bool,
    ) -> std::io::Result<Option<Self>> {
        let path = path.to_owned();
        let options = options.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let mut file = match std::fs::File::open(&path) {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(error),
            };
            let metadata = file.metadata()?;
            let size = metadata.len();
            let offset = match tail {
                Some(n) => tail_start(&mut file, size, n, |line| {
                    parse_record(line).is_some_and(|r| options.shows(&r))
                })?,
                None => 0,
            };
            Ok(Some((file, offset, size, (metadata.dev(), metadata.ino()))))
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(opened.map(|(file, offset, size, id)| Self {
            file: tokio::fs::File::from_std(file),
            offset,
            end: (!follow).then_some(size),
            chunk: READ_CHUNK,
            id,
            replaced: false,
        }))
    }

    /// Up to `chunk` bytes from `offset` (not beyond `end`), and whether
    /// there may be more to read at once.
    async fn read_chunk(&mut self) -> std::io::Result<(Vec<u8>, bool)> {
        let want = match self.end {
            Some(end) => end.saturating_sub(self.offset).min(self.chunk as u64),
            None => self.chunk as u64,
        };
        self.file.seek(SeekFrom::Start(self.offset)).await?;
        let mut data = Vec::new();
        (&mut self.file).take(want).read_to_end(&mut data).await?;
        let more = want > 0
            && data.len() as u64 == want
            && self.end.is_none_or(|end| self.offset + want < end);
        Ok((data, more))
    }

    /// Whether `path` now names another file (the log was rotated and the
    /// runtime reopened it). While it names none (between the rename and
    /// the reopen) the old file is kept.
    async fn rotated(&self, path: &Path) -> std::io::Result<bool> {
        match tokio::fs::metadata(path).await {
            Ok(metadata) => Ok((metadata.dev(), metadata.ino()) != self.id),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }
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

    /// A log of `count` records of varying length (some over a tail block),
    /// a malformed line and a partial record among them.
    fn long_log(count: usize) -> Vec<u8> {
        let mut log = Vec::new();
        for i in 0..count {
            let stream = if i % 3 == 0 { "stderr" } else { "stdout" };
            let width = (i * 37) % 300 + if i % 50 == 7 { 9000 } else { 0 };
            let text = format!("line {i} {}", "x".repeat(width));
            log.extend_from_slice(
                format!(
                    "2026-11-25T10:{:02}:{:02}Z {stream} F {text}\n",
                    i / 60 % 60,
                    i % 60
                )
                .as_bytes(),
            );
            if i == count / 2 {
                log.extend_from_slice(b"garbage\n2026-11-25T10:00:00Z stdout P par\n");
            }
        }
        log.extend_from_slice(b"2026-11-25T11:00:00Z stdout F unfinished");
        log
    }

    #[test]
    fn tail_from_the_end_is_the_whole_files_tail() {
        let log = long_log(400);
        assert!(log.len() as u64 > 10 * TAIL_BLOCK, "spans many blocks");
        let (lines, _) = complete_lines(&log);
        let since: Timestamp = "2026-11-25T10:05:00Z".parse().expect("time");
        for n in [0, 1, 2, 5, 80, 199, 200, 201, 399, 400, 401, 402, 1000] {
            for since in [None, Some(since)] {
                let options = LogOptions {
                    tail_lines: Some(n),
                    since,
                    ..LogOptions::default()
                };
                let mut file = std::io::Cursor::new(&log);
                let start = tail_start(&mut file, log.len() as u64, n, |line| {
                    parse_record(line).is_some_and(|r| options.shows(&r))
                })
                .expect("tail start");
                let (from_start, _) =
                    complete_lines(&log[usize::try_from(start).expect("usize")..]);
                assert_eq!(
                    text(select(&from_start, &options, false)),
                    text(select(&lines, &options, true)),
                    "tail {n}, since {since:?}"
                );
                if n > 0 && n <= 300 && since.is_none() {
                    assert!(start > 0, "tail {n} reads only the end");
                }
            }
        }
        let mut empty = std::io::Cursor::new(Vec::new());
        assert_eq!(tail_start(&mut empty, 0, 3, |_| true).expect("empty"), 0);
        let mut partial = std::io::Cursor::new(b"no newline".to_vec());
        assert_eq!(
            tail_start(&mut partial, 10, 0, |_| true).expect("partial"),
            0
        );
    }

    #[tokio::test]
    async fn without_follow_the_file_is_read_to_its_size_when_opened() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.log");
        std::fs::write(&path, LOG).expect("write");
        let options = LogOptions::default();
        let mut file = LogFile::open(&path, Some(2), &options, false)
            .await
            .expect("open")
            .expect("exists");
        // The container writes on between the tail and the read.
        let mut appender = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        std::io::Write::write_all(&mut appender, b"hed\n2026-11-25T10:00:05Z stdout F five\n")
            .expect("append");
        let (data, more) = file.read_chunk().await.expect("read");
        let (lines, _) = complete_lines(&data);
        assert_eq!(text(select(&lines, &options, false)), "tial\nfour\n");
        assert!(!more);
        file.offset += data.len() as u64;
        assert_eq!(file.read_chunk().await.expect("read").0, b"");
        // Following, the same open reads on.
        let mut followed = LogFile::open(&path, Some(1), &options, true)
            .await
            .expect("open")
            .expect("exists");
        let (data, _) = followed.read_chunk().await.expect("read");
        assert_eq!(data, b"2026-11-25T10:00:05Z stdout F five\n");
    }

    #[tokio::test]
    async fn follow_goes_on_in_the_new_file_after_a_rotation() {
        use tokio_stream::StreamExt as _;

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.log");
        let record = |text: &str| format!("2026-11-25T10:00:00Z stdout F {text}\n");
        std::fs::write(&path, record("one") + &record("two")).expect("write");
        let mut logs = stream(
            path.clone(),
            LogOptions {
                tail_lines: Some(1),
                ..LogOptions::default()
            },
            true,
            || true,
        );
        let mut seen = String::new();
        let mut next = async || {
            let chunk = tokio::time::timeout(Duration::from_secs(5), logs.next())
                .await
                .expect("a chunk within 5 s")
                .expect("not ended")
                .expect("no error");
            String::from_utf8(chunk.to_vec()).expect("utf-8")
        };
        seen.push_str(&next().await);
        assert_eq!(seen, "two\n");
        // As the rotation: rename, a last write to the old file, a new file.
        let rotated = dir.path().join("0.log.20261125-100000");
        std::fs::rename(&path, &rotated).expect("rename");
        let mut old = std::fs::OpenOptions::new()
            .append(true)
            .open(&rotated)
            .expect("open rotated");
        std::io::Write::write_all(&mut old, record("three").as_bytes()).expect("append");
        std::fs::write(&path, record("four")).expect("new file");
        while seen.len() < "two\nthree\nfour\n".len() {
            seen.push_str(&next().await);
        }
        assert_eq!(seen, "two\nthree\nfour\n");
    }
}
