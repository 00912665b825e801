//! `vk-mock-plugin`: an in-memory vk-host provider for tests and benchmarks
//! of the host. Pods go Pending → Running after a configurable delay, report
//! realistic statuses, produce deterministic synthetic logs, answer exec,
//! attach and port-forward with simple documented behaviour, and fail on
//! demand through pod annotations. See README.md for the configuration.
//!
//! The binary serves [`MockProvider`] through `vk_plugin_sdk::serve_with`;
//! tests may also call the provider in process.

mod clock;
pub mod config;
mod exec;
mod logs;
mod metrics;
mod node;
mod pods;
pub mod pods_file;
mod provider;
mod stats;
mod status;
pub mod volumes;

pub use config::{Config, ConfigError};
pub use provider::MockProvider;
