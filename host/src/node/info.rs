//! Follows what the plugin says about the node (CAPABILITY_NODE_INFO): for
//! every new plugin instance, GetNodeInfo once, then the WatchNodeInfo stream,
//! re-opened with backoff when it breaks. The latest NodeInfo is published on
//! a `watch` (latest value wins, so a chatty plugin costs nothing). While the
//! plugin restarts the last NodeInfo stays; a plugin without the capability
//! publishes none, and the Node uses vk-host's defaults (see `desired`).

use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use vk_proto::v1::{Capability, NodeInfo};

use crate::backoff::Backoff;
use crate::plugin_process::PluginClient;

/// What is known of the plugin's NodeInfo.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InfoState {
    /// The latest NodeInfo; `None` without the capability or before any answer.
    pub info: Option<NodeInfo>,
    /// True once the current plugin has answered, failed to, or turned out
    /// not to have the capability: registration waits for this (bounded).
    pub settled: bool,
}

/// Re-opening the stream after failures.
const BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));

/// Runs until `token` is cancelled or the supervisor goes away.
pub async fn follow(
    mut clients: watch::Receiver<Option<PluginClient>>,
    state: watch::Sender<InfoState>,
    token: CancellationToken,
) {
    loop {
        let client = clients.borrow_and_update().clone();
        if let Some(client) = client {
            tokio::select! {
                () = token.cancelled() => return,
                () = follow_one(&client, &state) => {}
                changed = clients.changed() => {
                    if changed.is_err() { return }
                    continue;
                }
            }
        }
        tokio::select! {
            () = token.cancelled() => return,
            changed = clients.changed() => if changed.is_err() { return },
        }
    }
}

/// Follows one plugin instance; returns only when it lacks the capability.
async fn follow_one(client: &PluginClient, state: &watch::Sender<InfoState>) {
    if !client.identity().has(Capability::NodeInfo) {
        tracing::info!("the plugin does not report node information; using vk-host's defaults");
        state.send_replace(InfoState {
            info: None,
            settled: true,
        });
        return;
    }
    match client.get_node_info().await {
        Ok(info) => publish(state, info),
        Err(error) => {
            tracing::warn!(error = %error, "GetNodeInfo failed; following WatchNodeInfo");
            state.send_if_modified(|s| !std::mem::replace(&mut s.settled, true));
        }
    }
    let mut failures = 0u32;
    loop {
        // Counts as open from the call on (see `PluginStream`): a plugin
        // whose server sends headers only with its first message is fine.
        match client.watch_node_info() {
            Ok(mut stream) => loop {
                match stream.next().await {
                    Some(Ok(info)) => {
                        failures = 0;
                        publish(state, info);
                    }
                    Some(Err(error)) => {
                        tracing::warn!(error = %error, "WatchNodeInfo stream failed");
                        break;
                    }
                    None => {
                        tracing::debug!("WatchNodeInfo stream ended");
                        break;
                    }
                }
            },
            Err(error) => tracing::warn!(error = %error, "opening WatchNodeInfo failed"),
        }
        failures = failures.saturating_add(1);
        tokio::time::sleep(backoff(failures)).await;
    }
}

fn publish(state: &watch::Sender<InfoState>, info: NodeInfo) {
    state.send_if_modified(|s| {
        let changed = s.info.as_ref() != Some(&info) || !s.settled;
        s.info = Some(info);
        s.settled = true;
        changed
    });
}

fn backoff(failures: u32) -> Duration {
    BACKOFF.delay(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(10), Duration::from_secs(30));
    }

    #[test]
    fn publishing_the_same_info_wakes_nobody() {
        let (tx, mut rx) = watch::channel(InfoState::default());
        rx.borrow_and_update();
        publish(&tx, NodeInfo::default());
        assert!(rx.has_changed().expect("open"));
        rx.borrow_and_update();
        publish(&tx, NodeInfo::default());
        assert!(!rx.has_changed().expect("open"));
    }
}
