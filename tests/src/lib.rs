//! Shared harness for the end-to-end tests in `tests/tests/`: a real local
//! control plane per test binary, and helpers to run real processes.

pub mod cluster;
pub mod cri_env;
pub mod cri_node;
pub mod mock_node;
pub mod openmetrics;
pub mod port_forward;
pub mod processes;
pub mod registry;
pub mod spdy_client;
pub mod virtual_node;
