# Certificate and kubeconfig helpers shared by run.sh, kubelet-cert.sh and
# client-kubeconfig.sh (sourced, not executed). Functions write into the
# directory named by the caller's $pki variable.
#
# ECDSA P-256 everywhere: key generation is instant, and Go, rustls and
# kube-rs all accept it. Keys are PKCS#8 ("BEGIN PRIVATE KEY"), mode 0600.
# shellcheck shell=bash disable=SC2154 # $pki is set by the caller

genkey() { (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null); }

# new_ca NAME CN: $pki/NAME.crt + .key, valid 10 years.
new_ca() {
    genkey "$pki/$1.key"
    openssl req -x509 -new -key "$pki/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
        -out "$pki/$1.crt" 2>/dev/null
}

# new_cert CA NAME SUBJECT EXTENSIONS: $pki/NAME.crt + .key signed by $pki/CA,
# valid 1 year; EXTENSIONS is openssl extfile text.
new_cert() {
    local ca="$1" name="$2" subj="$3" ext="$4"
    genkey "$pki/$name.key"
    openssl req -new -key "$pki/$name.key" -subj "$subj" 2>/dev/null |
        openssl x509 -req -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 \
            -extfile <(printf '%s\n' "$ext") -out "$pki/$name.crt" 2>/dev/null
}

# shellcheck disable=SC2034 # used by the scripts that source this file
client_ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

# write_kubeconfig FILE USER SERVER CA_CERT CLIENT_CERT CLIENT_KEY
# A self-contained kubeconfig (certificates embedded), mode 0600.
write_kubeconfig() {
    local file="$1" user="$2" server="$3" ca="$4" cert="$5" key="$6"
    (
        umask 077
        cat > "$file.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: vk-dev
  cluster:
    server: ${server}
    certificate-authority-data: $(base64 -w0 < "$ca")
users:
- name: ${user}
  user:
    client-certificate-data: $(base64 -w0 < "$cert")
    client-key-data: $(base64 -w0 < "$key")
contexts:
- name: ${user}@vk-dev
  context:
    cluster: vk-dev
    user: ${user}
current-context: ${user}@vk-dev
KUBECONFIG
    )
    mv "$file.tmp" "$file"
}
