#!/usr/bin/env bash
# Run one local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) on loopback, in the foreground, as the supervisor of its
# processes. Used by up.sh (development) and by the Rust test harness.
#
#   controlplane/run.sh STATE_DIR
#
# - Generates the PKI and kubeconfigs in STATE_DIR when missing (see README.md).
# - Picks free loopback ports (or VK_CP_*_PORT when set), starts the components,
#   waits for /readyz, applies manifests/vk-host-rbac.yaml, writes
#   STATE_DIR/cluster.env and prints one line "READY" on stdout.
# - Then waits. It tears everything down (TERM, 5 s grace, KILL) when it gets
#   SIGTERM/SIGINT, when a component exits, or - with VK_CP_WATCH_STDIN=1 - when
#   its stdin reaches end of file: the test harness holds the other end of that
#   pipe, so the cluster dies with the test process even if it is SIGKILLed.
#   Each component also gets a parent-death signal (setpriv --pdeathsig), so
#   killing this script with SIGKILL does not leave components behind either.
# - VK_CP_EPHEMERAL=1 deletes the etcd data on exit (tests); otherwise the data
#   and the PKI are kept and reused by the next run (development).
# - VK_K8S_VERSION selects the Kubernetes version (see common.sh; default in
#   versions.env). VK_CP_FEATURE_GATES (e.g. ExtendWebSocketsToKubelet=false) is
#   passed as --feature-gates to kube-apiserver, kube-controller-manager and
#   kube-scheduler, as a cluster sets its gates on every component.
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

