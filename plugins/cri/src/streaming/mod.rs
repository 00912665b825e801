//! Client of containerd's CRI streaming server: the one-time loopback URLs
//! that CRI `Exec`, `Attach` and `PortForward` return, spliced to the SDK's
//! bounded session channels. Every frame is read only when the previous one
//! was handed on, so a slow side slows the other and nothing piles up here.
//!
//! Exec and attach go over SPDY/3.1 (`v4.channel.k8s.io`, one stream per
//! channel), as the kubelet's own client does: closing the stdin stream is
//! how the process gets end-of-file, which containerd 1.6's WebSocket
//! protocols cannot say. Port-forward goes over WebSocket.

mod port_forward;
mod remote_command;
mod upgrade;

use vk_plugin_sdk::ExitStatus;

pub use self::port_forward::port_forward;
pub use self::remote_command::{Channels, exec};

/// The status JSON on the error channel is small; a larger one is cut.
const MAX_STATUS_BYTES: usize = 64 * 1024;

/// Errors beneath a streaming failure, whichever transport carried it.
type Source = Box<dyn std::error::Error + Send + Sync>;

/// Why a streaming session with containerd failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("containerd's streaming URL {url} is not http:// (TLS streaming is not supported)")]
    Url { url: String },
    #[error("cannot open containerd's streaming URL {url} as {protocol}")]
    Connect {
        url: String,
        protocol: &'static str,
        #[source]
        source: Source,
    },
    #[error("containerd's streaming server refused {url} with {status}: {body}")]
    Refused {
        url: String,
        status: u16,
        body: String,
    },
    #[error("the stream from containerd failed")]
    Read(#[source] Source),
    #[error("the stream to containerd failed")]
    Write(#[source] Source),
    /// containerd reported a failure that is not an exit code (e.g. the
    /// command does not exist, or the pod's port refused the connection).
    #[error("{0}")]
    Remote(String),
    #[error("containerd closed the stream without an exit status")]
    NoStatus,
}

/// How an exec or attach session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The process ended (or, for attach, the stream ended) with this status.
    Exited(ExitStatus),
    /// The client went away first; the session was dropped.
    ClientGone,
}

/// The exit status in the error channel's `metav1.Status`: `Success` is 0,
/// `NonZeroExitCode` carries the code in its `ExitCode` cause; any other
/// failure is an error with the status message.
pub fn exit_status(status: &[u8]) -> Result<ExitStatus, StreamError> {
    let value: serde_json::Value = serde_json::from_slice(status).map_err(|_| {
        StreamError::Remote(format!(
            "containerd sent a status that is not JSON: {}",
            String::from_utf8_lossy(status)
        ))
    })?;
    if value["status"] == "Success" {
        return Ok(ExitStatus::code(0));
    }
    if value["reason"] == "NonZeroExitCode"
        && let Some(code) = value["details"]["causes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|cause| cause["reason"] == "ExitCode")
            .and_then(|cause| cause["message"].as_str())
            .and_then(|code| code.parse::<i32>().ok())
    {
        return Ok(ExitStatus::code(code));
    }
    let message = value["message"].as_str().unwrap_or("the command failed");
    Err(StreamError::Remote(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_exit_code_zero() {
        let status = exit_status(br#"{"metadata":{},"status":"Success"}"#).expect("success");
        assert_eq!(status, ExitStatus::code(0));
    }

    #[test]
    fn non_zero_exit_code_comes_from_the_cause() {
        let status = exit_status(
            br#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#,
        )
        .expect("an exit code");
        assert_eq!(status, ExitStatus::code(3));
    }

    #[test]
    fn other_failures_are_errors_with_the_message() {
        let error = exit_status(
            br#"{"metadata":{},"status":"Failure","message":"OCI runtime exec failed: executable file not found"}"#,
        )
        .expect_err("a failure without an exit code");
        assert_eq!(
            error.to_string(),
            "OCI runtime exec failed: executable file not found"
        );
        assert!(exit_status(b"not json").is_err());
    }
}
