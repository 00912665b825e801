//! The `vk-mock-plugin` executable: how it fails when started wrongly, and
//! that it exits when the host goes away. (The protocol itself is checked by
//! `vk-plugin-conformance`.)

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PLUGIN: &str = env!("CARGO_BIN_EXE_vk-mock-plugin");

/// The plugin with the launch environment vk-host gives it, in `dir`.
fn launched(dir: &Path, config: Option<&Path>) -> Command {
    let secret = dir.join("secret");
    std::fs::write(&secret, "0123456789abcdef\n").expect("write the secret file");
    let mut command = Command::new(PLUGIN);
    command
        .env_clear()
        .env("VK_PLUGIN_MAGIC_COOKIE", "d2a8c4f0-vk-host-plugin")
        .env("VK_PLUGIN_SOCKET", dir.join("plugin.sock"))
        .env("VK_HOST_SOCKET", dir.join("host.sock"))
        .env("VK_PLUGIN_PROTOCOL_VERSIONS", "1")
        .env("VK_PLUGIN_SECRET_FILE", &secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(config) = config {
        command.env("VK_PLUGIN_CONFIG", config);
    }
    command
}

fn wait_exit(child: &mut Child, within: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("poll the plugin") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("expected the plugin to exit within {within:?} ({what})");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn started_by_hand_it_says_how_to_run_it() {
    let output = Command::new(PLUGIN)
        .env_remove("VK_PLUGIN_MAGIC_COOKIE")
        .stdin(Stdio::null())
        .output()
        .expect("run the plugin");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("vk-host --plugin"), "{stderr}");
}

#[test]
fn a_bad_config_file_is_one_line_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("mock.toml");
    std::fs::write(&config, "start_delay_ms = 10\n[node]\ncpus = \"4\"\n").expect("write config");
    let output = launched(dir.path(), Some(&config))
        .stdin(Stdio::null())
        .output()
        .expect("run the plugin");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains(&config.display().to_string()), "{stderr}");
    assert!(
        last.contains("line 3") && last.contains("unknown field `cpus`"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("plugin.sock").exists(),
        "nothing is bound on a bad config"
    );

    let missing = dir.path().join("missing.toml");
    let output = launched(dir.path(), Some(&missing))
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.toml"));
}

/// Starts the plugin and waits for its socket.
fn serving(dir: &Path) -> Child {
    let mut child = launched(dir, None).spawn().expect("start the plugin");
    let socket = dir.join("plugin.sock");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            Instant::now() < deadline,
            "expected the plugin to bind {} within 10 s",
            socket.display()
        );
        if let Some(status) = child.try_wait().expect("poll") {
            panic!("the plugin exited early with {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn serves_until_the_host_goes_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = serving(dir.path());
    drop(child.stdin.take()); // the host's end of the pipe: EOF means "host gone"
    let status = wait_exit(&mut child, Duration::from_secs(10), "after stdin closed");
    assert!(status.success(), "{status}");
    assert!(
        !dir.path().join("plugin.sock").exists(),
        "the socket is removed on exit"
    );
}

#[test]
fn exits_on_sigterm_while_the_host_pipe_stays_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = serving(dir.path());
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    // stdin stays open: the SDK's blocking stdin read must not hold the exit.
    let status = wait_exit(&mut child, Duration::from_secs(10), "after SIGTERM");
    assert!(status.success(), "{status}");
    drop(child.stdin.take());
}
