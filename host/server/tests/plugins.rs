//! The plugin and adapter-configuration routes over real HTTP: uploads (good, refused,
//! too large), versions, activation (rollback), removal.

mod common;

use std::sync::Arc;

use common::{
    ORDERS, OTHER_KEY, OTHER_MERCHANT, PLUGINS, cart, config, on_backends, problem, start,
    start_with,
};
use ordergate::store::Storage;
use ordergate_server::ServerConfig;
use ordergate_test_support as plugins;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_backends!(
    [
        upload_answers_what_was_installed,
        refused_components_answer_422_with_the_reason,
        uploads_over_the_limit_answer_413,
        streamed_uploads_are_capped_without_content_length,
        versions_activate_and_remove,
        adapter_configurations_are_per_merchant,
    ],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

fn max_quantity(max: u32) -> Value {
    json!({"kind": "validation", "subscribeTo": ["cart"], "config": {"maxQuantity": max}})
}

async fn upload_answers_what_was_installed(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let bytes = plugins::read(plugins::MAX_QUANTITY);
    let response = server
        .upload_bytes("max-quantity", bytes.clone(), max_quantity(10))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["location"],
        format!("{PLUGINS}/max-quantity")
    );
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["id"], "max-quantity");
    assert_eq!(report["version"], 1);
    assert_eq!(report["kind"], "validation");
    assert_eq!(report["sha256"], format!("{:x}", Sha256::digest(&bytes)));
    assert_eq!(report["size"], bytes.len());
    assert!(report["loadUs"].is_u64());
    // The same duration in two units (microseconds truncated).
    let (ms, us) = (
        report["compileMs"].as_f64().unwrap(),
        report["loadUs"].as_f64().unwrap(),
    );
    assert!((0.0..1.0).contains(&(ms * 1e3 - us)), "{ms} ms, {us} µs");
    assert!(report["initFuel"].is_u64());

    // The manifest may name the id, but only the path's.
    let mut manifest = max_quantity(10);
    manifest["id"] = json!("other");
    let refused = problem(
        server
            .upload_bytes("max-quantity", bytes.clone(), manifest)
            .await,
        400,
    )
    .await;
    assert_eq!(refused["type"], "/problems/invalid-upload");
    assert_eq!(refused["field"], "/id");
    let mut manifest = max_quantity(10);
    manifest["colour"] = json!("red");
    let refused = problem(
        server.upload_bytes("max-quantity", bytes, manifest).await,
        400,
    )
    .await;
    assert_eq!(refused["type"], "/problems/unknown-field");
    assert_eq!(refused["field"], "/colour");
    assert_eq!(refused["part"], "manifest");
}

