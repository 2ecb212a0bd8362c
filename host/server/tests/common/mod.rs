//! The test harness: a real server on 127.0.0.1:0 over a given store, a real HTTP client,
//! and `on_backends!`, which runs every scenario of a test file on every storage backend
//! (one line per backend).

#![allow(dead_code, unused_macros, unused_imports)]

use std::sync::Arc;

use ordergate::Host;
use ordergate::store::{MemoryStore, Storage};
use ordergate_server::{AllowAllInvokes, ApiKeys, AppState, InvokeCheck, ServerConfig, router};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

pub const MERCHANT: &str = "acme";
pub const KEY: &str = "acme-key";
pub const OTHER_MERCHANT: &str = "globex";
pub const OTHER_KEY: &str = "globex-key";
pub const CHANNEL: &str = "b2c";
pub const ORDERS: &str = "/api/v0/checkout/orders";
pub const PLUGINS: &str = "/api/v0/checkout/plugins";

/// What keeps a backend alive besides the store (e.g. a SQLite file's directory).
pub type Keep = Box<dyn std::any::Any + Send>;

/// A fresh in-memory store.
pub fn memory() -> (Arc<dyn Storage>, Keep) {
    (Arc::new(MemoryStore::new()), Box::new(()))
}

/// A fresh SQLite database in a temporary directory.
pub fn sqlite() -> (Arc<dyn Storage>, Keep) {
    let (store, dir) = ordergate_store_sql::testing::fresh_sqlite();
    (Arc::new(store), Box::new(dir))
}

/// A fresh schema in the test PostgreSQL (`ORDERGATE_TEST_POSTGRES`, `.ci/postgres`).
pub fn postgres() -> (Arc<dyn Storage>, Keep) {
    (
        Arc::new(ordergate_store_sql::testing::fresh_postgres()),
        Box::new(()),
    )
}

/// Runs each scenario (an `async fn(Arc<dyn Storage>)` of the test file) once per backend:
/// `on_backends!([scenario, …], { memory: crate::common::memory(), … })`. Adding a backend
/// is one `name: constructor` line. The store is opened outside the async runtime (the
/// synchronous PostgreSQL client runs one of its own).
macro_rules! on_backends {
    ($scenarios:tt, { $($backend:ident : $store:expr),* $(,)? }) => {
        $( on_backends!(@backend $backend, $store, $scenarios); )*
    };
    (@backend $backend:ident, $store:expr, [$($scenario:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[test]
                fn $scenario() {
                    let (store, keep) = $store;
                    crate::common::run(super::$scenario(store));
                    drop(keep);
                }
            )*
        }
    };
}
pub(crate) use on_backends;

/// Runs a scenario on a multi-threaded runtime of its own.
pub fn run(scenario: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(scenario);
}

/// The configuration of the test servers: two merchants with a key each.
pub fn config() -> ServerConfig {
    ServerConfig {
        api_keys: ApiKeys::parse(&format!("{MERCHANT}:{KEY},{OTHER_MERCHANT}:{OTHER_KEY}"))
            .expect("keys parse"),
        ..ServerConfig::default()
    }
}

/// A running server and a client for it.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
}

/// Starts a server over `store` with the test [`config`].
pub async fn start(store: Arc<dyn Storage>) -> Server {
    start_with(store, config()).await
}

/// Starts a server over `store` with `config`, accepting every invoke URL.
pub async fn start_with(store: Arc<dyn Storage>, config: ServerConfig) -> Server {
    start_server(store, config, |_| Arc::new(AllowAllInvokes)).await
}

/// THE way tests start a server: over `store`, with `config` and the invoke check
/// `invoke_check` makes for the server's engine.
pub async fn start_server(
    store: Arc<dyn Storage>,
    config: ServerConfig,
    invoke_check: impl FnOnce(Arc<Host>) -> Arc<dyn InvokeCheck>,
) -> Server {
    let host = Arc::new(Host::builder().store(store).build().expect("engine builds"));
    let check = invoke_check(Arc::clone(&host));
    let state = AppState::with_invoke_check(host, config, check).expect("state builds");
    let app = router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        state,
    }
}

impl Server {
    /// A request without any header.
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// A request as merchant `acme`, channel `b2c`, with its key.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.as_merchant(MERCHANT, KEY, method, path)
    }

    /// A request as `merchant` with `key`.
    pub fn as_merchant(
        &self,
        merchant: &str,
        key: &str,
        method: Method,
        path: &str,
    ) -> RequestBuilder {
        self.bare(method, path)
            .header("x-merchant", merchant)
            .header("x-channel", CHANNEL)
            .header("authorization", key)
    }

    /// Creates an order with `body`; returns it.
    pub async fn create_order(&self, body: Value) -> Value {
        let response = self
            .req(Method::POST, ORDERS)
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 201, "create order");
        response.json().await.expect("order json")
    }

    /// Uploads an example plugin through the plugin route; returns the answer's JSON.
    pub async fn upload(&self, id: &str, path: &str, manifest: Value) -> Response {
        let bytes = ordergate_test_support::read(path);
        self.upload_bytes(id, bytes, manifest).await
    }

    /// Uploads `bytes` as plugin `id`.
    pub async fn upload_bytes(&self, id: &str, bytes: Vec<u8>, manifest: Value) -> Response {
        let form = reqwest::multipart::Form::new()
            .text("manifest", manifest.to_string())
            .part("module", reqwest::multipart::Part::bytes(bytes));
        self.req(Method::PUT, &format!("{PLUGINS}/{id}"))
            .multipart(form)
            .send()
            .await
            .expect("send upload")
    }

    /// Installs max-quantity with `{"maxQuantity": 10}`.
    pub async fn install_max_quantity(&self) {
        let manifest =
            json!({"kind": "validation", "subscribeTo": ["cart"], "config": {"maxQuantity": 10}});
        let response = self
            .upload(
                "max-quantity",
                ordergate_test_support::MAX_QUANTITY,
                manifest,
            )
            .await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
    }

    /// Asserts the server still serves: a fresh order can be created and read back.
    pub async fn still_serves(&self) {
        let order = self.create_order(json!({})).await;
        let id = order["id"].as_str().expect("id");
        let response = self
            .req(Method::GET, &format!("{ORDERS}/{id}"))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200);
    }
}

/// The JSON of a Problem Details answer, after checking its status and content type.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "content type"
    );
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["status"], status, "status member");
    body
}

/// A cart with one line of `quantity`.
pub fn cart(quantity: i64) -> Value {
    json!({"items": [{"sku": "A1", "name": "Mug", "quantity": quantity}]})
}

impl Server {
    /// A request as merchant `acme` in `channel`.
    pub fn in_channel(&self, channel: &str, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path)
            .header("x-merchant", MERCHANT)
            .header("x-channel", channel)
            .header("authorization", KEY)
    }

    /// Registers a notification on the order at `order_path` that fires on every new
    /// `reference` of the order (and delivers nowhere reachable).
    pub async fn notify_on_reference(&self, order_path: &str, reference: &str, adapter: &str) {
        let notification = json!({
            "reference": reference, "adapterId": adapter, "scope": "/reference",
            "schema": {"type": "string"}, "invoke": "http://127.0.0.1:9/callback"
        });
        let response = self
            .req(Method::POST, &format!("{order_path}/notifications"))
            .json(&notification)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 204, "{:?}", response.text().await);
    }

    /// Sets the order's reference (firing its reference notifications).
    pub async fn set_reference(&self, order_path: &str, reference: &str) {
        let response = self
            .req(Method::PUT, &format!("{order_path}/reference"))
            .json(&json!({"reference": reference}))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }
}
