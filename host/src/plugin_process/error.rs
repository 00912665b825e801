//! Why a plugin could not be started or talked to. Every variant is one
//! sentence a user can act on, naming the plugin and the cause.

use std::path::PathBuf;
use std::time::Duration;

/// A failure to launch, handshake with, or supervise a plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugin {path} does not exist")]
    Missing { path: PathBuf },
    #[error("plugin {path} is not an executable file ({why})")]
    NotExecutable { path: PathBuf, why: String },
    #[error("plugin {path} could not be started")]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("preparing the private directory for plugin {path}")]
    Rendezvous {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "plugin {path} cannot run as --plugin-user {user}: it cannot enter {blocked}; \
         choose a --runtime-dir whose every parent it may search (o+x)"
    )]
    RuntimeDirUnreachable {
        path: PathBuf,
        user: String,
        blocked: String,
    },
    #[error("plugin {path} exited with {status} before its handshake (last stderr: {stderr_tail})")]
    ExitedBeforeHandshake {
        path: PathBuf,
        status: String,
        stderr_tail: String,
    },
    #[error(
        "plugin {path} did not bind its socket {socket} within {timeout:?}; \
         is it a vk-host plugin? (last stderr: {stderr_tail})"
    )]
    SocketNeverBound {
        path: PathBuf,
        socket: PathBuf,
        timeout: Duration,
        stderr_tail: String,
    },
    #[error(
        "plugin {path} did not answer its handshake within {timeout:?} (last stderr: {stderr_tail})"
    )]
    HandshakeTimeout {
        path: PathBuf,
        timeout: Duration,
        stderr_tail: String,
    },
    #[error(
        "plugin {path} does not speak the vk-host plugin protocol: {detail} \
         (is it a gRPC server of vk.provider.v1.PluginIdentity?)"
    )]
    NotTheProtocol { path: PathBuf, detail: String },
    #[error("plugin {path} speaks protocol version {chosen}, but vk-host speaks {offered:?}")]
    WrongProtocolVersion {
        path: PathBuf,
        chosen: u32,
        offered: Vec<u32>,
    },
    #[error("plugin {path} refused the handshake: {message}")]
    HandshakeRefused { path: PathBuf, message: String },
    #[error("plugin {path} gave an invalid handshake reply: {why}")]
    InvalidHandshake { path: PathBuf, why: String },
    #[error("cannot use {path}, which keeps one plugin per node, for node {node}")]
    NodeLock {
        node: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another vk-host for node {node} still holds {path} after {waited:?}: one node is \
         served by one host (stop the other, or give this one another --node-name)"
    )]
    NodeTaken {
        node: String,
        path: PathBuf,
        waited: Duration,
    },
}
