//! Unit tests of the module.
use super::*;
use serde_json::json;

const INVOKE: &str =
    "{configuration.adapter.internalUrl}/api/v1/callbacks/orders/{order.id}/specific-callback";

/// The spec's example notification (000).
fn example() -> Notification {
    crate::model::from_value(json!({
        "id": "ocGooDddTOjKOuFmNnkEozEpfuTh",
        "adapterId": "jetshop_adapter",
        "reference": "PuXCudQEiWTOHvquGGolFUVOuy",
        "description": "Export payment information to Jetshop when order has been completed.",
        "scope": "/state/currentStatus",
        "schema": {"const": "completed"},
        "invoke": INVOKE,
        "version": "v0",
        "delay": 0
    }))
    .unwrap()
}

fn err(n: &Notification) -> String {
    check(n, &SchemaCache::new()).unwrap_err().to_string()
}

#[test]
fn check_accepts_the_example() {
    let cache = SchemaCache::new();
    check(&example(), &cache).unwrap();
    assert_eq!(cache.len(), 1);
    let n = Notification {
        scope: Some("/payments".into()),
        ..example()
    };
    check(&n, &cache).unwrap();
}

#[test]
fn check_errors() {
    let with = |f: &dyn Fn(&mut Notification)| {
        let mut n = example();
        f(&mut n);
        err(&n)
    };
    assert_eq!(
        with(&|n| n.scope = None),
        "scope is missing: it must be a JSON Pointer into the order, e.g. \"/state/currentStatus\""
    );
    assert_eq!(
        with(&|n| n.scope = Some(String::new())),
        "scope is empty: it must point inside the order, e.g. \"/state/currentStatus\""
    );
    assert_eq!(
        with(&|n| n.scope = Some("state/currentStatus".into())),
        "scope \"state/currentStatus\" is not a valid JSON Pointer: it must start with \"/\""
    );
    assert_eq!(
        with(&|n| n.scope = Some("/attributes/a~2b".into())),
        "scope \"/attributes/a~2b\" is not a valid JSON Pointer: \"~\" at byte 13 must be followed by \"0\" or \"1\""
    );
    for scope in [
        "/payments/0/state",
        "/shippings/0",
        "/consents/-",
        "/validations/0/url",
        "/hooks/0",
        "/notifications/0/scope",
        "/state/transitions/0/status",
        "/cart/items/0/quantity",
        "/cart/items/0/items/1/sku",
        "/cart/discounts/0/value",
    ] {
        assert_eq!(
            with(&|n| n.scope = Some(scope.into())),
            format!("scope {scope:?} is inside an array, which notifications do not support")
        );
    }
    assert_eq!(
        with(&|n| n.schema = None),
        "schema is missing: it must be a JSON Schema (draft 2020-12), e.g. {\"const\":\"completed\"}"
    );
    assert_eq!(
        with(&|n| n.schema = Some(json!({"type": "strin"}))),
        "schema is not a valid JSON Schema (draft 2020-12): \"strin\" is not valid under any of the schemas listed in the 'anyOf' keyword"
    );
    assert_eq!(
        with(&|n| n.schema = Some(json!({"$ref": "https://example.com/s.json"}))),
        "schema is not a valid JSON Schema (draft 2020-12): Resource 'https://example.com/s.json' is not present in a registry and retrieving it failed: Retrieval is disabled, cannot fetch https://example.com/s.json"
    );
    assert_eq!(
        with(&|n| n.reference = None),
        "reference is missing or empty: events are tracked by it"
    );
    assert_eq!(
        with(&|n| n.reference = Some(String::new())),
        "reference is missing or empty: events are tracked by it"
    );
    assert_eq!(
        with(&|n| n.invoke = Some(String::new())),
        "invoke is missing or empty: it must be the URL to call when the notification fires"
    );
    assert_eq!(
        with(&|n| n.invoke = Some("https://x/{order.id".into())),
        "invoke \"https://x/{order.id\" is not a valid template: unbalanced \"{\" at byte 10"
    );
    assert_eq!(
        with(&|n| n.invoke = Some("https://x/{orderid}".into())),
        "invoke \"https://x/{orderid}\" is not a valid template: unknown placeholder {orderid}: expected {order_id}, {order.<path>} or {configuration.adapter.<path>}"
    );
    assert_eq!(
        with(&|n| n.delay = Some(-1)),
        "delay -1 is negative: it must be a number of milliseconds, 0 or more"
    );
}

