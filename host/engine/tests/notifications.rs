//! Notifications end to end: on the order and from hook triggers, the events they record
//! (committed with the change), the event log's filters, pagination, attempts and retry.

mod common;

use common::*;
use std::time::Duration;

use ordergate::FiredNotification;
use ordergate::clock::rfc3339;
use ordergate::events::{Attempt, EventFilter, EventStatus};
use ordergate::model::{Notification, OrderStatus};
use ordergate::mutation::Mutation;
use ordergate::{Host, MutationError};
use ordergate_test_support as plugins;
use serde_json::json;

fn complete(host: &Host, id: &str) -> ordergate::Committed {
    let mut last = None;
    for status in [
        OrderStatus::Processing,
        OrderStatus::Accepted,
        OrderStatus::Completed,
    ] {
        last = Some(
            host.mutate(&scope(), id, Mutation::SetState(status))
                .unwrap(),
        );
    }
    last.unwrap()
}

#[test]
fn a_hook_trigger_records_one_event_when_the_order_completes() {
    let host = host();
    let mut m = hook_manifest("notify-completed", &["state"], json!({}));
    m.adapter_id = Some("erp-adapter".into());
    install(&host, plugins::NOTIFY_COMPLETED, m);
    host.set_adapter_configuration(
        "norce",
        "erp-adapter",
        json!({"internalUrl": "https://erp.internal"}),
    )
    .expect("the memory store keeps configurations");
    let id = create_order(&host, &scope(), &[1]);

    let completed = complete(&host, &id);
    assert_eq!(
        completed.trace.notifications,
        vec![FiredNotification {
            event_id: "evt_2".into(),
            reference: "export-on-completed".into(),
            scope: "/state/currentStatus".into(),
            source: "notify-completed".into(),
            depth: 1,
        }]
    );
    let page = host
        .events()
        .list("norce", &EventFilter::default(), 0, 10)
        .unwrap();
    assert_eq!(
        page.pagination.total_size, 1,
        "processing and accepted did not match the schema"
    );
    let event = serde_json::to_value(&page.data[0]).unwrap();
    assert_eq!(event["id"], "evt_2");
    assert_eq!(event["merchant"], "norce");
    assert_eq!(event["channel"], "b2c");
    assert_eq!(event["orderId"], id.as_str());
    assert_eq!(event["adapterId"], "erp-adapter");
    assert_eq!(event["reference"], "export-on-completed");
    assert_eq!(
        event["description"],
        "Export the order when it reaches completed"
    );
    assert_eq!(
        event["invoke"],
        format!("https://erp.internal/api/v1/callbacks/orders/{id}/completed")
    );
    assert_eq!(event["status"], "pending");
    assert_eq!(event["dueAt"], event["createdAt"]);
    assert_eq!(event["attempts"], json!([]));
    assert_eq!(
        event["payload"]["order"]["state"]["currentStatus"],
        "completed"
    );
    assert_eq!(
        event["payload"]["notification"]["scope"],
        "/state/currentStatus"
    );
    assert_eq!(
        event["payload"]["notification"]["schema"],
        json!({"const": "completed"})
    );
}

fn attempt(id: &str, status_code: i32) -> Attempt {
    serde_json::from_value(
        json!({"id": id, "timestamp": "2026-01-01T01:00:00.000000Z", "statusCode": status_code}),
    )
    .unwrap()
}

