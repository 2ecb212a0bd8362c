//! Hook plugins end to end: the example hooks patch real orders through the host, loop
//! prevention, cascades and their bound, and hostile hooks that are contained.

mod common;

use common::*;
use ordergate::model::OrderStatus;
use ordergate::mutation::Mutation;
use ordergate::{Committed, Fault, Host, PluginKind};
use ordergate::{PluginTrace, Verdict};
use ordergate_test_support as plugins;
use serde_json::{Value, json};

fn install_hook(host: &Host, path: &str, id: &str, subscribe_to: &[&str], config: Value) {
    install(host, path, hook_manifest(id, subscribe_to, config));
}

fn hook_runs(committed: &Committed) -> Vec<&PluginTrace> {
    committed
        .trace
        .plugins
        .iter()
        .filter(|p| p.kind == PluginKind::Hook)
        .collect()
}

fn cart_with_total(quantities: &[i64], total: f64) -> Value {
    let mut cart = cart(quantities);
    cart["total"] = json!({ "includingVat": total, "excludingVat": total * 0.8 });
    cart
}

#[test]
fn free_shipping_zeroes_shipping_totals_above_the_threshold() {
    let host = host();
    install_hook(
        &host,
        plugins::FREE_SHIPPING,
        "free-shipping",
        &["cart"],
        json!({"threshold": 200.0}),
    );
    let scope = scope();
    let created = host
        .create_order(
            &scope,
            from(json!({"currency": "SEK", "cart": cart_with_total(&[1], 100.0)})),
        )
        .unwrap();
    assert_eq!(hook_runs(&created)[0].verdict, Verdict::Unchanged);
    let id = created.order.id.clone();
    let shipping = json!({"id": "s_postnord", "name": "Postnord", "state": "intent",
        "total": {"includingVat": 49.0, "excludingVat": 39.2}});
    let with_shipping = host
        .mutate(&scope, &id, Mutation::UpsertShipping(from(shipping)))
        .unwrap();
    assert!(
        hook_runs(&with_shipping).is_empty(),
        "free-shipping subscribes to the cart only"
    );

    let committed = host
        .mutate(
            &scope,
            &id,
            Mutation::SetCart(from(cart_with_total(&[2], 250.0))),
        )
        .unwrap();
    let runs = hook_runs(&committed);
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].plugin.as_str(), runs[0].depth),
        ("free-shipping", 1)
    );
    assert_eq!(
        runs[0].verdict,
        Verdict::Patched {
            operations: 2,
            version: 4
        }
    );
    assert_eq!(committed.version, 4);
    assert_eq!(
        serde_json::to_value(&committed.order.shippings[0].total).unwrap(),
        json!({"includingVat": 0.0, "excludingVat": 0.0})
    );
    assert_eq!(
        host.order(&scope.tenant, &id).unwrap().unwrap().order,
        committed.order
    );
}

#[test]
fn three_for_two_adds_a_bundle_discount_and_fixes_the_total() {
    let host = host();
    install_hook(
        &host,
        plugins::THREE_FOR_TWO,
        "three-for-two",
        &["cart"],
        json!({}),
    );
    let created = host.create_order(&scope(), new_order(&[3, 1])).unwrap();
    assert_eq!(
        hook_runs(&created)[0].verdict,
        Verdict::Patched {
            operations: 2,
            version: 2
        }
    );
    let cart = serde_json::to_value(created.order.cart.as_ref().unwrap()).unwrap();
    assert_eq!(
        cart["discounts"],
        json!([{"type": "bundle", "name": "3 for 2", "code": "3for2",
                "value": {"includingVat": 100.0, "excludingVat": 80.0}}])
    );
    assert_eq!(
        cart["total"],
        json!({"includingVat": 300.0, "excludingVat": 240.0})
    );
    // Its own change does not run it again.
    assert_eq!(hook_runs(&created).len(), 1);
}

