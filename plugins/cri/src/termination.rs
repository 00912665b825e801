//! Termination messages of exited containers (the kubelet's
//! `convertToKubeContainerStatus`, `getTerminationMessage` and
//! `readLastStringFromContainerLogs`): the last 4096 bytes of the file
//! mounted at `terminationMessagePath`; with `FallbackToLogsOnError`, a
//! non-zero exit and an empty (or missing) file, the last 80 log lines,
//! at most their last 2048 bytes. The message is appended to the
//! runtime's own (`"<runtime message>: <termination message>"`).

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;

use k8s_cri::v1::{ContainerState, ContainerStatus};

use crate::labels::ContainerAnnotations;
use crate::logs::{self, LogOptions};

/// `MaxContainerTerminationMessageLength`.
pub const MAX_MESSAGE_BYTES: u64 = 4096;
/// `MaxContainerTerminationMessageLogLines`.
pub const MAX_LOG_LINES: usize = 80;
/// `MaxContainerTerminationMessageLogLength`.
pub const MAX_LOG_BYTES: usize = 2048;

const FALLBACK_TO_LOGS_ON_ERROR: &str = "FallbackToLogsOnError";

/// Adds the termination message to `status` when it has exited (file and
/// log reads; called once per exited instance).
pub fn add_termination_message(status: &mut ContainerStatus) {
    if ContainerState::try_from(status.state) != Ok(ContainerState::ContainerExited) {
        return;
    }
    let annotations = ContainerAnnotations::parse(&status.annotations);
    // A container that could not even be started has no logs.
    let fallback = annotations.termination_message_policy.as_deref()
        == Some(FALLBACK_TO_LOGS_ON_ERROR)
        && status.exit_code != 0
        && status.reason != "ContainerCannotRun";
    let file = annotations
        .termination_message_path
        .filter(|p| !p.is_empty())
        .and_then(|path| {
            status
                .mounts
                .iter()
                .find(|m| m.container_path == path)
                .map(|m| m.host_path.clone())
        });
    let (mut message, check_logs) = match file {
        None => (String::new(), fallback),
        Some(host_path) => match read_at_most(Path::new(&host_path), MAX_MESSAGE_BYTES) {
            Ok(data) => (
                String::from_utf8_lossy(&data).into_owned(),
                fallback && data.is_empty(),
            ),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => (String::new(), fallback),
            Err(error) => (
                format!("Error on reading termination log {host_path}: {error}"),
                false,
            ),
        },
    };
    if check_logs {
        message = last_log_string(Path::new(&status.log_path));
    }
    status.message = combine(&status.message, &message);
}

/// The runtime's message, then the termination message (`": "` between).
pub fn combine(runtime: &str, termination: &str) -> String {
    match (runtime.is_empty(), termination.is_empty()) {
        (_, true) => runtime.to_owned(),
        (true, false) => termination.to_owned(),
        (false, false) => format!("{runtime}: {termination}"),
    }
}

/// The last `max` bytes of the file (`tail.ReadAtMost`).
pub fn read_at_most(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > max {
        file.seek(SeekFrom::Start(size - max))?;
    }
    let mut data = Vec::new();
    file.take(max).read_to_end(&mut data)?;
    Ok(data)
}

/// The last [`MAX_LOG_LINES`] records of the CRI log at `path` (both
/// streams), of which the last [`MAX_LOG_BYTES`] bytes. Only the end of
/// the file is read.
pub fn last_log_string(path: &Path) -> String {
    let tail = || -> std::io::Result<Vec<u8>> {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let start = logs::tail_start(&mut file, size, MAX_LOG_LINES, |line| {
            logs::parse_record(line).is_some()
        })?;
        file.seek(SeekFrom::Start(start))?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        Ok(data)
    };
    match tail() {
        Ok(data) => last_log_lines(&data),
        Err(error) => format!("Error on reading termination message from logs: {error}"),
    }
}

