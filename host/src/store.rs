//! Where orders live: a storage trait with optimistic concurrency, and an in-memory
//! implementation.
//!
//! Every stored order carries a version. A write names the version it was computed from
//! and fails with [`StoreError::Conflict`] if another write got there first, so two
//! concurrent mutations can never silently overwrite each other: the loser recomputes on
//! the new version.

use std::collections::HashMap;
use std::sync::RwLock;

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
    /// The order.
    pub order: Order,
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

/// Order storage. Implementations must make `insert` and `replace` atomic.
pub trait OrderStore: Send + Sync {
    /// The order and its version, if it exists.
    fn get(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError>;
    /// Stores a new order as version 1.
    fn insert(&self, order: &Order) -> Result<(), StoreError>;
    /// Replaces the order if it is still at `expected_version`; returns the new version.
    fn replace(&self, order: &Order, expected_version: u64) -> Result<u64, StoreError>;
}

/// Orders in a map behind a lock: for tests, examples and embedders that keep state
/// elsewhere.
#[derive(Debug, Default)]
pub struct MemoryStore {
    orders: RwLock<HashMap<OrderKey, StoredOrder>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl OrderStore for MemoryStore {
    fn get(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        Ok(self.orders.read().expect("store lock").get(key).cloned())
    }

    fn insert(&self, order: &Order) -> Result<(), StoreError> {
        let mut orders = self.orders.write().expect("store lock");
        match orders.entry(OrderKey::of(order)) {
            std::collections::hash_map::Entry::Occupied(_) => Err(StoreError::AlreadyExists),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(StoredOrder {
                    order: order.clone(),
                    version: 1,
                });
                Ok(())
            }
        }
    }

    fn replace(&self, order: &Order, expected_version: u64) -> Result<u64, StoreError> {
        let mut orders = self.orders.write().expect("store lock");
        let stored = orders
            .get_mut(&OrderKey::of(order))
            .ok_or(StoreError::NotFound)?;
        if stored.version != expected_version {
            return Err(StoreError::Conflict {
                expected: expected_version,
                found: stored.version,
            });
        }
        stored.order = order.clone();
        stored.version += 1;
        Ok(stored.version)
    }
}
