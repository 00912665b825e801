//! How an exec or attach ended and what its error stream (the WebSocket
//! error channel, or the SPDY `error` stream) tells the client: a
//! `metav1.Status` as JSON under the structured protocols (v4, v5), the
//! failure message as text under the older ones.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::kubelet_api::ApiError;
use crate::plugin_process::CallError;

/// How an exec or attach ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The process exited with this code; `reason` is set when it did not
    /// exit on its own (e.g. `ContainerStopped`).
    Exited { code: i32, reason: String },
    /// The session failed: HTTP code, `metav1.StatusReason`, message.
    Failed {
        code: u16,
        reason: &'static str,
        message: String,
    },
}

/// How the error stream encodes the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// v4 and v5: a `metav1.Status` as JSON, also on success; a non-zero
    /// exit code is `NonZeroExitCode` with an `ExitCode` cause, which
    /// client-go turns into the exit code of `kubectl exec`.
    Status,
    /// `channel.k8s.io`, v2 and v3: the failure message as text, nothing
    /// on success (client-go reports any text as an error, exit code 1).
    Text,
}

impl Outcome {
    /// The exit code as a shell sees it (0-255).
    fn shell_code(code: i32) -> i32 {
        code.rem_euclid(256)
    }

    /// `metav1.Status` JSON, as the kubelet writes it on v4 and v5.
    pub fn status(&self) -> Value {
        match self {
            Self::Exited { code, .. } if Self::shell_code(*code) == 0 => {
                json!({"metadata": {}, "status": "Success"})
            }
            Self::Exited { code, reason } => {
                let shell = Self::shell_code(*code);
                let detail = if reason.is_empty() {
                    format!("exit code {shell}")
                } else {
                    format!("exit code {shell} ({reason})")
                };
                json!({
                    "metadata": {},
                    "status": "Failure",
                    "message": format!("command terminated with non-zero exit code: {detail}"),
                    "reason": "NonZeroExitCode",
                    "details": {"causes": [{"reason": "ExitCode", "message": shell.to_string()}]},
                })
            }
            Self::Failed {
                code,
                reason,
                message,
            } => json!({
                "metadata": {},
                "status": "Failure",
                "message": message,
                "reason": reason,
                "code": code,
            }),
        }
    }

    /// What the error stream carries in `format`; `None` when nothing is
    /// sent (success in the text format).
    pub fn error_payload(&self, format: ErrorFormat) -> Option<Bytes> {
        match format {
            ErrorFormat::Status => Some(self.status().to_string().into()),
            ErrorFormat::Text => match self {
                Self::Exited { code, .. } if Self::shell_code(*code) == 0 => None,
                _ => {
                    let status = self.status();
                    let message = status["message"].as_str().unwrap_or("failed");
                    Some(Bytes::copy_from_slice(message.as_bytes()))
                }
            },
        }
    }
}

/// A failed plugin call as the client sees it on the error stream: the
/// kubelet API's one mapping of plugin failures to HTTP statuses.
pub fn failed(error: CallError) -> Outcome {
    let error = ApiError::from(error);
    let (code, reason) = error.status_and_reason();
    Outcome::Failed {
        code: code.as_u16(),
        reason,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_client_go_decodes_them() {
        let success = Outcome::Exited {
            code: 0,
            reason: String::new(),
        };
        assert_eq!(success.status()["status"], "Success");
        assert_eq!(success.error_payload(ErrorFormat::Text), None);

        let three = Outcome::Exited {
            code: 3,
            reason: String::new(),
        };
        let status = three.status();
        assert_eq!(status["status"], "Failure");
        assert_eq!(status["reason"], "NonZeroExitCode");
        assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(status["details"]["causes"][0]["message"], "3");
        assert_eq!(
            status["message"],
            "command terminated with non-zero exit code: exit code 3"
        );
        let text = three
            .error_payload(ErrorFormat::Text)
            .expect("failure text");
        assert_eq!(
            &text[..],
            b"command terminated with non-zero exit code: exit code 3"
        );
        let killed = Outcome::Exited {
            code: 137,
            reason: "ContainerStopped".into(),
        };
        assert_eq!(killed.status()["details"]["causes"][0]["message"], "137");

        let failed = Outcome::Failed {
            code: 404,
            reason: "NotFound",
            message: "no such container".into(),
        };
        let payload = failed.error_payload(ErrorFormat::Status).expect("a status");
        let json: Value = serde_json::from_slice(&payload).expect("json");
        assert_eq!(json["code"], 404);
        assert_eq!(json["message"], "no such container");
    }
}
