//! Shared set-up for the host's integration tests: a host with a predictable clock and
//! ids, the example plugins built by `ordergate-test-support`, and order fixtures.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use ordergate::clock::{SequentialIds, SteppingClock};
use ordergate::model::{self, NewOrder};
use ordergate::{Host, PluginKind, PluginManifest, SandboxConfig, Scope};
use serde_json::{Value, json};

/// A host whose clock starts at 2026-01-01T00:00:00Z and ticks a second per reading,
/// and whose ids are `o_1`, `p_2`, …
pub fn host() -> Host {
    host_with(SandboxConfig::default())
}

/// The sandbox settings of the tests' hosts: the defaults, made a tests' host by
/// [`tests_config`].
pub fn test_sandbox() -> SandboxConfig {
    tests_config(SandboxConfig::default())
}

/// [`host`] with `config`, made a tests' host by [`tests_config`].
pub fn host_with(config: SandboxConfig) -> Host {
    Host::builder()
        .sandbox(tests_config(config))
        .clock(Arc::new(SteppingClock::new(
            UNIX_EPOCH + Duration::from_secs(1_767_225_600),
        )))
        .ids(Arc::new(SequentialIds::default()))
        .build()
        .expect("host starts")
}

/// `config` with its deadline ceiling raised to the 10 s the tests' manifests ask for (see
/// [`manifest`]).
pub fn tests_config(mut config: SandboxConfig) -> SandboxConfig {
    config.ceilings.deadline = config.ceilings.deadline.max(Duration::from_secs(10));
    config
}

pub fn scope() -> Scope {
    Scope::new("norce", "b2c")
}

/// The bytes of a plugin built by test-support.
pub fn plugin(path: &str) -> Vec<u8> {
    ordergate_test_support::read(path)
}

/// A validation manifest. Its deadline is 10 s rather than the production 100 ms: tests
/// run on shared, loaded machines, and only the deadline test itself should depend on
/// wall-clock speed (fuel still bounds every run deterministically).
pub fn manifest(id: &str, subscribe_to: &[&str], config: Value) -> PluginManifest {
    let mut m = PluginManifest::new(id, PluginKind::Validation);
    m.subscribe_to = subscribe_to.iter().map(|s| s.to_string()).collect();
    m.config = config;
    m.limits.deadline_ms = Some(10_000);
    m
}

pub fn install(host: &Host, path: &str, manifest: PluginManifest) {
    host.registry()
        .install(&scope().tenant, manifest, &plugin(path))
        .expect("plugin installs");
}

/// Parses a model value from `json!`, panicking with the model's error if it is wrong.
pub fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
    model::from_value(value).unwrap_or_else(|e| panic!("fixture does not parse: {e}"))
}

/// Creates `new_order(quantities)` and returns its id.
pub fn create_order(host: &Host, scope: &Scope, quantities: &[i64]) -> String {
    let created = host.create_order(scope, new_order(quantities));
    created.expect("the order is created").order.id.clone()
}

/// A new order in SEK with a 250 SEK total and a cart of the given quantities.
pub fn new_order(quantities: &[i64]) -> NewOrder {
    from(json!({
        "currency": "SEK",
        "country": "SE",
        "cart": cart(quantities),
    }))
}

/// A cart of lines with these quantities, 100 SEK each line, total 250 SEK.
pub fn cart(quantities: &[i64]) -> Value {
    let items: Vec<Value> = quantities
        .iter()
        .enumerate()
        .map(|(i, q)| line(i, *q))
        .collect();
    json!({
        "reference": "cart-1",
        "items": items,
        "total": { "includingVat": 250.0, "excludingVat": 200.0 },
    })
}

/// A realistic cart line.
pub fn line(i: usize, quantity: i64) -> Value {
    json!({
        "id": format!("ci_{i}"),
        "reference": format!("ref-{i}"),
        "name": format!("T-Shirt XL, colour {i}"),
        "sku": format!("A{i:06}"),
        "productType": "physical",
        "url": format!("https://example.com/products/A{i:06}"),
        "imageUrl": format!("https://example.com/products/A{i:06}/images/1"),
        "quantity": quantity,
        "unit": "st",
        "price": { "includingVat": 100.0, "excludingVat": 80.0 },
        "total": { "includingVat": 100.0 * quantity as f64, "excludingVat": 80.0 * quantity as f64 },
        "vatRate": 0.25,
        "attributes": { "colour": i },
    })
}

/// A hook manifest, with the same test deadline as [`manifest`].
pub fn hook_manifest(id: &str, subscribe_to: &[&str], config: Value) -> PluginManifest {
    let mut m = manifest(id, subscribe_to, config);
    m.kind = PluginKind::Hook;
    m
}
