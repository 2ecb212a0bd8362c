//! The runner (`ordergate run`) says what the host does: for every example plugin, the
//! same input gives the same verdict and the same fuel as the host's trace.

mod common;

use std::sync::Arc;

use common::*;
use ordergate::model::Order;
use ordergate::mutation::Mutation;
use ordergate::runner::{ChangeInput, RunContext, RunInput, RunReport, RunVerdict, Runner};
use ordergate::{
    Fault, Host, MutationError, OnFault, PluginManifest, PluginTrace, SandboxConfig, Trace,
};
use ordergate_test_support as plugins;
use serde_json::{Value, json};

fn runner() -> Runner {
    Runner::new(test_sandbox()).expect("runner starts")
}

fn run(path: &str, manifest: &PluginManifest, order: &Order, change: ChangeInput) -> RunReport {
    let runner = runner();
    let loaded = runner
        .load(manifest, &plugin(path))
        .expect("the runner loads what the host installs");
    let input = RunInput {
        order: order.clone(),
        change,
        context: RunContext {
            merchant: scope().tenant.merchant,
            channel: scope().tenant.channel,
            acting_adapter_id: None,
        },
    };
    runner.run(&loaded, &input)
}

fn assert_same(report: &RunReport, host: &PluginTrace) {
    assert_eq!(report.plugin, host.plugin);
    assert_eq!(report.verdict.name(), host.verdict.name(), "{report:#?}");
    assert_eq!(report.fuel_consumed, host.fuel_consumed, "{report:#?}");
    assert_eq!(report.log.lines, host.log.lines);
}

/// A validation through `POST /orders/{id}/validate`'s engine call (the whole order, as
/// stored) and through the runner on that stored order.
fn validation_agrees(path: &str, manifest: PluginManifest, new: Value) -> RunReport {
    let host = host();
    // Installed after the creation: the creation would run it too, and refuse.
    let created = host.create_order(&scope(), from(new)).unwrap();
    install(&host, path, manifest.clone());
    let trace: Trace = match host.validate_order(&scope(), &created.order.id) {
        Ok(trace) => trace,
        Err(MutationError::Rejected { trace, .. }) => trace,
        Err(other) => panic!("{other}"),
    };
    let stored = host
        .order(&scope().tenant, &created.order.id)
        .unwrap()
        .unwrap();
    let change = ChangeInput {
        touched: vec![String::new()],
        from_status: Some(stored.order.state.current_status),
        to_status: None,
    };
    let report = run(path, &manifest, &stored.order, change);
    assert_eq!(trace.plugins.len(), 1);
    assert_same(&report, &trace.plugins[0]);
    report
}

#[test]
fn validations_agree_with_the_host() {
    let max = manifest("max-quantity", &["cart"], json!({"maxQuantity": 10}));
    let report = validation_agrees(
        plugins::MAX_QUANTITY,
        max.clone(),
        json!({"cart": cart(&[2, 3])}),
    );
    assert_eq!(report.verdict, RunVerdict::Accepted);
    let report = validation_agrees(plugins::MAX_QUANTITY, max, json!({"cart": cart(&[2, 12])}));
    let RunVerdict::Rejected { violations } = &report.verdict else {
        panic!("{report:#?}");
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].path, "/cart/items/1/quantity");
    assert_eq!(
        violations[0].message,
        "quantity 12 exceeds the maximum of 10 per line"
    );

    let org = manifest("org-number", &["customer"], json!({}));
    validation_agrees(
        plugins::ORGANIZATION_NUMBER,
        org,
        json!({"cart": cart(&[1])}),
    );
    let coverage = manifest("payment-coverage", &["state"], json!({}));
    validation_agrees(
        plugins::PAYMENT_COVERAGE,
        coverage,
        json!({"cart": cart(&[1])}),
    );
}

#[test]
fn a_panicking_validation_faults_alike_with_its_message_and_location() {
    let mut hostile = manifest("hostile", &[], json!({"behaviour": "trap"}));
    hostile.on_fault = OnFault::Reject;
    let report = validation_agrees(plugins::HOSTILE, hostile, json!({"cart": cart(&[1])}));
    assert_eq!(
        report.verdict,
        RunVerdict::Faulted {
            fault: Fault::Trap {
                message: "wasm trap: wasm `unreachable` instruction executed".into(),
                panic: Some(
                    "panicked at test-support/hostile/src/lib.rs:86:23: hostile plugin panicked"
                        .into()
                ),
            },
            on_fault: OnFault::Reject,
        }
    );
}

/// A hook through a mutation of the cart, and through the runner on the order the hook
/// saw: that order is read from a second host with the same clock and ids, where a hook of
/// the same id and subscriptions (so the order binds it alike) fails without patching.
fn hook_agrees(path: &str, manifest: PluginManifest, new: Value, cart_after: Value) -> RunReport {
    let with_hook = host();
    let without: Host = host_with(SandboxConfig::default());
    let mut committed = Vec::new();
    for host in [&with_hook, &without] {
        let created = host.create_order(&scope(), from(new.clone())).unwrap();
        // After the creation, which would run it too.
        if std::ptr::eq(host, &with_hook) {
            install(host, path, manifest.clone());
        } else {
            let mut stand_in = manifest.clone();
            stand_in.config = json!({"behaviour": "fail"});
            install(host, plugins::HOSTILE_HOOK, stand_in);
        }
        let result = host
            .mutate(
                &scope(),
                &created.order.id,
                Mutation::SetCart(from(cart_after.clone())),
            )
            .unwrap();
        committed.push(result);
    }
    let seen: Arc<Order> = Arc::clone(&committed[1].order);
    let change = ChangeInput {
        touched: vec!["/cart".to_owned()],
        from_status: Some(seen.state.current_status),
        to_status: None,
    };
    let report = run(path, &manifest, &seen, change);
    let ran = committed[0]
        .trace
        .plugins
        .iter()
        .find(|p| p.plugin == manifest.id)
        .unwrap_or_else(|| panic!("the hook ran on the mutation: {:#?}", committed[0].trace));
    assert_same(&report, ran);
    if let RunVerdict::Patched { order, .. } = &report.verdict {
        // The host's committed order is the runner's order after the patch, but for the
        // time the host stamped it with.
        let mut host_order = (*committed[0].order).clone();
        host_order.last_modified = order.last_modified.clone();
        assert_eq!(**order, host_order);
    }
    report
}

#[test]
fn hooks_agree_with_the_host() {
    let report = hook_agrees(
        plugins::THREE_FOR_TWO,
        hook_manifest("three-for-two", &["cart"], json!({})),
        json!({"cart": cart(&[1])}),
        cart(&[3, 1]),
    );
    assert_eq!(report.verdict.name(), "patched");
    let report = hook_agrees(
        plugins::FREE_SHIPPING,
        hook_manifest("free-shipping", &["cart"], json!({"threshold": 1.0})),
        json!({"cart": cart(&[1])}),
        cart(&[2]),
    );
    assert_eq!(report.verdict, RunVerdict::Unchanged);
    hook_agrees(
        plugins::NOTIFY_COMPLETED,
        hook_manifest("notify-completed", &["cart"], json!({})),
        json!({"cart": cart(&[1])}),
        cart(&[2]),
    );
    let mut adapter = hook_manifest("klarna-sync", &["cart"], json!({}));
    adapter.adapter_id = Some("klarna-checkout".into());
    hook_agrees(
        plugins::PAYMENT_ADAPTER,
        adapter,
        json!({"cart": cart(&[1])}),
        cart(&[2]),
    );
}
