#!/usr/bin/env bash
# The test command (README): installs and builds what the tests need, checks
# formatting and lints, then runs every test against real processes and a real
# local control plane. Works on a fresh Debian machine with Rust and Go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in cargo go; do
    command -v "$tool" >/dev/null 2>&1 || { echo "scripts/test.sh: error: $tool is not installed (needed to build vk-host and the control plane)" >&2; exit 1; }
done

step() { printf '\n==> %s\n' "$*" >&2; }

step "control plane binaries (cached under ${VK_CACHE_DIR:-$HOME/.cache/vk-host})"
controlplane/ensure.sh

step "containerd, runc, CNI plugins, protoc, busybox-static (Debian packages; tests/tests/cri_env.rs and the k8s-cri build need them)"
scripts/cri-env.sh install

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo build --workspace --bins (tests run the built plugins and vk-host)"
cargo build --workspace --bins

step "cargo test --workspace"
cargo test --workspace
