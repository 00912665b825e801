//! gRPC probes (`pkg/probe/grpc`): the standard health check
//! `grpc.health.v1.Health/Check` for the probe's `service` (empty: the
//! whole server), over plaintext HTTP/2 to the pod IP and `port`, within
//! `timeoutSeconds`. `SERVING` succeeds; any other answer, a server
//! without the health service, a failed connection or a timeout fails,
//! with the kubelet's messages.

use std::time::Duration;

use tonic::Code;
use tonic::transport::Endpoint;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::Outcome;

pub async fn probe(host: &str, port: u16, service: &str, timeout: Duration) -> Outcome {
    let address = if host.contains(':') {
        format!("http://[{host}]:{port}")
    } else {
        format!("http://{host}:{port}")
    };
    let endpoint = match Endpoint::from_shared(address.clone())
        .and_then(|endpoint| endpoint.user_agent("kube-probe/vk-cri-plugin"))
    {
        Ok(endpoint) => endpoint.connect_timeout(timeout).timeout(timeout),
        Err(error) => return Outcome::Error(format!("invalid gRPC address {address}: {error}")),
    };
    let channel = match tokio::time::timeout(timeout, endpoint.connect()).await {
        Ok(Ok(channel)) => channel,
        Ok(Err(error)) => {
            return Outcome::Failure(format!(
                "failed to connect service \"{host}:{port}\": {error}"
            ));
        }
        Err(_) => {
            return Outcome::Failure(format!(
                "timeout: failed to connect service \"{host}:{port}\" within {}s",
                timeout.as_secs()
            ));
        }
    };
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    match HealthClient::new(channel).check(request).await {
        Ok(reply) => {
            let status = reply.into_inner().status();
            if status == ServingStatus::Serving {
                Outcome::Success
            } else {
                Outcome::Failure(format!(
                    "service unhealthy (responded with \"{}\")",
                    status.as_str_name()
                ))
            }
        }
        Err(status) if status.code() == Code::Unimplemented => Outcome::Failure(format!(
            "this server does not implement the grpc health protocol (grpc.health.v1.Health): {}",
            status.message()
        )),
        Err(status)
            if status.code() == Code::DeadlineExceeded || status.code() == Code::Cancelled =>
        {
            Outcome::Failure(format!(
                "timeout: health rpc did not complete within {}s",
                timeout.as_secs()
            ))
        }
        Err(status) => Outcome::Failure(format!("health rpc probe failed: {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_health::ServingStatus as Status;

    #[tokio::test]
    async fn serving_succeeds_and_everything_else_fails() {
        let (reporter, service) = tonic_health::server::health_reporter();
        reporter.set_service_status("app", Status::Serving).await;
        reporter
            .set_service_status("down", Status::NotServing)
            .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let port = listener.local_addr().expect("its address").port();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        let second = Duration::from_secs(1);
        assert_eq!(
            probe("127.0.0.1", port, "app", second).await,
            Outcome::Success
        );
        assert_eq!(
            probe("127.0.0.1", port, "down", second).await,
            Outcome::Failure("service unhealthy (responded with \"NOT_SERVING\")".into())
        );
        assert!(matches!(
            probe("127.0.0.1", port, "unknown", second).await,
            Outcome::Failure(message) if message.starts_with("health rpc probe failed: ")
        ));
    }

    #[tokio::test]
    async fn a_closed_port_fails() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        assert!(matches!(
            probe("127.0.0.1", port, "", Duration::from_secs(1)).await,
            Outcome::Failure(message) if message.starts_with("failed to connect service")
        ));
    }
}
