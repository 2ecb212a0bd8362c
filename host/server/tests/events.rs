//! The event routes of spec 002 over real HTTP: list with filters and pagination, show,
//! retry; scoped by merchant.

mod common;

use std::sync::Arc;

use common::{ORDERS, OTHER_KEY, OTHER_MERCHANT, on_backends, problem, start};
use ordergate::store::Storage;
use reqwest::Method;
use serde_json::{Value, json};

on_backends!(
    [list_get_and_retry_events],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

const EVENTS: &str = "/api/v1/events";

async fn list(server: &common::Server, query: &str) -> Value {
    let response = server
        .req(Method::GET, &format!("{EVENTS}{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn list_get_and_retry_events(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let a = server.create_order(json!({})).await;
    let a_path = format!("{ORDERS}/{}", a["id"].as_str().unwrap());
    server.notify_on_reference(&a_path, "ref-a", "erp").await;
    for reference in ["r1", "r2", "r3"] {
        server.set_reference(&a_path, reference).await;
    }
    let response = server
        .in_channel("b2b", Method::POST, ORDERS)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let b: Value = response.json().await.unwrap();
    let b_path = format!("{ORDERS}/{}", b["id"].as_str().unwrap());
    let notification = json!({"reference": "ref-b", "scope": "/reference", "schema": {"type": "string"}, "invoke": "http://127.0.0.1:9/b"});
    let response = server
        .in_channel("b2b", Method::POST, &format!("{b_path}/notifications"))
        .json(&notification)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = server
        .in_channel("b2b", Method::PUT, &format!("{b_path}/reference"))
        .json(&json!({"reference": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let all = list(&server, "").await;
    assert_eq!(
        all["pagination"],
        json!({"offset": 0, "limit": 10, "size": 4, "totalSize": 4})
    );
    let all_ids = ids(&all);
    let first = &all["data"][0];
    assert_eq!(first["orderId"], a["id"]);
    assert_eq!(first["merchant"], "acme");
    assert_eq!(first["channel"], "b2c");
    assert_eq!(first["adapterId"], "erp");
    assert_eq!(first["reference"], "ref-a");
    assert_eq!(first["payload"]["notification"]["reference"], "ref-a");
    assert_eq!(first["payload"]["order"]["reference"], "r1");
    assert_eq!(first["attempts"], json!([]));
    assert_eq!(first["status"], "pending");

    let by_order = list(&server, &format!("?order_id={}", a["id"].as_str().unwrap())).await;
    assert_eq!(ids(&by_order), all_ids[..3]);
    assert_eq!(ids(&list(&server, "?reference=ref-b").await), all_ids[3..]);
    assert_eq!(ids(&list(&server, "?channel=b2b").await), all_ids[3..]);
    assert_eq!(ids(&list(&server, "?adapter_id=erp").await), all_ids[..3]);
    assert_eq!(
        ids(&list(&server, "?adapter_id=erp&reference=ref-b").await),
        Vec::<String>::new()
    );
    let page = list(&server, "?offset=1&limit=2").await;
    assert_eq!(ids(&page), all_ids[1..3]);
    assert_eq!(
        page["pagination"],
        json!({"offset": 1, "limit": 2, "size": 2, "totalSize": 4})
    );
    let bad = problem(
        server
            .req(Method::GET, &format!("{EVENTS}?offset=abc"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(bad["type"], "/problems/invalid-query");

    let id = &all_ids[0];
    let response = server
        .req(Method::GET, &format!("{EVENTS}/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(&event, first);

    let response = server
        .req(Method::POST, &format!("{EVENTS}/{id}/retry"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let retried: Value = response.json().await.unwrap();
    assert_eq!(retried["id"], *id);
    assert_eq!(retried["status"], "pending");

    // Events need only x-merchant; another merchant sees none of them.
    let response = server
        .bare(Method::GET, EVENTS)
        .header("x-merchant", OTHER_MERCHANT)
        .header("authorization", OTHER_KEY)
        .send()
        .await
        .unwrap();
    let theirs: Value = response.json().await.unwrap();
    assert_eq!(theirs["pagination"]["totalSize"], 0);
    let response = server
        .as_merchant(
            OTHER_MERCHANT,
            OTHER_KEY,
            Method::GET,
            &format!("{EVENTS}/{id}"),
        )
        .send()
        .await
        .unwrap();
    let hidden = problem(response, 404).await;
    assert!(!hidden.to_string().contains("ref-a"));
    let response = server
        .as_merchant(
            OTHER_MERCHANT,
            OTHER_KEY,
            Method::POST,
            &format!("{EVENTS}/{id}/retry"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(response, 404).await["type"], "/problems/not-found");
    let missing = server
        .bare(Method::GET, EVENTS)
        .header("authorization", common::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(missing, 400).await["header"], "x-merchant");
}
