//! The accept loop: TCP, then a TLS handshake (bounded in time), then HTTP/2
//! when ALPN chose `h2`, else HTTP/1.1 with upgrades (WebSocket), for the
//! axum router. The verified client certificate's user and the peer address
//! go into every request of the connection as a [`PeerInfo`] extension. On
//! cancellation no new connection is taken and open ones get a bounded grace.
//!
//! Unauthenticated clients cannot hold resources for long: open connections
//! are capped, with room kept for peers with a client certificate and idle
//! unverified connections closed to make room (see `admission`; excess
//! ones are closed at once, with a rate-limited warning),
//! a connection that has not begun a request within [`FIRST_REQUEST_TIMEOUT`]
//! of its handshake is closed, HTTP/1.1 has a header-read timeout for every
//! request (idle keep-alive included), and HTTP/2 pings its peer and closes
//! the connection when the pings go unanswered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt as _;
use tracing::Instrument as _;

use super::admission::{Admission, Admitted, Ticket};
use super::auth::PeerInfo;
use super::auth::authn::user_from_certificate;
use super::tls::refused_version;

/// A client that has not finished the TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The kubelet's `ReadHeaderTimeout`.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection that has not started its first request this long after the
/// handshake is closed (covers the HTTP/2 preface, which has no timeout of
/// its own).
const FIRST_REQUEST_TIMEOUT: Duration = HEADER_READ_TIMEOUT;
/// HTTP/2: how often an idle peer is pinged, and how long it has to answer
/// before the connection is closed.
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long open connections may finish after shutdown begins.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// At most this many connections are open at once (fewer when the process's
/// open-file limit is low, see [`connection_limit`]).
const MAX_CONNECTIONS: usize = 4096;
/// The warnings about refused connections (over the cap, or with a client
/// certificate of an unsupported X.509 version) are logged at most this often.
const REFUSAL_WARN_INTERVAL: Duration = Duration::from_secs(10);

/// How many connections may be open at once: [`MAX_CONNECTIONS`], or half the
/// soft open-file limit if that is lower (the rest of the process needs file
/// descriptors too), but at least 64.
fn connection_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| soft_open_files(&limits))
        .map_or(MAX_CONNECTIONS, |soft| {
            MAX_CONNECTIONS.min((soft / 2).max(64))
        })
}

/// The soft "Max open files" of a `/proc/<pid>/limits` text.
fn soft_open_files(limits: &str) -> Option<usize> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Counts connections refused for one reason (the cap; a client certificate
/// that is not X.509 v3) and warns about them at most once per
/// [`REFUSAL_WARN_INTERVAL`]: anyone who can connect can cause either.
#[derive(Debug)]
struct RefusalLog {
    refused: u64,
    last_warning: Option<Instant>,
}

impl RefusalLog {
    fn new() -> Self {
        Self {
            refused: 0,
            last_warning: None,
        }
    }

    /// Records one refusal; returns how many to report if a warning is due.
    fn refused(&mut self, now: Instant) -> Option<u64> {
        self.refused += 1;
        let due = self
            .last_warning
            .is_none_or(|last| now.duration_since(last) >= REFUSAL_WARN_INTERVAL);
        if !due {
            return None;
        }
        self.last_warning = Some(now);
        Some(std::mem::take(&mut self.refused))
    }
}

/// Probes an idle connection after 30 s, every 10 s, and drops it after
/// 3 unanswered probes: a dead peer is noticed in about a minute.
fn tcp_keepalive() -> socket2::TcpKeepalive {
    socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(30))
        .with_interval(Duration::from_secs(10))
        .with_retries(3)
}

