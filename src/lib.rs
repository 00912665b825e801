//! The vk-host plugin protocol, version 1: Rust types and gRPC stubs generated
//! from `proto/provider.proto`, which is the specification. Plugin authors use
//! these through `vk-plugin-sdk`, which re-exports them. Beside the
//! protocol, the Kubernetes rules both sides apply: `names` (DNS-1123 names,
//! label keys and values), `quantity` (the quantity grammar and exact
//! arithmetic) and `text` (cutting text to a size).

#![allow(missing_debug_implementations, clippy::large_enum_variant)]

pub mod auth;
pub mod error_chain;
pub mod names;
pub mod quantity;
mod redacted;
pub mod text;
pub mod uds;

/// `vk.provider.v1`: the `PluginIdentity`, `PodLifecycle` and `HostCallbacks`
/// services and their messages.
pub mod v1 {
    tonic::include_proto!("vk.provider.v1");
}

/// The value of `VK_PLUGIN_MAGIC_COOKIE`; a plugin that does not see it was
/// started by hand rather than by vk-host.
pub const MAGIC_COOKIE: &str = "d2a8c4f0-vk-host-plugin";

/// Protocol majors this crate implements.
pub const PROTOCOL_VERSIONS: &[u32] = &[1];

/// Names of the launch environment variables (see the top of the proto file).
pub mod env {
    pub const MAGIC_COOKIE: &str = "VK_PLUGIN_MAGIC_COOKIE";
    pub const PLUGIN_SOCKET: &str = "VK_PLUGIN_SOCKET";
    pub const HOST_SOCKET: &str = "VK_HOST_SOCKET";
    pub const PROTOCOL_VERSIONS: &str = "VK_PLUGIN_PROTOCOL_VERSIONS";
    pub const SECRET_FILE: &str = "VK_PLUGIN_SECRET_FILE";
    pub const CONFIG: &str = "VK_PLUGIN_CONFIG";
    pub const NAME_HINT: &str = "VK_PLUGIN_NAME_HINT";
}

/// gRPC metadata key that carries `Bearer <per-launch secret>` on every call.
pub const AUTHORIZATION_METADATA: &str = "authorization";

/// Default limit of one message in either direction.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Kubernetes' (Go's) name for a Rust target architecture, as
/// `NodeSystemInfo.architecture` and the `kubernetes.io/arch` label use it
/// (`x86_64` → `amd64`).
pub fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::go_arch;

    #[test]
    fn architectures_use_kubernetes_names() {
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
        assert_eq!(go_arch("riscv64"), "riscv64");
    }
}
