//! The events in memory, with their delivery bookkeeping (round, lease): what
//! [`crate::store::MemoryStore`] keeps under its lock so an order change and its events commit
//! together.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::{
    Attempt, AttemptOutcome, ClaimToken, ClaimedEvent, EventFilter, EventLogError, EventStatus,
    NotificationEvent, Page,
};

/// An event with its bookkeeping, kept beside the event, not in it, so the event keeps
/// exactly the documented shape.
#[derive(Debug, Clone)]
struct Entry {
    event: NotificationEvent,
    /// Index in `attempts` where the current delivery round began (a retry starts a round).
    round_start: usize,
    /// The live or lapsed lease of the last claim, until an attempt, a release or a retry
    /// ends it.
    lease: Option<Lease>,
}

#[derive(Debug, Clone)]
struct Lease {
    token: ClaimToken,
    until: SystemTime,
}

/// The events, in memory: insertion-ordered and indexed by id. No locking of its own: the
/// order store embeds it under the store's single lock.
///
/// Listing and claiming scan every event (linear): fine for the in-memory store's sizes.
#[derive(Debug, Clone, Default)]
pub struct EventTable {
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    /// Claims made so far: the next claim's token, unique for the table's lifetime.
    claims: u64,
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
            lease: None,
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

    /// See [`super::EventLog::list`].
    pub fn list(
        &self,
        merchant: &str,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Page<NotificationEvent> {
        let matches = self
            .entries
            .iter()
            .map(|entry| &entry.event)
            .filter(|e| e.merchant == merchant && filter.matches(e));
        Page::of(matches, offset, limit, NotificationEvent::clone)
    }

    /// See [`super::EventLog::due_count`].
    pub fn due_count(&self, now: SystemTime) -> usize {
        (self.entries.iter())
            .filter(|e| e.event.status == EventStatus::Pending && e.event.due_at <= now)
            .count()
    }

    /// Claims up to `limit` due events; see [`super::EventLog::claim_due`].
    pub fn claim_due(
        &mut self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Vec<ClaimedEvent> {
        let mut due: Vec<usize> = (0..self.entries.len())
            .filter(|&i| {
                let entry = &self.entries[i];
                entry.event.status == EventStatus::Pending
                    && entry.event.due_at <= now
                    && entry.lease.as_ref().is_none_or(|l| l.until <= now)
            })
            .collect();
        // Stable sort: equal due times stay in insertion order.
        due.sort_by_key(|&i| self.entries[i].event.due_at);
        due.truncate(limit);
        // Leases are capped at about 136 years so `now + lease` cannot overflow.
        let lease = lease.min(Duration::from_secs(u32::MAX.into()));
        let until = now.checked_add(lease).unwrap_or(now);
        due.into_iter()
            .map(|i| {
                self.claims += 1;
                let token = ClaimToken(format!("lease_{}", self.claims));
                let entry = &mut self.entries[i];
                entry.lease = Some(Lease {
                    token: token.clone(),
                    until,
                });
                ClaimedEvent {
                    event: entry.event.clone(),
                    token,
                    expires_at: until,
                    attempts_in_round: entry.event.attempts.len() - entry.round_start,
                }
            })
            .collect()
    }

    /// The entry `claim` holds, live at `now` (or whatever its expiry when `now` is `None`).
    fn held(
        &mut self,
        claim: &ClaimedEvent,
        now: Option<SystemTime>,
    ) -> Result<&mut Entry, EventLogError> {
        let lost = || EventLogError::ClaimLost {
            id: claim.event.id.clone(),
        };
        let i = self
            .position(&claim.event.merchant, &claim.event.id)
            .map_err(|_| lost())?;
        let entry = &mut self.entries[i];
        match &entry.lease {
            Some(lease)
                if lease.token == claim.token && now.is_none_or(|now| now < lease.until) =>
            {
                Ok(entry)
            }
            _ => Err(lost()),
        }
    }

    /// See [`super::EventLog::record_attempt`].
    pub fn record_attempt(
        &mut self,
        claim: &ClaimedEvent,
        attempt: Attempt,
        outcome: AttemptOutcome,
        now: SystemTime,
    ) -> Result<&NotificationEvent, EventLogError> {
        let entry = self.held(claim, Some(now))?;
        entry.lease = None;
        entry.event.attempts.push(attempt);
        match outcome {
            AttemptOutcome::Delivered => entry.event.status = EventStatus::Delivered,
            AttemptOutcome::Failed => entry.event.status = EventStatus::Failed,
            AttemptOutcome::RetryAt(at) => {
                entry.event.status = EventStatus::Pending;
                entry.event.due_at = at;
            }
        }
        Ok(&entry.event)
    }

    /// See [`super::EventLog::release`].
    pub fn release(&mut self, claim: &ClaimedEvent) -> Result<(), EventLogError> {
        self.held(claim, None)?.lease = None;
        Ok(())
    }

    /// See [`super::EventLog::retry`].
    pub fn retry(
        &mut self,
        merchant: &str,
        id: &str,
        now: SystemTime,
    ) -> Result<&NotificationEvent, EventLogError> {
        let i = self.position(merchant, id)?;
        let entry = &mut self.entries[i];
        entry.round_start = entry.event.attempts.len();
        entry.lease = None;
        entry.event.status = EventStatus::Pending;
        entry.event.due_at = now;
        Ok(&entry.event)
    }
}
