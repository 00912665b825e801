//! httpGet probes: an HTTP/1.1 `GET` to the host (the pod IP by default;
//! the node's for hostNetwork pods) within `timeoutSeconds`, with the
//! probe's headers (`User-Agent: kube-probe/...` and `Accept: */*` unless
//! given); over TLS for `scheme: HTTPS`, without checking the certificate
//! ([`super::insecure_tls`]), as the kubelet; through hyper's HTTP/1.1
//! client. Redirects to the same host are followed (at most 10,
//! [`super::redirect`]); a 2xx succeeds, a 3xx left unfollowed succeeds
//! with a warning (the kubelet's `ProbeWarning`), anything else, including
//! a connection that fails or times out, fails.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper::Request;
use hyper::header::{ACCEPT, CONNECTION, HOST, LOCATION, USER_AGENT};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::task::AbortOnDropHandle;

use super::{Outcome, insecure_tls, redirect};

/// Where an httpGet probe goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
    /// `httpHeaders`, in order.
    pub headers: Vec<(String, String)>,
    /// `scheme: HTTPS`.
    pub tls: bool,
}

impl Target {
    /// The URL, as the kubelet's messages show it.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{}{}", self.port, self.path)
    }
}

/// Whether an httpGet `scheme` is HTTPS; Err for one that is neither.
pub fn is_tls(scheme: Option<&str>) -> Result<bool, String> {
    match scheme.unwrap_or("HTTP") {
        s if s.eq_ignore_ascii_case("HTTP") => Ok(false),
        s if s.eq_ignore_ascii_case("HTTPS") => Ok(true),
        other => Err(format!(
            "httpGet scheme {other:?} is neither HTTP nor HTTPS"
        )),
    }
}

/// The request path of a probe `path`: `/` when empty, else with a
/// leading `/` (as Go's URL formatting adds one).
pub fn request_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// The User-Agent of probe requests.
pub const PROBE_AGENT: &str = "kube-probe/vk-cri-plugin";

/// The most of a response body kept for messages (the kubelet's 10 KiB).
const MAX_BODY: usize = 10 * 1024;

/// Same-host redirects a probe follows before it fails (Go's default).
const MAX_REDIRECTS: usize = 10;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The body's first [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
}

