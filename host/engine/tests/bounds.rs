//! Bounded orders: every recursive path an accepted order goes through (parse, patch,
//! serialize, notification schema evaluation, drop) runs on a small stack at the depth
//! limit, and one level more, or a byte more, is refused with the limit named.
//!
//! Stack per level of nesting, measured in this (unoptimized) test build: free-form JSON
//! (attributes) costs little, so an order 64 levels deep in its attributes goes through
//! everything on 256 KiB; serde's derived visitor for a cart item (18 fields) costs about
//! 20 KiB per bundle level, so 31 nested bundles (64 levels) need about 600 KiB to parse
//! and get 1 MiB here, half of a default 2 MiB thread.

use ordergate::model::{self, BoundsError, Notification, Order, OrderLimits};
use ordergate::notify::{self, SchemaCache};
use ordergate::patch::{self, PatchOperation, PatchRefusal};
use serde_json::{Value, json};

/// A stack far smaller than any thread the host runs on (a test thread has 2 MiB).
const SMALL_STACK: usize = 256 * 1024;

/// Half a default thread's stack, for bundles nested to the limit (see the module docs).
const HALF_STACK: usize = 1024 * 1024;

const MAX_DEPTH: usize = OrderLimits::DEFAULT_MAX_DEPTH;

/// Runs `f` on a thread with a stack of `size` bytes; a stack overflow would abort the
/// test run.
fn on_stack<T: Send + 'static>(size: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(size)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("the thread does not panic")
}

/// `levels` nested objects as JSON text: `{"a":{"a":{}}}` for 3.
fn nested_text(levels: usize) -> String {
    format!(
        "{}{{}}{}",
        r#"{"a":"#.repeat(levels - 1),
        "}".repeat(levels - 1)
    )
}

/// Cart items nested `levels` deep as JSON text: each item holds the next in `items`.
fn items_text(levels: usize) -> String {
    let mut text = String::from(r#"{"id":"ci_last","sku":"S","quantity":1}"#);
    for level in (1..levels).rev() {
        text = format!(r#"{{"id":"ci_{level}","sku":"S","quantity":1,"items":[{text}]}}"#);
    }
    text
}

/// An order whose attributes nest `attributes` levels (the order's own level included)
/// and whose cart items nest `items` levels.
fn order_text(attributes: usize, items: usize) -> String {
    format!(
        r#"{{"id":"o_1","merchant":"m","channel":"b2c","created":"2024-01-01T00:00:00Z",
            "lastModified":"2024-01-01T00:00:00Z","state":{{"currentStatus":"checkout"}},
            "cart":{{"items":[{}]}},"attributes":{}}}"#,
        items_text(items),
        nested_text(attributes - 1)
    )
}

/// Takes a deep value apart one level at a time: dropping it whole would recurse.
fn dismantle(mut value: Value) {
    while let Value::Object(mut map) = value {
        value = map.remove("a").unwrap_or(Value::Null);
    }
}

#[test]
fn an_order_at_the_depth_limit_goes_round_trip_on_a_small_stack() {
    on_stack(SMALL_STACK, || {
        // Attributes 64 levels down (the order's own level included).
        let text = order_text(MAX_DEPTH, 2);
        let order: Order = model::from_json(&text).expect("an order at the limit parses");
        assert_eq!(model::check_order(&order, &OrderLimits::default()), Ok(()));

        // One level more is refused before serde reads the text.
        let err = model::from_json::<Order>(&order_text(MAX_DEPTH + 1, 2)).unwrap_err();
        assert_eq!(err.bounds, Some(BoundsError::TooDeep { limit: 64 }));
        assert_eq!(err.to_string(), "nested deeper than the limit of 64 levels");

        // A hook nests the attributes up to the limit with shallow adds; one more is refused.
        let shallow: Order = model::from_json(&order_text(2, 2)).expect("shallow order");
        let adds = |n: usize| -> Vec<PatchOperation> {
            let ops: Vec<Value> = (1..=n)
                .map(|k| json!({"op": "add", "path": format!("/attributes{}", "/a".repeat(k)), "value": {}}))
                .collect();
            serde_json::from_value(Value::Array(ops)).expect("operations parse")
        };
        let limits = OrderLimits::default();
        let patched = patch::patch_order(&shallow, &adds(MAX_DEPTH - 2), &limits)
            .expect("a patch up to the limit applies");
        match patch::patch_order(&shallow, &adds(MAX_DEPTH - 1), &limits) {
            Err(PatchRefusal::TooDeep { index, op, limit }) => {
                assert_eq!((index, limit), (MAX_DEPTH - 2, 64));
                assert_eq!(op, format!("add /attributes{}", "/a".repeat(MAX_DEPTH - 1)));
            }
            other => panic!("expected TooDeep, got {other:?}"),
        }
        assert_eq!(model::check_order(&patched, &limits), Ok(()));

        // Serialize both ways, and evaluate a recursive schema over the deep value.
        let text = serde_json::to_string(&patched).expect("serializes");
        assert_eq!(
            model::bounds::check_serialized(&patched, &limits),
            Ok(text.len())
        );
        let before = serde_json::to_value(&shallow).expect("serializes");
        let after = serde_json::to_value(&patched).expect("serializes");
        let notification = Notification {
            reference: Some("deep".into()),
            scope: Some("/attributes".into()),
            schema: Some(json!({
                "$ref": "#/$defs/node",
                "$defs": {"node": {
                    "type": "object",
                    "properties": {"a": {"$ref": "#/$defs/node"}},
                    "additionalProperties": false
                }}
            })),
            invoke: Some("https://example.com".into()),
            ..Notification::default()
        };
        let schemas = SchemaCache::new();
        notify::check(&notification, &schemas).expect("a valid notification");
        assert_eq!(
            notify::fires(&notification, &before, &after, &schemas),
            Ok(true)
        );
        // The schema really looks all the way down: a number at the bottom fails it.
        let mut wrong = after.clone();
        let bottom = format!("/attributes{}", "/a".repeat(MAX_DEPTH - 2));
        *wrong.pointer_mut(&bottom).expect("the deepest object") = json!(1);
        assert_eq!(
            notify::fires(&notification, &before, &wrong, &schemas),
            Ok(false)
        );
        // `order`, `patched`, `after` and the rest drop here, on the small stack.
    });
}

