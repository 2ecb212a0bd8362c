//! Orders, and the events committed with them, in PostgreSQL.

use std::collections::HashSet;

use ordergate::events::NotificationEvent;
use ordergate::store::{OrderKey, OrderStore, OrderWrite, Page, StoreError, StoredOrder, Tenant};

use super::PostgresStore;
use super::pool::{Session, Tx};
use crate::codec::{self, EventRow};
use crate::error::Context;

/// Inserts `events` in the transaction, in order, in one statement (one round trip, not
/// one per event); the first id already taken (stored, or earlier in the batch) fails the
/// whole write: the caller's transaction rolls back. A concurrent insert of the same id
/// waits for the other transaction, then counts as taken.
fn insert_events(tx: &mut Tx<'_>, events: &[EventRow<'_>]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let ids = column(events, |e| e.id);
    let adapter_ids: Vec<Option<&str>> = events.iter().map(|e| e.adapter_id).collect();
    let due_ats: Vec<i64> = events.iter().map(|e| e.due_at).collect();
    let inserted = tx
        .query(
            "INSERT INTO events (id, merchant, channel, adapter_id, reference, order_id, status, due_at, body)
             SELECT id, merchant, channel, adapter_id, reference, order_id, status, due_at, body
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::bigint[], $9::text[])
                  WITH ORDINALITY AS e (id, merchant, channel, adapter_id, reference, order_id,
                                        status, due_at, body, n)
             ORDER BY n
             ON CONFLICT (id) DO NOTHING RETURNING id",
            &[
                &ids,
                &column(events, |e| e.merchant),
                &column(events, |e| e.channel),
                &adapter_ids,
                &column(events, |e| e.reference),
                &column(events, |e| e.order_id),
                &column(events, |e| e.status),
                &due_ats,
                &column(events, |e| e.body.as_str()),
            ],
        )
        .store("insert an event")?;
    let mut taken = HashSet::with_capacity(inserted.len());
    for row in &inserted {
        taken.insert(row.try_get::<_, String>(0).store("insert an event")?);
    }
    // Each inserted id is one event's; the first event whose row was not inserted (its
    // id stored before, or an earlier event's in this batch) is the duplicate.
    match ids.iter().find(|id| !taken.remove(**id)) {
        Some(id) => Err(StoreError::DuplicateEvent {
            id: (*id).to_owned(),
        }),
        None => Ok(()),
    }
}

/// One text column of `events`, for `unnest`.
fn column<'r>(
    events: &'r [EventRow<'_>],
    field: impl Fn(&'r EventRow<'_>) -> &'r str,
) -> Vec<&'r str> {
    events.iter().map(field).collect()
}

/// Inserts the order as version 1 (`expected` `None`) or replaces it if it is still at
/// `expected`, in `session` (a transaction, or a connection: each is one statement, atomic
/// on its own, but a failed replace's second statement only reports the version found).
/// Returns the new version.
fn write_order(
    session: &mut impl Session,
    key: [&String; 3],
    expected: Option<u64>,
    body: &str,
) -> Result<i64, StoreError> {
    let Some(expected) = expected else {
        let inserted = session
            .execute(
                "INSERT INTO orders (merchant, channel, id, version, body) VALUES ($1, $2, $3, 1, $4)
                 ON CONFLICT (merchant, channel, id) DO NOTHING",
                &[key[0], key[1], key[2], &body],
            )
            .store("insert an order")?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists);
        }
        return Ok(1);
    };
    // A version past i64 matches no row: the conflict reports what is stored.
    let sql_expected = i64::try_from(expected).unwrap_or(-1);
    // Row-locking: a concurrent writer of the same version waits for this one, then finds
    // the version moved and updates nothing.
    let updated = session
        .query_opt(
            "UPDATE orders SET version = version + 1, body = $5
             WHERE merchant = $1 AND channel = $2 AND id = $3 AND version = $4 RETURNING version",
            &[key[0], key[1], key[2], &sql_expected, &body],
        )
        .store("replace an order")?;
    if let Some(row) = updated {
        return row.try_get(0).store("replace an order");
    }
    let found = session
        .query_opt(
            "SELECT version FROM orders WHERE merchant = $1 AND channel = $2 AND id = $3",
            &[key[0], key[1], key[2]],
        )
        .store("read an order's version")?;
    Err(match found {
        None => StoreError::NotFound,
        Some(row) => StoreError::Conflict {
            expected,
            found: u64::try_from(row.try_get::<_, i64>(0).store("read an order's version")?)
                .unwrap_or(0),
        },
    })
}

