//! The CRI test environment (`scripts/cri-env.sh`) works end to end: `up`
//! starts an isolated containerd with the locally built images; a CRI v1
//! client runs a hostNetwork pod whose busybox container prints `hi`, and a
//! pod-network pod that gets an IP from the run's own CNI subnet and is left
//! running; `down` then removes all of it. Needs root; when containerd cannot
//! start the test fails, it never skips.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{
    ContainerState, ContainerStatusRequest, ImageSpec, ImageStatusRequest, NamespaceMode,
    PodSandboxStatusRequest, RunPodSandboxRequest, VersionRequest,
};
use vk_tests::cri_env::{CriEnv, connect, run_script, sandbox_config, start_container};

fn link_exists(name: &str) -> bool {
    Command::new("ip")
        .args(["link", "show", name])
        .output()
        .expect("run ip link show")
        .status
        .success()
}

fn netns_names() -> BTreeSet<String> {
    std::fs::read_dir("/var/run/netns")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The shared parents containerd, runc and CNI create on first use.
fn host_dirs_present() -> Vec<&'static str> {
    [
        "/run/containerd",
        "/run/netns",
        "/var/lib/cni",
        "/sys/fs/cgroup/memory/k8s.io",
        "/sys/fs/cgroup/pids/k8s.io",
        "/sys/fs/cgroup/k8s.io",
    ]
    .into_iter()
    .filter(|p| Path::new(p).exists())
    .collect()
}

/// Another containerd, as on a developer's machine (its own state, socket
/// and no CRI plugin), running until dropped.
struct OtherContainerd {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl OtherContainerd {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir for another containerd");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let config = format!(
            "version = 2\nroot = {:?}\nstate = {:?}\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = {:?}\n[ttrpc]\n  address = {:?}\n",
            path("root"),
            path("state"),
            path("containerd.sock"),
            path("containerd.sock.ttrpc"),
        );
        std::fs::write(dir.path().join("config.toml"), config).expect("its config");
        let log = std::fs::File::create(dir.path().join("containerd.log")).expect("its log");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("starting another containerd");
        let socket = dir.path().join("containerd.sock");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "another containerd did not start: {}",
                std::fs::read_to_string(dir.path().join("containerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, _dir: dir }
    }
}

impl Drop for OtherContainerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn cri_env_runs_pods_and_down_leaves_nothing() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the CRI environment test needs root (containerd, runc, CNI)"
    );
    run_and_check("plain").await;
    // A developer's machine often runs a containerd of its own: the
    // environment must work, and clean up, beside it too.
    let other = OtherContainerd::start();
    run_and_check("beside another containerd").await;
    drop(other);
}

