//! Shadow versions and kept runs over HTTP, on every backend: upload as shadow, its report
//! after live mutations, promotion, rollback, end; retention on and off, the kept runs.

mod common;

use std::sync::Arc;

use common::{ORDERS, PLUGINS, cart, on_backends, problem, start};
use ordergate::store::Storage;
use reqwest::Method;
use serde_json::{Value, json};

on_backends!(
    [a_shadow_is_reported_promoted_and_rolled_back, kept_runs_are_off_by_default_and_bounded],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("a JSON body")
}

/// Uploads max-quantity with `manifest` as its shadow version.
async fn upload_shadow(server: &common::Server, manifest: &Value) -> reqwest::Response {
    let module = ordergate_test_support::read(ordergate_test_support::MAX_QUANTITY);
    let form = reqwest::multipart::Form::new()
        .text("manifest", manifest.to_string())
        .part("module", reqwest::multipart::Part::bytes(module));
    server
        .req(Method::PUT, &format!("{PLUGINS}/max-quantity?mode=shadow"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn put_cart(server: &common::Server, order: &str, quantity: i64) -> u16 {
    server
        .req(Method::PUT, &format!("{ORDERS}/{order}/cart"))
        .json(&cart(quantity))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_shadow_is_reported_promoted_and_rolled_back(store: Arc<dyn Storage>) {
    let server = start(store).await;
    server.install_max_quantity().await;
    let shadow =
        json!({"kind": "validation", "subscribeTo": ["cart"], "config": {"maxQuantity": 5}});
    let uploaded = upload_shadow(&server, &shadow).await;
    assert_eq!(
        uploaded.headers()["location"],
        "/api/v0/checkout/plugins/max-quantity/shadow"
    );
    let uploaded = json_of(uploaded, 201).await;
    assert_eq!(
        (uploaded["version"].as_u64(), uploaded["status"].as_str()),
        (Some(2), Some("shadow"))
    );

    let order = server.create_order(json!({})).await;
    let id = order["id"].as_str().unwrap();
    // 7 is within the active 10, over the shadow's 5: accepted, and recorded as a difference.
    assert_eq!(put_cart(&server, id, 7).await, 200);
    assert_eq!(put_cart(&server, id, 2).await, 200);
    server.state.host().wait_for_observer();
    let path = format!("{PLUGINS}/max-quantity/shadow");
    let report = json_of(server.req(Method::GET, &path).send().await.unwrap(), 200).await;
    assert_eq!(report["id"], "max-quantity");
    assert_eq!(report["shadowVersion"], 2);
    assert_eq!(report["activeVersion"], 1);
    // The creation, 7 and 2.
    assert_eq!(
        [
            &report["runs"],
            &report["agreed"],
            &report["differed"],
            &report["faulted"],
            &report["dropped"]
        ],
        [3, 2, 1, 0, 0]
    );
    let case = &report["cases"][0];
    assert_eq!(case["orderId"], id);
    assert_eq!(case["active"], json!({"verdict": "accepted"}));
    assert_eq!(case["shadow"]["verdict"], "rejected");
    assert_eq!(
        case["shadow"]["violations"][0]["message"],
        "quantity 7 exceeds the maximum of 5 per line"
    );
    // The versions list says which is which.
    let versions = json_of(
        server
            .req(Method::GET, &format!("{PLUGINS}/max-quantity"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let statuses: Vec<&str> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "shadow"]);

    // Promotion, then the next mutation is the shadow's to decide.
    let promote = format!("{PLUGINS}/max-quantity/shadow/promote");
    let promoted = json_of(
        server.req(Method::POST, &promote).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (promoted["version"].as_u64(), promoted["status"].as_str()),
        (Some(2), Some("active"))
    );
    assert_eq!(put_cart(&server, id, 7).await, 400);
    let gone = problem(server.req(Method::GET, &path).send().await.unwrap(), 404).await;
    assert_eq!(
        gone["detail"],
        "plugin `max-quantity` has no shadow version"
    );
    // Rollback is one call.
    let rollback = format!("{PLUGINS}/max-quantity/versions/1/activate");
    json_of(
        server.req(Method::POST, &rollback).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(put_cart(&server, id, 7).await, 200);

    // Ending a shadow that does not exist is a 404; ending one leaves the active alone.
    let end = server.req(Method::DELETE, &path).send().await.unwrap();
    problem(end, 404).await;
    let again = upload_shadow(&server, &shadow).await;
    assert_eq!(json_of(again, 201).await["version"], 3);
    let end = server.req(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(end.status(), 204);
    assert_eq!(put_cart(&server, id, 7).await, 200);
    // A mode that does not exist is a Problem.
    let bad = server
        .req(Method::PUT, &format!("{PLUGINS}/max-quantity?mode=maybe"))
        .send()
        .await
        .unwrap();
    let bad = problem(bad, 400).await;
    assert_eq!(bad["type"], "/problems/invalid-query");
    // Another merchant sees none of it.
    let other = server
        .as_merchant(
            common::OTHER_MERCHANT,
            common::OTHER_KEY,
            Method::GET,
            &path,
        )
        .send()
        .await
        .unwrap();
    problem(other, 404).await;
}

async fn kept_runs_are_off_by_default_and_bounded(store: Arc<dyn Storage>) {
    let server = start(store).await;
    server.install_max_quantity().await;
    let retention = "/api/v0/checkout/retention";
    problem(
        server.req(Method::GET, retention).send().await.unwrap(),
        404,
    )
    .await;
    let order = server.create_order(json!({})).await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(put_cart(&server, id, 2).await, 200);
    server.state.host().wait_for_observer();
    let runs = format!("{PLUGINS}/max-quantity/runs");
    let kept = json_of(server.req(Method::GET, &runs).send().await.unwrap(), 200).await;
    assert_eq!(kept["data"], json!([]));

    let too_many = server
        .req(Method::PUT, retention)
        .json(&json!({"maxRuns": 100_000, "maxBytes": 1024}))
        .send()
        .await
        .unwrap();
    problem(too_many, 400).await;
    let set = server
        .req(Method::PUT, retention)
        .json(&json!({"maxRuns": 2, "maxBytes": 1_048_576}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(set, 200).await,
        json!({"maxRuns": 2, "maxBytes": 1_048_576})
    );
    for quantity in [3, 4, 12] {
        put_cart(&server, id, quantity).await;
    }
    server.state.host().wait_for_observer();
    let kept = json_of(server.req(Method::GET, &runs).send().await.unwrap(), 200).await;
    let data = kept["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["order"]["cart"]["items"][0]["quantity"], 4);
    assert_eq!(data[1]["order"]["cart"]["items"][0]["quantity"], 12);
    assert_eq!(data[1]["decision"]["verdict"], "rejected");
    assert_eq!(data[1]["change"]["touched"], json!(["/cart"]));
    assert_eq!(data[1]["context"]["merchant"], "acme");
    let later = format!("{runs}?since=2999-01-01T00:00:00Z");
    let none = json_of(server.req(Method::GET, &later).send().await.unwrap(), 200).await;
    assert_eq!(none["data"], json!([]));
    let bad = server
        .req(Method::GET, &format!("{runs}?since=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(bad, 400).await["field"], "since");

    let off = server.req(Method::DELETE, retention).send().await.unwrap();
    assert_eq!(off.status(), 204);
    let kept = json_of(server.req(Method::GET, &runs).send().await.unwrap(), 200).await;
    assert_eq!(kept["data"], json!([]));
}
