//! The operations the service's routes need beyond the spec's first pages: attributes,
//! consents, explicit validation, listing and deleting orders, and the request id that
//! ties a trace to the request that caused it.

mod common;

use common::*;
use ordergate::model::{Consent, OrderStatus};
use ordergate::{Mutation, MutationError, Violation};
use serde_json::json;

fn attributes(value: serde_json::Value) -> ordergate::model::Attributes {
    from(value)
}

#[test]
fn attributes_merge_as_a_json_merge_patch_until_the_order_is_completed() {
    let host = host();
    let scope = scope();
    let id = create_order(&host, &scope, &[1]);
    let first = json!({"erp": {"id": "E-1", "batch": 7}, "gift": true});
    host.mutate(&scope, &id, Mutation::MergeAttributes(attributes(first)))
        .unwrap();
    // `null` removes a key, objects merge, scalars replace.
    let second = json!({"erp": {"batch": null, "site": "sto"}, "gift": false});
    let committed = host
        .mutate(&scope, &id, Mutation::MergeAttributes(attributes(second)))
        .unwrap();
    assert_eq!(
        serde_json::to_value(&committed.order.attributes).unwrap(),
        json!({"erp": {"id": "E-1", "site": "sto"}, "gift": false})
    );

    for status in [OrderStatus::Processing, OrderStatus::Accepted] {
        host.mutate(&scope, &id, Mutation::SetState(status))
            .unwrap();
    }
    // External systems still add information to an accepted order…
    let erp = json!({"erp": {"exported": true}});
    host.mutate(&scope, &id, Mutation::MergeAttributes(attributes(erp)))
        .unwrap();
    host.mutate(&scope, &id, Mutation::SetState(OrderStatus::Completed))
        .unwrap();
    // …but not to a completed one.
    let late = json!({"late": 1});
    let err = host
        .mutate(&scope, &id, Mutation::MergeAttributes(attributes(late)))
        .unwrap_err();
    let MutationError::Rejected { violations, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        violations,
        vec![Violation::builtin(
            "/attributes",
            "order-locked",
            "attributes cannot be changed once the order is completed"
        )]
    );
}

#[test]
fn consents_are_added_changed_and_deleted_and_a_required_one_gates_processing() {
    let host = host();
    let scope = scope();
    let id = create_order(&host, &scope, &[1]);
    let terms = Consent {
        id: Some("terms".into()),
        text: Some("I accept the terms".into()),
        required: Some(true),
        checked: Some(false),
    };
    host.mutate(&scope, &id, Mutation::AddConsent(terms.clone()))
        .unwrap();
    // One without an id gets one; a second with a taken id is refused.
    let news = Consent {
        text: Some("Newsletter".into()),
        ..Consent::default()
    };
    let added = host
        .mutate(&scope, &id, Mutation::AddConsent(news))
        .unwrap();
    let news_id = added.order.consents[1].id.clone().unwrap();
    assert_eq!(news_id, "c_2");
    let err = host
        .mutate(&scope, &id, Mutation::AddConsent(terms))
        .unwrap_err();
    assert!(
        matches!(&err, MutationError::Rejected { violations, .. }
            if violations[0].code == "already-exists" && violations[0].path == "/consents"),
        "{err:?}"
    );

    // Unchecked and required: the order cannot move to processing.
    let err = host
        .mutate(&scope, &id, Mutation::SetState(OrderStatus::Processing))
        .unwrap_err();
    assert!(
        matches!(&err, MutationError::Rejected { violations, .. }
            if violations[0].path == "/consents/0/checked"),
        "{err:?}"
    );
    let check = Consent {
        checked: Some(true),
        ..Consent::default()
    };
    let changed = host
        .mutate(
            &scope,
            &id,
            Mutation::UpdateConsent {
                id: "terms".into(),
                changes: check,
            },
        )
        .unwrap();
    assert_eq!(
        changed.order.consents[0],
        Consent {
            id: Some("terms".into()),
            text: Some("I accept the terms".into()),
            required: Some(true),
            checked: Some(true),
        }
    );
    let deleted = host
        .mutate(&scope, &id, Mutation::DeleteConsent { id: news_id })
        .unwrap();
    assert_eq!(deleted.order.consents.len(), 1);
    host.mutate(&scope, &id, Mutation::SetState(OrderStatus::Processing))
        .unwrap();
    // Consents are part of checkout: locked once the order is processing.
    let err = host
        .mutate(&scope, &id, Mutation::DeleteConsent { id: "terms".into() })
        .unwrap_err();
    assert!(
        matches!(&err, MutationError::Rejected { violations, .. }
            if violations[0].code == "order-locked"),
        "{err:?}"
    );
}