impl OrderStore for PostgresStore {
    fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let row = self
            .client()
            .store("load an order")?
            .query_opt(
                "SELECT body, version FROM orders WHERE merchant = $1 AND channel = $2 AND id = $3",
                &[&key.merchant, &key.channel, &key.id],
            )
            .store("load an order")?;
        let Some(row) = row else { return Ok(None) };
        let (body, version): (String, i64) = (
            row.try_get(0).store("load an order")?,
            row.try_get(1).store("load an order")?,
        );
        codec::stored_order(&body, version)
            .map(Some)
            .store("decode an order")
    }

    fn commit(
        &self,
        write: OrderWrite<'_>,
        events: Vec<NotificationEvent>,
    ) -> Result<u64, StoreError> {
        let (order, expected) = match write {
            OrderWrite::Insert(order) => (order, None),
            OrderWrite::Replace {
                order,
                expected_version,
            } => (order, Some(expected_version)),
        };
        let body = codec::order_json(order).store("encode the order")?;
        let rows = EventRow::all(&events).store("encode an event")?;
        let mut client = self.client().store("commit an order")?;
        let key = [&order.merchant, &order.channel, &order.id];
        let version = if rows.is_empty() {
            // One statement is atomic by itself: without events the write needs no
            // transaction, and saves the BEGIN and COMMIT round trips (two of three).
            write_order(&mut *client, key, expected, &body)?
        } else {
            let mut tx = client.transaction().store("begin an order commit")?;
            let version = write_order(&mut tx, key, expected, &body)?;
            insert_events(&mut tx, &rows)?;
            tx.commit().store("commit an order")?;
            version
        };
        u64::try_from(version).store("read the new version")
    }

    fn append_events(&self, events: Vec<NotificationEvent>) -> Result<(), StoreError> {
        let rows = EventRow::all(&events).store("encode an event")?;
        let mut client = self.client().store("append events")?;
        let mut tx = client.transaction().store("begin an event append")?;
        insert_events(&mut tx, &rows)?;
        tx.commit().store("commit events")
    }

    fn list_orders(
        &self,
        tenant: &Tenant,
        offset: usize,
        limit: usize,
    ) -> Result<Page<StoredOrder>, StoreError> {
        let mut client = self.client().store("list orders")?;
        // One snapshot for the count and the page.
        let mut tx = client.snapshot().store("list orders")?;
        let total: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM orders WHERE merchant = $1 AND channel = $2",
                &[&tenant.merchant, &tenant.channel],
            )
            .and_then(|r| r.try_get(0))
            .store("count orders")?;
        let rows = tx
            .query(
                "SELECT body, version FROM orders WHERE merchant = $1 AND channel = $2
                 ORDER BY seq LIMIT $3 OFFSET $4",
                &[
                    &tenant.merchant,
                    &tenant.channel,
                    &codec::sql_limit(limit),
                    &codec::sql_int(offset),
                ],
            )
            .store("list orders")?;
        tx.commit().store("list orders")?;
        let mut data = Vec::with_capacity(rows.len());
        for row in rows {
            let body: String = row.try_get(0).store("list orders")?;
            let version: i64 = row.try_get(1).store("list orders")?;
            data.push(codec::stored_order(&body, version).store("decode an order")?);
        }
        Ok(codec::page(data, offset, limit, total))
    }

    fn delete_order(&self, key: &OrderKey) -> Result<(), StoreError> {
        let deleted = self
            .client()
            .store("delete an order")?
            .execute(
                "DELETE FROM orders WHERE merchant = $1 AND channel = $2 AND id = $3",
                &[&key.merchant, &key.channel, &key.id],
            )
            .store("delete an order")?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
