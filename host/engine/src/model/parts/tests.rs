use serde_json::json;

use super::*;
use crate::model::{Order, from_value};

fn order() -> Order {
    from_value(json!({
        "id": "o_1", "merchant": "norce", "channel": "b2c",
        "created": "2026-01-01T00:00:00Z", "lastModified": "2026-01-01T00:00:00Z",
        "state": {"currentStatus": "checkout", "transitions": []},
        "cart": {"reference": "c-9", "items": [{"sku": "A", "quantity": 2}],
                 "total": {"includingVat": 100.0}},
        "attributes": {"list": [1, 2], "a/b": {"c": null}},
    }))
    .expect("a valid order")
}

#[test]
fn pointer_value_finds_what_the_whole_json_holds() {
    let order = order();
    let whole = serde_json::to_value(&order).unwrap();
    for (tokens, expected) in [
        (
            &["cart", "total", "includingVat"][..],
            Found::At(json!(100.0)),
        ),
        (&["cart", "reference"][..], Found::At(json!("c-9"))),
        (
            &["cart", "items"][..],
            Found::At(whole["cart"]["items"].clone()),
        ),
        (&["cart", "items", "0"][..], Found::InArray),
        (
            &["state", "currentStatus"][..],
            Found::At(json!("checkout")),
        ),
        (&["state", "currentStatus", "x"][..], Found::Absent),
        (&["customer", "billing"][..], Found::Absent),
        (&["attributes", "a/b", "c"][..], Found::At(json!(null))),
        (&["attributes", "a/b", "c", "d"][..], Found::Absent),
        (&["attributes", "list", "0"][..], Found::InArray),
        (&["nothing"][..], Found::Absent),
        (&[][..], Found::At(whole.clone())),
    ] {
        assert_eq!(
            pointer_value(&order, tokens),
            Ok(expected.clone()),
            "{tokens:?}"
        );
        let probed = match expected {
            Found::At(_) => Found::At(Value::Null),
            other => other,
        };
        assert_eq!(pointer_probe(&order, tokens), Ok(probed), "{tokens:?}");
    }
}

#[test]
fn members_and_their_sizes_are_those_of_the_whole_json() {
    let order = order();
    let whole = serde_json::to_value(&order).unwrap();
    let picked = members(&order, |k| k == "cart" || k == "reference" || k == "id").unwrap();
    assert_eq!(picked.len(), 2, "an absent member is not serialized");
    assert_eq!(picked["cart"], whole["cart"]);
    assert_eq!(picked["id"], "o_1");

    let sizes = member_sizes(&order, |_| true, &OrderLimits::default()).unwrap();
    let size = object_size(sizes.iter().map(|(k, s)| (*k, *s.as_ref().unwrap())));
    assert_eq!(size, serde_json::to_string(&order).unwrap().len());
    // `attributes` holds a container 3 levels down from the order: {"a/b": {"c": …}}.
    let shallow = OrderLimits {
        max_bytes: 1 << 20,
        max_depth: 2,
    };
    let sizes = member_sizes(&order, |k| k == "attributes", &shallow).unwrap();
    assert_eq!(
        sizes,
        vec![("attributes", Err(BoundsError::TooDeep { limit: 1 }))]
    );
}

#[test]
fn members_compare_and_parse_one_at_a_time() {
    let a = order();
    let mut b = a.clone();
    assert!(same_member(&a, &b, "cart") && same_member(&a, &b, "notifications"));
    set_member(&mut b, "cart", Some(json!({"reference": "c-10"}))).unwrap();
    assert!(!same_member(&a, &b, "cart"));
    assert_eq!(b.cart.as_ref().unwrap().reference.as_deref(), Some("c-10"));
    set_member(&mut b, "cart", None).unwrap();
    assert_eq!(b.cart, None);
    assert!(!same_member(&a, &b, "unknown"));

    let err = set_member(&mut b, "cart", Some(json!({"colour": "red"}))).unwrap_err();
    assert_eq!(err.path, "/colour");
    let err = set_member(&mut b, "id", None).unwrap_err();
    assert_eq!(err.message, "missing field `id`");
    assert!(set_member(&mut b, "colour", Some(json!(1))).is_err());
}