#[test]
fn validating_an_order_runs_every_validation_and_changes_nothing() {
    let host = host();
    let scope = scope();
    let id = create_order(&host, &scope, &[12]);
    // Installed after the order was created: the order as it stands breaks its rule.
    let max = manifest("max-quantity", &["cart"], json!({"maxQuantity": 10}));
    install(&host, ordergate_test_support::MAX_QUANTITY, max);
    let before = host.order(&scope.tenant, &id).unwrap().unwrap();

    let err = host
        .validate_order(&scope.clone().with_request_id("req-7"), &id)
        .unwrap_err();
    let MutationError::Rejected { violations, trace } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        violations
            .iter()
            .map(|v| (v.plugin.as_str(), v.path.as_str(), v.code.as_str()))
            .collect::<Vec<_>>(),
        [(
            "max-quantity",
            "/cart/items/0/quantity",
            "max-quantity-exceeded"
        )]
    );
    assert_eq!(trace.request_id.as_deref(), Some("req-7"));
    assert_eq!(trace.plugins.len(), 1);
    assert_eq!(host.order(&scope.tenant, &id).unwrap().unwrap(), before);

    host.mutate(&scope, &id, Mutation::SetCart(from(cart(&[3]))))
        .unwrap();
    let trace = host.validate_order(&scope, &id).unwrap();
    assert_eq!(trace.plugins.len(), 1);
    assert_eq!(trace.request_id, None);
    let missing = host.validate_order(&scope, "o_missing").unwrap_err();
    assert!(matches!(missing, MutationError::NotFound(ref m) if m == "o_missing"));
}

#[test]
fn orders_are_listed_a_page_at_a_time_and_deleted() {
    let host = host();
    let scope = scope();
    let ids: Vec<String> = (0..3).map(|_| create_order(&host, &scope, &[1])).collect();
    let page = host.list_orders(&scope.tenant, 1, 10).unwrap();
    let listed: Vec<&str> = page.data.iter().map(|o| o.order.id.as_str()).collect();
    assert_eq!(listed, [ids[1].as_str(), ids[2].as_str()]);
    assert_eq!((page.pagination.size, page.pagination.total_size), (2, 3));

    host.delete_order(&scope.tenant, &ids[0]).unwrap();
    assert!(host.order(&scope.tenant, &ids[0]).unwrap().is_none());
    assert_eq!(
        host.list_orders(&scope.tenant, 0, 10)
            .unwrap()
            .pagination
            .total_size,
        2
    );
    let again = host.delete_order(&scope.tenant, &ids[0]).unwrap_err();
    assert!(matches!(again, MutationError::NotFound(ref m) if *m == ids[0]));
    // Another channel of the merchant sees none of them.
    let other = ordergate::Tenant::new("norce", "b2b");
    assert!(matches!(
        host.delete_order(&other, &ids[1]),
        Err(MutationError::NotFound(_))
    ));
}

#[test]
fn the_request_id_reaches_the_trace_of_a_mutation() {
    let host = host();
    let scope = scope().with_request_id("req-42");
    let created = host.create_order(&scope, new_order(&[1])).unwrap();
    assert_eq!(created.trace.request_id.as_deref(), Some("req-42"));
    let json = serde_json::to_value(&created.trace).unwrap();
    assert_eq!(json["requestId"], "req-42");
}
