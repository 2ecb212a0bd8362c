//! [`MemoryStore`]: every trait of the store in memory, behind one lock.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{
    ConfigStore, OrderKey, OrderStore, OrderWrite, Page, PluginStatus, PluginStore, PluginUpload,
    PluginVersion, StoreError, StoredOrder, Tenant, content_hash,
};
use crate::events::{
    Attempt, AttemptOutcome, ClaimedEvent, EventFilter, EventLog, EventLogError, EventTable,
    NotificationEvent,
};

/// Orders, events, plugin versions and adapter configurations in memory behind one lock:
/// for tests, examples and embedders that keep state elsewhere. Nothing survives the
/// process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Each order with its insertion number (for listing oldest first).
    orders: HashMap<OrderKey, (u64, StoredOrder)>,
    /// Order ids by tenant and insertion number: a tenant's orders, oldest first.
    order_index: BTreeMap<(Tenant, u64), String>,
    /// Orders inserted so far: the next insertion number.
    inserted: u64,
    events: EventTable,
    plugins: HashMap<Tenant, TenantPlugins>,
    /// Keyed by merchant and adapter id.
    configs: HashMap<(String, String), Value>,
}

#[derive(Debug, Default)]
struct TenantPlugins {
    generation: u64,
    /// Every version of each plugin id, oldest first (index = version - 1).
    by_id: BTreeMap<String, Vec<PluginVersion>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    // Every write checks what can fail before changing anything, so a panic under the lock
    // cannot leave half a write behind: recovering from poisoning sees consistent data.
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    /// Checks that every event id is new (stored or within the batch), before anything is
    /// written, so a write is all or nothing.
    fn check_events(&self, events: &[NotificationEvent]) -> Result<(), StoreError> {
        let mut ids = HashSet::new();
        for event in events {
            if !ids.insert(event.id.as_str()) || self.events.contains(&event.id) {
                return Err(StoreError::DuplicateEvent {
                    id: event.id.clone(),
                });
            }
        }
        Ok(())
    }

    /// Appends events [`Inner::check_events`] accepted.
    fn append_checked(&mut self, events: Vec<NotificationEvent>) -> Result<(), StoreError> {
        for event in events {
            // Checked by `check_events`; a failure here would be a bug, reported, not a panic.
            self.events
                .insert(event)
                .map_err(|e| StoreError::Backend(e.into()))?;
        }
        Ok(())
    }
}

