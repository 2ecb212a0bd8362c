//! The event log: filters and pagination (spec 002), claims and leases, attempts and
//! outcomes, retries by hand.

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::time::Duration;

use ordergate::events::{
    Attempt, AttemptOutcome, ClaimedEvent, EventFilter, EventLogError, EventStatus, Pagination,
};
use ordergate::store::Storage;
use serde_json::json;

use super::{at, event, ids};

const LEASE: Duration = Duration::from_secs(30);

fn claimed(claims: &[ClaimedEvent]) -> Vec<String> {
    ids(claims.iter().map(|c| &c.event))
}

fn attempt(id: &str, secs: u64, status_code: i32) -> Attempt {
    Attempt {
        id: id.into(),
        timestamp: at(secs),
        status_code,
        response_body: None,
        response_headers: None,
    }
}

/// Events of `(id, due second)`, appended in that order, all `norce`/`b2c`.
fn due_events<S: Storage + ?Sized>(store: &S, events: &[(&str, u64)]) {
    let events = events
        .iter()
        .map(|(id, due)| event(id, "norce", "b2c", "o_1", "export", at(*due)))
        .collect();
    store.append_events(events).unwrap();
}

/// Listing: insertion order, every filter, merchant scoping, offset/limit/totalSize exactly
/// as spec 002 (limit lowered to 100).
pub fn events_filters_and_pagination<S: Storage + ?Sized>(store: &S) {
    let mut events = Vec::new();
    for i in 0..25 {
        let channel = if i % 2 == 0 { "b2c" } else { "b2b" };
        let reference = if i % 3 == 0 { "export" } else { "notify" };
        let mut e = event(
            &format!("e{i:02}"),
            "norce",
            channel,
            &format!("o{}", i % 5),
            reference,
            at(0),
        );
        if i == 24 {
            e.adapter_id = Some("other-adapter".into());
        }
        events.push(e);
    }
    events.push(event("other", "acme", "b2c", "o0", "export", at(0)));
    store.append_events(events).unwrap();

    let list = |merchant: &str, filter: &EventFilter, offset, limit| {
        let page = store.list(merchant, filter, offset, limit).unwrap();
        (ids(&page.data), page.pagination)
    };
    let p = |offset, limit, size, total_size| Pagination {
        offset,
        limit,
        size,
        total_size,
    };
    let all = EventFilter::default();
    let (first, pagination) = list("norce", &all, 0, 10);
    assert_eq!(first[..3], ["e00", "e01", "e02"]);
    assert_eq!((first.len(), pagination), (10, p(0, 10, 10, 25)));
    assert_eq!(
        list("norce", &all, 20, 10),
        (
            vec!["e20", "e21", "e22", "e23", "e24"]
                .into_iter()
                .map(String::from)
                .collect(),
            p(20, 10, 5, 25)
        )
    );
    assert_eq!(list("norce", &all, 30, 10), (vec![], p(30, 10, 0, 25)));
    let (everything, pagination) = list("norce", &all, 0, 1000);
    assert_eq!((everything.len(), pagination), (25, p(0, 100, 25, 25)));
    assert_eq!(
        serde_json::to_value(pagination).unwrap(),
        json!({"offset": 0, "limit": 100, "size": 25, "totalSize": 25})
    );

    let filter = |json| -> EventFilter { serde_json::from_value(json).unwrap() };
    // Odd i (b2b) with i % 5 == 1: 1, 11, 21.
    let f = filter(json!({"channel": "b2b", "order_id": "o1"}));
    assert_eq!(
        list("norce", &f, 0, 10),
        (
            vec!["e01".into(), "e11".into(), "e21".into()],
            p(0, 10, 3, 3)
        )
    );
    let f = filter(json!({"reference": "export", "channel": "b2c"}));
    // Even i with i % 3 == 0: 0, 6, 12, 18, 24; the second page of two.
    assert_eq!(
        list("norce", &f, 2, 2),
        (vec!["e12".into(), "e18".into()], p(2, 2, 2, 5))
    );
    let f = filter(json!({"adapter_id": "other-adapter"}));
    assert_eq!(
        list("norce", &f, 0, 10),
        (vec!["e24".into()], p(0, 10, 1, 1))
    );
    let f = filter(json!({"reference": "nope"}));
    assert_eq!(list("norce", &f, 0, 10), (vec![], p(0, 10, 0, 0)));
    assert_eq!(
        list("acme", &all, 0, 10),
        (vec!["other".into()], p(0, 10, 1, 1))
    );

    assert_eq!(store.get("norce", "other").unwrap(), None);
    assert_eq!(
        store.get("acme", "other").unwrap().unwrap().merchant,
        "acme"
    );
    assert_eq!(store.get("norce", "e07").unwrap().unwrap().order_id, "o2");
}

