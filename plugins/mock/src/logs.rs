//! Synthetic, deterministic container logs. Line `i` of a container reads
//! `<namespace>/<pod>/<container> line <i>` and was written at the
//! container's start plus `i` log intervals; a container has one line at
//! start and one more per interval of age. This module renders them with
//! `kubectl logs` options (tail, limit, since, timestamps, follow) as a
//! lazily produced stream of chunks, so a long-lived container costs nothing
//! until it is read.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use vk_plugin_sdk::{ByteStream, LogsRequest};

use crate::clock::{self, Timestamp};

/// Target size of one chunk on the wire.
const CHUNK_BYTES: usize = 32 * 1024;
/// How often a follower re-checks whether the container is still there, at
/// most: a long log interval must not delay noticing a deletion.
const FOLLOW_POLL: Duration = Duration::from_millis(250);

/// The shape of one container's log.
#[derive(Debug, Clone)]
pub struct LogPlan {
    /// `<namespace>/<pod>/<container>`.
    pub prefix: String,
    /// When line 0 was written: the container's start.
    pub start: Timestamp,
    pub interval: Duration,
    pub timestamps: bool,
}

impl LogPlan {
    fn interval_nanos(&self) -> i128 {
        (self.interval.as_nanos() as i128).max(1)
    }

    /// When line `i` was written.
    pub fn line_time(&self, i: u64) -> Timestamp {
        let nanos = self.start.as_nanosecond() + i128::from(i) * self.interval_nanos();
        Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::MAX)
    }

    /// Appends line `i`, newline included.
    pub fn render(&self, i: u64, out: &mut String) {
        use std::fmt::Write as _;
        if self.timestamps {
            out.push_str(&clock::rfc3339_nanos(self.line_time(i)));
            out.push(' ');
        }
        let _ = writeln!(out, "{} line {i}", self.prefix);
    }

    /// How many lines exist once the log has been written up to `end`.
    pub fn lines_until(&self, end: Timestamp) -> u64 {
        let age = end.as_nanosecond() - self.start.as_nanosecond();
        if age < 0 {
            0
        } else {
            u64::try_from(age / self.interval_nanos()).map_or(u64::MAX, |n| n.saturating_add(1))
        }
    }

    /// The first line written at or after `since` (Unix seconds).
    pub fn first_since(&self, since_unix_seconds: i64) -> u64 {
        let since = i128::from(since_unix_seconds) * 1_000_000_000;
        let after_start = since - self.start.as_nanosecond();
        if after_start <= 0 {
            0
        } else {
            let interval = self.interval_nanos();
            u64::try_from((after_start + interval - 1) / interval).unwrap_or(u64::MAX)
        }
    }
}

/// Where a container's life stands, as the follower sees it on each check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Running,
    /// Ended at this time; no more lines after it.
    Ended(Timestamp),
    /// The pod is no longer held.
    Gone,
}

/// The first line to send: the `since` filter first, then the last
/// `tail_lines` of what remains (as `docker logs --since --tail` does).
pub fn first_line(plan: &LogPlan, available: u64, request: &LogsRequest) -> u64 {
    let since = request
        .since_unix_seconds
        .map_or(0, |s| plan.first_since(s));
    let tail = request.tail_lines.map_or(0, |n| {
        available.saturating_sub(u64::try_from(n).unwrap_or(0))
    });
    since.max(tail)
}

