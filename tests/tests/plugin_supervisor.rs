//! The plugin supervisor against real plugin processes: handshake, every
//! launch failure named, restart with growing backoff, health-driven
//! restart of a hung plugin, graceful and forced stops, and the vk-host
//! binary's behaviour on SIGTERM and SIGKILL.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio_util::sync::CancellationToken;
use vk_host::backoff::Backoff;
use vk_host::plugin_process::{
    BackoffPolicy, Deadlines, HealthPolicy, MessageLimit, Phase, PluginError, PluginSpec,
    Supervisor, SupervisorConfig, handshake, launch,
};
use vk_tests::cluster::{Cluster, node_name, process_alive, wait_for};
use vk_tests::processes::{HostProcess, environment_names, faulty_plugin, peak_rss_kib};
use vk_tests::virtual_node::free_port;

/// vk-host flags for a plugin mode: a node of its own on the shared control
/// plane (vk-host is a kubelet; it needs an API server to run at all).
fn host_args(plugin: &Path, mode: &str) -> Vec<String> {
    let cluster = Cluster::shared();
    [
        "--plugin",
        plugin.to_str().expect("utf-8 path"),
        "--plugin-arg",
        mode,
        "--node-name",
        &node_name("sup"),
        "--kubeconfig",
        cluster.vk_host_kubeconfig().to_str().expect("utf-8 path"),
        "--kubelet-address",
        "127.0.0.1",
        "--kubelet-port",
        &free_port().to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn spec(path: &Path, mode: &str, runtime: &Path) -> PluginSpec {
    PluginSpec {
        path: path.to_owned(),
        args: vec![mode.to_owned()],
        config: None,
        runtime_dir: runtime.to_owned(),
        env: Default::default(),
    }
}

/// Launches `mode` of the faulty plugin and handshakes; the error if any.
async fn start_error(path: &Path, mode: &str) -> PluginError {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let deadlines = Deadlines {
        handshake: Duration::from_secs(2),
        ..Deadlines::default()
    };
    let mut plugin = match launch(&spec(path, mode, runtime.path())).await {
        Ok(plugin) => plugin,
        Err(error) => return error,
    };
    let result = handshake(&mut plugin, "vk-test", deadlines, MessageLimit::default()).await;
    plugin.terminate(Duration::from_secs(1)).await;
    result.expect_err("the handshake should fail")
}

#[tokio::test]
async fn a_healthy_plugin_completes_its_handshake() {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let mut plugin = launch(&spec(&faulty_plugin(), "healthy", runtime.path()))
        .await
        .expect("launch");
    let client = handshake(
        &mut plugin,
        "vk-test",
        Deadlines::default(),
        MessageLimit::default(),
    )
    .await
    .expect("handshake");
    assert_eq!(client.identity().name, "faulty");
    assert_eq!(client.identity().protocol_version, 1);
    let private_dir = plugin
        .plugin_socket()
        .parent()
        .expect("socket dir")
        .to_owned();
    let mode = std::fs::metadata(&private_dir)
        .expect("dir")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "the rendezvous directory is private");
    let secret = std::fs::metadata(private_dir.join("secret")).expect("secret");
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);
    plugin.terminate(Duration::from_secs(2)).await;
    drop(plugin);
    assert!(!private_dir.exists(), "the rendezvous directory is removed");
}

