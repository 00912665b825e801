# Shared by the controlplane/*.sh scripts (sourced, not executed): the pinned
# versions, the one selected, and where its built binaries live. The Rust
# harness computes the same from versions.env (tests/src/cluster/binaries.rs);
# keep them in step.
#
# VK_K8S_VERSION selects one of K8S_SUPPORTED_VERSIONS (full version, e.g.
# v1.35.4, or minor, e.g. v1.35; the leading v is optional); unset or empty
# means the default K8S_VERSION. An unsupported value stops the sourcing
# script with a message naming the supported versions.
# shellcheck shell=bash
cp_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
repo_dir="$(cd "$cp_dir/.." && pwd)"
# shellcheck source=versions.env
source "$cp_dir/versions.env"
# shellcheck disable=SC2034
cp_default_version="$K8S_VERSION"
IFS=, read -r -a cp_supported_versions <<<"$K8S_SUPPORTED_VERSIONS"
cp_cache="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/controlplane"
cp_tools=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)

# cp_resolve_version WANTED: prints the supported version WANTED names
# (v1.35.4, 1.35.4, v1.35 or 1.35), or fails with a message naming them all.
cp_resolve_version() {
    local wanted="v${1#v}" v
    for v in "${cp_supported_versions[@]}"; do
        if [[ "$v" == "$wanted" || "${v%.*}" == "$wanted" ]]; then
            echo "$v"
            return 0
        fi
    done
    echo "controlplane: error: Kubernetes version '$1' is not supported; supported: ${cp_supported_versions[*]} (controlplane/versions.env)" >&2
    return 1
}

# cp_select_version VERSION: makes VERSION (see cp_resolve_version) the one
# K8S_VERSION, K8S_STAGING_VERSION, cp_bin and cp_stamp_want describe.
cp_select_version() {
    local v
    v="$(cp_resolve_version "$1")" || return 1
    K8S_VERSION="$v"
    # The staging modules of k8s.io/kubernetes v1.X.Y are v0.X.Y.
    K8S_STAGING_VERSION="v0.${v#v1.}"
    cp_bin="$cp_cache/${K8S_VERSION}-etcd${ETCD_VERSION}/bin"
    cp_stamp_want="k8s=${K8S_VERSION} staging=${K8S_STAGING_VERSION} etcd=${ETCD_VERSION}"
}

# True when every binary is present and the stamp matches the selected versions.
cp_binaries_ok() {
    [[ -f "$cp_bin/.stamp" ]] && [[ "$(cat "$cp_bin/.stamp")" == "$cp_stamp_want" ]] || return 1
    local t
    for t in "${cp_tools[@]}"; do [[ -x "$cp_bin/$t" ]] || return 1; done
}

cp_select_version "${VK_K8S_VERSION:-$cp_default_version}" || exit 1
