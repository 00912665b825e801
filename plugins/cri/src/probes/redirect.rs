//! Where an httpGet probe's redirect leads (the kubelet's
//! `RedirectChecker(followNonLocalRedirects=false)` over Go's client): a
//! `Location` on the same host name (any port or scheme) is followed with
//! the probe's headers (a custom `Host` only through a path-only
//! `Location`, as Go's client); one on another host ends the probe with the
//! 3xx reply. Pure: the caller sends the requests.

use hyper::Uri;

use super::http::Target;

/// The statuses Go's client follows; any other 3xx is a final reply.
pub const FOLLOWED: [u16; 5] = [301, 302, 303, 307, 308];

/// The next request of a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Follow it: the same host name.
    SameHost(Target),
    /// Stop: the reply stands.
    OtherHost,
    /// A `Location` that is not a URL.
    Invalid(String),
}

/// Where `location`, received in reply to `from`, leads.
pub fn next(from: &Target, location: &str) -> Next {
    let invalid = || Next::Invalid(format!("failed to parse Location header {location:?}"));
    if location.starts_with("//") {
        // Scheme-relative: another authority under the same scheme.
        let scheme = if from.tls { "https:" } else { "http:" };
        return next(from, &format!("{scheme}{location}"));
    }
    if !has_scheme(location) {
        // A path: the same server.
        if location.chars().any(|c| c == ' ' || c.is_ascii_control()) {
            return invalid();
        }
        return Next::SameHost(Target {
            path: resolve_path(&from.path, location),
            ..from.clone()
        });
    }
    let Some((uri, authority)) = location
        .parse::<Uri>()
        .ok()
        .and_then(|uri| Some((uri.clone(), uri.authority()?.clone())))
    else {
        return invalid();
    };
    let tls = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => true,
        Some(s) if s.eq_ignore_ascii_case("http") => false,
        _ => return invalid(),
    };
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    if !host.eq_ignore_ascii_case(&from.host) {
        return Next::OtherHost;
    }
    Next::SameHost(Target {
        host: from.host.clone(),
        port: authority.port_u16().unwrap_or(if tls { 443 } else { 80 }),
        path: uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        tls,
        // As Go's client: a custom Host survives relative redirects only.
        headers: from
            .headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("Host"))
            .cloned()
            .collect(),
    })
}

/// Whether `location` starts with a URL scheme (`http:`, `https:`, ...).
fn has_scheme(location: &str) -> bool {
    location.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// `reference` (a path, maybe with a query) resolved against the request
/// path `base`: absolute paths stand, others replace `base`'s last segment.
fn resolve_path(base: &str, reference: &str) -> String {
    if reference.starts_with('/') {
        return reference.to_owned();
    }
    let base_path = base.split('?').next().unwrap_or("/");
    let directory = &base_path[..=base_path.rfind('/').unwrap_or(0)];
    let directory = if directory.is_empty() { "/" } else { directory };
    if reference.is_empty() {
        return base.to_owned();
    }
    if reference.starts_with('?') {
        return format!("{base_path}{reference}");
    }
    format!("{directory}{reference}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Target {
        Target {
            host: "10.88.0.5".into(),
            port: 8080,
            path: "/app/healthz?full=1".into(),
            headers: vec![("X-Probe".into(), "yes".into())],
            tls: false,
        }
    }

    fn same(host: &str, port: u16, path: &str, tls: bool) -> Next {
        Next::SameHost(Target {
            host: host.into(),
            port,
            path: path.into(),
            tls,
            ..from()
        })
    }

    #[test]
    fn paths_stay_on_the_server() {
        assert_eq!(
            next(&from(), "/ready"),
            same("10.88.0.5", 8080, "/ready", false)
        );
        assert_eq!(
            next(&from(), "ready?x=1"),
            same("10.88.0.5", 8080, "/app/ready?x=1", false)
        );
        assert_eq!(
            next(&from(), "?short=1"),
            same("10.88.0.5", 8080, "/app/healthz?short=1", false)
        );
    }

    #[test]
    fn the_same_host_on_another_port_or_scheme_is_followed() {
        assert_eq!(
            next(&from(), "https://10.88.0.5:8443/secure"),
            same("10.88.0.5", 8443, "/secure", true)
        );
        assert_eq!(
            next(&from(), "http://10.88.0.5/"),
            same("10.88.0.5", 80, "/", false)
        );
        assert_eq!(
            next(&from(), "//10.88.0.5:9000/x"),
            same("10.88.0.5", 9000, "/x", false)
        );
        let v6 = Target {
            host: "fd00::5".into(),
            ..from()
        };
        assert_eq!(
            next(&v6, "http://[fd00::5]:81/y"),
            Next::SameHost(Target {
                port: 81,
                path: "/y".into(),
                ..v6.clone()
            })
        );
    }

    #[test]
    fn a_custom_host_header_survives_path_redirects_only() {
        let custom = Target {
            headers: vec![("Host".into(), "app.example".into())],
            ..from()
        };
        let headers = |next: Next| match next {
            Next::SameHost(target) => target.headers,
            other => panic!("{other:?}"),
        };
        assert_eq!(headers(next(&custom, "/b")), custom.headers);
        assert!(headers(next(&custom, "http://10.88.0.5:8080/b")).is_empty());
    }

    #[test]
    fn another_host_ends_the_probe() {
        assert_eq!(next(&from(), "http://login.example/"), Next::OtherHost);
        assert_eq!(next(&from(), "//10.88.0.6/"), Next::OtherHost);
        assert!(matches!(
            next(&from(), "ftp://10.88.0.5/"),
            Next::Invalid(_)
        ));
        assert!(matches!(
            next(&from(), "http://bad host/"),
            Next::Invalid(_)
        ));
    }
}
