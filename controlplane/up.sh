#!/usr/bin/env bash
# Start a local control plane for development, in the background.
#   controlplane/up.sh [STATE_DIR]      (default: <repo>/.cluster/dev, git-ignored)
# Builds the binaries first if needed, waits until the apiserver is ready, and
# prints the line to paste:  export KUBECONFIG=STATE_DIR/admin.kubeconfig
# VK_K8S_VERSION selects the Kubernetes version (e.g. v1.35.4; default and
# supported ones in versions.env), VK_CP_FEATURE_GATES extra --feature-gates.
# Idempotent: if the control plane in STATE_DIR is already running it only
# prints that line. Stop it with controlplane/down.sh [STATE_DIR].
# The PKI and etcd data are kept across down/up; delete STATE_DIR to start afresh.
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

state="${1:-$repo_dir/.cluster/dev}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"

if [[ -f "$state/supervisor.pid" && -f "$state/cluster.env" ]] && kill -0 "$(cat "$state/supervisor.pid")" 2>/dev/null; then
    echo "control plane already running in $state" >&2
    echo "export KUBECONFIG=$state/admin.kubeconfig"
    exit 0
fi

"$cp_dir/ensure.sh" "$K8S_VERSION" >&2

mkdir -p "$state/logs"
# The READY line of an earlier run must not be taken for this one's: the
# background job below truncates the file only once it runs, which on a busy
# machine can be after the first look.
rm -f "$state/logs/ready"
start=$(date +%s%N)
# setsid: its own session and process group, detached from this terminal, so
# down.sh can stop the whole group and Ctrl-C here does not reach it.
setsid "$cp_dir/run.sh" "$state" </dev/null >"$state/logs/ready" 2>"$state/logs/supervisor.log" &
sup=$!
until grep -qx READY "$state/logs/ready" 2>/dev/null; do
    if ! kill -0 "$sup" 2>/dev/null; then
        echo "controlplane/up.sh: error: the control plane did not start; $state/logs/supervisor.log says:" >&2
        sed 's/^/    /' "$state/logs/supervisor.log" >&2
        exit 1
    fi
    sleep 0.1
done
echo "control plane (Kubernetes $K8S_VERSION) ready in $(( ($(date +%s%N) - start) / 1000000 )) ms; logs in $state/logs; stop with controlplane/down.sh${1:+ $1}" >&2
echo "  admin:   $state/admin.kubeconfig" >&2
echo "  vk-host: $state/vk-host.kubeconfig (user vk-host, RBAC in controlplane/manifests/vk-host-rbac.yaml)" >&2
echo "  kubelet serving CA: $state/pki/kubelet-ca.crt + .key; cluster CA: $state/pki/ca.crt" >&2
echo "  kubectl: $cp_bin/kubectl" >&2
echo "export KUBECONFIG=$state/admin.kubeconfig"
