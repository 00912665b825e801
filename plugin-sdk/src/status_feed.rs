//! The pod status feed: what a provider pushes (statuses and Events) on its
//! way to the host's `WatchPodStatus` stream, kept while no stream is
//! attached. The host holds one stream per plugin instance and opens a new
//! one after any break; a newer stream takes over from an older one. Updates
//! sent meanwhile wait in a bounded buffer and go out, oldest first, when a
//! stream attaches; when the buffer is full the oldest update is dropped and
//! counted (statuses are also caught up by the host's resync, Events are not).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::provider::{PodStatusStream, PodStatusUpdate};

/// Where a provider sends its status updates; [`PodStatusFeed::subscribe`]
/// is what [`crate::Provider::watch_pod_status`] returns. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PodStatusFeed {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Woken on every send and when a newer stream takes over.
    wake: Notify,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<PodStatusUpdate>,
    /// The number of the stream that may take updates; older ones end.
    consumer: u64,
    dropped: u64,
}

impl PodStatusFeed {
    /// Updates kept at most while the host is not reading.
    pub const DEFAULT_CAPACITY: usize = 4096;

    /// A feed keeping at most `capacity` (at least 1) unread updates.
    pub fn new(capacity: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                wake: Notify::new(),
                capacity: capacity.max(1),
            }),
        }
    }

    /// Queues `update` for the host; never blocks. When the buffer is full
    /// the oldest unread update is dropped, with a warning at the 1st, 2nd,
    /// 4th, 8th... drop.
    pub fn send(&self, update: PodStatusUpdate) {
        let dropped = {
            let mut state = self.lock();
            state.queue.push_back(update);
            if state.queue.len() > self.shared.capacity {
                state.queue.pop_front();
                state.dropped += 1;
                Some(state.dropped)
            } else {
                None
            }
        };
        if let Some(total) = dropped.filter(|n| n.is_power_of_two()) {
            tracing::warn!(
                dropped_total = total,
                capacity = self.shared.capacity,
                "the host is not reading pod status updates; dropped the oldest"
            );
        }
        self.shared.wake.notify_waiters();
    }

    /// How many updates were dropped so far because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// How many updates wait for the host.
    pub fn pending(&self) -> usize {
        self.lock().queue.len()
    }

    /// The stream for the host: first what waited, then every new update.
    /// It ends when a newer stream is subscribed.
    pub fn subscribe(&self) -> PodStatusStream {
        let id = {
            let mut state = self.lock();
            state.consumer += 1;
            state.consumer
        };
        // An older stream still waiting wakes up and ends.
        self.shared.wake.notify_waiters();
        let feed = self.clone();
        Box::pin(futures::stream::unfold(feed, move |feed| async move {
            let update = feed.next(id).await?;
            Some((update, feed))
        }))
    }

    /// The next update for stream `id`, or None once a newer stream took over.
    async fn next(&self, id: u64) -> Option<PodStatusUpdate> {
        loop {
            let notified = self.shared.wake.notified();
            tokio::pin!(notified);
            // Registered before looking, so a send in between is not missed.
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if state.consumer != id {
                    return None;
                }
                if let Some(update) = state.queue.pop_front() {
                    return Some(update);
                }
            }
            notified.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; recover the data if it did.
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for PodStatusFeed {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::StreamExt as _;

    use super::*;
    use crate::provider::{PodEvent, PodKey};

    fn update(name: &str) -> PodStatusUpdate {
        PodStatusUpdate::events(
            PodKey {
                namespace: "ns".into(),
                name: name.into(),
                uid: Some(format!("uid-{name}")),
            },
            vec![PodEvent::normal("Started", format!("Started container in {name}")).about("main")],
        )
    }

    async fn next_name(stream: &mut PodStatusStream) -> Option<String> {
        tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an update or the end within 5 s")
            .map(|u| u.pod.name)
    }

    #[tokio::test]
    async fn updates_sent_while_no_stream_is_attached_are_delivered_when_one_attaches() {
        let feed = PodStatusFeed::new(8);
        feed.send(update("a"));
        feed.send(update("b"));
        let mut stream = feed.subscribe();
        assert_eq!(next_name(&mut stream).await.as_deref(), Some("a"));
        assert_eq!(next_name(&mut stream).await.as_deref(), Some("b"));
        feed.send(update("c"));
        assert_eq!(next_name(&mut stream).await.as_deref(), Some("c"));
    }

    #[tokio::test]
    async fn across_a_reconnect_nothing_is_lost_and_the_old_stream_ends() {
        let feed = PodStatusFeed::new(8);
        let mut first = feed.subscribe();
        feed.send(update("a"));
        assert_eq!(next_name(&mut first).await.as_deref(), Some("a"));
        drop(first);
        // No stream: the host is reconnecting.
        feed.send(update("b"));
        let mut waiting = feed.subscribe();
        let mut second = feed.subscribe();
        assert_eq!(next_name(&mut waiting).await, None, "the older stream ends");
        assert_eq!(next_name(&mut second).await.as_deref(), Some("b"));
    }

    #[tokio::test]
    async fn a_full_buffer_drops_the_oldest_and_counts_it() {
        let feed = PodStatusFeed::new(2);
        for name in ["a", "b", "c", "d"] {
            feed.send(update(name));
        }
        assert_eq!(feed.dropped(), 2);
        assert_eq!(feed.pending(), 2);
        let mut stream = feed.subscribe();
        assert_eq!(next_name(&mut stream).await.as_deref(), Some("c"));
        assert_eq!(next_name(&mut stream).await.as_deref(), Some("d"));
    }

    #[tokio::test]
    async fn a_waiting_stream_wakes_for_a_later_send() {
        let feed = PodStatusFeed::new(8);
        let mut stream = feed.subscribe();
        let sender = feed.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            sender.send(update("late"));
        });
        assert_eq!(next_name(&mut stream).await.as_deref(), Some("late"));
    }
}
