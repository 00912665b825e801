//! What every check uses: the plugin client, a per-call timeout so a hanging
//! plugin costs one FAIL and never hangs the checker, [`Reply`] (what a call
//! produced, in words a plugin author reads), and the list of pods to clean up.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tonic::{Code, Status};
use vk_host::plugin_process::{CallError, PluginClient, PluginIdentity};
use vk_proto::v1::Capability;

use crate::pods::{self, PodFactory};

/// A check's outcome: the PASS message, or the FAIL message.
pub type Outcome = Result<String, String>;

/// What one call produced.
#[derive(Debug)]
pub enum Reply<T> {
    Ok(T),
    /// An error status (or a transport failure, which tonic reports as one).
    Status(Status),
    /// OK, but the reply is not what the protocol promises.
    Invalid(String),
    /// Nothing within the time limit.
    NoAnswer(Duration),
}

impl<T> Reply<T> {
    pub fn from_result(result: Result<T, Status>) -> Self {
        match result {
            Ok(value) => Self::Ok(value),
            Err(status) => Self::Status(status),
        }
    }

    /// The same reply without its value.
    pub fn unit(self) -> Reply<()> {
        match self {
            Self::Ok(_) => Reply::Ok(()),
            Self::Status(status) => Reply::Status(status),
            Self::Invalid(why) => Reply::Invalid(why),
            Self::NoAnswer(limit) => Reply::NoAnswer(limit),
        }
    }

    /// The gRPC code, `Code::Ok` for a successful reply, `None` when there
    /// was no status at all (invalid reply, no answer).
    pub fn code(&self) -> Option<Code> {
        match self {
            Self::Ok(_) => Some(Code::Ok),
            Self::Status(status) => Some(status.code()),
            Self::Invalid(_) | Self::NoAnswer(_) => None,
        }
    }

    pub fn is(&self, code: Code) -> bool {
        self.code() == Some(code)
    }

    /// `OK`, `NOT_FOUND ("message")`, `an invalid reply (...)`, `no answer within 10 s`.
    pub fn describe(&self) -> String {
        match self {
            Self::Ok(_) => "OK".to_owned(),
            Self::Status(status) => describe_status(status),
            Self::Invalid(why) => format!("an invalid reply ({why})"),
            Self::NoAnswer(limit) => format!("no answer within {}", seconds(*limit)),
        }
    }

    /// The value, or `<what>: expected OK, got <reply>`.
    pub fn ok(self, what: &str) -> Result<T, String> {
        match self {
            Self::Ok(value) => Ok(value),
            other => Err(format!("{what}: expected OK, got {}", other.describe())),
        }
    }

    /// `Ok` when the reply has `code`, else `<what>: expected CODE, got <reply>`.
    pub fn expect(self, code: Code, what: &str) -> Result<(), String> {
        if self.is(code) {
            Ok(())
        } else {
            Err(format!(
                "{what}: expected {}, got {}",
                code_name(code),
                self.describe()
            ))
        }
    }

    /// Like [`Reply::expect`] with several acceptable codes.
    pub fn expect_any(self, codes: &[Code], what: &str) -> Result<Code, String> {
        match self.code() {
            Some(code) if codes.contains(&code) => Ok(code),
            _ => Err(format!(
                "{what}: expected {}, got {}",
                codes
                    .iter()
                    .map(|c| code_name(*c))
                    .collect::<Vec<_>>()
                    .join(" or "),
                self.describe()
            )),
        }
    }
}

/// True when `status` is the client's own gRPC deadline firing (tonic says
/// CANCELLED "Timeout expired", others DEADLINE_EXCEEDED) at the call limit:
/// that is the plugin not answering, and is reported as such.
fn deadline_passed(status: &Status, elapsed: Duration, limit: Duration) -> bool {
    matches!(status.code(), Code::Cancelled | Code::DeadlineExceeded)
        && elapsed + Duration::from_millis(100) >= limit
}

/// `NOT_FOUND ("pod x not found")`.
pub fn describe_status(status: &Status) -> String {
    if status.message().is_empty() {
        code_name(status.code()).to_owned()
    } else {
        format!("{} ({:?})", code_name(status.code()), status.message())
    }
}

