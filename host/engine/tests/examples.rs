//! The example plugins, built to components from `examples/`, run through a real host.

mod common;

use common::*;
use ordergate::ArtifactSource;
use ordergate::Verdict;
use ordergate::mutation::Mutation;
use ordergate::{MutationError, Violation};
use ordergate_test_support as plugins;
use serde_json::json;

fn violation(plugin: &str, path: &str, code: &str, message: &str) -> Violation {
    Violation {
        plugin: plugin.into(),
        path: path.into(),
        code: code.into(),
        message: message.into(),
    }
}

fn rejected(
    result: Result<ordergate::Committed, MutationError>,
) -> (Vec<Violation>, ordergate::Trace) {
    match result {
        Err(MutationError::Rejected { violations, trace }) => (violations, trace),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn max_quantity_rejects_each_line_over_the_limit_and_changes_nothing() {
    let host = host();
    install(
        &host,
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &["cart"], json!({"maxQuantity": 10})),
    );
    let created = host.create_order(&scope(), new_order(&[1])).unwrap();
    let id = created.order.id.clone();

    let mut cart = cart(&[2, 12, 10]);
    cart["items"][2]["items"] = json!([line(7, 11)]);
    let (violations, trace) = rejected(host.mutate(&scope(), &id, Mutation::SetCart(from(cart))));

    assert_eq!(
        violations,
        vec![
            violation(
                "max-quantity",
                "/cart/items/1/quantity",
                "max-quantity-exceeded",
                "quantity 12 exceeds the maximum of 10 per line"
            ),
            violation(
                "max-quantity",
                "/cart/items/2/items/0/quantity",
                "max-quantity-exceeded",
                "quantity 11 exceeds the maximum of 10 per line"
            ),
        ]
    );
    assert_eq!(trace.plugins.len(), 1);
    assert_eq!(
        trace.plugins[0].verdict,
        Verdict::Rejected { violations: 2 }
    );
    assert!(trace.plugins[0].fuel_consumed > 0);
    let stored = host.order(&scope().tenant, &id).unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.order, created.order);

    let ok = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart_of(&[10, 3]))))
        .unwrap();
    assert_eq!(ok.version, 2);
    assert_eq!(ok.trace.plugins[0].verdict, Verdict::Accepted);
    assert_eq!(
        host.order(&scope().tenant, &id).unwrap().unwrap().order,
        ok.order
    );
}

fn cart_of(quantities: &[i64]) -> serde_json::Value {
    cart(quantities)
}

#[test]
fn max_quantity_without_configuration_says_so_at_install() {
    let host = host();
    let err = host
        .registry()
        .install(
            &scope().tenant,
            manifest("max-quantity", &[], json!({})),
            &common::plugin(plugins::MAX_QUANTITY),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `max-quantity`: the plugin refused its configuration: invalid plugin \
         configuration: missing field `maxQuantity` at line 1 column 2"
    );
    // Refused at install, so the merchant's orders are not refused for it.
    assert!(host.create_order(&scope(), new_order(&[1])).is_ok());
}

#[test]
fn organization_customers_must_give_an_organization_number() {
    let host = host();
    install(
        &host,
        plugins::ORGANIZATION_NUMBER,
        manifest("org-number", &["customer"], json!({})),
    );
    let id = create_order(&host, &scope(), &[1]);
    let billing = json!({
        "type": "organization",
        "organizationName": "Storm",
        "streetAddress": "Adaptivevägen 18",
        "postalCode": "955 60",
        "city": "Boden",
        "country": "SE",
    });

    let (violations, _) = rejected(host.mutate(
        &scope(),
        &id,
        Mutation::SetBillingAddress(from(billing.clone())),
    ));
    assert_eq!(
        violations,
        vec![violation(
            "org-number",
            "/customer/billing/organizationIdentificationNumber",
            "organization-number-required",
            "organization customers must give an organization number"
        )]
    );

    let mut with_number = billing;
    with_number["organizationIdentificationNumber"] = json!("212000-1355");
    let committed = host
        .mutate(
            &scope(),
            &id,
            Mutation::SetBillingAddress(from(with_number)),
        )
        .unwrap();
    assert_eq!(committed.version, 2);
    let billing = committed.order.customer.clone().unwrap().billing.unwrap();
    assert_eq!(
        billing.organization_identification_number.as_deref(),
        Some("212000-1355")
    );
}

