//! Real processes of this workspace in tests: where the built binaries are,
//! a running `vk-host` with its log captured, and what `/proc` says about a
//! process (children, peak memory, environment).

use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::cluster::wait_for;

/// A binary built from this workspace (`target/debug/NAME`). Panics, saying
/// how to build it, when it is missing.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // Tests live in target/<profile>/deps, binaries (vk-bench) in
    // target/<profile>; the workspace's binaries are in target/<profile>.
    let mut dir = exe.parent().expect("an executable has a directory");
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir = dir.parent().expect("deps is inside target/<profile>");
    }
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built; run `cargo build --workspace --bins` first (the README's test command does)",
        path.display()
    );
    path
}

/// The plugin built for misbehaving on purpose (tests/src/faulty_plugin).
pub fn faulty_plugin() -> PathBuf {
    workspace_binary("vk-faulty-plugin")
}

/// Process ids whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    // Fields after the command name, which is in parentheses.
                    let rest = stat.rsplit_once(')')?.1;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// Peak resident memory of `pid` in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmHWM:")
}

/// Current resident memory of `pid` in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS:")
}

fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The environment variable names of `pid`.
pub fn environment_names(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .filter_map(|entry| {
            let text = String::from_utf8_lossy(entry);
            text.split_once('=').map(|(name, _)| name.to_owned())
        })
        .collect()
}

/// A `vk-host` process whose stderr goes to a file the test can search.
#[derive(Debug)]
pub struct HostProcess {
    pub child: tokio::process::Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl HostProcess {
    /// Starts `target/debug/vk-host` with `args` and extra environment.
    pub fn start<A: AsRef<std::ffi::OsStr>>(args: &[A], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir for the host log");
        // Searchable, not listable, by others: the runtime dir inside must be
        // reachable by a `--plugin-user`; the log stays private.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711))
            .expect("chmod the host's tempdir");
        let log = dir.path().join("vk-host.log");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&log)
            .expect("host log file");
        let mut command = tokio::process::Command::new(workspace_binary("vk-host"));
        command.args(args);
        // A private runtime directory unless the test shares one.
        if !args.iter().any(|arg| arg.as_ref() == "--runtime-dir") {
            command.arg("--runtime-dir").arg(dir.path().join("run"));
        }
        command
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true);
        let child = command.spawn().expect("start vk-host");
        Self {
            child,
            log,
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("vk-host is running")
    }

    /// Everything vk-host logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle`.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        wait_for(timeout, &format!("vk-host to log {needle:?}"), async || {
            self.log().contains(needle).then_some(())
        })
        .await;
    }

    /// vk-host's child named `name` (e.g. `vk-cri-plugin`), once started:
    /// by name, since vk-host may have other, short-lived children.
    pub async fn child_named(&self, name: &str) -> u32 {
        let host = self.pid();
        crate::cluster::wait_for_ok(
            Duration::from_secs(10),
            &format!("vk-host's {name} child"),
            async || {
                let children = children_of(host);
                children
                    .iter()
                    .copied()
                    .find(|child| {
                        std::fs::read_to_string(format!("/proc/{child}/comm"))
                            .is_ok_and(|comm| comm.trim() == name)
                    })
                    .ok_or(format!("children: {children:?}"))
            },
        )
        .await
    }

    /// The plugin process, once vk-host has started it.
    pub async fn plugin_pid(&self) -> u32 {
        let host = self.pid();
        wait_for(
            Duration::from_secs(10),
            "vk-host to start its plugin",
            async || children_of(host).first().copied(),
        )
        .await
    }

    /// Sends `signal` and waits for the exit status.
    pub async fn signal_and_wait(
        &mut self,
        signal: nix::sys::signal::Signal,
        timeout: Duration,
    ) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.pid() as i32);
        nix::sys::signal::kill(pid, signal).expect("signal vk-host");
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("vk-host did not exit within {timeout:?} after {signal}"))
            .expect("vk-host exit status")
    }
}
