#!/usr/bin/env bash
# build.sh OUT: builds vk-fargate-plugin (go build -trimpath) to the file OUT.
set -euo pipefail
if [[ $# -ne 1 ]]; then
    echo "usage: plugins/fargate/build.sh OUT (the path of the binary to write)" >&2
    exit 2
fi
out="$1"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v go >/dev/null 2>&1; then
    echo "plugins/fargate/build.sh: error: go is not installed (Go 1.26 or newer is needed)" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
cd "$here"
CGO_ENABLED=0 go build -trimpath -o "$out" ./cmd/vk-fargate-plugin
