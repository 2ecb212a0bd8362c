//! Shadow versions run beside the active ones on live changes, recorded and never
//! enforced; promotion makes one active, rollback stays one call; kept runs hold the
//! inputs of recent runs within their bounds.

mod common;

use common::*;
use ordergate::mutation::Mutation;
use ordergate::observe::Retention;
use ordergate::{MutationError, RegistryError};
use ordergate_test_support as plugins;
use serde_json::json;

fn shadow_max_quantity(host: &ordergate::Host, max: u32) -> u32 {
    let manifest = manifest("max-quantity", &["cart"], json!({ "maxQuantity": max }));
    host.registry()
        .upload_shadow(
            &scope().tenant,
            manifest,
            &plugin(plugins::MAX_QUANTITY),
            None,
        )
        .expect("the shadow uploads")
        .version
}

fn set_cart(host: &ordergate::Host, id: &str, quantities: &[i64]) -> Result<u64, MutationError> {
    host.mutate(&scope(), id, Mutation::SetCart(from(cart(quantities))))
        .map(|c| c.version)
}

#[test]
fn a_shadow_is_recorded_and_never_enforced_until_promoted() {
    let host = host();
    let tenant = scope().tenant;
    install(
        &host,
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &["cart"], json!({"maxQuantity": 10})),
    );
    let id = create_order(&host, &scope(), &[1]);
    assert_eq!(shadow_max_quantity(&host, 5), 2);

    // 7 passes the active cap of 10: the shadow's 5 would refuse it, and is not asked.
    assert_eq!(set_cart(&host, &id, &[7]).unwrap(), 2);
    assert_eq!(set_cart(&host, &id, &[2]).unwrap(), 3);
    // Refused by both, for another reason each (its maximum): a difference too.
    assert!(matches!(
        set_cart(&host, &id, &[12]),
        Err(MutationError::Rejected { .. })
    ));
    host.wait_for_observer();
    let report = host
        .shadow_report(&tenant, "max-quantity")
        .unwrap()
        .unwrap();
    assert_eq!(report.shadow_version, 2);
    assert_eq!(
        (
            report.runs,
            report.agreed,
            report.differed,
            report.faulted,
            report.dropped
        ),
        (3, 1, 2, 0, 0)
    );
    assert_eq!(
        report.cases[1].shadow.violations[0].message,
        "quantity 12 exceeds the maximum of 5 per line"
    );
    let case = &report.cases[0];
    assert_eq!(case.order_id, id);
    assert_eq!(case.active_version, Some(1));
    assert_eq!(case.active.verdict, "accepted");
    assert_eq!(case.shadow.verdict, "rejected");
    assert_eq!(case.shadow.violations[0].path, "/cart/items/0/quantity");
    assert_eq!(
        case.shadow.violations[0].message,
        "quantity 7 exceeds the maximum of 5 per line"
    );

    // Promotion: the shadow decides from the next mutation on.
    let promoted = host.registry().promote(&tenant, "max-quantity").unwrap();
    assert_eq!(promoted.version, 2);
    assert!(
        host.shadow_report(&tenant, "max-quantity")
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        set_cart(&host, &id, &[7]),
        Err(MutationError::Rejected { .. })
    ));
    // Rolling back is one call.
    host.registry()
        .rollback(&tenant, "max-quantity", 1)
        .unwrap();
    assert_eq!(set_cart(&host, &id, &[7]).unwrap(), 4);
    assert!(matches!(
        host.registry().promote(&tenant, "max-quantity"),
        Err(RegistryError::NoShadow(_))
    ));
}

#[test]
fn a_faulting_shadow_changes_nothing_and_a_new_rule_is_shadowed_against_its_absence() {
    let host = host();
    let tenant = scope().tenant;
    let hostile = manifest("hostile", &["cart"], json!({"behaviour": "trap"}));
    host.registry()
        .upload_shadow(&tenant, hostile, &plugin(plugins::HOSTILE), None)
        .unwrap();
    let new_rule = manifest("strict", &["cart"], json!({"maxQuantity": 1}));
    host.registry()
        .upload_shadow(&tenant, new_rule, &plugin(plugins::MAX_QUANTITY), None)
        .unwrap();
    let id = create_order(&host, &scope(), &[1]);
    let committed = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[3]))))
        .unwrap();
    // Neither shadow is in the trace: they did not run on the request's path.
    assert!(committed.trace.plugins.is_empty());
    host.wait_for_observer();

    let hostile = host.shadow_report(&tenant, "hostile").unwrap().unwrap();
    assert_eq!((hostile.runs, hostile.faulted, hostile.differed), (2, 2, 2));
    let fault = hostile.cases[0].shadow.detail.as_deref().unwrap();
    assert_eq!(
        fault,
        "trap: panicked at test-support/hostile/src/lib.rs:86:23: hostile plugin panicked"
    );
    let strict = host.shadow_report(&tenant, "strict").unwrap().unwrap();
    // The creation (quantity 1) agrees with no rule at all; the cart of 3 does not.
    assert_eq!((strict.runs, strict.agreed, strict.differed), (2, 1, 1));
    assert_eq!(strict.cases[0].active_version, None);
    assert_eq!(strict.cases[0].active.verdict, "accepted");

    host.registry().end_shadow(&tenant, "strict").unwrap();
    assert!(host.shadow_report(&tenant, "strict").unwrap().is_none());
    assert!(matches!(
        host.registry().end_shadow(&tenant, "strict"),
        Err(RegistryError::NoShadow(_))
    ));
}

