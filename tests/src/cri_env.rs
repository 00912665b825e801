//! The CRI test environment of `scripts/cri-env.sh` as a fixture: `up`
//! starts an isolated containerd with the locally built images and prints
//! its variables; `down` (also on drop, so a failed assertion cleans up)
//! removes all of it. Needs root; when containerd cannot start, `up` fails
//! the test with containerd's error, it never skips.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

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
