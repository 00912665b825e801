#!/usr/bin/env bash
# Builds upstream virtual-kubelet's own CLI (cmd/virtual-kubelet, which
# registers upstream's mock provider) from the Go module proxy, for the
# side-by-side pod benchmark (`scripts/bench.sh pods --peer upstream`).
#
#   bench/upstream/build.sh            prints the path of the binary
#
# Cached in ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/upstream-vk/<version>-<key>/,
# the key being a hash of the build inputs (module, version, Go toolchain,
# GOARCH, this script). Override the version with VK_UPSTREAM_VERSION.
set -euo pipefail

module=github.com/virtual-kubelet/virtual-kubelet
package="$module/cmd/virtual-kubelet"
version="${VK_UPSTREAM_VERSION:-v1.14.1}"
cache="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/upstream-vk"

if ! command -v go >/dev/null 2>&1; then
    echo "bench/upstream/build.sh: 'go' is not on PATH; upstream virtual-kubelet $version is built from source (Go >= 1.26 needed, see $module@$version/go.mod)" >&2
    exit 1
fi

key="$( { echo "$package@$version"; go version; go env GOARCH GOOS; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-12)"
dir="$cache/$version-$key"
binary="$dir/virtual-kubelet"
if [[ -x "$binary" ]]; then
    echo "$binary"
    exit 0
fi

mkdir -p "$dir"
log="$dir/build.log"
started=$(date +%s)
# `go install pkg@version` builds the module exactly as published (its own
# go.mod and go.sum), independent of any module in the working directory.
if ! (cd "$dir" && GOBIN="$dir/bin.tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 \
    go install -trimpath "$package@$version") >"$log" 2>&1; then
    echo "bench/upstream/build.sh: could not build $package@$version (Go module proxy: $(go env GOPROXY)); last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
fi
mv "$dir/bin.tmp/virtual-kubelet" "$binary"
rmdir "$dir/bin.tmp"
echo "built $package@$version in $(( $(date +%s) - started )) s" >>"$log"
echo "$binary"
