//! Orders, and the events committed with them, in SQLite.

use ordergate::events::NotificationEvent;
use ordergate::store::{OrderKey, OrderStore, OrderWrite, Page, StoreError, StoredOrder, Tenant};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{SqliteStore, begin};
use crate::codec::{self, EventRow};
use crate::error::Context;

/// Inserts `events` in the transaction, in order; the first id already taken (stored, or
/// earlier in the batch) fails the whole write: the caller's transaction rolls back.
fn insert_events(tx: &Transaction<'_>, events: &[EventRow<'_>]) -> Result<(), StoreError> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO events (id, merchant, channel, adapter_id, reference, order_id, status, due_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING",
        )
        .store("prepare an event insert")?;
    for e in events {
        let inserted = insert
            .execute(params![
                e.id,
                e.merchant,
                e.channel,
                e.adapter_id,
                e.reference,
                e.order_id,
                e.status,
                e.due_at,
                e.body
            ])
            .store("insert an event")?;
        if inserted == 0 {
            return Err(StoreError::DuplicateEvent {
                id: e.id.to_owned(),
            });
        }
    }
    Ok(())
}

impl OrderStore for SqliteStore {
    fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        let conn = self.reader().store("load an order")?;
        let row: Option<(String, i64)> = conn
            .prepare_cached(
                "SELECT body, version FROM orders WHERE merchant = ?1 AND channel = ?2 AND id = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![key.merchant, key.channel, key.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .store("load an order")?;
        row.map(|(body, version)| codec::stored_order(&body, version))
            .transpose()
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
        let mut conn = self.writer();
        let tx = begin(&mut conn).store("begin an order commit")?;
        let key = (&order.merchant, &order.channel, &order.id);
        let version = match expected {
            None => {
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO orders (merchant, channel, id, version, body) VALUES (?1, ?2, ?3, 1, ?4)
                         ON CONFLICT (merchant, channel, id) DO NOTHING",
                    )
                    .and_then(|mut s| s.execute(params![key.0, key.1, key.2, body]))
                    .store("insert an order")?;
                if inserted == 0 {
                    return Err(StoreError::AlreadyExists);
                }
                1
            }
            Some(expected) => {
                // A version past i64 matches no row: the conflict reports what is stored.
                let sql_expected = i64::try_from(expected).unwrap_or(-1);
                let updated: Option<i64> = tx
                    .prepare_cached(
                        "UPDATE orders SET version = version + 1, body = ?5
                         WHERE merchant = ?1 AND channel = ?2 AND id = ?3 AND version = ?4 RETURNING version",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![key.0, key.1, key.2, sql_expected, body], |r| r.get(0))
                            .optional()
                    })
                    .store("replace an order")?;
                match updated {
                    Some(version) => version,
                    None => {
                        let found: Option<i64> = tx
                            .prepare_cached("SELECT version FROM orders WHERE merchant = ?1 AND channel = ?2 AND id = ?3")
                            .and_then(|mut s| s.query_row(params![key.0, key.1, key.2], |r| r.get(0)).optional())
                            .store("read an order's version")?;
                        return Err(match found {
                            None => StoreError::NotFound,
                            Some(found) => StoreError::Conflict {
                                expected,
                                found: u64::try_from(found).unwrap_or(0),
                            },
                        });
                    }
                }
            }
        };
        insert_events(&tx, &rows)?;
        tx.commit().store("commit an order")?;
        u64::try_from(version).store("read the new version")
    }

    fn append_events(&self, events: Vec<NotificationEvent>) -> Result<(), StoreError> {
        let rows = EventRow::all(&events).store("encode an event")?;
        let mut conn = self.writer();
        let tx = begin(&mut conn).store("begin an event append")?;
        insert_events(&tx, &rows)?;
        tx.commit().store("commit events")
    }

    fn list_orders(
        &self,
        tenant: &Tenant,
        offset: usize,
        limit: usize,
    ) -> Result<Page<StoredOrder>, StoreError> {
        let mut conn = self.reader().store("list orders")?;
        // One read transaction: the count and the page see the same snapshot.
        let tx = conn.transaction().store("list orders")?;
        let total: i64 = tx
            .prepare_cached("SELECT COUNT(*) FROM orders WHERE merchant = ?1 AND channel = ?2")
            .and_then(|mut s| s.query_row(params![tenant.merchant, tenant.channel], |r| r.get(0)))
            .store("count orders")?;
        let mut select = tx
            .prepare_cached(
                "SELECT body, version FROM orders WHERE merchant = ?1 AND channel = ?2
                 ORDER BY seq LIMIT ?3 OFFSET ?4",
            )
            .store("list orders")?;
        let rows = select
            .query_map(
                params![
                    tenant.merchant,
                    tenant.channel,
                    codec::sql_limit(limit),
                    codec::sql_int(offset)
                ],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .store("list orders")?;
        let mut data = Vec::new();
        for row in rows {
            let (body, version) = row.store("list orders")?;
            data.push(codec::stored_order(&body, version).store("decode an order")?);
        }
        Ok(codec::page(data, offset, limit, total))
    }

    fn delete_order(&self, key: &OrderKey) -> Result<(), StoreError> {
        let conn = self.writer();
        let deleted = conn
            .prepare_cached("DELETE FROM orders WHERE merchant = ?1 AND channel = ?2 AND id = ?3")
            .and_then(|mut s| s.execute(params![key.merchant, key.channel, key.id]))
            .store("delete an order")?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