fn order(status: &str) -> Value {
    json!({
        "id": "o_1",
        "state": {"currentStatus": status},
        "cart": {"reference": "c-9", "items": [{"sku": "A"}]},
        "attributes": {"list": [1, 2]}
    })
}

#[test]
fn fires_on_change_matching_schema() {
    let cache = SchemaCache::new();
    let n = example();
    assert_eq!(
        fires(&n, &order("accepted"), &order("completed"), &cache),
        Ok(true)
    );
    // Unchanged.
    assert_eq!(
        fires(&n, &order("completed"), &order("completed"), &cache),
        Ok(false)
    );
    // Changed, but the new value does not match.
    assert_eq!(
        fires(&n, &order("checkout"), &order("accepted"), &cache),
        Ok(false)
    );
    // Scope disappears.
    assert_eq!(
        fires(&n, &order("completed"), &json!({"id": "o_1"}), &cache),
        Ok(false)
    );
    // Scope appears with a matching value.
    assert_eq!(
        fires(&n, &json!({"id": "o_1"}), &order("completed"), &cache),
        Ok(true)
    );
    assert_eq!(cache.len(), 1);
    let escaped = Notification {
        scope: Some("/attributes/a~1b~0c".into()),
        schema: Some(json!({"type": "integer"})),
        ..example()
    };
    let with_attr = |v: Value| json!({"attributes": {"a/b~c": v}});
    assert_eq!(
        fires(&escaped, &with_attr(json!(1)), &with_attr(json!(2)), &cache),
        Ok(true)
    );
    assert_eq!(
        fires(
            &escaped,
            &with_attr(json!(1)),
            &with_attr(json!("2")),
            &cache
        ),
        Ok(false)
    );
    let through_attr_array = Notification {
        scope: Some("/attributes/list/0".into()),
        ..example()
    };
    assert_eq!(
        fires(&through_attr_array, &order("a"), &order("b"), &cache).map_err(|e| e.to_string()),
        Err(
            "scope \"/attributes/list/0\" is inside an array, which notifications do not support"
                .into()
        )
    );
}

#[test]
fn schema_cache_keys_by_content() {
    let cache = SchemaCache::new();
    let a = cache
        .get(&json!({"type": "string", "minLength": 2}))
        .unwrap();
    let b = cache
        .get(&json!({"minLength": 2, "type": "string"}))
        .unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let c = cache
        .get(&json!({"type": "string", "minLength": 3}))
        .unwrap();
    assert!(!Arc::ptr_eq(&a, &c));
    assert_eq!(cache.len(), 2);
    assert_eq!(
        structural_hash(&json!({"a": 1, "b": [true, null]})),
        structural_hash(&json!({"b": [true, null], "a": 1}))
    );
    // Draft 2020-12 without `$schema`: `prefixItems` is a 2020-12 keyword.
    let v = cache
        .get(&json!({"prefixItems": [{"type": "integer"}]}))
        .unwrap();
    assert!(!v.is_valid(&json!(["x"])));
}

#[test]
fn resolves_the_spec_example() {
    let config = json!({"internalUrl": "https://jetshop.internal"});
    assert_eq!(
        resolve_invoke(INVOKE, &order("completed"), Some(&config)).unwrap(),
        "https://jetshop.internal/api/v1/callbacks/orders/o_1/specific-callback"
    );
    assert_eq!(
        resolve_invoke(
            "https://x/{order_id}/{order.cart.reference}?n={configuration.adapter.n}&b={configuration.adapter.b}",
            &order("completed"),
            Some(&json!({"n": 3, "b": false}))
        )
        .unwrap(),
        "https://x/o_1/c-9?n=3&b=false"
    );
    assert_eq!(resolve_invoke("plain", &json!({}), None).unwrap(), "plain");
}

