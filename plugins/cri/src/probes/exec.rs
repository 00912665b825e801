//! exec probes: the command through CRI `ExecSync` with `timeoutSeconds`;
//! exit 0 succeeds, any other exit or a timeout fails, and a call the
//! runtime cannot serve (the container is gone) is an error.

use std::time::Duration;

use k8s_cri::v1::ExecSyncRequest;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use tonic::transport::Channel;

use super::Outcome;

pub async fn probe(
    runtime: &mut RuntimeServiceClient<Channel>,
    container_id: &str,
    command: &[String],
    timeout: Duration,
) -> Outcome {
    let request = ExecSyncRequest {
        container_id: container_id.to_owned(),
        cmd: command.to_vec(),
        timeout: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
    };
    // The runtime enforces the timeout too; the client deadline (a little
    // later) covers a runtime that does not answer.
    let call = runtime.exec_sync(request);
    match tokio::time::timeout(timeout + Duration::from_secs(1), call).await {
        Err(_) => timed_out(timeout),
        Ok(Err(status)) if status.code() == tonic::Code::DeadlineExceeded => timed_out(timeout),
        Ok(Err(status)) if status.message().contains("timeout") => timed_out(timeout),
        Ok(Err(status)) => Outcome::Error(format!("ExecSync: {}", status.message())),
        Ok(Ok(reply)) => {
            let reply = reply.into_inner();
            exit_outcome(reply.exit_code, &reply.stdout, &reply.stderr)
        }
    }
}

fn timed_out(timeout: Duration) -> Outcome {
    Outcome::Failure(format!("command timed out after {}s", timeout.as_secs()))
}

/// Exit 0 succeeds; otherwise the failure carries the output, as the
/// kubelet's Unhealthy message would.
pub fn exit_outcome(code: i32, stdout: &[u8], stderr: &[u8]) -> Outcome {
    if code == 0 {
        return Outcome::Success;
    }
    let output = String::from_utf8_lossy(&[stdout, stderr].concat())
        .trim()
        .chars()
        .take(1024)
        .collect::<String>();
    Outcome::Failure(format!("command exited with {code}: {output}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(exit_outcome(0, b"", b"oops"), Outcome::Success);
        assert_eq!(
            exit_outcome(1, b"", b"cat: /ready: No such file or directory\n"),
            Outcome::Failure(
                "command exited with 1: cat: /ready: No such file or directory".into()
            )
        );
    }
}
