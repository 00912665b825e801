//! Wall-clock arithmetic for the mock's timeline. Every time the mock reports
//! (status timestamps, log line times, stats) is computed from a pod's few
//! recorded instants, so answers are deterministic given "now".

use std::time::Duration;

pub use k8s_openapi::jiff::Timestamp;

/// The current wall-clock time.
pub fn now() -> Timestamp {
    // k8s-openapi builds jiff without its `std` feature, so no `Timestamp::now`.
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_nanosecond(since_epoch.as_nanos() as i128).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `at + delay`, saturating at the end of time jiff can represent.
pub fn after(at: Timestamp, delay: Duration) -> Timestamp {
    let nanos = at.as_nanosecond().saturating_add(delay.as_nanos() as i128);
    Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::MAX)
}

/// How long from `from` until `to`; zero when `to` is not later.
pub fn until(from: Timestamp, to: Timestamp) -> Duration {
    let nanos = to.as_nanosecond() - from.as_nanosecond();
    if nanos <= 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// Unix nanoseconds, for the protocol's `*_unix_nanos` fields.
pub fn unix_nanos(at: Timestamp) -> i64 {
    i64::try_from(at.as_nanosecond()).unwrap_or(i64::MAX)
}

/// RFC 3339 with nine fractional digits, as the kubelet prints
/// `kubectl logs --timestamps`: `2026-11-25T12:00:00.000000000Z`.
pub fn rfc3339_nanos(at: Timestamp) -> String {
    format!(
        "{}.{:09}Z",
        at.strftime("%Y-%m-%dT%H:%M:%S"),
        at.subsec_nanosecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_nine_digits() {
        let at = Timestamp::from_second(1_795_000_000).expect("valid");
        assert_eq!(rfc3339_nanos(at), "2026-11-18T11:06:40.000000000Z");
        let later = after(at, Duration::from_millis(1500));
        assert_eq!(rfc3339_nanos(later), "2026-11-18T11:06:41.500000000Z");
        assert_eq!(until(at, later), Duration::from_millis(1500));
        assert_eq!(until(later, at), Duration::ZERO);
    }
}
