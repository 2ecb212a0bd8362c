//! Notification events: the event model of the notification service (spec 002), the event
//! log that lists, shows, re-queues and records delivery attempts of events, the leases that
//! let several delivery workers share one log, and the retry policy they follow.
//!
//! An event is written in the same commit as the order change that caused it (see
//! [`crate::store::OrderStore`]), so appending is deliberately not part of the [`EventLog`]
//! trait: a log that could be appended to on its own could hold events for order changes
//! that never committed, or miss events of changes that did.
//!
//! ## Shape
//! [`NotificationEvent`] has exactly 002's fields (`id`, `createdAt`, `merchant`, `channel`,
//! `orderId`, `adapterId`, `reference`, `description`, `payload {notification, order}`,
//! `attempts`) plus these ordergate extensions:
//! - `version`: the order body version `payload.order` is in (the notification's `version`,
//!   `v0` when it names none). The spec pages document a single order body, so `v0` and `v1`
//!   payloads are the same serialization of the model today; the field records what the
//!   receiver asked for so that a later body version does not change old events' meaning.
//! - `invoke`: the invoke URL with its placeholders resolved, or absent when it could not be
//!   resolved, in which case
//! - `error` says why (an unresolvable placeholder is recorded on the event, not a failure of
//!   the order change).
//! - `dueAt`: when the event is next due for delivery.
//! - `status`: `pending`, `delivered` or `failed`.
//!
//! ## Times
//! Times are [`SystemTime`]s in memory, so stores compare instants. In JSON every time is an
//! RFC 3339 UTC string with microseconds (`2024-04-26T09:09:14.382889Z`); see [`crate::time`].
//!
//! ## Delivery
//! Delivery workers share the log through leases. [`EventLog::claim_due`] hands each due
//! `pending` event to exactly one worker until its lease runs out; the worker sends it, asks
//! its [`RetryPolicy`] what follows ([`RetryPolicy::outcome`]: a 2xx attempt is
//! [`AttemptOutcome::Delivered`], a failure is retried later or, after the policy's last
//! step, [`AttemptOutcome::Failed`]) and records the attempt with that outcome
//! ([`EventLog::record_attempt`]). A worker that dies loses its lease: the event becomes due
//! again for another worker, and the dead worker's late write is refused
//! ([`EventLogError::ClaimLost`]) so it cannot clobber the new holder's. The store only
//! records outcomes; the schedule lives in the policy.
//!
//! A retry by hand (`POST /api/v1/events/{id}/retry`) starts a new delivery round:
//! `pending`, due now, every earlier attempt kept. The policy counts the failed attempts of
//! the current round ([`ClaimedEvent::attempts_in_round`]); the round's start is bookkeeping
//! of the store, not a field of the event.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{BodyVersion, Notification};

mod body;
mod retry;
mod table;

pub use body::OrderBody;
pub use retry::RetryPolicy;
pub use table::EventTable;

/// Page size when the request names none (spec 002: `limit` defaults to 10).
pub const DEFAULT_LIMIT: usize = 10;

/// Largest page served: a larger `limit` is lowered to this, so one request cannot make the
/// service serialize every event of a merchant (each carries a whole order).
pub const MAX_LIMIT: usize = 100;

/// Delivery status of an event (ordergate extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Waiting for delivery, due at `dueAt`.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// The retry policy gave up; only a retry by hand sends it again.
    Failed,
}

/// The message payload: the notification and the order as they were when the event occurred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventPayload {
    /// The notification as it appeared on the order when the event occurred.
    pub notification: Notification,
    /// The order as it appeared when the event occurred, in the event's body `version`.
    /// Shared by every event of the same change: one copy of the order, however many
    /// notifications fire.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub order: OrderBody,
}

/// One delivery attempt (the spec's `NotificationEventAttempt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Generated id of the attempt.
    pub id: String,
    /// When the attempt was made.
    #[serde(with = "crate::time")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub timestamp: SystemTime,
    /// HTTP status code received; `0` when no answer was received (connection failure).
    pub status_code: i32,
    /// Problem Details of a non-successful answer, when supplied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Value>,
    /// Headers received, each with all its values, e.g. `{"date": ["Fri, 26 Apr 2024 …"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_headers: Option<BTreeMap<String, Vec<String>>>,
}

