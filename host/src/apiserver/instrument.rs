//! A tower layer on every kube client that counts each request by verb,
//! resource and status code and times it until its response headers (the
//! `vk_host_kube_api_*` families). It sits below the rate limit, so its
//! latency is the API server's, not the time spent waiting for a token.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tower::{Layer, Service};

/// Counts and times every request of the client it wraps.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstrumentLayer;

impl<S> Layer<S> for InstrumentLayer {
    type Service = Instrumented<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Instrumented { inner }
    }
}

/// The service of [`InstrumentLayer`].
#[derive(Debug, Clone)]
pub struct Instrumented<S> {
    inner: S,
}

impl<S, B, RB> Service<http::Request<B>> for Instrumented<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().map(str::to_owned);
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await;
            let status = response.as_ref().ok().map(http::Response::status);
            crate::metrics::global().kube.observe_request(
                &method,
                &path,
                query.as_deref(),
                status,
                started.elapsed().as_secs_f64(),
            );
            response
        })
    }
}

#[cfg(test)]
mod tests {
    use tower::{ServiceExt as _, service_fn};

    use super::*;
    use crate::metrics::kube::RequestLabels;

    fn count(code: &str) -> u64 {
        crate::metrics::global()
            .kube
            .requests
            .get_or_create(&RequestLabels {
                verb: "create",
                resource: "configmaps",
                code: code.to_owned(),
            })
            .get()
    }

    #[tokio::test]
    async fn every_request_is_counted_with_its_status_or_as_an_error() {
        let created = count("201");
        let failed = count("error");
        let service = InstrumentLayer.layer(service_fn(|request: http::Request<()>| async move {
            if request.uri().query() == Some("fail") {
                Err("no connection")
            } else {
                Ok(http::Response::builder()
                    .status(201)
                    .body(())
                    .expect("a response"))
            }
        }));
        let path = "/api/v1/namespaces/ns/configmaps";
        for uri in [path.to_owned(), format!("{path}?fail")] {
            let request = http::Request::post(uri).body(()).expect("a request");
            let _ = service.clone().oneshot(request).await;
        }
        assert_eq!((count("201"), count("error")), (created + 1, failed + 1));
    }
}
