#!/usr/bin/env bash
# The main job on a local default: a real local control plane (controlplane/up.sh,
# state in .cluster/dev), vk-host supervising a plugin (the mock plugin by
# default) as the least-privileged vk-host identity, and a demo pod on the
# virtual node. vk-host runs until Ctrl-C; the demo pod stays. Stop the
# control plane with controlplane/down.sh.
#   scripts/run-local.sh [PLUGIN] [-- extra vk-host flags]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
plugin="${1:-target/debug/vk-mock-plugin}"
shift || true
[[ "${1:-}" == "--" ]] && shift
node="${VK_NODE_NAME:-vk-local}"
state="$PWD/.cluster/dev"

# vk-cri-plugin's CRI bindings (k8s-cri) need protoc to build; the CRI
# environment's installer brings it with the other Debian packages.
command -v protoc >/dev/null 2>&1 || scripts/cri-env.sh install
cargo build --workspace --bins
kubeconfig_line="$(controlplane/up.sh "$state")"
eval "$kubeconfig_line"
# shellcheck source=../controlplane/common.sh
source controlplane/common.sh
kubectl="$cp_bin/kubectl"

# The kubelet API on 127.0.0.1:10250 (VK_KUBELET_PORT to change), with a
# serving certificate generated at start and signed by the cluster's kubelet
# CA, which the API server trusts; the API server's client certificate is
# checked against the cluster CA. That is what makes `kubectl logs/exec` work.
api_flags=(--node-ip 127.0.0.1 --client-ca-file "$state/pki/ca.crt"
    --tls-ca-cert-file "$state/pki/kubelet-ca.crt" --tls-ca-key-file "$state/pki/kubelet-ca.key")
plugin_config=()
if [[ "$(basename "$plugin")" == vk-mock-plugin ]]; then
    # The mock reports its host_ip as the node's InternalIP: the address the
    # API server dials for logs and exec.
    printf 'host_ip = "127.0.0.1"\n' >"$state/mock-plugin.toml"
    plugin_config=(--plugin-config "$state/mock-plugin.toml")
fi

target/debug/vk-host --plugin "$plugin" "${plugin_config[@]}" --node-name "$node" \
    --kubeconfig "$state/vk-host.kubeconfig" "${api_flags[@]}" "$@" &
host=$!
trap 'kill -TERM $host 2>/dev/null; wait $host' INT TERM

"$kubectl" wait "node/$node" --for=condition=Ready --timeout=60s >&2
"$kubectl" apply -f - >&2 <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: demo
  namespace: default
spec:
  nodeSelector:
    kubernetes.io/hostname: $node
  tolerations:
  - key: virtual-kubelet.io/provider
    operator: Exists
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do date; sleep 1; done"]
YAML
"$kubectl" wait pod/demo --for=condition=Ready --timeout=60s >&2
"$kubectl" get node "$node" -o wide >&2
"$kubectl" get pod demo -o wide >&2
"$kubectl" logs demo --tail 3 >&2
cat >&2 <<EOT

vk-host is running node $node with $plugin. In another terminal:
  $kubeconfig_line
  export PATH=$(dirname "$kubectl"):\$PATH
  kubectl get pods -o wide
  kubectl logs -f demo
  kubectl exec demo -- echo hello
  kubectl describe node $node
Ctrl-C stops vk-host; controlplane/down.sh stops the control plane.
EOT
wait $host
