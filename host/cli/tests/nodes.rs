//! Several `ordergate serve` processes on one PostgreSQL schema, as a deployment runs them:
//! plugins apply across nodes, concurrent writes lose nothing, an event is never delivered
//! twice at once, a killed node's claims pass to another, and SIGTERM shuts a node down
//! without losing a request or stranding an event. Every process is the real binary.

#[path = "common/process.rs"]
mod process;
#[path = "common/receiver.rs"]
mod receiver;

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use ordergate_delivery::WebhookSecret;
use ordergate_store_sql::testing::fresh_postgres_url;
use process::{DEADLINE, Node, NodeOptions, request, run_to_end};
use receiver::Receiver;
use reqwest::{Client, Method};
use serde_json::{Value, json};

const ORDERS: &str = "/api/v0/checkout/orders";
const PLUGINS: &str = "/api/v0/checkout/plugins";
const EVENTS: &str = "/api/v1/events";

/// A runtime for the test's clients and receiver; nodes are started from its thread.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A fresh schema and a webhook secret for the merchant: the cluster's shared settings.
fn cluster() -> (String, WebhookSecret) {
    let secret = WebhookSecret::generate().expect("a random webhook secret");
    (fresh_postgres_url(), secret)
}

/// Polls `check` until it gives a value, panicking with `what` after [`DEADLINE`].
async fn eventually<T, F>(what: &str, mut check: impl FnMut() -> F) -> T
where
    F: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status();
    let body = response.text().await.expect("a body");
    assert_eq!(actual, status, "{body}");
    serde_json::from_str(&body).expect("a JSON body")
}

/// Creates an empty order through the node at `base`; returns its id.
async fn create_order(client: &Client, base: &str) -> String {
    let response = request(client, base, Method::POST, ORDERS)
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    let order = json_of(response, 201).await;
    order["id"].as_str().expect("an order id").to_owned()
}

/// An order, through `base`, whose reference notification fires (one event) toward `invoke`.
async fn order_with_event(client: &Client, base: &str, invoke: &str) -> String {
    let id = create_order(client, base).await;
    let notification = json!({
        "reference": "erp-sync", "adapterId": "erp", "scope": "/reference",
        "schema": {"type": "string"}, "invoke": invoke
    });
    let response = request(
        client,
        base,
        Method::POST,
        &format!("{ORDERS}/{id}/notifications"),
    )
    .json(&notification)
    .send()
    .await
    .expect("send");
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
    let response = request(
        client,
        base,
        Method::PUT,
        &format!("{ORDERS}/{id}/reference"),
    )
    .json(&json!({"reference": format!("ref-{id}")}))
    .send()
    .await
    .expect("send");
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    id
}

/// Every event of the merchant, as `base` lists them.
async fn events(client: &Client, base: &str) -> Vec<Value> {
    let response = request(client, base, Method::GET, &format!("{EVENTS}?limit=100"))
        .send()
        .await
        .expect("send");
    let page = json_of(response, 200).await;
    page["data"].as_array().expect("a page of events").clone()
}

/// Waits until every event is `delivered`, reading each through `GET /api/v1/events/{id}`
/// on `base`; returns them.
async fn all_delivered(client: &Client, base: &str, ids: &BTreeSet<String>) -> Vec<Value> {
    eventually("every event to be delivered", || async {
        let mut delivered = Vec::new();
        for id in ids {
            let response = request(client, base, Method::GET, &format!("{EVENTS}/{id}"))
                .send()
                .await
                .ok()?;
            let event = json_of(response, 200).await;
            if event["status"] != "delivered" {
                return None;
            }
            delivered.push(event);
        }
        Some(delivered)
    })
    .await
}

/// Asserts each event has exactly one recorded attempt, answered 204.
fn one_204_attempt_each(events: &[Value]) {
    for event in events {
        let attempts = event["attempts"].as_array().expect("attempts");
        let codes: Vec<&Value> = attempts.iter().map(|a| &a["statusCode"]).collect();
        assert_eq!(codes, [&json!(204)], "attempts of {}", event["id"]);
    }
}