#[test]
fn bundles_nested_to_the_depth_limit_go_round_trip() {
    on_stack(HALF_STACK, || {
        // 31 nested items: the innermost is 64 levels down (order, cart, then `items` and
        // the item for each level).
        let order: Order = model::from_json(&order_text(2, 31)).expect("bundles parse");
        let limits = OrderLimits::default();
        assert_eq!(model::check_order(&order, &limits), Ok(()));
        // A hook's patch parses the whole order back: the same depth.
        let ops: Vec<PatchOperation> = serde_json::from_value(json!([
            {"op": "replace", "path": "/cart/items/0/quantity", "value": 2}
        ]))
        .expect("operations parse");
        let patched = patch::patch_order(&order, &ops, &limits).expect("the patch applies");
        assert_eq!(model::check_order(&patched, &limits), Ok(()));
        assert!(serde_json::to_string(&patched).is_ok());

        // One bundle level more puts the innermost `items` array at 65: refused unread.
        let err = model::from_json::<Order>(&order_text(2, 32)).unwrap_err();
        assert_eq!(err.bounds, Some(BoundsError::TooDeep { limit: 64 }));
    });
}

#[test]
fn an_oversized_order_is_refused_unread() {
    // The reproduced input: a 50 MiB string in an order field.
    let huge = format!(
        r#"{{"items":[{{"sku":"{}","quantity":1}}]}}"#,
        "x".repeat(50 << 20)
    );
    let err = model::from_json::<model::Cart>(&huge).unwrap_err();
    assert_eq!(err.bounds, Some(BoundsError::TooLarge { limit: 1 << 20 }));
    assert_eq!(
        err.to_string(),
        "larger than the limit of 1048576 bytes of JSON"
    );

    // An order built in memory is measured without being written out.
    let mut order: Order = model::from_json(&order_text(2, 1)).expect("small order");
    let limits = OrderLimits {
        max_bytes: 4096,
        ..OrderLimits::default()
    };
    assert_eq!(model::check_order(&order, &limits), Ok(()));
    order.reference = Some("r".repeat(4096));
    assert_eq!(
        model::check_order(&order, &limits),
        Err(BoundsError::TooLarge { limit: 4096 })
    );
}

#[test]
fn an_order_deeper_than_any_stack_is_checked_without_recursing_past_the_limit() {
    on_stack(SMALL_STACK, || {
        // 100,000 levels in memory (built without recursion): serializing it whole would
        // need megabytes of stack; the check stops at level 65.
        // (Not `json!`, which would clone the value, recursively.)
        let mut deep = json!({});
        for _ in 0..100_000 {
            let mut wrapper = serde_json::Map::new();
            wrapper.insert("a".into(), deep);
            deep = Value::Object(wrapper);
        }
        let mut order: Order = model::from_json(&order_text(2, 1)).expect("small order");
        let Value::Object(attributes) = deep else {
            unreachable!("built as an object")
        };
        order.attributes = Some(attributes);
        assert_eq!(
            model::check_order(&order, &OrderLimits::default()),
            Err(BoundsError::TooDeep { limit: 64 })
        );
        let attributes = order.attributes.take().map(Value::Object);
        dismantle(attributes.unwrap_or(Value::Null));
    });
}
