//! Port-forward: one TCP connection carried over the remote API's
//! `pods/portforward` (WebSocket, through kube's `ws`), bridged to the
//! SDK's connection channels.

use bytes::Bytes;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tracing::{debug, warn};
use vk_plugin_sdk::{PortForwardConnection, ProviderError};

use crate::errors;

/// Carries `connection` to `port` of `remote_name` until either side ends.
pub async fn run(
    api: &Api<Pod>,
    remote_name: &str,
    what: &str,
    port: u16,
    connection: PortForwardConnection,
) -> Result<(), ProviderError> {
    let mut forwarder =
        api.portforward(remote_name, &[port])
            .await
            .map_err(|e| match errors::remote(what, e) {
                ProviderError::InvalidArgument(m) => ProviderError::FailedPrecondition(m),
                other => other,
            })?;
    let stream = forwarder
        .take_stream(port)
        .ok_or_else(|| ProviderError::Internal {
            message: format!("{what}: the remote forwarder has no stream for port {port}"),
            source: None,
        })?;
    let PortForwardConnection {
        mut from_client,
        to_client,
    } = connection;
    let remote_error = forwarder.take_error(port);
    let (mut reader, mut writer) = tokio::io::split(stream);
    let upstream = async {
        while let Some(chunk) = from_client.recv().await {
            if writer.write_all(&chunk).await.is_err() {
                return;
            }
        }
        // The client closed its side.
        let _ = writer.shutdown().await;
    };
    let downstream = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if to_client
                        .send(Bytes::copy_from_slice(&buffer[..n]))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    };
    // The connection ends when the remote side does; the client's end of
    // file only half-closes.
    tokio::pin!(upstream);
    let ended = tokio::select! {
        () = downstream => "remote",
        () = &mut upstream => "client",
    };
    let error = match remote_error {
        Some(error) => tokio::time::timeout(std::time::Duration::from_millis(200), error)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    forwarder.abort();
    let joined = forwarder.join().await;
    match (error, joined) {
        (None, Ok(())) => debug!(what, ended, "port-forward connection ended"),
        (error, joined) => warn!(
            what,
            ended,
            remote_error = ?error,
            forwarder = ?joined.err().map(|e| e.to_string()),
            "port-forward connection ended with an error"
        ),
    }
    Ok(())
}
