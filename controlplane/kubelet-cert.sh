#!/usr/bin/env bash
# Issue a kubelet serving certificate for a (virtual) node, signed by the
# kubelet CA of a control plane, so the apiserver (--kubelet-certificate-authority)
# trusts vk-host's kubelet API.
#   controlplane/kubelet-cert.sh STATE_DIR NODE_NAME OUT_DIR [EXTRA_SAN...]
# Writes OUT_DIR/NODE_NAME.crt and OUT_DIR/NODE_NAME.key (ECDSA P-256, PKCS#8)
# and prints the certificate path. Subject: O=system:nodes, CN=system:node:NODE_NAME.
# SANs: DNS:NODE_NAME, DNS:localhost, IP:127.0.0.1, plus EXTRA_SAN entries
# written as openssl wants them (e.g. IP:10.0.0.5 or DNS:node.example).
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
# shellcheck source=pki.sh
source "$cp_dir/pki.sh"

[[ $# -ge 3 ]] || { echo "usage: controlplane/kubelet-cert.sh STATE_DIR NODE_NAME OUT_DIR [EXTRA_SAN...]" >&2; exit 1; }
state="$1" node="$2" out="$3"
shift 3
[[ -f "$state/pki/kubelet-ca.crt" && -f "$state/pki/kubelet-ca.key" ]] || {
    echo "controlplane/kubelet-cert.sh: error: no kubelet CA in $state/pki; start the control plane first (controlplane/up.sh)" >&2
    exit 1
}
command -v openssl >/dev/null || { echo "controlplane/kubelet-cert.sh: error: openssl is not installed (controlplane/ensure.sh)" >&2; exit 1; }

san="DNS:$node,DNS:localhost,IP:127.0.0.1"
for extra in "$@"; do san+=",$extra"; done
mkdir -p "$out"
# Sign in a scratch directory holding links to the CA, so new_cert's
# "$pki/NAME" convention fits and the CA key is never copied.
pki="$(mktemp -d)"
trap 'rm -rf "$pki"' EXIT
ln -s "$(cd "$state/pki" && pwd)/kubelet-ca.crt" "$pki/kubelet-ca.crt"
ln -s "$(cd "$state/pki" && pwd)/kubelet-ca.key" "$pki/kubelet-ca.key"
new_cert kubelet-ca serving "/O=system:nodes/CN=system:node:$node" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san"
mv "$pki/serving.key" "$out/$node.key"
mv "$pki/serving.crt" "$out/$node.crt"
echo "$out/$node.crt"