#[test]
fn invoke_errors() {
    let o = order("completed");
    let cfg = json!({"internalUrl": "https://jetshop.internal", "nested": {"x": null}});
    let e = |t: &str, c: Option<&Value>| resolve_invoke(t, &o, c).unwrap_err().to_string();
    assert_eq!(
        e(INVOKE, Some(&json!({}))),
        "unresolved placeholder {configuration.adapter.internalUrl}: adapter configuration has no \"internalUrl\""
    );
    assert_eq!(
        e(INVOKE, None),
        "unresolved placeholder {configuration.adapter.internalUrl}: there is no adapter configuration"
    );
    assert_eq!(
        e("{order.reference}", Some(&cfg)),
        "unresolved placeholder {order.reference}: order has no \"reference\""
    );
    assert_eq!(
        e("{order.cart}", None),
        "unresolved placeholder {order.cart}: order \"cart\" is an object, not a string, number or boolean"
    );
    assert_eq!(
        e("{order.cart.items}", None),
        "unresolved placeholder {order.cart.items}: order \"cart.items\" is an array, not a string, number or boolean"
    );
    assert_eq!(
        e("{configuration.adapter.nested.x}", Some(&cfg)),
        "unresolved placeholder {configuration.adapter.nested.x}: adapter configuration \"nested.x\" is null"
    );
    assert_eq!(e("a}b", None), "unbalanced \"}\" at byte 1");
    assert_eq!(e("{order.id", None), "unbalanced \"{\" at byte 0");
    assert_eq!(e("{order.{id}}", None), "unbalanced \"{\" at byte 7");
    assert_eq!(
        e("{a}{order.id}}", None),
        "unknown placeholder {a}: expected {order_id}, {order.<path>} or {configuration.adapter.<path>}"
    );
    assert_eq!(e("{order.id}}", None), "unbalanced \"}\" at byte 10");
    assert_eq!(
        e("{order..id}", None),
        "unknown placeholder {order..id}: expected {order_id}, {order.<path>} or {configuration.adapter.<path>}"
    );
    assert_eq!(
        e("{}", None),
        "unknown placeholder {}: expected {order_id}, {order.<path>} or {configuration.adapter.<path>}"
    );
    // Multi-byte text never splits a character.
    assert_eq!(e("é}", None), "unbalanced \"}\" at byte 2");
}

#[test]
fn builds_the_event() {
    let n = Notification {
        delay: Some(1500),
        ..example()
    };
    let created = SystemTime::UNIX_EPOCH + Duration::from_micros(1_714_122_554_382_889);
    let source = EventSource {
        id: "018f1ac8-7409-724b-b864-0a0a049719e2",
        created,
        merchant: "norce-checkout-demo",
        channel: "b2c",
        order_id: "o_1",
    };
    let o = order("completed");
    let config = json!({"internalUrl": "https://jetshop.internal"});
    let e = event(
        &source,
        &n,
        &o.clone().into(),
        resolve_invoke(INVOKE, &o, Some(&config)).map_err(|e| e.to_string()),
    );
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({
            "id": "018f1ac8-7409-724b-b864-0a0a049719e2",
            "createdAt": "2024-04-26T09:09:14.382889Z",
            "merchant": "norce-checkout-demo",
            "channel": "b2c",
            "orderId": "o_1",
            "adapterId": "jetshop_adapter",
            "reference": "PuXCudQEiWTOHvquGGolFUVOuy",
            "description": "Export payment information to Jetshop when order has been completed.",
            "payload": {
                "notification": {
                    "id": "ocGooDddTOjKOuFmNnkEozEpfuTh",
                    "adapterId": "jetshop_adapter",
                    "reference": "PuXCudQEiWTOHvquGGolFUVOuy",
                    "description": "Export payment information to Jetshop when order has been completed.",
                    "scope": "/state/currentStatus",
                    "schema": {"const": "completed"},
                    "invoke": INVOKE,
                    "version": "v0",
                    "delay": 1500
                },
                "order": {
                    "id": "o_1",
                    "state": {"currentStatus": "completed"},
                    "cart": {"reference": "c-9", "items": [{"sku": "A"}]},
                    "attributes": {"list": [1, 2]}
                }
            },
            "attempts": [],
            "version": "v0",
            "invoke": "https://jetshop.internal/api/v1/callbacks/orders/o_1/specific-callback",
            "dueAt": "2024-04-26T09:09:15.882889Z",
            "status": "pending"
        })
    );
    let back: NotificationEvent =
        serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
    assert_eq!(back, e);

    // An unresolvable invoke is recorded on the event.
    let e = event(
        &source,
        &example(),
        &o.clone().into(),
        resolve_invoke(INVOKE, &o, None).map_err(|e| e.to_string()),
    );
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v.get("invoke"), None);
    assert_eq!(
        v["error"],
        "unresolved placeholder {configuration.adapter.internalUrl}: there is no adapter configuration"
    );
    assert_eq!(v["dueAt"], "2024-04-26T09:09:14.382889Z");
}
