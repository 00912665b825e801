//! httpGet probes: an HTTP/1.1 `GET` to the host (the pod IP by default;
//! the node's for hostNetwork pods) within `timeoutSeconds`, with the
//! probe's headers (`User-Agent: kube-probe/...` and `Accept: */*` unless
//! given); over TLS for `scheme: HTTPS`, without checking the certificate
//! ([`super::insecure_tls`]), as the kubelet. A status from 200 to 399
//! succeeds; anything else, including a connection that fails or times
//! out, fails. Redirects are not followed (a 3xx succeeds).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::{Outcome, insecure_tls};

/// The most of the response read to find the status line.
const MAX_HEAD: usize = 10 * 1024;

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

/// The request bytes for `target`, as a probe sends them.
pub fn request(target: &Target) -> Vec<u8> {
    request_as(target, PROBE_AGENT)
}

/// The request bytes for `target` with `user_agent` unless a header sets one.
pub fn request_as(target: &Target, user_agent: &str) -> Vec<u8> {
    let has = |name: &str| {
        target
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let host = if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let mut text = format!("GET {} HTTP/1.1\r\n", target.path);
    if !has("Host") {
        text.push_str(&format!("Host: {host}\r\n"));
    }
    if !has("User-Agent") {
        text.push_str(&format!("User-Agent: {user_agent}\r\n"));
    }
    if !has("Accept") {
        text.push_str("Accept: */*\r\n");
    }
    for (name, value) in &target.headers {
        // A header cannot smuggle another line.
        let clean = |s: &str| s.replace(['\r', '\n'], "");
        text.push_str(&format!("{}: {}\r\n", clean(name), clean(value)));
    }
    text.push_str("Connection: close\r\n\r\n");
    text.into_bytes()
}

/// The status code of a response whose head starts `head`.
pub fn status_code(head: &[u8]) -> Option<u16> {
    let line_end = head.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

/// 2xx and 3xx succeed (`DoHTTPProbe`).
pub fn outcome_of_status(code: u16, target: &Target) -> Outcome {
    if (200..400).contains(&code) {
        Outcome::Success
    } else {
        Outcome::Failure(format!(
            "HTTP probe failed with statuscode: {code} (GET {})",
            target.url()
        ))
    }
}

pub async fn probe(target: &Target, timeout: Duration) -> Outcome {
    match tokio::time::timeout(timeout, exchange(target, PROBE_AGENT)).await {
        Ok(Ok(code)) => outcome_of_status(code, target),
        Ok(Err(error)) => Outcome::Failure(format!("Get \"{}\": {error}", target.url())),
        Err(_) => Outcome::Failure(format!(
            "Get \"{}\": context deadline exceeded",
            target.url()
        )),
    }
}

/// Sends the request and reads the status line (no timeout: the caller
/// bounds it).
pub async fn exchange(target: &Target, user_agent: &str) -> std::io::Result<u16> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
    let request = request_as(target, user_agent);
    if target.tls {
        read_status(insecure_tls::connect(&target.host, tcp).await?, &request).await
    } else {
        read_status(tcp, &request).await
    }
}

/// Writes `request` on `stream` and reads the response's status code.
async fn read_status<S>(mut stream: S, request: &[u8]) -> std::io::Result<u16>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream.write_all(request).await?;
    let mut head = Vec::with_capacity(256);
    let mut buffer = [0_u8; 1024];
    loop {
        if let Some(code) = status_code(&head) {
            return Ok(code);
        }
        if head.len() >= MAX_HEAD || head.windows(2).any(|w| w == b"\r\n") {
            break;
        }
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "malformed HTTP response",
    ))
}

#[cfg(test)]
mod tests {
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
        let text = String::from_utf8(request(&target(8080))).expect("ASCII");
        assert_eq!(
            text,
            "GET /healthz?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: kube-probe/vk-cri-plugin\r\nAccept: */*\r\nX-Probe: yes\r\nConnection: close\r\n\r\n"
        );
        let custom = Target {
            headers: vec![
                ("Host".into(), "example".into()),
                ("user-agent".into(), "me".into()),
            ],
            host: "fd00::1".into(),
            ..target(80)
        };
        let text = String::from_utf8(request(&custom)).expect("ASCII");
        assert!(
            text.contains("Host: example\r\n") && !text.contains("fd00"),
            "{text}"
        );
        assert!(
            text.contains("user-agent: me\r\n") && !text.contains("kube-probe"),
            "{text}"
        );
    }

    #[test]
    fn status_mapping() {
        assert_eq!(status_code(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(
            status_code(b"HTTP/1.0 302 Found\r\nLocation: /x\r\n"),
            Some(302)
        );
        assert_eq!(status_code(b"HTTP/1.1 200"), None, "incomplete line");
        assert_eq!(status_code(b"SSH-2.0-OpenSSH\r\n"), None);
        let t = target(80);
        for (code, ok) in [
            (199, false),
            (200, true),
            (302, true),
            (399, true),
            (400, false),
            (500, false),
        ] {
            assert_eq!(
                outcome_of_status(code, &t) == Outcome::Success,
                ok,
                "{code}"
            );
        }
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
            Outcome::Failure(message) if message.contains("statuscode: 503 (GET https://127.0.0.1:")
        ));
        assert_eq!(is_tls(Some("https")), Ok(true));
        assert_eq!(is_tls(None), Ok(false));
        assert!(is_tls(Some("FTP")).is_err());
    }
}
