#!/usr/bin/env bash
# Build the vk-host OCI image (vk-host and vk-mock-plugin, no registry needed).
#
#   scripts/image.sh [--bin-dir DIR] [--tag IMAGE]
#
# Prints the path of an OCI image-layout tarball that
# `ctr -n k8s.io images import` stores as IMAGE (default
# localhost/vk-host:<workspace version>). The image holds /usr/local/bin/vk-host
# and /usr/local/bin/vk-mock-plugin (stripped), exactly the shared libraries
# they load (from ldd: glibc, libm, libgcc_s and the dynamic loader), an
# /etc/passwd with the non-root user 65532 it runs as, and nothing else (no
# shell). Built by scripts/cri-env/mkimages.py like the CRI test images: the
# same binaries give the same bytes (fixed mtimes, owners and order).
#
# --bin-dir DIR  take vk-host and vk-mock-plugin from DIR (e.g. target/debug)
#                instead of running `cargo build --release -p vk-host
#                -p vk-mock-plugin` and taking them from target/release.
# --tag IMAGE    the image name the import gives it.
#
# Cached under ${VK_CACHE_DIR:-~/.cache/vk-host}/images/<key>/vk-host.tar,
# <key> a hash of the stripped binaries, the libraries, the generator and IMAGE;
# the five entries used last are kept.
set -euo pipefail

log() { printf 'image.sh: %s\n' "$*" >&2; }
die() { printf 'image.sh: error: %s\n' "$*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MKIMAGES="$ROOT/scripts/cri-env/mkimages.py"
CACHE_ROOT="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/images"
BINARIES=(vk-host vk-mock-plugin)

bin_dir=""
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)"
[[ -n $version ]] || die "cannot read the workspace version from $ROOT/Cargo.toml"
tag="localhost/vk-host:$version"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --bin-dir) [[ $# -ge 2 ]] || die "--bin-dir needs a directory"; bin_dir="$2"; shift 2 ;;
        --tag) [[ $# -ge 2 ]] || die "--tag needs an image name"; tag="$2"; shift 2 ;;
        -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done

for tool in python3 strip ldd sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is not installed (python3, binutils and libc-bin are needed)"
done

if [[ -z $bin_dir ]]; then
    log "building the release binaries (cargo build --release -p vk-host -p vk-mock-plugin)"
    (cd "$ROOT" && cargo build --release -p vk-host -p vk-mock-plugin >&2) \
        || die "cargo build --release failed"
    bin_dir="${CARGO_TARGET_DIR:-$ROOT/target}/release"
fi
for bin in "${BINARIES[@]}"; do
    [[ -x $bin_dir/$bin ]] || die "$bin_dir/$bin is missing or not executable (build it, or pass --bin-dir)"
done

mkdir -p "$CACHE_ROOT"
work="$(mktemp -d "$CACHE_ROOT/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Stripped copies: smaller, and the same bytes whatever debug info the build had.
specs=()
for bin in "${BINARIES[@]}"; do
    strip --strip-all -o "$work/$bin" "$bin_dir/$bin" || die "strip failed for $bin_dir/$bin"
    specs+=("usr/local/bin/$bin=$work/$bin")
done

# The shared libraries the binaries load, at the paths the loader looks for
# them (ldd prints "name => /path (addr)" and the loader as "/path (addr)").
declare -A libs=()
for bin in "${BINARIES[@]}"; do
    out="$(ldd "$work/$bin")" || die "ldd $work/$bin failed: is it a dynamically linked executable?"
    while read -r path; do
        [[ -n $path ]] && libs["$path"]=1
    done < <(printf '%s\n' "$out" | sed -n -e 's/^.*=> \(\/[^ ]*\) (.*$/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (.*$/\1/p')
    if printf '%s\n' "$out" | grep -q 'not found'; then
        die "ldd $bin_dir/$bin: a library is missing: $(printf '%s\n' "$out" | grep 'not found')"
    fi
done
[[ ${#libs[@]} -gt 0 ]] || die "ldd found no libraries; a static binary needs no loader, but this script expects glibc ones"
for lib in "${!libs[@]}"; do
    specs+=("${lib#/}=$(readlink -f "$lib")")
done
mapfile -t specs < <(printf '%s\n' "${specs[@]}" | LC_ALL=C sort)

config='{"Entrypoint":["/usr/local/bin/vk-host"],"Env":["PATH=/usr/local/bin"],"User":"65532:65532","WorkingDir":"/"}'
key="$({
    printf '%s\n' "$tag" "$config"
    sha256sum "$MKIMAGES" | cut -d' ' -f1
    for spec in "${specs[@]}"; do
        printf '%s ' "${spec%%=*}"
        sha256sum "${spec#*=}" | cut -d' ' -f1
    done
} | sha256sum | cut -c1-16)"
dir="$CACHE_ROOT/$key"
# Keeps the cache small: the five entries used last stay, older ones go.
prune() {
    local old
    # shellcheck disable=SC2012 # entry names are hex keys
    old="$(ls -1dt "$CACHE_ROOT"/*/ 2>/dev/null | tail -n +6)" || true
    [[ -z $old ]] || printf '%s\n' "$old" | xargs -r rm -rf
}
if [[ -s $dir/vk-host.tar ]]; then
    touch "$dir"
    prune
    log "image $tag: cached in $dir"
    printf '%s\n' "$dir/vk-host.tar"
    exit 0
fi

log "image $tag: building into $dir ($(printf '%s ' "${specs[@]%%=*}"))"
python3 "$MKIMAGES" rootfs "$work/out/vk-host.tar" "$tag" "$config" "${specs[@]}" \
    || die "scripts/cri-env/mkimages.py rootfs failed"
rm -rf "$dir"
# A concurrent build may have won the race; its image is the same bytes.
mv -T "$work/out" "$dir" 2>/dev/null || true
[[ -s $dir/vk-host.tar ]] || die "no image at $dir/vk-host.tar after the build"
touch "$dir"
prune
log "image $tag: $(du -h "$dir/vk-host.tar" | cut -f1)"
printf '%s\n' "$dir/vk-host.tar"
