#!/usr/bin/env bash
# Stop the control plane started by up.sh.
#   controlplane/down.sh [STATE_DIR]    (default: <repo>/.cluster/dev)
# Keeps the state (PKI, etcd data, logs); delete STATE_DIR to start afresh.
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

state="${1:-$repo_dir/.cluster/dev}"
if [[ ! -f "$state/supervisor.pid" ]]; then
    echo "no control plane running in $state" >&2
    exit 0
fi
sup="$(cat "$state/supervisor.pid")"
# Only signal the pid if it is still our run.sh (the pid may have been reused).
if ! tr '\0' ' ' < "/proc/$sup/cmdline" 2>/dev/null | grep -q "run.sh"; then
    echo "control plane in $state is not running (stale pid file)" >&2
    rm -f "$state/supervisor.pid"
    exit 0
fi
kill -TERM "$sup"
for _ in $(seq 1 100); do
    kill -0 "$sup" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$sup" 2>/dev/null; then
    echo "supervisor $sup did not stop in 10 s; killing its process group" >&2
    kill -KILL -- "-$sup" 2>/dev/null || true
fi
echo "control plane in $state stopped" >&2
