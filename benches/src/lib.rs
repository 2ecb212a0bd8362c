//! Shared fixtures of the ordergate benchmark suite (`cargo bench -p ordergate-benches`).
//!
//! - [`order`], [`new_order`], [`cart`]: orders of any number of cart lines, built from the
//!   spec's shapes (spec 003) with realistic strings: names, SKUs, URLs, attributes,
//!   discounts, logistics, and one bundle line with a nested component every 10 lines;
//! - [`host`], [`install`], [`manifest`], [`hook_manifest`]: a host and the example plugins
//!   (the components `ordergate-test-support` builds);
//! - [`max_quantity`]: the max-quantity rule written natively, the floor every other way of
//!   running it is compared with, and [`HttpCallback`], the same rule as the spec's HTTP
//!   callback adapter on loopback;
//! - [`notifications`]: a realistic mix of notification conditions;
//! - [`MutationRig`]: a host with 5 validations, 3 hooks and 100 notifications on an order,
//!   ready for `SetCart` mutations that alternate between two carts;
//! - [`growth`]: the sizes and fixtures of the growth curves; [`calls`]: single hot-path
//!   operations (one validation, a 10-operation patch); [`rss`]: the process's resident set;
//! - [`results_dir`], [`bench_mode`]: where the custom measurements (p99, throughput,
//!   restart phases) are written for `report.sh`, and whether this is a real run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use ordergate::model::{self, Cart, NewOrder, Notification, Order};
use ordergate::mutation::Mutation;
use ordergate::{CallContext, InstalledPlugin};
use ordergate::{Committed, Host, MutationError, PluginKind, PluginManifest, SandboxConfig, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use ordergate_test_support as plugins;

pub mod calls;
pub mod growth;
pub mod rss;

/// The maximum quantity every max-quantity variant (WASM, native, HTTP) is configured with.
pub const MAX_QUANTITY: i64 = 10;

/// The order sizes the suite measures, in cart lines.
pub const SIZES: [usize; 3] = [1, 20, 200];

/// The merchant and channel every benchmark runs as.
pub fn scope() -> Scope {
    Scope::new("norce", "b2c")
}

/// A host with the production defaults (system clock, random ids, default sandbox).
pub fn host() -> Host {
    host_with(SandboxConfig::default())
}

/// A host with these sandbox settings.
pub fn host_with(config: SandboxConfig) -> Host {
    Host::builder()
        .sandbox(config)
        .build()
        .expect("host starts")
}

/// The bytes of a plugin built by `ordergate-test-support` (one of its constants).
pub fn plugin(path: &str) -> Vec<u8> {
    plugins::read(path)
}

/// A validation manifest subscribed to `subscribe_to`. The deadline is 1 s rather than the
/// production 100 ms so that a loaded benchmark machine does not turn into timeouts; the
/// deadline does not change what a run costs.
pub fn manifest(id: &str, subscribe_to: &[&str], config: Value) -> PluginManifest {
    let mut m = PluginManifest::new(id, PluginKind::Validation);
    m.subscribe_to = subscribe_to.iter().map(|s| s.to_string()).collect();
    m.config = config;
    m.limits.deadline_ms = Some(1_000);
    m
}

/// A hook manifest, as [`manifest`].
pub fn hook_manifest(id: &str, subscribe_to: &[&str], config: Value) -> PluginManifest {
    let mut m = manifest(id, subscribe_to, config);
    m.kind = PluginKind::Hook;
    m
}

/// Installs the plugin at `path` for [`scope`]'s tenant.
pub fn install(host: &Host, path: &str, manifest: PluginManifest) {
    host.registry()
        .install(&scope().tenant, manifest, &plugin(path))
        .expect("plugin installs");
}

/// The installed plugin `id` of [`scope`]'s tenant.
pub fn installed(host: &Host, id: &str) -> std::sync::Arc<InstalledPlugin> {
    host.registry()
        .list(&scope().tenant)
        .expect("the memory store lists plugins")
        .into_iter()
        .find(|p| p.manifest.id == id)
        .unwrap_or_else(|| panic!("plugin {id} is not installed"))
}

/// A host with one plugin installed: `id` from the component at `path`.
pub fn host_with_plugin(
    path: &str,
    id: &str,
    kind: PluginKind,
    config: Value,
) -> (Host, std::sync::Arc<InstalledPlugin>) {
    plugin_on(host(), path, id, kind, config)
}

/// [`host_with_plugin`] on a host of one's own (e.g. with other sandbox settings).
pub fn plugin_on(
    host: Host,
    path: &str,
    id: &str,
    kind: PluginKind,
    config: Value,
) -> (Host, std::sync::Arc<InstalledPlugin>) {
    let mut m = manifest(id, &["cart"], config);
    m.kind = kind;
    install(&host, path, m);
    let plugin = installed(&host, id);
    (host, plugin)
}

const COLOURS: [&str; 8] = [
    "Black",
    "White",
    "Navy",
    "Heather Grey",
    "Forest Green",
    "Burgundy",
    "Sand",
    "Sky Blue",
];
const PRODUCTS: [&str; 6] = [
    "Organic Cotton T-Shirt",
    "Merino Wool Crew Neck Sweater",
    "Slim Fit Stretch Chinos",
    "Waterproof Trail Running Shoes",
    "Recycled Polyester Rain Jacket",
    "Ribbed Beanie",
];
const SIZES_LABELS: [&str; 5] = ["XS", "S", "M", "L", "XL"];

/// One realistic cart line (the shape of the tests' `line()` fixture, fuller: discounts,
/// logistics and attributes as in spec 003). Quantities are 1 to 3: every line is within
/// [`MAX_QUANTITY`], and every third line qualifies for the three-for-two offer.
pub fn line(i: usize, variant: u64) -> Value {
    let product = PRODUCTS[i % PRODUCTS.len()];
    let colour = COLOURS[i % COLOURS.len()];
    let size = SIZES_LABELS[i % SIZES_LABELS.len()];
    let quantity = (i % 3) as i64 + 1;
    let price = 149.0 + (i % 7) as f64 * 50.0;
    let sku = format!("{}-{:05}-{size}", &product[..3].to_uppercase(), 10_000 + i);
    let mut line = json!({
        "id": format!("ci_{i:04}_{variant}"),
        "reference": format!("basket-line-{i}"),
        "name": format!("{product}, {colour}, size {size}"),
        "sku": sku,
        "productType": "physical",
        "url": format!("https://shop.example.com/en-se/products/{}/{sku}", product.to_lowercase().replace(' ', "-")),
        "imageUrl": format!("https://cdn.example.com/images/products/{sku}/front-1200x1600.jpg"),
        "quantity": quantity,
        "unit": "pcs",
        "price": { "includingVat": price, "excludingVat": price * 0.8 },
        "total": { "includingVat": price * quantity as f64, "excludingVat": price * 0.8 * quantity as f64 },
        "vatRate": 0.25,
        "logistics": {
            "weight": 350 + (i % 5) as i64 * 100,
            "height": 30, "width": 250, "length": 320,
            "tags": ["apparel", "standard-parcel"],
        },
        "upsell": false,
        "attributes": {
            "colour": colour,
            "size": size,
            "season": "AW26",
            "warehouse": format!("SE-STO-{}", i % 4),
        },
    });
    if i.is_multiple_of(4) {
        line["originalTotal"] = json!({ "includingVat": price * quantity as f64 + 50.0, "excludingVat": (price * quantity as f64 + 50.0) * 0.8 });
        line["discounts"] = json!([{
            "type": "item", "name": "Autumn campaign", "code": "AUTUMN26",
            "reference": "campaign-autumn-26", "description": "50 SEK off selected items",
            "value": { "includingVat": 50.0, "excludingVat": 40.0 },
        }]);
    }
    line
}

/// The cart lines of an `n`-line order: lines `9, 19, 29, …` are nested in the line
/// before them (a bundle and its component), the others are top level; `n` counts both.
pub fn lines(n: usize, variant: u64) -> Vec<Value> {
    let mut top: Vec<Value> = Vec::with_capacity(n);
    for i in 0..n {
        let l = line(i, variant);
        if i % 10 == 9 {
            let parent = top.last_mut().expect("line 9 follows line 8");
            parent["productType"] = json!("bundle");
            parent["items"] = json!([l]);
        } else {
            top.push(l);
        }
    }
    top
}

/// The cart of an `n`-line order as JSON; `variant` changes ids and the reference (two
/// variants are two different carts of the same size and content).
pub fn cart_json(n: usize, variant: u64) -> Value {
    let items = lines(n, variant);
    let total: f64 = (0..n)
        .map(|i| (149.0 + (i % 7) as f64 * 50.0) * ((i % 3) as f64 + 1.0))
        .sum();
    json!({
        "reference": format!("basket-7f3a9c21-{variant}"),
        "items": items,
        "total": { "includingVat": total, "excludingVat": total * 0.8 },
        "attributes": { "basketId": format!("7f3a9c21-5b2e-4c6a-9d1f-{variant:012}"), "source": "web" },
    })
}

/// The cart of an `n`-line order.
pub fn cart(n: usize, variant: u64) -> Cart {
    model::from_value(cart_json(n, variant)).expect("cart fixture parses")
}

fn address(kind: &str) -> Value {
    json!({
        "type": "organization",
        "givenName": "Rosalina",
        "familyName": "Lindqvist-Andersson",
        "organizationName": "Nordic Outdoor Supplies AB",
        "organizationIdentificationNumber": "556677-8899",
        "reference": format!("{kind}-address-1"),
        "streetAddress": "Drottninggatan 71",
        "streetAddress2": "Floor 4",
        "postalCode": "111 36",
        "city": "Stockholm",
        "region": "Stockholms län",
        "country": "SE",
        "phone": "+46701234567",
        "email": "rosalina.lindqvist@nordic-outdoor.example.com",
        "attributes": { "costCentre": "CC-4411" },
    })
}

fn customer() -> Value {
    json!({
        "type": "organization",
        "billing": address("billing"),
        "shipping": address("shipping"),
        "attributes": { "loyaltyTier": "silver", "customerNumber": "C-0098812" },
    })
}

fn payment(total: f64) -> Value {
    json!({
        "id": "p_kl4rn4Ch3ck0ut",
        "adapterId": "klarna-checkout",
        "name": "Klarna",
        "currency": "SEK",
        "type": "default",
        "amount": total,
        "state": "intent",
        "reference": "kco-9c1e2b6a-1f0d-4b7e-8a52-3d6e9f0a7c11",
        "attributes": { "purchaseCountry": "SE", "locale": "sv-SE" },
    })
}

fn shipping() -> Value {
    json!({
        "id": "s_p0stn0rd",
        "adapterId": "nshift",
        "name": "PostNord MyPack Collect",
        "state": "intent",
        "reference": "nshift-shipment-88213",
        "total": { "includingVat": 59.0, "excludingVat": 47.2 },
        "vatRate": 0.25,
        "deliveryDetails": {
            "carrier": "PostNord",
            "carrierProductId": "19",
            "class": "standard",
            "product": { "reference": "PN-MPC", "name": "MyPack Collect" },
            "pickupLocation": {
                "reference": "PN-1122334",
                "name": "ICA Supermarket Hötorget",
                "address": { "streetAddress": "Sveavägen 17", "city": "Stockholm", "postalCode": "111 57", "country": "SE" },
            },
        },
        "addons": [{ "reference": "sms-notification", "price": 0.0 }],
    })
}

/// A full order of `n` cart lines as stored (spec 003's order: state with history, cart,
/// customer, a payment, a shipping, consents, total, attributes).
pub fn order(n: usize) -> Order {
    let cart = cart_json(n, 0);
    let total = cart["total"]["includingVat"].as_f64().expect("total") + 59.0;
    model::from_value(json!({
        "id": "o_yClTSySjyAuuBjmiBlHCjuEcTf",
        "merchant": "norce",
        "channel": "b2c",
        "reference": "ORD-2026-000481",
        "created": "2026-01-12T15:09:14Z",
        "lastModified": "2026-01-12T15:21:40Z",
        "state": {
            "currentStatus": "checkout",
            "transitions": [{ "status": "checkout", "timeStamp": "2026-01-12T15:09:14Z" }],
        },
        "culture": "sv-SE",
        "currency": "SEK",
        "country": "SE",
        "cart": cart,
        "shippings": [shipping()],
        "payments": [payment(total)],
        "customer": customer(),
        "consents": [{ "id": "terms", "checked": true, "text": "I accept the terms and conditions", "required": true }],
        "total": { "includingVat": total, "excludingVat": total * 0.8 },
        "attributes": { "salesChannel": "web", "campaign": "autumn-26" },
    }))
    .expect("order fixture parses")
}

/// The body that creates an `n`-line order through [`Host::create_order`].
pub fn new_order(n: usize) -> NewOrder {
    model::from_value(json!({
        "reference": "ORD-2026-000481",
        "culture": "sv-SE",
        "currency": "SEK",
        "country": "SE",
        "cart": cart_json(n, 0),
        "customer": customer(),
        "consents": [{ "id": "terms", "checked": true, "text": "I accept the terms and conditions", "required": true }],
        "attributes": { "salesChannel": "web", "campaign": "autumn-26" },
    }))
    .expect("new order fixture parses")
}

/// A violation as the native rule and the HTTP callback report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativeViolation {
    /// JSON Pointer to the offending value.
    pub path: String,
    /// Stable code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// The max-quantity rule over the order model, nested lines included: what the example
/// plugin does, written as a plain Rust function.
pub fn max_quantity(order: &Order, max: i64) -> Vec<NativeViolation> {
    fn walk(items: &[model::Item], prefix: &mut String, max: i64, out: &mut Vec<NativeViolation>) {
        for (index, item) in items.iter().enumerate() {
            if let Some(quantity) = item.quantity
                && quantity > max
            {
                out.push(NativeViolation {
                    path: format!("{prefix}/{index}/quantity"),
                    code: "max-quantity-exceeded".into(),
                    message: format!("quantity {quantity} exceeds the maximum of {max} per line"),
                });
            }
            if let Some(nested) = &item.items {
                let len = prefix.len();
                use std::fmt::Write;
                let _ = write!(prefix, "/{index}/items");
                walk(nested, prefix, max, out);
                prefix.truncate(len);
            }
        }
    }
    let mut out = Vec::new();
    if let Some(items) = order.cart.as_ref().and_then(|c| c.items.as_deref()) {
        let mut prefix = String::from("/cart/items");
        walk(items, &mut prefix, max, &mut out);
    }
    out
}

/// The max-quantity rule as an HTTP callback adapter, the spec's design: an axum server on
/// 127.0.0.1 (its own thread and tokio runtime) that parses the order JSON into the order
/// model, runs [`max_quantity`] and answers with the violations as JSON; a keep-alive
/// blocking client.
pub struct HttpCallback {
    client: reqwest::blocking::Client,
    url: String,
}

impl HttpCallback {
    /// Starts the server on a free loopback port and connects a client to it.
    pub fn start() -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
        std::thread::Builder::new()
            .name("http-callback-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                    .expect("tokio runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind loopback");
                    tx.send(listener.local_addr().expect("local addr"))
                        .expect("report address");
                    let app = axum::Router::new()
                        .route("/validate/max-quantity", axum::routing::post(validate));
                    axum::serve(listener, app).await.expect("serve");
                });
            })
            .expect("server thread");
        let addr = rx.recv().expect("server started");
        Self {
            client: reqwest::blocking::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("http client"),
            url: format!("http://{addr}/validate/max-quantity"),
        }
    }

    /// One validation: serializes the order, posts it, parses the answer.
    pub fn validate(&self, order: &Order) -> Vec<NativeViolation> {
        let body = serde_json::to_vec(order).expect("order serializes");
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .expect("callback answers");
        assert!(response.status().is_success(), "{}", response.status());
        let bytes = response.bytes().expect("callback body");
        serde_json::from_slice(&bytes).expect("violations parse")
    }
}