#[tokio::test]
async fn each_launch_failure_names_its_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-plugin");
    let error = start_error(&missing, "healthy").await;
    assert!(
        error.to_string().ends_with("no-such-plugin does not exist"),
        "{error}"
    );

    let not_executable = dir.path().join("plugin.txt");
    std::fs::write(&not_executable, "hello").expect("write");
    let error = start_error(&not_executable, "healthy").await;
    assert!(
        error.to_string().contains("no execute bit; try chmod +x"),
        "{error}"
    );

    let not_a_program = dir.path().join("garbage");
    std::fs::write(&not_a_program, [0x7f, b'E', b'L', b'F', 0, 0, 0]).expect("write");
    std::fs::set_permissions(&not_a_program, std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let error = start_error(&not_a_program, "healthy").await;
    assert!(
        error
            .to_string()
            .contains("not a program this machine can run"),
        "{error}"
    );

    let faulty = faulty_plugin();
    let error = start_error(&faulty, "exit-early").await;
    let text = error.to_string();
    assert!(
        text.contains("exited with exit status: 3 before its handshake"),
        "{text}"
    );
    assert!(text.contains("the widget backend is unreachable"), "{text}");

    let error = start_error(&faulty, "wrong-version").await;
    assert!(
        error
            .to_string()
            .ends_with("speaks protocol version 99, but vk-host speaks [1]"),
        "{error}"
    );

    let error = start_error(&faulty, "never-bind").await;
    assert!(
        error.to_string().contains("did not bind its socket"),
        "{error}"
    );
    assert!(error.to_string().contains("within 2s"), "{error}");

    let error = start_error(&faulty, "not-grpc").await;
    assert!(
        error
            .to_string()
            .contains("does not speak the vk-host plugin protocol"),
        "{error}"
    );
}

fn fast_supervisor(mode: &str, runtime: &Path) -> SupervisorConfig {
    let mut config = SupervisorConfig::new(spec(&faulty_plugin(), mode, runtime), "vk-test");
    config.backoff = BackoffPolicy {
        delays: Backoff::new(Duration::from_millis(100), Duration::from_secs(5)),
        reset_after: Duration::from_secs(60),
    };
    config.health = HealthPolicy {
        interval: Duration::from_millis(200),
        timeout: Duration::from_millis(150),
        not_ready_after: 2,
        restart_after: 5,
    };
    config.stop_grace = Duration::from_secs(1);
    config
}

async fn wait_ready_with_new_pid(
    status: &mut tokio::sync::watch::Receiver<vk_host::plugin_process::PluginStatus>,
    old_pid: u32,
) -> u32 {
    wait_for(
        Duration::from_secs(20),
        "the plugin to run again under a new pid",
        async || {
            let s = status.borrow_and_update().clone();
            match (s.phase, s.pid) {
                (Phase::Ready, Some(pid)) if pid != old_pid => Some(pid),
                _ => None,
            }
        },
    )
    .await
}

#[tokio::test]
async fn a_killed_plugin_is_restarted_with_growing_backoff() {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let supervisor = Supervisor::start(
        fast_supervisor("healthy", runtime.path()),
        &CancellationToken::new(),
    )
    .await
    .expect("start");
    let mut status = supervisor.status();
    let delays = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorder = {
        let mut status = supervisor.status();
        let delays = std::sync::Arc::clone(&delays);
        tokio::spawn(async move {
            while status.changed().await.is_ok() {
                if let Phase::BackingOff { delay, .. } = status.borrow_and_update().phase {
                    delays.lock().expect("delays").push(delay);
                }
            }
        })
    };
    let mut pid = status.borrow().pid.expect("running");
    for _ in 0..3 {
        kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("kill the plugin");
        pid = wait_ready_with_new_pid(&mut status, pid).await;
    }
    let delays = delays.lock().expect("delays").clone();
    assert_eq!(
        delays,
        [100, 200, 400].map(Duration::from_millis),
        "backoff doubles after each crash"
    );
    assert_eq!(status.borrow().restarts, 3);
    supervisor.stop().await;
    recorder.abort();
    assert!(
        !process_alive(pid),
        "the last plugin instance is gone after stop"
    );
}

#[tokio::test]
async fn a_hung_plugin_turns_not_ready_then_is_restarted() {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let supervisor = Supervisor::start(
        fast_supervisor("healthy", runtime.path()),
        &CancellationToken::new(),
    )
    .await
    .expect("start");
    let mut status = supervisor.status();
    let pid = status.borrow().pid.expect("running");
    kill(Pid::from_raw(pid as i32), Signal::SIGSTOP).expect("stop the plugin");
    let reason = wait_for(
        Duration::from_secs(10),
        "the plugin to turn NotReady",
        async || match &status.borrow_and_update().phase {
            Phase::NotReady(reason) => Some(reason.clone()),
            _ => None,
        },
    )
    .await;
    assert!(reason.contains("not answering health probes"), "{reason}");
    let new_pid = wait_ready_with_new_pid(&mut status, pid).await;
    assert!(!process_alive(pid), "the hung instance was killed");
    supervisor.stop().await;
    assert!(!process_alive(new_pid));
}

