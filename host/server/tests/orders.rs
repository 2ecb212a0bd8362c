//! The order routes over real HTTP: create, read, list, delete, every mutation route, the
//! validations' verdicts, If-Match, traces and notifications.

mod common;

use std::sync::Arc;

use common::{ORDERS, Server, cart, config, on_backends, problem, start, start_server, start_with};
use ordergate::store::Storage;
use ordergate_delivery::UrlPolicy;
use ordergate_server::GuardedInvokes;
use reqwest::Method;
use serde_json::{Value, json};

on_backends!(
    [
        create_get_list_delete,
        every_mutation_route_changes_its_field,
        cart_over_the_max_is_refused_and_nothing_changes,
        stale_if_match_is_refused_before_any_plugin_runs,
        trace_on_request_with_the_request_id,
        validate_answers_200_or_every_violation,
        notifications_with_bad_scope_or_schema_are_refused,
        invoke_urls_pass_the_url_policy,
        the_acting_adapter_does_not_trigger_its_own_hooks,
        requests_queue_for_a_busy_engine,
    ],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

fn order_path(order: &Value) -> String {
    format!("{ORDERS}/{}", order["id"].as_str().expect("order id"))
}

async fn send_json(server: &Server, method: Method, path: &str, body: Value) -> reqwest::Response {
    server
        .req(method, path)
        .json(&body)
        .send()
        .await
        .expect("send")
}

/// Sends and expects 200 with an order; returns it.
async fn change(server: &Server, method: Method, path: &str, body: Option<Value>) -> Value {
    let request = server.req(method, path);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.expect("send");
    let status = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).expect("order json")
}

