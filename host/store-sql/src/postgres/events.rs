//! The event log in PostgreSQL: listing, claims with leases (`FOR UPDATE SKIP LOCKED`, so
//! nodes claiming at once skip each other's rows instead of waiting or double-claiming),
//! attempts, releases and retries.

use std::time::{Duration, SystemTime};

use ordergate::events::{
    Attempt, AttemptOutcome, ClaimedEvent, EventFilter, EventLog, EventLogError, NotificationEvent,
    Page,
};
use postgres::types::ToSql;

use super::PostgresStore;
use super::pool::{Session, Tx};
use crate::codec::{self, TOKEN_SQL, micros};
use crate::error::Context;

/// Rewrites a held event's JSON and mirrored columns and ends any lease.
fn rewrite(
    tx: &mut Tx<'_>,
    event: &NotificationEvent,
    round_start: i64,
) -> Result<(), EventLogError> {
    let body = codec::event_json(event).log("encode an event")?;
    tx.execute(
        "UPDATE events SET body = $2, status = $3, due_at = $4, round_start = $5,
         lease_token = NULL, lease_until = NULL WHERE id = $1",
        &[
            &event.id,
            &body,
            &codec::event_status(event.status),
            &micros(event.due_at),
            &round_start,
        ],
    )
    .log("update an event")?;
    Ok(())
}

impl EventLog for PostgresStore {
    fn get(&self, merchant: &str, id: &str) -> Result<Option<NotificationEvent>, EventLogError> {
        let row = self
            .client()
            .log("read an event")?
            .query_opt(
                "SELECT body FROM events WHERE merchant = $1 AND id = $2",
                &[&merchant, &id],
            )
            .log("read an event")?;
        let Some(row) = row else { return Ok(None) };
        let body: String = row.try_get(0).log("read an event")?;
        codec::event(&body).map(Some).log("decode an event")
    }

    fn list(
        &self,
        merchant: &str,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Page<NotificationEvent>, EventLogError> {
        let filters = codec::filters(filter);
        let mut clause = String::from("merchant = $1");
        for (i, (column, _)) in filters.iter().enumerate() {
            clause.push_str(&format!(" AND {column} = ${}", i + 2));
        }
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&merchant];
        args.extend(filters.iter().map(|(_, v)| v as &(dyn ToSql + Sync)));
        let (sql_limit, sql_offset) = (codec::sql_limit(limit), codec::sql_int(offset));

        let mut client = self.client().log("list events")?;
        let mut tx = client.snapshot().log("list events")?;
        let total: i64 = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM events WHERE {clause}"),
                &args,
            )
            .and_then(|r| r.try_get(0))
            .log("count events")?;
        let n = args.len();
        args.push(&sql_limit);
        args.push(&sql_offset);
        let rows = tx
            .query(
                &format!(
                    "SELECT body FROM events WHERE {clause} ORDER BY seq LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                ),
                &args,
            )
            .log("list events")?;
        tx.commit().log("list events")?;
        let mut data = Vec::with_capacity(rows.len());
        for row in rows {
            let body: String = row.try_get(0).log("list events")?;
            data.push(codec::event(&body).log("decode an event")?);
        }
        Ok(codec::page(data, offset, limit, total))
    }

    fn due_count(&self, now: SystemTime) -> Result<usize, EventLogError> {
        let due: i64 = self
            .client()
            .log("count due events")?
            .query_one(
                "SELECT COUNT(*) FROM events WHERE status = 'pending' AND due_at <= $1",
                &[&micros(now)],
            )
            .and_then(|r| r.try_get(0))
            .log("count due events")?;
        Ok(codec::count(due))
    }

    fn claim_due(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedEvent>, EventLogError> {
        let until = codec::lease_until(now, lease);
        // The CTE locks the rows it picks and skips rows another claim has locked; a row
        // another claim committed meanwhile is re-checked against the lease condition.
        let rows = self
            .client()
            .log("claim events")?
            .query(
                &format!(
                    "WITH due AS (
                         SELECT seq FROM events
                         WHERE status = 'pending' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
                         ORDER BY due_at, seq LIMIT $3
                         FOR UPDATE SKIP LOCKED)
                     UPDATE events SET claims = claims + 1, lease_until = $2, lease_token = {TOKEN_SQL}
                     FROM due WHERE events.seq = due.seq
                     RETURNING events.due_at, events.seq, events.body, events.lease_token, events.round_start"
                ),
                &[&micros(now), &micros(until), &codec::sql_int(limit)],
            )
            .log("claim events")?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let order: (i64, i64) = (
                row.try_get(0).log("claim events")?,
                row.try_get(1).log("claim events")?,
            );
            let body: String = row.try_get(2).log("claim events")?;
            let token: String = row.try_get(3).log("claim events")?;
            let round_start: i64 = row.try_get(4).log("claim events")?;
            claimed.push((
                order,
                codec::claimed(&body, token, until, round_start).log("decode a claimed event")?,
            ));
        }
        // RETURNING has no order: earliest due first, ties in insertion order.
        claimed.sort_by_key(|(order, _)| *order);
        Ok(claimed.into_iter().map(|(_, c)| c).collect())
    }

    fn record_attempt(
        &self,
        claim: &ClaimedEvent,
        attempt: Attempt,
        outcome: AttemptOutcome,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut client = self.client().log("record an attempt")?;
        let mut tx = client.transaction().log("begin an attempt")?;
        let held = tx
            .query_opt(
                "SELECT body, round_start FROM events
                 WHERE merchant = $1 AND id = $2 AND lease_token = $3 AND lease_until > $4 FOR UPDATE",
                &[&claim.event.merchant, &claim.event.id, &claim.token.0, &micros(now)],
            )
            .log("read a claimed event")?;
        let Some(row) = held else {
            return Err(EventLogError::ClaimLost {
                id: claim.event.id.clone(),
            });
        };
        let body: String = row.try_get(0).log("read a claimed event")?;
        let round_start: i64 = row.try_get(1).log("read a claimed event")?;
        let mut event = codec::event(&body).log("decode an event")?;
        codec::apply_attempt(&mut event, attempt, outcome);
        rewrite(&mut tx, &event, round_start)?;
        tx.commit().log("commit an attempt")?;
        Ok(event)
    }

    fn release(&self, claim: &ClaimedEvent) -> Result<(), EventLogError> {
        let released = self
            .client()
            .log("release an event")?
            .execute(
                "UPDATE events SET lease_token = NULL, lease_until = NULL
                 WHERE merchant = $1 AND id = $2 AND lease_token = $3",
                &[&claim.event.merchant, &claim.event.id, &claim.token.0],
            )
            .log("release an event")?;
        codec::released(released > 0, claim)
    }

    fn retry(
        &self,
        merchant: &str,
        id: &str,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut client = self.client().log("retry an event")?;
        let mut tx = client.transaction().log("begin a retry")?;
        let row = tx
            .query_opt(
                "SELECT body FROM events WHERE merchant = $1 AND id = $2 FOR UPDATE",
                &[&merchant, &id],
            )
            .log("read an event")?;
        let Some(row) = row else {
            return Err(EventLogError::NotFound { id: id.to_owned() });
        };
        let body: String = row.try_get(0).log("read an event")?;
        let mut event = codec::event(&body).log("decode an event")?;
        let round_start = codec::apply_retry(&mut event, now);
        rewrite(&mut tx, &event, round_start)?;
        tx.commit().log("commit a retry")?;
        Ok(event)
    }
}