async fn refused_components_answer_422_with_the_reason(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let cases = [
        (
            b"definitely not wasm".to_vec(),
            max_quantity(10),
            "not-a-component",
        ),
        (
            plugins::read(plugins::HOSTILE_WASIP2),
            json!({"kind": "validation"}),
            "forbidden-import",
        ),
        (
            plugins::read(plugins::NOTIFY_COMPLETED),
            json!({"kind": "validation"}),
            "wrong-world",
        ),
        (
            plugins::read(plugins::MAX_QUANTITY),
            json!({"kind": "validation", "config": {}}),
            "init-failed",
        ),
    ];
    for (bytes, manifest, reason) in cases {
        let refused = problem(server.upload_bytes("p", bytes, manifest).await, 422).await;
        assert_eq!(refused["type"], "/problems/invalid-plugin");
        assert_eq!(refused["reason"], reason, "{refused}");
    }
    // Nothing was stored.
    let missing = problem(
        server
            .req(Method::GET, &format!("{PLUGINS}/p"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(missing["type"], "/problems/not-found");
    server.still_serves().await;
}

async fn uploads_over_the_limit_answer_413(store: Arc<dyn Storage>) {
    let server = start_with(
        store,
        ServerConfig {
            upload_limit: 4096,
            ..config()
        },
    )
    .await;
    let refused = problem(
        server
            .upload("max-quantity", plugins::MAX_QUANTITY, max_quantity(10))
            .await,
        413,
    )
    .await;
    assert_eq!(refused["type"], "/problems/payload-too-large");
    let listed: Value = server
        .req(Method::GET, PLUGINS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"], json!([]));
    server.still_serves().await;
}

async fn streamed_uploads_are_capped_without_content_length(store: Arc<dyn Storage>) {
    let server = start_with(
        store,
        ServerConfig {
            upload_limit: 4096,
            ..config()
        },
    )
    .await;
    let boundary = "ordergate-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"module\"\r\n\r\n",
        max_quantity(10)
    )
    .into_bytes();
    body.extend(plugins::read(plugins::MAX_QUANTITY));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    // Chunked, so no Content-Length announces the size: only the cap on the stream can
    // stop it.
    let mut request = format!(
        "PUT {PLUGINS}/max-quantity HTTP/1.1\r\nhost: test\r\nx-merchant: acme\r\n\
         x-channel: b2c\r\nauthorization: {}\r\ntransfer-encoding: chunked\r\n\
         content-type: multipart/form-data; boundary={boundary}\r\nconnection: close\r\n\r\n",
        common::KEY
    )
    .into_bytes();
    for chunk in body.chunks(1024) {
        request.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
        request.extend(chunk);
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The kernel's buffers take the whole request; the server stops reading at the cap.
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("/problems/payload-too-large"), "{answer}");
    let listed: Value = server
        .req(Method::GET, PLUGINS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"], json!([]));
    server.still_serves().await;
}

async fn versions_activate_and_remove(store: Arc<dyn Storage>) {
    let server = start(store).await;
    server.install_max_quantity().await;
    let response = server
        .upload("max-quantity", plugins::MAX_QUANTITY, max_quantity(20))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["version"], 2);

    let versions: Value = server
        .req(Method::GET, &format!("{PLUGINS}/max-quantity"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let summary: Vec<(u64, &str, u64)> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["status"].as_str().unwrap(),
                v["manifest"]["config"]["maxQuantity"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [(1, "superseded", 10), (2, "active", 20)]);
    assert_eq!(versions["data"][0]["uploadedBy"], "acme");
    assert!(versions["data"][0].get("component").is_none());

    let order = server.create_order(json!({})).await;
    let cart_path = format!("{ORDERS}/{}/cart", order["id"].as_str().unwrap());
    let accepted = server
        .req(Method::PUT, &cart_path)
        .json(&cart(15))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200, "version 2 allows 20");

    let response = server
        .req(
            Method::POST,
            &format!("{PLUGINS}/max-quantity/versions/1/activate"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let activated: Value = response.json().await.unwrap();
    assert_eq!(
        (activated["version"].as_u64(), activated["status"].as_str()),
        (Some(1), Some("active"))
    );
    let refused = problem(
        server
            .req(Method::PUT, &cart_path)
            .json(&cart(15))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(
        refused["violations"][0]["message"],
        "quantity 15 exceeds the maximum of 10 per line"
    );
    let listed: Value = server
        .req(Method::GET, PLUGINS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["id"], "max-quantity");
    assert_eq!(listed["data"][0]["version"], 1);
    let missing = problem(
        server
            .req(
                Method::POST,
                &format!("{PLUGINS}/max-quantity/versions/9/activate"),
            )
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(missing["type"], "/problems/not-found");

    // Another merchant sees none of it.
    let hidden = server
        .as_merchant(
            OTHER_MERCHANT,
            OTHER_KEY,
            Method::GET,
            &format!("{PLUGINS}/max-quantity"),
        )
        .send()
        .await
        .unwrap();
    let hidden = problem(hidden, 404).await;
    assert!(!hidden.to_string().contains("maxQuantity"));

    let response = server
        .req(Method::DELETE, &format!("{PLUGINS}/max-quantity"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let accepted = server
        .req(Method::PUT, &cart_path)
        .json(&cart(15))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200, "no rule any more");
    let listed: Value = server
        .req(Method::GET, PLUGINS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"], json!([]));
    let again = problem(
        server
            .req(Method::DELETE, &format!("{PLUGINS}/max-quantity"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(again["type"], "/problems/not-found");
}

async fn adapter_configurations_are_per_merchant(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let path = "/api/v0/checkout/configurations/erp";
    let configuration = json!({"internalUrl": "http://127.0.0.1:9"});
    let response = server
        .req(Method::PUT, path)
        .json(&configuration)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), configuration);
    let read: Value = server
        .req(Method::GET, path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read, configuration);

    let other = server
        .as_merchant(OTHER_MERCHANT, OTHER_KEY, Method::GET, path)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(other, 404).await["type"], "/problems/not-found");
    let unknown = server
        .req(Method::GET, "/api/v0/checkout/configurations/crm")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(unknown, 404).await["type"], "/problems/not-found");
    let refused = problem(
        server
            .req(Method::PUT, path)
            .json(&json!([1]))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(refused["type"], "/problems/invalid-body");
    assert_eq!(refused["field"], "");
}

/// Two nodes on one database: a plugin uploaded or removed through one applies to the
/// other's next mutation, with no restart.
async fn plugins_apply_across_nodes(a: Arc<dyn Storage>, b: Arc<dyn Storage>) {
    let (node_a, node_b) = (start(a).await, start(b).await);
    let order = node_a.create_order(json!({})).await;
    let cart_path = format!("{ORDERS}/{}/cart", order["id"].as_str().unwrap());
    node_b.install_max_quantity().await;
    let refused = node_a
        .req(Method::PUT, &cart_path)
        .json(&cart(12))
        .send()
        .await
        .unwrap();
    let refused = problem(refused, 400).await;
    assert_eq!(refused["violations"][0]["plugin"], "max-quantity");

    let response = node_b
        .req(Method::DELETE, &format!("{PLUGINS}/max-quantity"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let accepted = node_a
        .req(Method::PUT, &cart_path)
        .json(&cart(12))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let seen_by_b = node_b
        .req(Method::GET, &cart_path.replace("/cart", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(seen_by_b.headers()["etag"], "\"2\"");
}

#[test]
fn plugins_apply_across_nodes_on_sqlite() {
    let (a, dir) = ordergate_store_sql::testing::fresh_sqlite();
    let b = ordergate_store_sql::SqliteStore::open(&dir.path().join("ordergate.db")).unwrap();
    common::run(plugins_apply_across_nodes(Arc::new(a), Arc::new(b)));
}

#[test]
fn plugins_apply_across_nodes_on_postgres() {
    let url = ordergate_store_sql::testing::fresh_postgres_url();
    let a = ordergate_store_sql::PostgresStore::connect(&url).unwrap();
    let b = ordergate_store_sql::PostgresStore::connect(&url).unwrap();
    common::run(plugins_apply_across_nodes(Arc::new(a), Arc::new(b)));
}
