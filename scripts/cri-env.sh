#!/usr/bin/env bash
# An isolated containerd for the CRI plugin's tests (issue 7; see
# shared/reference/cri-and-kubelet-behaviour.md sections 15 and 18).
#
#   scripts/cri-env.sh install              Debian packages only (root)
#   eval "$(scripts/cri-env.sh up)"         start one; prints VK_CRI_* variables
#   scripts/cri-env.sh status [RUN_DIR]     exit 0 while it runs
#   scripts/cri-env.sh down   [RUN_DIR]     stop it and remove all it made
#
# `up` makes a unique run directory (VK_CRI_RUN_DIR, default /tmp/vk-cri.XXXXXX)
# holding containerd's root, state, socket, config, log, runc root and CNI
# config; a unique CNI network, bridge and 10.x.y.0/24 subnet; and imports the
# locally built images localhost/vk-test/{pause,busybox}:1 (cached under
# ${VK_CACHE_DIR:-~/.cache/vk-host}/cri-images/<key>/). RUN_DIR defaults to
# $VK_CRI_RUN_DIR. Outside the run directory it makes only the bridge,
# /var/lib/cni/{networks/<net>,results/*-<sandbox>-*}, the pods' netns in
# /run/netns, shim sockets in /run/containerd/s and cgroups under k8s.io;
# `down` removes them (and the empty parents the run created). Needs root.
set -Eeuo pipefail
# Names a command that failed without a message of its own; failures of our
# functions and command substitutions were reported where they happened.
on_err() {
    local rc=$1 cmd=$2 line=$3
    # shellcheck disable=SC2016 # a literal "$(" in the failed command's text
    [[ $cmd == *'$('* || $cmd == return* || $rc -eq 141 ]] && return
    declare -F "${cmd%% *}" >/dev/null && return
    printf 'cri-env: error: line %s: "%s" failed (exit %s)\n' "$line" "$cmd" "$rc" >&2
}
trap 'on_err $? "$BASH_COMMAND" $LINENO' ERR

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACKAGES=(containerd runc containernetworking-plugins protobuf-compiler busybox-static gcc iproute2 curl python3)
IMAGE_REPO="localhost/vk-test"
CACHE_ROOT="${VK_CACHE_DIR:-$HOME/.cache/vk-host}/cri-images"
CNI_BIN_DIR=/usr/lib/cni
MARKER=.vk-cri-env

log() { printf 'cri-env: %s\n' "$*" >&2; }
die() { printf 'cri-env: error: %s\n' "$*" >&2; exit 1; }
need_root() { [[ $EUID -eq 0 ]] || die "$1 needs root (containerd, runc and CNI do); run it with sudo"; }

usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# --- install ----------------------------------------------------------------

cmd_install() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "packages present: ${PACKAGES[*]}"
        return
    fi
    need_root "installing ${missing[*]}"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed; cannot install ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
        || die "apt-get install failed for ${missing[*]}"
}

