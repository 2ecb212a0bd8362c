//! Unit tests of the module.
use super::*;
use serde_json::json;

fn ev(id: &str, merchant: &str, channel: &str, order: &str, reference: &str) -> NotificationEvent {
    NotificationEvent {
        id: id.into(),
        created_at: "2024-04-26T09:09:14.000000Z".into(),
        merchant: merchant.into(),
        channel: channel.into(),
        order_id: order.into(),
        adapter_id: Some("jetshop_adapter".into()),
        reference: reference.into(),
        description: None,
        payload: EventPayload {
            notification: Notification::default(),
            order: json!({}).into(),
        },
        attempts: Vec::new(),
        version: BodyVersion::V0,
        invoke: Some("https://x/".into()),
        error: None,
        due_at: "2024-04-26T09:09:14.000000Z".into(),
        status: EventStatus::Pending,
    }
}

fn attempt(id: &str, ts: &str, code: i32) -> Attempt {
    Attempt {
        id: id.into(),
        timestamp: ts.into(),
        status_code: code,
        response_body: None,
        response_headers: None,
    }
}

fn table() -> EventTable {
    let mut t = EventTable::new();
    for i in 0..25 {
        let channel = if i % 2 == 0 { "b2c" } else { "b2b" };
        let order = format!("o{}", i % 5);
        t.insert(ev(&format!("e{i:02}"), "norce", channel, &order, "export"))
            .unwrap();
    }
    t.insert(ev("other", "acme", "b2c", "o0", "export"))
        .unwrap();
    t
}

