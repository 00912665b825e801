#!/usr/bin/env bash
# build-example.sh OUT_PATH: makes OUT_PATH an executable launcher of the
# example plugin (example/), for `vk-host --plugin OUT_PATH` and
# `vk-plugin-conformance OUT_PATH`. The plugin runs in a virtualenv holding
# the SDK and the example, installed from this directory with every
# dependency pinned (constraints.txt), cached under
# ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/python/example-<hash of the sources>
# and reused while they are unchanged. Needs Python 3.11+ ($PYTHON or
# python3) and PyPI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

if [[ $# -ne 1 || "$1" == -* ]]; then
    echo "usage: $0 OUT_PATH   (writes an executable launcher of the Python example plugin to OUT_PATH)" >&2
    exit 2
fi
out="$1"

python="$(vk_python)"
hash="$(cd "$here" && vk_hash_inputs "$python" pyproject.toml constraints.txt src example/pyproject.toml example/src)"

install_example() {
    local venv="$1"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
        --constraint "$here/constraints.txt" "$here" "$here/example"
}
venv="$(vk_cached_venv example "$hash" install_example)"

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
cat >"$tmp" <<LAUNCHER
#!/bin/sh
# The vk-host Python example plugin (plugin-sdk/python/example), in the
# virtualenv $venv, made by plugin-sdk/python/build-example.sh.
VK_PYTHON_LAUNCHER="\$0" exec $(printf '%q' "$venv/bin/python") -m vk_python_example "\$@"
LAUNCHER
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
echo "plugin-sdk/python: wrote $out (runs $venv/bin/python -m vk_python_example)" >&2