#[test]
fn a_hook_shadow_is_compared_on_its_answer() {
    let host = host();
    let tenant = scope().tenant;
    install(
        &host,
        plugins::THREE_FOR_TWO,
        hook_manifest("three-for-two", &["cart"], json!({})),
    );
    let failing = hook_manifest("three-for-two", &["cart"], json!({"behaviour": "fail"}));
    host.registry()
        .upload_shadow(&tenant, failing, &plugin(plugins::HOSTILE_HOOK), None)
        .unwrap();
    let id = create_order(&host, &scope(), &[1]);
    set_cart(&host, &id, &[3]).unwrap();
    host.wait_for_observer();
    let report = host
        .shadow_report(&tenant, "three-for-two")
        .unwrap()
        .unwrap();
    let patched: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.active.verdict == "patched")
        .collect();
    assert_eq!(patched.len(), 1, "{report:#?}");
    assert_eq!(patched[0].shadow.verdict, "hookFailed");
    assert_eq!(
        patched[0].shadow.detail.as_deref(),
        Some("refused by config")
    );
    assert_eq!(patched[0].active.operations.len(), 2);
    // Its patch committed all the same: the active version decides.
    let stored = host.order(&tenant, &id).unwrap().unwrap();
    assert_eq!(
        stored
            .order
            .cart
            .as_ref()
            .unwrap()
            .discounts
            .as_ref()
            .unwrap()[0]
            .code
            .as_deref(),
        Some("3for2")
    );
}

#[test]
fn kept_runs_hold_the_latest_inputs_within_their_bounds() {
    let host = host();
    let tenant = scope().tenant;
    install(
        &host,
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &["cart"], json!({"maxQuantity": 10})),
    );
    let id = create_order(&host, &scope(), &[1]);
    set_cart(&host, &id, &[2]).unwrap();
    host.wait_for_observer();
    assert!(
        host.kept_runs(&tenant, None, None, 100).is_empty(),
        "off by default"
    );

    let retention = Retention {
        max_runs: 2,
        max_bytes: 1 << 20,
    };
    host.set_retention(&tenant, Some(retention));
    assert_eq!(host.retention(&tenant), Some(retention));
    for quantity in [3, 4, 12] {
        let _ = set_cart(&host, &id, &[quantity]);
    }
    host.wait_for_observer();
    let kept = host.kept_runs(&tenant, Some("max-quantity"), None, 100);
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].id, "run_2");
    assert_eq!(kept[1].id, "run_3");
    let quantities: Vec<_> = kept
        .iter()
        .map(|k| k.order.cart.as_ref().unwrap().items.as_ref().unwrap()[0].quantity)
        .collect();
    assert_eq!(quantities, [Some(4), Some(12)]);
    assert_eq!(kept[1].decision.verdict, "rejected");
    assert_eq!(kept[1].change.touched, ["/cart"]);
    assert_eq!(kept[1].context.merchant, "norce");
    assert!(kept[1].fuel_consumed > 0);
    assert!(host.kept_runs(&tenant, Some("other"), None, 100).is_empty());

    // A byte bound below one run keeps none; turning it off forgets everything.
    host.set_retention(
        &tenant,
        Some(Retention {
            max_runs: 2,
            max_bytes: 100,
        }),
    );
    assert!(host.kept_runs(&tenant, None, None, 100).is_empty());
    host.set_retention(&tenant, None);
    let _ = set_cart(&host, &id, &[5]);
    host.wait_for_observer();
    assert!(host.kept_runs(&tenant, None, None, 100).is_empty());
    assert_eq!(host.retention(&tenant), None);
}
