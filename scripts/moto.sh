#!/usr/bin/env bash
# moto.sh: moto (the AWS emulator) in server mode, from a cached virtualenv
# built from the exact pins of plugins/fargate/moto-requirements.txt under
# ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/moto/<key>/ (the key hashes the
# requirements file and the Python version, so a changed pin builds anew).
# Needs Python 3.11+ with venv ($PYTHON or python3) and PyPI on first use.
#
#   scripts/moto.sh [path]       prints the path of moto_server
#   scripts/moto.sh python       prints the path of the virtualenv's python
#                                (boto3 comes with moto)
#   scripts/moto.sh start PORT   runs moto_server on 127.0.0.1:PORT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$here/../plugins/fargate/moto-requirements.txt"

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "scripts/moto.sh: error: $python is not installed; install Python 3.11 or newer, or set PYTHON=/path/to/python3" >&2
    exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "scripts/moto.sh: error: $python is $("$python" --version 2>&1); moto needs Python 3.11 or newer here (set PYTHON)" >&2
    exit 1
fi
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "scripts/moto.sh: error: $python has no venv/ensurepip module (Debian: apt-get install python3-venv)" >&2
    exit 1
fi

key="$({ "$python" --version 2>&1; cat "$requirements"; } | sha256sum | cut -c1-16)"
root="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/moto"
venv="$root/$key"
mkdir -p "$root"
(
    flock 9
    if [[ ! -f "$venv/.complete" ]]; then
        rm -rf "$venv"
        echo "scripts/moto.sh: building the moto virtualenv $venv" >&2
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pip==25.3" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
            --requirement "$requirements" >&2
        "$venv/bin/moto_server" --help >/dev/null
        touch "$venv/.complete"
    fi
) 9>"$root/.lock"

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