/// A claim takes due pending events, earliest due first (ties in insertion order), up to
/// its limit; claimed events are not handed out again while the lease lives; events not
/// yet due, delivered or failed are never claimed.
pub fn events_claims_are_exclusive_and_earliest_first<S: Storage + ?Sized>(store: &S) {
    due_events(store, &[("a", 3), ("b", 1), ("c", 50), ("d", 1), ("e", 2)]);
    // Two events that are done: delivered and failed.
    for (id, outcome) in [
        ("x", AttemptOutcome::Delivered),
        ("y", AttemptOutcome::Failed),
    ] {
        due_events(store, &[(id, 0)]);
        let claim = store.claim_due(at(0), LEASE, 1).unwrap();
        assert_eq!(claimed(&claim), [id]);
        store
            .record_attempt(&claim[0], attempt("a", 0, 500), outcome, at(0))
            .unwrap();
    }

    assert_eq!(store.claim_due(at(0), LEASE, 10).unwrap(), vec![]);
    // The queue depth counts pending due events only (not delivered `x`, failed `y`).
    let depths = [0, 1, 2, 3, 50].map(|s| store.due_count(at(s)).unwrap());
    assert_eq!(depths, [0, 2, 3, 4, 5]);
    let first = store.claim_due(at(3), LEASE, 2).unwrap();
    assert_eq!(claimed(&first), ["b", "d"]);
    assert_eq!(
        (first[0].expires_at, first[0].attempts_in_round),
        (at(33), 0)
    );
    assert_eq!(first[0].event, store.get("norce", "b").unwrap().unwrap());
    assert_ne!(first[0].token, first[1].token);
    // Claimed events are still in the queue until an attempt is recorded.
    assert_eq!(store.due_count(at(3)).unwrap(), 4);
    let second = store.claim_due(at(4), LEASE, 10).unwrap();
    assert_eq!(claimed(&second), ["e", "a"]);
    assert_eq!(store.claim_due(at(10), LEASE, 10).unwrap(), vec![]);
    // `c` becomes due at 50; by then `b` and `d` (until 33) and `e`, `a` (until 34) lapsed.
    let later = store.claim_due(at(50), LEASE, 10).unwrap();
    assert_eq!(claimed(&later), ["b", "d", "e", "a", "c"]);
    assert_eq!(store.claim_due(at(0), LEASE, 0).unwrap(), vec![]);
}

/// Two workers claiming at the same time never get the same event, and between them get
/// every due event.
pub fn events_concurrent_claimers_never_share_an_event<S: Storage + ?Sized>(store: &S) {
    let events: Vec<(String, u64)> = (0..200).map(|i| (format!("e{i:03}"), i % 7)).collect();
    let refs: Vec<(&str, u64)> = events.iter().map(|(id, d)| (id.as_str(), *d)).collect();
    due_events(store, &refs);
    let worker = || {
        let mut mine = Vec::new();
        loop {
            let claims = store.claim_due(at(10), LEASE, 3).unwrap();
            if claims.is_empty() {
                return mine;
            }
            mine.extend(claimed(&claims));
        }
    };
    let (one, two) = std::thread::scope(|s| {
        let one = s.spawn(worker);
        let two = s.spawn(worker);
        (one.join().unwrap(), two.join().unwrap())
    });
    let mut seen = HashSet::new();
    for id in one.iter().chain(&two) {
        assert!(seen.insert(id.clone()), "{id} was claimed twice");
    }
    assert_eq!(seen.len(), 200);
}

