#!/usr/bin/env bash
# generate.sh [--check]: regenerates the Python stubs of proto/provider.proto
# into src/vk_plugin_sdk/proto (messages, gRPC stubs, and .pyi type stubs
# from mypy-protobuf) with the pinned grpcio-tools of requirements-tools.txt.
# With --check it generates into a temporary directory instead and fails
# if the committed stubs differ.
#
# The proto is compiled as vk_plugin_sdk/proto/provider.proto so that the
# generated modules import each other by their package path
# (`from vk_plugin_sdk.proto import provider_pb2`), not as top-level modules.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

check=false
case "${1:-}" in
    --check) check=true ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

python="$(vk_python)"
install_tools() {
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
        --no-deps --requirement "$here/requirements-tools.txt"
}
tools="${VK_PYTHON_TOOLS:-$(vk_cached_venv tools "$(cd "$here" && vk_hash_inputs "$python" requirements-tools.txt)" install_tools)}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in/vk_plugin_sdk/proto" "$work/out"
cp "$repo/proto/provider.proto" "$work/in/vk_plugin_sdk/proto/provider.proto"
(
    cd "$work/in"
    "$tools/bin/python" -m grpc_tools.protoc -I . \
        --plugin=protoc-gen-mypy="$tools/bin/protoc-gen-mypy" \
        --plugin=protoc-gen-mypy_grpc="$tools/bin/protoc-gen-mypy_grpc" \
        --python_out="$work/out" --grpc_python_out="$work/out" \
        --mypy_out="$work/out" --mypy_grpc_out="$work/out" \
        vk_plugin_sdk/proto/provider.proto
)
generated="$work/out/vk_plugin_sdk/proto"
cat >"$generated/__init__.py" <<'INIT'
"""Generated from proto/provider.proto by plugin-sdk/python/generate.sh; do not edit."""
INIT

target="$here/src/vk_plugin_sdk/proto"
if $check; then
    if ! diff -r -x __pycache__ "$generated" "$target"; then
        echo "plugin-sdk/python: the committed stubs in src/vk_plugin_sdk/proto differ from proto/provider.proto: run plugin-sdk/python/generate.sh" >&2
        exit 1
    fi
    echo "plugin-sdk/python: the committed stubs match proto/provider.proto" >&2
else
    rm -rf "$target"
    mkdir -p "$target"
    cp "$generated"/* "$target/"
    echo "plugin-sdk/python: wrote $(cd "$target" && ls | tr '\n' ' ')to src/vk_plugin_sdk/proto" >&2
fi
