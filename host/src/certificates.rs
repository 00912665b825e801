//! The X.509 version check shared by every certificate vk-host uses with
//! rustls (the kubeconfig's client certificate, `--tls-cert-file`, and the
//! kubelet API's client certificates): rustls (webpki) accepts only v3 where
//! Go's crypto/x509, and so the kubelet, also accepts v1 (what
//! `openssl x509 -req` without extensions makes). Refusing is fine; saying
//! why in one line, with the fix, is what this module is for.

/// A certificate rustls refuses for its X.509 version, as the message a
/// user reads: "X.509 v1 certificates are not supported; reissue it as v3".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("X.509 v{version} certificates are not supported; reissue it as v3")]
pub struct UnsupportedVersion {
    /// The version as people say it: 1 or 2.
    pub version: u32,
}

/// Whether `der` is a certificate of a version rustls refuses (anything but
/// v3). A certificate that does not parse is `None`: the caller's own
/// parsing reports that.
pub fn unsupported_version(der: &[u8]) -> Option<UnsupportedVersion> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    let version = certificate.version();
    (version != x509_parser::x509::X509Version::V3).then_some(UnsupportedVersion {
        version: version.0 + 1,
    })
}

/// [`unsupported_version`] of the first (leaf) certificate of a PEM text,
/// the one rustls parses when it loads a certificate with its key.
pub fn unsupported_leaf_version(pem: &[u8]) -> Option<UnsupportedVersion> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let leaf = CertificateDer::pem_slice_iter(pem).next()?.ok()?;
    unsupported_version(&leaf)
}

/// Certificates made with the openssl command line, for tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn openssl(args: &[&str], dir: &Path) {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl is installed (controlplane/ensure.sh installs it)");
        assert!(
            output.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A P-256 key `<name>.key` in PKCS#8 PEM.
    fn key(dir: &Path, name: &str) -> PathBuf {
        let key = format!("{name}.key");
        openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key,
            ],
            dir,
        );
        dir.join(key)
    }

    /// `(<name>.crt, <name>.key)` in `dir`: an X.509 v1 certificate for CN
    /// `name`, as `openssl x509 -req` without extensions makes it, signed by
    /// `ca` (`(cert, key)`) or by its own key.
    pub(crate) fn v1_certificate(
        dir: &Path,
        name: &str,
        ca: Option<(&Path, &Path)>,
    ) -> (PathBuf, PathBuf) {
        let key = key(dir, name);
        let csr = format!("{name}.csr");
        let crt = format!("{name}.crt");
        let key_arg = key.display().to_string();
        let subject = format!("/CN={name}");
        openssl(
            &[
                "req", "-new", "-key", &key_arg, "-subj", &subject, "-out", &csr,
            ],
            dir,
        );
        let mut args = vec!["x509", "-req", "-in", &csr, "-days", "2", "-out", &crt];
        let (ca_cert, ca_key);
        match ca {
            Some((cert, key)) => {
                ca_cert = cert.display().to_string();
                ca_key = key.display().to_string();
                args.extend(["-CA", &ca_cert, "-CAkey", &ca_key, "-CAcreateserial"]);
            }
            None => args.extend(["-signkey", &key_arg]),
        }
        openssl(&args, dir);
        (dir.join(crt), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1_certificate_is_named_and_a_v3_one_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, _) = testing::v1_certificate(dir.path(), "old", None);
        let pem = std::fs::read(&cert).expect("read the certificate");
        let refused = unsupported_leaf_version(&pem).expect("v1 is refused");
        assert_eq!(
            refused.to_string(),
            "X.509 v1 certificates are not supported; reissue it as v3"
        );

        let key = rcgen::KeyPair::generate().expect("key");
        let v3 = rcgen::CertificateParams::new(vec!["new".into()])
            .expect("params")
            .self_signed(&key)
            .expect("v3 certificate");
        assert_eq!(unsupported_leaf_version(v3.pem().as_bytes()), None);
        assert_eq!(unsupported_version(b"not DER"), None);
    }
}
