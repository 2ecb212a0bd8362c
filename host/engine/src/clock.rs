//! Time and identifiers, behind traits so that tests and replays are deterministic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// Where the host reads the time for `created`, `lastModified` and transitions.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that starts at a given time and advances one second per reading: every
/// timestamp is distinct and predictable.
#[derive(Debug)]
pub struct SteppingClock {
    start: SystemTime,
    readings: AtomicU64,
}

impl SteppingClock {
    /// A clock whose first reading is `start`.
    pub fn new(start: SystemTime) -> Self {
        Self {
            start,
            readings: AtomicU64::new(0),
        }
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> SystemTime {
        let n = self.readings.fetch_add(1, Ordering::Relaxed);
        self.start + std::time::Duration::from_secs(n)
    }
}

/// RFC 3339 with microseconds, UTC, as the spec's timestamps.
pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_micros(time).to_string()
}

/// Where the host gets ids for new orders, payments and shippings.
pub trait IdGenerator: Send + Sync {
    /// A new id with this prefix, e.g. `o` → `o_yClTSySjyAuuBjmiBlHCjuEcTf`.
    fn new_id(&self, prefix: &str) -> String;
}

/// Random ids shaped like the reference platform's: prefix, `_`, 26 ASCII letters.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_id(&self, prefix: &str) -> String {
        let mut id = String::with_capacity(prefix.len() + 27);
        id.push_str(prefix);
        id.push('_');
        id.extend(std::iter::repeat_with(fastrand::alphabetic).take(26));
        id
    }
}

/// Ids `prefix_1`, `prefix_2`, … from one counter: predictable, for tests.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.0.fetch_add(1, Ordering::Relaxed) + 1)
    }
}
