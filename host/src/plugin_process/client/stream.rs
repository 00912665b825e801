//! Streaming calls as [`PluginStream`]s, open from the call on: grpc-go and
//! grpcio send a stream's response headers only with its first message, so
//! the call of a plugin with nothing to say yet stays pending, and that is
//! not a failure.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt as _, TryStreamExt as _};
use tonic::{Response, Status, Streaming};

use super::{CallError, PluginClient};

/// A server (or bidirectional) stream of the plugin, opened lazily: it
/// counts as open from the call on. There is no deadline on opening a
/// stream (a hung plugin is caught by the health probe); a failure to open
/// arrives as the stream's first item.
pub type PluginStream<T> = BoxStream<'static, Result<T, CallError>>;

impl PluginClient {
    /// Wraps a streaming call into a [`PluginStream`].
    pub(super) fn stream<T, F>(&self, rpc: &'static str, open: F) -> PluginStream<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<Response<Streaming<T>>, Status>> + Send + 'static,
    {
        lazy(Arc::clone(&self.name), rpc, open)
    }

    /// Like [`Self::stream`], but a failure to open within `wait` is the
    /// call's error, for a caller that still has a better way to report
    /// one than ending a stream (an HTTP status). A call still pending
    /// then counts as open.
    pub(super) async fn stream_failing_early<T, F>(
        &self,
        rpc: &'static str,
        wait: Duration,
        open: F,
    ) -> Result<PluginStream<T>, CallError>
    where
        T: Send + 'static,
        F: Future<Output = Result<Response<Streaming<T>>, Status>> + Send + 'static,
    {
        open_within(Arc::clone(&self.name), rpc, wait, open).await
    }
}

fn lazy<T, F>(plugin: Arc<str>, rpc: &'static str, open: F) -> PluginStream<T>
where
    T: Send + 'static,
    F: Future<Output = Result<Response<Streaming<T>>, Status>> + Send + 'static,
{
    futures::stream::once(async move { open.await.map(Response::into_inner) })
        .try_flatten()
        .map_err(move |status| CallError::Status {
            plugin: Arc::clone(&plugin),
            rpc,
            status,
        })
        .boxed()
}

async fn open_within<T, F>(
    plugin: Arc<str>,
    rpc: &'static str,
    wait: Duration,
    open: F,
) -> Result<PluginStream<T>, CallError>
where
    T: Send + 'static,
    F: Future<Output = Result<Response<Streaming<T>>, Status>> + Send + 'static,
{
    let mut open = Box::pin(open);
    match tokio::time::timeout(wait, open.as_mut()).await {
        Ok(Ok(response)) => Ok(lazy(plugin, rpc, std::future::ready(Ok(response)))),
        Ok(Err(status)) => Err(CallError::Status {
            plugin,
            rpc,
            status,
        }),
        // The same call goes on, inside the stream.
        Err(_still_pending) => Ok(lazy(plugin, rpc, open)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vk_proto::v1::LogChunk;

    type Opened = Result<Response<Streaming<LogChunk>>, Status>;

    const WAIT: Duration = Duration::from_secs(10);

    #[tokio::test(start_paused = true)]
    async fn an_early_failure_is_the_calls_error() {
        let open = async { Opened::Err(Status::not_found("no container \"c\"")) };
        let error = open_within("p".into(), "GetContainerLogs", WAIT, open)
            .await
            .map(|_| ())
            .expect_err("an early failure");
        assert_eq!(error.code(), Some(tonic::Code::NotFound));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_still_pending_counts_as_open_and_fails_later_in_the_stream() {
        let started = tokio::time::Instant::now();
        let open = async {
            tokio::time::sleep(WAIT * 3).await;
            Opened::Err(Status::unavailable("gone"))
        };
        let mut stream = open_within("p".into(), "GetContainerLogs", WAIT, open)
            .await
            .expect("a pending call is open");
        assert_eq!(started.elapsed(), WAIT, "the wait is bounded");
        let first = stream.next().await.expect("an item");
        assert_eq!(
            first.map(|_| ()).expect_err("the late failure").code(),
            Some(tonic::Code::Unavailable)
        );
        assert!(stream.next().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_lazy_stream_never_waits_to_open() {
        let mut stream = lazy::<LogChunk, _>("p".into(), "Exec", std::future::pending());
        let polled = tokio::time::timeout(WAIT * 100, stream.next()).await;
        assert!(polled.is_err(), "still pending, and not an error");
    }
}
