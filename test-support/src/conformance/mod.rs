//! The storage conformance suite: what every [`Storage`] backend must do, one public
//! function per property, each run on a fresh, empty store.
//!
//! A backend's test file runs them all, one `#[test]` each, with
//! [`storage_conformance!`](crate::storage_conformance):
//!
//! ```text
//! ordergate_test_support::storage_conformance!(ordergate::store::MemoryStore::new());
//! ```
//!
//! The expression is evaluated once per property, so each starts from an empty store.
//! Every assertion states an exact expected value; a failing property panics with it.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ordergate::events::{EventPayload, EventStatus, NotificationEvent};
use ordergate::model::{BodyVersion, Notification, Order};
use ordergate::store::{OrderKey, Storage, Tenant};
use serde_json::json;

mod events;
mod orders;
mod plugins;

pub use events::*;
pub use orders::*;
pub use plugins::*;

/// Expands to one `#[test]` per conformance property, each on a store made by `$make`
/// (evaluated per test).
#[macro_export]
macro_rules! storage_conformance {
    ($make:expr) => {
        $crate::storage_conformance!(@each $make;
            orders_insert_replace_and_versions,
            orders_commit_with_events_is_atomic,
            orders_list_oldest_first_and_delete,
            events_filters_and_pagination,
            events_claims_are_exclusive_and_earliest_first,
            events_concurrent_claimers_never_share_an_event,
            events_expired_lease_is_due_again_and_stale_writes_are_refused,
            events_release_hands_the_event_back_unchanged,
            events_record_attempt_applies_the_outcome,
            events_retry_by_hand_starts_a_new_round_and_keeps_attempts,
            plugins_versions_and_rollback,
            plugins_generation_moves_per_tenant,
            plugins_remove_keeps_history,
            plugins_shadow_promote_and_end,
            adapter_configurations_are_per_merchant,
        );
    };
    (@each $make:expr; $($property:ident),+ $(,)?) => {
        $(
            #[test]
            fn $property() {
                let store = $make;
                $crate::conformance::$property(&store);
            }
        )+
    };
}

/// 2026-01-01T00:00:00Z plus `secs` seconds: the suite's clock.
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600 + secs)
}

/// The tenant most properties use.
pub fn tenant() -> Tenant {
    Tenant::new("norce", "b2c")
}

/// A minimal order of `merchant`/`channel` with this id; `reference` tells versions apart.
pub fn order(merchant: &str, channel: &str, id: &str, reference: &str) -> Arc<Order> {
    let json = json!({
        "id": id,
        "merchant": merchant,
        "channel": channel,
        "reference": reference,
        "created": "2026-01-01T00:00:00Z",
        "lastModified": "2026-01-01T00:00:00Z",
        "state": {"currentStatus": "checkout"},
    });
    match ordergate::model::from_value(json) {
        Ok(order) => Arc::new(order),
        Err(e) => panic!("the fixture order is valid: {e}"),
    }
}

/// The key of `id` in the default tenant.
pub fn key(id: &str) -> OrderKey {
    OrderKey {
        merchant: "norce".into(),
        channel: "b2c".into(),
        id: id.into(),
    }
}

/// A pending event of `merchant`, due at `due`, about order `order_id`.
pub fn event(
    id: &str,
    merchant: &str,
    channel: &str,
    order_id: &str,
    reference: &str,
    due: SystemTime,
) -> NotificationEvent {
    NotificationEvent {
        id: id.into(),
        created_at: at(0),
        merchant: merchant.into(),
        channel: channel.into(),
        order_id: order_id.into(),
        adapter_id: Some("erp-adapter".into()),
        reference: reference.into(),
        description: None,
        payload: EventPayload {
            notification: Notification::default(),
            order: json!({"id": order_id}).into(),
        },
        attempts: Vec::new(),
        version: BodyVersion::V0,
        invoke: Some(format!("https://erp.example/{order_id}")),
        error: None,
        due_at: due,
        status: EventStatus::Pending,
    }
}

/// The ids of `events`, in order.
pub fn ids<'a>(events: impl IntoIterator<Item = &'a NotificationEvent>) -> Vec<String> {
    events.into_iter().map(|e| e.id.clone()).collect()
}

/// Every event of the default merchant, oldest first (at most 100).
pub fn all_events<S: Storage + ?Sized>(store: &S) -> Vec<String> {
    let page = store
        .list("norce", &Default::default(), 0, 100)
        .unwrap_or_else(|e| panic!("listing events: {e}"));
    ids(&page.data)
}
