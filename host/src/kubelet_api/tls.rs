//! The kubelet API's TLS: the serving certificate (from files, generated at
//! start and signed by a given CA, or self-signed as the kubelet does without
//! one) and the client-certificate verifier built from `--client-ca-file`.
//! Everything here runs while the configuration is validated, so a bad file
//! is one error line naming its flag before anything starts.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_openapi::jiff::{Timestamp, ToSpan as _, tz::TimeZone};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;

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

/// The CA bundle of `--client-ca-file`.
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
        Some(roots) => {
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .allow_unauthenticated()
                .build()
                .map_err(|e| fail(&e))?
        }
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
