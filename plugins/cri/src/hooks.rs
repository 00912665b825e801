//! Container lifecycle hooks (the kubelet's `pkg/kubelet/lifecycle/handlers.go`):
//! a `postStart` or `preStop` handler resolved against the container's
//! ports and the pod's IP ([`Hook::of`]) and run once ([`Hook::run`]):
//! `exec` through CRI `ExecSync`, `httpGet` as one HTTP/1.1 `GET` from the
//! plugin, `sleep` as a timer. A failure carries the kubelet's message
//! (`Exec lifecycle hook ([...]) for Container "c" in Pod "p_ns(uid)"
//! failed - error: ..., message: "..."`). When hooks run and what a failure
//! does (kill the container, `PostStartHookError`) is the provider's.

use std::time::Duration;

use k8s_cri::v1::ExecSyncRequest;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_openapi::api::core::v1::{Container, LifecycleHandler};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tonic::transport::Channel;

use crate::probes::{self, http};

/// The User-Agent of hook requests (the kubelet's `kube-lifecycle/<version>`).
pub const HOOK_AGENT: &str = "kube-lifecycle/vk-cri-plugin";

/// How long an httpGet hook may take when nothing else bounds it (a
/// postStart hook; preStop hooks end with the grace period). The same as
/// the CRI client's per-call deadline, which bounds exec hooks.
pub const HTTP_HOOK_DEADLINE: Duration = Duration::from_secs(120);

/// The waiting reason of a container whose postStart hook failed
/// (`ErrPostStartHook`); it is killed with the kill reason below.
pub const POST_START_HOOK_ERROR: &str = "PostStartHookError";
/// Why the kubelet kills a container whose postStart hook failed.
pub const FAILED_POST_START_HOOK: &str = "FailedPostStartHook";

/// One lifecycle handler, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    Exec(Vec<String>),
    /// `path` as the spec writes it (for the message); the target, or why
    /// there is none (an unknown scheme or named port, no pod IP).
    Http {
        path: String,
        target: Result<http::Target, String>,
    },
    Sleep(i64),
    /// No handler the kubelet runs (none set, or the deprecated tcpSocket).
    Invalid(String),
}

/// Who a hook runs for, in its failure message.
#[derive(Debug, Clone, Copy)]
pub struct HookContext<'a> {
    pub container_name: &'a str,
    /// The kubelet's `format.Pod`: `name_namespace(uid)`.
    pub pod: &'a str,
}

impl Hook {
    /// The hook of `handler` on `container`, whose pod has `pod_ip` (the
    /// node's for hostNetwork pods).
    pub fn of(handler: &LifecycleHandler, container: &Container, pod_ip: Option<&str>) -> Self {
        if let Some(exec) = &handler.exec {
            return Self::Exec(exec.command.clone().unwrap_or_default());
        }
        if let Some(get) = &handler.http_get {
            let path = get.path.clone().unwrap_or_default();
            let target = || -> Result<http::Target, String> {
                let tls = http::is_tls(get.scheme.as_deref())?;
                let host = get
                    .host
                    .clone()
                    .filter(|h| !h.is_empty())
                    .or_else(|| pod_ip.filter(|ip| !ip.is_empty()).map(str::to_owned))
                    .ok_or_else(|| "failed to find networking container: no pod IP".to_owned())?;
                // An empty named port is 80 for hooks (`runHTTPHandler`).
                let port = match &get.port {
                    IntOrString::String(name) if name.is_empty() => 80,
                    port => probes::port_number(port, container)?,
                };
                Ok(http::Target {
                    tls,
                    host,
                    port,
                    path: http::request_path(&path),
                    headers: get
                        .http_headers
                        .iter()
                        .flatten()
                        .map(|h| (h.name.clone(), h.value.clone()))
                        .collect(),
                })
            };
            let target = target();
            return Self::Http { path, target };
        }
        if let Some(sleep) = &handler.sleep {
            return Self::Sleep(sleep.seconds.max(0));
        }
        if handler.tcp_socket.is_some() {
            return Self::Invalid("tcpSocket is not supported as a lifecycle handler".into());
        }
        Self::Invalid("no exec, httpGet or sleep action".into())
    }

