#!/usr/bin/env bash
# The chaos test (tests/tests/chaos.rs) as a soak run: pods created and
# deleted continuously on a virtual node with the mock plugin, on a private
# control plane, while the plugin is SIGKILLed (3 times a round), vk-host is
# SIGKILLed and restarted at once, and kube-apiserver restarts; after every
# fault the API and the plugin must agree again (no pod lost, duplicated,
# orphaned or stuck; pods the plugin lost Failed with reason ProviderLost).
# It prints the time to that agreement after each fault, then the median and
# the maximum per kind of fault ("chaos: ..." lines).
#
# CI runs one round (about a minute). Here, by default, 20 rounds and at
# least 15 minutes, 20 pods per fault. Environment (read by the test):
#   VK_CHAOS_ROUNDS   rounds of the three faults (default here 20; test: 1)
#   VK_CHAOS_MINUTES  keep starting rounds until this long has passed
#                     (default here 15; test: 0)
#   VK_CHAOS_PODS     pods created per fault, half as many deleted
#                     (default here 20; test: 8)
# Usage: scripts/chaos.sh            (or VK_CHAOS_ROUNDS=100 scripts/chaos.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export VK_CHAOS_ROUNDS="${VK_CHAOS_ROUNDS:-20}"
export VK_CHAOS_MINUTES="${VK_CHAOS_MINUTES:-15}"
export VK_CHAOS_PODS="${VK_CHAOS_PODS:-20}"
controlplane/ensure.sh --selected
cargo build --workspace --bins
exec cargo test -p vk-tests --test chaos -- --nocapture
