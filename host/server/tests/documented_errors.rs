//! What schemathesis found (`.ci/schemathesis`): error answers the OpenAPI document did not
//! list. Each case sends the request it sent, asserts the exact status and problem type,
//! and asserts `GET /openapi.json` now documents that status for the operation, as a
//! Problem Details answer.

mod common;

use std::sync::Arc;

use common::{KEY, ORDERS, PLUGINS, on_backends, problem, start};
use ordergate::store::Storage;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

on_backends!(
    [
        every_error_answer_is_documented,
        every_tenant_operation_documents_the_caller_errors,
        operations_routes_say_they_need_no_key,
        if_match_documents_its_form,
    ],
    {
        memory: crate::common::memory(),
        sqlite: crate::common::sqlite(),
        postgres: crate::common::postgres(),
    }
);

/// The served document.
async fn document(server: &common::Server) -> Value {
    let response = server
        .bare(Method::GET, "/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Asserts `doc` documents `status` on `method template` as Problem Details.
fn assert_documented(doc: &Value, method: &Method, template: &str, status: u16) {
    let operation = &doc["paths"][template][method.as_str().to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not documented"
    );
    let response = &operation["responses"][status.to_string()];
    assert_eq!(
        response["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/ProblemDetails",
        "{method} {template} does not document {status}: {}",
        operation["responses"]
    );
}

/// One finding: the request, the operation it hits, and the answer it must get.
struct Case {
    method: Method,
    template: &'static str,
    request: RequestBuilder,
    status: u16,
    kind: &'static str,
}

async fn every_error_answer_is_documented(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let doc = document(&server).await;
    let order = server.create_order(json!({})).await;
    let id = order["id"].as_str().unwrap();
    let path = format!("{ORDERS}/{id}");
    let missing = format!("{ORDERS}/o_missing");
    let without_channel = |method: Method, path: &str| {
        server
            .bare(method, path)
            .header("x-merchant", "acme")
            .header("authorization", KEY)
    };
    let cases = vec![
        // Operations without a body did not list 400 for a missing tenant header.
        Case {
            method: Method::GET,
            template: ORDERS,
            request: without_channel(Method::GET, ORDERS),
            status: 400,
            kind: "missing-header",
        },
        Case {
            method: Method::DELETE,
            template: "/api/v0/checkout/orders/{order_id}",
            request: without_channel(Method::DELETE, &path),
            status: 400,
            kind: "missing-header",
        },
        Case {
            method: Method::GET,
            template: "/api/v1/events/{event_id}",
            request: server.bare(Method::GET, "/api/v1/events/evt_1"),
            status: 400,
            kind: "missing-header",
        },
        Case {
            method: Method::GET,
            template: ORDERS,
            request: server.req(Method::GET, &format!("{ORDERS}?offset=abc")),
            status: 400,
            kind: "invalid-query",
        },
        Case {
            method: Method::POST,
            template: "/api/v0/checkout/plugins/{plugin_id}/versions/{version}/activate",
            request: server.req(Method::POST, &format!("{PLUGINS}/p/versions/x/activate")),
            status: 400,
            kind: "invalid-path",
        },
        // JSON routes did not list 415 for a body that is not JSON.
        Case {
            method: Method::POST,
            template: ORDERS,
            request: server
                .req(Method::POST, ORDERS)
                .header("content-type", "text/plain")
                .body("{}"),
            status: 415,
            kind: "unsupported-media-type",
        },
        Case {
            method: Method::PUT,
            template: "/api/v0/checkout/configurations/{adapter_id}",
            request: server
                .req(Method::PUT, "/api/v0/checkout/configurations/erp")
                .body("{}"),
            status: 415,
            kind: "unsupported-media-type",
        },
        // Order changes did not list 404 for an unknown order.
        Case {
            method: Method::PUT,
            template: "/api/v0/checkout/orders/{order_id}/cart",
            request: server
                .req(Method::PUT, &format!("{missing}/cart"))
                .json(&json!({})),
            status: 404,
            kind: "not-found",
        },
        Case {
            method: Method::DELETE,
            template: "/api/v0/checkout/orders/{order_id}/consents/{consent_id}",
            request: server.req(Method::DELETE, &format!("{missing}/consents/c1")),
            status: 404,
            kind: "not-found",
        },
        Case {
            method: Method::DELETE,
            template: "/api/v0/checkout/orders/{order_id}/hooks/{hook_id}",
            request: server.req(Method::DELETE, &format!("{missing}/hooks/h1")),
            status: 404,
            kind: "not-found",
        },
        // Nor `If-Match`, which is now a documented parameter of every order change.
        Case {
            method: Method::PUT,
            template: "/api/v0/checkout/orders/{order_id}/reference",
            request: server
                .req(Method::PUT, &format!("{path}/reference"))
                .header("if-match", "\"7\"")
                .json(&json!({"reference": "r"})),
            status: 412,
            kind: "precondition-failed",
        },
        Case {
            method: Method::PUT,
            template: "/api/v0/checkout/orders/{order_id}/reference",
            request: server
                .req(Method::PUT, &format!("{path}/reference"))
                .header("if-match", "seven")
                .json(&json!({"reference": "r"})),
            status: 400,
            kind: "invalid-header",
        },
        // The upload listed neither 400 for a missing part nor 415 for a broken boundary.
        Case {
            method: Method::PUT,
            template: "/api/v0/checkout/plugins/{plugin_id}",
            request: server
                .req(Method::PUT, &format!("{PLUGINS}/p"))
                .header("content-type", "multipart/form-data; boundary=b")
                .body("--b--\r\n"),
            status: 400,
            kind: "invalid-upload",
        },
        Case {
            method: Method::PUT,
            template: "/api/v0/checkout/plugins/{plugin_id}",
            request: server
                .req(Method::PUT, &format!("{PLUGINS}/p"))
                .header("content-type", "multipart/form-data")
                .body("--b--\r\n"),
            status: 415,
            kind: "unsupported-media-type",
        },
    ];
    for case in cases {
        let answer = problem(case.request.send().await.unwrap(), case.status).await;
        assert_eq!(
            answer["type"],
            format!("/problems/{}", case.kind),
            "{} {}: {answer}",
            case.method,
            case.template
        );
        assert_documented(&doc, &case.method, case.template, case.status);
    }
    // None of them changed the order.
    let response = server.req(Method::GET, &path).send().await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    server.still_serves().await;
}

async fn every_tenant_operation_documents_the_caller_errors(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let doc = document(&server).await;
    let mut tenant_operations = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let params = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let has = |place: &str, name: Option<&str>| {
                params
                    .iter()
                    .any(|p| p["in"] == place && name.is_none_or(|n| p["name"] == n))
            };
            if !has("header", Some("x-merchant")) {
                continue;
            }
            tenant_operations += 1;
            for status in [400, 401, 403, 408, 503] {
                assert_documented(&doc, &method, template, status);
            }
            if has("path", None) {
                assert_documented(&doc, &method, template, 404);
            }
            if operation["requestBody"].is_object() {
                assert_documented(&doc, &method, template, 413);
                assert_documented(&doc, &method, template, 415);
            }
            if has("header", Some("if-match")) {
                assert_documented(&doc, &method, template, 409);
                assert_documented(&doc, &method, template, 412);
            }
        }
    }
    // 32, and the shadow (report, end, promote), kept-runs and retention (get, put,
    // delete) operations.
    assert_eq!(tenant_operations, 39);
}

async fn operations_routes_say_they_need_no_key(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let doc = document(&server).await;
    assert_eq!(doc["security"], json!([{"api_key": []}]));
    for route in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let response = server.bare(Method::GET, route).send().await.unwrap();
        assert_eq!(response.status(), 200, "{route} without a key");
        assert_eq!(
            doc["paths"][route]["get"]["security"],
            json!([{}]),
            "{route}"
        );
    }
    let order_route = &doc["paths"][ORDERS]["get"];
    assert!(order_route.get("security").is_none(), "{order_route}");
}

async fn if_match_documents_its_form(store: Arc<dyn Storage>) {
    let server = start(store).await;
    let doc = document(&server).await;
    let params = doc["paths"]["/api/v0/checkout/orders/{order_id}/state"]["put"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let if_match = params.iter().find(|p| p["name"] == "if-match").unwrap();
    assert_eq!(if_match["required"], false);
    // A string of that form: not `null` (schemathesis sent the text `null` when it was).
    assert_eq!(
        if_match["schema"],
        json!({"type": "string", "pattern": r#"^(W/)?"[0-9]+"$"#})
    );
    // An empty value (what schemathesis sent) is outside the pattern, and refused.
    let order = server.create_order(json!({})).await;
    let path = format!("{ORDERS}/{}/reference", order["id"].as_str().unwrap());
    for (value, status) in [("", 400), ("*", 400), ("W/\"1\"", 200)] {
        let response = server
            .req(Method::PUT, &path)
            .header("if-match", value)
            .json(&json!({"reference": "r"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "If-Match: {value}");
        if status == 400 {
            assert_eq!(
                problem(response, 400).await["type"],
                "/problems/invalid-header"
            );
        }
    }
}
