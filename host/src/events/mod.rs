//! Notification events: the event model of the notification service (spec 002) and the event
//! log that lists, shows, re-queues and records delivery attempts of events.
//!
//! An event is written in the same commit as the order change that caused it (the order store
//! owns an [`EventTable`] under its own lock), so appending is deliberately not part of the
//! [`EventLog`] trait: a log that could be appended to on its own could hold events for order
//! changes that never committed, or miss events of changes that did.
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
//! - `dueAt`: when the event is next due for delivery (RFC 3339).
//! - `status`: `pending`, `delivered` or `failed`.
//!
//! ## Times
//! Every time is an RFC 3339 UTC string with microseconds, as `humantime::format_rfc3339_micros`
//! writes it (`2024-04-26T09:09:14.382889Z`). Strings of that one fixed-width format order the
//! same way as the instants they name, so `dueAt <= now` is a plain string comparison; callers
//! must pass `now` in that same format.
//!
//! ## Delivery
//! A 2xx attempt marks the event `delivered`. Any other attempt leaves it `pending`, due again
//! after a back-off ([`BACKOFF_SECS`]), until [`MAX_ATTEMPTS`] attempts of the current round
//! have failed, which marks it `failed`. A retry by hand (`POST /api/v1/events/{id}/retry`)
//! starts a new round: `pending`, due now, every earlier attempt kept.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{BodyVersion, Notification};

/// Failed attempts in one delivery round after which an event is marked `failed`.
///
/// A retry by hand starts a new round, so a failed event gets this many attempts again.
pub const MAX_ATTEMPTS: usize = 5;

/// Back-off after the n-th failed attempt of a round (index n-1), in seconds: the event's
/// `dueAt` becomes the attempt's timestamp plus this. Short at first (a receiver that blipped),
/// then longer (a receiver that is down), so five attempts span about six minutes.
pub const BACKOFF_SECS: [u64; MAX_ATTEMPTS - 1] = [1, 10, 60, 300];

/// Page size when the request names none (spec 002: `limit` defaults to 10).
pub const DEFAULT_LIMIT: usize = 10;

/// Largest page served: a larger `limit` is lowered to this, so one request cannot make the
/// service serialize every event of a merchant (each carries a whole order).
pub const MAX_LIMIT: usize = 100;

/// Delivery status of an event (ordergate extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Waiting for delivery, due at `dueAt`.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// [`MAX_ATTEMPTS`] attempts in a row failed; only a retry by hand sends it again.
    Failed,
}

/// The message payload: the notification and the order as they were when the event occurred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPayload {
    /// The notification as it appeared on the order when the event occurred.
    pub notification: Notification,
    /// The order as it appeared when the event occurred, in the event's body `version`.
    /// Shared by every event of the same change: one copy of the order, however many
    /// notifications fire.
    pub order: Arc<Value>,
}

/// One delivery attempt (the spec's `NotificationEventAttempt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Generated id of the attempt.
    pub id: String,
    /// When the attempt was made (RFC 3339, same format as every event time).
    pub timestamp: String,
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
#[serde(rename_all = "camelCase")]
pub struct NotificationEvent {
    /// Unique id of the event.
    pub id: String,
    /// When the event was created (RFC 3339).
    pub created_at: String,
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
    /// Extension: when the event is next due for delivery (RFC 3339).
    pub due_at: String,
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

/// One page of a list response: `{"data": [...], "pagination": {...}}` (spec 002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The page's items.
    pub data: Vec<T>,
    /// Where the page is among all matches.
    pub pagination: Pagination,
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
    /// A time was not an RFC 3339 timestamp.
    #[error("{what} {value:?} is not an RFC 3339 timestamp")]
    InvalidTimestamp {
        /// Which time, e.g. `attempt timestamp`.
        what: &'static str,
        /// The text received.
        value: String,
    },
    /// The backing storage failed (for logs other than the in-memory one).
    #[error("event log unavailable: {0}")]
    Unavailable(String),
}

/// The event log as the notification routes and the dispatcher use it. Every operation is
/// scoped by merchant (the `x-merchant` header), except [`EventLog::due`], which serves the
/// dispatcher across merchants.
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

    /// Appends a delivery attempt and updates the status (see the module docs).
    fn record_attempt(
        &self,
        merchant: &str,
        id: &str,
        attempt: Attempt,
    ) -> Result<NotificationEvent, EventLogError>;

    /// Re-queues an event by hand: `pending`, due `now`, earlier attempts kept.
    fn retry(
        &self,
        merchant: &str,
        id: &str,
        now: &str,
    ) -> Result<NotificationEvent, EventLogError>;

    /// Pending events with `dueAt <= now`, earliest `dueAt` first (ties in insertion order),
    /// at most `limit`.
    fn due(&self, now: &str, limit: usize) -> Result<Vec<NotificationEvent>, EventLogError>;
}