/// Renders lines `first..end` in one piece, cut to `limit` bytes: what the
/// stream sends, without the chunking.
#[cfg(test)]
pub fn render_all(plan: &LogPlan, first: u64, end: u64, limit: Option<u64>) -> Vec<u8> {
    let mut out = String::new();
    for i in first..end {
        plan.render(i, &mut out);
        if limit.is_some_and(|l| out.len() as u64 >= l) {
            break;
        }
    }
    let mut bytes = out.into_bytes();
    if let Some(limit) = limit {
        bytes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    bytes
}

/// Streams a container's log. `end` is when the container ended, if it has;
/// with `request.follow`, `liveness` is consulted whenever the stream has
/// caught up, and the stream ends when the container ends or its pod goes.
/// A client that cancels drops the stream, which ends the work.
pub fn stream(
    plan: LogPlan,
    end: Option<Timestamp>,
    request: &LogsRequest,
    liveness: impl Fn() -> Liveness + Send + 'static,
) -> ByteStream {
    let now = clock::now();
    let written_until = end.map_or(now, |e| e.min(now));
    let available = plan.lines_until(written_until);
    let state = Follow {
        next: first_line(&plan, available, request),
        // Without follow, the log is what exists now.
        stop_at: (!request.follow || end.is_some()).then_some(available),
        remaining: request.limit_bytes.map(|l| u64::try_from(l).unwrap_or(0)),
        plan,
        liveness,
    };
    futures::stream::unfold(state, |mut state| async move {
        let chunk = state.next_chunk().await?;
        Some((Ok(chunk), state))
    })
    .boxed()
}

struct Follow<F> {
    plan: LogPlan,
    next: u64,
    /// Exclusive last line when known.
    stop_at: Option<u64>,
    remaining: Option<u64>,
    liveness: F,
}

impl<F: Fn() -> Liveness> Follow<F> {
    async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            if self.remaining == Some(0) {
                return None;
            }
            let now = clock::now();
            let available = match self.stop_at {
                Some(stop) => stop,
                None => match (self.liveness)() {
                    Liveness::Gone => return None,
                    Liveness::Running => self.plan.lines_until(now),
                    Liveness::Ended(end) => {
                        let stop = self.plan.lines_until(end.min(now));
                        self.stop_at = Some(stop);
                        stop
                    }
                },
            };
            if self.next < available {
                return Some(self.render_chunk(available));
            }
            if self.stop_at.is_some() {
                return None;
            }
            let wait = clock::until(now, self.plan.line_time(self.next));
            tokio::time::sleep(wait.clamp(Duration::from_millis(1), FOLLOW_POLL)).await;
        }
    }

    fn render_chunk(&mut self, available: u64) -> Bytes {
        let mut out = String::with_capacity(CHUNK_BYTES.min(4096));
        while self.next < available && out.len() < CHUNK_BYTES {
            self.plan.render(self.next, &mut out);
            self.next += 1;
        }
        let mut bytes = out.into_bytes();
        if let Some(remaining) = &mut self.remaining {
            bytes.truncate(usize::try_from(*remaining).unwrap_or(usize::MAX));
            *remaining -= bytes.len() as u64;
        }
        Bytes::from(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    fn plan(timestamps: bool) -> LogPlan {
        LogPlan {
            prefix: "ns/web/app".into(),
            start: Timestamp::from_second(1_795_000_000).expect("time"),
            interval: Duration::from_secs(1),
            timestamps,
        }
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn lines_count_from_one_at_start() {
        let plan = plan(false);
        assert_eq!(plan.lines_until(plan.start), 1);
        assert_eq!(
            plan.lines_until(clock::after(plan.start, Duration::from_millis(2999))),
            3
        );
        assert_eq!(
            plan.lines_until(clock::after(plan.start, Duration::from_secs(3))),
            4
        );
        let before = Timestamp::from_second(1_794_999_999).expect("time");
        assert_eq!(plan.lines_until(before), 0);
    }

    #[test]
    fn renders_plain_and_timestamped_lines() {
        assert_eq!(
            text(render_all(&plan(false), 0, 2, None)),
            "ns/web/app line 0\nns/web/app line 1\n"
        );
        assert_eq!(
            text(render_all(&plan(true), 1, 2, None)),
            "2026-11-18T11:06:41.000000000Z ns/web/app line 1\n"
        );
    }

    #[test]
    fn tail_since_and_limit() {
        let plan = plan(false);
        let request = |tail: Option<i64>, since: Option<i64>| LogsRequest {
            tail_lines: tail,
            since_unix_seconds: since,
            ..Default::default()
        };
        assert_eq!(first_line(&plan, 10, &request(None, None)), 0);
        assert_eq!(first_line(&plan, 10, &request(Some(3), None)), 7);
        assert_eq!(first_line(&plan, 10, &request(Some(30), None)), 0);
        assert_eq!(first_line(&plan, 10, &request(Some(0), None)), 10);
        assert_eq!(
            first_line(&plan, 10, &request(None, Some(1_795_000_004))),
            4
        );
        assert_eq!(
            first_line(&plan, 10, &request(None, Some(1_700_000_000))),
            0
        );
        assert_eq!(
            first_line(&plan, 10, &request(Some(8), Some(1_795_000_004))),
            4
        );
        assert_eq!(plan.first_since(1_795_000_003), 3);

        assert_eq!(text(render_all(&plan, 0, 5, Some(8))), "ns/web/a");
        assert_eq!(text(render_all(&plan, 0, 5, Some(0))), "");
    }

    async fn collect(stream: ByteStream) -> String {
        let chunks: Vec<_> = stream.collect().await;
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend_from_slice(&chunk.expect("chunk"));
        }
        text(out)
    }

    #[tokio::test]
    async fn a_finished_container_streams_its_whole_log_and_ends() {
        let plan = plan(false);
        let end = clock::after(plan.start, Duration::from_secs(2));
        let request = LogsRequest {
            follow: true,
            ..Default::default()
        };
        let all = collect(stream(plan, Some(end), &request, || Liveness::Gone)).await;
        assert_eq!(
            all,
            "ns/web/app line 0\nns/web/app line 1\nns/web/app line 2\n"
        );
    }

    #[tokio::test]
    async fn following_delivers_new_lines_until_the_pod_goes() {
        let plan = LogPlan {
            start: clock::now(),
            interval: Duration::from_millis(20),
            ..plan(false)
        };
        let gone = Arc::new(AtomicBool::new(false));
        let request = LogsRequest {
            follow: true,
            tail_lines: Some(0),
            ..Default::default()
        };
        let flag = Arc::clone(&gone);
        let mut logs = stream(plan, None, &request, move || {
            if flag.load(Ordering::SeqCst) {
                Liveness::Gone
            } else {
                Liveness::Running
            }
        });
        let first = tokio::time::timeout(Duration::from_secs(5), logs.next())
            .await
            .expect("a new line within 5 s")
            .expect("stream open")
            .expect("chunk");
        assert!(text(first.to_vec()).starts_with("ns/web/app line "));
        gone.store(true, Ordering::SeqCst);
        let end = tokio::time::timeout(Duration::from_secs(5), async {
            while logs.next().await.is_some() {}
        })
        .await;
        assert!(end.is_ok(), "the stream should end once the pod is gone");
    }

    #[tokio::test]
    async fn limit_bytes_ends_a_follow() {
        let plan = LogPlan {
            start: clock::now(),
            interval: Duration::from_millis(5),
            ..plan(false)
        };
        let request = LogsRequest {
            follow: true,
            limit_bytes: Some(40),
            ..Default::default()
        };
        let all = tokio::time::timeout(
            Duration::from_secs(5),
            collect(stream(plan, None, &request, || Liveness::Running)),
        )
        .await
        .expect("the stream ends after 40 bytes");
        assert_eq!(all, "ns/web/app line 0\nns/web/app line 1\nns/w");
    }
}
