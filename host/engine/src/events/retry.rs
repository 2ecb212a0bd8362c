//! When a failed delivery is tried again: a pure function of the failures so far, so that
//! every store records the same outcomes and tests can pin the randomness.

use std::time::{Duration, SystemTime};

use super::{Attempt, AttemptOutcome, ClaimedEvent};

/// A delivery schedule with jitter.
///
/// `schedule[n]` is how long after the n-th failed attempt of a round the next attempt is
/// made (`schedule[0]`, before the first attempt, is how long after creation; events are due
/// when created, so it is zero by default). A round has `schedule.len()` attempts: once they
/// all failed, the policy gives up and the event is marked `failed`, until a retry by hand
/// starts a new round.
///
/// Each wait is spread by up to `jitter` (a fraction: `0.2` is ±20 %), so receivers that came
/// back up are not hit by every queued event in the same instant.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Wait before each attempt of a round (see the type's docs).
    pub schedule: Vec<Duration>,
    /// Largest spread of a wait, as a fraction of it, in `0.0..=1.0`.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// The Standard Webhooks (Svix) schedule: immediately, then 5 seconds, 5 minutes,
    /// 30 minutes, 2 hours, 5 hours, 10 hours and 10 hours (8 attempts over about 27.5
    /// hours), each wait spread by ±20 %.
    fn default() -> Self {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        Self {
            schedule: [
                0,
                5,
                5 * MINUTE,
                30 * MINUTE,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                10 * HOUR,
            ]
            .map(Duration::from_secs)
            .to_vec(),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// When to try again after `failed_attempts_in_round` failed attempts of the current
    /// round, the last one ending at `now`; `None` once the schedule is spent (give up).
    ///
    /// `jitter` is a sample in `-1.0..=1.0` (see [`RetryPolicy::random_jitter`]; `0.0` for
    /// the exact schedule): the wait is scaled by `1 + self.jitter * jitter`. Samples out of
    /// range are clamped, and NaN counts as `0.0`.
    pub fn next_attempt(
        &self,
        failed_attempts_in_round: usize,
        now: SystemTime,
        jitter: f64,
    ) -> Option<SystemTime> {
        let wait = *self.schedule.get(failed_attempts_in_round)?;
        let sample = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(-1.0, 1.0)
        };
        let spread = self.jitter.clamp(0.0, 1.0) * sample;
        // A wait too long for `SystemTime` means "never": give up rather than panic.
        now.checked_add(wait.mul_f64(1.0 + spread))
    }

    /// What follows `attempt` on `claimed`, at `now`: delivered on a 2xx, otherwise the next
    /// attempt of the schedule or, when it is spent, failed.
    pub fn outcome(
        &self,
        claimed: &ClaimedEvent,
        attempt: &Attempt,
        now: SystemTime,
        jitter: f64,
    ) -> AttemptOutcome {
        if attempt.succeeded() {
            return AttemptOutcome::Delivered;
        }
        match self.next_attempt(claimed.attempts_in_round + 1, now, jitter) {
            Some(at) => AttemptOutcome::RetryAt(at),
            None => AttemptOutcome::Failed,
        }
    }

    /// A random jitter sample, uniform in `-1.0..1.0`, for [`RetryPolicy::next_attempt`].
    pub fn random_jitter() -> f64 {
        fastrand::f64() * 2.0 - 1.0
    }
}
