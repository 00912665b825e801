//! Generates the protocol crate from `proto/provider.proto` with the pure-Rust
//! `protox` compiler, so no system `protoc` is needed.

/// Kept in step with the impls in src/redacted.rs (the build fails without
/// them: every message must implement `Debug`).
const REDACTED: [&str; 8] = [
    ".vk.provider.v1.GetSecretResponse",
    ".vk.provider.v1.GetContainerEnvResponse",
    ".vk.provider.v1.CreateServiceAccountTokenResponse",
    ".vk.provider.v1.CreatePodRequest",
    ".vk.provider.v1.UpdatePodRequest",
    ".vk.provider.v1.DeletePodRequest",
    ".vk.provider.v1.GetPodResponse",
    ".vk.provider.v1.GetPodsResponse",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/provider.proto");
    let descriptors = protox::compile(["proto/provider.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .bytes(".")
        // Messages carrying Secret data, tokens or pods with resolved env:
        // their `Debug` is hand-written in src/redacted.rs so that no `{:?}`
        // anywhere prints the values.
        .skip_debug(REDACTED)
        .compile_fds(descriptors)?;
    Ok(())
}