async fn validate(body: axum::body::Bytes) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    match serde_json::from_slice::<Order>(&body) {
        Ok(order) => {
            let violations = max_quantity(&order, MAX_QUANTITY);
            let json = serde_json::to_vec(&violations).expect("violations serialize");
            ([(header::CONTENT_TYPE, "application/json")], json).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

/// The distinct notification conditions (scope, schema) of [`notifications`]: 21
/// schemas over 19 scopes, a third of them inside the cart (which a cart change touches).
pub fn conditions() -> Vec<(&'static str, Value)> {
    vec![
        ("/cart", json!({"type": "object", "required": ["items"]})),
        ("/state/currentStatus", json!({"const": "completed"})),
        (
            "/cart/total/includingVat",
            json!({"type": "number", "minimum": 1000}),
        ),
        (
            "/customer/billing/email",
            json!({"type": "string", "format": "email"}),
        ),
        (
            "/state/currentStatus",
            json!({"enum": ["processing", "completed"]}),
        ),
        ("/cart/items", json!({"type": "array", "minItems": 1})),
        (
            "/payments",
            json!({"type": "array", "contains": {"type": "object", "properties": {"state": {"const": "authorized"}}, "required": ["state"]}}),
        ),
        (
            "/customer/billing/country",
            json!({"enum": ["SE", "NO", "DK", "FI"]}),
        ),
        (
            "/cart/total",
            json!({"type": "object", "properties": {"includingVat": {"type": "number", "exclusiveMinimum": 0}}, "required": ["includingVat"]}),
        ),
        ("/shippings", json!({"type": "array", "minItems": 1})),
        (
            "/customer/shipping",
            json!({"type": "object", "required": ["postalCode", "city"]}),
        ),
        (
            "/cart/items",
            json!({"type": "array", "items": {"type": "object", "properties": {"quantity": {"type": "integer", "maximum": 10}}}}),
        ),
        (
            "/total/includingVat",
            json!({"type": "number", "minimum": 0}),
        ),
        ("/country", json!({"const": "SE"})),
        (
            "/cart/reference",
            json!({"type": "string", "pattern": "^basket-"}),
        ),
        ("/currency", json!({"enum": ["SEK", "NOK", "EUR"]})),
        (
            "/customer/attributes/loyaltyTier",
            json!({"enum": ["gold", "platinum"]}),
        ),
        ("/cart/discounts", json!({"type": "array", "minItems": 1})),
        (
            "/culture",
            json!({"type": "string", "pattern": "^[a-z]{2}-[A-Z]{2}$"}),
        ),
        ("/attributes/campaign", json!({"type": "string"})),
        ("/customer/type", json!({"const": "organization"})),
    ]
}

/// `n` notifications cycling through [`conditions`], with invoke templates as merchants
/// write them.
pub fn notifications(n: usize) -> Vec<Notification> {
    let conditions = conditions();
    (0..n)
        .map(|i| {
            let (scope, schema) = &conditions[i % conditions.len()];
            model::from_value(json!({
                "id": format!("n_{i:03}"),
                "adapterId": "erp-connector",
                "reference": format!("erp-sync-{i}"),
                "description": format!("Tell the ERP when {scope} changes ({i})"),
                "scope": scope,
                "schema": schema,
                "invoke": format!("https://erp.example.com/hooks/orders/{{order_id}}/events/{i}"),
            }))
            .expect("notification fixture parses")
        })
        .collect()
}

/// The notifications of a [`MutationRig`] order: the scopes of [`notifications`], but
/// the conditions inside the cart are alerts a cart change does not meet (a high-value
/// cart, a huge line count…), except the first notification, which fires on every cart
/// change: one event per mutation. (Every fired event stores a copy of the order; with
/// [`notifications`] as they are, about 20 fire per cart change, which is measured by
/// `notifications/<n>` for the decision and would dominate a mutation.)
pub fn rig_notifications(n: usize) -> Vec<Notification> {
    let mut all = notifications(n);
    for (i, notification) in all.iter_mut().enumerate() {
        let in_cart = notification
            .scope
            .as_deref()
            .is_some_and(|s| s.starts_with("/cart"));
        if i == 0 {
            notification.scope = Some("/cart/reference".into());
            notification.schema = Some(json!({"type": "string", "pattern": "^basket-"}));
        } else if in_cart {
            notification.scope = Some("/cart/total/includingVat".into());
            notification.schema = Some(json!({"type": "number", "minimum": 50_000 + i}));
        }
    }
    all
}

/// The plugins of [`MutationRig`]: 5 validations and 3 hooks, all concerned by a cart change.
pub fn install_full_set(host: &Host) {
    install(
        host,
        plugins::MAX_QUANTITY,
        manifest(
            "max-quantity",
            &["cart"],
            json!({"maxQuantity": MAX_QUANTITY}),
        ),
    );
    install(
        host,
        plugins::MAX_QUANTITY,
        manifest("max-quantity-bulk", &["cart"], json!({"maxQuantity": 50})),
    );
    install(
        host,
        plugins::ORGANIZATION_NUMBER,
        manifest("organization-number", &["customer", "cart"], json!({})),
    );
    install(
        host,
        plugins::PAYMENT_COVERAGE,
        manifest("payment-coverage", &[], json!({})),
    );
    install(
        host,
        plugins::HOSTILE,
        manifest("hostile-accept", &["cart"], json!({"behaviour": "accept"})),
    );
    install(
        host,
        plugins::FREE_SHIPPING,
        hook_manifest("free-shipping", &["cart"], json!({"threshold": 1000.0})),
    );
    install(
        host,
        plugins::THREE_FOR_TWO,
        hook_manifest("three-for-two", &["cart"], json!({})),
    );
    install(
        host,
        plugins::NOTIFY_COMPLETED,
        hook_manifest("notify-completed", &["cart", "state"], json!({})),
    );
}

/// A host and orders ready for full mutations: the plugins of [`install_full_set`] (when
/// `plugins`), orders of 20 lines with a payment, a shipping and `notifications`
/// notifications each, and two carts to alternate between.
pub struct MutationRig {
    /// The host.
    pub host: Host,
    /// The tenant and acting adapter.
    pub scope: Scope,
    /// The orders' ids.
    pub orders: Vec<String>,
    carts: [Cart; 2],
    turns: Vec<AtomicU64>,
}

impl MutationRig {
    /// Sets up `orders` orders.
    pub fn new(plugins: bool, notifications: usize, orders: usize) -> Self {
        Self::on(host(), plugins, notifications, orders)
    }

    /// [`MutationRig::new`] on a host of one's own (e.g. a small instance pool, which
    /// valgrind can map).
    pub fn on(host: Host, plugins: bool, notifications: usize, orders: usize) -> Self {
        if plugins {
            install_full_set(&host);
        }
        let scope = scope();
        let ids = (0..orders)
            .map(|_| {
                let id = host
                    .create_order(&scope, new_order(20))
                    .expect("order created")
                    .order
                    .id
                    .clone();
                let order = order(20);
                for m in [
                    Mutation::UpsertShipping(order.shippings[0].clone()),
                    Mutation::UpsertPayment(order.payments[0].clone()),
                ] {
                    host.mutate(&scope, &id, m).expect("order set up");
                }
                for n in rig_notifications(notifications) {
                    host.mutate(&scope, &id, Mutation::CreateNotification(n))
                        .expect("notification registered");
                }
                id
            })
            .collect();
        Self {
            host,
            scope,
            orders: ids,
            carts: [cart(20, 1), cart(20, 2)],
            turns: (0..orders).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The time of each of `rounds` [`MutationRig::mutate`] calls on order 0, in
    /// nanoseconds (for [`percentiles`]).
    pub fn latencies(&self, rounds: usize) -> Vec<u64> {
        (0..rounds)
            .map(|_| {
                let start = std::time::Instant::now();
                self.mutate(0).expect("mutation commits");
                start.elapsed().as_nanos() as u64
            })
            .collect()
    }

    /// One `SetCart` on order `index`, alternating between the two carts so that every
    /// call is a real change.
    pub fn mutate(&self, index: usize) -> Result<Committed, MutationError> {
        let turn = self.turns[index].fetch_add(1, Ordering::Relaxed);
        let cart = self.carts[(turn % 2) as usize].clone();
        self.host
            .mutate(&self.scope, &self.orders[index], Mutation::SetCart(cart))
    }
}

/// The 10 `replace` operations of `hook/apply-10-ops` on an [`order`] of 20 lines: 4
/// quantities, 3 names, the cart total, a shipping fee and an attribute.
pub fn ten_replace_ops() -> Vec<ordergate::patch::PatchOperation> {
    let mut ops = Vec::new();
    for i in 0..4 {
        ops.push(json!({"op": "replace", "path": format!("/cart/items/{i}/quantity"), "value": 2}));
    }
    for i in 4..7 {
        ops.push(json!({"op": "replace", "path": format!("/cart/items/{i}/name"), "value": format!("Renamed line {i}")}));
    }
    ops.push(json!({"op": "replace", "path": "/cart/total", "value": {"includingVat": 3000.0, "excludingVat": 2400.0}}));
    ops.push(json!({"op": "replace", "path": "/shippings/0/total", "value": {"includingVat": 0.0, "excludingVat": 0.0}}));
    ops.push(json!({"op": "replace", "path": "/attributes/campaign", "value": "black-friday-26"}));
    serde_json::from_value(json!(ops)).expect("operations parse")
}

/// Whether the benchmarks run for real (`cargo bench`) rather than once each as a test
/// (`cargo test --benches`): custom measurements run long loops and write their results
/// only then.
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Where custom measurements are written: `<target>/ordergate-bench/`.
pub fn results_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let dir = target.join("ordergate-bench");
    std::fs::create_dir_all(&dir).expect("results directory");
    dir
}

/// Writes a custom measurement as `<results_dir>/<name>.json`, in bench mode only.
pub fn write_result(name: &str, value: &Value) {
    if !bench_mode() {
        return;
    }
    let path = results_dir().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(value).expect("json")).expect("write result");
    eprintln!("wrote {}", path.display());
}

/// Percentiles of a list of durations, in microseconds.
pub fn percentiles(mut samples_ns: Vec<u64>) -> Value {
    samples_ns.sort_unstable();
    let at = |p: f64| {
        let i = ((samples_ns.len() as f64 - 1.0) * p).round() as usize;
        samples_ns[i] as f64 / 1000.0
    };
    let mean = samples_ns.iter().sum::<u64>() as f64 / samples_ns.len() as f64 / 1000.0;
    json!({
        "samples": samples_ns.len(),
        "meanUs": mean,
        "p50Us": at(0.50),
        "p90Us": at(0.90),
        "p99Us": at(0.99),
        "maxUs": at(1.0),
        "minUs": at(0.0),
    })
}

/// The context the benchmarks call plugin `plugin_id` with: [`scope`]'s tenant, no
/// adapters, `configuration` as the plugin's JSON text.
pub fn call_context<'a>(plugin_id: &'a str, configuration: &'a str) -> CallContext<'a> {
    CallContext {
        merchant: "norce",
        channel: "b2c",
        plugin_id,
        adapter_id: None,
        acting_adapter_id: None,
        configuration,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_parse_and_count_their_lines() {
        for n in SIZES {
            let order = order(n);
            let items = order.cart.as_ref().unwrap().items.as_ref().unwrap();
            let nested: usize = items
                .iter()
                .map(|i| i.items.as_ref().map_or(0, Vec::len))
                .sum();
            assert_eq!(items.len() + nested, n);
            assert!(max_quantity(&order, MAX_QUANTITY).is_empty());
        }
        assert_eq!(max_quantity(&order(20), 2).len(), 6);
        assert_eq!(notifications(100).len(), 100);
    }
}
