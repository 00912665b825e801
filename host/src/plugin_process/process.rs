//! The plugin's OS process: spawned in its own process group with a
//! parent-death signal, so stopping it reaches its whole tree and it dies
//! with the host; stopped with SIGTERM, a grace period, then SIGKILL.

// The one place in vk-host that needs `unsafe`: `pre_exec` to set the
// parent-death signal in the child between fork and exec.
#![allow(unsafe_code)]

use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

/// Asks the kernel to send SIGTERM to the child when the host dies, even
/// by SIGKILL. The SDK also exits when its stdin (a pipe the host holds)
/// reaches end-of-file, which covers plugins that ignore SIGTERM.
pub(crate) fn die_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The host may have died between fork and prctl.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// Sends `signal` to the child's process group while the child is not yet
/// reaped (so its pid, which is the group id, cannot have been reused).
pub(crate) fn signal_group(child: &mut Child, signal: Signal) {
    if matches!(child.try_wait(), Ok(None))
        && let Some(pid) = child.id()
    {
        let _ = killpg(Pid::from_raw(pid as i32), signal);
    }
}

/// Stops the child: SIGTERM to its group, up to `grace` to exit, then
/// SIGKILL to the group. Returns the exit status as text.
pub(crate) async fn terminate(child: &mut Child, grace: Duration) -> String {
    let pid = child.id();
    signal_group(child, Signal::SIGTERM);
    let status = match tokio::time::timeout(grace, child.wait()).await {
        Ok(status) => status,
        Err(_) => {
            tracing::warn!(
                ?pid,
                ?grace,
                "plugin did not exit after SIGTERM; sending SIGKILL"
            );
            signal_group(child, Signal::SIGKILL);
            child.wait().await
        }
    };
    // Anything the plugin left behind in its group goes too.
    if let Some(pid) = pid {
        let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
    match status {
        Ok(status) => status.to_string(),
        Err(e) => format!("unknown status ({e})"),
    }
}