/// Serves `router` on `listener` until `token` is cancelled.
pub async fn accept_loop(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: Router,
    token: CancellationToken,
) {
    let acceptor = TlsAcceptor::from(tls);
    let connections = TaskTracker::new();
    let admission = Admission::new(connection_limit());
    let limit = admission.limit();
    let mut refusals = RefusalLog::new();
    let mut evictions = RefusalLog::new();
    let version_refusals = Arc::new(Mutex::new(RefusalLog::new()));
    loop {
        let (stream, remote) = tokio::select! {
            () = token.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %error, "accepting a kubelet API connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let ticket = match admission.admit(remote.ip()) {
            Admitted::Yes { ticket, evicted } => {
                if evicted && let Some(closed) = evictions.refused(Instant::now()) {
                    tracing::warn!(
                        limit,
                        closed,
                        peer = %remote,
                        "kubelet API connections without a client certificate at their limit; closing the oldest idle ones"
                    );
                }
                Some(ticket)
            }
            Admitted::No => None,
        };
        let Some(ticket) = ticket else {
            // Closed at once (dropped): the cap keeps descriptors for the
            // rest of the process.
            drop(stream);
            if let Some(refused) = refusals.refused(Instant::now()) {
                tracing::warn!(
                    limit,
                    refused,
                    "kubelet API connection limit reached; closing new connections"
                );
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        // A peer that vanished without closing (its host died, a network
        // partition) would otherwise keep an upgraded stream, and the
        // plugin stream behind it, open for good.
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&tcp_keepalive());
        connections.spawn(
            serve_connection(
                ticket,
                stream,
                remote,
                acceptor.clone(),
                router.clone(),
                token.clone(),
                Arc::clone(&version_refusals),
            )
            .instrument(tracing::debug_span!("kubelet-api-conn", peer = %remote)),
        );
    }
    connections.close();
    if tokio::time::timeout(DRAIN_GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "kubelet API connections still open after the grace; dropping them"
        );
    }
}

/// Serves one connection until it ends, or until it is closed to make room
/// (only while it is unverified and has not begun a request).
async fn serve_connection(
    mut ticket: Ticket,
    stream: TcpStream,
    remote: SocketAddr,
    acceptor: TlsAcceptor,
    router: Router,
    token: CancellationToken,
    version_refusals: Arc<Mutex<RefusalLog>>,
) {
    let close = ticket.close.clone();
    let serve = serve_admitted(
        &mut ticket,
        stream,
        remote,
        acceptor,
        router,
        token,
        version_refusals,
    );
    tokio::select! {
        () = serve => {}
        () = close.cancelled() => {
            tracing::debug!("closed to make room: unverified and idle");
        }
    }
}

async fn serve_admitted(
    ticket: &mut Ticket,
    stream: TcpStream,
    remote: SocketAddr,
    acceptor: TlsAcceptor,
    router: Router,
    token: CancellationToken,
    version_refusals: Arc<Mutex<RefusalLog>>,
) {
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            match refused_version(&error) {
                // The API server's kubelet-client certificate may be one: its
                // side only says `tls: unknown certificate`, so say why here.
                Some(refused) => {
                    let due = version_refusals
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .refused(Instant::now());
                    match due {
                        Some(refused_since_last) => tracing::warn!(
                            peer = %remote,
                            refused_since_last,
                            "kubelet API client certificate refused: {refused}"
                        ),
                        None => tracing::debug!(
                            peer = %remote,
                            "kubelet API client certificate refused: {refused}"
                        ),
                    }
                }
                None => tracing::debug!(error = %error, "TLS handshake failed"),
            }
            return;
        }
        Err(_) => {
            tracing::debug!("TLS handshake timed out");
            return;
        }
    };
    if tls.get_ref().1.peer_certificates().is_some() {
        // Verified against the client CA during the handshake.
        ticket.verified();
    }
    let certificate_user = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|leaf| user_from_certificate(leaf));
    let http2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
    let peer = PeerInfo {
        remote,
        certificate_user,
    };
    let started = Arc::clone(&ticket.started);
    let seen = Arc::clone(&started);
    let service = router.map_request(move |mut request: http::Request<Incoming>| {
        seen.store(true, Ordering::Relaxed);
        request.extensions_mut().insert(peer.clone());
        request
    });
    let service = TowerToHyperService::new(service);
    let io = TokioIo::new(tls);
    if http2 {
        let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .keep_alive_interval(H2_KEEP_ALIVE_INTERVAL)
            .keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT)
            .serve_connection(io, service);
        tokio::pin!(connection);
        drive(connection, &started, &token).await;
    } else {
        // HTTP/1.1 also without ALPN: the API server's WebSocket upgrades
        // (exec, attach, port-forward) need it.
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(io, service)
            .with_upgrades();
        tokio::pin!(connection);
        drive(connection, &started, &token).await;
    }
}

/// An HTTP connection of either version, as [`drive`] needs it.
trait Connection: Future<Output = Result<(), hyper::Error>> {
    fn graceful_shutdown(self: std::pin::Pin<&mut Self>);
}

