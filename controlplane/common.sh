# Shared by the controlplane/*.sh scripts (sourced, not executed): the pinned
# versions and where the built binaries live. The Rust harness computes the same
# paths from versions.env (tests/src/cluster/binaries.rs); keep them in step.
# shellcheck shell=bash
cp_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
repo_dir="$(cd "$cp_dir/.." && pwd)"
# shellcheck source=versions.env
source "$cp_dir/versions.env"
cp_cache="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/controlplane"
cp_bin="$cp_cache/${K8S_VERSION}-etcd${ETCD_VERSION}/bin"
cp_stamp_want="k8s=${K8S_VERSION} staging=${K8S_STAGING_VERSION} etcd=${ETCD_VERSION}"
cp_tools=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)

# True when every binary is present and the stamp matches the pinned versions.
cp_binaries_ok() {
    [[ -f "$cp_bin/.stamp" ]] && [[ "$(cat "$cp_bin/.stamp")" == "$cp_stamp_want" ]] || return 1
    local t
    for t in "${cp_tools[@]}"; do [[ -x "$cp_bin/$t" ]] || return 1; done
}
