//! `/run`: a command run to its end through the plugin's `Exec` without
//! streams from the client, its output (stdout, then stderr) as the body.

use std::future::Future;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use tokio::sync::Semaphore;
use vk_proto::v1::{ExecInput, ExecStart, PodRef, exec_input, exec_output};

use super::remote_command::outcome::{Outcome, failed};
use crate::plugin_process::PluginClient;

/// The most output `/run` keeps (the CRI's ExecSync limit); more fails the
/// request rather than growing without bound.
pub const OUTPUT_LIMIT: usize = 16 * 1024 * 1024;

/// `/run` requests served at once at most (each may buffer up to
/// [`OUTPUT_LIMIT`]); more are answered 503 at once.
pub const CONCURRENT_RUNS: usize = 8;
/// How long one `/run` command may take; then it fails with 504 and the
/// plugin stream is cancelled.
pub const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// The process-wide `/run` slots (one kubelet API per process).
pub static RUN_SLOTS: Semaphore = Semaphore::const_new(CONCURRENT_RUNS);

/// Runs `work` if one of `slots` is free (503 otherwise) and gives it
/// `deadline` (504 after it, dropping `work`).
pub async fn limited(
    slots: &Semaphore,
    deadline: Duration,
    work: impl Future<Output = RunResult>,
) -> RunResult {
    let Ok(_permit) = slots.try_acquire() else {
        return RunResult::Failed(Outcome::Failed {
            code: 503,
            reason: "ServiceUnavailable",
            message: format!(
                "too many /run requests at once (at most {}); try again",
                CONCURRENT_RUNS
            ),
        });
    };
    match tokio::time::timeout(deadline, work).await {
        Ok(result) => result,
        Err(_) => RunResult::Failed(Outcome::Failed {
            code: 504,
            reason: "Timeout",
            message: format!("the command did not finish within {}s", deadline.as_secs()),
        }),
    }
}

/// What `/run` answers.
#[derive(Debug)]
pub enum RunResult {
    /// Exit code 0: the combined output.
    Output(Bytes),
    /// A non-zero exit or a failed session.
    Failed(Outcome),
}

/// Runs `command` in `container` and gathers its output.
pub async fn run(
    plugin: &PluginClient,
    pod: PodRef,
    container: String,
    command: Vec<String>,
) -> RunResult {
    let start = ExecInput {
        input: Some(exec_input::Input::Start(ExecStart {
            pod: Some(pod),
            container,
            command: command.clone(),
            stdin: false,
            stdout: true,
            stderr: true,
            tty: false,
            terminal_size: None,
        })),
    };
    let name = plugin.identity().name.clone();
    let mut output = match plugin.exec(futures::stream::once(async move { start })) {
        Ok(output) => output,
        Err(error) => return RunResult::Failed(failed(error)),
    };
    let (mut stdout, mut stderr) = (BytesMut::new(), BytesMut::new());
    loop {
        let message = match output.next().await {
            Some(Ok(message)) => message,
            Some(Err(error)) => return RunResult::Failed(failed(error)),
            None => {
                return RunResult::Failed(Outcome::Failed {
                    code: 500,
                    reason: "InternalError",
                    message: format!("{name}: the session ended without an exit status"),
                });
            }
        };
        match message.output {
            Some(exec_output::Output::Stdout(data)) => stdout.extend_from_slice(&data),
            Some(exec_output::Output::Stderr(data)) => stderr.extend_from_slice(&data),
            Some(exec_output::Output::Exit(exit)) => {
                if exit.code == 0 {
                    stdout.extend_from_slice(&stderr);
                    return RunResult::Output(stdout.freeze());
                }
                return RunResult::Failed(Outcome::Failed {
                    code: 500,
                    reason: "InternalError",
                    message: format!(
                        "command '{}' exited with {}: {}",
                        command.join(" "),
                        exit.code,
                        String::from_utf8_lossy(&stderr)
                    ),
                });
            }
            None => {}
        }
        if stdout.len() + stderr.len() > OUTPUT_LIMIT {
            return RunResult::Failed(Outcome::Failed {
                code: 500,
                reason: "InternalError",
                message: format!(
                    "command '{}' wrote more than {OUTPUT_LIMIT} bytes",
                    command.join(" ")
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: &RunResult) -> Option<u16> {
        match result {
            RunResult::Failed(Outcome::Failed { code, .. }) => Some(*code),
            _ => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_slot_set_answers_503_and_a_slow_command_504() {
        let slots = Semaphore::new(1);
        let held = slots.try_acquire().expect("the only slot");
        let busy = limited(&slots, RUN_DEADLINE, async {
            RunResult::Output(Bytes::new())
        })
        .await;
        assert_eq!(code(&busy), Some(503));
        drop(held);

        let slow = limited(&slots, RUN_DEADLINE, std::future::pending()).await;
        assert_eq!(code(&slow), Some(504));
        // The slot is free again afterwards.
        let done = limited(&slots, RUN_DEADLINE, async {
            RunResult::Output(Bytes::from_static(b"ok"))
        })
        .await;
        assert!(matches!(done, RunResult::Output(body) if body == "ok"));
    }
}
