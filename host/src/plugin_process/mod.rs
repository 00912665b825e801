//! Plugin processes: launch with a private directory, secret and allowlisted
//! environment; handshake; a typed client with deadlines and size limits;
//! health probes; restart with backoff; graceful stop; one plugin per node
//! even across a host killed and restarted at once (`fence`).

mod backoff;
mod client;
mod error;
mod fence;
mod handshake;
mod health;
mod launch;
mod output;
mod process;
mod retry;
mod supervisor;
mod user;

pub use backoff::BackoffPolicy;
pub use client::{CallError, Deadlines, MessageLimit, PluginClient, PluginIdentity, PluginStream};
pub use error::PluginError;
pub use handshake::handshake;
pub use health::{HealthPolicy, ProbeOutcome};
pub use launch::{
    ENV_ALLOWLIST, LaunchedPlugin, PluginEnv, PluginSpec, default_runtime_dir, launch, launch_with,
    reserved_env_name,
};
pub use retry::{CallKind, Retry, classify};
pub use supervisor::{Phase, PluginStatus, PluginWatch, Supervisor, SupervisorConfig};
pub use user::{PluginUser, UserError};
