#!/usr/bin/env bash
# Builds the real kubelet (k8s.io/kubernetes/cmd/kubelet) of one supported
# Kubernetes version from the Go module proxy, for the side-by-side CRI
# benchmark (`scripts/bench.sh cri-pods --peer kubelet`).
#
#   bench/kubelet/build.sh      prints the path of the binary (last line)
#
# The version is VK_K8S_VERSION if set (one of controlplane/versions.env's
# K8S_SUPPORTED_VERSIONS, full or minor), else the default K8S_VERSION, as for
# the control plane. Cached in
#   ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/kubelet/<version>/kubelet
# and reused while its stamp (versions + a hash of this script) matches.
#
# The module recipe is controlplane/build.sh's: it builds the control plane
# of the same version first (a no-op when cached) and leaves the generated
# module (k8s.io/kubernetes required, each staging module replaced by its
# published v0.X.Y) in its build directory; this script copies that go.mod
# and go.sum, adds cmd/kubelet as a tool and builds it with the same version
# stamping.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/../../controlplane/common.sh
source "$here/../../controlplane/common.sh"

log() { echo "bench/kubelet/build.sh: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
    log "error: Go is not installed or not on PATH; the kubelet ${K8S_VERSION} is built from source (Go 1.24+)"
    exit 1
fi

dir="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/kubelet/${K8S_VERSION}"
binary="$dir/kubelet"
stamp_want="k8s=${K8S_VERSION} staging=${K8S_STAGING_VERSION} script=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
if [[ -x "$binary" && -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp_want" ]]; then
    log "up to date: $binary ($stamp_want)"
    echo "$binary"
    exit 0
fi

# The control plane's generated module of this version.
VK_K8S_VERSION="$K8S_VERSION" "$repo_dir/controlplane/build.sh" >/dev/null
cp_module="$(dirname "$cp_bin")/build/kubernetes"
for f in go.mod go.sum; do
    [[ -f "$cp_module/$f" ]] || { log "error: $cp_module/$f missing after controlplane/build.sh; rebuild the control plane (remove $(dirname "$cp_bin")/bin/.stamp)"; exit 1; }
done

start=$SECONDS
mkdir -p "$dir"
rm -f "$dir/.stamp"
work="$dir/build"
mkdir -p "$work"
sed 's#^module .*#module vkhost.local/kubelet-build#' "$cp_module/go.mod" > "$work/go.mod"
cp "$cp_module/go.sum" "$work/go.sum"

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -trimpath -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
pkg=k8s.io/kubernetes/cmd/kubelet
log "resolving $pkg@${K8S_VERSION}"
(cd "$work" && go get -tool "$pkg@${K8S_VERSION}" >&2 && go mod tidy >&2)

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=1 -X $p.gitMinor=${minor}"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=${build_date}"
done
log "building $pkg ${K8S_VERSION} (a few minutes on a cold cache)"
(cd "$work" && go build -ldflags "$ldflags" -o "$binary.tmp" "$pkg" >&2)
mv "$binary.tmp" "$binary"
echo "$stamp_want" > "$dir/.stamp"
log "built $binary in $((SECONDS - start))s"
echo "$binary"
