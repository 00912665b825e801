//! Who is calling: the client certificate that TLS verified against
//! `--client-ca-file` (user = CN, groups = O, as the API server reads it), or
//! a bearer token the API server vouches for through TokenReview (answers
//! cached: 2 min when valid, 10 s when not, as the kubelet's defaults).

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use kube::Api;
use kube::api::PostParams;

use super::cache::TtlCache;

/// How long a valid token's identity is reused.
pub const TOKEN_VALID_TTL: Duration = Duration::from_secs(120);
/// How long an invalid token's refusal is reused.
pub const TOKEN_INVALID_TTL: Duration = Duration::from_secs(10);
/// Most token answers kept.
const TOKEN_CACHE_SIZE: usize = 4096;

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
    let subject = cert.subject();
    let name = subject.iter_common_name().next()?.as_str().ok()?.to_owned();
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
    cache: TtlCache<String, Option<UserInfo>>,
}

impl std::fmt::Debug for TokenAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthenticator").finish_non_exhaustive()
    }
}

impl TokenAuthenticator {
    pub fn new(client: kube::Client) -> Self {
        Self {
            client,
            cache: TtlCache::new(TOKEN_CACHE_SIZE),
        }
    }

    /// The token's user, `None` when the API server says it is not valid.
    pub async fn authenticate(&self, token: &str) -> Result<Option<UserInfo>, kube::Error> {
        if let Some(answer) = self.cache.get(&token.to_owned()) {
            return Ok(answer);
        }
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
        let ttl = if user.is_some() {
            TOKEN_VALID_TTL
        } else {
            TOKEN_INVALID_TTL
        };
        self.cache.insert(token.to_owned(), user.clone(), ttl);
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
}
