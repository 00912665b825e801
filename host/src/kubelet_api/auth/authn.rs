//! Who is calling: the client certificate that TLS verified against
//! `--client-ca-file` (user = the last CN, groups = O, as the API server
//! reads it), or a bearer token the API server vouches for through
//! TokenReview (answers cached by the token's SHA-256: 2 min when valid,
//! 10 s when not, as the kubelet's defaults). Tokens longer than
//! [`MAX_TOKEN_LEN`] are refused without a review.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use kube::Api;
use kube::api::PostParams;
use x509_parser::x509::X509Name;

use super::cache::TtlCache;
use super::{ReviewError, ReviewLimit};

/// How long a valid token's identity is reused.
pub const TOKEN_VALID_TTL: Duration = Duration::from_secs(120);
/// How long an invalid token's refusal is reused.
pub const TOKEN_INVALID_TTL: Duration = Duration::from_secs(10);
/// Most answers kept, for valid and for invalid tokens each: unauthenticated
/// callers can fill the invalid cache but never push valid tokens out.
const TOKEN_CACHE_SIZE: usize = 4096;
/// Longest bearer token reviewed (16 KiB, well above real service-account
/// and OIDC tokens); a longer one is 401 at once.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A token's cache key: its SHA-256, so entries are small whatever the token.
type TokenKey = [u8; 32];

fn token_key(token: &str) -> TokenKey {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut key = [0; 32];
    key.copy_from_slice(digest.as_ref());
    key
}

/// An authenticated caller, as SubjectAccessReview wants it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// `system:anonymous` in `system:unauthenticated`.
    pub fn anonymous() -> Self {
        Self {
            name: "system:anonymous".into(),
            groups: vec!["system:unauthenticated".into()],
            ..Self::default()
        }
    }
}

/// The user a client certificate names: CN is the user, each O a group.
/// `None` when the certificate cannot be parsed or has no CN.
pub fn user_from_certificate(der: &[u8]) -> Option<UserInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    user_from_subject(cert.subject())
}

/// The user a subject names. With several CNs the last one counts, as Go's
/// `pkix.Name.CommonName` (and so the API server) reads it.
fn user_from_subject(subject: &X509Name<'_>) -> Option<UserInfo> {
    let name = subject.iter_common_name().last()?.as_str().ok()?.to_owned();
    if name.is_empty() {
        return None;
    }
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_owned))
        .collect();
    Some(UserInfo {
        name,
        groups,
        ..UserInfo::default()
    })
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Bearer tokens checked with TokenReview.
pub struct TokenAuthenticator {
    client: kube::Client,
    limit: ReviewLimit,
    valid: TtlCache<TokenKey, UserInfo>,
    invalid: TtlCache<TokenKey, ()>,
}

impl std::fmt::Debug for TokenAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthenticator").finish_non_exhaustive()
    }
}

impl TokenAuthenticator {
    pub fn new(client: kube::Client, limit: ReviewLimit) -> Self {
        Self {
            client,
            limit,
            valid: TtlCache::new(TOKEN_CACHE_SIZE),
            invalid: TtlCache::new(TOKEN_CACHE_SIZE),
        }
    }