/// An event with its bookkeeping.
#[derive(Debug, Clone)]
struct Entry {
    event: NotificationEvent,
    /// Index in `attempts` where the current delivery round began (a retry starts a round).
    /// Kept beside the event, not in it, so the event keeps exactly the documented shape.
    round_start: usize,
}

/// The events, in memory: insertion-ordered and indexed by id. No locking of its own: the
/// order store embeds it under the store's single lock so an order change and its events
/// commit together ([`crate::store::MemoryStore`] is the in-memory event log).
///
/// Listing and `due` scan every event (linear): fine for the in-memory store's sizes.
#[derive(Debug, Clone, Default)]
pub struct EventTable {
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
}

impl EventTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of events, over all merchants.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether an event with this id exists (for any merchant): lets a store check a batch of
    /// new events before inserting any, so a commit is all or nothing.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Adds an event at the end; ids are unique over all merchants.
    pub fn insert(&mut self, event: NotificationEvent) -> Result<(), EventLogError> {
        if self.by_id.contains_key(&event.id) {
            return Err(EventLogError::Duplicate { id: event.id });
        }
        self.by_id.insert(event.id.clone(), self.entries.len());
        // Attempts an event arrives with (one restored from elsewhere) count in its round.
        self.entries.push(Entry {
            event,
            round_start: 0,
        });
        Ok(())
    }

    fn position(&self, merchant: &str, id: &str) -> Result<usize, EventLogError> {
        match self.by_id.get(id) {
            Some(&i) if self.entries[i].event.merchant == merchant => Ok(i),
            _ => Err(EventLogError::NotFound { id: id.to_owned() }),
        }
    }

    /// The merchant's event `id`, if any.
    pub fn get(&self, merchant: &str, id: &str) -> Option<&NotificationEvent> {
        self.position(merchant, id)
            .ok()
            .map(|i| &self.entries[i].event)
    }

    /// See [`EventLog::list`].
    pub fn list(
        &self,
        merchant: &str,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Page<NotificationEvent> {
        let limit = limit.min(MAX_LIMIT);
        let mut total_size = 0;
        let mut data = Vec::new();
        for entry in &self.entries {
            let e = &entry.event;
            if e.merchant == merchant && filter.matches(e) {
                if total_size >= offset && data.len() < limit {
                    data.push(e.clone());
                }
                total_size += 1;
            }
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

    /// See [`EventLog::record_attempt`].
    pub fn record_attempt(
        &mut self,
        merchant: &str,
        id: &str,
        attempt: Attempt,
    ) -> Result<&NotificationEvent, EventLogError> {
        let i = self.position(merchant, id)?;
        // Parse before changing anything, so a bad timestamp leaves the event as it was.
        let at = humantime::parse_rfc3339_weak(&attempt.timestamp).map_err(|_| {
            EventLogError::InvalidTimestamp {
                what: "attempt timestamp",
                value: attempt.timestamp.clone(),
            }
        })?;
        let entry = &mut self.entries[i];
        let succeeded = attempt.succeeded();
        entry.event.attempts.push(attempt);
        let failed_in_round = entry.event.attempts.len() - entry.round_start;
        if succeeded {
            entry.event.status = EventStatus::Delivered;
        } else if failed_in_round >= MAX_ATTEMPTS {
            entry.event.status = EventStatus::Failed;
        } else {
            // A failure leaves the event pending; push its due time back so the dispatcher
            // does not hammer a receiver that just failed.
            entry.event.status = EventStatus::Pending;
            let wait = BACKOFF_SECS[failed_in_round
                .saturating_sub(1)
                .min(BACKOFF_SECS.len() - 1)];
            entry.event.due_at =
                humantime::format_rfc3339_micros(at + Duration::from_secs(wait)).to_string();
        }
        // A success ends the round: a later retry by hand starts counting afresh anyway.
        Ok(&entry.event)
    }

    /// See [`EventLog::retry`].
    pub fn retry(
        &mut self,
        merchant: &str,
        id: &str,
        now: &str,
    ) -> Result<&NotificationEvent, EventLogError> {
        let i = self.position(merchant, id)?;
        if humantime::parse_rfc3339_weak(now).is_err() {
            return Err(EventLogError::InvalidTimestamp {
                what: "retry time",
                value: now.to_owned(),
            });
        }
        let entry = &mut self.entries[i];
        entry.round_start = entry.event.attempts.len();
        entry.event.status = EventStatus::Pending;
        entry.event.due_at = now.to_owned();
        Ok(&entry.event)
    }

    /// See [`EventLog::due`].
    pub fn due(&self, now: &str, limit: usize) -> Vec<NotificationEvent> {
        let mut due: Vec<&NotificationEvent> = self
            .entries
            .iter()
            .map(|e| &e.event)
            .filter(|e| e.status == EventStatus::Pending && e.due_at.as_str() <= now)
            .collect();
        // Stable sort: equal due times stay in insertion order.
        due.sort_by(|a, b| a.due_at.cmp(&b.due_at));
        due.into_iter().take(limit).cloned().collect()
    }
}

#[cfg(test)]
mod tests;
