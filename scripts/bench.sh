#!/usr/bin/env bash
# Runs the benchmarks in release mode; each prints its figures next to a
# baseline measured in the same run.
#   scripts/bench.sh protocol [flags]   plugin protocol overhead
#   scripts/bench.sh pods [flags]       1000 pods on a virtual node (starts a
#                                       private control plane)
#   scripts/bench.sh pods --peer upstream [--rounds N] [flags]
#                                       the same next to upstream
#                                       virtual-kubelet (built and cached by
#                                       bench/upstream/build.sh)
#   scripts/bench.sh cri-pods [flags]   pod start latency on vk-cri-plugin
#                                       (root; an isolated containerd too)
#   scripts/bench.sh cri-pods --peer kubelet [--rounds N] [flags]
#                                       the same next to the real kubelet of
#                                       the control plane's version (built and
#                                       cached by bench/kubelet/build.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bench="${1:-protocol}"
shift || true
case "$bench" in
    pods)
        controlplane/ensure.sh --selected
        for arg in "$@"; do
            if [[ "$arg" == --peer || "$arg" == --peer=* ]]; then
                VK_UPSTREAM_VK="$(bench/upstream/build.sh)"
                export VK_UPSTREAM_VK
                break
            fi
        done
        ;;
    cri-pods)
        controlplane/ensure.sh --selected
        scripts/cri-env.sh install
        for arg in "$@"; do
            if [[ "$arg" == --peer || "$arg" == --peer=* ]]; then
                VK_KUBELET="$(bench/kubelet/build.sh)"
                export VK_KUBELET
                break
            fi
        done
        ;;
esac
cargo build --release -p vk-bench -p vk-mock-plugin -p vk-host -p vk-cri-plugin
exec target/release/vk-bench "$bench" "$@"
