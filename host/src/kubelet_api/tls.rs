//! The kubelet API's TLS: the serving certificate (from files, generated at
//! start and signed by a given CA, or self-signed as the kubelet does without
//! one) and the client-certificate verifier built from `--client-ca-file`.
//! Everything here runs while the configuration is validated, so a bad file
//! is one error line naming its flag before anything starts; the verifier
//! also marks a client certificate refused for its X.509 version, so the
//! server can log why ([`refused_version`]).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_openapi::jiff::{Timestamp, ToSpan as _, tz::TimeZone};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, OtherError};
use rustls::{RootCertStore, SignatureScheme};

use crate::certificates::{UnsupportedVersion, unsupported_version};

/// How long a generated serving certificate is valid (the kubelet's
/// self-signed one is valid a year too); vk-host makes a new one at start.
const GENERATED_VALIDITY_DAYS: i64 = 365;

/// Where the serving certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServingCertSource {
    /// `--tls-cert-file` and `--tls-private-key-file`.
    Files { cert: PathBuf, key: PathBuf },
    /// Generated at start, signed by `--tls-ca-cert-file`/`--tls-ca-key-file`.
    SignedBy { ca_cert: PathBuf, ca_key: PathBuf },
    /// Generated at start and self-signed (the kubelet's behaviour without a
    /// certificate); an API server trusts it only without
    /// `--kubelet-certificate-authority`.
    SelfSigned,
}

/// What a generated certificate names: the node and every address the API
/// server may use to reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServingNames {
    pub node_name: String,
    pub dns_names: Vec<String>,
    pub ips: Vec<IpAddr>,
}

/// A TLS file or setting that cannot be used; the message names the flag.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("--{flag} {}: cannot be read ({source})", path.display())]
    Read {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--{flag} {}: {why}", path.display())]
    Invalid {
        flag: &'static str,
        path: PathBuf,
        why: String,
    },
    #[error("generating the kubelet API serving certificate: {0}")]
    Generate(String),
    #[error("building the kubelet API TLS configuration: {0}")]
    Config(String),
}

/// The serving certificate chain and key, ready for rustls.
#[derive(Debug)]
pub struct ServingCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// For the start-up log: where it came from and what it covers.
    pub description: String,
}

/// Loads or generates the serving certificate.
pub fn serving_cert(
    source: &ServingCertSource,
    names: &ServingNames,
) -> Result<ServingCert, TlsError> {
    match source {
        ServingCertSource::Files { cert, key } => {
            let chain = read_certs("tls-cert-file", cert)?;
            // rustls would refuse it below as a key that does not fit.
            if let Some(refused) = unsupported_version(&chain[0]) {
                return Err(TlsError::Invalid {
                    flag: "tls-cert-file",
                    path: cert.clone(),
                    why: refused.to_string(),
                });
            }
            let key = read_key("tls-private-key-file", key)?;
            Ok(ServingCert {
                chain,
                key,
                description: format!("from {}", cert.display()),
            })
        }
        ServingCertSource::SignedBy { ca_cert, ca_key } => {
            let ca_pem = read_text("tls-ca-cert-file", ca_cert)?;
            let ca_key_pem = read_text("tls-ca-key-file", ca_key)?;
            let ca_key_pair =
                rcgen::KeyPair::from_pem(&ca_key_pem).map_err(|e| TlsError::Invalid {
                    flag: "tls-ca-key-file",
                    path: ca_key.clone(),
                    why: format!("not a PKCS#8 PEM private key ({e})"),
                })?;
            let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key_pair).map_err(|e| {
                TlsError::Invalid {
                    flag: "tls-ca-cert-file",
                    path: ca_cert.clone(),
                    why: format!("not a PEM CA certificate ({e})"),
                }
            })?;
            let (cert, key) = generate(names, Some(&issuer))?;
            Ok(ServingCert {
                chain: vec![cert],
                key,
                description: format!(
                    "generated, signed by {}, for {}",
                    ca_cert.display(),
                    names.describe()
                ),
            })
        }
        ServingCertSource::SelfSigned => {
            let (cert, key) = generate(names, None)?;
            Ok(ServingCert {
                chain: vec![cert],
                key,
                description: format!("generated, self-signed, for {}", names.describe()),
            })
        }
    }
}

impl ServingNames {
    fn describe(&self) -> String {
        let mut all: Vec<String> = self.dns_names.clone();
        all.extend(self.ips.iter().map(ToString::to_string));
        all.join(", ")
    }
}

