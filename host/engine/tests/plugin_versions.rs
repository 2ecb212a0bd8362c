//! Plugin versions live in the store: every host sharing it runs the version installed,
//! rolled back or removed through any of them from its next mutation on, and a restarted
//! host runs them without installing anything.

mod common;

use std::sync::Arc;

use common::*;
use ordergate::mutation::Mutation;
use ordergate::store::{MemoryStore, PluginStatus, Storage};
use ordergate::{Host, MutationError, RegistryError, Verdict};
use ordergate_test_support as plugins;
use serde_json::json;

fn host_on(store: &Arc<dyn Storage>) -> Host {
    Host::builder()
        .store(Arc::clone(store))
        .sandbox(test_sandbox())
        .build()
        .expect("host starts")
}

/// Sets the cart to one line of `quantity`; the version of max-quantity that ran and its
/// verdict.
fn set_quantity(host: &Host, id: &str, quantity: i64) -> (u32, Verdict) {
    let result = host.mutate(&scope(), id, Mutation::SetCart(from(cart(&[quantity]))));
    let trace = match result {
        Ok(committed) => committed.trace,
        Err(MutationError::Rejected { trace, .. }) => trace,
        Err(other) => panic!("{other}"),
    };
    let run = &trace.plugins[0];
    (run.version, run.verdict.clone())
}

#[test]
fn hosts_sharing_a_store_run_the_version_installed_rolled_back_or_removed_through_any() {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let (a, b) = (host_on(&store), host_on(&store));
    let tenant = scope().tenant;
    let bytes = plugin(plugins::MAX_QUANTITY);
    let limit = |max: i64| manifest("max-quantity", &["cart"], json!({ "maxQuantity": max }));

    a.registry().install(&tenant, limit(5), &bytes).unwrap();
    let id = create_order(&b, &scope(), &[1]);
    let rejected = Verdict::Rejected { violations: 1 };
    assert_eq!(set_quantity(&b, &id, 6), (1, rejected.clone()));

    let report = a.registry().replace(&tenant, limit(10), &bytes).unwrap();
    assert_eq!(report.version, 2);
    assert_eq!(set_quantity(&b, &id, 6), (2, Verdict::Accepted));

    // Rolling back is running an earlier version again, by number.
    b.registry().rollback(&tenant, "max-quantity", 1).unwrap();
    assert_eq!(set_quantity(&a, &id, 7), (1, rejected));
    let statuses: Vec<(u32, PluginStatus)> = a
        .registry()
        .versions(&tenant, "max-quantity")
        .unwrap()
        .iter()
        .map(|v| (v.version, v.status))
        .collect();
    assert_eq!(
        statuses,
        [(1, PluginStatus::Active), (2, PluginStatus::Superseded)]
    );
    assert!(matches!(
        a.registry().rollback(&tenant, "max-quantity", 3),
        Err(RegistryError::NoSuchVersion { version: 3, .. })
    ));

    a.registry().remove(&tenant, "max-quantity").unwrap();
    let committed = b
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[50]))))
        .unwrap();
    assert!(
        committed.trace.plugins.is_empty(),
        "no version runs any more"
    );
    let kept = b.registry().versions(&tenant, "max-quantity").unwrap();
    assert_eq!(kept.len(), 2, "removing keeps every version");
}

#[test]
fn a_restarted_host_runs_the_stored_plugins_without_installing_them() {
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let first = host_on(&store);
    install(
        &first,
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &["cart"], json!({"maxQuantity": 5})),
    );
    let id = create_order(&first, &scope(), &[1]);
    drop(first);

    let restarted = host_on(&store);
    assert_eq!(
        set_quantity(&restarted, &id, 9),
        (1, Verdict::Rejected { violations: 1 })
    );
}
