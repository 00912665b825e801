#!/usr/bin/env bash
# Runs the benchmarks in release mode; each prints its figures next to a
# baseline measured in the same run.
#   scripts/bench.sh [protocol] [-- extra vk-bench flags]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bench="${1:-protocol}"
shift || true
cargo build --release -p vk-bench -p vk-mock-plugin
exec target/release/vk-bench "$bench" "$@"
