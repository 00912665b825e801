#!/usr/bin/env bash
# check.sh: the Python checks of scripts/test.sh, for plugin-sdk/python (the SDK,
# its example and their tests): ruff (lint and format), mypy --strict, pytest,
# and generate.sh --check (the committed stubs match proto/provider.proto).
# The tools run in a virtualenv of requirements-tools.txt (pinned), cached
# under ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/python. Needs Python 3.11+.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
cd "$here"

python="$(vk_python)"
install_tools() {
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
        --no-deps --requirement "$here/requirements-tools.txt"
}
tools="$(vk_cached_venv tools "$(vk_hash_inputs "$python" requirements-tools.txt)" install_tools)"
py="$tools/bin/python"

step() { printf -- '--> %s\n' "$*" >&2; }
step "ruff check"
"$py" -m ruff check --no-cache .
step "ruff format --check"
"$py" -m ruff format --no-cache --check .
step "mypy --strict"
"$py" -m mypy --no-incremental
step "pytest"
"$py" -m pytest
step "generate.sh --check"
VK_PYTHON_TOOLS="$tools" ./generate.sh --check
