//! The node heartbeat Lease `kube-node-lease/<node>`, as the kubelet keeps
//! it: holder = node name, 40 s duration, renewed every 10 s, owned by the
//! Node (so it goes when the Node goes, and follows a re-created Node's new
//! UID). Renewed while vk-host runs, whatever the plugin's health: like the
//! kubelet's, the Lease says "this node agent is alive"; the Ready condition
//! is what says whether the node can run pods.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, PostParams};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::FIELD_MANAGER;
use crate::backoff::Backoff;

/// The namespace of node Leases.
pub const NAMESPACE: &str = "kube-node-lease";
/// `spec.leaseDurationSeconds`.
pub const DURATION_SECONDS: i32 = 40;
/// A quarter of the duration, as the kubelet.
pub const RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// Failed renewals retried at once before backing off.
const IMMEDIATE_RETRIES: u32 = 5;
/// Backoff after those: doubling from the first to the last.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(7));

/// Keeps the Lease of `node` renewed until `token` is cancelled. Waits for
/// the Node's UID (published by the controller) before the first renewal and
/// renews at once when it changes.
pub async fn run(
    api: Api<Lease>,
    node: String,
    mut uid: watch::Receiver<Option<String>>,
    token: CancellationToken,
) {
    loop {
        let current = uid.borrow_and_update().clone();
        if let Some(node_uid) = current {
            renew_until_done(&api, &node, &node_uid, &uid, &token).await;
        }
        tokio::select! {
            () = token.cancelled() => return,
            changed = uid.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(RENEW_INTERVAL) => {}
        }
    }
}

/// Renews, retrying failures (5 at once, then with backoff) until it works,
/// the Node UID changes, or vk-host stops.
async fn renew_until_done(
    api: &Api<Lease>,
    node: &str,
    node_uid: &str,
    uid: &watch::Receiver<Option<String>>,
    token: &CancellationToken,
) {
    let mut failures = 0u32;
    loop {
        match renew(api, node, node_uid).await {
            Ok(()) => {
                if failures > 0 {
                    tracing::info!(failures, "node lease renewed again");
                }
                return;
            }
            Err(error) => {
                failures += 1;
                let delay = retry_delay(failures);
                tracing::warn!(
                    error = %error,
                    source = %error.source_text(),
                    failures,
                    ?delay,
                    "renewing the node lease failed"
                );
                tokio::select! {
                    () = token.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
                if uid.has_changed().unwrap_or(true) {
                    return;
                }
            }
        }
    }
}

/// A failed renewal.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("reading Lease {NAMESPACE}/{node}")]
    Read {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("writing Lease {NAMESPACE}/{node}")]
    Write {
        node: String,
        #[source]
        source: kube::Error,
    },
}

impl LeaseError {
    fn source_text(&self) -> String {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => source.to_string(),
        }
    }
}

async fn renew(api: &Api<Lease>, node: &str, node_uid: &str) -> Result<(), LeaseError> {
    let existing = api.get_opt(node).await.map_err(|source| LeaseError::Read {
        node: node.to_owned(),
        source,
    })?;
    let fresh = existing.is_none();
    let lease = renewed(existing, node, node_uid, Timestamp::now());
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PostParams::default()
    };
    let written = if fresh {
        api.create(&params, &lease).await
    } else {
        // `replace` carries the resourceVersion just read: a concurrent
        // writer makes it a conflict, retried with a fresh read.
        api.replace(node, &params, &lease).await
    };
    written.map(drop).map_err(|source| LeaseError::Write {
        node: node.to_owned(),
        source,
    })
}

/// The Lease after a renewal at `now`: holder, duration and renew time set,
/// the owner reference pointing at the current Node (others' kept).
pub fn renewed(existing: Option<Lease>, node: &str, node_uid: &str, now: Timestamp) -> Lease {
    let mut lease = existing.unwrap_or_else(|| Lease {
        metadata: ObjectMeta {
            name: Some(node.to_owned()),
            namespace: Some(NAMESPACE.to_owned()),
            ..ObjectMeta::default()
        },
        spec: None,
    });
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    if spec.holder_identity.as_deref() != Some(node) {
        spec.holder_identity = Some(node.to_owned());
        spec.acquire_time = Some(MicroTime(now));
    }
    spec.lease_duration_seconds = Some(DURATION_SECONDS);
    spec.renew_time = Some(MicroTime(now));
    let owners = lease.metadata.owner_references.get_or_insert_with(Vec::new);
    owners.retain(|o| !(o.kind == "Node" && o.api_version == "v1"));
    owners.push(OwnerReference {
        api_version: "v1".into(),
        kind: "Node".into(),
        name: node.to_owned(),
        uid: node_uid.to_owned(),
        ..OwnerReference::default()
    });
    lease
}

fn retry_delay(failures: u32) -> Duration {
    if failures <= IMMEDIATE_RETRIES {
        return Duration::ZERO;
    }
    BACKOFF.delay(failures - IMMEDIATE_RETRIES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).expect("valid time")
    }

    #[test]
    fn a_new_lease_is_held_by_the_node_and_owned_by_it() {
        let lease = renewed(None, "vk-1", "uid-1", at(100));
        assert_eq!(lease.metadata.namespace.as_deref(), Some("kube-node-lease"));
        let spec = lease.spec.expect("spec");
        assert_eq!(spec.holder_identity.as_deref(), Some("vk-1"));
        assert_eq!(spec.lease_duration_seconds, Some(40));
        assert_eq!(spec.renew_time, Some(MicroTime(at(100))));
        assert_eq!(spec.acquire_time, Some(MicroTime(at(100))));
        let owners = lease.metadata.owner_references.expect("owners");
        assert_eq!(owners.len(), 1);
        assert_eq!(
            (owners[0].kind.as_str(), owners[0].uid.as_str()),
            ("Node", "uid-1")
        );
    }

    #[test]
    fn a_renewal_moves_renew_time_and_follows_a_new_node_uid() {
        let mut first = renewed(None, "vk-1", "uid-1", at(100));
        first
            .metadata
            .owner_references
            .as_mut()
            .expect("owners")
            .push(OwnerReference {
                api_version: "example.com/v1".into(),
                kind: "Thing".into(),
                name: "t".into(),
                uid: "t-uid".into(),
                ..OwnerReference::default()
            });
        let again = renewed(Some(first), "vk-1", "uid-2", at(110));
        let spec = again.spec.expect("spec");
        assert_eq!(spec.renew_time, Some(MicroTime(at(110))));
        assert_eq!(spec.acquire_time, Some(MicroTime(at(100))), "same holder");
        let owners = again.metadata.owner_references.expect("owners");
        let uids: Vec<&str> = owners.iter().map(|o| o.uid.as_str()).collect();
        assert_eq!(uids, ["t-uid", "uid-2"]);
    }

    #[test]
    fn retries_are_immediate_then_back_off_to_seven_seconds() {
        let delays: Vec<Duration> = (1..=14).map(retry_delay).collect();
        assert!(delays[..5].iter().all(Duration::is_zero));
        assert_eq!(delays[5], Duration::from_millis(100));
        assert_eq!(delays[6], Duration::from_millis(200));
        assert_eq!(delays[13], Duration::from_secs(7));
    }
}