/// A lease that ran out makes the event due again; the new holder's write stands and the
/// old holder's write is refused, leaving the event as the new holder wrote it.
pub fn events_expired_lease_is_due_again_and_stale_writes_are_refused<S: Storage + ?Sized>(
    store: &S,
) {
    due_events(store, &[("e", 0)]);
    let old = store.claim_due(at(0), LEASE, 10).unwrap();
    assert_eq!(claimed(&old), ["e"]);
    assert_eq!(store.claim_due(at(29), LEASE, 10).unwrap(), vec![]);
    // The holder did not finish in time: at 30 its lease is over.
    let lost = EventLogError::ClaimLost { id: "e".into() };
    assert_eq!(
        store
            .record_attempt(
                &old[0],
                attempt("late", 30, 200),
                AttemptOutcome::Delivered,
                at(30)
            )
            .unwrap_err(),
        lost
    );
    let new = store.claim_due(at(30), LEASE, 10).unwrap();
    assert_eq!(
        (claimed(&new), new[0].expires_at),
        (vec!["e".into()], at(60))
    );
    assert_ne!(new[0].token, old[0].token);
    // The old holder comes back: refused, whatever it writes.
    for outcome in [AttemptOutcome::Delivered, AttemptOutcome::Failed] {
        assert_eq!(
            store
                .record_attempt(&old[0], attempt("late", 31, 200), outcome, at(31))
                .unwrap_err(),
            lost
        );
    }
    assert_eq!(store.release(&old[0]).unwrap_err(), lost);
    let written = store
        .record_attempt(
            &new[0],
            attempt("a1", 32, 503),
            AttemptOutcome::RetryAt(at(100)),
            at(32),
        )
        .unwrap();
    assert_eq!(
        (
            written.status,
            written.due_at,
            ids_of_attempts(&written.attempts)
        ),
        (EventStatus::Pending, at(100), vec!["a1".to_owned()])
    );
    assert_eq!(store.get("norce", "e").unwrap().unwrap(), written);
    // The claim ended with its write: it cannot write twice.
    assert_eq!(
        store
            .record_attempt(
                &new[0],
                attempt("a2", 33, 200),
                AttemptOutcome::Delivered,
                at(33)
            )
            .unwrap_err(),
        lost
    );
}

fn ids_of_attempts(attempts: &[Attempt]) -> Vec<String> {
    attempts.iter().map(|a| a.id.clone()).collect()
}

/// Releasing hands the event back unchanged and due at once, before its lease would have
/// run out.
pub fn events_release_hands_the_event_back_unchanged<S: Storage + ?Sized>(store: &S) {
    due_events(store, &[("e", 0), ("f", 0)]);
    let before = store.get("norce", "e").unwrap().unwrap();
    let claims = store.claim_due(at(1), LEASE, 10).unwrap();
    assert_eq!(claimed(&claims), ["e", "f"]);
    store.release(&claims[0]).unwrap();
    assert_eq!(store.get("norce", "e").unwrap().unwrap(), before);
    let again = store.claim_due(at(2), LEASE, 10).unwrap();
    assert_eq!(
        (claimed(&again), again[0].attempts_in_round),
        (vec!["e".into()], 0)
    );
    assert_eq!(
        store.release(&claims[0]).unwrap_err(),
        EventLogError::ClaimLost { id: "e".into() }
    );
    // The other claim, still live, is released as well.
    store.release(&claims[1]).unwrap();
    assert_eq!(claimed(&store.claim_due(at(3), LEASE, 10).unwrap()), ["f"]);
}

