//! Unit tests of the module.
use serde_json::json;

use super::*;

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