log() { echo "run.sh[$$]: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -eq 1 ]] || die "usage: controlplane/run.sh STATE_DIR"
mkdir -p "$1"
state="$(cd "$1" && pwd)"
pki="$state/pki"
logs="$state/logs"

cp_binaries_ok || die "control-plane binaries $cp_stamp_want are not built in $cp_bin; run controlplane/build.sh (or controlplane/ensure.sh)"
command -v openssl >/dev/null || die "openssl is not installed; run controlplane/ensure.sh or apt-get install openssl"
command -v curl >/dev/null || die "curl is not installed; run controlplane/ensure.sh or apt-get install curl"

# --- PKI ----------------------------------------------------------------------
# shellcheck source=pki.sh
source "$cp_dir/pki.sh"

gen_pki() {
    local tmp="$state/pki.tmp"
    rm -rf "$tmp"; mkdir -p "$tmp"; chmod 700 "$tmp"
    local pki="$tmp"
    # The cluster CA: signs the apiserver serving cert and all client certs
    # (--client-ca-file), and is the controller-manager's CSR signer.
    new_ca ca "vk-host-dev-cluster-ca"
    # A separate CA for kubelet serving certificates (--kubelet-certificate-authority):
    # vk-host signs its kubelet-API serving certificate with it.
    new_ca kubelet-ca "vk-host-dev-kubelet-serving-ca"
    new_cert ca apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    # The apiserver's client certificate towards kubelets (logs, exec, ...).
    new_cert ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"
    new_cert ca admin "/O=system:masters/CN=kubernetes-admin" "$client_ext"
    new_cert ca controller-manager "/CN=system:kube-controller-manager" "$client_ext"
    new_cert ca scheduler "/CN=system:kube-scheduler" "$client_ext"
    # The vk-host identity: a plain user bound by RBAC (manifests/vk-host-rbac.yaml).
    new_cert ca vk-host "/CN=vk-host" "$client_ext"
    # The aggregation layer's front proxy (requestheader authentication):
    # unused by vk-host, but without it every component logs errors about a
    # missing requestheader CA, and aggregated APIs would not work.
    new_ca front-proxy-ca "vk-host-dev-front-proxy-ca"
    new_cert front-proxy-ca front-proxy-client "/CN=front-proxy-client" "$client_ext"
    # Service-account token signing key pair.
    genkey "$pki/sa.key"
    openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
    rm -rf "$state/pki"
    mv "$tmp" "$state/pki"
}

# kubeconfig FILE USER CERT-NAME
kubeconfig() {
    write_kubeconfig "$1" "$2" "https://127.0.0.1:$apiserver_port" "$pki/ca.crt" "$pki/$3.crt" "$pki/$3.key"
}

# --- ports ----------------------------------------------------------------------
picked=" "
# A random high port that nobody listens on and that this run has not picked.
# Another process can still take it before we bind; the component then exits
# and this script reports it (callers may retry).
free_port() {
    local p i
    for i in $(seq 1 200); do
        # Below Linux's ephemeral range (32768-60999 by default): a port a
        # busy test process holds for an outgoing connection is not
        # listening, so the probe below cannot see it, but bind fails on it.
        p=$((20000 + RANDOM % 12768))
        [[ "$picked" == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            picked+="$p "
            echo "$p"
            return 0
        fi
    done
    die "found no free loopback port"
}

# --- processes ------------------------------------------------------------------
pids=()
names=()
pdeath=()
if command -v setpriv >/dev/null && setpriv --help 2>&1 | grep -q -- --pdeathsig; then
    pdeath=(setpriv --pdeathsig KILL --)
fi

# start NAME BINARY ARGS...
start() {
    local name="$1"; shift
    local bin="$cp_bin/$1"; shift
    "${pdeath[@]}" "$bin" "$@" </dev/null >"$logs/$name.log" 2>&1 9<&- &
    pids+=("$!")
    names+=("$name")
    echo "$name $!" >> "$state/pids"
}

# stop_matching [-v] NAME: TERM the components named NAME (or, with -v, all
# others), wait up to 5 s, then KILL what is left.
stop_matching() {
    local invert=0 i alive
    if [[ "$1" == -v ]]; then invert=1; shift; fi
    local sel=()
    for i in "${!pids[@]}"; do
        local match=0
        if [[ "${names[i]}" == "$1" ]]; then match=1; fi
        if (( match != invert )); then sel+=("$i"); fi
    done
    for i in "${sel[@]}"; do kill -TERM "${pids[i]}" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
        alive=0
        for i in "${sel[@]}"; do kill -0 "${pids[i]}" 2>/dev/null && alive=1; done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    for i in "${sel[@]}"; do
        if kill -0 "${pids[i]}" 2>/dev/null; then
            log "${names[i]} (pid ${pids[i]}) did not stop within 5 s; killing it"
            kill -KILL "${pids[i]}" 2>/dev/null || true
        fi
    done
}

teardown_done=0
teardown() {
    local rc="${1:-0}"
    [[ $teardown_done == 1 ]] && return
    teardown_done=1
    trap '' TERM INT HUP
    if [[ -n "${watcher:-}" ]]; then kill "$watcher" 2>/dev/null || true; fi
    if (( ${#pids[@]} )); then
        if [[ "${VK_CP_EPHEMERAL:-0}" == 1 ]]; then
            # Disposable data: no point in a graceful shutdown.
            kill -KILL "${pids[@]}" 2>/dev/null || true
        else
            # Clients first, etcd last: etcd waits for its clients' watch
            # streams to end, and the apiserver retries etcd while it drains.
            stop_matching -v etcd
            stop_matching etcd
        fi
        wait "${pids[@]}" 2>/dev/null || true
    fi
    rm -f "$state/pids" "$state/supervisor.pid" "$state/cluster.env"
    if [[ "${VK_CP_EPHEMERAL:-0}" == 1 ]]; then rm -rf "$state/etcd"; fi
    log "stopped"
    exit "$rc"
}
trap 'teardown 0' TERM INT HUP
trap 'teardown $?' EXIT

# The log tail of a component, for error messages (component logs hold no secrets).
tail_of() { tail -n 15 "$logs/$1.log" 2>/dev/null | sed 's/^/    /' >&2 || true; }

check_alive() {
    local i
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[i]}" 2>/dev/null; then
            log "error: ${names[i]} exited during start-up; last lines of $logs/${names[i]}.log:"
            tail_of "${names[i]}"
            exit 1
        fi
    done
}

# --- go -----------------------------------------------------------------------------
watcher=""
if [[ "${VK_CP_WATCH_STDIN:-0}" == 1 ]]; then
    # End of file on stdin means the owner is gone: stop everything, also
    # while still starting. (A background job's own stdin is /dev/null, so it
    # reads a duplicate, fd 9.)
    exec 9<&0
    { while read -r -u 9 _; do :; done; kill -TERM $$; } &
    watcher=$!
fi
if [[ -f "$state/supervisor.pid" ]] && kill -0 "$(cat "$state/supervisor.pid")" 2>/dev/null; then
    die "a control plane is already running in $state (supervisor pid $(cat "$state/supervisor.pid")); stop it with controlplane/down.sh $state"
fi
mkdir -p "$logs"
echo "$$" > "$state/supervisor.pid"
# The harness uses OWNER_PID to recognise leftovers of dead test processes.
echo "${VK_CP_OWNER_PID:-$PPID}" > "$state/owner.pid"
rm -f "$state/pids" "$state/cluster.env"

t0=$(date +%s%N)
[[ -f "$pki/sa.key" && -f "$pki/kubelet-ca.key" && -f "$pki/vk-host.key" && -f "$pki/front-proxy-client.key" ]] || gen_pki

t_pki=$(date +%s%N)
etcd_port="${VK_CP_ETCD_PORT:-$(free_port)}"; picked+="$etcd_port "
etcd_peer_port="${VK_CP_ETCD_PEER_PORT:-$(free_port)}"; picked+="$etcd_peer_port "
apiserver_port="${VK_CP_APISERVER_PORT:-$(free_port)}"; picked+="$apiserver_port "
kcm_port="${VK_CP_CONTROLLER_MANAGER_PORT:-$(free_port)}"; picked+="$kcm_port "
scheduler_port="${VK_CP_SCHEDULER_PORT:-$(free_port)}"; picked+="$scheduler_port "

kubeconfig "$state/admin.kubeconfig" kubernetes-admin admin
kubeconfig "$state/vk-host.kubeconfig" vk-host vk-host
kubeconfig "$state/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
kubeconfig "$state/scheduler.kubeconfig" system:kube-scheduler scheduler

# etcd: plain HTTP on loopback only (nothing else can reach it); small quota;
# no fsync, since this data is disposable and fsync dominates start-up on slow disks.
mkdir -p "$state/etcd"; chmod 700 "$state/etcd"
start etcd etcd \
    --name default --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "default=http://127.0.0.1:$etcd_peer_port" \
    --quota-backend-bytes 536870912 --snapshot-count 10000 \
    --auto-compaction-mode periodic --auto-compaction-retention 5m \
    --unsafe-no-fsync --log-level warn

# Extra --feature-gates for every component (a gate the version does not know
# makes the component exit at start; run.sh then reports its log).
feature_gates=()
if [[ -n "${VK_CP_FEATURE_GATES:-}" ]]; then
    feature_gates=(--feature-gates "$VK_CP_FEATURE_GATES")
    log "feature gates: $VK_CP_FEATURE_GATES"
fi

issuer="https://kubernetes.default.svc.cluster.local"
apiserver_args=(
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$apiserver_port" \
    --endpoint-reconciler-type none \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --cert-dir "$state/apiserver-certs" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --allow-privileged=true \
    --service-cluster-ip-range 10.96.0.0/16 \
    --service-account-issuer "$issuer" --api-audiences "$issuer" \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/kubelet-ca.crt" \
    --kubelet-preferred-address-types InternalIP,Hostname,InternalDNS,ExternalDNS,ExternalIP \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
    --profiling=false --event-ttl 1h \
    "${feature_gates[@]}"
)
start kube-apiserver kube-apiserver "${apiserver_args[@]}"

# --- readiness ------------------------------------------------------------------
ready_timeout="${VK_CP_READY_TIMEOUT:-60}"
deadline=$(( $(date +%s) + ready_timeout ))
readyz() {
    curl -fsS --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
        "https://127.0.0.1:$apiserver_port/readyz" >/dev/null 2>&1
}
until readyz; do
    check_alive
    if (( $(date +%s) >= deadline )); then
        log "error: kube-apiserver was not ready at https://127.0.0.1:$apiserver_port/readyz within ${ready_timeout}s; last lines of $logs/kube-apiserver.log:"
        tail_of kube-apiserver
        exit 1
    fi
    sleep 0.1
done

t_readyz=$(date +%s%N)
"$cp_bin/kubectl" --kubeconfig "$state/admin.kubeconfig" apply -f "$cp_dir/manifests/vk-host-rbac.yaml" \
    >"$logs/rbac-apply.log" 2>&1 || { log "error: applying manifests/vk-host-rbac.yaml failed:"; tail_of rbac-apply; exit 1; }
# The controller manager and the scheduler start once the apiserver is ready:
# earlier, RBAC is not bootstrapped yet and they exit on a 403.
start kube-controller-manager kube-controller-manager \
    --kubeconfig "$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" \
    --cert-dir "$state/controller-manager-certs" \
    --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --profiling=false "${feature_gates[@]}"

start kube-scheduler kube-scheduler \
    --kubeconfig "$state/scheduler.kubeconfig" \
    --authentication-kubeconfig "$state/scheduler.kubeconfig" \
    --authorization-kubeconfig "$state/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$scheduler_port" \
    --cert-dir "$state/scheduler-certs" \
    --leader-elect=false --profiling=false "${feature_gates[@]}"

# -k: their self-signed serving certs; no credentials are sent, /healthz is public.
healthz() { curl -fsSk --max-time 2 "https://127.0.0.1:$1/healthz" >/dev/null 2>&1; }
until healthz "$kcm_port" && healthz "$scheduler_port"; do
    check_alive
    if (( $(date +%s) >= deadline )); then
        log "error: kube-controller-manager or kube-scheduler did not report healthy within ${ready_timeout}s; see $logs"
        exit 1
    fi
    sleep 0.1
done
check_alive

{
    echo "SERVER=https://127.0.0.1:$apiserver_port"
    echo "APISERVER_PORT=$apiserver_port"
    echo "ETCD_PORT=$etcd_port"
    echo "ETCD_PEER_PORT=$etcd_peer_port"
    echo "CONTROLLER_MANAGER_PORT=$kcm_port"
    echo "SCHEDULER_PORT=$scheduler_port"
    echo "BIN_DIR=$cp_bin"
    echo "K8S_VERSION=$K8S_VERSION"
    echo "FEATURE_GATES=${VK_CP_FEATURE_GATES:-}"
    echo "SUPERVISOR_PID=$$"
    for i in "${!pids[@]}"; do
        echo "PID_$(echo "${names[i]}" | tr 'a-z-' 'A-Z_')=${pids[i]}"
    done
} > "$state/cluster.env.tmp"
mv "$state/cluster.env.tmp" "$state/cluster.env"

t1=$(date +%s%N)
ms() { echo $(( ($2 - $1) / 1000000 )); }
log "Kubernetes $K8S_VERSION ready in $(ms "$t0" "$t1") ms (PKI $(ms "$t0" "$t_pki") ms, apiserver /readyz after $(ms "$t0" "$t_readyz") ms): https://127.0.0.1:$apiserver_port (state $state)"
echo READY
# Nothing more goes to stdout: whoever read READY may close the pipe.
exec 1>/dev/null

# SIGUSR1 restarts kube-apiserver alone (same flags, port and etcd data), as
# an apiserver upgrade or crash would: tests of clients that must survive it.
# STATE_DIR/apiserver-restarts counts the restarts completed (ready again);
# STATE_DIR/apiserver-outage-seconds, if there, keeps it down that long first.
restart_apiserver() {
    local i
    for i in "${!names[@]}"; do
        [[ "${names[i]}" == kube-apiserver ]] || continue
        log "restarting kube-apiserver (pid ${pids[i]}) on request"
        kill -TERM "${pids[i]}" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
        unset 'pids[i]' 'names[i]'
    done
    local outage=0
    [[ -f "$state/apiserver-outage-seconds" ]] && outage=$(cat "$state/apiserver-outage-seconds")
    if (( outage > 0 )); then
        log "kube-apiserver stays down for ${outage}s on request"
        sleep "$outage"
    fi
    start kube-apiserver kube-apiserver "${apiserver_args[@]}"
    local until=$(( $(date +%s) + ready_timeout ))
    until readyz; do
        if (( $(date +%s) >= until )); then
            log "error: the restarted kube-apiserver was not ready within ${ready_timeout}s"
            tail_of kube-apiserver
            teardown 1
        fi
        sleep 0.1
    done
    local n=0
    [[ -f "$state/apiserver-restarts" ]] && n=$(cat "$state/apiserver-restarts")
    echo $((n + 1)) > "$state/apiserver-restarts"
    log "kube-apiserver restarted and ready"
}
trap restart_apiserver USR1

# Wait for a component to exit (or a signal); either way, tear everything down.
while true; do
    wait -n "${pids[@]}" && rc=0 || rc=$?
    for i in "${!pids[@]}"; do
        if ! kill -0 "${pids[i]}" 2>/dev/null; then
            log "error: ${names[i]} (pid ${pids[i]}) exited with status $rc; stopping the control plane. Last lines of $logs/${names[i]}.log:"
            tail_of "${names[i]}"
            teardown 1
        fi
    done
done
