#!/usr/bin/env bash
# The main job on a local default: a real local control plane (controlplane/up.sh,
# state in .cluster/dev) and vk-host supervising the mock plugin, in the
# foreground until Ctrl-C. Stop the control plane with controlplane/down.sh.
#   scripts/run-local.sh [PLUGIN] [-- extra vk-host flags]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
plugin="${1:-target/debug/vk-mock-plugin}"
shift || true
[[ "${1:-}" == "--" ]] && shift

cargo build --workspace --bins
kubeconfig_line="$(controlplane/up.sh)"
eval "$kubeconfig_line"
echo "control plane up: $kubeconfig_line" >&2
exec target/debug/vk-host --plugin "$plugin" --node-name "${VK_NODE_NAME:-vk-local}" "$@"