    /// The token's user, `None` when the API server says it is not valid or
    /// it is longer than [`MAX_TOKEN_LEN`] (never reviewed nor cached).
    /// `Busy` when a review is needed and none can start.
    pub async fn authenticate(&self, token: &str) -> Result<Option<UserInfo>, ReviewError> {
        if token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        let key = token_key(token);
        if let Some(user) = self.valid.get(&key) {
            return Ok(Some(user));
        }
        if self.invalid.get(&key).is_some() {
            return Ok(None);
        }
        let _permit = self.limit.try_permit()?;
        let review = TokenReview {
            spec: TokenReviewSpec {
                token: token.to_owned(),
                audiences: None,
            },
            ..TokenReview::default()
        };
        let reviews: Api<TokenReview> = Api::all(self.client.clone());
        let answer = reviews.create(&PostParams::default(), &review).await?;
        let user = answer
            .status
            .filter(|status| status.authenticated == Some(true))
            .and_then(|status| status.user)
            .and_then(|user| {
                Some(UserInfo {
                    name: user.username.filter(|name| !name.is_empty())?,
                    uid: user.uid.unwrap_or_default(),
                    groups: user.groups.unwrap_or_default(),
                    extra: user.extra.unwrap_or_default(),
                })
            });
        match &user {
            Some(user) => self.valid.insert(key, user.clone(), TOKEN_VALID_TTL),
            None => self.invalid.insert(key, (), TOKEN_INVALID_TTL),
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer_token("Bearer abc.def"), Some("abc.def"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic dXNlcg=="), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }

    #[test]
    fn a_certificate_names_user_and_groups() {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        let mut subject = rcgen::DistinguishedName::new();
        subject.push(rcgen::DnType::OrganizationName, "system:masters");
        subject.push(rcgen::DnType::CommonName, "kube-apiserver-kubelet-client");
        params.distinguished_name = subject;
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let user = user_from_certificate(cert.der()).expect("user");
        assert_eq!(user.name, "kube-apiserver-kubelet-client");
        assert_eq!(user.groups, vec!["system:masters".to_owned()]);
        assert_eq!(user_from_certificate(b"garbage"), None);
    }

    /// DER of one RDN `SET { SEQUENCE { OID 2.5.4.<attr>, UTF8String } }`.
    fn rdn(attr: u8, value: &str) -> Vec<u8> {
        let mut atv = vec![0x06, 0x03, 0x55, 0x04, attr, 0x0c, value.len() as u8];
        atv.extend_from_slice(value.as_bytes());
        let mut seq = vec![0x30, atv.len() as u8];
        seq.extend(atv);
        let mut set = vec![0x31, seq.len() as u8];
        set.extend(seq);
        set
    }

    #[test]
    fn the_last_common_name_is_the_user() {
        use x509_parser::prelude::FromDer as _;
        const CN: u8 = 3;
        const O: u8 = 10;
        let rdns: Vec<u8> = [rdn(O, "devs"), rdn(CN, "first"), rdn(CN, "last")].concat();
        let mut der = vec![0x30, rdns.len() as u8];
        der.extend(rdns);
        let (_, subject) = X509Name::from_der(&der).expect("name");
        let user = user_from_subject(&subject).expect("user");
        assert_eq!(user.name, "last", "Go's Subject.CommonName is the last CN");
        assert_eq!(user.groups, vec!["devs".to_owned()]);
    }

    #[test]
    fn tokens_are_keyed_by_their_sha256() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            token_key("abc")[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "the key is the digest, not the token"
        );
        assert_ne!(token_key("abc"), token_key("abd"));
    }

    /// A client for an address where nothing listens: any review fails.
    fn unreachable_client() -> kube::Client {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        kube::Client::try_from(config).expect("client")
    }

    #[tokio::test]
    async fn oversized_tokens_are_refused_without_a_review() {
        let tokens = TokenAuthenticator::new(unreachable_client(), ReviewLimit::new(1));
        let huge = "a".repeat(MAX_TOKEN_LEN + 1);
        // A review would fail (nothing listens): `Ok(None)` means none was made.
        assert!(matches!(tokens.authenticate(&huge).await, Ok(None)));
        assert_eq!(tokens.invalid.len(), 0, "not cached either");
        let at_limit = "a".repeat(MAX_TOKEN_LEN);
        assert!(
            matches!(
                tokens.authenticate(&at_limit).await,
                Err(ReviewError::Api(_))
            ),
            "a token of exactly the limit is reviewed"
        );
    }

    #[tokio::test]
    async fn cached_answers_need_no_review_and_misses_need_a_permit() {
        let limit = ReviewLimit::new(1);
        let tokens = TokenAuthenticator::new(unreachable_client(), limit.clone());
        let alice = UserInfo {
            name: "alice".into(),
            ..UserInfo::default()
        };
        tokens
            .valid
            .insert(token_key("good"), alice.clone(), TOKEN_VALID_TTL);
        tokens
            .invalid
            .insert(token_key("bad"), (), TOKEN_INVALID_TTL);
        let _held = limit.try_permit().expect("the only permit");
        assert_eq!(
            tokens.authenticate("good").await.expect("cached"),
            Some(alice)
        );
        assert_eq!(tokens.authenticate("bad").await.expect("cached"), None);
        assert!(
            matches!(tokens.authenticate("new").await, Err(ReviewError::Busy)),
            "a miss with no permit free is refused, not queued"
        );
    }
}