check_tools() {
    local tool missing=()
    for tool in containerd ctr runc ip gcc python3 curl sha256sum findmnt; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ -x $CNI_BIN_DIR/bridge && -x $CNI_BIN_DIR/host-local && -x $CNI_BIN_DIR/loopback ]] \
        || missing+=("CNI plugins in $CNI_BIN_DIR")
    [[ ${#missing[@]} -eq 0 ]] || die "missing ${missing[*]}; run: scripts/cri-env.sh install"
}

# --- images -----------------------------------------------------------------

busybox_binary() {
    local path
    path="$(dpkg -L busybox-static 2>/dev/null | grep -m1 -E '/bin/busybox$')" \
        || die "busybox-static is not installed; run: scripts/cri-env.sh install"
    printf '%s\n' "$path"
}

# Prints the directory holding pause.tar and busybox.tar, building them when
# the cache has no entry for these inputs (generator, pause.c, busybox, gcc).
ensure_images() {
    local busybox key dir tmp
    busybox="$(busybox_binary)"
    key="$({
        sha256sum "$SCRIPT_DIR/cri-env/mkimages.py" "$SCRIPT_DIR/cri-env/pause.c" "$busybox" | cut -d' ' -f1
        gcc --version | head -n1
    } | sha256sum | cut -c1-16)"
    dir="$CACHE_ROOT/$key"
    if [[ -s $dir/pause.tar && -s $dir/busybox.tar ]]; then
        log "images: cached in $dir"
        printf '%s\n' "$dir"
        return
    fi
    log "images: building into $dir"
    mkdir -p "$CACHE_ROOT"
    tmp="$(mktemp -d "$CACHE_ROOT/.build.XXXXXX")"
    gcc -static -Os -s -o "$tmp/pause" "$SCRIPT_DIR/cri-env/pause.c" \
        || { rm -rf "$tmp"; die "gcc -static failed for scripts/cri-env/pause.c (is libc6-dev installed?)"; }
    python3 "$SCRIPT_DIR/cri-env/mkimages.py" "$tmp" "$tmp/pause" "$busybox" \
        || { rm -rf "$tmp"; die "scripts/cri-env/mkimages.py failed"; }
    rm -f "$tmp/pause"
    rm -rf "$dir" # an incomplete entry; a complete one returned above
    # A concurrent `up` may have won the race; its images are the same bytes.
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
    printf '%s\n' "$dir"
}

# --- up ---------------------------------------------------------------------

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# A 10.x.y.0/24 that no route on this host covers yet.
pick_subnet() {
    local a b
    for _ in $(seq 1 50); do
        a=$((200 + RANDOM % 50)) b=$((RANDOM % 256))
        if ! ip -4 route show | grep -q "^10\.$a\.$b\."; then
            printf '10.%s.%s\n' "$a" "$b"
            return
        fi
    done
    die "no free 10.x.y.0/24 subnet found in 50 tries"
}

write_config() {
    local dir=$1
    cat >"$dir/config.toml" <<EOF
# Written by scripts/cri-env.sh: an isolated containerd for CRI tests.
version = 2
root = "$dir/root"
state = "$dir/state"
# Snapshotters the tests do not use (they probe host-wide devices or mounts).
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "$VK_CRI_SOCKET"

[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$VK_CRI_PAUSE_IMAGE"
  # This VM forbids lowering oom_score_adj even for root; without this every
  # RunPodSandbox fails ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # Not the shared /run/containerd/runc/k8s.io of every other instance.
        Root = "$VK_CRI_RUNC_ROOT"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$dir/cni"
    max_conf_num = 1
EOF
    mkdir -p "$dir/cni"
    # The bridge exists already with the gateway address (see cmd_up), so the
    # bridge plugin needs no isGateway, which would turn on ip_forward host-wide.
    cat >"$dir/cni/10-$VK_CRI_CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$VK_CRI_CNI_NETWORK",
  "plugins": [{
    "type": "bridge",
    "bridge": "$VK_CRI_CNI_BRIDGE",
    "isGateway": false,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "ranges": [[{ "subnet": "$VK_CRI_POD_SUBNET", "gateway": "$VK_CRI_POD_GATEWAY" }]],
      "routes": [{ "dst": "0.0.0.0/0" }]
    }
  }]
}
EOF
}

write_env() {
    local dir=$1 name
    : >"$dir/env"
    for name in VK_CRI_RUN_DIR VK_CRI_SOCKET VK_CRI_CONTAINERD_PID VK_CRI_PAUSE_IMAGE \
        VK_CRI_BUSYBOX_IMAGE VK_CRI_CNI_NETWORK VK_CRI_CNI_BRIDGE VK_CRI_POD_SUBNET \
        VK_CRI_POD_GATEWAY VK_CRI_RUNC_ROOT VK_CRI_IMAGES_DIR; do
        printf 'export %s=%q\n' "$name" "${!name}" >>"$dir/env"
    done
}

