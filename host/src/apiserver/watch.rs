//! Watches of the API that come back within seconds of the API server:
//! after any error the watch starts over with a full list (a resource
//! version from before an outage has expired anyway, and a node's pods are
//! one small list), after a pause that stays short while the server does not
//! answer or answers "try again" and grows only for answers a person must
//! fix. kube-runtime's default backoff grows to 30–60 s during an outage and
//! then spends another step on the `Expired` that follows: pods stayed
//! unready for over a minute after a 55 s outage.

use std::fmt::Debug;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt as _};
use k8s_openapi::serde::de::DeserializeOwned;
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Api, Resource};

use crate::backoff::{Backoff, Jitter};

/// Pauses while the API server does not answer or answers 429/5xx: the
/// watch is back at most about 2 s after the server is.
const UNAVAILABLE: Backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(2))
    .with_jitter(Jitter::above(0.2));

/// Pauses after other refusals (403, an object that does not decode...),
/// which only a person fixes: kube-runtime's default delays.
const REFUSED: Backoff = Backoff::new(Duration::from_millis(800), Duration::from_secs(30))
    .with_jitter(Jitter::above(0.2));

/// What kind of failure a watch error is, for its retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 410 Gone: the resource version is too old; listing again is the fix.
    Expired,
    /// No answer (refused, reset, timed out, TLS) or "try again" (429, 5xx).
    Unavailable,
    /// Any other answer.
    Refused,
}

/// Sorts a watch error.
pub fn classify(error: &watcher::Error) -> Failure {
    let code = match error {
        watcher::Error::InitialListFailed(error)
        | watcher::Error::WatchStartFailed(error)
        | watcher::Error::WatchFailed(error) => match error {
            kube::Error::Api(status) => status.code,
            _ => return Failure::Unavailable,
        },
        watcher::Error::WatchError(status) => status.code,
        watcher::Error::NoResourceVersion => return Failure::Refused,
    };
    match code {
        410 => Failure::Expired,
        429 | 500..=599 => Failure::Unavailable,
        _ => Failure::Refused,
    }
}

/// The pause before listing again after `in_a_row` errors of the kind
/// `failure` in a row (a kind's count starts again when the kind changes: a
/// server just restarted refuses for a moment, 403 until its authorizer has
/// loaded, and that must not inherit the count of the outage before it);
/// `unit` (0..1) picks the jitter.
pub fn retry_delay(failure: Failure, in_a_row: u32, unit: f64) -> Duration {
    match failure {
        // A lone Expired lists again at once; a server that keeps saying it
        // is paced like one that is unavailable.
        Failure::Expired if in_a_row <= 1 => Duration::ZERO,
        Failure::Expired | Failure::Unavailable => UNAVAILABLE.jittered(in_a_row, unit),
        Failure::Refused => REFUSED.jittered(in_a_row, unit),
    }
}

/// How many errors of the kind `failure` in a row, counting this one, after
/// `previous` (the last errors' kind and count, if the last event was one).
pub fn in_a_row(previous: Option<(Failure, u32)>, failure: Failure) -> u32 {
    match previous {
        Some((last, count)) if last == failure => count.saturating_add(1),
        _ => 1,
    }
}