fn ids(page: &Page<NotificationEvent>) -> Vec<&str> {
    page.data.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn list_paginates_in_insertion_order() {
    let t = table();
    let all = EventFilter::default();
    let p = t.list("norce", &all, 0, DEFAULT_LIMIT);
    assert_eq!(
        p.pagination,
        Pagination {
            offset: 0,
            limit: 10,
            size: 10,
            total_size: 25
        }
    );
    assert_eq!(ids(&p)[..3], ["e00", "e01", "e02"]);
    let p = t.list("norce", &all, 20, 10);
    assert_eq!(
        p.pagination,
        Pagination {
            offset: 20,
            limit: 10,
            size: 5,
            total_size: 25
        }
    );
    assert_eq!(ids(&p), ["e20", "e21", "e22", "e23", "e24"]);
    let p = t.list("norce", &all, 30, 10);
    assert_eq!(
        p.pagination,
        Pagination {
            offset: 30,
            limit: 10,
            size: 0,
            total_size: 25
        }
    );
    let p = t.list("norce", &all, 0, 1000);
    assert_eq!(p.pagination.limit, MAX_LIMIT);
    assert_eq!(p.pagination.size, 25);
    assert_eq!(
        serde_json::to_value(p.pagination).unwrap(),
        json!({"offset": 0, "limit": 100, "size": 25, "totalSize": 25})
    );
}

#[test]
fn list_filters_and_scopes_by_merchant() {
    let t = table();
    let f = EventFilter {
        channel: Some("b2b".into()),
        order_id: Some("o1".into()),
        ..Default::default()
    };
    // Odd i with i % 5 == 1: 1, 11, 21.
    let p = t.list("norce", &f, 0, 10);
    assert_eq!(ids(&p), ["e01", "e11", "e21"]);
    assert_eq!(p.pagination.total_size, 3);
    let f = EventFilter {
        reference: Some("nope".into()),
        ..Default::default()
    };
    assert_eq!(t.list("norce", &f, 0, 10).pagination.total_size, 0);
    let f = EventFilter {
        adapter_id: Some("jetshop_adapter".into()),
        ..Default::default()
    };
    assert_eq!(ids(&t.list("acme", &f, 0, 10)), ["other"]);
    assert!(t.get("norce", "other").is_none());
    assert!(t.get("acme", "other").is_some());
    let q: EventFilter =
        serde_json::from_value(json!({"adapter_id": "a", "order_id": "o"})).unwrap();
    assert_eq!(q.adapter_id.as_deref(), Some("a"));
    assert_eq!(q.order_id.as_deref(), Some("o"));
}

#[test]
fn insert_rejects_duplicates() {
    let mut t = table();
    let err = t.insert(ev("e00", "norce", "b2c", "o0", "x")).unwrap_err();
    assert_eq!(err.to_string(), "event \"e00\" already exists");
    assert!(t.contains("e00") && t.contains("other") && !t.contains("e99"));
    assert_eq!(t.len(), 26);
}

#[test]
fn attempts_backoff_fail_and_retry_keeps_attempts() {
    let mut log = EventTable::new();
    log.insert(ev("e1", "norce", "b2c", "o1", "r")).unwrap();
    let e = log
        .record_attempt(
            "norce",
            "e1",
            attempt("a1", "2024-04-26T09:09:15.000000Z", 500),
        )
        .unwrap();
    assert_eq!(e.status, EventStatus::Pending);
    assert_eq!(e.due_at, "2024-04-26T09:09:16.000000Z");
    let e = log
        .record_attempt(
            "norce",
            "e1",
            attempt("a2", "2024-04-26T09:09:16.000000Z", 503),
        )
        .unwrap();
    assert_eq!(e.due_at, "2024-04-26T09:09:26.000000Z");
    for (i, ts) in ["09:10:00", "09:11:00", "09:16:00"].iter().enumerate() {
        let ts = format!("2024-04-26T{ts}.000000Z");
        log.record_attempt("norce", "e1", attempt(&format!("a{}", i + 3), &ts, 0))
            .unwrap();
    }
    let e = log.get("norce", "e1").unwrap();
    assert_eq!(e.attempts.len(), 5);
    assert_eq!(e.status, EventStatus::Failed);
    assert!(log.due("9999-12-31T00:00:00.000000Z", 10).is_empty());

    let e = log
        .retry("norce", "e1", "2024-04-27T00:00:00.000000Z")
        .unwrap();
    assert_eq!(e.status, EventStatus::Pending);
    assert_eq!(e.due_at, "2024-04-27T00:00:00.000000Z");
    assert_eq!(e.attempts.len(), 5);
    assert_eq!(e.attempts[0].id, "a1");
    // A new round: one failure does not fail the event again.
    let e = log
        .record_attempt(
            "norce",
            "e1",
            attempt("a6", "2024-04-27T00:00:01.000000Z", 502),
        )
        .unwrap();
    assert_eq!(e.status, EventStatus::Pending);
    let e = log
        .record_attempt(
            "norce",
            "e1",
            attempt("a7", "2024-04-27T00:00:02.000000Z", 204),
        )
        .unwrap();
    assert_eq!(e.status, EventStatus::Delivered);
    assert_eq!(e.attempts.len(), 7);

    assert_eq!(
        log.retry("acme", "e1", "2024-04-27T00:00:00.000000Z")
            .unwrap_err(),
        EventLogError::NotFound { id: "e1".into() }
    );
    assert_eq!(
        log.record_attempt("norce", "e1", attempt("a8", "yesterday", 200))
            .unwrap_err()
            .to_string(),
        "attempt timestamp \"yesterday\" is not an RFC 3339 timestamp"
    );
    assert_eq!(log.get("norce", "e1").unwrap().attempts.len(), 7);
}

#[test]
fn attempt_serializes_as_spec() {
    let mut a = attempt("a55f", "2024-04-26T09:09:15.174893Z", 200);
    a.response_headers = Some(BTreeMap::from([(
        "date".to_owned(),
        vec!["Fri, 26 Apr 2024 09:09:15 GMT".to_owned()],
    )]));
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        json!({
            "id": "a55f",
            "timestamp": "2024-04-26T09:09:15.174893Z",
            "statusCode": 200,
            "responseHeaders": {"date": ["Fri, 26 Apr 2024 09:09:15 GMT"]}
        })
    );
}

#[test]
fn due_is_pending_and_earliest_first() {
    let mut t = EventTable::new();
    for (id, due) in [
        ("a", "09:00:03"),
        ("b", "09:00:01"),
        ("c", "09:00:05"),
        ("d", "09:00:01"),
    ] {
        let mut e = ev(id, "norce", "b2c", "o", "r");
        e.due_at = format!("2024-04-26T{due}.000000Z");
        t.insert(e).unwrap();
    }
    let mut delivered = ev("z", "norce", "b2c", "o", "r");
    delivered.status = EventStatus::Delivered;
    t.insert(delivered).unwrap();
    let due: Vec<String> = t
        .due("2024-04-26T09:00:03.000000Z", 10)
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(due, ["b", "d", "a"]);
    assert_eq!(t.due("2024-04-26T09:00:03.000000Z", 2).len(), 2);
    assert!(t.due("2024-04-26T08:00:00.000000Z", 10).is_empty());
}