impl<I, S, E> Connection for hyper::server::conn::http2::Connection<I, S, E>
where
    Self: Future<Output = Result<(), hyper::Error>>,
    S: hyper::service::HttpService<Incoming>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, S::ResBody>,
    S::ResBody: hyper::body::Body + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful_shutdown(self: std::pin::Pin<&mut Self>) {
        hyper::server::conn::http2::Connection::graceful_shutdown(self);
    }
}

impl<I, S> Connection for hyper::server::conn::http1::UpgradeableConnection<I, S>
where
    Self: Future<Output = Result<(), hyper::Error>>,
    S: hyper::service::HttpService<Incoming>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S::ResBody: hyper::body::Body + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful_shutdown(self: std::pin::Pin<&mut Self>) {
        hyper::server::conn::http1::UpgradeableConnection::graceful_shutdown(self);
    }
}

/// Runs `connection` to its end; closes it if no request began within
/// [`FIRST_REQUEST_TIMEOUT`], and drains it with a grace on cancellation.
async fn drive<C: Connection>(
    mut connection: std::pin::Pin<&mut C>,
    started: &AtomicBool,
    token: &CancellationToken,
) {
    let first_request = tokio::time::sleep(FIRST_REQUEST_TIMEOUT);
    tokio::pin!(first_request);
    let mut waiting = true;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(error = %error, "kubelet API connection ended with an error");
                }
                return;
            }
            () = first_request.as_mut(), if waiting => {
                if started.load(Ordering::Relaxed) {
                    waiting = false;
                } else {
                    tracing::debug!("no request within the first-request timeout; closing");
                    return;
                }
            }
            () = token.cancelled() => {
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(DRAIN_GRACE, connection.as_mut()).await;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_file_limit_lowers_the_connection_cap() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63704                63704                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(soft_open_files(limits), Some(1024));
        assert_eq!(
            soft_open_files("Max open files unlimited unlimited files"),
            None
        );
        assert_eq!(soft_open_files(""), None);
        let limit = connection_limit();
        assert!((64..=MAX_CONNECTIONS).contains(&limit), "{limit}");
    }

    /// A connection that never ends by itself, recording a graceful shutdown.
    struct Silent {
        shut_down: bool,
    }

    impl Future for Silent {
        type Output = Result<(), hyper::Error>;
        fn poll(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Self::Output> {
            if self.shut_down {
                std::task::Poll::Ready(Ok(()))
            } else {
                std::task::Poll::Pending
            }
        }
    }

    impl Connection for Silent {
        fn graceful_shutdown(mut self: std::pin::Pin<&mut Self>) {
            self.shut_down = true;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_without_a_first_request_is_closed() {
        let token = CancellationToken::new();
        let silent = Silent { shut_down: false };
        tokio::pin!(silent);
        let start = tokio::time::Instant::now();
        drive(silent.as_mut(), &AtomicBool::new(false), &token).await;
        assert_eq!(start.elapsed(), FIRST_REQUEST_TIMEOUT);

        // One that started a request is left open past it (until shutdown).
        let busy = Silent { shut_down: false };
        tokio::pin!(busy);
        let started = AtomicBool::new(true);
        let stopper = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(FIRST_REQUEST_TIMEOUT * 10).await;
            stopper.cancel();
        });
        let start = tokio::time::Instant::now();
        drive(busy.as_mut(), &started, &token).await;
        assert_eq!(start.elapsed(), FIRST_REQUEST_TIMEOUT * 10);
        assert!(busy.shut_down);
    }

    #[test]
    fn refusals_are_warned_about_at_most_once_per_interval() {
        let mut log = RefusalLog::new();
        let start = Instant::now();
        assert_eq!(log.refused(start), Some(1));
        assert_eq!(log.refused(start + Duration::from_secs(1)), None);
        assert_eq!(log.refused(start + Duration::from_secs(2)), None);
        assert_eq!(
            log.refused(start + REFUSAL_WARN_INTERVAL + Duration::from_secs(1)),
            Some(3)
        );
    }

    #[test]
    fn the_tls_configuration_offers_h2_and_http11() {
        let names = super::super::tls::ServingNames {
            node_name: "vk-1".into(),
            dns_names: vec!["vk-1".into()],
            ips: Vec::new(),
        };
        let cert = super::super::tls::serving_cert(
            &super::super::tls::ServingCertSource::SelfSigned,
            &names,
        )
        .expect("certificate");
        let config = super::super::tls::server_config(cert, None).expect("config");
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
