//! The supported Kubernetes versions (`controlplane/versions.env`):
//! - kubectl of each supported minor against the default API server
//!   (kubectl's own version skew): `exec -i` (stdin to its end, the exit
//!   code), `attach`, `port-forward` and `cp`, on a mock-plugin virtual node;
//! - the control plane of each supported version starts, reports its version
//!   and serves a vk-host node: the node goes Ready and runs a pod.
//!
//! The mock's exec runs no programs: `cat` (and any command it does not know,
//! `tar` included) copies stdin to stdout until stdin ends, so `kubectl cp`
//! to the pod prints back the archive the container received.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use vk_tests::cluster::{Binaries, Cluster, Identity};
use vk_tests::port_forward::KubectlPortForward;
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port};

/// The minors this file tests, one test function each; checked against
/// `versions.env` by [`every_supported_minor_is_tested`].
const TESTED_MINORS: [&str; 3] = ["v1.35", "v1.36", "v1.37"];
/// Every wait on a stream.
const TIMEOUT: Duration = Duration::from_secs(30);

#[test]
fn every_supported_minor_is_tested() {
    let supported = Binaries::supported_versions().expect("controlplane/versions.env");
    let minors: Vec<String> = supported
        .iter()
        .map(|v| {
            Binaries::for_version(v)
                .expect("a supported version")
                .minor()
                .to_string()
        })
        .collect();
    assert_eq!(
        minors, TESTED_MINORS,
        "versions.env supports {supported:?}: give each minor its tests here"
    );
}

/// The binaries of a supported minor, checked to be built.
fn built(minor: &str) -> Binaries {
    let binaries = Binaries::for_version(minor).unwrap_or_else(|e| panic!("{e}"));
    binaries.check().unwrap_or_else(|e| panic!("{e}"));
    binaries
}

#[tokio::test]
async fn kubectl_1_35_execs_attaches_forwards_and_copies() {
    kubectl_skew("v1.35").await;
}

#[tokio::test]
async fn kubectl_1_36_execs_attaches_forwards_and_copies() {
    kubectl_skew("v1.36").await;
}

#[tokio::test]
async fn kubectl_1_37_execs_attaches_forwards_and_copies() {
    kubectl_skew("v1.37").await;
}

/// kubectl of `minor` against the shared (default-version) API server and a
/// mock virtual node serving the kubelet API.
async fn kubectl_skew(minor: &str) {
    let binaries = built(minor);
    let kubectl = binaries.path("kubectl");
    let cluster = Cluster::shared();

    // It is that kubectl that talks to this API server.
    let out = cluster
        .kubectl_using(&kubectl, Identity::Admin, &["version", "-o", "json"], None)
        .await
        .success();
    let version = out.json();
    assert_eq!(
        version["clientVersion"]["gitVersion"], binaries.k8s_version,
        "{out:?}"
    );
    assert_eq!(
        version["serverVersion"]["gitVersion"],
        cluster.binaries().k8s_version,
        "{out:?}"
    );

    let prefix = format!("skew{}", minor.replace(['v', '.'], ""));
    let node =
        VirtualNode::start(cluster, NodeSetup::mock(&prefix).with_kubelet_api(cluster)).await;
    node.run_pod(cluster, "shell").await;
    let ns = node.namespace.as_str();

    exec_stdin_and_exit_code(cluster, &kubectl, ns).await;
    attach_with_stdin(cluster, &kubectl, ns).await;
    port_forward_echoes(cluster, &kubectl, &node).await;
    copy_to_the_pod(cluster, &kubectl, ns).await;
}