impl Attempt {
    /// Whether the answer was a success (2xx).
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status_code)
    }
}

/// A notification event (spec 002's `NotificationEvent`, plus the documented extensions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationEvent {
    /// Unique id of the event.
    pub id: String,
    /// When the event was created.
    #[serde(with = "crate::time")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: SystemTime,
    /// Merchant identifier; events are only visible to their merchant.
    pub merchant: String,
    /// Merchant channel.
    pub channel: String,
    /// Id of the order whose change caused the event.
    pub order_id: String,
    /// Adapter responsible for the notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// The notification's reference.
    pub reference: String,
    /// The notification's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The notification and the order at the time of the event.
    pub payload: EventPayload,
    /// Every delivery attempt, oldest first; never shortened, not even by a retry.
    pub attempts: Vec<Attempt>,
    /// Extension: the order body version `payload.order` is in.
    pub version: BodyVersion,
    /// Extension: the resolved invoke URL; absent when it could not be resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoke: Option<String>,
    /// Extension: why the invoke URL could not be resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Extension: when the event is next due for delivery.
    #[serde(with = "crate::time")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub due_at: SystemTime,
    /// Extension: delivery status.
    pub status: EventStatus,
}

/// Filters of the event list; each present filter must match exactly. The serde names are
/// the query parameters of `GET /api/v1/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Only events of this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Only events of this adapter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// Only events of notifications with this reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Only events of this order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

impl EventFilter {
    /// Whether `event` passes every filter that is set.
    pub fn matches(&self, event: &NotificationEvent) -> bool {
        fn eq(filter: &Option<String>, value: Option<&str>) -> bool {
            filter.as_deref().is_none_or(|f| Some(f) == value)
        }
        eq(&self.channel, Some(&event.channel))
            && eq(&self.adapter_id, event.adapter_id.as_deref())
            && eq(&self.reference, Some(&event.reference))
            && eq(&self.order_id, Some(&event.order_id))
    }
}

/// Pagination metadata of a list response (spec 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Offset of the page's first item among all matches.
    pub offset: usize,
    /// Page size used (the request's, lowered to [`MAX_LIMIT`]).
    pub limit: usize,
    /// Items in this page.
    pub size: usize,
    /// Items matching the filters, over all pages.
    pub total_size: usize,
}

/// One page of a list response: `{"data": [...], "pagination": {...}}` (spec 002). Events
/// and orders are listed alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The page's items.
    pub data: Vec<T>,
    /// Where the page is among all matches.
    pub pagination: Pagination,
}

impl<T> Page<T> {
    /// The page at `offset` of every match, at most `limit` items (lowered to
    /// [`MAX_LIMIT`]), counting every match for `totalSize`. `to_item` runs only on the
    /// page's items, so a store can scan cheap references and copy only what it serves.
    pub fn of<'a, U: 'a>(
        matches: impl IntoIterator<Item = &'a U>,
        offset: usize,
        limit: usize,
        to_item: impl Fn(&'a U) -> T,
    ) -> Self {
        let limit = limit.min(MAX_LIMIT);
        let mut total_size = 0;
        let mut data = Vec::new();
        for item in matches {
            if total_size >= offset && data.len() < limit {
                data.push(to_item(item));
            }
            total_size += 1;
        }
        Page {
            pagination: Pagination {
                offset,
                limit,
                size: data.len(),
                total_size,
            },
            data,
        }
    }
}

/// Identifies one lease on one event: stored with the event by [`EventLog::claim_due`] and
/// checked by every write of the claim's holder. A new claim of the same event gets a new
/// token, so a holder whose lease ran out can tell (and is told) that it lost the event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClaimToken(pub String);

/// An event handed to one delivery worker until `expires_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedEvent {
    /// The event as it was when claimed.
    pub event: NotificationEvent,
    /// The lease: pass it back to [`EventLog::record_attempt`] or [`EventLog::release`].
    pub token: ClaimToken,
    /// When the lease runs out: after this, another worker may claim the event and this
    /// holder's writes are refused.
    pub expires_at: SystemTime,
    /// Attempts made in the current delivery round (all of them failed, or the event would
    /// not be pending): what the [`RetryPolicy`] counts. A retry by hand starts a new round.
    pub attempts_in_round: usize,
}

