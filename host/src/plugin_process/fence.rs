//! One plugin per node at a time, across vk-host restarts. The host holds
//! an exclusive lock on `<runtime dir>/node-<node>.lock` while it runs and
//! records there the process group of each plugin it starts. A host killed
//! with SIGKILL cannot stop its plugin: the kernel sends it SIGTERM, and it
//! takes its time (one that ignores SIGTERM would run on for good). The next
//! host for the node finds that group in the file and, before starting its
//! own plugin, stops it as a normal stop would have: SIGTERM to the group,
//! up to the stop grace, then SIGKILL.
//!
//! A process group id is not reused while the group has members, so a
//! recorded group with live members is the old plugin's, unless its id now
//! names a process with another start time (then the old group had ended
//! and its id was reused: nothing is signalled).

use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::time::Instant;

use super::error::PluginError;

/// How long a host waits for another vk-host of the same node (one that is
/// still stopping) to let go of the lock.
const LOCK_WAIT: Duration = Duration::from_secs(30);
/// How long a group gets to be gone after SIGKILL.
const KILL_WAIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

/// This host's hold on its node's plugin; released when dropped.
#[derive(Debug)]
pub struct NodeFence {
    file: File,
    path: PathBuf,
}

impl NodeFence {
    /// Takes the node's lock (waiting for a stopping host), then stops what
    /// remains of the plugin recorded by an earlier host, giving it `grace`
    /// after SIGTERM.
    pub async fn acquire(
        runtime_dir: &Path,
        node: &str,
        grace: Duration,
    ) -> Result<Self, PluginError> {
        Self::acquire_within(runtime_dir, node, grace, LOCK_WAIT).await
    }

    async fn acquire_within(
        runtime_dir: &Path,
        node: &str,
        grace: Duration,
        lock_wait: Duration,
    ) -> Result<Self, PluginError> {
        let path = runtime_dir.join(format!("node-{node}.lock"));
        let file = open(runtime_dir, &path).map_err(|source| PluginError::NodeLock {
            node: node.to_owned(),
            path: path.clone(),
            source,
        })?;
        let deadline = Instant::now() + lock_wait;
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    if !said {
                        said = true;
                        tracing::info!(node, lock = %path.display(), "another vk-host for this node holds its lock; waiting for it to stop");
                    }
                    tokio::time::sleep(POLL).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(PluginError::NodeTaken {
                        node: node.to_owned(),
                        path,
                        waited: lock_wait,
                    });
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(PluginError::NodeLock {
                        node: node.to_owned(),
                        path,
                        source,
                    });
                }
            }
        }
        let fence = Self { file, path };
        if let Some(previous) = fence.recorded() {
            stop_previous(node, previous, grace).await;
        }
        Ok(fence)
    }

    /// Records the plugin just started (its pid is its process group).
    pub fn record(&mut self, pid: u32) {
        let Some(start) = start_time(pid) else {
            // Already gone: nothing to fence.
            return;
        };
        let text = format!("{pid} {start}\n");
        let written = self
            .file
            .set_len(0)
            .and_then(|()| self.file.write_all_at(text.as_bytes(), 0));
        if let Err(error) = written {
            tracing::warn!(lock = %self.path.display(), %error, "cannot record the plugin's process group; a host restarted after a crash will not stop it");
        }
    }

    fn recorded(&self) -> Option<Group> {
        let mut text = String::new();
        (&self.file).read_to_string(&mut text).ok()?;
        let mut fields = text.split_whitespace();
        let pgid = fields.next()?.parse().ok()?;
        let start = fields.next()?.parse().ok()?;
        Some(Group { pgid, start })
    }
}

