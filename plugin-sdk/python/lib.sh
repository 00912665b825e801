# Shared by build-example.sh and check.sh (sourced, not run): the Python
# interpreter to use and cached virtualenvs keyed by the hash of what they
# are built from.

# The interpreter that builds the virtualenvs: $PYTHON, else python3. It
# must be Python 3.11 or newer (pyproject.toml's requires-python).
vk_python() {
    local python="${PYTHON:-python3}"
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "plugin-sdk/python: error: $python is not installed; install Python 3.11 or newer, or set PYTHON=/path/to/python3" >&2
        return 1
    fi
    if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        echo "plugin-sdk/python: error: $python is $("$python" --version 2>&1); the SDK needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
        return 1
    fi
    if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        echo "plugin-sdk/python: error: $python has no venv/ensurepip module (Debian: apt-get install python3-venv)" >&2
        return 1
    fi
    command -v "$python"
}

# The sha256 of the named files and of every file under the named
# directories (caches, bytecode and build output excluded), and of the
# interpreter's version: a cache key for a virtualenv built from them.
vk_hash_inputs() {
    local python="$1"
    shift
    {
        "$python" --version 2>&1
        find "$@" -type f \
            ! -path '*/__pycache__/*' ! -path '*/.mypy_cache/*' ! -path '*/.pytest_cache/*' \
            ! -path '*/.ruff_cache/*' ! -path '*/build/*' ! -path '*.egg-info/*' -print0 |
            LC_ALL=C sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-16
}

# vk_cached_venv NAME HASH BUILDER...: prints the path of the virtualenv
# ${VK_CACHE_DIR:-$HOME/.cache/vk-host}/python/NAME-HASH, building it first
# with `BUILDER VENV_DIR` unless a complete one is there. A lock keeps two
# builds of the same virtualenv from racing; a build that failed or was
# killed leaves no `.complete` marker and is redone.
vk_cached_venv() {
    local name="$1" hash="$2"
    shift 2
    local root="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/python"
    local dir="$root/$name-$hash"
    mkdir -p "$root"
    (
        flock 9
        if [[ ! -f "$dir/.complete" ]]; then
            rm -rf "$dir"
            echo "plugin-sdk/python: building the virtualenv $dir" >&2
            "$(vk_python)" -m venv "$dir"
            "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3" >&2
            "$@" "$dir" >&2
            touch "$dir/.complete"
        fi
        # Marks the last use; others of this name unused for 30 days go.
        touch "$dir/.complete"
        find "$root" -maxdepth 2 -path "$root/$name-*/.complete" -mtime +30 -printf '%h\0' |
            xargs -0 --no-run-if-empty rm -rf
    ) 9>"$root/$name.lock"
    echo "$dir"
}