/// What follows an attempt, as the worker's [`RetryPolicy`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver accepted it: the event becomes `delivered`.
    Delivered,
    /// The attempt failed: the event stays `pending`, due at this time.
    RetryAt(SystemTime),
    /// The attempt failed and the policy gives up: the event becomes `failed`.
    Failed,
}

/// Why an event log operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventLogError {
    /// No event with this id for this merchant (another merchant's event is not found either).
    #[error("event {id:?} not found")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// An event with this id already exists.
    #[error("event {id:?} already exists")]
    Duplicate {
        /// The id inserted twice.
        id: String,
    },
    /// The claim no longer holds the event: its lease ran out, another worker claimed the
    /// event since, it was released, or it was retried by hand. Nothing was written.
    #[error("the claim on event {id:?} was lost (lease expired or taken over)")]
    ClaimLost {
        /// The claimed event's id.
        id: String,
    },
    /// The backing storage failed (for logs other than the in-memory one).
    #[error("event log unavailable: {0}")]
    Unavailable(String),
}

/// The event log as the notification routes and the delivery workers use it. The routes'
/// operations are scoped by merchant (the `x-merchant` header); the workers' claims serve
/// every merchant.
///
/// Implementable by a database: every operation is keyed (merchant and id, or a claim
/// token) or paginated, and a claim is a conditional update of the event's lease columns.
pub trait EventLog: Send + Sync {
    /// The merchant's event `id`, if any.
    fn get(&self, merchant: &str, id: &str) -> Result<Option<NotificationEvent>, EventLogError>;

    /// The merchant's events matching `filter`, in insertion order (oldest first), skipping
    /// `offset` and returning at most `limit` (lowered to [`MAX_LIMIT`]).
    fn list(
        &self,
        merchant: &str,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Page<NotificationEvent>, EventLogError>;

    /// How many `pending` events are due at `now` (`dueAt <= now`), claimed or not: the
    /// delivery queue's depth, which a service exports as a gauge.
    fn due_count(&self, now: SystemTime) -> Result<usize, EventLogError>;

    /// Claims up to `limit` `pending` events with `dueAt <= now` and no live lease, earliest
    /// `dueAt` first (ties in insertion order), for `lease`: until `now + lease` no other
    /// call returns them. Across merchants. Two concurrent callers never get the same event.
    fn claim_due(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedEvent>, EventLogError>;

    /// Appends `attempt` to a claimed event and applies `outcome` (see [`AttemptOutcome`]),
    /// ending the claim. Refused with [`EventLogError::ClaimLost`] when the claim no longer
    /// holds the event at `now` (expired, taken over, released or retried by hand), leaving
    /// the event as it was. Returns the event as written.
    fn record_attempt(
        &self,
        claim: &ClaimedEvent,
        attempt: Attempt,
        outcome: AttemptOutcome,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError>;

    /// Hands a claimed event back unchanged (a worker shutting down gracefully), so it is due
    /// again at once rather than when the lease would have run out. Refused with
    /// [`EventLogError::ClaimLost`] when another claim holds the event now; releasing a claim
    /// whose lease ran out but that nobody took over is fine.
    fn release(&self, claim: &ClaimedEvent) -> Result<(), EventLogError>;

    /// Re-queues an event by hand: `pending`, due `now`, a new delivery round, earlier
    /// attempts kept. Any claim on it is lost: its holder's write is refused, and the event
    /// is claimed afresh.
    fn retry(
        &self,
        merchant: &str,
        id: &str,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError>;
}

#[cfg(test)]
mod tests;
