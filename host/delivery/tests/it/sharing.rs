//! Workers sharing one log: graceful shutdown hands claims back, and two workers never send
//! the same event at once.

use std::collections::BTreeMap;
use std::time::Duration;

use ordergate::clock::Clock;
use ordergate::events::{EventLog, EventStatus};
use ordergate_delivery::RunReport;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_send_in_flight_and_releases_the_rest() {
    let receiver =
        Receiver::start(vec![Reply::status(200).delay(Duration::from_millis(300))]).await;
    let clock = ManualClock::new();
    let store = store_with(
        ["e1", "e2", "e3"]
            .map(|id| event(id, Some(&receiver.url("/"))))
            .to_vec(),
    );
    let mut config = config(&clock);
    config.concurrency = 1;
    let worker = worker(&store, config, dev_policy());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    receiver.wait_for(1).await;
    stop.send(()).unwrap();
    let report = run.await.unwrap();
    assert_eq!(
        report,
        RunReport {
            claimed: 3,
            delivered: 1,
            released: 2,
            ..RunReport::default()
        }
    );
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(stored(&store, "e1").status, EventStatus::Delivered);
    // The clock has not moved, so the 60 s leases would still hold: released, the other
    // two are claimable at once by another log client.
    let claims = store
        .claim_due(clock.now(), Duration::from_secs(60), 10)
        .unwrap();
    let ids: Vec<_> = claims.iter().map(|c| c.event.id.as_str()).collect();
    assert_eq!(ids, ["e2", "e3"]);
    assert!(claims.iter().all(|c| c.event.attempts.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_send_each_due_event_once() {
    // Slow failures: both workers are busy at the same time, and every event comes back.
    let receiver =
        Receiver::start(vec![Reply::status(500).delay(Duration::from_millis(100))]).await;
    let clock = ManualClock::new();
    let ids = ["e1", "e2", "e3", "e4", "e5", "e6"];
    let store = store_with(ids.map(|id| event(id, Some(&receiver.url("/")))).to_vec());
    let mut config = config(&clock);
    config.batch = 3;
    let first = worker(&store, config.clone(), dev_policy());
    let second = worker(&store, config, dev_policy());

    let posts_per_event = || {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for request in receiver.received() {
            *counts
                .entry(request.header("webhook-id").to_owned())
                .or_default() += 1;
        }
        counts
    };
    for round in 1..=2 {
        let (a, b) = tokio::join!(first.run_once(), second.run_once());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!((a.claimed, b.claimed), (3, 3), "round {round}");
        assert_eq!(a.retrying + b.retrying, 6, "round {round}");
        let expected: BTreeMap<String, usize> =
            ids.iter().map(|id| (id.to_string(), round)).collect();
        assert_eq!(posts_per_event(), expected, "round {round}");
        // Nothing is due again until the policy's 5 seconds have passed.
        let (a, b) = tokio::join!(first.run_once(), second.run_once());
        assert_eq!((a.unwrap().claimed, b.unwrap().claimed), (0, 0));
        clock.advance(Duration::from_secs(5));
    }
    for id in ids {
        assert_eq!(stored(&store, id).attempts.len(), 2, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_whose_claim_was_taken_over_is_not_recorded() {
    let receiver =
        Receiver::start(vec![Reply::status(200).delay(Duration::from_millis(300))]).await;
    let clock = ManualClock::new();
    let store = store_with(vec![event("e1", Some(&receiver.url("/")))]);
    let worker = worker(&store, config(&clock), dev_policy());
    let sending = tokio::spawn(async move { worker.run_once().await.unwrap() });
    receiver.wait_for(1).await;
    // While the receiver thinks, the lease runs out and another worker claims the event.
    clock.advance(Duration::from_secs(61));
    let taken = store
        .claim_due(clock.now(), Duration::from_secs(60), 10)
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(
        sending.await.unwrap(),
        RunReport {
            claimed: 1,
            lost: 1,
            ..RunReport::default()
        }
    );
    let e = stored(&store, "e1");
    assert_eq!((e.status, e.attempts.len()), (EventStatus::Pending, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_lease_cannot_outlast_a_send_is_handed_back_unsent() {
    let receiver =
        Receiver::start(vec![Reply::status(200).delay(Duration::from_millis(300))]).await;
    let clock = ManualClock::new();
    let store = store_with(
        ["e1", "e2"]
            .map(|id| event(id, Some(&receiver.url("/"))))
            .to_vec(),
    );
    let mut config = config(&clock);
    config.concurrency = 1;
    let worker = worker(&store, config, dev_policy());
    let sending = tokio::spawn(async move { worker.run_once().await.unwrap() });
    receiver.wait_for(1).await;
    // e2 waits behind e1 until 50 s into its 60 s lease: a 15 s send could outlive it,
    // and another worker could then send e2 at the same time.
    clock.advance(Duration::from_secs(50));
    assert_eq!(
        sending.await.unwrap(),
        RunReport {
            claimed: 2,
            delivered: 1,
            released: 1,
            ..RunReport::default()
        }
    );
    assert_eq!(receiver.received().len(), 1);
    let claims = store
        .claim_due(clock.now(), Duration::from_secs(60), 10)
        .unwrap();
    let ids: Vec<_> = claims.iter().map(|c| c.event.id.as_str()).collect();
    assert_eq!(ids, ["e2"]);
    assert!(claims[0].event.attempts.is_empty());
}