/// The request for `target`: its headers, with `Host`, `User-Agent`
/// (`user_agent`) and `Accept: */*` unless it sets them.
pub fn request_as(target: &Target, user_agent: &str) -> Result<Request<Empty<Bytes>>, BoxError> {
    let has = |name: &str| {
        target
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut request = Request::get(target.path.as_str());
    if !has("Host") {
        let host = if target.host.contains(':') {
            format!("[{}]:{}", target.host, target.port)
        } else {
            format!("{}:{}", target.host, target.port)
        };
        request = request.header(HOST, host);
    }
    if !has("User-Agent") {
        request = request.header(USER_AGENT, user_agent);
    }
    if !has("Accept") {
        request = request.header(ACCEPT, "*/*");
    }
    for (name, value) in &target.headers {
        // Checked by the http crate: a header cannot smuggle another line.
        request = request.header(name.as_str(), value.as_str());
    }
    Ok(request.header(CONNECTION, "close").body(Empty::new())?)
}

/// Sends one request to `target` and reads the reply (no timeout: the
/// caller bounds it).
pub async fn send(target: &Target, user_agent: &str) -> Result<Reply, BoxError> {
    let request = request_as(target, user_agent)?;
    let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
    if target.tls {
        send_on(insecure_tls::connect(&target.host, tcp).await?, request).await
    } else {
        send_on(tcp, request).await
    }
}

async fn send_on<S>(stream: S, request: Request<Empty<Bytes>>) -> Result<Reply, BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let _driver = AbortOnDropHandle::new(tokio::spawn(connection));
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    let mut incoming = response.into_body();
    while body.len() < MAX_BODY {
        match incoming.frame().await {
            Some(frame) => {
                if let Ok(data) = frame?.into_data() {
                    let room = MAX_BODY - body.len();
                    body.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            None => break,
        }
    }
    Ok(Reply {
        status,
        location,
        body,
    })
}

/// The status a hook's request gets (no redirect followed).
pub async fn exchange(target: &Target, user_agent: &str) -> Result<u16, BoxError> {
    Ok(send(target, user_agent).await?.status)
}

/// The probe's outcome from the final reply (`DoHTTPProbe`): 2xx
/// succeeds; a 3xx that was not followed (another host, or no `Location`)
/// succeeds with a warning carrying the body; anything else fails.
pub fn outcome_of(reply: &Reply) -> Outcome {
    match reply.status {
        200..300 => Outcome::Success,
        300..400 => Outcome::Warning(format!(
            "Probe terminated redirects, Response body: {}",
            String::from_utf8_lossy(&reply.body)
        )),
        code => Outcome::Failure(format!("HTTP probe failed with statuscode: {code}")),
    }
}

/// Runs an httpGet probe within `timeout`, following redirects to the same
/// host (at most [`MAX_REDIRECTS`]), as the kubelet's prober does.
pub async fn probe(target: &Target, timeout: Duration) -> Outcome {
    let mut current = target.clone();
    let followed = async {
        // Go's client sends at most this many requests: the tenth
        // redirect is an error.
        for _ in 0..MAX_REDIRECTS {
            let reply = send(&current, PROBE_AGENT).await?;
            if !redirect::FOLLOWED.contains(&reply.status) {
                return Ok(reply);
            }
            let Some(location) = reply.location.as_deref() else {
                return Ok(reply);
            };
            match redirect::next(&current, location) {
                redirect::Next::SameHost(next) => current = next,
                redirect::Next::OtherHost => return Ok(reply),
                redirect::Next::Invalid(why) => return Err(why.into()),
            }
        }
        Err::<Reply, BoxError>(format!("stopped after {MAX_REDIRECTS} redirects").into())
    };
    match tokio::time::timeout(timeout, followed).await {
        Ok(Ok(reply)) => outcome_of(&reply),
        Ok(Err(error)) => Outcome::Failure(format!("Get \"{}\": {error}", current.url())),
        Err(_) => Outcome::Failure(format!(
            "Get \"{}\": context deadline exceeded",
            current.url()
        )),
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    fn target(port: u16) -> Target {
        Target {
            host: "127.0.0.1".into(),
            port,
            path: "/healthz?x=1".into(),
            headers: vec![("X-Probe".into(), "yes".into())],
            tls: false,
        }
    }

    #[test]
    fn paths_and_requests() {
        assert_eq!(request_path(""), "/");
        assert_eq!(request_path("healthz"), "/healthz");
        assert_eq!(request_path("/a?b=c"), "/a?b=c");
        let request = request_as(&target(8080), PROBE_AGENT).expect("a request");
        assert_eq!(request.uri(), "/healthz?x=1");
        let header = |request: &Request<Empty<Bytes>>, name: &str| {
            request
                .headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().expect("text").to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(header(&request, "host"), ["127.0.0.1:8080"]);
        assert_eq!(header(&request, "user-agent"), ["kube-probe/vk-cri-plugin"]);
        assert_eq!(header(&request, "accept"), ["*/*"]);
        assert_eq!(header(&request, "x-probe"), ["yes"]);
        let custom = Target {
            headers: vec![
                ("Host".into(), "example".into()),
                ("user-agent".into(), "me".into()),
            ],
            host: "fd00::1".into(),
            ..target(80)
        };
        let request = request_as(&custom, PROBE_AGENT).expect("a request");
        assert_eq!(header(&request, "host"), ["example"]);
        assert_eq!(header(&request, "user-agent"), ["me"]);
        let smuggling = Target {
            headers: vec![("X-A".into(), "1\r\nX-B: 2".into())],
            ..target(80)
        };
        assert!(request_as(&smuggling, PROBE_AGENT).is_err());
    }

    #[test]
    fn status_mapping() {
        let reply = |status: u16, body: &str| Reply {
            status,
            location: None,
            body: body.as_bytes().to_vec(),
        };
        for (code, ok) in [
            (199, false),
            (200, true),
            (299, true),
            (400, false),
            (500, false),
        ] {
            assert_eq!(
                outcome_of(&reply(code, "")) == Outcome::Success,
                ok,
                "{code}"
            );
        }
        assert_eq!(
            outcome_of(&reply(302, "moved")),
            Outcome::Warning("Probe terminated redirects, Response body: moved".into())
        );
        assert_eq!(
            outcome_of(&reply(503, "")),
            Outcome::Failure("HTTP probe failed with statuscode: 503".into())
        );
    }

    /// A server answering each request by its path: `(path, reply)`.
    async fn serve_paths(replies: Vec<(&'static str, String)>) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let port = listener.local_addr().expect("its address").port();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let replies = replies.clone();
                tokio::spawn(async move {
                    let mut request = vec![0_u8; 4096];
                    let Ok(n) = conn.read(&mut request).await else {
                        return;
                    };
                    let text = String::from_utf8_lossy(&request[..n]).into_owned();
                    let path = text.split(' ').nth(1).unwrap_or_default().to_owned();
                    let reply = replies.iter().find(|(p, _)| *p == path).map_or_else(
                        || "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned(),
                        |(_, r)| r.clone(),
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn redirects_to_the_same_host_are_followed() {
        let second = Duration::from_secs(2);
        let redirect = |location: &str| {
            format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 5\r\n\r\nmoved")
        };
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_owned();
        let failing = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n".to_owned();
        let port = serve_paths(vec![
            ("/healthz?x=1", redirect("/ready")),
            ("/ready", ok),
            ("/to-error", redirect("/error")),
            ("/error", failing),
            ("/away", redirect("http://login.example/")),
            ("/loop", redirect("/loop")),
        ])
        .await;
        let at = |path: &str| Target {
            path: path.into(),
            ..target(port)
        };
        assert_eq!(probe(&at("/healthz?x=1"), second).await, Outcome::Success);
        // The page the redirect leads to decides, not the 302.
        assert_eq!(
            probe(&at("/to-error"), second).await,
            Outcome::Failure("HTTP probe failed with statuscode: 500".into())
        );
        assert_eq!(
            probe(&at("/away"), second).await,
            Outcome::Warning("Probe terminated redirects, Response body: moved".into())
        );
        assert_eq!(
            probe(&at("/loop"), second).await,
            Outcome::Failure(format!(
                "Get \"http://127.0.0.1:{port}/loop\": stopped after 10 redirects"
            ))
        );
    }

    async fn serve_once(response: &'static [u8]) -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let port = listener.local_addr().expect("its address").port();
        let server = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.expect("a connection");
            let mut request = vec![0_u8; 4096];
            let n = conn.read(&mut request).await.expect("the request");
            request.truncate(n);
            if !response.is_empty() {
                conn.write_all(response).await.expect("the response");
                return request;
            }
            // No answer: hold the connection past the probe's timeout.
            tokio::time::sleep(Duration::from_secs(5)).await;
            request
        });
        (port, server)
    }

    #[tokio::test]
    async fn against_a_server() {
        let (port, server) = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
        assert_eq!(
            probe(&target(port), Duration::from_secs(2)).await,
            Outcome::Success
        );
        let sent = server.await.expect("the server");
        assert!(sent.starts_with(b"GET /healthz?x=1 HTTP/1.1\r\n"));

        let (port, server) = serve_once(b"HTTP/1.1 503 Service Unavailable\r\n\r\n").await;
        assert!(matches!(
            probe(&target(port), Duration::from_secs(2)).await,
            Outcome::Failure(m) if m.contains("statuscode: 503")
        ));
        server.await.expect("the server");

        let (port, server) = serve_once(b"").await;
        assert!(matches!(
            probe(&target(port), Duration::from_millis(300)).await,
            Outcome::Failure(m) if m.contains("deadline")
        ));
        server.abort();
    }

    /// An HTTPS server with a self-signed certificate answering `status`.
    async fn tls_server(status: u16) -> u16 {
        use std::sync::Arc;
        let key = rcgen::KeyPair::generate().expect("a key");
        let cert = rcgen::CertificateParams::new(vec!["pod.invalid".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("a certificate");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("a server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut buffer = [0_u8; 1024];
                    let _ = tls.read(&mut buffer).await;
                    let reply = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn https_skips_certificate_checks_as_the_kubelet() {
        let second = Duration::from_secs(2);
        let ok = Target {
            tls: true,
            ..target(tls_server(200).await)
        };
        assert_eq!(probe(&ok, second).await, Outcome::Success);
        let failing = Target {
            tls: true,
            ..target(tls_server(503).await)
        };
        assert!(matches!(
            probe(&failing, second).await,
            Outcome::Failure(message) if message == "HTTP probe failed with statuscode: 503"
        ));
        assert_eq!(is_tls(Some("https")), Ok(true));
        assert_eq!(is_tls(None), Ok(false));
        assert!(is_tls(Some("FTP")).is_err());
    }
}
