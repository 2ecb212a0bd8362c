//! Unit tests of the module.
use serde_json::json;

use super::*;

/// `patch_order` within the default limits, as every test here but the bounds ones wants.
fn patch_order(order: &Order, ops: &[PatchOperation]) -> Result<Order, PatchRefusal> {
    super::patch_order(order, ops, &OrderLimits::default())
}

/// Operations from their JSON form, as a hook sends them.
fn ops(value: Value) -> Vec<PatchOperation> {
    serde_json::from_value(value).expect("valid operations")
}

/// A valid order with a state history, two items (one nested), a payment, a shipping.
fn order() -> Order {
    model::from_value(fixture()).expect("valid fixture")
}

fn fixture() -> Value {
    json!({
        "id": "o_1", "merchant": "m", "channel": "b2c",
        "created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-02T00:00:00Z",
        "state": {"currentStatus": "checkout", "transitions": [
            {"status": "checkout", "timeStamp": "2024-01-01T00:00:00Z"}
        ]},
        "currency": "SEK",
        "cart": {"items": [
            {"id": "ci_1", "sku": "A1", "quantity": 2,
             "items": [{"id": "ci_2", "sku": "A1-part", "quantity": 1}]},
            {"id": "ci_3", "sku": "B2", "quantity": 1}
        ]},
        "payments": [{"id": "p_1", "amount": 100.0}],
        "shippings": [{"id": "s_1", "name": "Post"}],
        "attributes": {"x": 1}
    })
}

fn read_only(index: usize, op: &str, path: &str) -> PatchRefusal {
    PatchRefusal::ReadOnly {
        index,
        op: op.into(),
        path: path.into(),
    }
}

#[test]
fn replace_id_is_refused() {
    let err = patch_order(
        &order(),
        &ops(json!([{"op": "replace", "path": "/id", "value": "o_2"}])),
    )
    .unwrap_err();
    assert_eq!(err, read_only(0, "replace /id", "/id"));
    assert_eq!(
        err.to_string(),
        "operation 0 (replace /id): /id is read-only"
    );
}

