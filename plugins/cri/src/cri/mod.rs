//! The container runtime, spoken to over CRI v1 (`k8s_cri::v1`): connecting
//! to containerd's Unix socket and checking that it speaks CRI v1. The rest
//! of the plugin uses the generated clients through [`Runtime`].

mod connect;
mod error_text;

pub use connect::{ConnectError, Runtime, RuntimeVersion};
pub use error_text::grpc_error_text;
