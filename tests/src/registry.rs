//! A local container registry for the CRI tests (`scripts/cri-env/
//! registry.py`): serves the test images over plain HTTP on 127.0.0.1,
//! requiring Basic credentials, and stops when dropped.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// A running registry.
#[derive(Debug)]
pub struct TestRegistry {
    /// Where it listens: `127.0.0.1:<port>`.
    pub address: String,
    _process: Child,
}

impl TestRegistry {
    /// Serves the busybox image of `images_dir` (`VK_CRI_IMAGES_DIR`) as
    /// `<address>/vk-test/busybox:1`, to `user` with `password` only.
    pub async fn start(images_dir: &Path, user: &str, password: &str) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cri-env/registry.py");
        let mut process = Command::new("python3")
            .arg(&script)
            .arg(images_dir.join("busybox.tar"))
            .args(["--user", user, "--password", password])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run python3 {}: {error}", script.display()));
        let stdout = process.stdout.take().expect("piped stdout");
        let first = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            BufReader::new(stdout).lines().next_line(),
        )
        .await
        .expect("the registry did not print its port within 30 s")
        .expect("reading the registry's stdout")
        .expect("the registry exited before printing its port");
        let port = first
            .strip_prefix("port=")
            .unwrap_or_else(|| panic!("the registry printed {first:?}, not port=<n>"));
        Self {
            address: format!("127.0.0.1:{port}"),
            _process: process,
        }
    }
}
