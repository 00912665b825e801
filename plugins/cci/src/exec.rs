//! Exec and attach: the remote API's streaming subresources (WebSocket,
//! through kube's `ws`), bridged to the SDK's session channels; the exit
//! code comes from the remote status.

use bytes::Bytes;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, AttachedProcess, TerminalSize};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tracing::{Instrument as _, debug};
use vk_plugin_sdk::{ExecRequest, ExecSession, ExitStatus, ProviderError};

use crate::errors;

/// The remote attach parameters of `request`.
pub fn params(request: &ExecRequest) -> AttachParams {
    AttachParams {
        container: Some(request.container.clone()),
        stdin: request.stdin,
        stdout: request.stdout || request.tty,
        // With a TTY, stderr is merged into stdout.
        stderr: request.stderr && !request.tty,
        tty: request.tty,
        ..Default::default()
    }
}

/// Runs `request.command` (attach when `attach`) in `remote_name`.
pub async fn run(
    api: &Api<Pod>,
    remote_name: &str,
    request: ExecRequest,
    session: ExecSession,
    attach: bool,
) -> Result<ExitStatus, ProviderError> {
    let what = format!(
        "{} in container {} of pod {} (remote {remote_name})",
        if attach { "attach" } else { "exec" },
        request.container,
        request.pod
    );
    let params = params(&request);
    let process = if attach {
        api.attach(remote_name, &params).await
    } else {
        api.exec(remote_name, request.command.clone(), &params)
            .await
    }
    .map_err(|e| match errors::remote(&what, e) {
        ProviderError::InvalidArgument(m) => ProviderError::FailedPrecondition(m),
        other => other,
    })?;
    bridge(process, session, &what).await
}

async fn bridge(
    mut process: AttachedProcess,
    session: ExecSession,
    what: &str,
) -> Result<ExitStatus, ProviderError> {
    let ExecSession {
        mut stdin,
        mut resize,
        stdout,
        stderr,
    } = session;
    let status = process.take_status();
    if let Some(mut writer) = process.stdin() {
        let span = tracing::debug_span!("exec-stdin", what);
        tokio::spawn(
            async move {
                while let Some(chunk) = stdin.recv().await {
                    if writer.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                // End of stdin: close the remote side.
                let _ = writer.shutdown().await;
            }
            .instrument(span),
        );
    }
    if let Some(mut sizes) = process.terminal_size() {
        let span = tracing::debug_span!("exec-resize", what);
        tokio::spawn(
            async move {
                while let Some(size) = resize.recv().await {
                    let size = TerminalSize {
                        width: u16::try_from(size.width).unwrap_or(u16::MAX),
                        height: u16::try_from(size.height).unwrap_or(u16::MAX),
                    };
                    if futures::SinkExt::send(&mut sizes, size).await.is_err() {
                        return;
                    }
                }
            }
            .instrument(span),
        );
    }
    let out = process.stdout().map(|reader| copy(reader, stdout.clone()));
    let err = process.stderr().map(|reader| copy(reader, stderr));
    let client_gone = stdout.clone();
    let copies = async {
        if let Some(out) = out {
            out.await;
        }
        if let Some(err) = err {
            err.await;
        }
    };
    tokio::select! {
        () = copies => {}
        () = client_gone.closed() => {
            debug!(what, "the client went away");
            process.abort();
            return Ok(ExitStatus { code: 137, reason: "ClientGone".into() });
        }
    }
    let status = match status {
        Some(status) => status.await,
        None => None,
    };
    let _ = process.join().await;
    Ok(exit_status(status.as_ref()))
}

/// Copies a remote stream into a session channel until either ends.
async fn copy(mut reader: impl tokio::io::AsyncRead + Unpin, to: tokio::sync::mpsc::Sender<Bytes>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.send(Bytes::copy_from_slice(&buffer[..n])).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The exit status the remote API reported: Success is 0; a failure with
/// an `ExitCode` cause carries the code; other failures are 1 with the
/// reason.
pub fn exit_status(status: Option<&Status>) -> ExitStatus {
    let Some(status) = status else {
        return ExitStatus::code(0);
    };
    if status.status.as_deref() == Some("Success") {
        return ExitStatus::code(0);
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .into_iter()
        .flatten()
        .find(|cause| cause.reason.as_deref() == Some("ExitCode"))
        .and_then(|cause| cause.message.as_deref()?.parse::<i32>().ok());
    match code {
        Some(code) => ExitStatus::code(code),
        None => ExitStatus {
            code: 1,
            reason: status
                .reason
                .clone()
                .filter(|r| !r.is_empty())
                .or_else(|| status.message.clone())
                .unwrap_or_default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    use super::*;

    #[test]
    fn exit_codes_come_from_the_status() {
        let success = Status {
            status: Some("Success".into()),
            ..Default::default()
        };
        assert_eq!(exit_status(Some(&success)), ExitStatus::code(0));
        let failed = Status {
            status: Some("Failure".into()),
            reason: Some("NonZeroExitCode".into()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".into()),
                    message: Some("3".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(exit_status(Some(&failed)), ExitStatus::code(3));
        let other = Status {
            status: Some("Failure".into()),
            reason: Some("InternalError".into()),
            ..Default::default()
        };
        assert_eq!(exit_status(Some(&other)).code, 1);
    }

    #[test]
    fn a_tty_merges_stderr() {
        let request = ExecRequest {
            container: "app".into(),
            stdin: true,
            stdout: true,
            stderr: true,
            tty: true,
            ..Default::default()
        };
        let params = params(&request);
        assert!(params.tty && params.stdin && params.stdout && !params.stderr);
    }
}
