#!/usr/bin/env bash
# moto.sh: moto (the AWS emulator) in server mode, from a cached virtualenv
# built from the exact pins of plugins/fargate/moto-requirements.txt under
# ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/python/moto-<key>/ with
# plugin-sdk/python/lib.sh (the key hashes the requirements file and the
# Python version, so a changed pin builds anew). Needs Python 3.11+ with
# venv ($PYTHON or python3) and PyPI on first use.
#
#   scripts/moto.sh [path]       prints the path of moto_server
#   scripts/moto.sh python       prints the path of the virtualenv's python
#                                (boto3 comes with moto)
#   scripts/moto.sh start PORT   runs moto_server on 127.0.0.1:PORT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../plugin-sdk/python/lib.sh
source "$here/../plugin-sdk/python/lib.sh"
requirements_dir="$here/../plugins/fargate"

python="$(vk_python)"
hash="$(cd "$requirements_dir" && vk_hash_inputs "$python" moto-requirements.txt)"

install_moto() {
    local venv="$1"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
        --requirement "$requirements_dir/moto-requirements.txt"
    "$venv/bin/moto_server" --help >/dev/null
}
venv="$(vk_cached_venv moto "$hash" install_moto)"

case "${1:-path}" in
path) echo "$venv/bin/moto_server" ;;
python) echo "$venv/bin/python" ;;
start)
    if [[ $# -ne 2 ]]; then
        echo "usage: scripts/moto.sh start PORT" >&2
        exit 2
    fi
    exec "$venv/bin/moto_server" -H 127.0.0.1 -p "$2"
    ;;
*)
    echo "usage: scripts/moto.sh [path | python | start PORT]" >&2
    exit 2
    ;;
esac
