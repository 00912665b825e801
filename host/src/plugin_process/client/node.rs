//! The node information calls the node controller makes
//! (CAPABILITY_NODE_INFO): one read, and the stream of changes.

use vk_proto::v1::{Capability, GetNodeInfoRequest, NodeInfo, WatchNodeInfoRequest};

use super::{CallError, PluginClient, PluginStream, with_deadline};

impl PluginClient {
    pub async fn get_node_info(&self) -> Result<NodeInfo, CallError> {
        self.require(Capability::NodeInfo)?;
        self.observed("GetNodeInfo", async {
            let reply = self
                .lifecycle
                .clone()
                .get_node_info(with_deadline(GetNodeInfoRequest {}, self.deadlines.query))
                .await
                .map_err(self.status_error("GetNodeInfo"))?;
            Ok(reply.into_inner())
        })
        .await
    }

    /// The plugin's node information stream (CAPABILITY_NODE_INFO): the
    /// current NodeInfo at once, then every change. See [`PluginStream`].
    pub fn watch_node_info(&self) -> Result<PluginStream<NodeInfo>, CallError> {
        self.require(Capability::NodeInfo)?;
        let mut lifecycle = self.lifecycle.clone();
        Ok(self.stream("WatchNodeInfo", async move {
            lifecycle.watch_node_info(WatchNodeInfoRequest {}).await
        }))
    }
}
