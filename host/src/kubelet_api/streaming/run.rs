//! `/run`: a command run to its end through the plugin's `Exec` without
//! streams from the client, its output (stdout, then stderr) as the body.

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use vk_proto::v1::{ExecInput, ExecStart, PodRef, exec_input, exec_output};

use super::channel::Outcome;
use super::exec::failed;
use crate::plugins::PluginClient;

/// The most output `/run` keeps (the CRI's ExecSync limit); more fails the
/// request rather than growing without bound.
pub const OUTPUT_LIMIT: usize = 16 * 1024 * 1024;

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
    let mut output = match plugin
        .lifecycle()
        .exec(futures::stream::once(async { start }))
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) => return RunResult::Failed(failed(&status, &name)),
    };
    let (mut stdout, mut stderr) = (BytesMut::new(), BytesMut::new());
    loop {
        let message = match output.next().await {
            Some(Ok(message)) => message,
            Some(Err(status)) => return RunResult::Failed(failed(&status, &name)),
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