/// `exec -i` delivers stdin to its end and back; a non-zero exit code
/// reaches the shell.
async fn exec_stdin_and_exit_code(cluster: &Cluster, kubectl: &Path, ns: &str) {
    let out = cluster
        .kubectl_using(
            kubectl,
            Identity::Admin,
            &["exec", "-i", "-n", ns, "shell", "--", "cat"],
            Some(b"hi\nthere\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "hi\nthere\n", "{out:?}");

    let out = cluster
        .kubectl_using(
            kubectl,
            Identity::Admin,
            &["exec", "-n", ns, "shell", "--", "sh", "-c", "exit 3"],
            None,
        )
        .await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

/// `attach -i`: the mock's main process echoes stdin.
async fn attach_with_stdin(cluster: &Cluster, kubectl: &Path, ns: &str) {
    let out = cluster
        .kubectl_using(
            kubectl,
            Identity::Admin,
            &["attach", "-i", "-q", "-n", ns, "shell", "-c", "main"],
            Some(b"attached\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "attached\n", "{out:?}");
}

/// `port-forward`: the mock echoes every forwarded connection.
async fn port_forward_echoes(cluster: &Cluster, kubectl: &Path, node: &VirtualNode) {
    let local = free_port();
    let forward = KubectlPortForward::start_using(
        kubectl,
        cluster,
        &node.namespace,
        "shell",
        &[(local, 8080)],
        TIMEOUT,
        || node.log_tail(),
    )
    .await;
    let payload: Vec<u8> = (0..64 * 1024)
        .map(|i: usize| (i * 31 % 251) as u8)
        .collect();
    let mut connection = TcpStream::connect(("127.0.0.1", local))
        .await
        .expect("connecting to kubectl's local port");
    let (mut read, mut write) = connection.split();
    let mut echoed = vec![0; payload.len()];
    let (written, received) = tokio::time::timeout(TIMEOUT, async {
        tokio::join!(write.write_all(&payload), read.read_exact(&mut echoed))
    })
    .await
    .expect("the echo through kubectl port-forward timed out");
    written.expect("writing to the forwarded connection");
    received.expect("reading the echo");
    assert!(echoed == payload, "the echo through port-forward differs");
    drop(connection);
    forward.stop().await;
}

/// `cp` of a local file into the pod: kubectl streams a tar archive to
/// `tar -x` in the container (the mock echoes it back; kubectl prints it),
/// and the archive holds the file, byte for byte.
async fn copy_to_the_pod(cluster: &Cluster, kubectl: &Path, ns: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("payload.bin");
    let content: Vec<u8> = (0..100_000).map(|i: usize| (i * 7 % 256) as u8).collect();
    std::fs::write(&source, &content).expect("writing the file to copy");
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        cluster
            .kubectl_command_using(kubectl, Identity::Admin)
            .arg("cp")
            .arg(&source)
            .arg(format!("{ns}/shell:/tmp/payload.bin"))
            .args(["-c", "main"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output(),
    )
    .await
    .expect("kubectl cp did not finish in 60 s")
    .expect("running kubectl cp");
    assert!(
        output.status.success(),
        "kubectl cp failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let received = extract_all(dir.path(), &output.stdout);
    assert!(
        received == content,
        "the archive the container received holds {} bytes, not the {} of the file",
        received.len(),
        content.len()
    );
}

/// The concatenated contents of every file in a tar archive (`tar -xO`).
fn extract_all(dir: &Path, archive: &[u8]) -> Vec<u8> {
    let path: PathBuf = dir.join("received.tar");
    std::fs::write(&path, archive).expect("writing the received archive");
    let output = std::process::Command::new("tar")
        .arg("-xOf")
        .arg(&path)
        .output()
        .expect("running tar");
    assert!(
        output.status.success(),
        "what the container received is not a tar archive ({} bytes): {}",
        archive.len(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[tokio::test]
async fn a_1_35_control_plane_serves_a_ready_node() {
    control_plane_serves_a_node("v1.35").await;
}

#[tokio::test]
async fn a_1_36_control_plane_serves_a_ready_node() {
    control_plane_serves_a_node("v1.36").await;
}

#[tokio::test]
async fn a_1_37_control_plane_serves_a_ready_node() {
    control_plane_serves_a_node("v1.37").await;
}

/// A private control plane of `minor`: it reports its version, and a
/// vk-host node registers, goes Ready and runs a pod on it.
async fn control_plane_serves_a_node(minor: &str) {
    let binaries = built(minor);
    let version = minor.to_string();
    let cluster = tokio::task::spawn_blocking(move || Cluster::start_version(&version))
        .await
        .expect("start task")
        .unwrap_or_else(|e| panic!("a {minor} control plane: {e}"));
    assert_eq!(cluster.binaries().k8s_version, binaries.k8s_version);
    let version = cluster
        .kubectl(&["version", "-o", "json"])
        .await
        .success()
        .json();
    assert_eq!(
        version["serverVersion"]["gitVersion"], binaries.k8s_version,
        "{version}"
    );
    let prefix = format!("cp{}", minor.replace(['v', '.'], ""));
    let node = VirtualNode::start(&cluster, NodeSetup::mock(&prefix)).await;
    node.run_pod(&cluster, "ready").await;
    drop(node);
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .expect("stop task");
}
