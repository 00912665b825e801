//! Watches this one Node (field selector `metadata.name=<node>`) so that the
//! controller sees at once when someone deletes it, or edits the labels and
//! taints vk-host owns. The latest view is published on a `watch`.

use std::sync::Arc;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::runtime::watcher::{self, Event};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// What the watch says about the Node.
#[derive(Debug, Clone, Default)]
pub enum NodeView {
    /// The first list has not completed.
    #[default]
    Unknown,
    /// There is no such Node; `deleted_uid` names the one just deleted, if a
    /// deletion was seen (rather than a list without it).
    Absent {
        deleted_uid: Option<String>,
    },
    Present(Arc<Node>),
}

/// Runs until `token` is cancelled. Watch errors are retried with a fresh
/// list, within seconds once the API server answers (`apiserver::watch`).
pub async fn observe(
    api: Api<Node>,
    name: String,
    view: watch::Sender<NodeView>,
    token: CancellationToken,
) {
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let stream = crate::apiserver::watch(api, config);
    futures::pin_mut!(stream);
    let mut listed: Option<Node> = None;
    loop {
        let event = tokio::select! {
            () = token.cancelled() => return,
            event = stream.next() => event,
        };
        match event {
            Some(Ok(Event::Apply(node))) => {
                view.send_replace(NodeView::Present(Arc::new(node)));
            }
            Some(Ok(Event::Delete(node))) => {
                view.send_replace(NodeView::Absent {
                    deleted_uid: node.metadata.uid,
                });
            }
            Some(Ok(Event::Init)) => listed = None,
            Some(Ok(Event::InitApply(node))) => listed = Some(node),
            Some(Ok(Event::InitDone)) => {
                view.send_replace(match listed.take() {
                    Some(node) => NodeView::Present(Arc::new(node)),
                    None => NodeView::Absent { deleted_uid: None },
                });
            }
            Some(Err(error)) => {
                tracing::warn!(node = %name, error = %error, "watching the Node failed; retrying");
            }
            None => {
                tracing::warn!(node = %name, "the Node watch ended");
                return;
            }
        }
    }
}
