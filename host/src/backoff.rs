//! Exponential backoff, the one delay rule of every retry in vk-host (plugin
//! restarts, pod work, NodeInfo, Node writes, the Lease): a first delay
//! doubled per consecutive failure up to a cap, with optional jitter. Pure,
//! so the numbers are tested here without clocks.

use std::time::Duration;

/// Delays that double from `base` up to `cap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay after the first failure.
    pub base: Duration,
    /// The largest delay (before jitter).
    pub cap: Duration,
    /// The random part, if any.
    pub jitter: Option<Jitter>,
}

/// The random part of a delay: it is multiplied by a factor drawn from
/// `low..low + spread`, so that many retrying together do not retry in step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter {
    low: f64,
    spread: f64,
}

impl Jitter {
    /// Up to `fraction` of the delay added or taken away.
    pub const fn around(fraction: f64) -> Self {
        Self {
            low: 1.0 - fraction,
            spread: 2.0 * fraction,
        }
    }

    /// Up to `fraction` of the delay added.
    pub const fn above(fraction: f64) -> Self {
        Self {
            low: 1.0,
            spread: fraction,
        }
    }
}

impl Backoff {
    /// Doubling from `base` to `cap`, without jitter.
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            jitter: None,
        }
    }

    /// The same delays with `jitter`.
    pub const fn with_jitter(self, jitter: Jitter) -> Self {
        Self {
            jitter: Some(jitter),
            ..self
        }
    }

    /// The delay after `failures` consecutive failures (1 = the first; 0
    /// counts as 1), without jitter.
    pub fn delay(&self, failures: u32) -> Duration {
        // 2^31 times any base is past any cap anyone sets.
        let doublings = failures.saturating_sub(1).min(31);
        self.base.saturating_mul(1 << doublings).min(self.cap)
    }

    /// [`Self::delay`] with the jitter for `unit`, a number in `0.0..1.0`
    /// (clamped): 0 gives the least delay, 1 the most.
    pub fn jittered(&self, failures: u32, unit: f64) -> Duration {
        let delay = self.delay(failures);
        match self.jitter {
            Some(Jitter { low, spread }) => delay.mul_f64(low + spread * unit.clamp(0.0, 1.0)),
            None => delay,
        }
    }

    /// [`Self::jittered`] with a random unit.
    pub fn random_delay(&self, failures: u32) -> Duration {
        self.jittered(failures, rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn delays_double_from_the_base_to_the_cap() {
        // (base, cap, failures, delay)
        let table = [
            (ms(250), ms(30_000), 0, ms(250)),
            (ms(250), ms(30_000), 1, ms(250)),
            (ms(250), ms(30_000), 2, ms(500)),
            (ms(250), ms(30_000), 5, ms(4_000)),
            (ms(250), ms(30_000), 8, ms(30_000)),
            (ms(250), ms(60_000), 30, ms(60_000)),
            (ms(250), ms(60_000), u32::MAX, ms(60_000)),
            (ms(1_000), ms(30_000), 3, ms(4_000)),
            (ms(1_000), ms(30_000), 10, ms(30_000)),
            (ms(100), ms(7_000), 7, ms(6_400)),
            (ms(100), ms(7_000), 8, ms(7_000)),
            // A cap a base doubled 31 times does not reach: still capped.
            (ms(1), Duration::MAX, u32::MAX, ms(1 << 31)),
        ];
        for (base, cap, failures, expected) in table {
            let delay = Backoff::new(base, cap).delay(failures);
            assert_eq!(
                delay, expected,
                "base {base:?}, cap {cap:?}, {failures} failures"
            );
        }
    }

    #[test]
    fn jitter_stays_within_its_range() {
        let around = Backoff::new(ms(1_000), ms(60_000)).with_jitter(Jitter::around(0.1));
        let above = Backoff::new(ms(1_000), ms(60_000)).with_jitter(Jitter::above(0.2));
        // (backoff, failures, unit, delay)
        let table = [
            (around, 3, 0.0, ms(3_600)),
            (around, 3, 0.5, ms(4_000)),
            (around, 3, 1.0, ms(4_400)),
            (around, 30, 1.0, ms(66_000)),
            (above, 3, 0.0, ms(4_000)),
            (above, 3, 1.0, ms(4_800)),
            (above, 30, 1.0, ms(72_000)),
            (above, 30, 7.0, ms(72_000)),
            (above, 30, -1.0, ms(60_000)),
            (Backoff::new(ms(1_000), ms(60_000)), 3, 1.0, ms(4_000)),
        ];
        for (backoff, failures, unit, expected) in table {
            let delay = backoff.jittered(failures, unit);
            let off = delay.abs_diff(expected);
            assert!(
                off < Duration::from_micros(1),
                "{backoff:?} {failures} {unit}: {delay:?}"
            );
        }
        for _ in 0..100 {
            let delay = around.random_delay(3);
            assert!((ms(3_600)..=ms(4_400)).contains(&delay), "{delay:?}");
        }
    }
}