#[tokio::test]
async fn a_plugin_that_ignores_sigterm_is_killed_after_the_grace() {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let supervisor = Supervisor::start(
        fast_supervisor("ignore-sigterm", runtime.path()),
        &CancellationToken::new(),
    )
    .await
    .expect("start");
    let pid = supervisor.status().borrow().pid.expect("running");
    let started = std::time::Instant::now();
    supervisor.stop().await;
    assert!(!process_alive(pid), "SIGKILL ended it");
    // Shutdown rpc grace + SIGTERM grace, with slack for a busy machine.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn sigterm_to_the_host_stops_the_plugin_gracefully() {
    let mut host = HostProcess::start(
        &host_args(&faulty_plugin(), "healthy"),
        &[
            ("KUBECONFIG", "/etc/secret-kubeconfig"),
            ("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ],
    );
    host.wait_for_log("plugin handshake complete", Duration::from_secs(20))
        .await;
    let plugin = host.plugin_pid().await;
    let names = environment_names(plugin);
    for withheld in [
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(
            !names.iter().any(|n| n == withheld),
            "{withheld} leaked into the plugin: {names:?}"
        );
    }
    assert!(names.iter().any(|n| n == "VK_PLUGIN_SOCKET"), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.contains("SECRET") && n != "VK_PLUGIN_SECRET_FILE")
    );

    let status = host
        .signal_and_wait(Signal::SIGTERM, Duration::from_secs(20))
        .await;
    assert!(status.success(), "vk-host exits 0 after SIGTERM: {status}");
    assert!(!process_alive(plugin), "the plugin is gone");
    let log = host.log();
    assert!(log.contains("faulty: shutdown requested"), "{log}");
    assert!(log.contains("plugin stopped exit=exit status: 0"), "{log}");
}

#[tokio::test]
async fn sigkill_to_the_host_leaves_no_plugin_behind() {
    let mut host = HostProcess::start(&host_args(&faulty_plugin(), "healthy"), &[]);
    host.wait_for_log("plugin handshake complete", Duration::from_secs(20))
        .await;
    let plugin = host.plugin_pid().await;
    host.signal_and_wait(Signal::SIGKILL, Duration::from_secs(10))
        .await;
    wait_for(
        Duration::from_secs(10),
        "the plugin to die with its host",
        async || (!process_alive(plugin)).then_some(()),
    )
    .await;
}

#[tokio::test]
async fn a_ten_megabyte_stderr_line_does_not_grow_host_memory() {
    let plugin = faulty_plugin();
    let mut baseline = HostProcess::start(&host_args(&plugin, "healthy"), &[]);
    baseline
        .wait_for_log("plugin handshake complete", Duration::from_secs(20))
        .await;
    let baseline_kib = peak_rss_kib(baseline.pid()).expect("baseline VmHWM");

    let mut host = HostProcess::start(&host_args(&plugin, "huge-stderr"), &[]);
    host.wait_for_log("after the huge line", Duration::from_secs(30))
        .await;
    host.wait_for_log("plugin handshake complete", Duration::from_secs(20))
        .await;
    let peak_kib = peak_rss_kib(host.pid()).expect("VmHWM");
    println!(
        "vk-host peak RSS: {baseline_kib} KiB with a quiet plugin, {peak_kib} KiB after a 10 MiB stderr line"
    );
    assert!(
        peak_kib < baseline_kib + 4 * 1024,
        "a 10 MiB line must not be buffered: {peak_kib} KiB vs {baseline_kib} KiB"
    );
    assert!(host.log().contains("truncated=true"));
    baseline
        .signal_and_wait(Signal::SIGTERM, Duration::from_secs(20))
        .await;
    host.signal_and_wait(Signal::SIGTERM, Duration::from_secs(20))
        .await;
}

/// A normal shutdown is never reported as a failure: ten SIGTERMs, ten clean
/// logs (a race in run.rs's select logged "a core task ended unexpectedly"
/// on half of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_never_logs_a_core_task_as_ended_unexpectedly() {
    let args = host_args(&faulty_plugin(), "healthy");
    for round in 1..=10 {
        let mut host = HostProcess::start(&args, &[]);
        host.wait_for_log("pods of this node listed", Duration::from_secs(30))
            .await;
        let status = host
            .signal_and_wait(Signal::SIGTERM, Duration::from_secs(20))
            .await;
        let log = host.log();
        assert!(
            status.success(),
            "round {round}: vk-host exits 0 after SIGTERM: {status}\n{log}"
        );
        for failure in ["ended unexpectedly", "a core task failed"] {
            assert!(
                !log.contains(failure),
                "round {round}: a normal SIGTERM shutdown logged {failure:?}:\n{log}"
            );
        }
        assert!(log.contains("stopped"), "round {round}:\n{log}");
    }
}

