//! The CRI test environment of `scripts/cri-env.sh` as a fixture: `up`
//! starts an isolated containerd with the locally built images and prints
//! its variables; `down` (also on drop, so a failed assertion cleans up)
//! removes all of it. Needs root; when containerd cannot start, `up` fails
//! the test with containerd's error, it never skips.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use hyper_util::rt::TokioIo;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{
    ContainerConfig, ContainerMetadata, CreateContainerRequest, ImageSpec, LinuxContainerConfig,
    LinuxContainerSecurityContext, LinuxPodSandboxConfig, LinuxSandboxSecurityContext,
    NamespaceMode, NamespaceOption, PodSandboxConfig, PodSandboxMetadata, StartContainerRequest,
};
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

/// A running environment and the variables `up` printed.
#[derive(Debug)]
pub struct CriEnv {
    run_dir: PathBuf,
    vars: HashMap<String, String>,
    up: bool,
    /// A cgroup parent (`<root>/pod<uid>`) the pods of a plugin used, to
    /// remove with the environment.
    cgroup_root: Option<String>,
}

impl CriEnv {
    /// `scripts/cri-env.sh up` with its run directory at `run_dir`.
    pub fn up(run_dir: &Path) -> Self {
        let started = Instant::now();
        let out = run_script(&["up"], run_dir);
        assert!(
            out.status.success(),
            "scripts/cri-env.sh up failed ({}): containerd must start here; stderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("cri-env up: {:?}", started.elapsed());
        let vars = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Self {
            run_dir: run_dir.to_owned(),
            vars,
            up: true,
            cgroup_root: None,
        }
    }

    /// Also removes the pod cgroups under `cgroup_root` (and it) on `down`:
    /// pods a test did not delete leave theirs behind.
    pub fn removing_cgroups_under(mut self, cgroup_root: &str) -> Self {
        self.cgroup_root = Some(cgroup_root.to_owned());
        self
    }

    /// A variable `up` printed (`VK_CRI_SOCKET`, `VK_CRI_BUSYBOX_IMAGE`...).
    pub fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("up printed no {name}; it printed {:?}", self.vars))
    }

    /// `scripts/cri-env.sh down`, then the cgroups named with
    /// [`removing_cgroups_under`](Self::removing_cgroups_under).
    pub fn down(&mut self) -> Output {
        self.up = false;
        let out = run_script(&["down"], &self.run_dir);
        if let Some(root) = &self.cgroup_root {
            remove_cgroups(root);
        }
        out
    }
}

impl Drop for CriEnv {
    fn drop(&mut self) {
        if self.up {
            let out = self.down();
            if !out.status.success() {
                eprintln!(
                    "cri-env down failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

// A minimal CRI client: what a test or a benchmark needs to run a pod
// directly, without vk-cri-plugin.

/// A channel to containerd's CRI socket.
pub async fn connect(socket: &str) -> Channel {
    let socket = socket.to_owned();
    Endpoint::try_from("http://localhost")
        .expect("static URI")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(socket).await?)) }
        }))
        .await
        .expect("connect to containerd's CRI socket")
}

/// A minimal sandbox config: `name` in namespace `cri-env`, the given
/// network mode, logs under `log_dir/<name>`.
pub fn sandbox_config(name: &str, network: NamespaceMode, log_dir: &Path) -> PodSandboxConfig {
    PodSandboxConfig {
        metadata: Some(PodSandboxMetadata {
            name: name.to_owned(),
            uid: format!("{name}-{}", std::process::id()),
            namespace: "cri-env".to_owned(),
            attempt: 0,
        }),
        // The kubelet leaves hostname empty on hostNetwork sandboxes; runc
        // refuses to set one without a private UTS namespace.
        hostname: if network == NamespaceMode::Node {
            String::new()
        } else {
            name.to_owned()
        },
        log_directory: log_dir.join(name).display().to_string(),
        linux: Some(LinuxPodSandboxConfig {
            security_context: Some(LinuxSandboxSecurityContext {
                namespace_options: Some(NamespaceOption {
                    network: network as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates and starts one container (`main`, attempt 0) in the sandbox with
/// a minimal config and the PID namespace `pid` (`Pod`: the sandbox's, as
/// with no namespace options; `Container`: its own, as the kubelet gives a
/// pod without shareProcessNamespace); returns its id.
pub async fn start_container(
    runtime: &mut RuntimeServiceClient<Channel>,
    sandbox_id: &str,
    sandbox_config: &PodSandboxConfig,
    image: &str,
    command: &[&str],
    pid: NamespaceMode,
) -> String {
    let config = ContainerConfig {
        metadata: Some(ContainerMetadata {
            name: "main".to_owned(),
            attempt: 0,
        }),
        image: Some(ImageSpec {
            image: image.to_owned(),
            ..Default::default()
        }),
        command: command.iter().map(|s| s.to_string()).collect(),
        log_path: "main/0.log".to_owned(),
        linux: Some(LinuxContainerConfig {
            security_context: Some(LinuxContainerSecurityContext {
                namespace_options: Some(NamespaceOption {
                    network: NamespaceMode::Pod as i32,
                    pid: pid as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = runtime
        .create_container(CreateContainerRequest {
            pod_sandbox_id: sandbox_id.to_owned(),
            config: Some(config),
            sandbox_config: Some(sandbox_config.clone()),
        })
        .await
        .expect("CreateContainer")
        .into_inner()
        .container_id;
    runtime
        .start_container(StartContainerRequest {
            container_id: id.clone(),
        })
        .await
        .expect("StartContainer");
    id
}

/// Runs `scripts/cri-env.sh ARGS` for the environment in `run_dir`.
pub fn run_script(args: &[&str], run_dir: &Path) -> Output {
    Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cri-env.sh"))
        .args(args)
        .env("VK_CRI_RUN_DIR", run_dir)
        .output()
        .expect("run scripts/cri-env.sh")
}

/// Removes `<hierarchy>/<root>/*` and `<hierarchy>/<root>` in every cgroup
/// hierarchy (v1 mounts one per controller under /sys/fs/cgroup).
fn remove_cgroups(root: &str) {
    let relative = root.trim_matches('/');
    let mut hierarchies = vec![PathBuf::from("/sys/fs/cgroup")];
    if let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") {
        hierarchies.extend(entries.flatten().map(|e| e.path()));
    }
    for hierarchy in hierarchies {
        let dir = hierarchy.join(relative);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_dir(entry.path());
            }
        }
        let _ = std::fs::remove_dir(&dir);
    }
}