impl OrderStore for MemoryStore {
    fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        Ok(self.read().orders.get(key).map(|(_, s)| s.clone()))
    }

    fn commit(
        &self,
        write: OrderWrite<'_>,
        events: Vec<NotificationEvent>,
    ) -> Result<u64, StoreError> {
        let mut inner = self.write();
        let (order, key, current) = match write {
            OrderWrite::Insert(order) => (order, OrderKey::of(order), None),
            OrderWrite::Replace {
                order,
                expected_version,
            } => (order, OrderKey::of(order), Some(expected_version)),
        };
        let existing = inner.orders.get(&key).map(|(seq, s)| (*seq, s.version));
        let (seq, version) = match (current, existing) {
            (None, Some(_)) => return Err(StoreError::AlreadyExists),
            (None, None) => (inner.inserted, 1),
            (Some(_), None) => return Err(StoreError::NotFound),
            (Some(expected), Some((_, found))) if found != expected => {
                return Err(StoreError::Conflict { expected, found });
            }
            (Some(_), Some((seq, found))) => (seq, found + 1),
        };
        inner.check_events(&events)?;
        inner.append_checked(events)?;
        if existing.is_none() {
            inner.inserted += 1;
            let tenant = Tenant::new(key.merchant.clone(), key.channel.clone());
            inner.order_index.insert((tenant, seq), key.id.clone());
        }
        let stored = StoredOrder {
            order: Arc::clone(order),
            version,
        };
        inner.orders.insert(key, (seq, stored));
        Ok(version)
    }

    fn append_events(&self, events: Vec<NotificationEvent>) -> Result<(), StoreError> {
        let mut inner = self.write();
        inner.check_events(&events)?;
        inner.append_checked(events)
    }

    fn list_orders(
        &self,
        tenant: &Tenant,
        offset: usize,
        limit: usize,
    ) -> Result<Page<StoredOrder>, StoreError> {
        let inner = self.read();
        let range = (tenant.clone(), 0)..=(tenant.clone(), u64::MAX);
        let matches = inner.order_index.range(range).filter_map(|(_, id)| {
            let key = OrderKey {
                merchant: tenant.merchant.clone(),
                channel: tenant.channel.clone(),
                id: id.clone(),
            };
            inner.orders.get(&key).map(|(_, stored)| stored)
        });
        Ok(Page::of(matches, offset, limit, StoredOrder::clone))
    }

    fn delete_order(&self, key: &OrderKey) -> Result<(), StoreError> {
        let mut inner = self.write();
        let (seq, _) = inner.orders.remove(key).ok_or(StoreError::NotFound)?;
        let tenant = Tenant::new(key.merchant.clone(), key.channel.clone());
        inner.order_index.remove(&(tenant, seq));
        Ok(())
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

    fn due_count(&self, now: SystemTime) -> Result<usize, EventLogError> {
        Ok(self.read().events.due_count(now))
    }

    fn claim_due(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedEvent>, EventLogError> {
        Ok(self.write().events.claim_due(now, lease, limit))
    }

    fn record_attempt(
        &self,
        claim: &ClaimedEvent,
        attempt: Attempt,
        outcome: AttemptOutcome,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut inner = self.write();
        inner
            .events
            .record_attempt(claim, attempt, outcome, now)
            .cloned()
    }

    fn release(&self, claim: &ClaimedEvent) -> Result<(), EventLogError> {
        self.write().events.release(claim)
    }

    fn retry(
        &self,
        merchant: &str,
        id: &str,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        let mut inner = self.write();
        inner.events.retry(merchant, id, now).cloned()
    }
}

impl MemoryStore {
    /// Stores `upload` as the next version with `status`; the version that had `status`
    /// before (one at most) becomes superseded.
    fn push_version(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
        status: PluginStatus,
    ) -> Result<PluginVersion, StoreError> {
        let mut inner = self.write();
        let plugins = inner.plugins.entry(tenant.clone()).or_default();
        let versions = plugins.by_id.entry(upload.id.clone()).or_default();
        let version = u32::try_from(versions.len() + 1)
            .map_err(|_| StoreError::Backend("too many versions of one plugin".into()))?;
        for earlier in versions.iter_mut() {
            if earlier.status == status {
                earlier.status = PluginStatus::Superseded;
            }
        }
        let stored = PluginVersion {
            content_hash: content_hash(&upload.component),
            id: upload.id,
            version,
            manifest: upload.manifest,
            component: upload.component,
            status,
            uploaded_by: upload.uploaded_by,
            uploaded_at: upload.uploaded_at,
        };
        versions.push(stored.clone());
        plugins.generation += 1;
        Ok(stored)
    }

    /// The tenant's versions with `status`, one per id at most, by id.
    fn with_status(&self, tenant: &Tenant, status: PluginStatus) -> Vec<PluginVersion> {
        let inner = self.read();
        inner
            .plugins
            .get(tenant)
            .into_iter()
            .flat_map(|p| p.by_id.values())
            .filter_map(|versions| versions.iter().find(|v| v.status == status))
            .cloned()
            .collect()
    }

    /// Makes the plugin's version with status `from` (one at most) `to`.
    fn retire(
        &self,
        tenant: &Tenant,
        id: &str,
        from: PluginStatus,
        to: PluginStatus,
    ) -> Result<(), StoreError> {
        let mut inner = self.write();
        let plugins = inner.plugins.get_mut(tenant).ok_or(StoreError::NotFound)?;
        let found = plugins
            .by_id
            .get_mut(id)
            .and_then(|versions| versions.iter_mut().find(|v| v.status == from))
            .ok_or(StoreError::NotFound)?;
        found.status = to;
        plugins.generation += 1;
        Ok(())
    }
}

impl PluginStore for MemoryStore {
    fn add_version(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError> {
        self.push_version(tenant, upload, PluginStatus::Active)
    }

    fn add_shadow(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError> {
        self.push_version(tenant, upload, PluginStatus::Shadow)
    }

    fn activate(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<PluginVersion, StoreError> {
        let mut inner = self.write();
        let plugins = inner.plugins.get_mut(tenant).ok_or(StoreError::NotFound)?;
        let versions = plugins.by_id.get_mut(id).ok_or(StoreError::NotFound)?;
        let index = usize::try_from(version)
            .ok()
            .and_then(|v| v.checked_sub(1))
            .filter(|&i| i < versions.len())
            .ok_or(StoreError::NotFound)?;
        if versions[index].status == PluginStatus::Active {
            return Ok(versions[index].clone());
        }
        for other in versions.iter_mut() {
            if other.status == PluginStatus::Active {
                other.status = PluginStatus::Superseded;
            }
        }
        versions[index].status = PluginStatus::Active;
        let activated = versions[index].clone();
        plugins.generation += 1;
        Ok(activated)
    }

    fn remove(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError> {
        self.retire(tenant, id, PluginStatus::Active, PluginStatus::Removed)
    }

    fn end_shadow(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError> {
        self.retire(tenant, id, PluginStatus::Shadow, PluginStatus::Superseded)
    }

    fn active(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError> {
        Ok(self.with_status(tenant, PluginStatus::Active))
    }

    fn shadows(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError> {
        Ok(self.with_status(tenant, PluginStatus::Shadow))
    }

    fn versions(&self, tenant: &Tenant, id: &str) -> Result<Vec<PluginVersion>, StoreError> {
        let inner = self.read();
        Ok(inner
            .plugins
            .get(tenant)
            .and_then(|p| p.by_id.get(id))
            .cloned()
            .unwrap_or_default())
    }

    fn version(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<Option<PluginVersion>, StoreError> {
        let inner = self.read();
        Ok(inner
            .plugins
            .get(tenant)
            .and_then(|p| p.by_id.get(id))
            .and_then(|versions| versions.iter().find(|v| v.version == version))
            .cloned())
    }

    fn generation(&self, tenant: &Tenant) -> Result<u64, StoreError> {
        Ok(self.read().plugins.get(tenant).map_or(0, |p| p.generation))
    }
}

impl ConfigStore for MemoryStore {
    fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: Value,
    ) -> Result<(), StoreError> {
        self.write()
            .configs
            .insert((merchant.to_owned(), adapter_id.to_owned()), configuration);
        Ok(())
    }

    fn adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
    ) -> Result<Option<Value>, StoreError> {
        Ok(self
            .read()
            .configs
            .get(&(merchant.to_owned(), adapter_id.to_owned()))
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewOrder;

    #[test]
    fn a_panic_under_the_lock_leaves_a_store_that_still_serves() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let order =
            crate::mutation::create("m", "c", "o_1", "2026-01-01T00:00:00Z", NewOrder::default())
                .order;
        store
            .commit(OrderWrite::Insert(&order), Vec::new())
            .unwrap();
        let poisoner = std::sync::Arc::clone(&store);
        let panicked = std::thread::spawn(move || {
            let _guard = poisoner.write();
            panic!("a bug while holding the store's lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(store.inner.is_poisoned());

        let key = OrderKey::of(&order);
        assert_eq!(store.load(&key).unwrap().unwrap().version, 1);
        let replaced = OrderWrite::Replace {
            order: &order,
            expected_version: 1,
        };
        assert_eq!(store.commit(replaced, Vec::new()).unwrap(), 2);
    }
}
