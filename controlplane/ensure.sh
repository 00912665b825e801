#!/usr/bin/env bash
# Make sure everything the local control plane needs is on this machine:
# openssl and curl (Debian packages, installed with apt-get when missing) and
# the pinned binaries (controlplane/build.sh, a no-op when they are cached).
#   controlplane/ensure.sh              every supported version (versions.env; CI)
#   controlplane/ensure.sh VERSION...   only those (e.g. v1.35.4 or v1.35)
#   controlplane/ensure.sh --selected   only the selected one (VK_K8S_VERSION, else
#                                       the default): what up.sh, bench.sh and chaos.sh use
# Idempotent; the test script runs it before cargo test.
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

missing=()
for tool in openssl curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if (( ${#missing[@]} )); then
    sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    command -v apt-get >/dev/null || { echo "controlplane/ensure.sh: error: ${missing[*]} missing and apt-get not available; install them with your package manager" >&2; exit 1; }
    echo "controlplane/ensure.sh: installing ${missing[*]} with apt-get" >&2
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi

versions=("$@")
if [[ "${1:-}" == --selected ]]; then
    versions=("$K8S_VERSION")
elif (( ${#versions[@]} == 0 )); then
    versions=("${cp_supported_versions[@]}")
fi
for v in "${versions[@]}"; do
    v="$(cp_resolve_version "$v")"
    VK_K8S_VERSION="$v" "$cp_dir/build.sh" >/dev/null
done
