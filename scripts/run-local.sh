#!/usr/bin/env bash
# The main job on a local default: a real local control plane (controlplane/up.sh,
# state in .cluster/dev), vk-host supervising a plugin (the mock plugin by
# default) as the least-privileged vk-host identity, and a demo pod on the
# virtual node. vk-host runs until Ctrl-C (its log follows on the terminal and
# is kept in STATE/logs/vk-host.log); the demo pod stays. Stop the control
# plane with controlplane/down.sh.
#   scripts/run-local.sh [PLUGIN] [-- extra vk-host flags]
# Environment: VK_LOCAL_STATE (state directory, default .cluster/dev),
# VK_NODE_NAME (default vk-local), VK_KUBELET_PORT (default 10250),
# VK_LOCAL_WAIT (seconds to wait for the node and for the pod, default 120).
#
# Run again while vk-host is up, it reuses that vk-host (same state directory)
# instead of starting a second one; any failure stops the vk-host it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
plugin="${1:-target/debug/vk-mock-plugin}"
shift || true
[[ "${1:-}" == "--" ]] && shift
node="${VK_NODE_NAME:-vk-local}"
port="${VK_KUBELET_PORT:-10250}"
wait_s="${VK_LOCAL_WAIT:-120}"
state="${VK_LOCAL_STATE:-$PWD/.cluster/dev}"
mkdir -p "$state/logs"
state="$(cd "$state" && pwd)"
host_log="$state/logs/vk-host.log"
host_pid_file="$state/vk-host.pid"

say() { echo "run-local.sh: $*" >&2; }
# A step that fails says which, whatever set -e stops.
trap 'say "error: \"$BASH_COMMAND\" failed (line $LINENO)"' ERR

# vk-cri-plugin's CRI bindings (k8s-cri) need protoc to build; the CRI
# environment's installer brings it with the other Debian packages.
command -v protoc >/dev/null 2>&1 || scripts/cri-env.sh install
cargo build --workspace --bins
kubeconfig_line="$(controlplane/up.sh "$state")"
eval "$kubeconfig_line"
# shellcheck source=../controlplane/common.sh
source controlplane/common.sh
kubectl="$cp_bin/kubectl"

# The vk-host this state directory's last run started, if it is still running.
running_host() {
    local pid
    pid="$(cat "$host_pid_file" 2>/dev/null)" || return 1
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "vk-host" || return 1
    echo "$pid"
}

# Who listens on the kubelet port, as "pid command", if anyone.
port_holder() {
    local pid
    pid="$( (ss -Hltnp "sport = :$port" 2>/dev/null || true) | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)"
    [[ -n $pid ]] && echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    return 0
}

host=""
started_here=false
if host="$(running_host)"; then
    say "vk-host is already running for $state (pid $host, log $host_log); reusing it"
else
    holder="$(port_holder)"
    if [[ -n "$holder" ]]; then
        if [[ "$holder" == *vk-host* ]]; then
            say "error: port $port is in use by another vk-host (pid ${holder%% *}: ${holder#* }),"
            say "  not the one of $state. Stop it (kill ${holder%% *}), or run this one on another"
            say "  port: VK_KUBELET_PORT=10251 scripts/run-local.sh"
        else
            say "error: port $port is in use by pid ${holder%% *} (${holder#* });"
            say "  stop it or choose another port: VK_KUBELET_PORT=10251 scripts/run-local.sh"
        fi
        exit 1
    fi
    # The kubelet API on 127.0.0.1:$port, with a serving certificate
    # generated at start and signed by the cluster's kubelet CA, which the API
    # server trusts; the API server's client certificate is checked against
    # the cluster CA. That is what makes `kubectl logs/exec` work.
    api_flags=(--node-ip 127.0.0.1 --kubelet-port "$port" --client-ca-file "$state/pki/ca.crt"
        --tls-ca-cert-file "$state/pki/kubelet-ca.crt" --tls-ca-key-file "$state/pki/kubelet-ca.key")
    plugin_config=()
    if [[ "$(basename "$plugin")" == vk-mock-plugin ]]; then
        # The mock reports its host_ip as the node's InternalIP: the address the
        # API server dials for logs and exec.
        printf 'host_ip = "127.0.0.1"\n' >"$state/mock-plugin.toml"
        plugin_config=(--plugin-config "$state/mock-plugin.toml")
    fi
    : >"$host_log"
    host_started="$(date -u +%s)"
    target/debug/vk-host --plugin "$plugin" "${plugin_config[@]}" --node-name "$node" \
        --kubeconfig "$state/vk-host.kubeconfig" "${api_flags[@]}" "$@" >>"$host_log" 2>&1 &
    host=$!
    started_here=true
    echo "$host" >"$host_pid_file"
