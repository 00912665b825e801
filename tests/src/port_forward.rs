//! `kubectl port-forward` as a test fixture: started against the real API
//! server, ready once kubectl prints a "Forwarding from" line per port, and
//! stopped with a check that it was still running and reported no errors.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use crate::cluster::{Cluster, Identity};

/// A running `kubectl port-forward`.
#[derive(Debug)]
pub struct KubectlPortForward {
    kubectl: Child,
    /// Kept open: kubectl writes a line per connection and dies on a
    /// closed pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
    /// kubectl's "Forwarding from ..." lines.
    pub forwarding: Vec<String>,
}

impl KubectlPortForward {
    /// `kubectl port-forward -n NS pod/POD --address 127.0.0.1 LOCAL:REMOTE...`,
    /// waiting up to `timeout` for it to forward every port; `context` is
    /// shown if kubectl exits first (e.g. the host's log tail).
    pub async fn start(
        cluster: &Cluster,
        namespace: &str,
        pod: &str,
        ports: &[(u16, u16)],
        timeout: Duration,
        context: impl Fn() -> String,
    ) -> Self {
        let kubectl = cluster.kubectl_path();
        Self::start_using(&kubectl, cluster, namespace, pod, ports, timeout, context).await
    }

    /// [`start`](Self::start) with another `kubectl` executable, e.g.
    /// another minor's (kubectl's version skew).
    pub async fn start_using(
        kubectl: &std::path::Path,
        cluster: &Cluster,
        namespace: &str,
        pod: &str,
        ports: &[(u16, u16)],
        timeout: Duration,
        context: impl Fn() -> String,
    ) -> Self {
        let mut kubectl = cluster
            .kubectl_command_using(kubectl, Identity::Admin)
            .args(["port-forward", "-n", namespace])
            .arg(format!("pod/{pod}"))
            .args(["--address", "127.0.0.1"])
            .args(
                ports
                    .iter()
                    .map(|(local, remote)| format!("{local}:{remote}")),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("starting kubectl port-forward");
        let mut lines = BufReader::new(kubectl.stdout.take().expect("stdout")).lines();
        let mut forwarding = Vec::new();
        while forwarding.len() < ports.len() {
            let line = tokio::time::timeout(timeout, lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!("kubectl port-forward did not start forwarding in {timeout:?}")
                })
                .expect("reading kubectl's output")
                .unwrap_or_else(|| panic!("kubectl port-forward exited early: {}", context()));
            if line.starts_with("Forwarding from") {
                forwarding.push(line);
            }
        }
        Self {
            kubectl,
            _stdout: lines,
            forwarding,
        }
    }

    /// Stops kubectl, asserting that it was still running and that its
    /// stderr holds no error.
    pub async fn stop(mut self) {
        assert!(
            self.kubectl.try_wait().expect("kubectl status").is_none(),
            "kubectl port-forward exited"
        );
        self.kubectl.start_kill().expect("stopping kubectl");
        let output = self
            .kubectl
            .wait_with_output()
            .await
            .expect("kubectl output");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("error"),
            "kubectl port-forward reported errors: {stderr}"
        );
    }
}
