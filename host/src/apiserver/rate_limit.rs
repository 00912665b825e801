//! Client-side request pacing (the `--kube-api-qps`/`--kube-api-burst`
//! flags), like client-go's token bucket. kube-rs has none of its own; the
//! bucket is `governor`'s, this file only adapts it to a tower layer.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tower::{Layer, Service, ServiceExt as _};

/// Paces every request through one token bucket shared by all clones.
#[derive(Clone)]
pub struct RateLimitLayer {
    limiter: Arc<DefaultDirectRateLimiter>,
    /// The `client` label of the throttling delay.
    name: &'static str,
}

impl std::fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitLayer").finish_non_exhaustive()
    }
}

impl RateLimitLayer {
    /// `qps` sustained requests per second, `burst` at once. Both are clamped
    /// to at least one (flag validation rejects zero before this).
    pub fn new(qps: f32, burst: u32) -> Self {
        let period = Duration::from_secs_f64(1.0 / f64::from(qps.max(0.001)));
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: Arc::new(RateLimiter::direct(quota)),
            name: "main",
        }
    }

    /// Names the client in `vk_host_kube_api_throttle_delay_seconds{client}`.
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }
}

/// Every request the kube client sends.
type KubeRequest = http::Request<kube::client::Body>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S> Layer<S> for RateLimitLayer
where
    S: Service<KubeRequest> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError> + Send + Sync,
{
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimited {
            // The client's own stack is not Clone; a buffer makes it so, and
            // its bound is the in-flight limit while the bucket paces.
            inner: tower::buffer::Buffer::new(inner, 1024),
            limiter: self.limiter.clone(),
            name: self.name,
        }
    }
}

/// A service whose calls each wait for a token first.
pub struct RateLimited<S: Service<KubeRequest>> {
    inner: tower::buffer::Buffer<KubeRequest, S::Future>,
    limiter: Arc<DefaultDirectRateLimiter>,
    name: &'static str,
}

impl<S: Service<KubeRequest>> std::fmt::Debug for RateLimited<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimited").finish_non_exhaustive()
    }
}

impl<S> Service<KubeRequest> for RateLimited<S>
where
    S: Service<KubeRequest> + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Into<BoxError> + Send + Sync,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is decided per call, after the token; the buffer below
        // applies its own backpressure there.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: KubeRequest) -> Self::Future {
        let inner = self.inner.clone();
        let limiter = self.limiter.clone();
        let name = self.name;
        Box::pin(async move {
            let asked = std::time::Instant::now();
            limiter.until_ready().await;
            crate::metrics::global()
                .kube
                .throttle_delay
                .get_or_create(&crate::metrics::kube::ClientLabels { client: name })
                .observe(asked.elapsed().as_secs_f64());
            inner.oneshot(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_the_burst_and_no_more() {
        // 0.01 qps: no token comes back during the test.
        let layer = RateLimitLayer::new(0.01, 5);
        for n in 0..5 {
            assert!(layer.limiter.check().is_ok(), "request {n} of the burst");
        }
        assert!(
            layer.limiter.check().is_err(),
            "the sixth waits for a token"
        );
    }
}