#[test]
fn a_payment_adapter_hook_reacts_to_customer_changes_but_not_to_its_own_adapter() {
    let host = host();
    let mut m = hook_manifest("klarna-sync", &["customer"], json!({}));
    m.adapter_id = Some("klarna-checkout".into());
    install(&host, plugins::PAYMENT_ADAPTER, m);
    let scope = scope();
    let id = create_order(&host, &scope, &[1]);
    let payment = json!({"adapterId": "klarna-checkout", "name": "Klarna", "amount": 250.0, "state": "intent"});
    host.mutate(&scope, &id, Mutation::UpsertPayment(from(payment)))
        .unwrap();
    let billing = |email: &str| {
        Mutation::SetBillingAddress(from(json!({
            "type": "person", "givenName": "Rosalinainho", "country": "SE", "email": email,
        })))
    };

    let committed = host
        .mutate(&scope, &id, billing("rosa@example.com"))
        .unwrap();
    assert_eq!(
        hook_runs(&committed)[0].verdict,
        Verdict::Patched {
            operations: 1,
            version: 4
        }
    );
    let attributes = serde_json::to_value(&committed.order.payments[0].attributes).unwrap();
    assert_eq!(
        attributes,
        json!({"billingCountry": "SE", "billingEmail": "rosa@example.com", "customerType": "person"})
    );

    // The adapter itself changes the customer: its own hook does not run.
    let by_klarna = scope.clone().as_adapter("klarna-checkout");
    let committed = host
        .mutate(&by_klarna, &id, billing("new@example.com"))
        .unwrap();
    assert!(hook_runs(&committed).is_empty());
    assert_eq!(
        committed.order.payments[0].attributes.as_ref().unwrap()["billingEmail"],
        json!("rosa@example.com")
    );
}

#[test]
fn a_deleted_hook_no_longer_runs_on_that_order() {
    let host = host();
    install_hook(
        &host,
        plugins::FREE_SHIPPING,
        "free-shipping",
        &["cart"],
        json!({"threshold": 1.0}),
    );
    let scope = scope();
    let created = host.create_order(&scope, new_order(&[1])).unwrap();
    let binding = serde_json::to_value(&created.order.hooks).unwrap();
    assert_eq!(
        binding,
        json!([{"id": "free-shipping", "subscribeTo": "cart", "invoke": "plugin:free-shipping"}])
    );

    let deleted = host
        .mutate(
            &scope,
            &created.order.id,
            Mutation::DeleteHook {
                id: "free-shipping".into(),
            },
        )
        .unwrap();
    assert!(deleted.order.hooks.is_empty());
    let committed = host
        .mutate(
            &scope,
            &created.order.id,
            Mutation::SetCart(from(cart(&[5]))),
        )
        .unwrap();
    assert!(hook_runs(&committed).is_empty());
    let err = host
        .mutate(
            &scope,
            &created.order.id,
            Mutation::DeleteHook {
                id: "free-shipping".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, ordergate::MutationError::Rejected { ref violations, .. } if violations[0].code == "not-found"),
        "{err:?}"
    );
}

#[test]
fn a_status_patch_goes_through_the_transition_rules() {
    let host = host();
    install_hook(
        &host,
        plugins::HOSTILE_HOOK,
        "skipper",
        &["cart"],
        json!({"behaviour": "status:completed"}),
    );
    install_hook(
        &host,
        plugins::HOSTILE_HOOK,
        "starter",
        &["cart"],
        json!({"behaviour": "status:processing"}),
    );
    let created = host.create_order(&scope(), new_order(&[1])).unwrap();
    let verdicts: Vec<_> = hook_runs(&created)
        .iter()
        .map(|p| (p.plugin.as_str(), p.verdict.clone()))
        .collect();
    assert_eq!(
        verdicts,
        [
            (
                "skipper",
                Verdict::PatchRefused {
                    reason:
                        "builtin at /state/currentStatus: cannot move from checkout to completed"
                            .into()
                }
            ),
            (
                "starter",
                Verdict::Patched {
                    operations: 1,
                    version: 2
                }
            ),
        ]
    );
    let transitions: Vec<_> = created
        .order
        .state
        .transitions
        .iter()
        .map(|t| t.status)
        .collect();
    assert_eq!(
        transitions,
        [OrderStatus::Checkout, OrderStatus::Processing]
    );
}

