//! A webhook receiver for tests: a real axum server on 127.0.0.1:0 that verifies every
//! delivery's Standard Webhooks signature, counts requests per `webhook-id` (in total and
//! in flight at once), and answers 204 once it is open, after a delay.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ordergate_delivery::WebhookSecret;
use tokio::sync::watch;

/// What the receiver saw of one `webhook-id`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// Requests received.
    pub total: usize,
    /// Requests being answered right now.
    pub in_flight: usize,
    /// Most requests ever in flight at once.
    pub max_in_flight: usize,
}

/// Everything seen, per `webhook-id`, and the requests whose signature did not verify.
#[derive(Debug, Default)]
struct Record {
    seen: HashMap<String, Seen>,
    bad_signatures: Vec<String>,
}

struct Shared {
    record: Mutex<Record>,
    open: watch::Sender<bool>,
    delay: Duration,
    secret: WebhookSecret,
}

impl Shared {
    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running receiver.
pub struct Receiver {
    /// The URL notifications invoke.
    pub url: String,
    shared: Arc<Shared>,
}

/// Counts a request in flight until dropped (answered, or dropped with its connection).
struct InFlight {
    shared: Arc<Shared>,
    id: String,
}

impl InFlight {
    fn enter(shared: &Arc<Shared>, id: &str) -> Self {
        let mut record = shared.record();
        let seen = record.seen.entry(id.to_owned()).or_default();
        seen.total += 1;
        seen.in_flight += 1;
        seen.max_in_flight = seen.max_in_flight.max(seen.in_flight);
        Self {
            shared: Arc::clone(shared),
            id: id.to_owned(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(seen) = self.shared.record().seen.get_mut(&self.id) {
            seen.in_flight -= 1;
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn hook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let id = header(&headers, "webhook-id");
    let timestamp = header(&headers, "webhook-timestamp").parse().unwrap_or(0);
    let signature = header(&headers, "webhook-signature");
    if let Err(e) = shared
        .secret
        .verify(id, timestamp, &body, signature, SystemTime::now())
    {
        shared.record().bad_signatures.push(format!("{id}: {e}"));
    }
    let _counted = InFlight::enter(&shared, id);
    let mut open = shared.open.subscribe();
    let _ = open.wait_for(|open| *open).await;
    tokio::time::sleep(shared.delay).await;
    StatusCode::NO_CONTENT
}

impl Receiver {
    /// Starts a receiver verifying with `secret` that answers after `delay`, at once if
    /// `open`, else once [`Receiver::open`] is called.
    pub async fn start(secret: WebhookSecret, delay: Duration, open: bool) -> Self {
        let shared = Arc::new(Shared {
            record: Mutex::default(),
            open: watch::Sender::new(open),
            delay,
            secret,
        });
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{address}/hook"),
            shared,
        }
    }

    /// Lets held and future requests be answered.
    pub fn open(&self) {
        self.shared.open.send_replace(true);
    }

    /// What was seen, per `webhook-id`.
    pub fn seen(&self) -> HashMap<String, Seen> {
        self.shared.record().seen.clone()
    }

    /// Requests in flight right now, over every id.
    pub fn in_flight(&self) -> usize {
        self.seen().values().map(|s| s.in_flight).sum()
    }

    /// The requests whose signature did not verify, with why.
    pub fn bad_signatures(&self) -> Vec<String> {
        self.shared.record().bad_signatures.clone()
    }
}