fi

# Stops the vk-host this run started (TERM, then KILL after 15 s), on any exit:
# Ctrl-C, a failed step, or the end of the script.
stop_host() {
    local status=$?
    trap - EXIT INT TERM
    [[ -n "${follower:-}" ]] && kill "$follower" 2>/dev/null
    # Said whenever this run started vk-host: a Ctrl-C in the terminal also
    # reaches vk-host (same process group), which may be gone already.
    if $started_here; then
        say "stopping vk-host (pid $host)"
        kill -TERM "$host" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$host" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$host" 2>/dev/null || true
        wait "$host" 2>/dev/null || true
    fi
    $started_here && rm -f "$host_pid_file"
    exit "$status"
}
trap stop_host EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Fails the run with what vk-host said last and what to do next.
fail() {
    say "error: $*"
    if [[ -s "$host_log" ]]; then
        say "vk-host's last log lines ($host_log):"
        tail -n 20 "$host_log" | sed 's/^/    /' >&2
    fi
    say "the control plane is still up (controlplane/down.sh${VK_LOCAL_STATE:+ $state} stops it); run this script again to retry"
    exit 1
}

# wait_for WHAT COMMAND...: runs COMMAND every 0.5 s until it succeeds, for
# at most $wait_s seconds, while vk-host is alive.
wait_for() {
    local what="$1" deadline=$((SECONDS + wait_s))
    shift
    until "$@" >/dev/null 2>&1; do
        kill -0 "$host" 2>/dev/null || fail "vk-host exited while waiting for $what"
        ((SECONDS < deadline)) || fail "$what did not happen within ${wait_s}s"
        sleep 0.5
    done
}
is_ready() {
    [[ "$("$kubectl" get "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
# Ready as reported by the vk-host this run started: the Node of an earlier
# run stays Ready in the API for a while after that vk-host is gone.
node_ready_now() {
    is_ready "node/$node" || return 1
    [[ -z ${host_started:-} ]] && return 0
    local beat
    beat="$("$kubectl" get "node/$node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}')"
    [[ -n $beat ]] && (($(date -u -d "$beat" +%s) >= host_started))
}

wait_for "node $node to be registered" "$kubectl" get "node/$node"
wait_for "node $node to be Ready" node_ready_now
# The controller manager creates each namespace's `default` ServiceAccount
# shortly after the namespace: on a fresh control plane the pod would be
# refused without it.
wait_for "service account default/default (made by the controller manager)" \
    "$kubectl" get serviceaccount default
# A demo pod of an earlier vk-host is replaced: the new one may not hold it
# (the mock plugin keeps pods in memory), and its old status would be stale.
if $started_here && "$kubectl" get pod demo >/dev/null 2>&1; then
    say "replacing pod demo of an earlier run"
    "$kubectl" delete pod demo --wait=true --timeout="${wait_s}s" >&2 ||
        fail "the earlier pod demo was not deleted within ${wait_s}s"
fi
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
wait_for "pod demo to be Ready" is_ready pod/demo
wait_for "pod demo's first log line" "$kubectl" logs demo --tail 1
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
EOT
if ! $started_here; then
    say "the vk-host of an earlier run (pid $host) keeps running; stop it there with Ctrl-C"
    exit 0
fi
say "vk-host's log follows (also in $host_log). Ctrl-C stops vk-host; controlplane/down.sh${VK_LOCAL_STATE:+ $state} stops the control plane."
tail -n +1 -f "$host_log" --pid "$host" >&2 &
follower=$!
wait "$host" || fail "vk-host exited with status $?"
