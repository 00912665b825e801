//! Waiting with a deadline: every wait in the tests says what it expected, so a
//! timeout reads as a failed expectation instead of a hang.

use std::fmt::Display;
use std::time::Duration;

use tokio::time::Instant;

const FIRST_DELAY: Duration = Duration::from_millis(50);
const MAX_DELAY: Duration = Duration::from_millis(500);

/// Calls `check` until it returns `Some`, backing off from 50 ms to 500 ms.
///
/// Panics after `timeout` with "timed out after ... waiting for {what}". A
/// single call of `check` that hangs is cut off at the deadline too.
pub async fn wait_for<T, F>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: AsyncFnMut() -> Option<T>,
{
    wait_for_ok(timeout, what, async || check().await.ok_or("not yet")).await
}

/// Like [`wait_for`], but `check` returns `Err(reason)` while the condition does
/// not hold; the timeout message includes the last reason.
pub async fn wait_for_ok<T, E, F>(timeout: Duration, what: &str, mut check: F) -> T
where
    E: Display,
    F: AsyncFnMut() -> Result<T, E>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = FIRST_DELAY;
    let mut last = String::from("the check never completed");
    loop {
        match tokio::time::timeout_at(deadline, check()).await {
            Ok(Ok(value)) => return value,
            Ok(Err(reason)) => last = reason.to_string(),
            Err(_) => {}
        }
        let now = Instant::now();
        if now >= deadline {
            panic!("timed out after {timeout:?} waiting for {what} (last check: {last})");
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_value_once_the_condition_holds() {
        let mut calls = 0;
        let got = wait_for(Duration::from_secs(5), "the third call", async || {
            calls += 1;
            (calls == 3).then_some(calls)
        })
        .await;
        assert_eq!(got, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "waiting for a thing that never happens (last check: nope)")]
    async fn says_what_was_expected_on_timeout() {
        wait_for_ok(
            Duration::from_millis(200),
            "a thing that never happens",
            async || Err::<(), _>("nope"),
        )
        .await;
    }
}