/// A hostile hook and a well-behaved one: the hostile one's patch is refused as a whole,
/// the order stays consistent and the other hook still runs.
fn contained(behaviour: &str) -> (PluginTrace, Committed) {
    let host = host();
    install_hook(
        &host,
        plugins::HOSTILE_HOOK,
        "hostile-hook",
        &["cart"],
        json!({ "behaviour": behaviour }),
    );
    install_hook(
        &host,
        plugins::FREE_SHIPPING,
        "free-shipping",
        &["cart"],
        json!({"threshold": 1.0}),
    );
    let created = host.create_order(&scope(), new_order(&[1])).unwrap();
    let runs = hook_runs(&created);
    let ran: Vec<_> = runs.iter().map(|r| r.plugin.as_str()).collect();
    assert_eq!(
        ran,
        ["free-shipping", "hostile-hook"],
        "both hooks ran, in id order"
    );
    assert_eq!(
        runs[0].verdict,
        Verdict::Unchanged,
        "no shipping to make free"
    );
    assert_eq!(created.version, 1, "the order is as the mutation left it");
    let stored = host
        .order(&scope().tenant, &created.order.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.order, created.order);
    (runs[1].clone(), created)
}

fn refused_because(behaviour: &str) -> String {
    match contained(behaviour).0.verdict {
        Verdict::PatchRefused { reason } => reason,
        other => panic!("expected a refused patch, got {other:?}"),
    }
}

#[test]
fn hostile_hooks_are_contained() {
    assert_eq!(
        refused_because("read-only"),
        "operation 0 (replace /id): /id is read-only"
    );
    assert_eq!(
        refused_because("many-ops"),
        "5000 operations exceed the limit of 1000"
    );
    let reason = refused_because("bad-pointer");
    assert!(
        reason.starts_with("operation 0 (replace cart/total): "),
        "{reason}"
    );
    let reason = refused_because("invalid-order");
    assert!(
        reason.starts_with(
            "the patched order is invalid: /cart/items/0/quantity: invalid type: string \"two\""
        ),
        "{reason}"
    );

    assert_eq!(
        contained("fail").0.verdict,
        Verdict::HookFailed {
            message: "refused by config".into()
        }
    );
    match contained("trap").0.verdict {
        Verdict::Faulted {
            fault: Fault::Trap { message, panic },
            ..
        } => {
            assert!(message.contains("unreachable"), "{message}");
            assert_eq!(
                panic.as_deref(),
                Some(
                    "panicked at test-support/hostile-hook/src/lib.rs:105:23: hostile hook panicked"
                )
            );
        }
        other => panic!("{other:?}"),
    }
    let (run, committed) = contained("bad-trigger");
    assert_eq!(run.verdict, Verdict::Unchanged);
    assert_eq!(committed.trace.errors.len(), 1);
    assert!(
        committed.trace.errors[0].to_string().starts_with(
            "hook `hostile-hook`: trigger `broken` refused: schema is not a valid JSON Schema"
        ),
        "{}",
        committed.trace.errors[0]
    );
}

#[test]
fn hooks_that_patch_each_other_forever_stop_at_the_cascade_bound() {
    let host = host();
    for id in ["ping", "pong"] {
        install_hook(
            &host,
            plugins::HOSTILE_HOOK,
            id,
            &["attributes"],
            json!({"behaviour": "counter"}),
        );
    }
    let created = host.create_order(&scope(), new_order(&[1])).unwrap();
    let runs = hook_runs(&created);
    // Two hooks per level, levels 1 to 8; every run commits a version.
    assert_eq!(runs.len(), 16);
    assert!(
        runs.iter()
            .all(|r| matches!(r.verdict, Verdict::Patched { .. }))
    );
    assert_eq!(runs.iter().map(|r| r.depth).max(), Some(8));
    assert_eq!(created.version, 17);
    assert_eq!(created.trace.errors.len(), 2);
    assert!(
        created.trace.errors[0]
            .to_string()
            .starts_with("cascade stopped at depth 9: the bound is 8; hooks not run: "),
        "{:?}",
        created.trace.errors
    );
    let attributes = created.order.attributes.clone().unwrap();
    assert_eq!(
        (attributes["ping"].as_u64(), attributes["pong"].as_u64()),
        (Some(8), Some(8))
    );
}