#[test]
fn order_notifications_fire_resolve_their_invoke_and_keep_every_attempt() {
    let host = host();
    let scope = scope();
    let id = create_order(&host, &scope, &[1]);
    let notification = |reference: &str, invoke: &str| -> Notification {
        from(json!({
            "adapterId": "jetshop_adapter",
            "reference": reference,
            "description": "Export payment information to Jetshop when order has been completed.",
            "scope": "/state/currentStatus",
            "schema": {"const": "processing"},
            "invoke": invoke,
            "version": "v0",
            "delay": 1500,
        }))
    };
    let created = host
        .mutate(
            &scope,
            &id,
            Mutation::CreateNotification(notification(
                "export",
                "https://jetshop.example/orders/{order.id}",
            )),
        )
        .unwrap();
    assert_eq!(created.order.notifications[0].id.as_deref(), Some("n_2"));
    host.mutate(
        &scope,
        &id,
        Mutation::CreateNotification(notification(
            "broken",
            "{configuration.adapter.internalUrl}/x",
        )),
    )
    .unwrap();

    let processing = host
        .mutate(&scope, &id, Mutation::SetState(OrderStatus::Processing))
        .unwrap();
    let fired: Vec<_> = processing
        .trace
        .notifications
        .iter()
        .map(|n| (n.reference.as_str(), n.source.as_str(), n.depth))
        .collect();
    assert_eq!(fired, [("export", "order", 0), ("broken", "order", 0)]);

    let all = host
        .events()
        .list("norce", &EventFilter::default(), 0, 10)
        .unwrap();
    let export = &all.data[0];
    assert_eq!(
        export.invoke.as_deref(),
        Some(format!("https://jetshop.example/orders/{id}").as_str())
    );
    assert_eq!(
        (
            rfc3339(export.created_at).as_str(),
            rfc3339(export.due_at).as_str()
        ),
        ("2026-01-01T00:00:03.000000Z", "2026-01-01T00:00:04.500000Z")
    );
    let broken = &all.data[1];
    assert_eq!(broken.invoke, None);
    assert_eq!(
        broken.error.as_deref(),
        Some(
            "unresolved placeholder {configuration.adapter.internalUrl}: there is no adapter configuration (merchant norce has no configuration for adapter \"jetshop_adapter\")"
        )
    );

    // Every attempt is kept; a manual retry re-queues without forgetting them. A delivery
    // worker claims the due events, attempts them and records what its policy decides.
    let events = host.events();
    let policy = ordergate::events::RetryPolicy::default();
    let attempt_export = |id: &str, status_code: i32, now: &str| {
        let now = ordergate::time::parse(now).unwrap();
        let claims = events.claim_due(now, Duration::from_secs(30), 10).unwrap();
        let claim = claims.iter().find(|c| c.event.id == export.id).unwrap();
        let attempt = attempt(id, status_code);
        let outcome = policy.outcome(claim, &attempt, now, 0.0);
        events.record_attempt(claim, attempt, outcome, now).unwrap()
    };
    let after_failure = attempt_export("a1", 503, "2026-01-01T01:00:00Z");
    assert_eq!(after_failure.status, EventStatus::Pending);
    let retried = events
        .retry(
            "norce",
            &export.id,
            ordergate::time::parse("2026-01-01T02:00:00.000000Z").unwrap(),
        )
        .unwrap();
    assert_eq!(
        (
            retried.status,
            rfc3339(retried.due_at),
            retried.attempts.len()
        ),
        (
            EventStatus::Pending,
            "2026-01-01T02:00:00.000000Z".to_owned(),
            1
        )
    );
    let delivered = attempt_export("a2", 200, "2026-01-01T02:00:00Z");
    let codes: Vec<_> = delivered.attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(
        (delivered.status, codes),
        (EventStatus::Delivered, vec![503, 200])
    );

    // Filters and pagination, as the spec's list route.
    let by_reference = EventFilter {
        reference: Some("broken".into()),
        ..EventFilter::default()
    };
    let page = events.list("norce", &by_reference, 0, 10).unwrap();
    assert_eq!(
        (page.data.len(), page.data[0].id.as_str()),
        (1, broken.id.as_str())
    );
    let second = events.list("norce", &EventFilter::default(), 1, 1).unwrap();
    assert_eq!(
        serde_json::to_value(second.pagination).unwrap(),
        json!({"offset": 1, "limit": 1, "size": 1, "totalSize": 2})
    );
    assert!(
        events
            .list("other-merchant", &EventFilter::default(), 0, 10)
            .unwrap()
            .data
            .is_empty()
    );

    // A deleted notification fires no more.
    host.mutate(
        &scope,
        &id,
        Mutation::DeleteNotification { id: "n_2".into() },
    )
    .unwrap();
    let back = host
        .mutate(&scope, &id, Mutation::SetState(OrderStatus::Checkout))
        .unwrap();
    assert!(
        back.order
            .notifications
            .iter()
            .all(|n| n.id.as_deref() != Some("n_2"))
    );
    host.mutate(&scope, &id, Mutation::SetState(OrderStatus::Processing))
        .unwrap();
    assert_eq!(
        events
            .list("norce", &EventFilter::default(), 0, 10)
            .unwrap()
            .pagination
            .total_size,
        3
    );
}

#[test]
fn invalid_notifications_are_refused_with_what_is_wrong() {
    let host = host();
    let id = create_order(&host, &scope(), &[1]);
    let refused = |body: serde_json::Value| match host.mutate(
        &scope(),
        &id,
        Mutation::CreateNotification(from(body)),
    ) {
        Err(MutationError::Rejected { violations, .. }) => {
            assert_eq!(
                (violations[0].path.as_str(), violations[0].code.as_str()),
                ("/notifications", "invalid-notification")
            );
            violations[0].message.clone()
        }
        other => panic!("expected a rejection, got {other:?}"),
    };
    let base = json!({"reference": "r", "scope": "/state/currentStatus", "schema": {"const": "completed"}, "invoke": "https://x.example"});
    let with = |key: &str, value: serde_json::Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    assert_eq!(
        refused(with("scope", json!("/payments/0/state"))),
        "scope \"/payments/0/state\" is inside an array, which notifications do not support"
    );
    assert!(
        refused(with("scope", json!("state")))
            .starts_with("scope \"state\" is not a valid JSON Pointer")
    );
    assert!(
        refused(with("schema", json!({"type": 12})))
            .starts_with("schema is not a valid JSON Schema (draft 2020-12): ")
    );
    let stored = host.order(&scope().tenant, &id).unwrap().unwrap();
    assert!(stored.order.notifications.is_empty());
    assert_eq!(stored.version, 1);
}
