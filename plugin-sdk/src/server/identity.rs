//! `PluginIdentity`: the handshake (version choice, identity, capabilities),
//! readiness probe and shutdown request.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::plugin_identity_server::PluginIdentity;
use crate::proto::{
    HandshakeRequest, HandshakeResponse, ProbeRequest, ProbeResponse, ShutdownRequest,
    ShutdownResponse,
};
use crate::provider::{PluginInfo, Provider, Readiness};

pub(crate) struct IdentityService<P> {
    pub(crate) provider: Arc<P>,
    pub(crate) info: PluginInfo,
    pub(crate) shutdown: CancellationToken,
}

#[tonic::async_trait]
impl<P: Provider> PluginIdentity for IdentityService<P> {
    async fn handshake(
        &self,
        request: Request<HandshakeRequest>,
    ) -> Result<Response<HandshakeResponse>, Status> {
        let offered = request.into_inner().protocol_versions;
        let chosen = vk_proto::PROTOCOL_VERSIONS
            .iter()
            .rev()
            .find(|v| offered.contains(v))
            .copied()
            .ok_or_else(|| {
                Status::failed_precondition(format!(
                    "the host offers protocol versions {offered:?}; this plugin speaks {:?}",
                    vk_proto::PROTOCOL_VERSIONS
                ))
            })?;
        Ok(Response::new(HandshakeResponse {
            protocol_version: chosen,
            name: self.info.name.clone(),
            version: self.info.version.clone(),
            capabilities: self
                .provider
                .capabilities()
                .into_iter()
                .map(i32::from)
                .collect(),
        }))
    }

    async fn probe(&self, _: Request<ProbeRequest>) -> Result<Response<ProbeResponse>, Status> {
        let reply = match self.provider.probe().await {
            Readiness::Ready => ProbeResponse {
                ready: true,
                message: String::new(),
            },
            Readiness::NotReady(message) => ProbeResponse {
                ready: false,
                message,
            },
        };
        Ok(Response::new(reply))
    }

    async fn shutdown(
        &self,
        _: Request<ShutdownRequest>,
    ) -> Result<Response<ShutdownResponse>, Status> {
        tracing::info!("the host asked the plugin to shut down");
        self.shutdown.cancel();
        Ok(Response::new(ShutdownResponse {}))
    }
}