fn ids_of(events: &[Value]) -> BTreeSet<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().expect("an event id").to_owned())
        .collect()
}

async fn upload_max_quantity(client: &Client, base: &str, max: u32) -> Value {
    let manifest =
        json!({"kind": "validation", "subscribeTo": ["cart"], "config": {"maxQuantity": max}});
    let form = reqwest::multipart::Form::new()
        .text("manifest", manifest.to_string())
        .part(
            "module",
            reqwest::multipart::Part::bytes(ordergate_test_support::read(
                ordergate_test_support::MAX_QUANTITY,
            )),
        );
    let response = request(
        client,
        base,
        Method::PUT,
        &format!("{PLUGINS}/max-quantity"),
    )
    .multipart(form)
    .send()
    .await
    .expect("send upload");
    json_of(response, 201).await
}

/// Puts a one-line cart of `quantity`; returns the status, the body and the ETag.
async fn put_cart(client: &Client, base: &str, order: &str, quantity: i64) -> (u16, Value, String) {
    let cart = json!({"items": [{"sku": "A1", "name": "Mug", "quantity": quantity}]});
    let response = request(client, base, Method::PUT, &format!("{ORDERS}/{order}/cart"))
        .json(&cart)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, response.json().await.expect("a JSON body"), etag)
}

#[test]
fn a_plugin_uploaded_through_one_node_applies_on_the_others_next_mutation() {
    let (url, secret) = cluster();
    let options = NodeOptions::cluster(&url, &secret.to_string());
    let (a, b) = (Node::start(&options), Node::start(&options));
    runtime().block_on(async {
        let client = Client::new();
        let order = create_order(&client, &b.base).await;
        // B has run a mutation without plugins: whatever it keeps, it must notice A's upload.
        let (status, _, etag) = put_cart(&client, &b.base, &order, 12).await;
        assert_eq!((status, etag.as_str()), (200, "\"2\""));

        let v1 = upload_max_quantity(&client, &a.base, 20).await;
        let v2 = upload_max_quantity(&client, &a.base, 10).await;
        assert_eq!(
            (v1["version"].clone(), v2["version"].clone()),
            (json!(1), json!(2))
        );
        let (status, refused, _) = put_cart(&client, &b.base, &order, 12).await;
        assert_eq!(status, 400);
        assert_eq!(
            refused["violations"],
            json!([{
                "plugin": "max-quantity",
                "path": "/cart/items/0/quantity",
                "code": "max-quantity-exceeded",
                "message": "quantity 12 exceeds the maximum of 10 per line"
            }])
        );

        let path = format!("{PLUGINS}/max-quantity/versions/1/activate");
        let response = request(&client, &b.base, Method::POST, &path)
            .send()
            .await
            .expect("send");
        assert_eq!(json_of(response, 200).await["version"], 1);
        let (status, _, etag) = put_cart(&client, &a.base, &order, 12).await;
        assert_eq!((status, etag.as_str()), (200, "\"3\""));
        let (status, refused, _) = put_cart(&client, &a.base, &order, 25).await;
        assert_eq!(status, 400);
        assert_eq!(
            refused["violations"][0]["message"],
            "quantity 25 exceeds the maximum of 20 per line"
        );

        let response = request(
            &client,
            &b.base,
            Method::DELETE,
            &format!("{PLUGINS}/max-quantity"),
        )
        .send()
        .await
        .expect("send");
        assert_eq!(response.status(), 204);
        let (status, _, etag) = put_cart(&client, &a.base, &order, 25).await;
        assert_eq!((status, etag.as_str()), (200, "\"4\""));
    });
}

