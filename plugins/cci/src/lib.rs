//! `vk-cci-plugin`: a vk-host provider that runs each pod of its virtual
//! node as a mirror pod in a namespace of a remote Kubernetes API (Huawei
//! Cloud Container Instance, or any cluster to burst into). Referenced
//! Secrets and ConfigMaps are copied, statuses watched back, logs, exec,
//! attach and port-forward go through the remote API. See README.md.

pub mod config;
mod errors;
mod exec;
mod logs;
pub mod names;
mod objects;
mod port_forward;
mod provider;
mod refs;
mod state;
mod translate;
mod update;

pub use config::Config;
pub use provider::{CciProvider, node_info};
