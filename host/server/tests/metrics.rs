//! `GET /metrics` after a known sequence of requests: each series has the expected value.

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::{ORDERS, cart, on_backends, start};
use ordergate::events::AttemptOutcome;
use ordergate::store::Storage;
use reqwest::Method;
use serde_json::json;

on_backends!(
    [metrics_count_what_happened, health_and_readiness],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

async fn metrics_count_what_happened(store: Arc<dyn Storage>) {
    let server = start(store).await;
    server.install_max_quantity().await;
    let hostile = json!({"kind": "validation", "subscribeTo": ["reference"], "config": {"behaviour": "trap"}});
    let response = server
        .upload("hostile", ordergate_test_support::HOSTILE, hostile)
        .await;
    assert_eq!(response.status(), 201);
    let order = server.create_order(json!({})).await;
    let path = format!("{ORDERS}/{}", order["id"].as_str().unwrap());
    assert_eq!(
        server
            .req(Method::PUT, &format!("{path}/cart"))
            .json(&cart(2))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        server
            .req(Method::PUT, &format!("{path}/cart"))
            .json(&cart(12))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    server.notify_on_reference(&path, "ref", "erp").await;
    server.set_reference(&path, "r1").await;
    assert_eq!(
        server
            .req(Method::GET, "/nope")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let metrics = server.state.metrics();
    metrics.record_delivery(&AttemptOutcome::Delivered);
    metrics.record_delivery(&AttemptOutcome::Delivered);
    metrics.record_delivery(&AttemptOutcome::RetryAt(SystemTime::now()));
    metrics.record_delivery(&AttemptOutcome::Failed);

    let response = server.bare(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let cart_route = "/api/v0/checkout/orders/{order_id}/cart";
    for line in [
        "ordergate_http_requests_total{route=\"/api/v0/checkout/plugins/{plugin_id}\",method=\"PUT\",status=\"201\"} 2".to_owned(),
        "ordergate_http_requests_total{route=\"/api/v0/checkout/orders\",method=\"POST\",status=\"201\"} 1".to_owned(),
        format!("ordergate_http_requests_total{{route=\"{cart_route}\",method=\"PUT\",status=\"200\"}} 1"),
        format!("ordergate_http_requests_total{{route=\"{cart_route}\",method=\"PUT\",status=\"400\"}} 1"),
        "ordergate_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1".to_owned(),
        // Creation, the accepted cart; the refused cart.
        "ordergate_plugin_runs_total{plugin=\"max-quantity\",verdict=\"accepted\"} 2".to_owned(),
        "ordergate_plugin_runs_total{plugin=\"max-quantity\",verdict=\"rejected\"} 1".to_owned(),
        // Creation (a change of everything), the reference.
        "ordergate_plugin_runs_total{plugin=\"hostile\",verdict=\"faulted\"} 2".to_owned(),
        "ordergate_plugin_faults_total{merchant=\"acme\",plugin=\"hostile\",kind=\"trap\"} 2".to_owned(),
        // Creation, cart, notification, reference committed; the cart refused.
        "ordergate_mutation_duration_seconds_count{outcome=\"committed\"} 4".to_owned(),
        "ordergate_mutation_duration_seconds_count{outcome=\"rejected\"} 1".to_owned(),
        "ordergate_deliveries_total{outcome=\"delivered\"} 2".to_owned(),
        "ordergate_deliveries_total{outcome=\"retry\"} 1".to_owned(),
        "ordergate_deliveries_total{outcome=\"failed\"} 1".to_owned(),
        // The reference change fired one event, due now.
        "ordergate_events_due 1".to_owned(),
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in:\n{text}");
    }
    let fuel: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("ordergate_plugin_fuel_total{plugin=\"max-quantity\"} "))
        .expect("fuel series")
        .parse()
        .expect("a number");
    assert!(fuel > 0);
}

async fn health_and_readiness(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let response = server.bare(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let response = server.bare(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ready", "eventsDue": 0})
    );
}