/// A shadow uploaded through one node runs on the other's mutations, recorded in that
/// node's report and never enforced; promoted through the other, it decides on the first
/// node's next mutation.
#[test]
fn a_shadow_runs_on_every_node_and_its_promotion_applies_on_all() {
    let (url, secret) = cluster();
    let options = NodeOptions::cluster(&url, &secret.to_string());
    let (a, b) = (Node::start(&options), Node::start(&options));
    runtime().block_on(async {
        let client = Client::new();
        upload_max_quantity(&client, &a.base, 20).await;
        let manifest =
            json!({"kind": "validation", "subscribeTo": ["cart"], "config": {"maxQuantity": 10}});
        let module = ordergate_test_support::read(ordergate_test_support::MAX_QUANTITY);
        let form = reqwest::multipart::Form::new()
            .text("manifest", manifest.to_string())
            .part("module", reqwest::multipart::Part::bytes(module));
        let path = format!("{PLUGINS}/max-quantity?mode=shadow");
        let response = request(&client, &a.base, Method::PUT, &path)
            .multipart(form)
            .send()
            .await
            .expect("send");
        assert_eq!(json_of(response, 201).await["status"], "shadow");

        let order = create_order(&client, &b.base).await;
        let (status, _, _) = put_cart(&client, &b.base, &order, 12).await;
        assert_eq!(status, 200, "the shadow decides nothing");
        let report = format!("{PLUGINS}/max-quantity/shadow");
        let response = request(&client, &b.base, Method::GET, &report)
            .send()
            .await
            .expect("send");
        let report_b = json_of(response, 200).await;
        // B's creation and cart; the cart of 12 is over the shadow's 10.
        assert_eq!(
            (&report_b["runs"], &report_b["differed"]),
            (&json!(2), &json!(1))
        );
        let response = request(&client, &a.base, Method::GET, &report)
            .send()
            .await
            .expect("send");
        assert_eq!(
            json_of(response, 200).await["runs"],
            0,
            "each node reports its own runs"
        );

        let promote = format!("{PLUGINS}/max-quantity/shadow/promote");
        let response = request(&client, &b.base, Method::POST, &promote)
            .send()
            .await
            .expect("send");
        assert_eq!(json_of(response, 200).await["version"], 2);
        let (status, refused, _) = put_cart(&client, &a.base, &order, 12).await;
        assert_eq!(status, 400);
        assert_eq!(
            refused["violations"][0]["message"],
            "quantity 12 exceeds the maximum of 10 per line"
        );
    });
}

#[test]
fn concurrent_writes_through_two_nodes_lose_nothing() {
    const WRITERS: usize = 2 * 12;
    let (url, secret) = cluster();
    let options = NodeOptions::cluster(&url, &secret.to_string()).no_delivery();
    let (a, b) = (Node::start(&options), Node::start(&options));
    runtime().block_on(async {
        let client = Client::new();
        let order = create_order(&client, &a.base).await;
        let mut writers = tokio::task::JoinSet::new();
        for i in 0..WRITERS {
            let base = if i % 2 == 0 { &a.base } else { &b.base }.clone();
            let (client, path) = (client.clone(), format!("{ORDERS}/{order}/attributes"));
            writers.spawn(async move {
                // 409 means the engine's own retries were all contended: the write did not
                // happen, so trying again cannot double it.
                for _ in 0..50 {
                    let response = request(&client, &base, Method::PATCH, &path)
                        .json(&json!({format!("k{i}"): i}))
                        .send()
                        .await
                        .expect("send");
                    match response.status().as_u16() {
                        200 => return,
                        409 => {
                            let problem: Value = response.json().await.expect("a problem");
                            assert_eq!(problem["type"], "/problems/conflict");
                        }
                        other => panic!("write {i}: {other} {:?}", response.text().await),
                    }
                }
                panic!("write {i} stayed contended through 50 tries");
            });
        }
        while let Some(joined) = writers.join_next().await {
            joined.expect("a writer finished");
        }

        let response = request(&client, &b.base, Method::GET, &format!("{ORDERS}/{order}"))
            .send()
            .await
            .expect("send");
        let etag = response.headers()["etag"]
            .to_str()
            .expect("an ETag")
            .to_owned();
        let stored = json_of(response, 200).await;
        let expected: serde_json::Map<String, Value> =
            (0..WRITERS).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(stored["attributes"], Value::Object(expected));
        assert_eq!(etag, format!("\"{}\"", 1 + WRITERS));
    });
}

/// Log lines of a node's delivery attempts.
fn attempts_logged(node: &Node) -> usize {
    node.log()
        .iter()
        .filter(|l| l.contains("attempt made"))
        .count()
}

