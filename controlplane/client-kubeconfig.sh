#!/usr/bin/env bash
# Mint a client-certificate kubeconfig for any user and groups, signed by the
# cluster CA of a running control plane: for tests of authentication and
# authorization (e.g. a user who may not exec into pods, or system:node:NAME
# in system:nodes for the Node authorizer).
#   controlplane/client-kubeconfig.sh STATE_DIR OUT_FILE USER [GROUP...]
# The certificate is valid for one year; the kubeconfig embeds it (mode 0600).
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
# shellcheck source=pki.sh
source "$cp_dir/pki.sh"

[[ $# -ge 3 ]] || { echo "usage: controlplane/client-kubeconfig.sh STATE_DIR OUT_FILE USER [GROUP...]" >&2; exit 1; }
state="$1" out="$2" user="$3"
shift 3
[[ -f "$state/cluster.env" ]] || {
    echo "controlplane/client-kubeconfig.sh: error: no running control plane in $state (no cluster.env); start one with controlplane/up.sh" >&2
    exit 1
}
server="$(sed -n 's/^SERVER=//p' "$state/cluster.env")"
subj=""
for group in "$@"; do subj+="/O=$group"; done
subj+="/CN=$user"

pki="$(mktemp -d)"
trap 'rm -rf "$pki"' EXIT
ln -s "$(cd "$state/pki" && pwd)/ca.crt" "$pki/ca.crt"
ln -s "$(cd "$state/pki" && pwd)/ca.key" "$pki/ca.key"
new_cert ca client "$subj" "$client_ext"
mkdir -p "$(dirname "$out")"
write_kubeconfig "$out" "$user" "$server" "$pki/ca.crt" "$pki/client.crt" "$pki/client.key"
echo "$out"
