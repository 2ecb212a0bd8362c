//! Deliveries to real receivers on loopback: what is sent, and what each answer records.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ordergate::clock::Clock;
use ordergate::events::{
    Attempt, AttemptOutcome, EventFilter, EventLog, EventStatus, NotificationEvent,
};
use ordergate::model::{self, NewOrder};
use ordergate::store::{MemoryStore, Storage};
use ordergate::{Host, Mutation, Scope};
use ordergate_delivery::{DeliveryObserver, RunReport, Secrets, WebhookSecret};
use serde_json::{Value, json};

use crate::common::*;

fn report(claimed: usize, delivered: usize, retrying: usize, failed: usize) -> RunReport {
    RunReport {
        claimed,
        delivered,
        retrying,
        failed,
        ..RunReport::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_of_the_real_engine_is_delivered_signed_exactly_once() {
    let receiver = Receiver::start(vec![Reply::status(200).header("x-receipt", "r-1")]).await;
    let clock = ManualClock::new();
    let store = Arc::new(MemoryStore::new());
    let host = Host::builder()
        .store(Arc::clone(&store) as Arc<dyn Storage>)
        .clock(Arc::clone(&clock) as Arc<dyn Clock>)
        .build()
        .unwrap();
    let scope = Scope::new(MERCHANT, CHANNEL);
    let order = host
        .create_order(&scope, NewOrder::default())
        .unwrap()
        .order;
    let notification: model::Notification = serde_json::from_value(json!({
        "reference": "export", "scope": "/reference", "schema": {"type": "string"},
        "invoke": receiver.url("/hooks/{order_id}"),
    }))
    .unwrap();
    host.mutate(
        &scope,
        &order.id,
        Mutation::CreateNotification(notification),
    )
    .unwrap();
    host.mutate(&scope, &order.id, Mutation::SetReference("ext-42".into()))
        .unwrap();
    let page = store
        .list(MERCHANT, &EventFilter::default(), 0, 10)
        .unwrap();
    assert_eq!(
        page.data.len(),
        1,
        "setting the reference fires the notification"
    );
    let event = page.data[0].clone();

    let worker = worker(&store, config(&clock), dev_policy());
    assert_eq!(worker.run_once().await.unwrap(), report(1, 1, 0, 0));

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/hooks/{}", order.id));
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("webhook-id"), event.id);
    let timestamp = clock.now().duration_since(std::time::UNIX_EPOCH).unwrap();
    assert_eq!(
        request.header("webhook-timestamp"),
        timestamp.as_secs().to_string()
    );
    assert_eq!(request.header("x-merchant"), MERCHANT);
    assert_eq!(request.header("x-channel"), CHANNEL);
    assert_eq!(request.header("user-agent"), "ordergate/0.1.0");
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, *event.payload.order);
    assert_eq!(body["reference"], "ext-42");
    let secret = WebhookSecret::parse(SECRET).unwrap();
    assert_eq!(
        secret.verify(
            &event.id,
            timestamp.as_secs() as i64,
            &request.body,
            request.header("webhook-signature"),
            clock.now(),
        ),
        Ok(())
    );

    let delivered = stored(&store, &event.id);
    assert_eq!(delivered.status, EventStatus::Delivered);
    assert_eq!(delivered.attempts.len(), 1);
    let attempt = &delivered.attempts[0];
    assert_eq!(
        (attempt.id.as_str(), attempt.timestamp, attempt.status_code),
        ("att_1", clock.now(), 200)
    );
    assert_eq!(attempt.response_body, None);
    assert_eq!(
        stable_headers(attempt.response_headers.as_ref().unwrap()),
        BTreeMap::from([
            ("content-length".to_owned(), vec!["0".to_owned()]),
            ("x-receipt".to_owned(), vec!["r-1".to_owned()]),
        ])
    );
    // Delivered events are not sent again.
    clock.advance(Duration::from_secs(86_400));
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0, 0));
    assert_eq!(receiver.received().len(), 1);
}

/// Records what the worker tells its observer.
#[derive(Default)]
struct Outcomes(Mutex<Vec<(String, i32, AttemptOutcome)>>);

