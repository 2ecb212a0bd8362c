//! Scenarios both backends run: what survives a reopen, and what two stores on one database
//! (two pools, as two nodes have) do when they write at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use ordergate::events::{Attempt, AttemptOutcome, EventStatus};
use ordergate::store::{OrderWrite, PluginStatus, PluginUpload, Storage, StoreError};
use ordergate_test_support::conformance::{at, event, key, order, tenant};
use serde_json::json;

/// Writes an order (two versions) with events (one delivered after a failed attempt), two
/// plugin versions (rolled back to the first) and an adapter configuration.
pub fn write_everything(store: &dyn Storage) {
    let v1 = order("norce", "b2c", "o_1", "first");
    let ev = |id: &str, due| event(id, "norce", "b2c", "o_1", "export", at(due));
    store
        .commit(OrderWrite::Insert(&v1), vec![ev("e_1", 0)])
        .unwrap();
    let v2 = order("norce", "b2c", "o_1", "second");
    let replace = OrderWrite::Replace {
        order: &v2,
        expected_version: 1,
    };
    assert_eq!(store.commit(replace, vec![ev("e_2", 5)]).unwrap(), 2);
    let claim = store.claim_due(at(1), Duration::from_secs(30), 10).unwrap();
    let attempt = |id: &str, secs, status_code| Attempt {
        id: id.into(),
        timestamp: at(secs),
        status_code,
        response_body: None,
        response_headers: None,
    };
    store
        .record_attempt(
            &claim[0],
            attempt("a_1", 1, 503),
            AttemptOutcome::RetryAt(at(2)),
            at(1),
        )
        .unwrap();
    let claim = store.claim_due(at(2), Duration::from_secs(30), 1).unwrap();
    store
        .record_attempt(
            &claim[0],
            attempt("a_2", 2, 200),
            AttemptOutcome::Delivered,
            at(2),
        )
        .unwrap();

    for (bytes, secs) in [(&b"one"[..], 10), (&b"two"[..], 11)] {
        let upload = PluginUpload {
            id: "max-quantity".into(),
            manifest: json!({"id": "max-quantity", "kind": "validation"}),
            component: Arc::from(bytes),
            uploaded_by: Some("ops@norce".into()),
            uploaded_at: at(secs),
        };
        store.add_version(&tenant(), upload).unwrap();
    }
    store.activate(&tenant(), "max-quantity", 1).unwrap();
    store
        .set_adapter_configuration(
            "norce",
            "erp",
            json!({"internalUrl": "https://erp.internal"}),
        )
        .unwrap();
}

/// What [`write_everything`] wrote, as a reopened store must show it.
pub fn check_everything(store: &dyn Storage) {
    let loaded = store.load(&key("o_1")).unwrap().unwrap();
    assert_eq!(
        (loaded.version, &*loaded.order),
        (2, &*order("norce", "b2c", "o_1", "second"))
    );
    let events = store.list("norce", &Default::default(), 0, 10).unwrap();
    let summary: Vec<(String, EventStatus, Vec<String>)> = events
        .data
        .iter()
        .map(|e| {
            let attempts = e.attempts.iter().map(|a| a.id.clone()).collect();
            (e.id.clone(), e.status, attempts)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "e_1".to_owned(),
                EventStatus::Delivered,
                vec!["a_1".to_owned(), "a_2".to_owned()]
            ),
            ("e_2".to_owned(), EventStatus::Pending, vec![]),
        ]
    );
    // e_2 is due at 5 and was never claimed: still due, with a fresh round.
    let due = store.claim_due(at(5), Duration::from_secs(30), 10).unwrap();
    assert_eq!(
        due.iter()
            .map(|c| (c.event.id.as_str(), c.attempts_in_round))
            .collect::<Vec<_>>(),
        [("e_2", 0)]
    );
    store.release(&due[0]).unwrap();

    let versions = store.versions(&tenant(), "max-quantity").unwrap();
    let summary: Vec<(u32, PluginStatus, &[u8])> = versions
        .iter()
        .map(|v| (v.version, v.status, &*v.component))
        .collect();
    assert_eq!(
        summary,
        [
            (1, PluginStatus::Active, &b"one"[..]),
            (2, PluginStatus::Superseded, &b"two"[..])
        ]
    );
    assert_eq!(versions[1].uploaded_at, at(11));
    assert_eq!(store.generation(&tenant()).unwrap(), 3);
    assert_eq!(
        store.adapter_configuration("norce", "erp").unwrap(),
        Some(json!({"internalUrl": "https://erp.internal"}))
    );
}