/// Two delivering nodes share more due events than one claims in a round (32), so both
/// claim, and the receiver answers each request after `delay` (within the 1 s timeout):
/// every event reaches it exactly once, signed with the merchant's secret, and never twice
/// in flight.
fn no_event_is_delivered_twice(delay: Duration) {
    const ORDERS_WITH_EVENTS: usize = 40;
    let (url, secret) = cluster();
    let options = NodeOptions::cluster(&url, &secret.to_string());
    let recorder = Node::start(&options.clone().no_delivery());
    runtime().block_on(async {
        let client = Client::new();
        let receiver = Receiver::start(secret, delay, true).await;
        for _ in 0..ORDERS_WITH_EVENTS {
            order_with_event(&client, &recorder.base, &receiver.url).await;
        }
        let ids = ids_of(&events(&client, &recorder.base).await);
        assert_eq!(ids.len(), ORDERS_WITH_EVENTS);

        let (a, b) = (Node::start(&options), Node::start(&options));
        let delivered = all_delivered(&client, &recorder.base, &ids).await;
        one_204_attempt_each(&delivered);
        let seen = receiver.seen();
        assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), ids);
        for (id, seen) in &seen {
            assert_eq!((seen.total, seen.max_in_flight), (1, 1), "{id}");
        }
        assert_eq!(receiver.bad_signatures(), Vec::<String>::new());
        let (by_a, by_b) = (attempts_logged(&a), attempts_logged(&b));
        assert_eq!(by_a + by_b, ORDERS_WITH_EVENTS);
        assert!(
            by_a > 0 && by_b > 0,
            "both nodes deliver: {by_a} and {by_b}"
        );
    });
}

#[test]
fn two_delivering_nodes_never_send_an_event_twice() {
    no_event_is_delivered_twice(Duration::from_millis(300));
}

/// A node sends 8 at once: the last of its 32 claims wait 3 answers of 700 ms, past their
/// 2 s lease, which the other node may then take. A claim whose lease cannot outlast a send
/// must be handed back, not sent.
#[test]
fn a_slow_receiver_is_not_sent_an_event_twice() {
    no_event_is_delivered_twice(Duration::from_millis(700));
}

#[test]
fn a_killed_nodes_claimed_events_are_delivered_by_another() {
    const ORDERS_WITH_EVENTS: usize = 3;
    let (url, secret) = cluster();
    // The lease is what hands A's claims over; A's own sends must not time out (and be
    // recorded) before it is killed, hence a timeout just under it.
    let options = NodeOptions::cluster(&url, &secret.to_string()).lease("5s", "4s");
    let mut a = Node::start(&options);
    runtime().block_on(async {
        let client = Client::new();
        let receiver = Receiver::start(secret, Duration::ZERO, false).await;
        for _ in 0..ORDERS_WITH_EVENTS {
            order_with_event(&client, &a.base, &receiver.url).await;
        }
        let ids = ids_of(&events(&client, &a.base).await);
        assert_eq!(ids.len(), ORDERS_WITH_EVENTS);
        eventually("A's sends to reach the receiver", || async {
            (receiver.seen().len() == ORDERS_WITH_EVENTS).then_some(())
        })
        .await;
        a.kill();
        receiver.open();

        let b = Node::start(&options);
        let delivered = all_delivered(&client, &b.base, &ids).await;
        // A's attempts died with it; only B's answers are on record.
        one_204_attempt_each(&delivered);
        for (id, seen) in receiver.seen() {
            assert_eq!(seen.total, 2, "{id}: A's unrecorded send, then B's");
        }
        assert_eq!(receiver.bad_signatures(), Vec::<String>::new());
    });
}

