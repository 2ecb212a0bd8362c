//! Bad input over real HTTP: every case answers a Problem Details document with the right
//! status and type, stores nothing, and leaves the server serving.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    KEY, ORDERS, OTHER_KEY, OTHER_MERCHANT, PLUGINS, on_backends, problem, start, start_with,
};
use ordergate::store::Storage;
use ordergate_server::ServerConfig;
use reqwest::Method;
use serde_json::{Value, json};

on_backends!(
    [
        missing_headers_name_the_header,
        keys_are_checked,
        another_merchants_order_is_not_found,
        bodies_that_do_not_fit_name_the_field,
        huge_bodies_answer_413,
        unknown_routes_and_methods_are_problems,
        slow_requests_answer_408,
        development_mode_without_keys_opens_every_merchant,
    ],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

async fn order_count(server: &common::Server) -> u64 {
    let page: Value = server
        .req(Method::GET, ORDERS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["pagination"]["totalSize"].as_u64().unwrap()
}

async fn missing_headers_name_the_header(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let cases = [
        (vec![("x-channel", "b2c")], "x-merchant"),
        (vec![("x-merchant", "acme")], "x-channel"),
        (vec![("x-merchant", ""), ("x-channel", "b2c")], "x-merchant"),
        (
            vec![("x-merchant", "acme"), ("x-channel", " ")],
            "x-channel",
        ),
    ];
    for (headers, missing) in cases {
        let mut request = server
            .bare(Method::POST, ORDERS)
            .header("authorization", KEY)
            .json(&json!({}));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let body = problem(request.send().await.unwrap(), 400).await;
        assert_eq!(body["type"], "/problems/missing-header");
        assert_eq!(body["title"], "A required header is missing");
        assert_eq!(body["header"], missing);
        assert_eq!(body["instance"], ORDERS);
        assert_eq!(
            body["detail"],
            format!("header {missing} is required and must not be empty")
        );
    }
    assert_eq!(order_count(&server).await, 0);
    server.still_serves().await;
}

async fn keys_are_checked(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let with_key = |key: Option<&str>| {
        let request = server
            .bare(Method::POST, ORDERS)
            .header("x-merchant", "acme")
            .header("x-channel", "b2c");
        match key {
            Some(key) => request.header("authorization", key),
            None => request,
        }
        .json(&json!({}))
    };
    for key in [None, Some("wrong"), Some("Bearer wrong"), Some("")] {
        let body = problem(with_key(key).send().await.unwrap(), 401).await;
        assert_eq!(body["type"], "/problems/unauthorized");
    }
    let body = problem(with_key(Some(OTHER_KEY)).send().await.unwrap(), 403).await;
    assert_eq!(body["type"], "/problems/forbidden");
    assert_eq!(order_count(&server).await, 0);
    let response = with_key(Some(&format!("Bearer {KEY}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(order_count(&server).await, 1);
    // Plugins and events are behind the same check.
    let body = problem(
        server
            .bare(Method::GET, PLUGINS)
            .header("x-merchant", "acme")
            .header("x-channel", "b2c")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert_eq!(body["type"], "/problems/unauthorized");
    let body = problem(
        server
            .bare(Method::GET, "/api/v1/events")
            .header("x-merchant", "acme")
            .header("authorization", OTHER_KEY)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(body["type"], "/problems/forbidden");
}

async fn another_merchants_order_is_not_found(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let order = server
        .create_order(json!({"currency": "SEK", "reference": "secret-ref"}))
        .await;
    let path = format!("{ORDERS}/{}", order["id"].as_str().unwrap());
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"reference": "stolen"}))),
        (Method::DELETE, None),
    ] {
        let target = if method == Method::PUT {
            format!("{path}/reference")
        } else {
            path.clone()
        };
        let mut request = server.as_merchant(OTHER_MERCHANT, OTHER_KEY, method, &target);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = problem(request.send().await.unwrap(), 404).await;
        assert_eq!(answer["type"], "/problems/not-found");
        let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["detail", "instance", "status", "title", "type"]);
        let text = answer.to_string();
        assert!(
            !text.contains("SEK") && !text.contains("secret-ref") && !text.contains("acme"),
            "{text}"
        );
    }
    let mine: Value = server
        .req(Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["reference"], "secret-ref");
}

async fn bodies_that_do_not_fit_name_the_field(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let order = server.create_order(json!({})).await;
    let path = format!("{ORDERS}/{}", order["id"].as_str().unwrap());
    let cases: [(&str, &str, &str, &str); 6] = [
        (ORDERS, r#"{"currency": "#, "/problems/malformed-json", ""),
        (
            ORDERS,
            r#"{"colour": "red"}"#,
            "/problems/unknown-field",
            "/colour",
        ),
        (
            ORDERS,
            r#"{"currency": 5}"#,
            "/problems/invalid-body",
            "/currency",
        ),
        (
            "/cart",
            r#"{"items": [{"sku": "A1", "colour": 1}]}"#,
            "/problems/unknown-field",
            "/items/0/colour",
        ),
        (
            "/cart",
            r#"{"items": [{"quantity": "2"}]}"#,
            "/problems/invalid-body",
            "/items/0/quantity",
        ),
        (
            "/state",
            r#"{"currentStatus": "shipped"}"#,
            "/problems/invalid-body",
            "/currentStatus",
        ),
    ];
    for (target, body, kind, field) in cases {
        let (method, url) = if target == ORDERS {
            (Method::POST, ORDERS.to_owned())
        } else {
            (Method::PUT, format!("{path}{target}"))
        };
        let response = server
            .req(method, &url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let answer = problem(response, 400).await;
        assert_eq!(answer["type"], kind, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
        server.still_serves().await;
    }
    let response = server
        .req(Method::PUT, &format!("{path}/cart"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(response, 415).await["type"],
        "/problems/unsupported-media-type"
    );
    // A transition the platform does not document is the engine's refusal.
    let response = server
        .req(Method::PUT, &format!("{path}/state"))
        .json(&json!({"currentStatus": "completed"}))
        .send()
        .await
        .unwrap();
    let refused = problem(response, 400).await;
    assert_eq!(
        refused["violations"],
        json!([{"plugin": "builtin", "path": "/state/currentStatus", "code": "transition-not-allowed", "message": "cannot move from checkout to completed"}])
    );
    let response = server.req(Method::GET, &path).send().await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"", "nothing was stored");
}

async fn huge_bodies_answer_413(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let huge = format!(r#"{{"reference": "{}"}}"#, "x".repeat(2 << 20));
    let response = server
        .req(Method::POST, ORDERS)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let answer = problem(response, 413).await;
    assert_eq!(answer["type"], "/problems/payload-too-large");
    assert_eq!(order_count(&server).await, 0);
    server.still_serves().await;
}

async fn unknown_routes_and_methods_are_problems(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let answer = problem(server.req(Method::GET, "/nope").send().await.unwrap(), 404).await;
    assert_eq!(answer["type"], "/problems/not-found");
    assert_eq!(answer["detail"], "no route GET /nope");
    assert_eq!(answer["instance"], "/nope");
    let response = server.req(Method::PATCH, ORDERS).send().await.unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    let answer = problem(response, 405).await;
    assert_eq!(answer["type"], "/problems/method-not-allowed");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    server.still_serves().await;
}

async fn slow_requests_answer_408(store: Arc<dyn Storage>) {
    // Nothing that waits can answer within no time at all.
    let config = ServerConfig {
        request_timeout: Duration::ZERO,
        ..common::config()
    };
    let server = start_with(store, config).await;
    let response = server
        .upload(
            "max-quantity",
            ordergate_test_support::MAX_QUANTITY,
            json!({"kind": "validation", "config": {"maxQuantity": 1}}),
        )
        .await;
    let answer = problem(response, 408).await;
    assert_eq!(answer["type"], "/problems/timeout");
    let response = server.bare(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(response.status(), 200);
}

async fn development_mode_without_keys_opens_every_merchant(store: Arc<dyn Storage>) {
    let host = Arc::new(
        ordergate::Host::builder()
            .store(Arc::clone(&store))
            .build()
            .unwrap(),
    );
    let refused = ordergate_server::AppState::new(host, ServerConfig::default());
    assert_eq!(refused.err(), Some(ordergate_server::StateError::NoApiKeys));

    let config = ServerConfig {
        dev: true,
        ..ServerConfig::default()
    };
    let server = start_with(store, config).await;
    for merchant in ["acme", "anyone"] {
        let response = server
            .bare(Method::POST, ORDERS)
            .header("x-merchant", merchant)
            .header("x-channel", "b2c")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(
            response.json::<Value>().await.unwrap()["merchant"],
            merchant
        );
    }
    // The tenancy headers are still required.
    let response = server
        .bare(Method::POST, ORDERS)
        .header("x-channel", "b2c")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response, 400).await["header"], "x-merchant");
}
