//! What both backends store and read alike: times as microseconds, statuses as text, orders,
//! events and manifests as JSON text, claim tokens, pages, and how an attempt or a retry
//! changes an event. One place, so the two databases cannot drift apart in meaning.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ordergate::events::{
    Attempt, AttemptOutcome, ClaimToken, ClaimedEvent, EventLogError, EventStatus, MAX_LIMIT,
    NotificationEvent, Page, Pagination,
};
use ordergate::model::Order;
use ordergate::store::{PluginStatus, PluginUpload, PluginVersion, StoredOrder};
use serde_json::Value;

/// A row that does not decode: written by something else, or a bug.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CodecError {
    /// A JSON column did not parse as its type.
    #[error("stored {what} is not valid JSON of its type: {source}")]
    Json {
        /// Which column.
        what: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// A status or number column holds a value no build writes.
    #[error("stored {what} {value:?} is not one this build knows")]
    Unknown {
        /// Which column.
        what: &'static str,
        /// The value.
        value: String,
    },
}

fn json_err(what: &'static str) -> impl FnOnce(serde_json::Error) -> CodecError {
    move |source| CodecError::Json { what, source }
}

/// Microseconds since the Unix epoch (negative before it), saturating: stored as a 64-bit
/// integer so comparisons in SQL are exact. Sub-microsecond parts are dropped, as in the
/// events' JSON, so a column and its event's JSON always agree.
pub(crate) fn micros(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        Err(before) => {
            let d = before.duration();
            // Floor, not truncation toward zero: 0.5 µs before the epoch is -1 µs.
            let whole = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
            let partial = i64::from(d.subsec_nanos() % 1_000 != 0);
            whole.saturating_add(partial).saturating_neg()
        }
    }
}

/// The time of [`micros`].
pub(crate) fn time(micros: i64) -> SystemTime {
    let d = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    }
    .unwrap_or(UNIX_EPOCH)
}

/// When a lease taken at `now` runs out; capped at about 136 years (as the in-memory log
/// does) so the sum cannot overflow.
pub(crate) fn lease_until(now: SystemTime, lease: Duration) -> SystemTime {
    let lease = lease.min(Duration::from_secs(u32::MAX.into()));
    now.checked_add(lease).unwrap_or(now)
}

/// A count or offset as SQL's BIGINT.
pub(crate) fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A page size as SQL's `LIMIT`: lowered to [`MAX_LIMIT`], as the engine's pages are.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    sql_int(limit.min(MAX_LIMIT))
}

/// A BIGINT count from SQL as a `usize`.
pub(crate) fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The page of `data` found at `offset` of `total` matches.
pub(crate) fn page<T>(data: Vec<T>, offset: usize, limit: usize, total: i64) -> Page<T> {
    Page {
        pagination: Pagination {
            offset,
            limit: limit.min(MAX_LIMIT),
            size: data.len(),
            total_size: count(total),
        },
        data,
    }
}

pub(crate) fn event_status(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Pending => "pending",
        EventStatus::Delivered => "delivered",
        EventStatus::Failed => "failed",
    }
}

pub(crate) fn plugin_status(status: PluginStatus) -> &'static str {
    match status {
        PluginStatus::Active => "active",
        PluginStatus::Superseded => "superseded",
        PluginStatus::Removed => "removed",
        PluginStatus::Shadow => "shadow",
    }
}

fn parse_plugin_status(text: &str) -> Result<PluginStatus, CodecError> {
    [
        PluginStatus::Active,
        PluginStatus::Superseded,
        PluginStatus::Removed,
        PluginStatus::Shadow,
    ]
    .into_iter()
    .find(|s| plugin_status(*s) == text)
    .ok_or_else(|| CodecError::Unknown {
        what: "plugin status",
        value: text.to_owned(),
    })
}

pub(crate) fn order_json(order: &Order) -> Result<String, CodecError> {
    serde_json::to_string(order).map_err(json_err("order"))
}

/// A stored order. Read with serde directly, not the bounded model parser: it was within
/// bounds when it was written, and serde_json's depth limit still guards the stack.
pub(crate) fn stored_order(body: &str, version: i64) -> Result<StoredOrder, CodecError> {
    let order: Order = serde_json::from_str(body).map_err(json_err("order"))?;
    Ok(StoredOrder {
        order: Arc::new(order),
        version: u64::try_from(version).map_err(|_| CodecError::Unknown {
            what: "order version",
            value: version.to_string(),
        })?,
    })
}

pub(crate) fn event_json(event: &NotificationEvent) -> Result<String, CodecError> {
    serde_json::to_string(event).map_err(json_err("event"))
}

pub(crate) fn event(body: &str) -> Result<NotificationEvent, CodecError> {
    serde_json::from_str(body).map_err(json_err("event"))
}

pub(crate) fn value_json(value: &Value) -> Result<String, CodecError> {
    serde_json::to_string(value).map_err(json_err("JSON value"))
}

pub(crate) fn value(text: &str) -> Result<Value, CodecError> {
    serde_json::from_str(text).map_err(json_err("JSON value"))
}

/// SQL building a claim's token from the event's claim count (already incremented) and
/// id: unique per claim, so a holder whose lease was taken over is told apart.
pub(crate) const TOKEN_SQL: &str = "'lease_' || (claims + 1) || '_' || id";

