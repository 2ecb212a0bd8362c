//! A store that fails: the host answers with typed errors, never panics, loses nothing,
//! and records in the trace what a hook could not do and why.
//!
//! [`Flaky`] wraps the memory store and fails on demand: the store is what these tests
//! are about not, so an in-memory one with switches stands in for a database that fails.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::*;
use ordergate::events::{
    Attempt, AttemptOutcome, ClaimedEvent, EventFilter, EventLog, EventLogError, NotificationEvent,
    Page,
};
use ordergate::model::Order;
use ordergate::mutation::Mutation;
use ordergate::store::{
    ConfigStore, MemoryStore, OrderKey, OrderStore, OrderWrite, PluginStore, PluginUpload,
    PluginVersion, Storage, StoreError, StoredOrder, Tenant,
};
use ordergate::{Host, MutationError, TraceError, Verdict};
use ordergate_test_support as plugins;
use serde_json::{Value, json};

/// The memory store, with switches that make it fail.
#[derive(Default)]
struct Flaky {
    inner: MemoryStore,
    /// Order writes that still succeed; after them every order write is a conflict.
    writes_before_conflicts: AtomicUsize,
    conflicts: AtomicBool,
    /// Every order write fails as a broken backend would.
    broken_writes: AtomicBool,
    /// Every load after a conflict fails.
    broken_loads_after_conflict: AtomicBool,
    conflicted: AtomicBool,
}

fn broken() -> StoreError {
    StoreError::Backend("disk on fire".into())
}

impl OrderStore for Flaky {
    fn load(&self, key: &OrderKey) -> Result<Option<StoredOrder>, StoreError> {
        if self.broken_loads_after_conflict.load(Ordering::SeqCst)
            && self.conflicted.load(Ordering::SeqCst)
        {
            return Err(broken());
        }
        self.inner.load(key)
    }

    fn commit(
        &self,
        write: OrderWrite<'_>,
        events: Vec<NotificationEvent>,
    ) -> Result<u64, StoreError> {
        if self.broken_writes.load(Ordering::SeqCst) {
            return Err(broken());
        }
        if self.conflicts.load(Ordering::SeqCst) {
            let left = self.writes_before_conflicts.load(Ordering::SeqCst);
            if left == 0 {
                self.conflicted.store(true, Ordering::SeqCst);
                return Err(StoreError::Conflict {
                    expected: 0,
                    found: 0,
                });
            }
            self.writes_before_conflicts
                .store(left - 1, Ordering::SeqCst);
        }
        self.inner.commit(write, events)
    }

    fn append_events(&self, events: Vec<NotificationEvent>) -> Result<(), StoreError> {
        self.inner.append_events(events)
    }

    fn list_orders(
        &self,
        tenant: &Tenant,
        offset: usize,
        limit: usize,
    ) -> Result<Page<StoredOrder>, StoreError> {
        self.inner.list_orders(tenant, offset, limit)
    }

    fn delete_order(&self, key: &OrderKey) -> Result<(), StoreError> {
        self.inner.delete_order(key)
    }
}

impl EventLog for Flaky {
    fn get(&self, merchant: &str, id: &str) -> Result<Option<NotificationEvent>, EventLogError> {
        self.inner.get(merchant, id)
    }

