//! Finding and removing what earlier test processes left behind.
//!
//! Each test control plane has a state directory under the clusters root with
//! an `owner` file (pid and start time of the test process). Normally the
//! supervisor stops the cluster when its owner dies (end of file on its stdin)
//! and each component has a parent-death signal; this sweep is the last line
//! of defence: any directory whose owner is gone has its remaining processes
//! killed (only processes whose command line names that directory, so a reused
//! pid is never hit) and is deleted.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `pid starttime` of a live process, from `/proc/<pid>/stat`.
pub(crate) fn process_identity(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22 (starttime) counted after the ")" that ends the command name.
    let rest = &stat[stat.rfind(')')? + 1..];
    let start = rest.split_whitespace().nth(19)?;
    Some(format!("{pid} {start}"))
}

/// Identity of this test process, written to `<state>/owner`.
pub(crate) fn own_identity() -> String {
    let pid = std::process::id();
    process_identity(pid).unwrap_or_else(|| format!("{pid} 0"))
}

/// True when `/proc/<pid>` exists and is not a zombie.
pub(crate) fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Sends `signal` (e.g. "KILL") to a pid, or to a process group when `target`
/// is negative. Uses the shell's `kill` because this crate forbids `unsafe`.
pub(crate) fn send_signal(target: i64, signal: &str) {
    let _ = Command::new("bash")
        .args([
            "-c",
            "kill -s \"$0\" -- \"$1\" 2>/dev/null",
            signal,
            &target.to_string(),
        ])
        .status();
}

fn cmdline_mentions(pid: u32, needle: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| String::from_utf8_lossy(&raw).contains(needle))
        .unwrap_or(false)
}

/// Pids recorded in a state directory: the supervisor and each component.
pub(crate) fn recorded_pids(state: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    if let Ok(text) = std::fs::read_to_string(state.join("supervisor.pid")) {
        pids.extend(text.trim().parse::<u32>().ok());
    }
    if let Ok(text) = std::fs::read_to_string(state.join("pids")) {
        pids.extend(
            text.lines()
                .filter_map(|line| line.split_whitespace().nth(1))
                .filter_map(|pid| pid.parse::<u32>().ok()),
        );
    }
    pids
}

/// Kills every recorded process that still belongs to `state`.
pub(crate) fn kill_recorded(state: &Path) {
    let needle = state.to_string_lossy();
    for pid in recorded_pids(state) {
        if is_alive(pid) && cmdline_mentions(pid, &needle) {
            send_signal(i64::from(pid), "KILL");
        }
    }
}

fn recently_modified(dir: &Path) -> bool {
    std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < std::time::Duration::from_secs(300))
}

/// Removes the state directories under `root` whose owner process is gone.
pub(crate) fn sweep(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let dir: PathBuf = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let owner = match std::fs::read_to_string(dir.join("owner")) {
            Ok(owner) => owner,
            // Another process may be between creating the directory and
            // writing its owner file; only old owner-less directories are junk.
            Err(_) if recently_modified(&dir) => continue,
            Err(_) => String::new(),
        };
        let owner_alive = owner
            .split_whitespace()
            .next()
            .and_then(|pid| pid.parse::<u32>().ok())
            .and_then(process_identity)
            .is_some_and(|identity| identity == owner.trim());
        if owner_alive {
            continue;
        }
        kill_recorded(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_identified() {
        let id = own_identity();
        assert!(id.starts_with(&format!("{} ", std::process::id())));
        assert_eq!(process_identity(std::process::id()), Some(id));
        assert!(is_alive(std::process::id()));
    }

    #[test]
    fn sweep_removes_directories_of_dead_owners_only() {
        let root = tempfile::tempdir().expect("temporary directory");
        let dead = root.path().join("dead");
        let live = root.path().join("live");
        let fresh = root.path().join("fresh-without-owner");
        std::fs::create_dir_all(&fresh).expect("create fresh dir");
        std::fs::create_dir_all(&dead).expect("create dead dir");
        std::fs::create_dir_all(&live).expect("create live dir");
        // pid 0 never names a user process.
        std::fs::write(dead.join("owner"), "0 1").expect("write owner");
        std::fs::write(live.join("owner"), own_identity()).expect("write owner");
        sweep(root.path());
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(
            fresh.exists(),
            "a directory still being set up must survive"
        );
    }
}