#[test]
fn remove_transition_is_refused() {
    let patch = ops(json!([
        {"op": "test", "path": "/state/transitions/0/status", "value": "checkout"},
        {"op": "remove", "path": "/state/transitions/0"}
    ]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(1, "remove /state/transitions/0", "/state/transitions/0")
    );
}

#[test]
fn move_from_payment_id_is_refused_but_copy_from_it_is_not() {
    let patch = ops(json!([
        {"op": "move", "from": "/payments/0/id", "path": "/attributes/pid"}
    ]));
    let err = patch_order(&order(), &patch).unwrap_err();
    assert_eq!(
        err,
        read_only(
            0,
            "move /attributes/pid from /payments/0/id",
            "/payments/0/id"
        )
    );
    let patch = ops(json!([
        {"op": "copy", "from": "/payments/0/id", "path": "/attributes/pid"}
    ]));
    let patched = patch_order(&order(), &patch).unwrap();
    assert_eq!(patched.attributes.unwrap()["pid"], json!("p_1"));
}

#[test]
fn replacing_the_root_must_keep_read_only_values() {
    let mut changed = fixture();
    changed["merchant"] = json!("other");
    changed["reference"] = json!("r-1");
    let err = patch_order(
        &order(),
        &ops(json!([{"op": "replace", "path": "", "value": changed}])),
    )
    .unwrap_err();
    assert_eq!(err, read_only(0, "replace \"\"", "/merchant"));
    assert_eq!(
        err.to_string(),
        "operation 0 (replace \"\"): /merchant is read-only"
    );

    let mut kept = fixture();
    kept["reference"] = json!("r-1");
    let patched = patch_order(
        &order(),
        &ops(json!([{"op": "replace", "path": "", "value": kept}])),
    )
    .unwrap();
    assert_eq!(patched.reference.as_deref(), Some("r-1"));
    assert_eq!(patched.merchant, "m");
}

#[test]
fn replacing_state_must_keep_transitions() {
    let patch = ops(json!([
        {"op": "replace", "path": "/state", "value": {"currentStatus": "processing"}}
    ]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(0, "replace /state", "/state/transitions")
    );
    // The same change through the allowed path is fine.
    let patch = ops(json!([
        {"op": "replace", "path": "/state/currentStatus", "value": "processing"}
    ]));
    let patched = patch_order(&order(), &patch).unwrap();
    assert_eq!(patched.state.transitions, order().state.transitions);
}

#[test]
fn existing_item_ids_are_read_only_new_ones_are_not() {
    let patch = ops(json!([{"op": "replace", "path": "/cart/items/0/id", "value": "x"}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(0, "replace /cart/items/0/id", "/cart/items/0/id")
    );
    let patch = ops(json!([{"op": "remove", "path": "/cart/items/0/items/0/id"}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(
            0,
            "remove /cart/items/0/items/0/id",
            "/cart/items/0/items/0/id"
        )
    );
    let patch = ops(json!([{"op": "replace", "path": "/shippings/0/id", "value": "x"}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(0, "replace /shippings/0/id", "/shippings/0/id")
    );

    let patch = ops(json!([
        {"op": "add", "path": "/cart/items/-", "value": {"id": "ci_new", "sku": "C3"}}
    ]));
    let patched = patch_order(&order(), &patch).unwrap();
    let items = patched.cart.unwrap().items.unwrap();
    assert_eq!(items[2].id.as_deref(), Some("ci_new"));

    // Once added, the item exists: a later operation may not change its id.
    let patch = ops(json!([
        {"op": "add", "path": "/cart/items/0", "value": {"id": "ci_new", "sku": "C3"}},
        {"op": "replace", "path": "/cart/items/0/id", "value": "ci_other"}
    ]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(1, "replace /cart/items/0/id", "/cart/items/0/id")
    );
    // Other fields of existing items are the hook's to change.
    let patch = ops(json!([{"op": "replace", "path": "/cart/items/1/quantity", "value": 5}]));
    let items = patch_order(&order(), &patch)
        .unwrap()
        .cart
        .unwrap()
        .items
        .unwrap();
    assert_eq!(items[1].quantity, Some(5));
}

#[test]
fn failing_test_leaves_the_order_untouched() {
    let original = order();
    let patch = ops(json!([
        {"op": "add", "path": "/reference", "value": "r-1"},
        {"op": "test", "path": "/currency", "value": "EUR"}
    ]));
    let err = patch_order(&original, &patch).unwrap_err();
    assert_eq!(
        err,
        PatchRefusal::Failed(PatchError {
            index: 1,
            op: "test /currency".into(),
            reason: PatchFailure::ValueDiffers,
        })
    );
    assert_eq!(
        err.to_string(),
        "operation 1 (test /currency): value differs"
    );
    assert_eq!(original, order());
}

#[test]
fn patch_making_an_invalid_order_is_refused() {
    let patch = ops(json!([
        {"op": "replace", "path": "/cart/items/0/quantity", "value": "two"}
    ]));
    match patch_order(&order(), &patch).unwrap_err() {
        PatchRefusal::InvalidOrder(err) => {
            assert_eq!(err.path, "/cart/items/0/quantity");
            assert_eq!(err.message, "invalid type: string \"two\", expected i64");
        }
        other => panic!("expected InvalidOrder, got {other:?}"),
    }
}

#[test]
fn too_many_operations_are_refused_first() {
    // Even read-only violations are not looked at: the size check comes first.
    let patch = vec![
        PatchOperation::Replace(ReplaceOperation {
            path: PointerBuf::parse("/id").unwrap(),
            value: json!("x"),
        });
        MAX_OPERATIONS + 1
    ];
    let err = patch_order(&order(), &patch).unwrap_err();
    assert_eq!(
        err,
        PatchRefusal::TooManyOperations {
            count: 1001,
            limit: 1000
        }
    );
    assert_eq!(err.to_string(), "1001 operations exceed the limit of 1000");
}

#[test]
fn numbers_compare_by_value_in_test() {
    // The payment amount serializes as 100.0; a hook may well say 100.
    let patch = ops(json!([
        {"op": "test", "path": "/payments/0/amount", "value": 100},
        {"op": "add", "path": "/reference", "value": "r"}
    ]));
    assert!(patch_order(&order(), &patch).is_ok());

    let mut doc = json!({"a": 1.0, "b": [2]});
    let patch = ops(json!([
        {"op": "add", "path": "/c", "value": 3},
        {"op": "test", "path": "/a", "value": 1},
        {"op": "test", "path": "/b", "value": [2.0]},
        {"op": "test", "path": "/c", "value": 3.0}
    ]));
    apply(&mut doc, &patch).unwrap();
    assert_eq!(doc, json!({"a": 1.0, "b": [2], "c": 3}));

    let patch = ops(json!([
        {"op": "add", "path": "/d", "value": 4},
        {"op": "test", "path": "/a", "value": 1},
        {"op": "test", "path": "/a", "value": 1.5}
    ]));
    let err = apply(&mut doc, &patch).unwrap_err();
    assert_eq!(err.to_string(), "operation 2 (test /a): value differs");
    assert_eq!(doc, json!({"a": 1.0, "b": [2], "c": 3}));
    assert!(!json_equal(
        &json!(9007199254740993u64),
        &json!(9007199254740992.0)
    ));
    assert!(json_equal(&json!(-3), &json!(-3.0)));
}

#[test]
fn apply_is_atomic_and_names_the_failing_operation() {
    let mut doc = json!({"a": {"b": [1, 2]}});
    let patch = ops(json!([
        {"op": "add", "path": "/a/b/-", "value": 3},
        {"op": "move", "from": "/a/b", "path": "/c"},
        {"op": "remove", "path": "/a/nope"}
    ]));
    let err = apply(&mut doc, &patch).unwrap_err();
    assert_eq!(
        err.to_string(),
        "operation 2 (remove /a/nope): path does not exist"
    );
    assert_eq!(doc, json!({"a": {"b": [1, 2]}}));

    let patch = ops(json!([{"op": "move", "from": "/a", "path": "/a/x"}]));
    assert_eq!(
        apply(&mut doc, &patch).unwrap_err().reason,
        PatchFailure::MoveIntoItself
    );
    let patch = ops(json!([{"op": "copy", "from": "/z", "path": "/y"}]));
    assert_eq!(
        apply(&mut doc, &patch).unwrap_err().to_string(),
        "operation 0 (copy /y from /z): `from` does not exist"
    );
    // Moving the root onto itself is a no-op by the RFC.
    let patch = ops(json!([
        {"op": "add", "path": "/k", "value": true},
        {"op": "move", "from": "", "path": ""}
    ]));
    apply(&mut doc, &patch).unwrap();
    assert_eq!(doc, json!({"a": {"b": [1, 2]}, "k": true}));
}

#[test]
fn refusals_serialize_for_the_trace() {
    let err = PatchRefusal::InvalidOrder(ModelError {
        path: "/x".into(),
        message: "bad".into(),
        bounds: None,
    });
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        json!({"kind": "invalidOrder", "path": "/x", "message": "bad"})
    );
    let err = PatchRefusal::Failed(PatchError {
        index: 1,
        op: "test /a".into(),
        reason: PatchFailure::ValueDiffers,
    });
    assert_eq!(
        serde_json::to_value(&err).unwrap(),
        json!({"kind": "failed", "index": 1, "op": "test /a", "reason": "valueDiffers"})
    );
    assert_eq!(
        serde_json::to_value(read_only(0, "replace /id", "/id")).unwrap(),
        json!({"kind": "readOnly", "index": 0, "op": "replace /id", "path": "/id"})
    );
}

#[test]
fn registrations_are_read_only_to_hooks() {
    let patch = ops(json!([{"op": "add", "path": "/notifications/-", "value": {
        "scope": "/payments/0/state", "schema": {"type": 12}, "invoke": "{nope}"
    }}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(0, "add /notifications/-", "/notifications/-")
    );
    let patch = ops(json!([{"op": "add", "path": "/hooks", "value": [{"id": "h_1"}]}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(0, "add /hooks", "/hooks")
    );
    // Nor through the whole order.
    let mut changed = fixture();
    changed["validations"] = json!([{"id": "v_1"}]);
    let patch = ops(json!([{"op": "replace", "path": "", "value": changed}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(0, "replace \"\"", "/validations")
    );
}

#[test]
fn host_stamped_payment_fields_are_read_only() {
    let patch = ops(json!([{"op": "add", "path": "/payments/0/merchant", "value": "x"}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(0, "add /payments/0/merchant", "/payments/0/merchant")
    );
    // A new payment may only carry the order's values.
    let patch = ops(json!([
        {"op": "add", "path": "/reference", "value": "r"},
        {"op": "add", "path": "/payments/-", "value": {"id": "p_2", "orderId": "o_other"}},
        {"op": "test", "path": "/currency", "value": "SEK"}
    ]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        read_only(1, "add /payments/-", "/payments/1/orderId")
    );
    let patch = ops(json!([{"op": "add", "path": "/payments/-", "value":
        {"id": "p_2", "orderId": "o_1", "merchant": "m", "channel": "b2c"}}]));
    let patched = patch_order(&order(), &patch).unwrap();
    assert_eq!(patched.payments[1].order_id.as_deref(), Some("o_1"));
}

#[test]
fn entities_sharing_an_id_are_refused() {
    let patch =
        ops(json!([{"op": "copy", "from": "/cart/items/0/items/0", "path": "/cart/items/-"}]));
    let err = patch_order(&order(), &patch).unwrap_err();
    assert_eq!(
        err,
        PatchRefusal::DuplicateId {
            entity: "cart item".into(),
            id: "ci_2".into(),
            first: "/cart/items/0/items/0/id".into(),
            path: "/cart/items/2/id".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "two cart items share the id \"ci_2\": /cart/items/0/items/0/id and /cart/items/2/id"
    );
    let patch = ops(json!([{"op": "add", "path": "/payments/0", "value": {"id": "p_1"}}]));
    assert_eq!(
        patch_order(&order(), &patch).unwrap_err(),
        PatchRefusal::DuplicateId {
            entity: "payment".into(),
            id: "p_1".into(),
            first: "/payments/0/id".into(),
            path: "/payments/1/id".into(),
        }
    );
    // Replacing an item by one with the same id is no duplicate.
    let patch = ops(json!([{"op": "replace", "path": "/cart/items/1", "value": {"id": "ci_3"}}]));
    assert!(patch_order(&order(), &patch).is_ok());
}

#[test]
fn copies_that_amplify_the_order_are_refused_before_they_are_built() {
    // The reproduced attack: 1 KiB, then the attributes copied into themselves, doubling.
    let mut attack = vec![json!({"op": "add", "path": "/attributes/x", "value": "a".repeat(1024)})];
    for k in 1..=16 {
        attack.push(
            json!({"op": "copy", "from": "/attributes", "path": format!("/attributes/c{k}")}),
        );
    }
    let err = patch_order(&order(), &ops(Value::Array(attack))).unwrap_err();
    assert_eq!(
        err,
        PatchRefusal::TooLarge {
            index: 10,
            op: "copy /attributes/c10 from /attributes".into(),
            limit: 1 << 20,
        }
    );
    assert_eq!(
        err.to_string(),
        "operation 10 (copy /attributes/c10 from /attributes): the order would exceed 1048576 bytes of JSON"
    );
    // A small limit counts exactly: the fixture order is the size of its JSON.
    let size = serde_json::to_string(&order()).unwrap().len();
    let tight = OrderLimits {
        max_bytes: size + 12,
        ..OrderLimits::default()
    };
    // `,"y":"ab"`: 9 bytes, as counted.
    let patch = ops(json!([{"op": "add", "path": "/attributes/y", "value": "ab"}]));
    assert!(super::patch_order(&order(), &patch, &tight).is_ok());
    let patch = ops(json!([{"op": "add", "path": "/attributes/y", "value": "abcdefgh"}]));
    assert_eq!(
        super::patch_order(&order(), &patch, &tight).unwrap_err(),
        PatchRefusal::TooLarge {
            index: 0,
            op: "add /attributes/y".into(),
            limit: size + 12
        }
    );
}

#[test]
fn shallow_adds_that_nest_deep_are_refused_at_the_limit() {
    // The reproduced attack: each `add` is `{}`, one level under the previous one.
    let attack: Vec<Value> = (1..=100)
        .map(
            |n| json!({"op": "add", "path": format!("/attributes{}", "/a".repeat(n)), "value": {}}),
        )
        .collect();
    match patch_order(&order(), &ops(Value::Array(attack))).unwrap_err() {
        // Op 62 adds `{}` 64 tokens down (attributes and 63 `a`s): 65 levels with the order.
        PatchRefusal::TooDeep { index, limit, .. } => assert_eq!((index, limit), (62, 64)),
        other => panic!("expected TooDeep, got {other:?}"),
    }
    // A move deeper is measured too; a move as deep is not refused. (The fixture's
    // nested item is 6 levels down.)
    let limits = OrderLimits {
        max_depth: 6,
        ..OrderLimits::default()
    };
    let deep = json!({"b": {"c": {"d": {}}}});
    let patch = ops(json!([
        {"op": "add", "path": "/attributes/a", "value": deep},
        {"op": "move", "from": "/attributes/a", "path": "/attributes/x"}
    ]));
    assert!(super::patch_order(&order(), &patch, &limits).is_ok());
    let patch = ops(json!([
        {"op": "add", "path": "/attributes/a", "value": deep},
        {"op": "add", "path": "/attributes/c", "value": {}},
        {"op": "move", "from": "/attributes/a", "path": "/attributes/c/a"}
    ]));
    assert_eq!(
        super::patch_order(&order(), &patch, &limits).unwrap_err(),
        PatchRefusal::TooDeep {
            index: 2,
            op: "move /attributes/c/a from /attributes/a".into(),
            limit: 6,
        }
    );
}