/// `Delivered`, `RetryAt` and `Failed` are recorded as given, with the attempt in the
/// spec's shape; a pending event is claimable again at its new due time.
pub fn events_record_attempt_applies_the_outcome<S: Storage + ?Sized>(store: &S) {
    due_events(store, &[("d", 0), ("r", 0), ("f", 0)]);
    let claims = store.claim_due(at(0), LEASE, 10).unwrap();
    assert_eq!(claimed(&claims), ["d", "r", "f"]);

    let mut full = attempt("a_full", 1, 200);
    full.response_body = Some(json!({"title": "OK"}));
    full.response_headers = Some(BTreeMap::from([(
        "date".to_owned(),
        vec!["Thu, 01 Jan 2026 00:00:01 GMT".to_owned()],
    )]));
    let delivered = store
        .record_attempt(&claims[0], full.clone(), AttemptOutcome::Delivered, at(1))
        .unwrap();
    assert_eq!(
        (
            delivered.status,
            delivered.attempts.clone(),
            delivered.due_at
        ),
        (EventStatus::Delivered, vec![full.clone()], at(0))
    );
    assert_eq!(
        serde_json::to_value(&delivered.attempts).unwrap(),
        json!([{
            "id": "a_full",
            "timestamp": "2026-01-01T00:00:01.000000Z",
            "statusCode": 200,
            "responseBody": {"title": "OK"},
            "responseHeaders": {"date": ["Thu, 01 Jan 2026 00:00:01 GMT"]}
        }])
    );

    let retry = store
        .record_attempt(
            &claims[1],
            attempt("a_r1", 1, 0),
            AttemptOutcome::RetryAt(at(6)),
            at(1),
        )
        .unwrap();
    assert_eq!((retry.status, retry.due_at), (EventStatus::Pending, at(6)));
    let failed = store
        .record_attempt(
            &claims[2],
            attempt("a_f1", 1, 500),
            AttemptOutcome::Failed,
            at(1),
        )
        .unwrap();
    assert_eq!(failed.status, EventStatus::Failed);

    assert_eq!(store.claim_due(at(5), LEASE, 10).unwrap(), vec![]);
    let again = store.claim_due(at(6), LEASE, 10).unwrap();
    assert_eq!(
        (claimed(&again), again[0].attempts_in_round),
        (vec!["r".into()], 1)
    );
    let written = store
        .record_attempt(
            &again[0],
            attempt("a_r2", 7, 503),
            AttemptOutcome::RetryAt(at(300)),
            at(7),
        )
        .unwrap();
    assert_eq!(ids_of_attempts(&written.attempts), ["a_r1", "a_r2"]);
    assert_eq!(
        store.claim_due(at(300), LEASE, 10).unwrap()[0].attempts_in_round,
        2
    );
    assert_eq!(store.get("norce", "d").unwrap().unwrap(), delivered);
    assert_eq!(store.get("norce", "f").unwrap().unwrap(), failed);
}

/// A retry by hand makes any event pending and due now, starts a new round (the claim
/// counts no attempts) and keeps every attempt; it takes the event from a current holder.
pub fn events_retry_by_hand_starts_a_new_round_and_keeps_attempts<S: Storage + ?Sized>(store: &S) {
    due_events(store, &[("e", 0)]);
    for (i, secs) in [0, 10].into_iter().enumerate() {
        let claim = store.claim_due(at(secs), LEASE, 1).unwrap();
        assert_eq!(claim[0].attempts_in_round, i);
        let outcome = if i == 0 {
            AttemptOutcome::RetryAt(at(10))
        } else {
            AttemptOutcome::Failed
        };
        store
            .record_attempt(
                &claim[0],
                attempt(&format!("a{i}"), secs, 500),
                outcome,
                at(secs),
            )
            .unwrap();
    }
    assert_eq!(store.claim_due(at(1000), LEASE, 10).unwrap(), vec![]);

    let retried = store.retry("norce", "e", at(2000)).unwrap();
    assert_eq!(
        (
            retried.status,
            retried.due_at,
            ids_of_attempts(&retried.attempts)
        ),
        (
            EventStatus::Pending,
            at(2000),
            vec!["a0".into(), "a1".into()]
        )
    );
    assert_eq!(store.claim_due(at(1999), LEASE, 10).unwrap(), vec![]);
    let claim = store.claim_due(at(2000), LEASE, 10).unwrap();
    assert_eq!(
        (claimed(&claim), claim[0].attempts_in_round),
        (vec!["e".into()], 0)
    );

    // Retried while claimed: the holder loses it, the event is due at the retry's time.
    let retried = store.retry("norce", "e", at(2001)).unwrap();
    assert_eq!(
        (retried.status, retried.due_at),
        (EventStatus::Pending, at(2001))
    );
    assert_eq!(
        store
            .record_attempt(
                &claim[0],
                attempt("a2", 2002, 200),
                AttemptOutcome::Delivered,
                at(2002)
            )
            .unwrap_err(),
        EventLogError::ClaimLost { id: "e".into() }
    );
    let claim = store.claim_due(at(2001), LEASE, 10).unwrap();
    assert_eq!(claimed(&claim), ["e"]);
    let delivered = store
        .record_attempt(
            &claim[0],
            attempt("a3", 2002, 204),
            AttemptOutcome::Delivered,
            at(2002),
        )
        .unwrap();
    assert_eq!(
        (delivered.status, ids_of_attempts(&delivered.attempts)),
        (
            EventStatus::Delivered,
            vec!["a0".into(), "a1".into(), "a3".into()]
        )
    );

    assert_eq!(
        store.retry("acme", "e", at(2003)).unwrap_err(),
        EventLogError::NotFound { id: "e".into() }
    );
    assert_eq!(
        store.retry("norce", "nope", at(2003)).unwrap_err(),
        EventLogError::NotFound { id: "nope".into() }
    );
}