async fn create_get_list_delete(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let response = send_json(
        &server,
        Method::POST,
        ORDERS,
        json!({"currency": "SEK", "reference": "r1"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let first: Value = response.json().await.unwrap();
    assert_eq!(location, order_path(&first));
    assert_eq!(first["merchant"], "acme");
    assert_eq!(first["channel"], "b2c");
    assert_eq!(first["currency"], "SEK");
    assert_eq!(first["reference"], "r1");
    assert_eq!(first["state"]["currentStatus"], "checkout");

    let response = server.req(Method::GET, &location).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert_eq!(response.json::<Value>().await.unwrap(), first);

    let second = server.create_order(json!({})).await;
    let page: Value = server
        .req(Method::GET, &format!("{ORDERS}?limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["id"], first["id"]);
    assert_eq!(
        page["pagination"],
        json!({"offset": 0, "limit": 1, "size": 1, "totalSize": 2})
    );
    let page: Value = server
        .req(Method::GET, &format!("{ORDERS}?offset=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"][0]["id"], second["id"]);
    assert_eq!(
        page["pagination"],
        json!({"offset": 1, "limit": 10, "size": 1, "totalSize": 2})
    );

    let response = server.req(Method::DELETE, &location).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let gone = problem(
        server.req(Method::GET, &location).send().await.unwrap(),
        404,
    )
    .await;
    assert_eq!(gone["type"], "/problems/not-found");
    assert_eq!(gone["instance"], location);
    let again = problem(
        server.req(Method::DELETE, &location).send().await.unwrap(),
        404,
    )
    .await;
    assert_eq!(again["type"], "/problems/not-found");
    let page: Value = server
        .req(Method::GET, ORDERS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["pagination"]["totalSize"], 1);
}

async fn every_mutation_route_changes_its_field(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let hook = json!({"kind": "hook", "config": {}});
    let response = server
        .upload(
            "notify-completed",
            ordergate_test_support::NOTIFY_COMPLETED,
            hook,
        )
        .await;
    assert_eq!(response.status(), 201);
    let order = server.create_order(json!({"currency": "SEK"})).await;
    let path = order_path(&order);
    let at = |suffix: &str| format!("{path}{suffix}");

    let o = change(&server, Method::PUT, &at("/cart"), Some(cart(2))).await;
    assert_eq!(o["cart"]["items"][0]["quantity"], 2);
    let o = change(
        &server,
        Method::PUT,
        &at("/customer/billing"),
        Some(json!({"givenName": "Ada", "country": "SE"})),
    )
    .await;
    assert_eq!(
        o["customer"]["billing"],
        json!({"givenName": "Ada", "country": "SE"})
    );
    let o = change(
        &server,
        Method::PUT,
        &at("/customer/shipping"),
        Some(json!({"city": "Boden"})),
    )
    .await;
    assert_eq!(o["customer"]["shipping"], json!({"city": "Boden"}));
    let o = change(
        &server,
        Method::PUT,
        &at("/reference"),
        Some(json!({"reference": "ext-1"})),
    )
    .await;
    assert_eq!(o["reference"], "ext-1");
    change(
        &server,
        Method::PATCH,
        &at("/attributes"),
        Some(json!({"a": 1, "b": 2})),
    )
    .await;
    let o = change(
        &server,
        Method::PATCH,
        &at("/attributes"),
        Some(json!({"a": null, "c": 3})),
    )
    .await;
    assert_eq!(o["attributes"], json!({"b": 2, "c": 3}));

    let o = change(
        &server,
        Method::POST,
        &at("/payments"),
        Some(json!({"name": "card", "amount": 100.0})),
    )
    .await;
    assert_eq!(o["payments"][0]["name"], "card");
    assert_eq!(o["payments"][0]["currency"], "SEK");
    let o = change(
        &server,
        Method::PUT,
        &at("/payments/p1"),
        Some(json!({"id": "ignored", "amount": 50.0})),
    )
    .await;
    assert_eq!(o["payments"][1]["id"], "p1");
    assert_eq!(o["payments"][1]["amount"], 50.0);
    let o = change(&server, Method::DELETE, &at("/payments/p1"), None).await;
    assert_eq!(o["payments"].as_array().unwrap().len(), 1);

    let o = change(
        &server,
        Method::PUT,
        &at("/shippings/s1"),
        Some(json!({"name": "post"})),
    )
    .await;
    assert_eq!(o["shippings"][0]["id"], "s1");
    assert_eq!(o["shippings"][0]["name"], "post");
    let o = change(&server, Method::DELETE, &at("/shippings/s1"), None).await;
    assert_eq!(o["shippings"], json!([]));

    let o = change(
        &server,
        Method::POST,
        &at("/consents"),
        Some(json!({"text": "News", "required": true})),
    )
    .await;
    let consent = o["consents"][0]["id"]
        .as_str()
        .expect("consent id")
        .to_owned();
    let o = change(
        &server,
        Method::PATCH,
        &at(&format!("/consents/{consent}")),
        Some(json!({"checked": true})),
    )
    .await;
    assert_eq!(
        o["consents"][0],
        json!({"id": consent, "checked": true, "text": "News", "required": true})
    );
    let o = change(
        &server,
        Method::DELETE,
        &at(&format!("/consents/{consent}")),
        None,
    )
    .await;
    assert_eq!(o["consents"], json!([]));

    let notification = json!({
        "id": "n1", "reference": "ref-1", "scope": "/state/currentStatus",
        "schema": {"const": "processing"}, "invoke": "http://127.0.0.1:9/hook"
    });
    let response = send_json(&server, Method::POST, &at("/notifications"), notification).await;
    assert_eq!(response.status(), 204);
    assert!(response.headers().contains_key("etag"));
    assert_eq!(response.text().await.unwrap(), "");
    let o = change(
        &server,
        Method::PUT,
        &at("/state"),
        Some(json!({"currentStatus": "processing"})),
    )
    .await;
    assert_eq!(o["state"]["currentStatus"], "processing");
    assert_eq!(o["notifications"][0]["reference"], "ref-1");
    let response = server
        .req(Method::DELETE, &at("/notifications/n1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    assert_eq!(o["hooks"][0]["id"], "notify-completed");
    let response = server
        .req(Method::DELETE, &at("/hooks/notify-completed"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let o: Value = server
        .req(Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(o["notifications"], json!([]));
    assert_eq!(o["hooks"], json!([]));
    assert_eq!(o["detachedHooks"], json!(["notify-completed"]));
}

async fn cart_over_the_max_is_refused_and_nothing_changes(store: Arc<dyn Storage>) {
    let server = start(store).await;
    server.install_max_quantity().await;
    let order = server.create_order(json!({})).await;
    let path = order_path(&order);
    change(&server, Method::PUT, &format!("{path}/cart"), Some(cart(2))).await;

    let response = send_json(&server, Method::PUT, &format!("{path}/cart"), cart(12)).await;
    let refused = problem(response, 400).await;
    assert_eq!(refused["type"], "/problems/validation-failed");
    assert_eq!(refused["instance"], format!("{path}/cart"));
    assert_eq!(
        refused["violations"],
        json!([{
            "plugin": "max-quantity",
            "path": "/cart/items/0/quantity",
            "code": "max-quantity-exceeded",
            "message": "quantity 12 exceeds the maximum of 10 per line"
        }])
    );
    let response = server.req(Method::GET, &path).send().await.unwrap();
    assert_eq!(response.headers()["etag"], "\"2\"");
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["cart"]["items"][0]["quantity"], 2);
}

async fn stale_if_match_is_refused_before_any_plugin_runs(store: Arc<dyn Storage>) {
    let server = start(store).await;
    server.install_max_quantity().await;
    let order = server.create_order(json!({})).await;
    let cart_path = format!("{}/cart", order_path(&order));
    let response = server
        .req(Method::PUT, &cart_path)
        .header("if-match", "\"1\"")
        .json(&cart(2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");

    let response = server
        .req(Method::PUT, &cart_path)
        .header("if-match", "\"1\"")
        .json(&cart(3))
        .send()
        .await
        .unwrap();
    let stale = problem(response, 412).await;
    assert_eq!(stale["type"], "/problems/precondition-failed");
    assert_eq!(stale["currentVersion"], 2);
    // Two runs: the creation and the accepted change. The stale one ran nothing.
    let metrics = server.state.metrics().render();
    assert!(
        metrics.contains(
            "ordergate_plugin_runs_total{plugin=\"max-quantity\",verdict=\"accepted\"} 2\n"
        ),
        "{metrics}"
    );
    let stored: Value = server
        .req(Method::GET, &order_path(&order))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["cart"]["items"][0]["quantity"], 2);

    let response = server
        .req(Method::PUT, &cart_path)
        .header("if-match", "2")
        .json(&cart(3))
        .send()
        .await
        .unwrap();
    let malformed = problem(response, 400).await;
    assert_eq!(malformed["type"], "/problems/invalid-header");
    assert_eq!(malformed["header"], "if-match");
}

async fn trace_on_request_with_the_request_id(store: Arc<dyn Storage>) {
    let server = start(store).await;
    server.install_max_quantity().await;
    let order = server.create_order(json!({})).await;
    let cart_path = format!("{}/cart", order_path(&order));

    let response = server
        .req(Method::PUT, &format!("{cart_path}?trace=true"))
        .header("x-request-id", "req-trace-1")
        .json(&cart(2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "req-trace-1");
    assert_eq!(response.headers()["etag"], "\"2\"");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["version"], 2);
    assert_eq!(body["order"]["cart"]["items"][0]["quantity"], 2);
    assert_eq!(body["trace"]["requestId"], "req-trace-1");
    assert_eq!(body["trace"]["plugins"][0]["plugin"], "max-quantity");
    assert_eq!(
        body["trace"]["plugins"][0]["verdict"],
        json!({"verdict": "accepted"})
    );

    // The header asks for it too, and a refusal carries its trace.
    let response = server
        .req(Method::PUT, &cart_path)
        .header("x-ordergate-trace", "true")
        .json(&cart(11))
        .send()
        .await
        .unwrap();
    let refused = problem(response, 400).await;
    assert_eq!(
        refused["trace"]["plugins"][0]["verdict"],
        json!({"verdict": "rejected", "violations": 1})
    );
    let generated = refused["trace"]["requestId"]
        .as_str()
        .expect("generated request id");
    assert!(!generated.is_empty());

    // Without asking: the plain order.
    let plain: Value = server
        .req(Method::PUT, &cart_path)
        .json(&cart(3))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plain["id"], order["id"]);
    assert!(plain.get("trace").is_none());
}

async fn validate_answers_200_or_every_violation(store: Arc<dyn Storage>) {
    let server = start(store).await;
    // Stored before the rule existed: only the explicit validation sees it.
    let order = server.create_order(json!({"cart": cart(12)})).await;
    server.install_max_quantity().await;
    let validate = format!("{}/validate", order_path(&order));

    let refused = problem(
        server.req(Method::POST, &validate).send().await.unwrap(),
        400,
    )
    .await;
    assert_eq!(refused["type"], "/problems/validation-failed");
    assert_eq!(refused["violations"][0]["code"], "max-quantity-exceeded");
    assert_eq!(refused["violations"].as_array().unwrap().len(), 1);
    let response = server
        .req(Method::GET, &order_path(&order))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["etag"],
        "\"1\"",
        "validate changes nothing"
    );

    let response = server
        .req(
            Method::POST,
            &format!("{ORDERS}/{}/cart", order["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    change(
        &server,
        Method::PUT,
        &format!("{}/cart", order_path(&order)),
        Some(cart(3)),
    )
    .await;
    let response = server.req(Method::POST, &validate).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let trace: Value = response.json().await.unwrap();
    assert_eq!(trace["plugins"][0]["plugin"], "max-quantity");
    assert_eq!(
        trace["plugins"][0]["verdict"],
        json!({"verdict": "accepted"})
    );

    let missing = problem(
        server
            .req(Method::POST, &format!("{ORDERS}/o_nope/validate"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(missing["type"], "/problems/not-found");
}

async fn notifications_with_bad_scope_or_schema_are_refused(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let order = server.create_order(json!({})).await;
    let path = format!("{}/notifications", order_path(&order));
    let notification = |scope: &str, schema: Value| json!({"reference": "r", "scope": scope, "schema": schema, "invoke": "http://127.0.0.1:9/x"});
    for (body, field) in [
        (
            notification("state/currentStatus", json!({"const": "completed"})),
            "/scope",
        ),
        (
            notification("/payments/0/state", json!({"const": "completed"})),
            "/scope",
        ),
        (
            notification("/state/currentStatus", json!({"type": 12})),
            "/schema",
        ),
    ] {
        let refused = problem(send_json(&server, Method::POST, &path, body).await, 400).await;
        assert_eq!(refused["type"], "/problems/invalid-notification");
        assert_eq!(refused["field"], field, "{refused}");
    }
    let stored: Value = server
        .req(Method::GET, &order_path(&order))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["notifications"], json!([]));
    server.still_serves().await;
}

/// The service's own check (`GuardedInvokes`, the delivery worker's URL policy without
/// `--dev`): a destination that resolves to an internal address is refused at registration,
/// whether written out or filled from the adapter's configuration; a public one passes.
async fn invoke_urls_pass_the_url_policy(store: Arc<dyn Storage>) {
    let server = start_server(store, config(), |host| {
        Arc::new(GuardedInvokes::new(host, UrlPolicy::public_only()))
    })
    .await;
    let configuration = json!({"internalUrl": "http://10.1.2.3:8080"});
    let response = server
        .req(Method::PUT, "/api/v0/checkout/configurations/erp")
        .json(&configuration)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let order = server.create_order(json!({})).await;
    let path = format!("{}/notifications", order_path(&order));
    let notification = |invoke: &str| json!({"reference": "r", "adapterId": "erp", "scope": "/reference", "schema": {"type": "string"}, "invoke": invoke});
    let internal = |host: &str, class: &str| {
        format!(
            "invoke URL refused: invoke URL host \"{host}\" resolves to {host}, a {class} \
             address: deliveries to internal networks are refused"
        )
    };
    for (invoke, detail) in [
        (
            "http://169.254.169.254/latest/meta-data",
            internal("169.254.169.254", "link-local"),
        ),
        // The host is known before the first placeholder: checked now.
        (
            "http://127.0.0.1:9000/orders/{order.reference}",
            internal("127.0.0.1", "loopback"),
        ),
        // The host comes from the adapter's stored configuration.
        (
            "{configuration.adapter.internalUrl}/callbacks/{order_id}",
            internal("10.1.2.3", "private"),
        ),
        (
            "ftp://198.51.100.7/x",
            "invoke URL refused: invoke URL scheme \"ftp\" is not supported: use http or https"
                .to_owned(),
        ),
    ] {
        let sent = server
            .req(Method::POST, &path)
            .header("x-adapterid", "erp")
            .json(&notification(invoke))
            .send()
            .await
            .unwrap();
        let refused = problem(sent, 400).await;
        assert_eq!(
            refused["type"], "/problems/invalid-notification",
            "{invoke}"
        );
        assert_eq!(refused["field"], "/invoke");
        assert_eq!(refused["detail"], detail);
    }
    // A public address (a literal: no DNS needed, and nothing is sent at registration).
    let public = "https://93.184.216.34/callbacks/{order_id}";
    let response = server
        .req(Method::POST, &path)
        .header("x-adapterid", "erp")
        .json(&notification(public))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let stored: Value = server
        .req(Method::GET, &order_path(&order))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(stored["notifications"][0]["invoke"], public);
}

async fn the_acting_adapter_does_not_trigger_its_own_hooks(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let manifest =
        json!({"kind": "hook", "subscribeTo": ["cart"], "adapterId": "promo", "config": {}});
    let response = server
        .upload(
            "three-for-two",
            ordergate_test_support::THREE_FOR_TWO,
            manifest,
        )
        .await;
    assert_eq!(response.status(), 201);
    let three = json!({
        "items": [{"sku": "T", "quantity": 3, "price": {"includingVat": 100.0, "excludingVat": 80.0}}],
        "total": {"includingVat": 300.0, "excludingVat": 240.0}
    });
    let order = server.create_order(json!({})).await;
    let cart_path = format!("{}/cart?trace=true", order_path(&order));

    let by_merchant = change(&server, Method::PUT, &cart_path, Some(three.clone())).await;
    assert_eq!(
        by_merchant["trace"]["plugins"][0]["plugin"],
        "three-for-two"
    );
    assert_eq!(
        by_merchant["order"]["cart"]["discounts"][0]["code"], "3for2",
        "{by_merchant}"
    );
    let response = server
        .req(Method::PUT, &cart_path)
        .header("x-adapterid", "promo")
        .json(&three)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let by_adapter: Value = response.json().await.unwrap();
    assert_eq!(by_adapter["trace"]["plugins"], json!([]), "{by_adapter}");
    assert_eq!(by_adapter["order"]["cart"]["discounts"], Value::Null);
}

async fn requests_queue_for_a_busy_engine(store: Arc<dyn Storage>) {
    let config = ordergate_server::ServerConfig {
        engine_concurrency: Some(1),
        ..config()
    };
    let server = start_with(store, config).await;
    assert_eq!(server.state.engine_capacity(), 1);
    server.install_max_quantity().await;
    let mut paths = Vec::new();
    for _ in 0..8 {
        paths.push(format!(
            "{}/cart",
            order_path(&server.create_order(json!({})).await)
        ));
    }
    // Eight at once through one engine slot: every one waits its turn, none fails.
    let requests = paths
        .iter()
        .map(|path| server.req(Method::PUT, path).json(&cart(2)).send());
    let statuses: Vec<u16> = futures_join(requests).await;
    assert_eq!(statuses, [200; 8]);
    let metrics = server.state.metrics().render();
    assert!(
        metrics.contains(
            "ordergate_plugin_runs_total{plugin=\"max-quantity\",verdict=\"accepted\"} 16\n"
        ),
        "{metrics}"
    );
}

/// Runs the requests concurrently (each on its own task) and collects their statuses.
async fn futures_join<F>(requests: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let tasks: Vec<_> = requests.map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().unwrap().status().as_u16());
    }
    statuses
}