/// A claimed event as a claim's `RETURNING` row gives it.
pub(crate) fn claimed(
    body: &str,
    token: String,
    until: SystemTime,
    round_start: i64,
) -> Result<ClaimedEvent, CodecError> {
    let event = event(body)?;
    let attempts_in_round = event.attempts.len().saturating_sub(count(round_start));
    Ok(ClaimedEvent {
        event,
        token: ClaimToken(token),
        expires_at: until,
        attempts_in_round,
    })
}

/// Records `attempt` with `outcome` on the event (see [`ordergate::events::EventLog::record_attempt`]).
pub(crate) fn apply_attempt(
    event: &mut NotificationEvent,
    attempt: Attempt,
    outcome: AttemptOutcome,
) {
    event.attempts.push(attempt);
    match outcome {
        AttemptOutcome::Delivered => event.status = EventStatus::Delivered,
        AttemptOutcome::Failed => event.status = EventStatus::Failed,
        AttemptOutcome::RetryAt(at) => {
            event.status = EventStatus::Pending;
            event.due_at = at;
        }
    }
}

/// Re-queues the event by hand (see [`ordergate::events::EventLog::retry`]); returns the
/// new round's start (the attempts made so far).
pub(crate) fn apply_retry(event: &mut NotificationEvent, now: SystemTime) -> i64 {
    event.status = EventStatus::Pending;
    event.due_at = now;
    sql_int(event.attempts.len())
}

/// The version an upload became once stored: active, numbered `version`.
pub(crate) fn uploaded(
    upload: PluginUpload,
    version: u32,
    content_hash: String,
    status: PluginStatus,
) -> PluginVersion {
    PluginVersion {
        id: upload.id,
        version,
        manifest: upload.manifest,
        component: upload.component,
        content_hash,
        status,
        uploaded_by: upload.uploaded_by,
        uploaded_at: upload.uploaded_at,
    }
}

/// What a release means: when it updated no row, the claim no longer held the event.
pub(crate) fn released(updated_a_row: bool, claim: &ClaimedEvent) -> Result<(), EventLogError> {
    if !updated_a_row {
        return Err(EventLogError::ClaimLost {
            id: claim.event.id.clone(),
        });
    }
    Ok(())
}

/// A plugin version's row, as both backends select it.
pub(crate) struct PluginRow {
    pub id: String,
    pub version: i64,
    pub manifest: String,
    pub component: Vec<u8>,
    pub content_hash: String,
    pub status: String,
    pub uploaded_by: Option<String>,
    pub uploaded_at: i64,
}

/// The columns of [`PluginRow`], in its order.
pub(crate) const PLUGIN_COLUMNS: &str =
    "id, version, manifest, component, content_hash, status, uploaded_by, uploaded_at";

impl PluginRow {
    pub(crate) fn decode(self) -> Result<PluginVersion, CodecError> {
        Ok(PluginVersion {
            version: u32::try_from(self.version).map_err(|_| CodecError::Unknown {
                what: "plugin version",
                value: self.version.to_string(),
            })?,
            manifest: value(&self.manifest)?,
            component: Arc::from(self.component),
            content_hash: self.content_hash,
            status: parse_plugin_status(&self.status)?,
            uploaded_by: self.uploaded_by,
            uploaded_at: time(self.uploaded_at),
            id: self.id,
        })
    }
}

/// A new event's columns (the ones the `events` table indexes, and its JSON).
pub(crate) struct EventRow<'a> {
    pub id: &'a str,
    pub merchant: &'a str,
    pub channel: &'a str,
    pub adapter_id: Option<&'a str>,
    pub reference: &'a str,
    pub order_id: &'a str,
    pub status: &'static str,
    pub due_at: i64,
    pub body: String,
}

impl<'a> EventRow<'a> {
    /// The rows of a write's events, encoded before any lock or connection is taken.
    pub(crate) fn all(events: &'a [NotificationEvent]) -> Result<Vec<Self>, CodecError> {
        events.iter().map(Self::of).collect()
    }

    fn of(event: &'a NotificationEvent) -> Result<Self, CodecError> {
        Ok(Self {
            id: &event.id,
            merchant: &event.merchant,
            channel: &event.channel,
            adapter_id: event.adapter_id.as_deref(),
            reference: &event.reference,
            order_id: &event.order_id,
            status: event_status(event.status),
            due_at: micros(event.due_at),
            body: event_json(event)?,
        })
    }
}

/// The event list's optional filters as `(column, value)`, in a fixed order, for a
/// backend to turn into `AND column = ?` clauses.
pub(crate) fn filters(filter: &ordergate::events::EventFilter) -> Vec<(&'static str, &str)> {
    [
        ("channel", &filter.channel),
        ("adapter_id", &filter.adapter_id),
        ("reference", &filter.reference),
        ("order_id", &filter.order_id),
    ]
    .into_iter()
    .filter_map(|(column, value)| value.as_deref().map(|v| (column, v)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip_and_floor_before_the_epoch() {
        let t = UNIX_EPOCH + Duration::new(1_767_225_600, 123_456_789);
        assert_eq!(micros(t), 1_767_225_600_123_456);
        assert_eq!(
            time(micros(t)),
            UNIX_EPOCH + Duration::new(1_767_225_600, 123_456_000)
        );
        let before = UNIX_EPOCH - Duration::from_nanos(500);
        assert_eq!(micros(before), -1);
        assert_eq!(time(-1), UNIX_EPOCH - Duration::from_micros(1));
    }
}