    /// Runs the hook in container `container_id`; `exec_timeout` (seconds,
    /// 0 for none) is passed to `ExecSync`. The error is the kubelet's
    /// message. Callers bound the whole run where the kubelet does (preStop:
    /// the grace period).
    pub async fn run(
        &self,
        runtime: &mut RuntimeServiceClient<Channel>,
        container_id: &str,
        exec_timeout: i64,
        context: HookContext<'_>,
    ) -> Result<(), String> {
        match self {
            Self::Exec(command) => {
                let reply = runtime
                    .exec_sync(ExecSyncRequest {
                        container_id: container_id.to_owned(),
                        cmd: command.clone(),
                        timeout: exec_timeout,
                    })
                    .await;
                let (error, output) = match reply {
                    Ok(reply) => {
                        let reply = reply.into_inner();
                        if reply.exit_code == 0 {
                            return Ok(());
                        }
                        (
                            format!(
                                "command '{}' exited with {}: {}",
                                command.join(" "),
                                reply.exit_code,
                                String::from_utf8_lossy(&reply.stderr)
                            ),
                            [reply.stdout, reply.stderr].concat(),
                        )
                    }
                    Err(status) => (status.message().to_owned(), Vec::new()),
                };
                Err(exec_failure(
                    command,
                    context,
                    &error,
                    &String::from_utf8_lossy(&output),
                ))
            }
            Self::Http { path, target } => {
                let outcome = match target {
                    Ok(target) => {
                        let get = http::exchange(target, HOOK_AGENT);
                        let url = target.url();
                        match tokio::time::timeout(HTTP_HOOK_DEADLINE, get).await {
                            Ok(Ok(_status)) => Ok(()),
                            Ok(Err(error)) => Err(format!("Get \"{url}\": {error}")),
                            Err(_) => Err(format!("Get \"{url}\": context deadline exceeded")),
                        }
                    }
                    Err(why) => Err(why.clone()),
                };
                // Any HTTP answer succeeds: the kubelet checks only that the
                // request was made (its `httpDoer.Do` error), not the status.
                outcome.map_err(|error| http_failure(path, context, &error))
            }
            Self::Sleep(seconds) => {
                tokio::time::sleep(Duration::from_secs(seconds.unsigned_abs())).await;
                Ok(())
            }
            Self::Invalid(why) => Err(format!("Cannot run handler: invalid handler: {why}")),
        }
    }
}

/// `Exec lifecycle hook ([cmd]) for Container "c" in Pod "p" failed - ...`
/// (Go's `%v` of a string slice, `%q` of the output).
pub fn exec_failure(
    command: &[String],
    context: HookContext<'_>,
    error: &str,
    output: &str,
) -> String {
    format!(
        "Exec lifecycle hook ([{}]) for Container {:?} in Pod {:?} failed - error: {error}, message: {output:?}",
        command.join(" "),
        context.container_name,
        context.pod
    )
}

pub fn http_failure(path: &str, context: HookContext<'_>, error: &str) -> String {
    format!(
        "HTTP lifecycle hook ({path}) for Container {:?} in Pod {:?} failed - error: {error}",
        context.container_name, context.pod
    )
}