#[test]
fn payments_must_cover_the_total_before_processing() {
    let host = host();
    install(
        &host,
        plugins::PAYMENT_COVERAGE,
        manifest("payment-coverage", &["state"], json!({})),
    );
    let scope = scope();
    let id = host
        .create_order(&scope, from(json!({"currency": "SEK", "cart": cart(&[1])})))
        .unwrap()
        .order
        .id
        .clone();
    let payment = |amount: f64| {
        Mutation::UpsertPayment(from(json!({
            "adapterId": "klarna-checkout", "name": "Klarna", "type": "default", "amount": amount, "state": "intent",
        })))
    };
    host.mutate(&scope, &id, payment(100.0)).unwrap();

    let (violations, trace) = rejected(host.mutate(
        &scope,
        &id,
        Mutation::SetState(ordergate::model::OrderStatus::Processing),
    ));
    assert_eq!(
        violations,
        vec![violation(
            "payment-coverage",
            "/payments",
            "payments-do-not-cover-total",
            "payments cover 100.00 of 250.00"
        )]
    );
    assert_eq!(trace.plugins[0].plugin, "payment-coverage");

    host.mutate(&scope, &id, payment(150.0)).unwrap();
    let committed = host
        .mutate(
            &scope,
            &id,
            Mutation::SetState(ordergate::model::OrderStatus::Processing),
        )
        .unwrap();
    let statuses: Vec<_> = committed
        .order
        .state
        .transitions
        .iter()
        .map(|t| (t.status.as_str(), t.time_stamp.as_str()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("checkout", "2026-01-01T00:00:00.000000Z"),
            ("processing", "2026-01-01T00:00:04.000000Z")
        ]
    );
}

#[test]
fn only_concerned_plugins_run_in_priority_order_and_all_violations_are_reported() {
    let host = host();
    let mut late = manifest("max-quantity", &["cart"], json!({"maxQuantity": 1}));
    late.priority = 10;
    install(&host, plugins::MAX_QUANTITY, late);
    let mut early = manifest(
        "max-quantity-strict",
        &["/cart/items"],
        json!({"maxQuantity": 0}),
    );
    early.priority = -5;
    install(&host, plugins::MAX_QUANTITY, early);
    install(
        &host,
        plugins::ORGANIZATION_NUMBER,
        manifest("org-number", &["customer"], json!({})),
    );
    let id = create_order(&host, &scope(), &[]);

    let mut bad = cart(&[2]);
    bad["items"][0]["price"]["includingVat"] = json!(-1.0);
    let (violations, trace) = rejected(host.mutate(&scope(), &id, Mutation::SetCart(from(bad))));

    let ran: Vec<_> = trace.plugins.iter().map(|p| p.plugin.as_str()).collect();
    assert_eq!(ran, ["max-quantity-strict", "max-quantity"]);
    let summary: Vec<_> = violations
        .iter()
        .map(|v| (v.plugin.as_str(), v.path.as_str(), v.code.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "builtin",
                "/cart/items/0/price/includingVat",
                "negative-amount"
            ),
            (
                "max-quantity-strict",
                "/cart/items/0/quantity",
                "max-quantity-exceeded"
            ),
            (
                "max-quantity",
                "/cart/items/0/quantity",
                "max-quantity-exceeded"
            ),
        ]
    );
    // The second install of the same bytes shares the compiled code of the uploaded
    // component, but its configuration differs, so the state its `init` left is a
    // snapshot of its own, compiled anew. An install of the same bytes with the same
    // configuration shares everything.
    let second = host.registry().list(&scope().tenant).unwrap();
    assert_eq!(second.len(), 3);
    assert_eq!(second[0].manifest.id, "max-quantity-strict");
    assert_eq!(second[0].compiled().source(), ArtifactSource::Compiled);
    let mut same = manifest("max-quantity-again", &["cart"], json!({"maxQuantity": 1}));
    same.priority = 20;
    install(&host, plugins::MAX_QUANTITY, same);
    let again = host.registry().list(&scope().tenant).unwrap();
    assert_eq!(again[3].manifest.id, "max-quantity-again");
    assert_eq!(again[3].compiled().source(), ArtifactSource::MemoryCache);
}
