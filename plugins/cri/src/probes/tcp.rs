//! tcpSocket probes: a TCP connect to the host (the pod IP by default)
//! within `timeoutSeconds`; the connection is closed at once.

use std::time::Duration;

use tokio::net::TcpStream;

use super::Outcome;

pub async fn probe(host: &str, port: u16, timeout: Duration) -> Outcome {
    match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Ok(Ok(_stream)) => Outcome::Success,
        Ok(Err(error)) => Outcome::Failure(format!("dial tcp {host}:{port}: {error}")),
        Err(_) => Outcome::Failure(format!("dial tcp {host}:{port}: i/o timeout")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_and_closed_ports() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let port = listener.local_addr().expect("its address").port();
        assert_eq!(
            probe("127.0.0.1", port, Duration::from_secs(1)).await,
            Outcome::Success
        );
        drop(listener);
        assert!(matches!(
            probe("127.0.0.1", port, Duration::from_secs(1)).await,
            Outcome::Failure(_)
        ));
    }
}
