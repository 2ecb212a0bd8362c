//! The mutation pipeline end to end: concurrency, the order lifecycle, bad input.

mod common;

use std::sync::Arc;

use common::*;
use ordergate::model::{self, Cart, OrderStatus};
use ordergate::mutation::Mutation;
use ordergate::{MutationError, Violation};
use ordergate_test_support as plugins;
use serde_json::json;

/// Two writers upsert 25 payments each into one order. Returns the stored order and how
/// many mutations had to be recomputed after a conflict.
fn race(hosts: [Arc<ordergate::Host>; 2], id: &str) -> (ordergate::store::StoredOrder, usize) {
    const PER_THREAD: usize = 25;
    let writers: Vec<_> = hosts
        .iter()
        .enumerate()
        .map(|(t, host)| {
            let (host, id) = (host.clone(), id.to_owned());
            std::thread::spawn(move || {
                let mut retried = 0;
                for i in 0..PER_THREAD {
                    let payment = from(
                        json!({ "id": format!("p_{t}_{i}"), "amount": 1.0, "state": "intent" }),
                    );
                    let committed = host
                        .mutate(&scope(), &id, Mutation::UpsertPayment(payment))
                        .unwrap();
                    retried += (committed.trace.attempts > 1) as usize;
                }
                retried
            })
        })
        .collect();
    let retried = writers.into_iter().map(|w| w.join().unwrap()).sum();

    let stored = hosts[0].order(&scope().tenant, id).unwrap().unwrap();
    assert_eq!(stored.version, 1 + 2 * PER_THREAD as u64);
    let mut ids: Vec<_> = stored
        .order
        .payments
        .iter()
        .map(|p| p.id.clone().unwrap())
        .collect();
    ids.sort();
    let mut expected: Vec<_> = (0..2)
        .flat_map(|t| (0..PER_THREAD).map(move |i| format!("p_{t}_{i}")))
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
    (stored, retried)
}

#[test]
fn concurrent_mutations_of_one_order_in_one_host_queue_and_lose_nothing() {
    let host = Arc::new(host());
    install(
        &host,
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &[], json!({"maxQuantity": 100})),
    );
    let id = create_order(&host, &scope(), &[1]);
    let (_, retried) = race([host.clone(), host], &id);
    assert_eq!(retried, 0, "one host serializes writes to an order");
}

#[test]
fn hosts_sharing_a_store_retry_on_conflict_and_lose_nothing() {
    let store: Arc<dyn ordergate::store::Storage> = Arc::new(ordergate::store::MemoryStore::new());
    let hosts = [0, 1].map(|_| {
        Arc::new(
            ordergate::Host::builder()
                .store(store.clone())
                .sandbox(tests_config(Default::default()))
                .build()
                .unwrap(),
        )
    });
    // A plugin on every change, so each attempt is slow enough for the hosts to race.
    // Installed through one host, it is in the store, so both run it.
    install(
        &hosts[0],
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &[], json!({"maxQuantity": 100})),
    );
    assert_eq!(hosts[1].registry().list(&scope().tenant).unwrap().len(), 1);
    let id = create_order(&hosts[0], &scope(), &[1]);
    let (_, retried) = race(hosts, &id);
    println!("{retried} of 50 mutations were recomputed after a conflict");
}

#[test]
fn an_order_goes_from_checkout_to_completed_and_no_further() {
    let host = host();
    let scope = scope();
    let id = create_order(&host, &scope, &[2]);
    for status in [
        OrderStatus::Processing,
        OrderStatus::Accepted,
        OrderStatus::Completed,
    ] {
        host.mutate(&scope, &id, Mutation::SetState(status))
            .unwrap();
    }
    let err = host
        .mutate(&scope, &id, Mutation::SetState(OrderStatus::Checkout))
        .unwrap_err();
    match err {
        MutationError::Rejected { violations, trace } => {
            assert_eq!(
                violations,
                vec![Violation::builtin(
                    "/state/currentStatus",
                    "transition-not-allowed",
                    "cannot move from completed to checkout",
                )]
            );
            assert!(trace.plugins.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let stored = host.order(&scope.tenant, &id).unwrap().unwrap();
    assert_eq!(stored.version, 4);
    assert_eq!(stored.order.state.current_status, OrderStatus::Completed);
    assert_eq!(stored.order.last_modified, "2026-01-01T00:00:03.000000Z");
}

#[test]
fn the_cart_is_locked_outside_checkout() {
    let host = host();
    let id = create_order(&host, &scope(), &[2]);
    host.mutate(&scope(), &id, Mutation::SetState(OrderStatus::Processing))
        .unwrap();
    let err = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[3]))))
        .unwrap_err();
    let MutationError::Rejected { violations, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(
        (violations[0].path.as_str(), violations[0].code.as_str()),
        ("/cart", "order-locked")
    );
}

#[test]
fn unknown_orders_and_other_tenants_orders_are_not_found() {
    let host = host();
    let id = create_order(&host, &scope(), &[1]);
    let other = ordergate::Scope::new("norce", "b2b");
    let err = host
        .mutate(&other, &id, Mutation::SetState(OrderStatus::Processing))
        .unwrap_err();
    assert!(
        matches!(err, MutationError::NotFound(ref missing) if *missing == id),
        "{err:?}"
    );
    assert!(host.order(&other.tenant, &id).unwrap().is_none());
}

#[test]
fn a_bad_mutation_body_is_an_error_naming_the_field() {
    let err = model::from_json::<Cart>(r#"{"items":[{"sku":"A1","quantity":"two"}]}"#).unwrap_err();
    assert_eq!(err.path, "/items/0/quantity");
    assert!(
        err.to_string()
            .starts_with("/items/0/quantity: invalid type: string \"two\""),
        "{err}"
    );
    let err = model::from_json::<Cart>(r#"{"items":[{"sku":"A1","colour":"red"}]}"#).unwrap_err();
    assert_eq!(err.path, "/items/0/colour");
}

#[test]
fn the_trace_names_the_unit_of_its_durations() {
    let host = host();
    install(
        &host,
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &["cart"], json!({"maxQuantity": 10})),
    );
    let created = host.create_order(&scope(), new_order(&[1])).unwrap();
    let json = serde_json::to_value(&created.trace).unwrap();
    let run = json["plugins"][0].as_object().unwrap();
    let mut keys: Vec<&str> = run.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "depth",
            "durationUs",
            "fuelConsumed",
            "instantiateUs",
            "kind",
            "log",
            "memoryPeak",
            "plugin",
            "verdict",
            "version"
        ]
    );
    assert!(run["durationUs"].as_f64().unwrap() >= run["instantiateUs"].as_f64().unwrap());
}
