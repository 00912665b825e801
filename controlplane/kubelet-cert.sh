#!/usr/bin/env bash
# Issue a kubelet serving certificate for a (virtual) node, signed by the
# kubelet CA of a control plane, so the apiserver (--kubelet-certificate-authority)
# trusts vk-host's kubelet API.
#   controlplane/kubelet-cert.sh STATE_DIR NODE_NAME OUT_DIR [EXTRA_SAN...]
# Writes OUT_DIR/NODE_NAME.crt and OUT_DIR/NODE_NAME.key (ECDSA P-256, PKCS#8).
# SANs: DNS:NODE_NAME, DNS:localhost, IP:127.0.0.1, plus EXTRA_SAN entries
# written as openssl wants them (e.g. IP:10.0.0.5 or DNS:node.example).
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: controlplane/kubelet-cert.sh STATE_DIR NODE_NAME OUT_DIR [EXTRA_SAN...]" >&2; exit 1; }
state="$1" node="$2" out="$3"
shift 3
ca="$state/pki/kubelet-ca"
[[ -f "$ca.crt" && -f "$ca.key" ]] || { echo "controlplane/kubelet-cert.sh: error: no kubelet CA in $state/pki; start the control plane first (controlplane/up.sh)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "controlplane/kubelet-cert.sh: error: openssl is not installed (controlplane/ensure.sh)" >&2; exit 1; }

san="DNS:$node,DNS:localhost,IP:127.0.0.1"
for extra in "$@"; do san+=",$extra"; done
mkdir -p "$out"
(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$node.key" 2>/dev/null)
# The kubelet's serving cert subject: system:node:<name> in system:nodes.
openssl req -new -key "$out/$node.key" -subj "/O=system:nodes/CN=system:node:$node" 2>/dev/null |
    openssl x509 -req -CA "$ca.crt" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -days 365 -sha256 -out "$out/$node.crt" 2>/dev/null \
        -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san")
echo "$out/$node.crt"