# Shared parents that containerd, runc and CNI create on first use: the shim
# socket directory, CNI's state, the netns mount directory and the k8s.io
# cgroups (runc's default parent). `up` records which are new; `down` removes
# those again when empty and no other containerd runs.
host_dirs() {
    local d
    printf '%s\n' /var/lib/cni/networks /var/lib/cni/results /var/lib/cni \
        /run/containerd/s /run/containerd /run/netns
    for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do
        [[ -d $d && ! -L ${d%/} ]] && printf '%s\n' "${d%/}/k8s.io"
    done
    return 0
}

remove_new_host_dirs() {
    local dir=$1 f cmd path
    [[ -f $dir/new-host-dirs ]] || return 0
    for f in /proc/[0-9]*/cmdline; do
        cmd="$( (tr '\0' ' ' <"$f") 2>/dev/null || true)"
        if [[ $cmd == containerd\ * || $cmd == */containerd\ * ]]; then
            log "another containerd runs (${f//[!0-9]/}); keeping shared directories"
            return 0
        fi
    done
    while read -r path; do
        rmdir "$path" 2>/dev/null || true
    done <"$dir/new-host-dirs"
}

containerd_alive() {
    local dir=$1 pid
    pid="$(cat "$dir/containerd.pid" 2>/dev/null)" || return 1
    [[ -n $pid ]] || return 1
    # The PID must still be our containerd, not a reused number.
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "--config $dir/config.toml"
}

# Whether our own background child still runs. Not containerd_alive: right
# after the fork, /proc/PID/cmdline is still this script's until the exec,
# and a child that died stays a zombie (state Z) until it is reaped.
child_running() {
    local state
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ -n $state && $state != Z ]]
}