/// [`last_log_string`] of the log's bytes.
pub fn last_log_lines(data: &[u8]) -> String {
    let lines: Vec<&[u8]> = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let options = LogOptions {
        tail_lines: Some(MAX_LOG_LINES),
        ..LogOptions::default()
    };
    let out = logs::select(&lines, &options, true);
    let start = out.len().saturating_sub(MAX_LOG_BYTES);
    String::from_utf8_lossy(&out[start..]).into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use k8s_cri::v1::Mount;

    use super::*;
    use crate::labels::{TERMINATION_MESSAGE_PATH, TERMINATION_MESSAGE_POLICY};

    fn exited(dir: &Path, policy: &str, code: i32, reason: &str) -> ContainerStatus {
        ContainerStatus {
            state: ContainerState::ContainerExited as i32,
            exit_code: code,
            reason: reason.into(),
            annotations: HashMap::from([
                (
                    TERMINATION_MESSAGE_PATH.to_owned(),
                    "/dev/termination-log".to_owned(),
                ),
                (TERMINATION_MESSAGE_POLICY.to_owned(), policy.to_owned()),
            ]),
            mounts: vec![Mount {
                container_path: "/dev/termination-log".into(),
                host_path: dir.join("message").display().to_string(),
                ..Mount::default()
            }],
            log_path: dir.join("0.log").display().to_string(),
            ..ContainerStatus::default()
        }
    }

    fn log(lines: impl Iterator<Item = String>) -> String {
        lines
            .map(|l| format!("2026-11-25T10:00:00.000000001Z stdout F {l}\n"))
            .collect()
    }

    #[test]
    fn the_file_is_read_at_most_4096_bytes_from_its_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!("{}END", "x".repeat(5000));
        std::fs::write(dir.path().join("message"), &text).expect("write");
        let mut status = exited(dir.path(), "File", 0, "Completed");
        add_termination_message(&mut status);
        assert_eq!(status.message.len(), 4096);
        assert!(status.message.ends_with("xEND"));
    }

    #[test]
    fn the_runtime_message_comes_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("message"), "bye").expect("write");
        let mut status = exited(dir.path(), "File", 137, "OOMKilled");
        status.message = "oom".into();
        add_termination_message(&mut status);
        assert_eq!(status.message, "oom: bye");
        assert_eq!(combine("", ""), "");
        assert_eq!(combine("a", ""), "a");
    }

    #[test]
    fn logs_are_the_fallback_only_for_failures_with_an_empty_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("message"), "").expect("write");
        std::fs::write(
            dir.path().join("0.log"),
            log((1..=3).map(|i| format!("line {i}"))),
        )
        .expect("write");
        let mut failed = exited(dir.path(), "FallbackToLogsOnError", 2, "Error");
        add_termination_message(&mut failed);
        assert_eq!(failed.message, "line 1\nline 2\nline 3\n");
        let mut succeeded = exited(dir.path(), "FallbackToLogsOnError", 0, "Completed");
        add_termination_message(&mut succeeded);
        assert_eq!(succeeded.message, "");
        let mut file_policy = exited(dir.path(), "File", 2, "Error");
        add_termination_message(&mut file_policy);
        assert_eq!(file_policy.message, "");
        std::fs::write(dir.path().join("message"), "from the file").expect("write");
        let mut with_file = exited(dir.path(), "FallbackToLogsOnError", 2, "Error");
        add_termination_message(&mut with_file);
        assert_eq!(with_file.message, "from the file");
        std::fs::remove_file(dir.path().join("message")).expect("remove");
        let mut missing = exited(dir.path(), "FallbackToLogsOnError", 2, "Error");
        add_termination_message(&mut missing);
        assert_eq!(missing.message, "line 1\nline 2\nline 3\n");
    }

    #[test]
    fn the_log_fallback_keeps_80_lines_and_2048_bytes() {
        let many = log((1..=200).map(|i| format!("l{i}")));
        let text = last_log_lines(many.as_bytes());
        assert!(
            text.starts_with("l121\n") && text.ends_with("l200\n"),
            "{text}"
        );
        let long = log((1..=40).map(|i| format!("{i:03}{}", "y".repeat(97))));
        let text = last_log_lines(long.as_bytes());
        assert_eq!(text.len(), 2048);
        assert!(text.ends_with(&format!("040{}\n", "y".repeat(97))));
    }

    #[test]
    fn running_containers_are_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("message"), "early").expect("write");
        let mut running = exited(dir.path(), "File", 0, "");
        running.state = ContainerState::ContainerRunning as i32;
        add_termination_message(&mut running);
        assert_eq!(running.message, "");
    }
}