/// Processes launched as plugins with `runtime` as their runtime directory
/// (their plugin socket is inside it), by their environment.
fn plugins_in(runtime: &Path) -> Vec<u32> {
    let prefix = format!("{}={}/", vk_proto::env::PLUGIN_SOCKET, runtime.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|b| *b == 0)
                    .any(|var| var.starts_with(prefix.as_bytes()))
            })
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Kills the plugins of a runtime directory when dropped, so that a failing
/// test leaves none behind (one that ignores SIGTERM would run for good).
struct PluginReaper(std::path::PathBuf);

impl Drop for PluginReaper {
    fn drop(&mut self) {
        for pid in plugins_in(&self.0) {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
}

/// A host restarted at once after `kill -9` never runs its plugin beside the
/// old host's, which outlives it (this one ignores the SIGTERM the kernel
/// sends it): the new host stops it first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_restarted_at_once_after_sigkill_never_runs_its_plugin_beside_the_old_one() {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let _reaper = PluginReaper(runtime.path().to_owned());
    let mut args = host_args(&faulty_plugin(), "ignore-sigterm");
    args.extend(
        [
            "--runtime-dir",
            runtime.path().to_str().expect("utf-8 path"),
            "--plugin-stop-grace",
            "1s",
        ]
        .map(str::to_owned),
    );
    let mut old = HostProcess::start(&args, &[]);
    old.wait_for_log("plugin handshake complete", Duration::from_secs(20))
        .await;
    let old_plugin = old.plugin_pid().await;

    // The most plugin processes of this node seen at once, every 50 ms.
    let most = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampling = CancellationToken::new();
    let sampler = tokio::spawn({
        let most = std::sync::Arc::clone(&most);
        let sampling = sampling.clone();
        let runtime = runtime.path().to_owned();
        async move {
            loop {
                let now = plugins_in(&runtime);
                {
                    let mut most = most.lock().expect("samples");
                    if now.len() > most.len() {
                        *most = now;
                    }
                }
                tokio::select! {
                    () = sampling.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            }
        }
    });
    old.signal_and_wait(Signal::SIGKILL, Duration::from_secs(10))
        .await;
    let mut new = HostProcess::start(&args, &[]);
    new.wait_for_log("plugin handshake complete", Duration::from_secs(30))
        .await;
    let new_plugin = new.plugin_pid().await;
    // A few more samples with the new plugin up.
    tokio::time::sleep(Duration::from_secs(1)).await;
    sampling.cancel();
    sampler.await.expect("sampler");

    let most = most.lock().expect("samples").clone();
    assert!(
        most.len() <= 1,
        "plugin processes of one node ran at once: {most:?} (old host's {old_plugin}, new host's {new_plugin}); new host's log:\n{}",
        new.log()
    );
    assert!(!process_alive(old_plugin), "the old host's plugin is gone");
    assert!(process_alive(new_plugin), "the new host's plugin runs");
    new.signal_and_wait(Signal::SIGTERM, Duration::from_secs(20))
        .await;
}