/// The canonical gRPC name of a code, as the proto's retry table spells it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// `10 s`, `2.5 s`, `300 ms`.
pub fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{} s", duration.as_secs())
    } else if duration >= Duration::from_secs(1) {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// `CAPABILITY_PORT_FORWARD` → `port-forward`, for check names.
pub fn capability_slug(capability: Capability) -> String {
    capability
        .as_str_name()
        .trim_start_matches("CAPABILITY_")
        .to_ascii_lowercase()
        .replace('_', "-")
}

/// The optional capabilities of protocol v1, in proto order.
pub const OPTIONAL_CAPABILITIES: &[Capability] = &[
    Capability::PodStatusStream,
    Capability::ContainerLogs,
    Capability::Exec,
    Capability::Attach,
    Capability::PortForward,
    Capability::StatsSummary,
    Capability::MetricsResource,
    Capability::NodeInfo,
    Capability::PluginMetrics,
];

/// Shared by all checks of one run.
#[derive(Debug)]
pub struct Ctx {
    pub client: PluginClient,
    pub pods: PodFactory,
    /// Limit of every call (and of every wait for a stream message).
    pub timeout: Duration,
    /// The plugin's socket, for calls made without the secret.
    pub socket: PathBuf,
    /// Pods created (or attempted), deleted again before shutdown.
    created: Mutex<Vec<Pod>>,
}

impl Ctx {
    pub fn new(client: PluginClient, pods: PodFactory, timeout: Duration, socket: PathBuf) -> Self {
        Self {
            client,
            pods,
            timeout,
            socket,
            created: Mutex::new(Vec::new()),
        }
    }

    pub fn identity(&self) -> &PluginIdentity {
        self.client.identity()
    }

    pub fn declared(&self, capability: Capability) -> bool {
        self.identity().has(capability)
    }

    /// A request carrying the call timeout as its gRPC deadline.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        request
    }

    /// Runs `call` with the call timeout.
    pub async fn within<T>(&self, call: impl Future<Output = Result<T, Status>>) -> Reply<T> {
        self.within_for(self.timeout, call).await
    }

    /// Runs `call` with `limit`.
    pub async fn within_for<T>(
        &self,
        limit: Duration,
        call: impl Future<Output = Result<T, Status>>,
    ) -> Reply<T> {
        let start = tokio::time::Instant::now();
        match tokio::time::timeout(limit, call).await {
            Ok(Err(status)) if deadline_passed(&status, start.elapsed(), limit) => {
                Reply::NoAnswer(limit)
            }
            Ok(result) => Reply::from_result(result),
            Err(_) => Reply::NoAnswer(limit),
        }
    }

    /// Runs a raw unary call with the call timeout.
    pub async fn unary<T>(
        &self,
        call: impl Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Reply<T> {
        self.within(async { call.await.map(tonic::Response::into_inner) })
            .await
    }

    /// Runs a typed [`PluginClient`] call with the call timeout.
    pub async fn typed<T>(&self, call: impl Future<Output = Result<T, CallError>>) -> Reply<T> {
        let start = tokio::time::Instant::now();
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Reply::NoAnswer(self.timeout),
            Ok(Ok(value)) => Reply::Ok(value),
            Ok(Err(CallError::Status { status, .. }))
                if deadline_passed(&status, start.elapsed(), self.timeout) =>
            {
                Reply::NoAnswer(self.timeout)
            }
            Ok(Err(CallError::Status { status, .. })) => Reply::Status(status),
            Ok(Err(CallError::InvalidReply { why, .. })) => Reply::Invalid(why),
            Ok(Err(error @ CallError::Unsupported { .. })) => Reply::Invalid(error.to_string()),
        }
    }

    /// CreatePod; the pod is remembered for clean-up whatever the reply.
    pub async fn create(&self, pod: &Pod) -> Reply<()> {
        self.created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pod.clone());
        self.typed(self.client.create_pod(pod)).await
    }

    /// CreatePod that must succeed.
    pub async fn create_ok(&self, pod: &Pod) -> Result<(), String> {
        self.create(pod)
            .await
            .ok(&format!("CreatePod of {}", pods::label(pod)))
    }

    /// DeletePod, with the deletion fields Kubernetes sets.
    pub async fn delete(&self, pod: &Pod) -> Reply<()> {
        self.typed(self.client.delete_pod(&pods::for_deletion(pod)))
            .await
    }

    /// GetPod by namespace, name and UID.
    pub async fn get(&self, pod: &Pod) -> Reply<Pod> {
        self.typed(self.client.get_pod(pods::pod_ref(pod))).await
    }

    pub async fn get_pods(&self) -> Reply<Vec<Pod>> {
        self.typed(self.client.get_pods()).await
    }

    /// Deletes every pod the checks created; returns how many deletions
    /// failed (other than NOT_FOUND, which means already gone).
    pub async fn clean_up(&self) -> usize {
        let pods = std::mem::take(&mut *self.created.lock().unwrap_or_else(|e| e.into_inner()));
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<Pod> = pods
            .into_iter()
            .filter(|pod| seen.insert(pods::uid(pod).to_owned()))
            .collect();
        let mut failed = 0;
        for batch in unique.chunks(16) {
            let replies = futures::future::join_all(batch.iter().map(|pod| self.delete(pod))).await;
            for (pod, reply) in batch.iter().zip(replies) {
                if !reply.is(Code::Ok) && !reply.is(Code::NotFound) {
                    failed += 1;
                    tracing::warn!(pod = %pods::label(pod), reply = %reply.describe(), "clean-up DeletePod failed");
                }
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_read_like_the_retry_table() {
        let reply: Reply<()> = Reply::Status(Status::not_found("pod a/b"));
        assert_eq!(reply.describe(), "NOT_FOUND (\"pod a/b\")");
        let error = Reply::<()>::Status(Status::already_exists("x"))
            .ok("CreatePod of a/b (uid u)")
            .expect_err("not ok");
        assert_eq!(
            error,
            "CreatePod of a/b (uid u): expected OK, got ALREADY_EXISTS (\"x\")"
        );
        let error = Reply::Ok(())
            .expect(Code::NotFound, "GetPod")
            .expect_err("ok is not not-found");
        assert_eq!(error, "GetPod: expected NOT_FOUND, got OK");
        let error = Reply::<()>::NoAnswer(Duration::from_secs(10))
            .expect_any(&[Code::Ok, Code::NotFound], "DeletePod")
            .expect_err("timeout");
        assert_eq!(
            error,
            "DeletePod: expected OK or NOT_FOUND, got no answer within 10 s"
        );
    }

    #[test]
    fn capability_slugs_and_durations() {
        assert_eq!(capability_slug(Capability::PortForward), "port-forward");
        assert_eq!(capability_slug(Capability::NodeInfo), "node-info");
        assert_eq!(seconds(Duration::from_millis(300)), "300 ms");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5 s");
    }
}
