//! The SPDY/3.1 subset that Kubernetes streams use: the kubelet serves it
//! (kubectl's port-forward reaches vk-host's kubelet API through the API
//! server as SPDY) and dials it (the kubelet's exec and attach to a CRI
//! runtime's streaming server). One connection carries many streams, each
//! with compressed headers, data in both directions, half-close (FIN) and
//! reset; pings are echoed, GOAWAY ends a connection.
//!
//! No maintained Rust crate implements SPDY, so the frames are ours:
//! `frame` is the wire codec, `headers` the zlib header blocks with the
//! SPDY/3 dictionary, `session` the connection with its streams, the same
//! for both sides; [`serve`] accepts the peer's streams, [`dial`] opens ours.

mod dictionary;
mod frame;
mod headers;
mod session;

pub use self::frame::{FrameError, StreamId, status};
pub use self::headers::Headers;
pub use self::session::{
    Client, Ending, OpenError, Stream, StreamClosed, StreamWriter, dial, serve,
};

/// The `Upgrade` token for SPDY/3.1.
pub const UPGRADE: &str = "SPDY/3.1";
/// The header in which clients offer, and the server names, the
/// Kubernetes stream protocol.
pub const PROTOCOL_HEADER: &str = "x-stream-protocol-version";
