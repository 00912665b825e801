//! The one exposition both `/metrics` endpoints serve: the host's registry
//! (the `vk_host_` families and the process families), then the plugin's
//! families, then `# EOF`, as OpenMetrics 1.0.0 text.
//!
//! OpenMetrics is served whatever the `Accept` header asks: Prometheus
//! accepts it (and asks for it first), and a second, 0.0.4 encoding of the
//! same registry would only be a second thing to keep right.

use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE as CONTENT_TYPE_HEADER;

use crate::plugin_process::{PluginClient, PluginWatch};

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The whole exposition, ending in `# EOF`.
pub async fn render(client: Option<&PluginClient>) -> String {
    let mut out = String::new();
    if let Err(error) =
        prometheus_client::encoding::text::encode_registry(&mut out, super::global().registry())
    {
        // Only a collector can fail, and writing to a String does not.
        tracing::warn!(%error, "encoding the host's metrics failed");
    }
    super::plugin_export::append(client, &mut out).await;
    out.push_str("# EOF\n");
    out
}

/// [`render`] for the running plugin (if any), as an HTTP response.
pub async fn response(plugin: &PluginWatch) -> Response {
    let client = plugin.client.borrow().clone();
    let text = render(client.as_ref()).await;
    ([(CONTENT_TYPE_HEADER, CONTENT_TYPE)], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_exposition_has_the_host_and_process_families_and_ends_in_eof() {
        super::super::global().kube.observe_request(
            &http::Method::GET,
            "/api/v1/nodes/n",
            None,
            Some(http::StatusCode::OK),
            0.002,
        );
        let text = render(None).await;
        assert!(text.ends_with("\n# EOF\n"), "{text}");
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
        for family in [
            "# TYPE vk_host_kube_api_requests counter",
            "# TYPE vk_host_kube_api_request_duration_seconds histogram",
            "# TYPE vk_host_kubelet_api_streaming_sessions gauge",
            "# TYPE process_cpu_seconds counter",
            "# TYPE process_resident_memory_bytes gauge",
        ] {
            assert!(text.contains(family), "{family} missing in:\n{text}");
        }
    }
}
