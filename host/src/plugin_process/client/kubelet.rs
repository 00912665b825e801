//! The calls behind the kubelet API: container logs, exec, attach,
//! port-forward, stats summary, resource metrics and the plugin's own
//! metrics. Each is optional, so each is behind its capability
//! ([`PluginClient::require`]).

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt as _, TryStreamExt as _};
use vk_proto::v1::{
    Capability, ContainerLogsRequest, ExecInput, ExecOutput, GetMetricsResourceRequest,
    GetMetricsResourceResponse, GetPluginMetricsRequest, GetPluginMetricsResponse,
    GetStatsSummaryRequest, GetStatsSummaryResponse, PortForwardInput, PortForwardOutput,
};

use super::{CallError, PluginClient, PluginStream, with_deadline};

/// The longest a scrape waits for the plugin's own metrics.
pub const PLUGIN_METRICS_DEADLINE: Duration = Duration::from_secs(2);

impl PluginClient {
    /// GetContainerLogs (CAPABILITY_CONTAINER_LOGS): the log as it comes.
    /// A failure within the query deadline (an unknown container, an option
    /// the plugin refuses) is this call's error, so it can still be an HTTP
    /// status; a call still pending then counts as open (a plugin that
    /// sends headers with its first chunk says nothing for `follow` on a
    /// quiet container), and a later failure ends the stream.
    pub async fn container_logs(
        &self,
        request: ContainerLogsRequest,
    ) -> Result<PluginStream<Bytes>, CallError> {
        self.require(Capability::ContainerLogs)?;
        let mut lifecycle = self.lifecycle.clone();
        let chunks = self
            .stream_failing_early("GetContainerLogs", self.deadlines.query, async move {
                lifecycle.get_container_logs(request).await
            })
            .await?;
        Ok(chunks.map_ok(|chunk| chunk.data).boxed())
    }

    /// Exec (CAPABILITY_EXEC): `input` starts with `start`, then carries
    /// stdin, resizes and stdin's close; the output ends with the exit. No
    /// deadline: a session lasts as long as the command. Dropping the
    /// stream cancels the session in the plugin.
    pub fn exec(
        &self,
        input: impl Stream<Item = ExecInput> + Send + 'static,
    ) -> Result<PluginStream<ExecOutput>, CallError> {
        self.require(Capability::Exec)?;
        let mut lifecycle = self.lifecycle.clone();
        Ok(self.stream("Exec", async move { lifecycle.exec(input).await }))
    }

    /// Attach (CAPABILITY_ATTACH): as [`Self::exec`], to the container's
    /// main process.
    pub fn attach(
        &self,
        input: impl Stream<Item = ExecInput> + Send + 'static,
    ) -> Result<PluginStream<ExecOutput>, CallError> {
        self.require(Capability::Attach)?;
        let mut lifecycle = self.lifecycle.clone();
        Ok(self.stream("Attach", async move { lifecycle.attach(input).await }))
    }

    /// PortForward (CAPABILITY_PORT_FORWARD): one TCP connection into the
    /// pod; `input` starts with `start`, and its end half-closes the
    /// connection. The stream ends when the pod's side closes.
    pub fn port_forward(
        &self,
        input: impl Stream<Item = PortForwardInput> + Send + 'static,
    ) -> Result<PluginStream<PortForwardOutput>, CallError> {
        self.require(Capability::PortForward)?;
        let mut lifecycle = self.lifecycle.clone();
        Ok(self.stream(
            "PortForward",
            async move { lifecycle.port_forward(input).await },
        ))
    }

    /// GetStatsSummary (CAPABILITY_STATS_SUMMARY), with the query deadline.
    pub async fn get_stats_summary(&self) -> Result<GetStatsSummaryResponse, CallError> {
        self.require(Capability::StatsSummary)?;
        self.observed("GetStatsSummary", async {
            let reply = self
                .lifecycle
                .clone()
                .get_stats_summary(with_deadline(
                    GetStatsSummaryRequest {},
                    self.deadlines.query,
                ))
                .await
                .map_err(self.status_error("GetStatsSummary"))?;
            Ok(reply.into_inner())
        })
        .await
    }

    /// GetMetricsResource (CAPABILITY_METRICS_RESOURCE), with the query
    /// deadline.
    pub async fn get_metrics_resource(&self) -> Result<GetMetricsResourceResponse, CallError> {
        self.require(Capability::MetricsResource)?;
        self.observed("GetMetricsResource", async {
            let reply = self
                .lifecycle
                .clone()
                .get_metrics_resource(with_deadline(
                    GetMetricsResourceRequest {},
                    self.deadlines.query,
                ))
                .await
                .map_err(self.status_error("GetMetricsResource"))?;
            Ok(reply.into_inner())
        })
        .await
    }

    /// GetPluginMetrics (CAPABILITY_PLUGIN_METRICS), called at a scrape of
    /// the host's `/metrics`: the query deadline, but at most
    /// [`PLUGIN_METRICS_DEADLINE`] (a scrape has its own timeout, and the
    /// host's families must not wait on the plugin's).
    pub async fn get_plugin_metrics(&self) -> Result<GetPluginMetricsResponse, CallError> {
        self.require(Capability::PluginMetrics)?;
        let deadline = self.deadlines.query.min(PLUGIN_METRICS_DEADLINE);
        self.observed("GetPluginMetrics", async {
            let mut lifecycle = self.lifecycle.clone();
            let call =
                lifecycle.get_plugin_metrics(with_deadline(GetPluginMetricsRequest {}, deadline));
            // The deadline travels with the request; this bounds a plugin
            // (or transport) that ignores it.
            let reply = tokio::time::timeout(deadline, call)
                .await
                .unwrap_or_else(|_| {
                    Err(tonic::Status::deadline_exceeded(format!(
                        "no answer within {deadline:?}"
                    )))
                })
                .map_err(self.status_error("GetPluginMetrics"))?;
            Ok(reply.into_inner())
        })
        .await
    }
}
