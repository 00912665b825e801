//! From a started process to a [`PluginClient`]: wait for the socket, dial,
//! call `Handshake`, check the version and the reply. Each way this can fail
//! becomes one [`PluginError`] that names the cause.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;
use tonic::Code;
use vk_proto::auth::AddSecret;
use vk_proto::v1::{Capability, HandshakeRequest};

use super::client::{
    Deadlines, MessageLimit, PluginClient, PluginIdentity, identity_client, with_deadline,
};
use super::error::PluginError;
use super::launch::LaunchedPlugin;

/// How often the socket is looked for while the plugin starts.
const POLL: Duration = Duration::from_millis(20);

/// Waits for the plugin's socket and performs the handshake, all within
/// `deadlines.handshake`.
pub async fn handshake(
    plugin: &mut LaunchedPlugin,
    node_name: &str,
    deadlines: Deadlines,
    limit: MessageLimit,
) -> Result<PluginClient, PluginError> {
    let timeout = deadlines.handshake;
    let deadline = Instant::now() + timeout;
    let secret = AddSecret::new(&plugin.secret).map_err(|s| PluginError::InvalidHandshake {
        path: plugin.path.clone(),
        why: s.message().to_owned(),
    })?;
    let channel = loop {
        exited_early(plugin).await?;
        if plugin.plugin_socket.exists()
            && let Ok(channel) = vk_proto::uds::connect(&plugin.plugin_socket).await
        {
            break channel;
        }
        if Instant::now() >= deadline {
            return Err(PluginError::SocketNeverBound {
                path: plugin.path.clone(),
                socket: plugin.plugin_socket.clone(),
                timeout,
                stderr_tail: plugin.stderr_tail.render(),
            });
        }
        tokio::time::sleep(POLL).await;
    };

    let offered = vk_proto::PROTOCOL_VERSIONS.to_vec();
    let request = HandshakeRequest {
        protocol_versions: offered.clone(),
        host_version: env!("CARGO_PKG_VERSION").to_owned(),
        node_name: node_name.to_owned(),
    };
    let remaining = deadline.saturating_duration_since(Instant::now());
    let mut client = identity_client(channel.clone(), secret.clone(), limit);
    let call = client.handshake(with_deadline(request, remaining));
    let reply = tokio::select! {
        reply = tokio::time::timeout(remaining, call) => reply,
        status = plugin.child.wait() => {
            return Err(exited(plugin, status).await);
        }
    };
    let reply = match reply {
        Err(_) => {
            return Err(PluginError::HandshakeTimeout {
                path: plugin.path.clone(),
                timeout,
                stderr_tail: plugin.stderr_tail.render(),
            });
        }
        Ok(Err(status)) => return Err(refused(plugin, status).await),
        Ok(Ok(reply)) => reply.into_inner(),
    };
    if !offered.contains(&reply.protocol_version) {
        return Err(PluginError::WrongProtocolVersion {
            path: plugin.path.clone(),
            chosen: reply.protocol_version,
            offered,
        });
    }
    if reply.name.is_empty() {
        return Err(PluginError::InvalidHandshake {
            path: plugin.path.clone(),
            why: "`name` is empty".into(),
        });
    }
    // Unknown capability numbers come from newer plugins; they are ignored.
    let capabilities: HashSet<Capability> = reply
        .capabilities
        .iter()
        .filter_map(|c| Capability::try_from(*c).ok())
        .filter(|c| *c != Capability::Unspecified)
        .collect();
    let identity = PluginIdentity {
        name: reply.name,
        version: reply.version,
        protocol_version: reply.protocol_version,
        capabilities,
    };
    tracing::info!(
        plugin = %identity.name,
        version = %identity.version,
        protocol = identity.protocol_version,
        capabilities = ?identity.capabilities.iter().map(|c| c.as_str_name()).collect::<Vec<_>>(),
        "plugin handshake complete"
    );
    Ok(PluginClient::new(
        channel, secret, identity, deadlines, limit,
    ))
}

async fn exited_early(plugin: &mut LaunchedPlugin) -> Result<(), PluginError> {
    match plugin.child.try_wait() {
        Ok(Some(status)) => Err(exited(plugin, Ok(status)).await),
        _ => Ok(()),
    }
}

async fn exited(
    plugin: &LaunchedPlugin,
    status: std::io::Result<std::process::ExitStatus>,
) -> PluginError {
    // Every last line the plugin wrote, unless a child of it keeps stderr.
    plugin.stderr_tail.wait_ended(Duration::from_secs(2)).await;
    PluginError::ExitedBeforeHandshake {
        path: plugin.path.clone(),
        status: match status {
            Ok(status) => status.to_string(),
            Err(e) => format!("unknown status ({e})"),
        },
        stderr_tail: plugin.stderr_tail.render(),
    }
}

async fn refused(plugin: &mut LaunchedPlugin, status: tonic::Status) -> PluginError {
    // A plugin that crashed mid-handshake is reported as an early exit.
    if let Ok(Ok(exit)) =
        tokio::time::timeout(Duration::from_millis(200), plugin.child.wait()).await
    {
        return exited(plugin, Ok(exit)).await;
    }
    let path = plugin.path.clone();
    match status.code() {
        Code::FailedPrecondition => PluginError::HandshakeRefused {
            path,
            message: status.message().to_owned(),
        },
        Code::Unimplemented => PluginError::NotTheProtocol {
            path,
            detail: "it does not serve vk.provider.v1.PluginIdentity/Handshake".into(),
        },
        Code::Unauthenticated => PluginError::HandshakeRefused {
            path,
            message: format!("it refused the per-launch secret: {}", status.message()),
        },
        _ => PluginError::NotTheProtocol {
            path,
            detail: format!("{}: {}", status.code(), status.message()),
        },
    }
}