/// Writer threads on both stores increment a counter kept in one order (its reference),
/// each a load and a compare-and-set, until each has committed `per_thread` times: every
/// commit gets a version of its own and starts from the one before it, so the counter ends
/// at the number of commits (a lost update would leave it short).
pub fn no_lost_updates(one: &dyn Storage, two: &dyn Storage, threads: usize, per_thread: usize) {
    let counter = |n: u64| order("norce", "b2c", "o_cas", &n.to_string());
    one.commit(OrderWrite::Insert(&counter(0)), vec![]).unwrap();
    let committed: Vec<(u64, u64)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let store = if t % 2 == 0 { one } else { two };
                s.spawn(move || {
                    let mut mine = Vec::new();
                    while mine.len() < per_thread {
                        let current = store.load(&key("o_cas")).unwrap().unwrap();
                        let n: u64 = current.order.reference.as_deref().unwrap().parse().unwrap();
                        let write = OrderWrite::Replace {
                            order: &counter(n + 1),
                            expected_version: current.version,
                        };
                        match store.commit(write, vec![]) {
                            Ok(version) => mine.push((version, n + 1)),
                            Err(StoreError::Conflict { expected, found }) => {
                                assert!(found > expected, "{found} after {expected}");
                            }
                            Err(other) => panic!("thread {t}: {other}"),
                        }
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let total = threads * per_thread;
    let versions: HashSet<u64> = committed.iter().map(|(v, _)| *v).collect();
    assert_eq!(versions.len(), total, "a version was handed out twice");
    // Version 1 was the insert (counter 0); each commit moved both by exactly one.
    for (version, n) in &committed {
        assert_eq!(*version, n + 1, "version {version} holds counter {n}");
    }
    let last = one.load(&key("o_cas")).unwrap().unwrap();
    let expected = total.to_string();
    assert_eq!(
        (last.version, last.order.reference.as_deref()),
        (1 + total as u64, Some(expected.as_str()))
    );
    assert_eq!(two.load(&key("o_cas")).unwrap().unwrap(), last);
}

/// Claimer threads on both stores take due events in small batches until none is left:
/// together they get every event, and no event twice.
pub fn claims_never_shared(one: &dyn Storage, two: &dyn Storage, events: usize) {
    let batch = (0..events)
        .map(|i| {
            event(
                &format!("e{i:04}"),
                "norce",
                "b2c",
                "o_1",
                "export",
                at((i % 11) as u64),
            )
        })
        .collect();
    one.append_events(batch).unwrap();
    let claimed: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let store = if t % 2 == 0 { one } else { two };
                s.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let claims = store.claim_due(at(20), Duration::from_secs(60), 5).unwrap();
                        if claims.is_empty() {
                            return mine;
                        }
                        mine.extend(claims.into_iter().map(|c| c.event.id));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut seen = HashSet::new();
    for id in &claimed {
        assert!(seen.insert(id.as_str()), "{id} was claimed twice");
    }
    assert_eq!(seen.len(), events);
}

/// Every field of the reference platform's order example, with awkward values (a NUL and
/// non-ASCII characters in a string, floats that are not short in binary, nested
/// attributes) stored with an event carrying it: both read back exactly as written.
pub fn a_full_order_and_its_event_round_trip(store: &dyn Storage) {
    let text = include_str!("../fixtures/full_order.json");
    let full: ordergate::model::Order = ordergate::model::from_json(text).unwrap();
    let full = Arc::new(full);
    assert_eq!(
        full.reference.as_deref(),
        Some("ref with \u{0} NUL, åäö and 📦")
    );
    let mut e = event("e_full", "norce", "b2c", "o_full", "export", at(0));
    e.payload.order = serde_json::to_value(&*full).unwrap().into();
    e.description = Some("also \u{0} here".into());
    store
        .commit(OrderWrite::Insert(&full), vec![e.clone()])
        .unwrap();
    assert_eq!(*store.load(&key("o_full")).unwrap().unwrap().order, *full);
    assert_eq!(store.get("norce", "e_full").unwrap().unwrap(), e);
}
