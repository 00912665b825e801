#!/usr/bin/env bash
# Regenerates the Go stubs of proto/provider.proto into providerv1/, with
# pinned protoc-gen-go and protoc-gen-go-grpc (installed with `go install`
# into ${VK_CACHE_DIR:-~/.cache/vk-host}/go-tools/, outside the work tree) and
# Debian's protoc (package protobuf-compiler; scripts/cri-env.sh install
# installs it).
#
#   plugin-sdk/go/generate.sh           rewrite providerv1/*.pb.go
#   plugin-sdk/go/generate.sh --check   generate into a temporary directory and
#                                       fail if the committed stubs differ
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.12      # google.golang.org/protobuf, as in go.mod
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2   # google.golang.org/grpc/cmd/protoc-gen-go-grpc
GO_PACKAGE=github.com/vk-host/vk-host/plugin-sdk/go/providerv1

sdk_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "$sdk_dir/../.." && pwd)"
tools="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/go-tools/gen-go-${PROTOC_GEN_GO_VERSION}-grpc-${PROTOC_GEN_GO_GRPC_VERSION}"

die() { printf 'generate.sh: error: %s\n' "$*" >&2; exit 1; }

mode=write
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    *) die "unknown argument ${1}; usage: generate.sh [--check]" ;;
esac

command -v protoc >/dev/null 2>&1 \
    || die "protoc is not installed: apt-get install protobuf-compiler (scripts/cri-env.sh install does)"
command -v go >/dev/null 2>&1 || die "go is not installed"

if [[ ! -x "$tools/protoc-gen-go" || ! -x "$tools/protoc-gen-go-grpc" ]]; then
    mkdir -p "$tools"
    # Outside any module, so the work tree's go.mod and go.sum stay as they are.
    for tool in "google.golang.org/protobuf/cmd/protoc-gen-go@${PROTOC_GEN_GO_VERSION}" \
        "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC_VERSION}"; do
        (cd "$tools" && GOBIN="$tools" GOFLAGS=-mod=mod go install "$tool")
    done
fi

out="$sdk_dir/providerv1"
if [[ $mode == check ]]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

# protoc's version is written into the stubs' header; Debian's is what the
# committed ones name. The check compares the code, not that comment line.
PATH="$tools:$PATH" protoc \
    --proto_path="$repo_dir/proto" \
    --go_out="$out" --go_opt=paths=source_relative \
    --go_opt="Mprovider.proto=$GO_PACKAGE" \
    --go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
    --go-grpc_opt="Mprovider.proto=$GO_PACKAGE" \
    provider.proto

if [[ $mode == check ]]; then
    strip() { grep -vE '^//.*protoc +v[0-9]' "$1"; }
    stale=0
    for file in provider.pb.go provider_grpc.pb.go; do
        if ! diff -q <(strip "$out/$file") <(strip "$sdk_dir/providerv1/$file") >/dev/null 2>&1; then
            printf 'generate.sh: plugin-sdk/go/providerv1/%s differs from what proto/provider.proto generates\n' "$file" >&2
            stale=1
        fi
    done
    [[ $stale -eq 0 ]] || die "the committed Go stubs are stale: run plugin-sdk/go/generate.sh and commit the result"
    echo "generate.sh: the Go stubs match proto/provider.proto" >&2
else
    echo "generate.sh: wrote $out/provider.pb.go and provider_grpc.pb.go" >&2
fi