    fn list(
        &self,
        merchant: &str,
        filter: &EventFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Page<NotificationEvent>, EventLogError> {
        self.inner.list(merchant, filter, offset, limit)
    }

    fn due_count(&self, now: SystemTime) -> Result<usize, EventLogError> {
        self.inner.due_count(now)
    }

    fn claim_due(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedEvent>, EventLogError> {
        self.inner.claim_due(now, lease, limit)
    }

    fn record_attempt(
        &self,
        claim: &ClaimedEvent,
        attempt: Attempt,
        outcome: AttemptOutcome,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        self.inner.record_attempt(claim, attempt, outcome, now)
    }

    fn release(&self, claim: &ClaimedEvent) -> Result<(), EventLogError> {
        self.inner.release(claim)
    }

    fn retry(
        &self,
        merchant: &str,
        id: &str,
        now: SystemTime,
    ) -> Result<NotificationEvent, EventLogError> {
        self.inner.retry(merchant, id, now)
    }
}

impl PluginStore for Flaky {
    fn add_version(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError> {
        self.inner.add_version(tenant, upload)
    }

    fn add_shadow(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError> {
        self.inner.add_shadow(tenant, upload)
    }

    fn end_shadow(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError> {
        self.inner.end_shadow(tenant, id)
    }

    fn shadows(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError> {
        self.inner.shadows(tenant)
    }

    fn activate(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<PluginVersion, StoreError> {
        self.inner.activate(tenant, id, version)
    }

    fn remove(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError> {
        self.inner.remove(tenant, id)
    }

    fn active(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError> {
        self.inner.active(tenant)
    }

    fn versions(&self, tenant: &Tenant, id: &str) -> Result<Vec<PluginVersion>, StoreError> {
        self.inner.versions(tenant, id)
    }

    fn version(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<Option<PluginVersion>, StoreError> {
        self.inner.version(tenant, id, version)
    }

    fn generation(&self, tenant: &Tenant) -> Result<u64, StoreError> {
        self.inner.generation(tenant)
    }
}

impl ConfigStore for Flaky {
    fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: Value,
    ) -> Result<(), StoreError> {
        self.inner
            .set_adapter_configuration(merchant, adapter_id, configuration)
    }

    fn adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
    ) -> Result<Option<Value>, StoreError> {
        self.inner.adapter_configuration(merchant, adapter_id)
    }
}

fn host_on(store: &Arc<Flaky>) -> Host {
    Host::builder()
        .store(Arc::clone(store) as Arc<dyn Storage>)
        .sandbox(test_sandbox())
        .build()
        .expect("host starts")
}

/// A host whose order has a notification on its cart and a hook patching every cart
/// change.
fn set_up() -> (Arc<Flaky>, Host, String) {
    let store = Arc::new(Flaky::default());
    let host = host_on(&store);
    let id = create_order(&host, &scope(), &[1]);
    let notification = from(json!({
        "reference": "cart", "scope": "/cart", "schema": {},
        "invoke": "https://example.com/{order_id}",
    }));
    host.mutate(&scope(), &id, Mutation::CreateNotification(notification))
        .unwrap();
    install(
        &host,
        plugins::HOSTILE_HOOK,
        hook_manifest("counter", &["cart"], json!({"behaviour": "counter"})),
    );
    (store, host, id)
}

fn events(host: &Host) -> usize {
    let page = host.events().list("norce", &EventFilter::default(), 0, 100);
    page.unwrap().pagination.total_size
}

fn stored(host: &Host, id: &str) -> (u64, Arc<Order>) {
    let stored = host.order(&scope().tenant, id).unwrap().unwrap();
    (stored.version, stored.order)
}

#[test]
fn a_store_that_fails_mid_commit_keeps_neither_the_change_nor_its_events() {
    let (store, host, id) = set_up();
    let before = stored(&host, &id);
    let events_before = events(&host);
    store.broken_writes.store(true, Ordering::SeqCst);

    let err = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[2]))))
        .unwrap_err();
    assert!(
        matches!(&err, MutationError::Store(StoreError::Backend(_))),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "storage backend failed: disk on fire");
    assert_eq!(stored(&host, &id), before);
    assert_eq!(events(&host), events_before);
}

#[test]
fn a_hook_whose_order_keeps_changing_is_recorded_as_not_run() {
    let (store, host, id) = set_up();
    // The mutation's own commit goes through; every write of the hook's patch conflicts.
    store.writes_before_conflicts.store(1, Ordering::SeqCst);
    store.conflicts.store(true, Ordering::SeqCst);

    let committed = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[2]))))
        .unwrap();
    assert_eq!(
        committed.trace.errors,
        vec![TraceError::HookNotRun {
            hook: "counter".into(),
            reason: "the order changed under it 16 times in a row".into()
        }]
    );
    assert!(committed.trace.plugins.is_empty(), "no run of it committed");
    assert_eq!(
        committed.trace.notifications.len(),
        1,
        "the mutation's own event"
    );
}

#[test]
fn a_hook_whose_order_cannot_be_reloaded_is_recorded_as_not_run() {
    let (store, host, id) = set_up();
    store.writes_before_conflicts.store(1, Ordering::SeqCst);
    store.conflicts.store(true, Ordering::SeqCst);
    store
        .broken_loads_after_conflict
        .store(true, Ordering::SeqCst);

    let committed = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[2]))))
        .unwrap();
    assert_eq!(
        committed.trace.errors,
        vec![TraceError::HookNotRun {
            hook: "counter".into(),
            reason: "the order could not be reloaded: storage backend failed: disk on fire".into()
        }]
    );
    assert_eq!(committed.version, 3, "the mutation itself committed");
    let last = committed.trace.plugins.last();
    assert!(
        last.is_none_or(|p| !matches!(p.verdict, Verdict::Patched { .. })),
        "{last:?}"
    );
}
