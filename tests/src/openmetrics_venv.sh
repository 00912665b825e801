#!/usr/bin/env bash
# openmetrics_venv.sh: prints the path of a cached virtualenv holding the
# Prometheus Python client pinned in openmetrics-requirements.txt (its
# strict OpenMetrics parser checks vk-host's /metrics in the tests), built
# on first use under ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/python with
# plugin-sdk/python/lib.sh. Needs Python 3.11+ ($PYTHON or python3) and PyPI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../plugin-sdk/python/lib.sh
source "$here/../../plugin-sdk/python/lib.sh"

python="$(vk_python)"
hash="$(cd "$here" && vk_hash_inputs "$python" openmetrics-requirements.txt)"

install_parser() {
    local venv="$1"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
        --requirement "$here/openmetrics-requirements.txt"
}
vk_cached_venv openmetrics-parser "$hash" install_parser
