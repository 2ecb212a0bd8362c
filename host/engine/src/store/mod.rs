//! Where a host's state lives: orders and their notification events (committed together,
//! with optimistic concurrency), the uploaded versions of plugins, and the merchants'
//! adapter configurations, behind traits a database can implement, plus an in-memory
//! implementation ([`MemoryStore`]).
//!
//! Every stored order carries a version. A write names the version it was computed from
//! and fails with [`StoreError::Conflict`] if another write got there first, so two
//! concurrent mutations can never silently overwrite each other: the loser recomputes on
//! the new version.
//!
//! The traits are shaped for SQL backends as much as for memory: every operation is keyed
//! (tenant, order id, plugin id and version, event id, claim token) or paginated, and the
//! conformance suite in `ordergate-test-support` (module `conformance`) states what any
//! backend must do.

use std::sync::Arc;

use crate::events::{EventLog, NotificationEvent};
use crate::model::Order;

mod memory;
mod plugins;

pub use crate::events::{DEFAULT_LIMIT, MAX_LIMIT, Page, Pagination};
pub use memory::MemoryStore;
pub use plugins::{PluginStatus, PluginStore, PluginUpload, PluginVersion, content_hash};

/// A merchant's channel: plugins are installed for one and run only on its orders. Kept
/// here, not in the registry, so storage depends on nothing that runs plugins.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tenant {
    /// The `x-merchant` header.
    pub merchant: String,
    /// The `x-channel` header.
    pub channel: String,
}

impl Tenant {
    /// The tenant of these headers.
    pub fn new(merchant: impl Into<String>, channel: impl Into<String>) -> Self {
        Self {
            merchant: merchant.into(),
            channel: channel.into(),
        }
    }
}

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
    /// No such order, plugin or plugin version.
    #[error("not found")]
    NotFound,
    /// An event of the write has an id already taken (by a stored event or another event
    /// of the same write); nothing was written.
    #[error("event id {id:?} is already taken")]
    DuplicateEvent {
        /// The id.
        id: String,
    },
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
    /// [`StoreError::Conflict`] otherwise, [`StoreError::NotFound`] if it is gone.
    Replace {
        /// The new order.
        order: &'a Arc<Order>,
        /// The version it was computed from.
        expected_version: u64,
    },
}

/// Order storage.
pub trait OrderStore: Send + Sync {
    /// The order and its version, if it exists.
    fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError>;

    /// Writes an order change and the notification events it caused, atomically: both or
    /// neither, so a crash can never keep one without the other. Returns the order's new
    /// version.
    fn commit(
        &self,
        write: OrderWrite<'_>,
        events: Vec<NotificationEvent>,
    ) -> Result<u64, StoreError>;

    /// Appends events that come with no order change (a hook's triggers), atomically: all
    /// or none ([`StoreError::DuplicateEvent`] when an id is taken).
    fn append_events(&self, events: Vec<NotificationEvent>) -> Result<(), StoreError>;

    /// The tenant's orders, oldest first (in the order they were inserted), skipping
    /// `offset` and returning at most `limit` (lowered to [`MAX_LIMIT`]); for `GET /orders`.
    fn list_orders(
        &self,
        tenant: &Tenant,
        offset: usize,
        limit: usize,
    ) -> Result<Page<StoredOrder>, StoreError>;

    /// Deletes an order ([`StoreError::NotFound`] if there is none); for
    /// `DELETE /orders/{id}`. Its events stay in the log: they record what happened.
    fn delete_order(&self, key: &OrderKey) -> Result<(), StoreError>;
}

/// Adapter configurations per merchant: what `{configuration.adapter.…}` placeholders in
/// notification `invoke` templates resolve against.
pub trait ConfigStore: Send + Sync {
    /// Sets (or replaces) the merchant's configuration of an adapter.
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

/// Everything a host keeps, in one store so that order changes and their events commit
/// together and a restart or a second node sees the same plugins and configurations.
pub trait Storage: OrderStore + EventLog + PluginStore + ConfigStore {}

impl<T: OrderStore + EventLog + PluginStore + ConfigStore> Storage for T {}