/// A certificate like the kubelet's: subject `system:node:<node>` in
/// `system:nodes`, serverAuth, the node's names and addresses as SANs.
fn generate(
    names: &ServingNames,
    issuer: Option<&rcgen::Issuer<'_, rcgen::KeyPair>>,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let fail = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut sans: Vec<String> = names.dns_names.clone();
    sans.extend(names.ips.iter().map(ToString::to_string));
    let mut params = rcgen::CertificateParams::new(sans).map_err(fail)?;
    let mut subject = rcgen::DistinguishedName::new();
    subject.push(rcgen::DnType::OrganizationName, "system:nodes");
    subject.push(
        rcgen::DnType::CommonName,
        format!("system:node:{}", names.node_name),
    );
    params.distinguished_name = subject;
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = issuer.is_some();
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let day = |date: k8s_openapi::jiff::civil::Date| {
        u8::try_from(date.month())
            .ok()
            .zip(u8::try_from(date.day()).ok())
            .map(|(month, day)| rcgen::date_time_ymd(i32::from(date.year()), month, day))
    };
    // From yesterday, so a clock a little behind ours still accepts it.
    let (Some(not_before), Some(not_after)) = (
        today.checked_sub(1.day()).ok().and_then(day),
        today
            .checked_add(GENERATED_VALIDITY_DAYS.days())
            .ok()
            .and_then(day),
    ) else {
        return Err(TlsError::Generate("the date is out of range".into()));
    };
    params.not_before = not_before;
    params.not_after = not_after;
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, issuer).map_err(fail)?,
        None => params.self_signed(&key).map_err(fail)?,
    };
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key_der))
}

/// The CA bundle of `--client-ca-file`. X.509 v1 CAs are fine here: rustls
/// takes them as trust anchors (only the certificates a client presents
/// must be v3).
pub fn client_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let certs = read_certs("client-ca-file", path)?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| TlsError::Invalid {
            flag: "client-ca-file",
            path: path.to_owned(),
            why: format!("a certificate cannot be used as a CA ({e})"),
        })?;
    }
    Ok(roots)
}

