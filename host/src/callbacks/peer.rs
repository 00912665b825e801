//! Who is on the other end of the callback socket: the kernel's
//! credentials of the connecting process (SO_PEERCRED, through tonic's
//! `UdsConnectInfo`). The host launches its plugin as `--plugin-user` or
//! else as its own user, so any other uid is a process that reached the
//! socket some other way. Defence in depth: the socket is 0600 in a 0700
//! directory, both owned by the plugin's uid, so another uid (root aside)
//! cannot even connect.

use tonic::transport::server::UdsConnectInfo;

/// Checks that the peer of a request runs as `expected`, the plugin's uid;
/// `Err` names the uid seen. Where the OS
/// does not report credentials the check is skipped (the per-launch secret
/// still applies).
pub fn check_uid<T>(request: &tonic::Request<T>, expected: u32) -> Result<(), String> {
    let peer = request
        .extensions()
        .get::<UdsConnectInfo>()
        .and_then(|info| info.peer_cred)
        .map(|credentials| (credentials.uid(), credentials.pid()));
    verdict(peer, expected)
}

/// The decision on a peer's `(uid, pid)`, when known.
fn verdict(peer: Option<(u32, Option<i32>)>, expected: u32) -> Result<(), String> {
    match peer {
        Some((uid, pid)) if uid != expected => Err(format!(
            "the caller runs as uid {uid} (pid {}); only the plugin, running as uid {expected}, may call",
            pid.map_or_else(|| "unknown".to_owned(), |pid| pid.to_string())
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::verdict;

    #[test]
    fn only_the_plugins_uid_passes() {
        assert_eq!(verdict(Some((1000, Some(42))), 1000), Ok(()));
        assert_eq!(
            verdict(None, 1000),
            Ok(()),
            "credentials unknown: secret only"
        );
        let refused = verdict(Some((65534, Some(42))), 1000).expect_err("another uid");
        assert!(refused.contains("uid 65534 (pid 42)"), "{refused}");
    }
}
