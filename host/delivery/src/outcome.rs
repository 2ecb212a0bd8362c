//! What follows an attempt: the retry policy's decision, overridden where Standard Webhooks
//! gives the receiver a say (410 Gone, `Retry-After`).

use std::time::{Duration, SystemTime};

use ordergate::events::{Attempt, AttemptOutcome, ClaimedEvent, RetryPolicy};

/// A receiver's `Retry-After`: delay seconds or an HTTP date (RFC 9110 §10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Try again this many seconds after the answer.
    Seconds(u64),
    /// Try again at this time.
    At(SystemTime),
}

impl RetryAfter {
    /// Reads a header value; `None` when it is neither form.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // Too many digits for u64 is still "later than any cap".
            return Some(Self::Seconds(value.parse().unwrap_or(u64::MAX)));
        }
        httpdate::parse_http_date(value).ok().map(Self::At)
    }

    /// When to try again, answered at `now`: never before `now`, never after
    /// `now + max`.
    pub fn time(self, now: SystemTime, max: Duration) -> SystemTime {
        let wait = match self {
            Self::Seconds(s) => Duration::from_secs(s),
            Self::At(at) => at.duration_since(now).unwrap_or_default(),
        };
        now.checked_add(wait.min(max)).unwrap_or(now)
    }
}

/// The outcome of `attempt` on `claim`, made at `now`:
/// - 410 Gone: failed at once (the receiver says the endpoint is gone for good);
/// - otherwise the policy's outcome, except that a retry asked for by the receiver's
///   `Retry-After` (429, 503) happens at that time, capped at `now + max_retry_after`,
///   instead of the schedule's. A spent schedule stays failed: a receiver answering 429
///   forever cannot keep an event pending forever.
pub(crate) fn decide(
    policy: &RetryPolicy,
    claim: &ClaimedEvent,
    attempt: &Attempt,
    retry_after: Option<RetryAfter>,
    now: SystemTime,
    max_retry_after: Duration,
) -> AttemptOutcome {
    if attempt.status_code == 410 {
        return AttemptOutcome::Failed;
    }
    match (
        policy.outcome(claim, attempt, now, RetryPolicy::random_jitter()),
        retry_after,
    ) {
        (AttemptOutcome::RetryAt(_), Some(asked)) => {
            AttemptOutcome::RetryAt(asked.time(now, max_retry_after))
        }
        (outcome, _) => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn retry_after_reads_seconds_and_http_dates_within_bounds() {
        // 2024-04-26T09:09:15Z.
        let now = UNIX_EPOCH + Duration::from_secs(1_714_122_555);
        let at = |value: &str| {
            RetryAfter::parse(value)
                .map(|r| r.time(now, DAY).duration_since(now).unwrap().as_secs())
        };
        assert_eq!(at("120"), Some(120));
        assert_eq!(at(" 0 "), Some(0));
        assert_eq!(at("Fri, 26 Apr 2024 09:10:15 GMT"), Some(60));
        // In the past: now. Beyond the cap: the cap.
        assert_eq!(at("Fri, 26 Apr 2024 09:00:00 GMT"), Some(0));
        assert_eq!(at("99999999999999999999999"), Some(86_400));
        assert_eq!(at("Sat, 27 Apr 2024 09:09:16 GMT"), Some(86_400));
        assert_eq!(at("-5"), None);
        assert_eq!(at("soon"), None);
        assert_eq!(at(""), None);
    }
}
