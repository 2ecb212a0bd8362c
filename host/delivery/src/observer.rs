//! A hook for metrics on deliveries.

use std::time::Duration;

use ordergate::events::{Attempt, AttemptOutcome, NotificationEvent};

/// Told of every attempt a worker makes, e.g. to count deliveries by outcome and time
/// them. Called before the attempt is recorded (so also when recording then finds the claim
/// lost); keep it cheap: it runs on the delivery task.
pub trait DeliveryObserver: Send + Sync {
    /// `attempt` on `event` was made, took `elapsed` (send and answer), and the worker
    /// decided `outcome`.
    fn attempted(
        &self,
        event: &NotificationEvent,
        attempt: &Attempt,
        outcome: &AttemptOutcome,
        elapsed: Duration,
    ) {
        let _ = (event, attempt, outcome, elapsed);
    }
}

/// Observes nothing: the default.
impl DeliveryObserver for () {}
