//! Where orders and their notification events live: storage traits with optimistic
//! concurrency and atomic order+event commits, and an in-memory implementation.
//!
//! Every stored order carries a version. A write names the version it was computed from
//! and fails with [`StoreError::Conflict`] if another write got there first, so two
//! concurrent mutations can never silently overwrite each other: the loser recomputes on
//! the new version.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::events::{
    Attempt, EventFilter, EventLog, EventLogError, EventTable, NotificationEvent, Page,
};
use crate::model::Order;

/// Identifies an order within its tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderKey {
    /// The `x-merchant` the order belongs to.
    pub merchant: String,
    /// The `x-channel` the order belongs to.
    pub channel: String,
    /// The order id.
    pub id: String,
}

impl OrderKey {
    /// The key of a stored order.
    pub fn of(order: &Order) -> Self {
        Self {
            merchant: order.merchant.clone(),
            channel: order.channel.clone(),
            id: order.id.clone(),
        }
    }
}

/// An order with the version it was stored as (1 for a new order, +1 per write).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOrder {
    /// The order. Shared: a version never changes once stored, so loading it and handing
    /// it to plugins copies nothing.
    pub order: Arc<Order>,
    /// Its version.
    pub version: u64,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The order changed since it was read.
    #[error("order was modified concurrently (expected version {expected}, found {found})")]
    Conflict {
        /// The version the write was based on.
        expected: u64,
        /// The version stored now.
        found: u64,
    },
    /// An order with this key already exists.
    #[error("an order with this id already exists")]
    AlreadyExists,
    /// No order with this key.
    #[error("order not found")]
    NotFound,
    /// The storage backend failed.
    #[error("storage backend failed: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// What a commit does to the order.
#[derive(Debug, Clone, Copy)]
pub enum OrderWrite<'a> {
    /// Store a new order as version 1; fails with [`StoreError::AlreadyExists`].
    Insert(&'a Arc<Order>),
    /// Replace the order if it is still at `expected_version`; fails with
    /// [`StoreError::Conflict`] otherwise.
    Replace {
        /// The new order.
        order: &'a Arc<Order>,
        /// The version it was computed from.
        expected_version: u64,
    },
    /// Leave orders alone: only append events (a hook's triggers that fired without a
    /// patch).
    Unchanged,
}

/// Order storage.
pub trait OrderStore: Send + Sync {
    /// The order and its version, if it exists.
    fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError>;

    /// Writes an order change and the notification events it caused, atomically: both or
    /// neither, so a crash can never keep one without the other. Returns the order's new
    /// version (`None` for [`OrderWrite::Unchanged`]).
    fn commit(
        &self,
        write: OrderWrite<'_>,
        events: Vec<NotificationEvent>,
    ) -> Result<Option<u64>, StoreError>;
}

/// Merchants' configurations of their adapters.
pub trait ConfigStore: Send + Sync {
    /// Sets the merchant's configuration of an adapter.
    fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: serde_json::Value,
    ) -> Result<(), StoreError>;

    /// The merchant's configuration of an adapter, if set.
    fn adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
    ) -> Result<Option<serde_json::Value>, StoreError>;
}

/// Everything a host keeps: orders and the events their changes caused, in one store so
/// they can commit together.
pub trait Storage: OrderStore + EventLog + ConfigStore {}

impl<T: OrderStore + EventLog + ConfigStore> Storage for T {}

/// Orders and events in memory behind one lock: for tests, examples and embedders that
/// keep state elsewhere.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    orders: HashMap<OrderKey, StoredOrder>,
    events: EventTable,
    configs: HashMap<(String, String), serde_json::Value>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl OrderStore for MemoryStore {
    fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        Ok(self.read().orders.get(key).cloned())
    }

    fn commit(
        &self,
        write: OrderWrite<'_>,
        events: Vec<NotificationEvent>,
    ) -> Result<Option<u64>, StoreError> {
        let mut inner = self.write();
        // Everything that can fail is checked before anything is written.
        let version = match write {
            OrderWrite::Insert(order) => {
                if inner.orders.contains_key(&OrderKey::of(order)) {
                    return Err(StoreError::AlreadyExists);
                }
                Some(1)
            }
            OrderWrite::Replace {
                order,
                expected_version,
            } => {
                let found = inner
                    .orders
                    .get(&OrderKey::of(order))
                    .ok_or(StoreError::NotFound)?
                    .version;
                if found != expected_version {
                    return Err(StoreError::Conflict {
                        expected: expected_version,
                        found,
                    });
                }
                Some(found + 1)
            }
            OrderWrite::Unchanged => None,
        };
        let mut ids = std::collections::HashSet::new();
        for event in &events {
            if !ids.insert(event.id.as_str()) || inner.events.contains(&event.id) {
                let message = format!("event id {} is already taken", event.id);
                return Err(StoreError::Backend(message.into()));
            }
        }
        for event in events {
            inner
                .events
                .insert(event)
                .expect("event ids were checked to be new");
        }
        if let (OrderWrite::Insert(order) | OrderWrite::Replace { order, .. }, Some(version)) =
            (write, version)
        {
            inner.orders.insert(
                OrderKey::of(order),
                StoredOrder {
                    order: Arc::clone(order),
                    version,
                },
            );
        }
        Ok(version)
    }
}

impl ConfigStore for MemoryStore {
    fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: serde_json::Value,
    ) -> Result<(), StoreError> {
        let key = (merchant.to_owned(), adapter_id.to_owned());
        self.write().configs.insert(key, configuration);
        Ok(())
    }

    fn adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let key = (merchant.to_owned(), adapter_id.to_owned());
        Ok(self.read().configs.get(&key).cloned())
    }
}

impl EventLog for MemoryStore {
    fn get(&self, merchant: &str, id: &str) -> Result<Option<NotificationEvent>, EventLogError> {
        Ok(self.read().events.get(merchant, id).cloned())
    }

    fn list(
        &self,
        merchant: &str,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Page<NotificationEvent>, EventLogError> {
        Ok(self.read().events.list(merchant, filter, offset, limit))
    }

    fn record_attempt(
        &self,
        merchant: &str,
        id: &str,
        attempt: Attempt,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut inner = self.write();
        inner.events.record_attempt(merchant, id, attempt).cloned()
    }

    fn retry(
        &self,
        merchant: &str,
        id: &str,
        now: &str,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut inner = self.write();
        inner.events.retry(merchant, id, now).cloned()
    }

    fn due(&self, now: &str, limit: usize) -> Result<Vec<NotificationEvent>, EventLogError> {
        Ok(self.read().events.due(now, limit))
    }
}
