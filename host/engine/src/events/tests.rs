//! Unit tests of the module.
use super::*;
use serde_json::json;

/// A time of 2024-04-26 (`"09:09:14"` or `"09:09:14.5"`), or any full RFC 3339 time.
fn t(time: &str) -> SystemTime {
    let text = if time.len() > 12 {
        time.to_owned()
    } else {
        format!("2024-04-26T{time}Z")
    };
    crate::time::parse(&text).unwrap()
}

fn rfc(time: SystemTime) -> String {
    crate::clock::rfc3339(time)
}

fn ev(id: &str, merchant: &str, channel: &str, order: &str, reference: &str) -> NotificationEvent {
    NotificationEvent {
        id: id.into(),
        created_at: t("09:09:14"),
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
        due_at: t("09:09:14"),
        status: EventStatus::Pending,
    }
}

fn attempt(id: &str, ts: &str, code: i32) -> Attempt {
    Attempt {
        id: id.into(),
        timestamp: t(ts),
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

/// Claims `id` at `now` (it must be the one event due), makes an attempt answered with
/// `code`, and records it with what the default policy (no jitter) decides.
fn attempt_at(log: &mut EventTable, now: &str, id: &str, code: i32) -> NotificationEvent {
    let claims = log.claim_due(t(now), Duration::from_secs(30), 10);
    assert_eq!(claims.len(), 1, "{id} is due at {now}");
    let a = attempt(id, now, code);
    let outcome = RetryPolicy::default().outcome(&claims[0], &a, t(now), 0.0);
    log.record_attempt(&claims[0], a, outcome, t(now))
        .unwrap()
        .clone()
}

#[test]
fn attempts_backoff_fail_and_retry_keeps_attempts() {
    let mut log = EventTable::new();
    log.insert(ev("e1", "norce", "b2c", "o1", "r")).unwrap();
    let e = attempt_at(&mut log, "09:09:15", "a1", 500);
    assert_eq!(e.status, EventStatus::Pending);
    assert_eq!(rfc(e.due_at), "2024-04-26T09:09:20.000000Z");
    let e = attempt_at(&mut log, "09:09:20", "a2", 503);
    assert_eq!(rfc(e.due_at), "2024-04-26T09:14:20.000000Z");
    // The rest of the Standard Webhooks schedule: 30 min, 2 h, 5 h, 10 h, 10 h.
    let mut due = "2024-04-26T09:14:20Z".to_owned();
    for (i, next) in [
        "2024-04-26T09:44:20.000000Z",
        "2024-04-26T11:44:20.000000Z",
        "2024-04-26T16:44:20.000000Z",
        "2024-04-27T02:44:20.000000Z",
        "2024-04-27T12:44:20.000000Z",
    ]
    .iter()
    .enumerate()
    {
        let e = attempt_at(&mut log, &due, &format!("a{}", i + 3), 0);
        assert_eq!(
            (e.status, rfc(e.due_at).as_str()),
            (EventStatus::Pending, *next)
        );
        due = next.to_string();
    }
    let e = attempt_at(&mut log, &due, "a8", 0);
    assert_eq!(e.attempts.len(), 8);
    assert_eq!(e.status, EventStatus::Failed);
    assert_eq!(rfc(e.due_at), "2024-04-27T12:44:20.000000Z");
    assert!(
        log.claim_due(t("9999-12-31T00:00:00Z"), Duration::from_secs(30), 10)
            .is_empty()
    );

    let e = log.retry("norce", "e1", t("2024-04-28T00:00:00Z")).unwrap();
    assert_eq!(e.status, EventStatus::Pending);
    assert_eq!(rfc(e.due_at), "2024-04-28T00:00:00.000000Z");
    assert_eq!(e.attempts.len(), 8);
    assert_eq!(e.attempts[0].id, "a1");
    // A new round: one failure does not fail the event again, it waits the first step.
    let e = attempt_at(&mut log, "2024-04-28T00:00:01Z", "a9", 502);
    assert_eq!(
        (e.status, rfc(e.due_at).as_str()),
        (EventStatus::Pending, "2024-04-28T00:00:06.000000Z")
    );
    let e = attempt_at(&mut log, "2024-04-28T00:00:06Z", "a10", 204);
    assert_eq!(e.status, EventStatus::Delivered);
    assert_eq!(e.attempts.len(), 10);

    assert_eq!(
        log.retry("acme", "e1", t("2024-04-28T00:00:00Z"))
            .unwrap_err(),
        EventLogError::NotFound { id: "e1".into() }
    );
    // A time that is not RFC 3339 never reaches the log: the attempt does not parse.
    let bad = json!({"id": "a11", "timestamp": "yesterday", "statusCode": 200});
    assert_eq!(
        serde_json::from_value::<Attempt>(bad)
            .unwrap_err()
            .to_string(),
        "\"yesterday\" is not an RFC 3339 timestamp"
    );
    assert_eq!(log.get("norce", "e1").unwrap().attempts.len(), 10);
}

#[test]
fn retry_policy_follows_the_schedule_with_bounded_jitter() {
    let policy = RetryPolicy::default();
    let now = t("09:00:00");
    let after = |failed, jitter| {
        policy
            .next_attempt(failed, now, jitter)
            .map(|at| at.duration_since(now).unwrap())
    };
    let exact: Vec<_> = (0..9).map(|n| after(n, 0.0).map(|d| d.as_secs())).collect();
    assert_eq!(
        exact,
        [
            Some(0),
            Some(5),
            Some(300),
            Some(1800),
            Some(7200),
            Some(18_000),
            Some(36_000),
            Some(36_000),
            None
        ]
    );
    // ±20 %: the extremes of the sample, clamped beyond them; NaN is no jitter.
    assert_eq!(after(2, 1.0), Some(Duration::from_secs(360)));
    assert_eq!(after(2, -1.0), Some(Duration::from_secs(240)));
    assert_eq!(after(2, 7.0), Some(Duration::from_secs(360)));
    assert_eq!(after(2, f64::NAN), Some(Duration::from_secs(300)));
    for _ in 0..100 {
        let wait = after(1, RetryPolicy::random_jitter()).unwrap();
        assert!(
            (Duration::from_secs(4)..=Duration::from_secs(6)).contains(&wait),
            "{wait:?}"
        );
    }
}

#[test]
fn attempt_serializes_as_spec() {
    let mut a = attempt("a55f", "2024-04-26T09:09:15.174893Z", 200);
    let json = json!({
        "id": "a55f",
        "timestamp": "2024-04-26T09:09:15.174893Z",
        "statusCode": 200,
        "responseHeaders": {"date": ["Fri, 26 Apr 2024 09:09:15 GMT"]}
    });
    a.response_headers = Some(BTreeMap::from([(
        "date".to_owned(),
        vec!["Fri, 26 Apr 2024 09:09:15 GMT".to_owned()],
    )]));
    assert_eq!(serde_json::to_value(&a).unwrap(), json);
    assert_eq!(serde_json::from_value::<Attempt>(json).unwrap(), a);
    // Any RFC 3339 time is read; it is written back in the one format.
    let offset: Attempt = serde_json::from_value(
        json!({"id": "b", "timestamp": "2024-04-26T11:09:15.1+02:00", "statusCode": 0}),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&offset).unwrap()["timestamp"],
        "2024-04-26T09:09:15.100000Z"
    );
}

fn due_table() -> EventTable {
    let mut t = EventTable::new();
    for (id, due) in [
        ("a", "09:00:03"),
        ("b", "09:00:01"),
        ("c", "09:00:05"),
        ("d", "09:00:01"),
    ] {
        let mut e = ev(id, "norce", "b2c", "o", "r");
        e.due_at = self::t(due);
        t.insert(e).unwrap();
    }
    let mut delivered = ev("z", "norce", "b2c", "o", "r");
    delivered.status = EventStatus::Delivered;
    t.insert(delivered).unwrap();
    t
}

fn claimed_ids(claims: &[ClaimedEvent]) -> Vec<&str> {
    claims.iter().map(|c| c.event.id.as_str()).collect()
}

#[test]
fn due_is_pending_and_earliest_first() {
    let lease = Duration::from_secs(30);
    let mut t = due_table();
    let due = t.claim_due(self::t("09:00:03"), lease, 10);
    assert_eq!(claimed_ids(&due), ["b", "d", "a"]);
    assert_eq!(
        claimed_ids(&due_table().claim_due(self::t("09:00:03"), lease, 2)),
        ["b", "d"]
    );
    assert!(
        due_table()
            .claim_due(self::t("08:00:00"), lease, 10)
            .is_empty()
    );
}

#[test]
fn a_claim_holds_until_its_lease_runs_out() {
    let lease = Duration::from_secs(30);
    let mut log = due_table();
    let first = log.claim_due(t("09:00:01"), lease, 1);
    assert_eq!(claimed_ids(&first), ["b"]);
    assert_eq!(
        (first[0].token.0.as_str(), rfc(first[0].expires_at).as_str()),
        ("lease_1", "2024-04-26T09:00:31.000000Z")
    );
    // Held: the next claimer gets the other due events, then only `c`, due at 09:00:05.
    assert_eq!(
        claimed_ids(&log.claim_due(t("09:00:03"), lease, 10)),
        ["d", "a"]
    );
    assert_eq!(claimed_ids(&log.claim_due(t("09:00:30"), lease, 10)), ["c"]);
    // Lapsed at 09:00:31: another worker takes it over, and the first one's write is refused.
    let second = log.claim_due(t("09:00:31"), lease, 1);
    assert_eq!(claimed_ids(&second), ["b"]);
    let late = attempt("late", "09:00:40", 200);
    assert_eq!(
        log.record_attempt(&first[0], late, AttemptOutcome::Delivered, t("09:00:40"))
            .unwrap_err(),
        EventLogError::ClaimLost { id: "b".into() }
    );
    assert_eq!(
        log.release(&first[0]).unwrap_err(),
        EventLogError::ClaimLost { id: "b".into() }
    );
    assert_eq!(log.get("norce", "b").unwrap().attempts.len(), 0);
    // Released: due again at once, unchanged.
    log.release(&second[0]).unwrap();
    let third = log.claim_due(t("09:00:32"), lease, 1);
    assert_eq!(
        (claimed_ids(&third), third[0].event.status),
        (vec!["b"], EventStatus::Pending)
    );
}