fn open(runtime_dir: &Path, path: &Path) -> std::io::Result<File> {
    std::fs::create_dir_all(runtime_dir)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

/// A plugin's process group as recorded: its leader's pid and start time.
#[derive(Debug, Clone, Copy)]
struct Group {
    pgid: i32,
    start: u64,
}

impl Group {
    /// Whether a process of this group still runs.
    fn alive(&self) -> bool {
        if start_time(self.pgid as u32).is_some_and(|start| start != self.start) {
            // Its id names a newer process: the old group had ended.
            return false;
        }
        live_members(self.pgid)
    }

    async fn gone_within(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.alive() {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
        true
    }
}

/// Stops what remains of an earlier host's plugin group.
async fn stop_previous(node: &str, group: Group, grace: Duration) {
    if !group.alive() {
        return;
    }
    tracing::warn!(
        node,
        pgid = group.pgid,
        "the plugin of an earlier vk-host for this node still runs; stopping it before starting ours"
    );
    let pgid = Pid::from_raw(group.pgid);
    let _ = killpg(pgid, Signal::SIGTERM);
    if group.gone_within(grace).await {
        return;
    }
    tracing::warn!(
        node,
        pgid = group.pgid,
        ?grace,
        "the earlier plugin did not exit after SIGTERM; sending SIGKILL"
    );
    let _ = killpg(pgid, Signal::SIGKILL);
    if !group.gone_within(KILL_WAIT).await {
        tracing::error!(
            node,
            pgid = group.pgid,
            "the earlier plugin's processes survive SIGKILL (stuck in the kernel?); starting ours anyway"
        );
    }
}

/// The fields of `/proc/<pid>/stat` after the command name.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// When `pid` started, in clock ticks since boot (field 22 of its stat).
fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

/// Whether a process that is not a zombie is in group `pgid`.
fn live_members(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .any(|pid| {
            stat_fields(pid).is_some_and(|fields| {
                let state = fields.first().map(String::as_str);
                let group = fields.get(2).and_then(|g| g.parse::<i32>().ok());
                group == Some(pgid) && !matches!(state, Some("Z" | "X"))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt as _;

    fn own_group(script: &str) -> std::process::Child {
        std::process::Command::new("sh")
            .args(["-c", script])
            .process_group(0)
            .spawn()
            .expect("spawn sh")
    }

    async fn exited(child: &mut std::process::Child) -> bool {
        for _ in 0..100 {
            if child.try_wait().expect("try_wait").is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    #[tokio::test]
    async fn a_plugin_left_by_a_killed_host_is_stopped_before_the_next_starts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut fence = NodeFence::acquire(dir.path(), "n1", Duration::from_secs(1))
            .await
            .expect("first host");
        let mut polite = own_group("exec sleep 60");
        fence.record(polite.id());
        drop(fence); // the host is gone, its plugin is not
        let fence = NodeFence::acquire(dir.path(), "n1", Duration::from_secs(5))
            .await
            .expect("second host");
        assert!(exited(&mut polite).await, "SIGTERM stopped the old plugin");
        drop(fence);

        let mut fence = NodeFence::acquire(dir.path(), "n1", Duration::from_secs(1))
            .await
            .expect("third host");
        let mut stubborn = own_group("trap '' TERM; while :; do sleep 0.1; done");
        fence.record(stubborn.id());
        drop(fence);
        let _fence = NodeFence::acquire(dir.path(), "n1", Duration::from_millis(500))
            .await
            .expect("fourth host");
        assert!(
            exited(&mut stubborn).await,
            "SIGKILL stopped the old plugin"
        );
    }

    #[tokio::test]
    async fn a_second_host_for_the_node_waits_then_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let _held = NodeFence::acquire(dir.path(), "n1", Duration::from_secs(1))
            .await
            .expect("first host");
        let _other = NodeFence::acquire(dir.path(), "n2", Duration::from_secs(1))
            .await
            .expect("another node's host is not fenced");
        let error = NodeFence::acquire_within(
            dir.path(),
            "n1",
            Duration::from_secs(1),
            Duration::from_millis(200),
        )
        .await
        .expect_err("the node is taken");
        let text = error.to_string();
        assert!(text.contains("another vk-host for node n1"), "{text}");
        assert!(text.contains("node-n1.lock"), "{text}");
    }

    #[tokio::test]
    async fn a_recorded_group_that_ended_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut fence = NodeFence::acquire(dir.path(), "n1", Duration::from_secs(1))
            .await
            .expect("first host");
        let mut ended = own_group("exec sleep 60");
        fence.record(ended.id());
        ended.kill().expect("kill");
        ended.wait().expect("reap");
        drop(fence);
        let started = std::time::Instant::now();
        let _fence = NodeFence::acquire(dir.path(), "n1", Duration::from_secs(30))
            .await
            .expect("second host");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nothing to wait for: {:?}",
            started.elapsed()
        );
    }
}