/// The server configuration: TLS 1.2+, ring, HTTP/2 and HTTP/1.1 by ALPN;
/// client certificates are verified against `client_roots` when given but not
/// required (a request may authenticate with a bearer token instead).
pub fn server_config(
    cert: ServingCert,
    client_roots: Option<RootCertStore>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let fail = |e: &dyn std::fmt::Display| TlsError::Config(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match client_roots {
        Some(roots) => Arc::new(VersionAwareVerifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .allow_unauthenticated()
                .build()
                .map_err(|e| fail(&e))?,
        )),
        None => WebPkiClientVerifier::no_client_auth(),
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(&e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(cert.chain, cert.key)
        .map_err(|e| {
            fail(&format!(
                "the certificate and key do not fit together ({e})"
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// rustls' client-certificate verifier, except that a chain it refuses
/// because a certificate in it is not X.509 v3 fails with
/// [`UnsupportedVersion`] (which [`refused_version`] finds in the handshake
/// error): rustls' own error for it is opaque, and the peer (the API server
/// with a v1 kubelet-client certificate) only sees `unknown certificate`.
/// The alert sent is the same as rustls' (`bad_certificate`).
#[derive(Debug)]
struct VersionAwareVerifier(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for VersionAwareVerifier {
    fn offer_client_auth(&self) -> bool {
        self.0.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.0.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0
            .verify_client_cert(end_entity, intermediates, now)
            .map_err(|error| {
                // Only parsed again when refused: a valid chain costs nothing more.
                match std::iter::once(end_entity)
                    .chain(intermediates)
                    .find_map(|cert| unsupported_version(cert))
                {
                    Some(refused) => rustls::Error::InvalidCertificate(CertificateError::Other(
                        OtherError(Arc::new(refused)),
                    )),
                    None => error,
                }
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.0.requires_raw_public_keys()
    }
}

/// The [`UnsupportedVersion`] a TLS handshake (a `tokio-rustls` accept)
/// failed with, if that is why the client's certificate was refused.
pub fn refused_version(error: &std::io::Error) -> Option<UnsupportedVersion> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            other.0.downcast_ref::<UnsupportedVersion>().copied()
        }
        _ => None,
    }
}

fn read_text(flag: &'static str, path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Read {
        flag,
        path: path.to_owned(),
        source,
    })
}

fn read_certs(flag: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let text = read_text(flag, path)?;
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid {
            flag,
            path: path.to_owned(),
            why: format!("not PEM certificates ({e})"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Invalid {
            flag,
            path: path.to_owned(),
            why: "no PEM certificate in it".into(),
        });
    }
    Ok(certs)
}

fn read_key(flag: &'static str, path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let text = read_text(flag, path)?;
    PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| TlsError::Invalid {
        flag,
        path: path.to_owned(),
        why: format!("no PEM private key in it ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> ServingNames {
        ServingNames {
            node_name: "vk-1".into(),
            dns_names: vec!["vk-1".into(), "localhost".into()],
            ips: vec!["127.0.0.1".parse().expect("ip")],
        }
    }

    #[test]
    fn a_generated_certificate_names_the_node_and_its_addresses() {
        let cert = serving_cert(&ServingCertSource::SelfSigned, &names()).expect("generated");
        let (_, parsed) = x509_parser::parse_x509_certificate(&cert.chain[0]).expect("x509");
        let subject = parsed.subject().to_string();
        assert!(subject.contains("CN=system:node:vk-1"), "{subject}");
        assert!(subject.contains("O=system:nodes"), "{subject}");
        let sans = parsed
            .subject_alternative_name()
            .expect("san ext")
            .expect("sans");
        let text = format!("{:?}", sans.value.general_names);
        assert!(
            text.contains("vk-1") && text.contains("localhost"),
            "{text}"
        );
        assert!(server_config(cert, None).is_ok());
    }

    #[test]
    fn a_v1_serving_certificate_is_refused_naming_its_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = crate::certificates::testing::v1_certificate(dir.path(), "vk-1", None);
        let error = serving_cert(
            &ServingCertSource::Files {
                cert: cert.clone(),
                key,
            },
            &names(),
        )
        .expect_err("a v1 serving certificate");
        assert_eq!(
            error.to_string(),
            format!(
                "--tls-cert-file {}: X.509 v1 certificates are not supported; reissue it as v3",
                cert.display()
            )
        );
    }

    /// Always presents `0`, whatever rustls thinks of it (a rustls client
    /// refuses to load a v1 certificate at all, so a test cannot use the
    /// ordinary builder).
    #[derive(Debug)]
    struct Present(Arc<rustls::sign::CertifiedKey>);

    impl rustls::client::ResolvesClientCert for Present {
        fn resolve(
            &self,
            _: &[&[u8]],
            _: &[SignatureScheme],
        ) -> Option<Arc<rustls::sign::CertifiedKey>> {
            Some(Arc::clone(&self.0))
        }

        fn has_certs(&self) -> bool {
            true
        }
    }

    /// A handshake with `server` trusting `ca` as "localhost" and presenting
    /// `cert` with `key` (DER); the server side's result.
    async fn handshake(
        server: Arc<rustls::ServerConfig>,
        ca: &Path,
        cert: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
    ) -> std::io::Result<()> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let signing_key = provider
            .key_provider
            .load_private_key(key)
            .expect("a signing key");
        let identity = rustls::sign::CertifiedKey::new(vec![cert], signing_key);
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(client_roots(ca).expect("the CA as a root"))
            .with_client_cert_resolver(Arc::new(Present(Arc::new(identity))));
        let (near, far) = tokio::io::duplex(64 * 1024);
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let acceptor = tokio_rustls::TlsAcceptor::from(server);
        let (accepted, _) = tokio::join!(acceptor.accept(far), connector.connect(name, near));
        accepted.map(drop)
    }

    #[tokio::test]
    async fn a_v1_client_certificate_fails_the_handshake_saying_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A v1 CA is fine for --tls-ca-cert-file and --client-ca-file.
        let (ca_cert, ca_key) =
            crate::certificates::testing::v1_certificate(dir.path(), "ca", None);
        let serving = serving_cert(
            &ServingCertSource::SignedBy {
                ca_cert: ca_cert.clone(),
                ca_key: ca_key.clone(),
            },
            &ServingNames {
                node_name: "vk-1".into(),
                dns_names: vec!["localhost".into()],
                ips: Vec::new(),
            },
        )
        .expect("a serving certificate signed by a v1 CA");
        let roots = client_roots(&ca_cert).expect("a v1 CA as a client CA");
        let server = server_config(serving, Some(roots)).expect("a server configuration");

        let (cert, key) = crate::certificates::testing::v1_certificate(
            dir.path(),
            "alice",
            Some((&ca_cert, &ca_key)),
        );
        let cert = CertificateDer::from_pem_file(&cert).expect("a PEM certificate");
        let key = PrivateKeyDer::from_pem_file(&key).expect("a PEM key");
        let error = handshake(Arc::clone(&server), &ca_cert, cert, key)
            .await
            .expect_err("a v1 client certificate is refused");
        assert_eq!(
            refused_version(&error),
            Some(UnsupportedVersion { version: 1 }),
            "{error}"
        );

        // The same CA's v3 client certificate is accepted.
        let issuer = rcgen::Issuer::from_ca_cert_pem(
            &std::fs::read_to_string(&ca_cert).expect("read the CA"),
            rcgen::KeyPair::from_pem(&std::fs::read_to_string(&ca_key).expect("read the key"))
                .expect("the CA key"),
        )
        .expect("an issuer");
        let mut params = rcgen::CertificateParams::new(Vec::new()).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "bob");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = rcgen::KeyPair::generate().expect("a key");
        let cert = params.signed_by(&key, &issuer).expect("a v3 certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        handshake(server, &ca_cert, cert.der().clone(), key)
            .await
            .expect("a v3 client certificate from a v1 CA is accepted");
    }

    #[test]
    fn a_missing_file_names_its_flag() {
        let error = serving_cert(
            &ServingCertSource::Files {
                cert: "/nonexistent/c.crt".into(),
                key: "/nonexistent/c.key".into(),
            },
            &names(),
        )
        .expect_err("missing");
        assert!(
            error
                .to_string()
                .starts_with("--tls-cert-file /nonexistent/c.crt: cannot be read"),
            "{error}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let garbage = dir.path().join("ca.crt");
        std::fs::write(&garbage, "not a certificate").expect("write");
        let error = client_roots(&garbage).expect_err("garbage");
        assert!(
            error.to_string().starts_with("--client-ca-file "),
            "{error}"
        );
    }
}
