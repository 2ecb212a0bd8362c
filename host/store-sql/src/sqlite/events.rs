//! The event log in SQLite: listing, claims with leases, attempts, releases and retries.

use std::time::{Duration, SystemTime};

use ordergate::events::{
    Attempt, AttemptOutcome, ClaimedEvent, EventFilter, EventLog, EventLogError, NotificationEvent,
    Page,
};
use rusqlite::{OptionalExtension, ToSql, Transaction, params};

use super::{SqliteStore, begin};
use crate::codec::{self, TOKEN_SQL, micros};
use crate::error::Context;

/// Rewrites a held event's JSON and mirrored columns and ends any lease.
fn rewrite(
    tx: &Transaction<'_>,
    event: &NotificationEvent,
    round_start: i64,
) -> Result<(), EventLogError> {
    let body = codec::event_json(event).log("encode an event")?;
    tx.prepare_cached(
        "UPDATE events SET body = ?2, status = ?3, due_at = ?4, round_start = ?5,
         lease_token = NULL, lease_until = NULL WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            event.id,
            body,
            codec::event_status(event.status),
            micros(event.due_at),
            round_start
        ])
    })
    .log("update an event")?;
    Ok(())
}

impl EventLog for SqliteStore {
    fn get(&self, merchant: &str, id: &str) -> Result<Option<NotificationEvent>, EventLogError> {
        let conn = self.reader().log("read an event")?;
        let body: Option<String> = conn
            .prepare_cached("SELECT body FROM events WHERE merchant = ?1 AND id = ?2")
            .and_then(|mut s| s.query_row(params![merchant, id], |r| r.get(0)).optional())
            .log("read an event")?;
        body.map(|b| codec::event(&b))
            .transpose()
            .log("decode an event")
    }

    fn list(
        &self,
        merchant: &str,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Page<NotificationEvent>, EventLogError> {
        let filters = codec::filters(filter);
        let mut clause = String::from("merchant = ?1");
        for (i, (column, _)) in filters.iter().enumerate() {
            clause.push_str(&format!(" AND {column} = ?{}", i + 2));
        }
        let mut args: Vec<&dyn ToSql> = vec![&merchant];
        args.extend(filters.iter().map(|(_, v)| v as &dyn ToSql));
        let (sql_limit, sql_offset) = (codec::sql_limit(limit), codec::sql_int(offset));

        let mut conn = self.reader().log("list events")?;
        let tx = conn.transaction().log("list events")?;
        let total: i64 = tx
            .prepare_cached(&format!("SELECT COUNT(*) FROM events WHERE {clause}"))
            .and_then(|mut s| s.query_row(args.as_slice(), |r| r.get(0)))
            .log("count events")?;
        let n = args.len();
        let mut select = tx
            .prepare_cached(&format!(
                "SELECT body FROM events WHERE {clause} ORDER BY seq LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            ))
            .log("list events")?;
        args.push(&sql_limit);
        args.push(&sql_offset);
        let bodies = select
            .query_map(args.as_slice(), |r| r.get::<_, String>(0))
            .log("list events")?;
        let mut data = Vec::new();
        for body in bodies {
            data.push(codec::event(&body.log("list events")?).log("decode an event")?);
        }
        Ok(codec::page(data, offset, limit, total))
    }

    fn due_count(&self, now: SystemTime) -> Result<usize, EventLogError> {
        let conn = self.reader().log("count due events")?;
        let due: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM events WHERE status = 'pending' AND due_at <= ?1")
            .and_then(|mut s| s.query_row(params![micros(now)], |r| r.get(0)))
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
        let mut conn = self.writer();
        let tx = begin(&mut conn).log("begin a claim")?;
        let mut rows = {
            let mut claim = tx
                .prepare_cached(&format!(
                    "UPDATE events SET claims = claims + 1, lease_until = ?2, lease_token = {TOKEN_SQL}
                     WHERE seq IN (
                         SELECT seq FROM events
                         WHERE status = 'pending' AND due_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
                         ORDER BY due_at, seq LIMIT ?3)
                     RETURNING due_at, seq, body, lease_token, round_start"
                ))
                .log("claim events")?;
            let rows = claim
                .query_map(
                    params![micros(now), micros(until), codec::sql_int(limit)],
                    |r| {
                        Ok((
                            (r.get::<_, i64>(0)?, r.get::<_, i64>(1)?),
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                        ))
                    },
                )
                .log("claim events")?;
            rows.collect::<Result<Vec<_>, _>>().log("claim events")?
        };
        tx.commit().log("commit a claim")?;
        // RETURNING has no order: earliest due first, ties in insertion order.
        rows.sort_by_key(|row| row.0);
        rows.into_iter()
            .map(|(_, body, token, round_start)| codec::claimed(&body, token, until, round_start))
            .collect::<Result<_, _>>()
            .log("decode a claimed event")
    }

    fn record_attempt(
        &self,
        claim: &ClaimedEvent,
        attempt: Attempt,
        outcome: AttemptOutcome,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut conn = self.writer();
        let tx = begin(&mut conn).log("begin an attempt")?;
        let held: Option<(String, i64)> = tx
            .prepare_cached(
                "SELECT body, round_start FROM events
                 WHERE merchant = ?1 AND id = ?2 AND lease_token = ?3 AND lease_until > ?4",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![
                        claim.event.merchant,
                        claim.event.id,
                        claim.token.0,
                        micros(now)
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
            })
            .log("read a claimed event")?;
        let Some((body, round_start)) = held else {
            return Err(EventLogError::ClaimLost {
                id: claim.event.id.clone(),
            });
        };
        let mut event = codec::event(&body).log("decode an event")?;
        codec::apply_attempt(&mut event, attempt, outcome);
        rewrite(&tx, &event, round_start)?;
        tx.commit().log("commit an attempt")?;
        Ok(event)
    }

    fn release(&self, claim: &ClaimedEvent) -> Result<(), EventLogError> {
        let released = self
            .writer()
            .prepare_cached(
                "UPDATE events SET lease_token = NULL, lease_until = NULL
                 WHERE merchant = ?1 AND id = ?2 AND lease_token = ?3",
            )
            .and_then(|mut s| {
                s.execute(params![claim.event.merchant, claim.event.id, claim.token.0])
            })
            .log("release an event")?;
        codec::released(released > 0, claim)
    }

    fn retry(
        &self,
        merchant: &str,
        id: &str,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut conn = self.writer();
        let tx = begin(&mut conn).log("begin a retry")?;
        let body: Option<String> = tx
            .prepare_cached("SELECT body FROM events WHERE merchant = ?1 AND id = ?2")
            .and_then(|mut s| s.query_row(params![merchant, id], |r| r.get(0)).optional())
            .log("read an event")?;
        let Some(body) = body else {
            return Err(EventLogError::NotFound { id: id.to_owned() });
        };
        let mut event = codec::event(&body).log("decode an event")?;
        let round_start = codec::apply_retry(&mut event, now);
        rewrite(&tx, &event, round_start)?;
        tx.commit().log("commit a retry")?;
        Ok(event)
    }
}