/// One `up`, two pods, `down`, and the checks that nothing is left.
async fn run_and_check(round: &str) {
    eprintln!("--- round: {round}");
    let run_dir = PathBuf::from(format!("/tmp/vk-cri-test.{}", std::process::id()));
    let netns_before = netns_names();
    let host_dirs_before = host_dirs_present();
    // The pods' cgroups under a parent of this run's own, not runc's shared
    // default `k8s.io`, which `down` must keep while another containerd runs.
    let cgroup_root = format!("/vk-cri-env-{}", std::process::id());
    let mut env = CriEnv::up(&run_dir).removing_cgroups_under(&cgroup_root);
    let socket = env.var("VK_CRI_SOCKET").to_owned();
    let busybox = env.var("VK_CRI_BUSYBOX_IMAGE").to_owned();
    let pid = env.var("VK_CRI_CONTAINERD_PID").to_owned();
    let bridge = env.var("VK_CRI_CNI_BRIDGE").to_owned();
    let network = env.var("VK_CRI_CNI_NETWORK").to_owned();
    let gateway = env.var("VK_CRI_POD_GATEWAY").to_owned();
    assert!(
        bridge.len() <= 15,
        "bridge name {bridge} is longer than Linux allows"
    );

    let status = run_script(&["status"], &run_dir);
    assert!(
        status.status.success(),
        "status while up: {}",
        String::from_utf8_lossy(&status.stdout)
    );

    let channel = connect(&socket).await;
    let mut runtime = RuntimeServiceClient::new(channel.clone());
    let mut images = ImageServiceClient::new(channel);

    let version = runtime
        .version(VersionRequest::default())
        .await
        .expect("Version")
        .into_inner();
    assert_eq!(
        (
            version.runtime_name.as_str(),
            version.runtime_api_version.as_str()
        ),
        ("containerd", "v1")
    );
    eprintln!(
        "runtime {} {}",
        version.runtime_name, version.runtime_version
    );
    for image in [env.var("VK_CRI_PAUSE_IMAGE"), busybox.as_str()] {
        let status = images
            .image_status(ImageStatusRequest {
                image: Some(ImageSpec {
                    image: image.to_owned(),
                    ..Default::default()
                }),
                verbose: false,
            })
            .await
            .expect("ImageStatus")
            .into_inner();
        let found = status
            .image
            .unwrap_or_else(|| panic!("CRI does not see {image}"));
        assert!(
            found.repo_tags.contains(&image.to_owned()),
            "{image}: {found:?}"
        );
    }

    // A hostNetwork pod: busybox `echo hi` runs to completion.
    let log_dir = run_dir.join("pods");
    let host_config = in_cgroup(
        sandbox_config("echo", NamespaceMode::Node, &log_dir),
        &cgroup_root,
    );
    let started = Instant::now();
    let host_sandbox = runtime
        .run_pod_sandbox(RunPodSandboxRequest {
            config: Some(host_config.clone()),
            runtime_handler: String::new(),
        })
        .await
        .expect("RunPodSandbox (hostNetwork)")
        .into_inner()
        .pod_sandbox_id;
    eprintln!("RunPodSandbox hostNetwork: {:?}", started.elapsed());
    let echo = start_container(
        &mut runtime,
        &host_sandbox,
        &host_config,
        &busybox,
        &["echo", "hi"],
        NamespaceMode::Pod,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let exited = loop {
        let status = runtime
            .container_status(ContainerStatusRequest {
                container_id: echo.clone(),
                verbose: false,
            })
            .await
            .expect("ContainerStatus")
            .into_inner()
            .status
            .expect("a container status");
        if status.state == ContainerState::ContainerExited as i32 {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "echo hi did not exit within 20 s: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (exited.exit_code, exited.reason.as_str()),
        (0, "Completed"),
        "{exited:?}"
    );
    let log =
        std::fs::read_to_string(log_dir.join("echo/main/0.log")).expect("read the container log");
    assert!(log.contains(" stdout F hi"), "container log: {log:?}");

    // A pod-network pod gets an IP from this run's subnet; its container is
    // left running for `down` to remove.
    let pod_config = in_cgroup(
        sandbox_config("net", NamespaceMode::Pod, &log_dir),
        &cgroup_root,
    );
    let started = Instant::now();
    let pod_sandbox = runtime
        .run_pod_sandbox(RunPodSandboxRequest {
            config: Some(pod_config.clone()),
            runtime_handler: String::new(),
        })
        .await
        .expect("RunPodSandbox (pod network)")
        .into_inner()
        .pod_sandbox_id;
    eprintln!("RunPodSandbox pod network: {:?}", started.elapsed());
    start_container(
        &mut runtime,
        &pod_sandbox,
        &pod_config,
        &busybox,
        &["sleep", "3600"],
        NamespaceMode::Pod,
    )
    .await;
    let ip = runtime
        .pod_sandbox_status(PodSandboxStatusRequest {
            pod_sandbox_id: pod_sandbox,
            verbose: false,
        })
        .await
        .expect("PodSandboxStatus")
        .into_inner()
        .status
        .and_then(|s| s.network)
        .map(|n| n.ip)
        .unwrap_or_default();
    let prefix = gateway.trim_end_matches(".1");
    assert!(
        ip.starts_with(&format!("{prefix}.")),
        "pod IP {ip:?} is not in {prefix}.0/24"
    );
    let ipam = PathBuf::from(format!("/var/lib/cni/networks/{network}"));
    assert!(
        ipam.join(&ip).exists(),
        "host-local recorded no lease for {ip}"
    );
    let our_netns: Vec<_> = netns_names().difference(&netns_before).cloned().collect();
    assert!(
        !our_netns.is_empty(),
        "the pod-network sandbox made no entry in /var/run/netns"
    );
    drop(runtime);
    drop(images);

    let started = Instant::now();
    let out = env.down();
    eprintln!(
        "cri-env down: {:?}\n{}",
        started.elapsed(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "down failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let containerd_left = std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains("containerd"));
    assert!(!containerd_left, "containerd {pid} still runs after down");
    assert!(!link_exists(&bridge), "bridge {bridge} is left after down");
    assert!(
        !run_dir.exists(),
        "run directory {} is left after down",
        run_dir.display()
    );
    assert!(!ipam.exists(), "{} is left after down", ipam.display());
    let results: Vec<_> = std::fs::read_dir("/var/lib/cni/results")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{network}-"))
        })
        .map(|e| e.path())
        .collect();
    assert!(
        results.is_empty(),
        "CNI results left after down: {results:?}"
    );
    let netns_left: Vec<_> = our_netns
        .iter()
        .filter(|n| netns_names().contains(*n))
        .collect();
    assert!(
        netns_left.is_empty(),
        "netns left after down: {netns_left:?}"
    );
    let present = host_dirs_present();
    let made: Vec<_> = present
        .iter()
        .filter(|d| !host_dirs_before.contains(d))
        .collect();
    let removed: Vec<_> = host_dirs_before
        .iter()
        .filter(|d| !present.contains(d))
        .collect();
    assert!(
        removed.is_empty(),
        "down removed shared directories it did not make: {removed:?}"
    );
    let down_log = String::from_utf8_lossy(&out.stderr);
    if down_log.contains("another containerd runs") {
        // Shared parents another containerd may be about to use are kept
        // (scripts/cri-env.sh `down`); the cgroups never were shared.
        assert!(
            made.iter().all(|d| !d.contains("cgroup")),
            "cgroup directories made by the run are left: {made:?}"
        );
    } else {
        assert!(
            made.is_empty(),
            "shared host directories made by the run are left: {made:?}"
        );
    }
    let status = run_script(&["status"], &run_dir);
    assert!(!status.status.success(), "status says running after down");
}

/// `config` with its cgroups under `<root>/pod-<name>`.
fn in_cgroup(
    mut config: k8s_cri::v1::PodSandboxConfig,
    root: &str,
) -> k8s_cri::v1::PodSandboxConfig {
    let name = config
        .metadata
        .as_ref()
        .map(|m| m.name.clone())
        .unwrap_or_default();
    if let Some(linux) = config.linux.as_mut() {
        linux.cgroup_parent = format!("{root}/pod-{name}");
    }
    config
}
