//! What the delivery tests share: a real HTTP receiver on loopback, a clock the test moves,
//! events, and workers on a `MemoryStore`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response, Uri};
use ordergate::clock::{Clock, SequentialIds};
use ordergate::events::{EventLog, EventPayload, EventStatus, NotificationEvent};
use ordergate::model::{BodyVersion, Notification};
use ordergate::store::{MemoryStore, OrderStore};
use ordergate_delivery::{DeliveryConfig, DeliveryWorker, Secrets, UrlPolicy, WebhookSecret};
use serde_json::json;

pub const MERCHANT: &str = "norce";
pub const CHANNEL: &str = "b2c";
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// 2024-04-26T09:09:14Z, where every test's clock starts.
pub fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_122_554)
}

/// A clock that stands still until the test moves it.
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(t0())))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// One answer of a receiver.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Waited before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

struct ReceiverState {
    /// The n-th request gets `replies[n]`, the last one once they run out.
    replies: Vec<Reply>,
    received: Mutex<Vec<Received>>,
}

/// An axum server on 127.0.0.1:0 answering with a script and recording every request.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub async fn start(replies: Vec<Reply>) -> Self {
        let state = Arc::new(ReceiverState {
            replies,
            received: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (without a deadline of its own: the test harness has one) until `n` requests
    /// arrived.
    pub async fn wait_for(&self, n: usize) {
        while self.received().len() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn answer(
    State(state): State<Arc<ReceiverState>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let reply = {
        let mut received = state.received.lock().unwrap();
        received.push(Received {
            method: method.to_string(),
            path: uri.path().to_owned(),
            headers,
            body,
        });
        let n = received.len() - 1;
        state.replies[n.min(state.replies.len() - 1)].clone()
    };
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(*name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// A port nothing listens on: bound, then closed.
pub async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A pending event of `MERCHANT`, due at `t0`, for `invoke`.
pub fn event(id: &str, invoke: Option<&str>) -> NotificationEvent {
    NotificationEvent {
        id: id.into(),
        created_at: t0(),
        merchant: MERCHANT.into(),
        channel: CHANNEL.into(),
        order_id: "o_1".into(),
        adapter_id: Some("erp".into()),
        reference: "export".into(),
        description: None,
        payload: EventPayload {
            notification: Notification::default(),
            order: json!({"id": "o_1", "merchant": MERCHANT, "cart": {"items": []}}).into(),
        },
        attempts: Vec::new(),
        version: BodyVersion::V0,
        invoke: invoke.map(str::to_owned),
        error: None,
        due_at: t0(),
        status: EventStatus::Pending,
    }
}

/// A store holding these events.
pub fn store_with(events: Vec<NotificationEvent>) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    store.append_events(events).unwrap();
    store
}

/// The test configuration: the test's clock, sequential attempt ids, no jitter.
pub fn config(clock: &Arc<ManualClock>) -> DeliveryConfig {
    let mut config = DeliveryConfig {
        clock: Arc::clone(clock) as Arc<dyn Clock>,
        ids: Arc::new(SequentialIds::default()),
        ..DeliveryConfig::default()
    };
    config.retry.jitter = 0.0;
    config
}

/// `MERCHANT`'s secrets: `SECRET`.
pub fn secrets() -> Arc<Secrets> {
    let mut secrets = Secrets::new();
    secrets.insert(MERCHANT, WebhookSecret::parse(SECRET).unwrap());
    Arc::new(secrets)
}

/// Receivers on loopback need private addresses allowed.
pub fn dev_policy() -> UrlPolicy {
    UrlPolicy {
        allow_private: true,
        allow: Vec::new(),
    }
}

/// A worker on `store` with `config`, `MERCHANT`'s secret and `policy`.
pub fn worker(
    store: &Arc<MemoryStore>,
    config: DeliveryConfig,
    policy: UrlPolicy,
) -> DeliveryWorker {
    DeliveryWorker::new(
        Arc::clone(store) as Arc<dyn EventLog>,
        config,
        secrets(),
        policy,
    )
    .unwrap()
}

/// The merchant's event `id` as stored.
pub fn stored(store: &MemoryStore, id: &str) -> NotificationEvent {
    store.get(MERCHANT, id).unwrap().unwrap()
}

/// The problem object the worker records for a failure without an answer.
pub fn problem(slug: &str, title: &str, detail: &str) -> serde_json::Value {
    json!({"type": format!("urn:ordergate:delivery:{slug}"), "title": title, "detail": detail})
}

/// `headers` as an attempt records them, without the ones whose value changes per run.
pub fn stable_headers(headers: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    headers
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(name, values)| (name.clone(), values.clone()))
        .collect()
}