/// An `Expect: 100-continue` PATCH of the order's attributes, sent up to its body: once the
/// server's 100 Continue is read, the request is in the server's hands, waiting for a body.
fn start_slow_patch(base: &str, order: &str, body: &str) -> std::net::TcpStream {
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the node");
    stream
        .set_read_timeout(Some(DEADLINE))
        .expect("a read timeout");
    let head = format!(
        "PATCH {ORDERS}/{order}/attributes HTTP/1.1\r\nhost: {address}\r\n\
         x-merchant: {}\r\nx-channel: b2c\r\nauthorization: {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\
         expect: 100-continue\r\nconnection: close\r\n\r\n",
        process::MERCHANT,
        process::KEY,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send the head");
    let mut continued = [0; 25];
    stream.read_exact(&mut continued).expect("100 Continue");
    assert_eq!(&continued, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream
}

#[test]
fn sigterm_finishes_in_flight_work_and_releases_unsent_claims() {
    // More events than a worker sends at once (8): the rest stay claimed but unsent.
    const ORDERS_WITH_EVENTS: usize = 12;
    const SENT_AT_ONCE: usize = 8;
    let (url, secret) = cluster();
    // A lease far beyond every wait here: only a release lets another node take the events.
    let options = NodeOptions::cluster(&url, &secret.to_string()).lease("60s", "30s");
    let recorder = Node::start(&options.clone().no_delivery());
    runtime().block_on(async {
        let client = Client::new();
        let receiver = Receiver::start(secret, Duration::ZERO, false).await;
        for _ in 0..ORDERS_WITH_EVENTS {
            order_with_event(&client, &recorder.base, &receiver.url).await;
        }
        let ids = ids_of(&events(&client, &recorder.base).await);
        let order = create_order(&client, &recorder.base).await;

        // A claims every due event in its first round and sends 8; the receiver holds them.
        let mut a = Node::start(&options);
        eventually("A's first sends to be held", || async {
            (receiver.in_flight() == SENT_AT_ONCE).then_some(())
        })
        .await;
        let body = r#"{"late": "but kept"}"#;
        let mut slow = start_slow_patch(&a.base, &order, body);
        a.terminate();
        a.wait_for_log("shutting down");
        slow.write_all(body.as_bytes()).expect("send the body");
        let mut answer = String::new();
        slow.read_to_string(&mut answer).expect("the answer");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        // A still runs: it waits for the deliveries the receiver holds.
        assert!(a.is_running(), "{:#?}", a.log());

        receiver.open();
        let status = a.wait_exit();
        assert_eq!(status.code(), Some(0), "{:#?}", a.log());
        let stopped = a.wait_for_log("delivery worker stopped");
        assert!(
            stopped.contains(&format!("delivered={SENT_AT_ONCE}"))
                && stopped.contains(&format!("released={}", ORDERS_WITH_EVENTS - SENT_AT_ONCE)),
            "{stopped}"
        );

        let c = Node::start(&options);
        let delivered = all_delivered(&client, &c.base, &ids).await;
        one_204_attempt_each(&delivered);
        for (id, seen) in receiver.seen() {
            assert_eq!(seen.total, 1, "{id}");
        }
        assert_eq!(receiver.seen().len(), ORDERS_WITH_EVENTS);
        let response = request(&client, &c.base, Method::GET, &format!("{ORDERS}/{order}"))
            .send()
            .await
            .expect("send");
        assert_eq!(
            json_of(response, 200).await["attributes"],
            json!({"late": "but kept"})
        );
    });
}

#[test]
fn serve_refuses_to_start_open_without_dev_and_warns_first_in_dev() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let args = ["serve", "--listen", "127.0.0.1:0", "--data-dir"].map(str::to_owned);
    let mut args = args.to_vec();
    args.push(dir.path().display().to_string());
    let (status, stderr) = run_to_end(&args);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ORDERGATE_API_KEYS"), "{stderr}");

    let dev = NodeOptions {
        database_url: None,
        webhook_secret: None,
        api_keys: None,
        delivery: true,
        lease: "60s",
        timeout: "15s",
        dev: true,
    };
    let node = Node::start(&dev);
    let first = node.log().into_iter().next().expect("a first log line");
    assert!(
        first.contains("WARN") && first.contains("development mode"),
        "{first}"
    );
    runtime().block_on(async {
        // Open indeed: no key needed.
        let response = Client::new()
            .post(format!("{}{ORDERS}", node.base))
            .header("x-merchant", "anyone")
            .header("x-channel", "b2c")
            .json(&json!({}))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 201);
    });
}