/// The `StopContainer` timeout after a preStop hook took `hook_seconds`
/// (whole seconds, truncated as the kubelet's): what is left of `grace`,
/// and at least 2 s (`minimumGracePeriodInSeconds`), so a container always
/// gets a moment between SIGTERM and SIGKILL.
pub fn stop_timeout(grace: i64, hook_seconds: u64) -> i64 {
    let left = grace.saturating_sub(i64::try_from(hook_seconds).unwrap_or(i64::MAX));
    left.max(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::web_container;
    use serde_json::json;

    fn container(lifecycle: serde_json::Value) -> Container {
        web_container("lifecycle", lifecycle)
    }

    fn post_start(handler: serde_json::Value, pod_ip: Option<&str>) -> Hook {
        let c = container(json!({ "postStart": handler }));
        let handler = c
            .lifecycle
            .as_ref()
            .and_then(|l| l.post_start.as_ref())
            .expect("a handler");
        Hook::of(handler, &c, pod_ip)
    }

    #[test]
    fn handlers_resolve() {
        assert_eq!(
            post_start(json!({"exec": {"command": ["touch", "/x"]}}), None),
            Hook::Exec(vec!["touch".into(), "/x".into()])
        );
        assert_eq!(
            post_start(
                json!({"httpGet": {"port": "web", "path": "hook", "httpHeaders": [{"name": "X", "value": "1"}]}}),
                Some("10.0.0.7")
            ),
            Hook::Http {
                path: "hook".into(),
                target: Ok(http::Target {
                    host: "10.0.0.7".into(),
                    port: 8080,
                    path: "/hook".into(),
                    headers: vec![("X".into(), "1".into())],
                    tls: false,
                }),
            }
        );
        let Hook::Http { target, .. } =
            post_start(json!({"httpGet": {"port": "", "host": "192.0.2.1"}}), None)
        else {
            panic!("an httpGet hook");
        };
        assert_eq!(
            target.map(|t| (t.host, t.port)),
            Ok(("192.0.2.1".into(), 80))
        );
        let unresolved = |handler, ip| match post_start(handler, ip) {
            Hook::Http { target, .. } => target.is_err(),
            _ => false,
        };
        assert!(unresolved(json!({"httpGet": {"port": 80}}), None));
        assert!(unresolved(
            json!({"httpGet": {"port": "nope"}}),
            Some("10.0.0.7")
        ));
        assert!(unresolved(
            json!({"httpGet": {"port": 443, "scheme": "GOPHER"}}),
            Some("10.0.0.7")
        ));
        assert_eq!(
            post_start(json!({"sleep": {"seconds": 3}}), None),
            Hook::Sleep(3)
        );
        assert!(matches!(
            post_start(json!({"tcpSocket": {"port": 80}}), None),
            Hook::Invalid(_)
        ));
    }

    #[test]
    fn failure_messages_are_the_kubelets() {
        let context = HookContext {
            container_name: "main",
            pod: "web_default(u-1)",
        };
        assert_eq!(
            exec_failure(
                &["sh".into(), "-c".into(), "exit 3".into()],
                context,
                "command 'sh -c exit 3' exited with 3: oops\n",
                "oops\n"
            ),
            "Exec lifecycle hook ([sh -c exit 3]) for Container \"main\" in Pod \"web_default(u-1)\" failed - error: command 'sh -c exit 3' exited with 3: oops\n, message: \"oops\\n\""
        );
        assert_eq!(
            http_failure("/hook", context, "connection refused"),
            "HTTP lifecycle hook (/hook) for Container \"main\" in Pod \"web_default(u-1)\" failed - error: connection refused"
        );
    }

    #[test]
    fn the_stop_timeout_is_the_rest_of_the_grace_and_at_least_2s() {
        assert_eq!(stop_timeout(30, 0), 30);
        assert_eq!(stop_timeout(30, 4), 26);
        assert_eq!(stop_timeout(5, 4), 2);
        assert_eq!(stop_timeout(1, 0), 2);
        assert_eq!(stop_timeout(10, u64::MAX), 2);
    }

    #[tokio::test]
    async fn http_hooks_succeed_on_any_answer_and_fail_without_one() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buffer = vec![0_u8; 1024];
            let read = socket.read(&mut buffer).await.expect("read");
            socket
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
                .await
                .expect("write");
            String::from_utf8_lossy(&buffer[..read]).into_owned()
        });
        let hook = |port: u16| Hook::Http {
            path: "/stop".into(),
            target: Ok(http::Target {
                host: "127.0.0.1".into(),
                port,
                path: "/stop".into(),
                headers: Vec::new(),
                tls: false,
            }),
        };
        let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:1").connect_lazy();
        let mut runtime = RuntimeServiceClient::new(channel);
        let context = HookContext {
            container_name: "main",
            pod: "p_n(u)",
        };
        assert_eq!(hook(port).run(&mut runtime, "c", 0, context).await, Ok(()));
        let request = server.await.expect("server");
        assert!(request.starts_with("GET /stop HTTP/1.1\r\n"), "{request}");
        // Header names are case-insensitive; hyper writes them lowercase.
        assert!(
            request
                .to_ascii_lowercase()
                .contains("user-agent: kube-lifecycle/vk-cri-plugin\r\n"),
            "{request}"
        );
        // Nothing listens there any more.
        let failed = hook(port).run(&mut runtime, "c", 0, context).await;
        let message = failed.expect_err("a refused connection fails");
        assert!(
            message.starts_with(
                "HTTP lifecycle hook (/stop) for Container \"main\" in Pod \"p_n(u)\" failed - error: Get \"http://127.0.0.1:"
            ),
            "{message}"
        );
    }
}