impl DeliveryObserver for Outcomes {
    fn attempted(
        &self,
        event: &NotificationEvent,
        attempt: &Attempt,
        outcome: &AttemptOutcome,
        _elapsed: Duration,
    ) {
        let seen = (event.id.clone(), attempt.status_code, *outcome);
        self.0.lock().unwrap().push(seen);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_is_retried_after_the_policys_delay() {
    let problem = r#"{"type":"about:blank","title":"ERP down","status":500}"#;
    let receiver = Receiver::start(vec![
        Reply::status(500)
            .header("content-type", "application/problem+json")
            .body(problem),
        Reply::status(200),
    ])
    .await;
    let clock = ManualClock::new();
    let store = store_with(vec![event("e1", Some(&receiver.url("/hook")))]);
    let observer = Arc::new(Outcomes::default());
    let worker = worker(&store, config(&clock), dev_policy())
        .with_observer(Arc::clone(&observer) as Arc<dyn DeliveryObserver>);

    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 1, 0));
    let e = stored(&store, "e1");
    let retry_at = t0() + Duration::from_secs(5);
    assert_eq!((e.status, e.due_at), (EventStatus::Pending, retry_at));
    assert_eq!(e.attempts[0].status_code, 500);
    assert_eq!(
        e.attempts[0].response_body,
        Some(json!({"type": "about:blank", "title": "ERP down", "status": 500}))
    );
    // Not due yet: nothing is sent.
    clock.advance(Duration::from_secs(4));
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0, 0));
    assert_eq!(receiver.received().len(), 1);

    clock.advance(Duration::from_secs(1));
    assert_eq!(worker.run_once().await.unwrap(), report(1, 1, 0, 0));
    let e = stored(&store, "e1");
    assert_eq!(e.status, EventStatus::Delivered);
    let codes: Vec<_> = e
        .attempts
        .iter()
        .map(|a| (a.status_code, a.timestamp))
        .collect();
    assert_eq!(codes, [(500, t0()), (200, retry_at)]);
    let ids: Vec<_> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    assert_eq!(ids, ["e1", "e1"], "webhook-id is stable across attempts");
    assert_eq!(
        *observer.0.lock().unwrap(),
        [
            ("e1".to_owned(), 500, AttemptOutcome::RetryAt(retry_at)),
            ("e1".to_owned(), 200, AttemptOutcome::Delivered),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_is_status_0_and_retried() {
    let addr = closed_port().await;
    let clock = ManualClock::new();
    let store = store_with(vec![event("e1", Some(&format!("http://{addr}/hook")))]);
    let worker = worker(&store, config(&clock), dev_policy());
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 1, 0));
    let e = stored(&store, "e1");
    assert_eq!(e.due_at, t0() + Duration::from_secs(5));
    let attempt = &e.attempts[0];
    assert_eq!((attempt.status_code, &attempt.response_headers), (0, &None));
    let body = attempt.response_body.as_ref().unwrap();
    assert_eq!(body["type"], "urn:ordergate:delivery:connect");
    assert_eq!(body["title"], "The receiver could not be reached");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("Connection refused"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_slower_than_the_timeout_is_status_0() {
    let receiver = Receiver::start(vec![Reply::status(200).delay(Duration::from_secs(30))]).await;
    let clock = ManualClock::new();
    let store = store_with(vec![event("e1", Some(&receiver.url("/slow")))]);
    let mut config = config(&clock);
    config.request_timeout = Duration::from_millis(200);
    let worker = worker(&store, config, dev_policy());
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 1, 0));
    assert_eq!(receiver.received().len(), 1);
    let attempt = &stored(&store, "e1").attempts[0];
    assert_eq!(attempt.status_code, 0);
    assert_eq!(
        attempt.response_body,
        Some(problem(
            "timeout",
            "The receiver did not answer in time",
            "timed out after 200ms without a complete answer"
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_fails_at_once_and_retry_after_sets_the_next_attempt() {
    let gone = Receiver::start(vec![Reply::status(410)]).await;
    let busy = Receiver::start(vec![Reply::status(429).header("retry-after", "120")]).await;
    let clock = ManualClock::new();
    let store = store_with(vec![
        event("gone", Some(&gone.url("/"))),
        event("busy", Some(&busy.url("/"))),
    ]);
    let worker = worker(&store, config(&clock), dev_policy());
    assert_eq!(worker.run_once().await.unwrap(), report(2, 0, 1, 1));
    let e = stored(&store, "gone");
    assert_eq!(
        (e.status, e.attempts[0].status_code),
        (EventStatus::Failed, 410)
    );
    let e = stored(&store, "busy");
    assert_eq!(
        (e.status, e.due_at, e.attempts[0].status_code),
        (EventStatus::Pending, t0() + Duration::from_secs(120), 429)
    );
    // The policy's 5 seconds do not apply; a failed event is never sent again by itself.
    clock.advance(Duration::from_secs(119));
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0, 0));
    clock.advance(Duration::from_secs(1));
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 1, 0));
    assert_eq!((gone.received().len(), busy.received().len()), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_answers_not_followed() {
    let target = Receiver::start(vec![Reply::status(200)]).await;
    let redirecting = Receiver::start(vec![
        Reply::status(307).header("location", &target.url("/")),
    ])
    .await;
    let clock = ManualClock::new();
    let store = store_with(vec![event("e1", Some(&redirecting.url("/")))]);
    let worker = worker(&store, config(&clock), dev_policy());
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 1, 0));
    assert_eq!(target.received().len(), 0);
    let attempt = &stored(&store, "e1").attempts[0];
    assert_eq!(attempt.status_code, 307);
    assert_eq!(
        attempt.response_body.as_ref().unwrap()["title"],
        "The receiver answered 307 (redirects are not followed)"
    );
    assert_eq!(
        attempt.response_headers.as_ref().unwrap()["location"],
        [target.url("/")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_without_a_secret_or_an_invoke_url() {
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let clock = ManualClock::new();
    let mut unresolved = event("unresolved", None);
    unresolved.error = Some("placeholder {configuration.erp.url} has no value".into());
    let mut other_merchant = event("acme", Some(&receiver.url("/")));
    other_merchant.merchant = "acme".into();
    let store = store_with(vec![unresolved, other_merchant]);
    let worker = worker(&store, config(&clock), dev_policy());
    assert_eq!(worker.run_once().await.unwrap(), report(2, 0, 2, 0));
    assert_eq!(receiver.received().len(), 0);

    let e = stored(&store, "unresolved");
    assert_eq!(
        (e.status, e.due_at, e.attempts[0].status_code),
        (EventStatus::Pending, t0() + Duration::from_secs(5), 0)
    );
    assert_eq!(
        e.attempts[0].response_body,
        Some(problem(
            "no-invoke",
            "The invoke URL could not be resolved",
            "placeholder {configuration.erp.url} has no value"
        ))
    );
    let e = store.get("acme", "acme").unwrap().unwrap();
    assert_eq!(e.attempts[0].status_code, 0);
    assert_eq!(
        e.attempts[0].response_body,
        Some(problem(
            "no-secret",
            "No signing secret is configured",
            "merchant \"acme\" has no webhook signing secret configured; events are never sent \
             unsigned"
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_secret_of_a_merchant_signs() {
    let receiver = Receiver::start(vec![Reply::status(204)]).await;
    let clock = ManualClock::new();
    let store = store_with(vec![event("e1", Some(&receiver.url("/")))]);
    let (old, new) = (
        WebhookSecret::parse(SECRET).unwrap(),
        WebhookSecret::generate().unwrap(),
    );
    let secrets: Secrets = format!("{MERCHANT}:{old},{MERCHANT}:{new}")
        .parse()
        .unwrap();
    let worker = ordergate_delivery::DeliveryWorker::new(
        Arc::clone(&store) as Arc<dyn EventLog>,
        config(&clock),
        Arc::new(secrets),
        dev_policy(),
    )
    .unwrap();
    assert_eq!(worker.run_once().await.unwrap(), report(1, 1, 0, 0));
    let request = &receiver.received()[0];
    let signatures = request.header("webhook-signature");
    assert_eq!(signatures.split(' ').count(), 2);
    let ts: i64 = request.header("webhook-timestamp").parse().unwrap();
    for secret in [old, new] {
        let only = signatures
            .split(' ')
            .filter(|s| {
                secret
                    .verify("e1", ts, &request.body, s, clock.now())
                    .is_ok()
            })
            .count();
        assert_eq!(only, 1, "exactly one signature is {secret:?}'s");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_receiver_cannot_bloat_the_log() {
    let huge = "x".repeat(1 << 20);
    let mut reply = Reply::status(500).body(&huge);
    for i in 0..90 {
        reply
            .headers
            .push((leak(format!("x-junk-{i}")), "y".repeat(2000)));
    }
    let receiver = Receiver::start(vec![reply]).await;
    let clock = ManualClock::new();
    let store = store_with(vec![event("e1", Some(&receiver.url("/")))]);
    let worker = worker(&store, config(&clock), dev_policy());
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 1, 0));
    let attempt = &stored(&store, "e1").attempts[0];
    assert_eq!(attempt.status_code, 500);
    let body = attempt.response_body.as_ref().unwrap();
    assert_eq!(body["title"], "The receiver answered 500");
    assert_eq!(body["detail"], format!("{}…", &huge[..1024]));
    let headers = attempt.response_headers.as_ref().unwrap();
    let values: usize = headers.values().map(Vec::len).sum();
    assert_eq!(values, ordergate_delivery::MAX_HEADERS);
    assert!(
        headers
            .values()
            .flatten()
            .all(|v| v.len() <= ordergate_delivery::MAX_HEADER_VALUE_BYTES)
    );
    // 64 headers of at most 1 KiB, a 1 KiB excerpt: the attempt stays small.
    let written = serde_json::to_vec(attempt).unwrap().len();
    assert!(written < 70 * 1024, "{written} bytes");
}

/// Header names of the receiver's script are `&'static str`.
fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}
