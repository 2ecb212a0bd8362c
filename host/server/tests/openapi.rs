//! `GET /openapi.json` documents exactly the routes the router serves.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{on_backends, start};
use ordergate::store::Storage;
use reqwest::Method;
use serde_json::Value;

on_backends!(
    [the_document_and_the_router_agree],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

const O: &str = "/api/v0/checkout/orders";
const P: &str = "/api/v0/checkout/plugins";

/// Every route the service should serve (the task's list).
fn expected() -> BTreeSet<(String, String)> {
    let order = format!("{O}/{{order_id}}");
    let mut routes = vec![
        ("post", O.to_owned()),
        ("get", O.to_owned()),
        ("get", order.clone()),
        ("delete", order.clone()),
        ("post", format!("{order}/validate")),
        ("put", format!("{order}/state")),
        ("put", format!("{order}/cart")),
        ("put", format!("{order}/customer/billing")),
        ("put", format!("{order}/customer/shipping")),
        ("put", format!("{order}/reference")),
        ("patch", format!("{order}/attributes")),
        ("post", format!("{order}/payments")),
        ("put", format!("{order}/payments/{{payment_id}}")),
        ("delete", format!("{order}/payments/{{payment_id}}")),
        ("put", format!("{order}/shippings/{{shipping_id}}")),
        ("delete", format!("{order}/shippings/{{shipping_id}}")),
        ("post", format!("{order}/consents")),
        ("patch", format!("{order}/consents/{{consent_id}}")),
        ("delete", format!("{order}/consents/{{consent_id}}")),
        ("post", format!("{order}/notifications")),
        (
            "delete",
            format!("{order}/notifications/{{notification_id}}"),
        ),
        ("delete", format!("{order}/hooks/{{hook_id}}")),
        ("get", P.to_owned()),
        ("put", format!("{P}/{{plugin_id}}")),
        ("get", format!("{P}/{{plugin_id}}")),
        ("delete", format!("{P}/{{plugin_id}}")),
        (
            "post",
            format!("{P}/{{plugin_id}}/versions/{{version}}/activate"),
        ),
        ("get", format!("{P}/{{plugin_id}}/shadow")),
        ("delete", format!("{P}/{{plugin_id}}/shadow")),
        ("post", format!("{P}/{{plugin_id}}/shadow/promote")),
        ("get", format!("{P}/{{plugin_id}}/runs")),
        ("get", "/api/v0/checkout/retention".to_owned()),
        ("put", "/api/v0/checkout/retention".to_owned()),
        ("delete", "/api/v0/checkout/retention".to_owned()),
        (
            "put",
            "/api/v0/checkout/configurations/{adapter_id}".to_owned(),
        ),
        (
            "get",
            "/api/v0/checkout/configurations/{adapter_id}".to_owned(),
        ),
        ("get", "/api/v1/events".to_owned()),
        ("get", "/api/v1/events/{event_id}".to_owned()),
        ("post", "/api/v1/events/{event_id}/retry".to_owned()),
        ("get", "/healthz".to_owned()),
        ("get", "/readyz".to_owned()),
        ("get", "/metrics".to_owned()),
        ("get", "/openapi.json".to_owned()),
    ];
    routes.sort();
    routes.into_iter().map(|(m, p)| (m.to_owned(), p)).collect()
}

async fn the_document_and_the_router_agree(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let response = server
        .bare(Method::GET, "/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc,
        serde_json::to_value(ordergate_server::openapi()).unwrap()
    );

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    assert_eq!(documented, expected());

    // Bodies are the engine's model types, with the spec's names and enums.
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Order",
        "NewOrder",
        "Cart",
        "Item",
        "Address",
        "Payment",
        "Shipping",
        "Consent",
        "Notification",
        "NotificationEvent",
        "EventPage",
        "OrderPage",
        "ProblemDetails",
        "Violation",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name} missing");
    }
    assert_eq!(
        schemas["OrderStatus"]["enum"],
        serde_json::json!([
            "checkout",
            "processing",
            "accepted",
            "completed",
            "declined",
            "removed"
        ])
    );
    assert!(schemas["Order"]["properties"].get("lastModified").is_some());
    assert!(
        schemas["ProblemDetails"]["properties"]
            .get("type")
            .is_some()
    );
    let cart = &doc["paths"]["/api/v0/checkout/orders/{order_id}/cart"]["put"];
    assert_eq!(
        cart["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Cart"
    );
    assert_eq!(
        cart["responses"]["400"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/ProblemDetails"
    );

    // Each documented operation reaches a handler: neither the fallback nor a 405.
    for (method, path) in &documented {
        let concrete = path
            .replace("{version}", "1")
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = server.req(method.clone(), &concrete).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_ne!(status, 405, "{method} {concrete}");
        assert!(!body.contains("no route"), "{method} {concrete}: {body}");
    }
}
