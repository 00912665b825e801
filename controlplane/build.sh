#!/usr/bin/env bash
# Build the control-plane binaries (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd) of one Kubernetes version from their Go
# modules into the cache:
#   ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/controlplane/<k8s>-etcd<etcd>/bin/
# The version is VK_K8S_VERSION if set (one of versions.env's
# K8S_SUPPORTED_VERSIONS), else the default K8S_VERSION; ensure.sh builds
# them all. Reuses them when the stamp file says they were built at these versions.
# Prints the bin directory on stdout (last line); progress goes to stderr.
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

log() { echo "controlplane/build.sh: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
    log "error: Go is not installed or not on PATH; install Go 1.24+ (https://go.dev/dl/) and re-run"
    exit 1
fi

bin="$cp_bin"
dest="$(dirname "$bin")"
stamp="$bin/.stamp"

if cp_binaries_ok; then
    log "up to date: $cp_stamp_want in $bin"
    echo "$bin"
    exit 0
fi

start=$SECONDS
mkdir -p "$bin"
rm -f "$stamp"
work="$dest/build"
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -trimpath -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

# --- Kubernetes -------------------------------------------------------------
# k8s.io/kubernetes cannot be required as-is: its go.mod replaces every staging
# module (k8s.io/api, ...) with ./staging/src/..., which a dependent module
# ignores. So a generated module requires it and replaces each staging module
# with its published version.
kdir="$work/kubernetes"
mkdir -p "$kdir"
log "resolving k8s.io/kubernetes@${K8S_VERSION}"
kmod_file="$(cd "$kdir" && go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "$kmod_file" || ! -f "$kmod_file" ]]; then
    log "error: could not download k8s.io/kubernetes@${K8S_VERSION} from the Go module proxy ($(go env GOPROXY))"
    exit 1
fi
staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9.-]*\) => \./staging/src/.*#\1#p' "$kmod_file" | sort -u)"
if [[ -z "$staging" ]]; then
    log "error: found no staging replace directives in $kmod_file; the build recipe needs updating"
    exit 1
fi
{
    echo "module vkhost.local/controlplane-build"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$kmod_file")"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    for m in $staging; do echo "	$m => $m ${K8S_STAGING_VERSION}"; done
    echo ")"
} > "$kdir/go.mod"
rm -f "$kdir/go.sum"

k8s_pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
          k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
log "resolving the module graph"
(cd "$kdir" && for p in "${k8s_pkgs[@]}"; do go get -tool "$p@${K8S_VERSION}" >&2; done && go mod tidy >&2)

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=${K8S_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${build_date}"
done
log "building ${k8s_pkgs[*]} (this takes a while on a cold cache)"
(cd "$kdir" && go build -ldflags "$ldflags" -o "$bin/" "${k8s_pkgs[@]}" >&2)

# --- etcd -------------------------------------------------------------------
# A separate module so etcd's dependency versions do not shift Kubernetes' ones.
edir="$work/etcd"
mkdir -p "$edir"
cat > "$edir/main.go" <<'GO'
// Command etcd is the etcd server, built from the go.etcd.io/etcd/server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
cat > "$edir/go.mod" <<GOMOD
module vkhost.local/etcd-build

go 1.24

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
GOMOD
rm -f "$edir/go.sum"
log "building etcd ${ETCD_VERSION}"
(cd "$edir" && go mod tidy >&2 && go build -ldflags "-s -w" -o "$bin/etcd" . >&2)

for t in "${cp_tools[@]}"; do
    [[ -x "$bin/$t" ]] || { log "error: $bin/$t was not produced"; exit 1; }
done
echo "$cp_stamp_want" > "$stamp"
log "built $cp_stamp_want into $bin in $((SECONDS - start))s"
echo "$bin"