cmd_up() {
    need_root "up"
    check_tools
    local dir started
    started=$(date +%s%N)
    if [[ -n ${VK_CRI_RUN_DIR:-} ]]; then
        dir="$VK_CRI_RUN_DIR"
        mkdir -p "$dir"
        [[ -z "$(ls -A "$dir")" ]] || die "VK_CRI_RUN_DIR=$dir is not empty; pick a new directory"
        dir="$(cd "$dir" && pwd)"
    else
        dir="$(mktemp -d /tmp/vk-cri.XXXXXX)"
    fi
    chmod 0711 "$dir"
    touch "$dir/$MARKER"
    # From here on a failure (set -e or die) tears down whatever was made.
    UP_DIR="$dir"
    trap 'up_exit $?' EXIT

    local id images prefix
    id="$(random_hex 4)"
    prefix="$(pick_subnet)"
    export VK_CRI_RUN_DIR="$dir"
    export VK_CRI_SOCKET="$dir/containerd.sock"
    export VK_CRI_CONTAINERD_PID=""
    export VK_CRI_PAUSE_IMAGE="$IMAGE_REPO/pause:1"
    export VK_CRI_BUSYBOX_IMAGE="$IMAGE_REPO/busybox:1"
    export VK_CRI_CNI_NETWORK="vkcri-$id"
    export VK_CRI_CNI_BRIDGE="vkcri$id" # 13 characters; Linux allows 15
    export VK_CRI_POD_SUBNET="$prefix.0/24"
    export VK_CRI_POD_GATEWAY="$prefix.1"
    export VK_CRI_RUNC_ROOT="$dir/runc"
    export VK_CRI_IMAGES_DIR=""
    [[ ${#VK_CRI_SOCKET} -lt 100 ]] || die "socket path $VK_CRI_SOCKET is too long for a Unix socket; use a shorter VK_CRI_RUN_DIR"
    write_env "$dir"

    images="$(ensure_images)"
    # The image tarballs (OCI layouts), e.g. for scripts/cri-env/registry.py.
    export VK_CRI_IMAGES_DIR="$images"
    write_config "$dir"

    local path
    for path in $(host_dirs); do
        [[ -e $path ]] || echo "$path"
    done >"$dir/new-host-dirs"

    ip link add name "$VK_CRI_CNI_BRIDGE" type bridge
    ip addr add "$VK_CRI_POD_GATEWAY/24" dev "$VK_CRI_CNI_BRIDGE"
    ip link set "$VK_CRI_CNI_BRIDGE" up

    # Its own session, so the caller's Ctrl-C or process-group kill spares it;
    # no inherited stdout, so `$(cri-env.sh up)` returns.
    setsid containerd --config "$dir/config.toml" </dev/null >"$dir/containerd.log" 2>&1 &
    echo $! >"$dir/containerd.pid"
    VK_CRI_CONTAINERD_PID=$!
    write_env "$dir"

    local deadline=$((SECONDS + 30))
    until [[ -S $VK_CRI_SOCKET ]] && ctr -a "$VK_CRI_SOCKET" version >/dev/null 2>&1; do
        if ! child_running "$VK_CRI_CONTAINERD_PID"; then
            tail -n 30 "$dir/containerd.log" >&2 || true
            die "containerd exited during start (its last log lines are above)"
        fi
        if ((SECONDS > deadline)); then
            tail -n 30 "$dir/containerd.log" >&2 || true
            die "containerd did not answer on $VK_CRI_SOCKET within 30 s (its last log lines are above)"
        fi
        sleep 0.1
    done

    local tar
    for tar in "$images/pause.tar" "$images/busybox.tar"; do
        ctr -a "$VK_CRI_SOCKET" -n k8s.io images import "$tar" >/dev/null
    done
    # A second name for the same busybox, for tests that change a pod's image.
    ctr -a "$VK_CRI_SOCKET" -n k8s.io images tag "$IMAGE_REPO/busybox:1" "$IMAGE_REPO/busybox:2" >/dev/null
    trap - EXIT
    log "up in $(( ($(date +%s%N) - started) / 1000000 )) ms: containerd pid $VK_CRI_CONTAINERD_PID, socket $VK_CRI_SOCKET, network $VK_CRI_CNI_NETWORK ($VK_CRI_POD_SUBNET on $VK_CRI_CNI_BRIDGE)"
    log "stop it with: scripts/cri-env.sh down $dir"
    cat "$dir/env"
}

up_exit() {
    trap - EXIT
    [[ $1 -ne 0 ]] || return 0
    log "up failed; tearing down $UP_DIR"
    (teardown "$UP_DIR") || log "teardown of $UP_DIR failed too; run: scripts/cri-env.sh down $UP_DIR"
    exit "$1"
}

# --- down -------------------------------------------------------------------

# A unary CRI call whose request is one string field (field 1), made with
# curl's HTTP/2 over the Unix socket: no CRI client is packaged for Debian 12.
# Prints the grpc-status and grpc-message.
cri_id_call() {
    local method=$1 id=$2 n=${#2}
    ((n < 126)) || die "CRI id too long: $id"
    {
        printf '\x00\x00\x00\x00'
        # shellcheck disable=SC2059 # the format is the bytes: length, tag 1, length
        printf "\\x$(printf %02x $((n + 2)))\\x0a\\x$(printf %02x "$n")"
        printf '%s' "$id"
    } | curl -sS --max-time 60 --http2-prior-knowledge --unix-socket "$VK_CRI_SOCKET" \
        -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- \
        -D - -o /dev/null "http://localhost/runtime.v1.RuntimeService/$method" \
        | tr -d '\r' | grep -E '^grpc-(status|message):' | tr '\n' ' '
}

# The network namespaces of this instance's pods: from the OCI specs of its
# sandbox tasks and from the CNI result cache ("sandbox" of each interface).
pod_netns_paths() {
    local dir=$1
    {
        cat "$dir"/state/io.containerd.runtime.v2.task/k8s.io/*/config.json 2>/dev/null || true
        cat /var/lib/cni/results/"$VK_CRI_CNI_NETWORK"-* 2>/dev/null || true
    } | { grep -oE '"(path|sandbox)":"/(var/)?run/netns/[^"]*"' || true; } | cut -d'"' -f4 | sort -u
}

# CNI's cached results for this instance's sandboxes: its own network's, and
# the loopback network containerd adds to every pod-network sandbox.
cni_results() {
    local f id
    for f in /var/lib/cni/results/"$VK_CRI_CNI_NETWORK"-*; do
        [[ -e $f ]] || continue
        id="${f#/var/lib/cni/results/"$VK_CRI_CNI_NETWORK"-}"
        id="${id%-*}"
        printf '%s\n' "$f"
        [[ ! -e /var/lib/cni/results/cni-loopback-$id-lo ]] || printf '%s\n' "/var/lib/cni/results/cni-loopback-$id-lo"
    done
    return 0
}

# PIDs of the shims that serve this instance's containers.
shim_pids() {
    local f cmd
    for f in /proc/[0-9]*/cmdline; do
        cmd="$( (tr '\0' ' ' <"$f") 2>/dev/null || true)"
        [[ $cmd == *containerd-shim*" -address $VK_CRI_SOCKET "* ]] && echo "${f//[!0-9]/}"
    done
    return 0
}

teardown() {
    local dir=$1 id ids pid netns=() status
    [[ -f $dir/$MARKER ]] || die "$dir is not a run directory made by scripts/cri-env.sh up"
    if [[ ! -f $dir/env ]]; then
        rm -rf "$dir"
        return
    fi
    # shellcheck disable=SC1091
    source "$dir/env"
    mapfile -t netns < <(pod_netns_paths "$dir")

    if containerd_alive "$dir"; then
        # 1. Sandboxes first, through CRI, while the CNI config still exists:
        #    that is what releases their IPs and deletes their netns.
        ids="$(ctr -a "$VK_CRI_SOCKET" -n k8s.io containers ls -q \
            'labels."io.cri-containerd.kind"==sandbox' 2>/dev/null || true)"
        for id in $ids; do
            for method in StopPodSandbox RemovePodSandbox; do
                status="$(cri_id_call "$method" "$id" || true)"
                [[ $status == *"grpc-status: 0 "* ]] || log "$method $id: ${status:-no answer}"
            done
        done
        # Anything CRI did not remove (containers made outside CRI).
        for id in $(ctr -a "$VK_CRI_SOCKET" -n k8s.io containers ls -q 2>/dev/null || true); do
            ctr -a "$VK_CRI_SOCKET" -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
            ctr -a "$VK_CRI_SOCKET" -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true
            ctr -a "$VK_CRI_SOCKET" -n k8s.io containers delete "$id" >/dev/null 2>&1 || true
        done
        # 2. containerd itself.
        pid="$(cat "$dir/containerd.pid")"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            containerd_alive "$dir" || break
            sleep 0.1
        done
        if containerd_alive "$dir"; then
            log "containerd $pid ignored SIGTERM for 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
    fi

    # Forced clean-up of whatever survived (containerd died, or CRI failed):
    # containers in our runc root (the shim adds the namespace), their shims,
    # shim sockets and cgroups, then mounts and netns.
    local runc_root="$VK_CRI_RUNC_ROOT/k8s.io" task_ids
    task_ids="$(ls "$dir/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null || true)"
    if [[ -d $runc_root ]]; then
        for id in $(runc --root "$runc_root" list -q 2>/dev/null); do
            log "removing leftover container $id"
            runc --root "$runc_root" kill "$id" KILL >/dev/null 2>&1 || true
            runc --root "$runc_root" delete -f "$id" >/dev/null 2>&1 || true
        done
    fi
    for pid in $(shim_pids); do
        log "killing leftover shim $pid"
        kill -KILL "$pid" 2>/dev/null || true
    done
    for id in $task_ids; do
        # containerd 1.6 names a shim's socket after sha256(address/namespace/id).
        rm -f "/run/containerd/s/$(printf '%s' "$VK_CRI_SOCKET/k8s.io/$id" | sha256sum | cut -d' ' -f1)"
        rmdir /sys/fs/cgroup/k8s.io/"$id" /sys/fs/cgroup/*/k8s.io/"$id" 2>/dev/null || true
    done
    findmnt -rn -o TARGET | { grep -F "$dir/" || true; } | sort -r | while read -r mnt; do
        umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || log "cannot unmount $mnt"
    done
    for path in "${netns[@]}"; do
        [[ -e $path ]] || continue
        log "removing leftover netns $path"
        umount "$path" 2>/dev/null || umount -l "$path" 2>/dev/null || true
        rm -f "$path"
    done

    # 3. Host network state, then the run directory.
    if ip link show "$VK_CRI_CNI_BRIDGE" >/dev/null 2>&1; then
        ip link del "$VK_CRI_CNI_BRIDGE"
    fi
    cni_results | xargs -r rm -f
    rm -rf "/var/lib/cni/networks/$VK_CRI_CNI_NETWORK"
    remove_new_host_dirs "$dir"
    rm -rf "$dir"
}

# Lists what a run left on the host; empty when it left nothing. Reads the
# caller's `netns` and `cgroups` arrays.
leftovers() {
    local dir=$1 path
    [[ ! -e $dir ]] || echo "run directory $dir"
    if tr '\0' ' ' 2>/dev/null <"/proc/$VK_CRI_CONTAINERD_PID/cmdline" | grep -qF "$dir/config.toml"; then
        echo "containerd $VK_CRI_CONTAINERD_PID"
    fi
    ! ip link show "$VK_CRI_CNI_BRIDGE" >/dev/null 2>&1 || echo "bridge $VK_CRI_CNI_BRIDGE"
    [[ ! -e /var/lib/cni/networks/$VK_CRI_CNI_NETWORK ]] || echo "/var/lib/cni/networks/$VK_CRI_CNI_NETWORK"
    cni_results
    for path in $(shim_pids); do
        echo "shim $path"
    done
    for path in "${netns[@]}"; do
        [[ ! -e $path ]] || echo "netns $path"
    done
    for path in "${cgroups[@]}"; do
        [[ ! -e $path ]] || echo "cgroup $path"
    done
}

run_dir_arg() {
    local dir=${1:-${VK_CRI_RUN_DIR:-}}
    [[ -n $dir ]] || die "$2: name the run directory that up printed (argument or VK_CRI_RUN_DIR)"
    printf '%s\n' "$dir"
}

cmd_down() {
    need_root "down"
    local dir started left netns=() cgroups=()
    dir="$(run_dir_arg "${1:-}" down)"
    if [[ ! -e $dir ]]; then
        log "$dir does not exist; nothing to do"
        return
    fi
    started=$(date +%s%N)
    # shellcheck disable=SC1091
    mapfile -t netns < <(source "$dir/env" && pod_netns_paths "$dir")
    # The containers' cgroups (runc's default parent k8s.io); still there after
    # down means a container process survived.
    # shellcheck disable=SC2012 # containerd ids are hex
    mapfile -t cgroups < <({ ls "$dir/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null || true; } \
        | while read -r id; do ls -d /sys/fs/cgroup/k8s.io/"$id" /sys/fs/cgroup/*/k8s.io/"$id" 2>/dev/null || true; done)
    teardown "$dir"
    left="$(leftovers "$dir")"
    [[ -z $left ]] || die "down left behind: $(tr '\n' ';' <<<"$left")"
    log "down in $(( ($(date +%s%N) - started) / 1000000 )) ms; nothing left behind"
}

cmd_status() {
    local dir
    dir="$(run_dir_arg "${1:-}" status)"
    # shellcheck disable=SC1091
    if [[ -f $dir/env ]] && containerd_alive "$dir" \
        && (source "$dir/env" && ctr -a "$VK_CRI_SOCKET" version >/dev/null 2>&1); then
        echo "running: containerd $(cat "$dir/containerd.pid"), run directory $dir"
        cat "$dir/env"
    else
        echo "not running: $dir"
        return 1
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    up) cmd_install && cmd_up ;;
    down) cmd_down "${2:-}" ;;
    status) cmd_status "${2:-}" ;;
    *) usage ;;
esac
