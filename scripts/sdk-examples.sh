#!/usr/bin/env bash
# Builds the example plugins of the Go and Python SDKs.
#
#   scripts/sdk-examples.sh build DIR
#
# writes DIR/vk-go-example-plugin (go build of plugin-sdk/go/example) and
# DIR/vk-python-example-plugin (plugin-sdk/python/build-example.sh: a
# launcher using a virtualenv it makes). Check them with
# `vk-plugin-conformance DIR/vk-go-example-plugin`, run them with
# `vk-host --plugin DIR/vk-go-example-plugin`. Go's build and module caches
# stay where `go env GOCACHE GOMODCACHE` says (outside the work tree).
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { printf 'sdk-examples: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'sdk-examples: %s\n' "$*" >&2; }

usage() {
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

build_go() {
    local out=$1
    command -v go >/dev/null 2>&1 || die "go is not installed (needed for the Go example)"
    log "building $out"
    (cd "$repo_dir/plugin-sdk/go" && go build -o "$out" ./example/cmd/vk-go-example-plugin)
}

build_python() {
    local out=$1 script="$repo_dir/plugin-sdk/python/build-example.sh"
    [[ -x $script ]] || die "$script is missing or not executable"
    log "building $out"
    "$script" "$out"
}

[[ $# -eq 2 && $1 == build ]] || usage
mkdir -p "$2"
dir="$(cd "$2" && pwd)"
build_go "$dir/vk-go-example-plugin"
build_python "$dir/vk-python-example-plugin"
log "built $dir/vk-go-example-plugin and $dir/vk-python-example-plugin"
