#!/usr/bin/env bash
# Runs the benchmarks in release mode; each prints its figures next to a
# baseline measured in the same run.
#   scripts/bench.sh protocol [flags]   plugin protocol overhead
#   scripts/bench.sh pods [flags]       1000 pods on a virtual node (starts a
#                                       private control plane)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bench="${1:-protocol}"
shift || true
if [ "$bench" = pods ]; then controlplane/ensure.sh; fi
cargo build --release -p vk-bench -p vk-mock-plugin -p vk-host
exec target/release/vk-bench "$bench" "$@"