/// kube-runtime's watcher of `api` with `config`, started over with a full
/// list (`Init` .. `InitDone`) after each error, which it yields first (for
/// the caller to log and to stop trusting what it has), then waits per
/// [`retry_delay`]. It never ends.
pub fn watch<K>(
    api: Api<K>,
    config: watcher::Config,
) -> impl Stream<Item = watcher::Result<Event<K>>> + Send
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    struct State<K> {
        api: Api<K>,
        config: watcher::Config,
        current: Option<BoxStream<'static, watcher::Result<Event<K>>>>,
        /// The kind of the last errors and how many in a row.
        failing: Option<(Failure, u32)>,
        pause: Duration,
    }
    let state = State {
        api,
        config,
        current: None,
        failing: None,
        pause: Duration::ZERO,
    };
    futures::stream::unfold(state, |mut state| async move {
        if !state.pause.is_zero() {
            tokio::time::sleep(std::mem::take(&mut state.pause)).await;
        }
        loop {
            let current = state
                .current
                .get_or_insert_with(|| watcher(state.api.clone(), state.config.clone()).boxed());
            let Some(item) = current.next().await else {
                state.current = None;
                continue;
            };
            match &item {
                // A list that starts says nothing yet about the server.
                Ok(Event::Init | Event::InitApply(_)) => {}
                Ok(Event::InitDone | Event::Apply(_) | Event::Delete(_)) => state.failing = None,
                Err(error) => {
                    let failure = classify(error);
                    let in_a_row = in_a_row(state.failing, failure);
                    state.failing = Some((failure, in_a_row));
                    state.pause = retry_delay(failure, in_a_row, rand::random());
                    state.current = None;
                }
            }
            return Some((item, state));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Box<kube::core::Status> {
        let mut status = kube::core::Status::failure("test", "Test");
        status.code = code;
        Box::new(status)
    }

    fn refused_connection() -> kube::Error {
        kube::Error::Service(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )))
    }

    #[test]
    fn errors_are_sorted_by_what_fixes_them() {
        use watcher::Error as E;
        let table = [
            (
                E::InitialListFailed(refused_connection()),
                Failure::Unavailable,
            ),
            (
                E::WatchStartFailed(refused_connection()),
                Failure::Unavailable,
            ),
            (E::WatchFailed(refused_connection()), Failure::Unavailable),
            (E::WatchError(status(410)), Failure::Expired),
            (
                E::WatchStartFailed(kube::Error::Api(status(410))),
                Failure::Expired,
            ),
            (
                E::InitialListFailed(kube::Error::Api(status(503))),
                Failure::Unavailable,
            ),
            (
                E::InitialListFailed(kube::Error::Api(status(429))),
                Failure::Unavailable,
            ),
            (E::WatchError(status(500)), Failure::Unavailable),
            (
                E::InitialListFailed(kube::Error::Api(status(403))),
                Failure::Refused,
            ),
            (E::WatchError(status(400)), Failure::Refused),
            (E::NoResourceVersion, Failure::Refused),
        ];
        for (error, expected) in table {
            assert_eq!(classify(&error), expected, "{error}");
        }
    }

    #[test]
    fn an_outage_of_any_length_is_retried_within_seconds() {
        let longest = Duration::from_millis(2_400);
        for failures in [1, 2, 5, 10, 100, u32::MAX] {
            for unit in [0.0, 0.5, 1.0] {
                let delay = retry_delay(Failure::Unavailable, failures, unit);
                assert!(delay <= longest, "{failures} failures: {delay:?}");
            }
        }
        assert_eq!(
            retry_delay(Failure::Unavailable, 1, 0.0),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn expired_lists_again_at_once_unless_it_repeats() {
        assert_eq!(retry_delay(Failure::Expired, 1, 1.0), Duration::ZERO);
        assert_eq!(
            retry_delay(Failure::Expired, 3, 0.0),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn a_refusal_after_an_outage_is_retried_as_a_first_refusal() {
        // The count is per kind: 100 refused connections, then a 403 from
        // the server just restarted, is one refusal.
        let outage = Some((Failure::Unavailable, 100));
        assert_eq!(in_a_row(outage, Failure::Refused), 1);
        assert_eq!(in_a_row(outage, Failure::Unavailable), 101);
        assert_eq!(in_a_row(None, Failure::Unavailable), 1);
        assert_eq!(
            in_a_row(Some((Failure::Refused, u32::MAX)), Failure::Refused),
            u32::MAX
        );
        assert_eq!(
            retry_delay(Failure::Refused, 1, 1.0),
            Duration::from_millis(960)
        );
    }

    #[test]
    fn refusals_back_off_to_half_a_minute() {
        assert_eq!(
            retry_delay(Failure::Refused, 1, 0.0),
            Duration::from_millis(800)
        );
        assert_eq!(
            retry_delay(Failure::Refused, 50, 0.0),
            Duration::from_secs(30)
        );
    }
}
