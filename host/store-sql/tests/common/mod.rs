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

/// Writer threads on both stores compare-and-set one order until each has committed
/// `per_thread` times: every commit gets a version of its own, none is lost (the final
/// version counts them all, and the stored order is the last commit's).
pub fn no_lost_updates(one: &dyn Storage, two: &dyn Storage, threads: usize, per_thread: usize) {
    let first = order("norce", "b2c", "o_cas", "start");
    one.commit(OrderWrite::Insert(&first), vec![]).unwrap();
    let committed: Vec<(u64, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let store = if t % 2 == 0 { one } else { two };
                s.spawn(move || {
                    let mut mine = Vec::new();
                    let mut conflicts = 0;
                    while mine.len() < per_thread {
                        let current = store.load(&key("o_cas")).unwrap().unwrap();
                        let reference = format!("t{t}-{}", mine.len());
                        let next = order("norce", "b2c", "o_cas", &reference);
                        let write = OrderWrite::Replace {
                            order: &next,
                            expected_version: current.version,
                        };
                        match store.commit(write, vec![]) {
                            Ok(version) => mine.push((version, reference)),
                            Err(StoreError::Conflict { expected, found }) => {
                                assert!(found > expected, "{found} after {expected}");
                                conflicts += 1;
                            }
                            Err(other) => panic!("thread {t}: {other}"),
                        }
                    }
                    let _ = conflicts;
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let versions: HashSet<u64> = committed.iter().map(|(v, _)| *v).collect();
    assert_eq!(
        versions.len(),
        threads * per_thread,
        "a version was handed out twice"
    );
    let last = one.load(&key("o_cas")).unwrap().unwrap();
    // Version 1 was the insert; each successful replace moved it by exactly one.
    assert_eq!(last.version, 1 + (threads * per_thread) as u64);
    let (_, last_reference) = committed.iter().max_by_key(|(v, _)| *v).unwrap();
    assert_eq!(
        last.order.reference.as_deref(),
        Some(last_reference.as_str())
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
