//! Who is on the other end of the callback socket: the kernel's
//! credentials of the connecting process (SO_PEERCRED, through tonic's
//! `UdsConnectInfo`). The host launches its plugin as its own user, so any
//! other uid is a process that reached the socket some other way (the
//! private 0700 directory should already prevent that).

use tonic::transport::server::UdsConnectInfo;

/// Checks the peer of a request; `Err` names the uid seen. Where the OS
/// does not report credentials the check is skipped (the per-launch secret
/// still applies).
pub fn check_uid<T>(request: &tonic::Request<T>, expected: u32) -> Result<(), String> {
    let Some(credentials) = request
        .extensions()
        .get::<UdsConnectInfo>()
        .and_then(|info| info.peer_cred)
    else {
        return Ok(());
    };
    if credentials.uid() == expected {
        Ok(())
    } else {
        Err(format!(
            "the caller runs as uid {} (pid {:?}); only the plugin, running as the host's uid {expected}, may call",
            credentials.uid(),
            credentials.pid()
        ))
    }
}
