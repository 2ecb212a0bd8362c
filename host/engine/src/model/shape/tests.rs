//! Unit tests of the shape description, against the model's own serialization.
use serde_json::{Value, json};

use super::*;
use crate::model::{self, Order};

/// An address with every field.
fn address() -> Value {
    json!({
        "type": "person", "givenName": "A", "familyName": "B", "careOf": "C",
        "reference": "r", "organizationName": "O", "streetAddress": "S 1",
        "streetAddress2": "S 2", "postalCode": "111 22", "city": "Town", "region": "R",
        "country": "SE", "phone": "+46", "email": "a@b.se",
        "nationalIdentificationNumber": "1", "organizationIdentificationNumber": "2",
        "attributes": {"k": "v"}
    })
}

/// An order with every field of every model type present (free-form values hold no
/// arrays, so every array in it is one of the model's).
fn populated() -> Value {
    let money = json!({"includingVat": 12.5, "excludingVat": 10.0});
    let discount = json!({
        "type": "item", "name": "D", "reference": "d", "description": "x", "code": "C",
        "value": money, "attributes": {"k": 1}
    });
    let item = |id: &str, nested: Value| {
        json!({
            "id": id, "reference": "r", "name": "N", "sku": "S", "productType": "physical",
            "items": nested, "url": "https://u", "imageUrl": "https://i", "quantity": 1,
            "unit": "st", "price": money, "total": money, "originalTotal": money,
            "vatRate": 0.25, "discounts": [discount], "upsell": false,
            "logistics": {"weight": 1.0, "height": 1.0, "width": 1.0, "length": 1.0,
                          "tags": ["t"], "shippingDate": "2024-01-01T00:00:00Z"},
            "attributes": {"k": 1}
        })
    };
    json!({
        "id": "o_1", "merchant": "m", "channel": "b2c", "reference": "ref",
        "created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z",
        "state": {"currentStatus": "checkout",
                  "transitions": [{"status": "checkout", "timeStamp": "2024-01-01T00:00:00Z"}]},
        "culture": "sv-SE", "currency": "SEK", "country": "SE",
        "cart": {"reference": "c", "items": [item("ci_1", json!([item("ci_2", json!([]))]))],
                 "discounts": [discount], "total": money, "attributes": {"k": 1}},
        "shippings": [{
            "id": "s_1", "merchant": "m", "channel": "b2c", "state": "intent",
            "reference": "r", "tmsReference": "t", "orderId": "o_1", "adapterId": "a",
            "name": "Post", "total": money, "vatRate": 0.25,
            "deliveryDetails": {"carrier": "c", "carrierProductId": "p", "class": "k",
                "product": {"reference": "r", "name": "n"},
                "pickupLocation": {"reference": "r", "name": "n", "address": {
                    "streetAddress": "s", "city": "c", "postalCode": "p", "country": "SE"}}},
            "addons": [{"reference": "a", "price": 1.0}], "attributes": {"k": 1}
        }],
        "payments": [{
            "id": "p_1", "adapterId": "a", "name": "n", "merchant": "m", "channel": "b2c",
            "currency": "SEK", "type": "default", "orderId": "o_1", "amount": 10.0,
            "upperLimitAmount": 20.0, "state": "intent", "reference": "r",
            "attributes": {"k": 1},
            "actions": [{"id": "pa_1", "adapterId": "a", "type": "capture", "url": "https://a"}],
            "recurring": {"token": "t", "description": "d", "attributes": {"k": 1}},
            "upsell": {"eligible": true, "expiration": "2024-01-01T00:00:00Z",
                       "transactions": [{"t": 1}], "attributes": {"k": 1}}
        }],
        "customer": {"billing": address(), "shipping": address(),
                     "attributes": {"k": 1}, "type": "person"},
        "consents": [{"id": "c_1", "checked": true, "text": "t", "required": true}],
        "validations": [{"id": "v_1", "adapterId": "a", "url": "https://v"}],
        "hooks": [{"id": "h_1", "adapterId": "a", "subscribeTo": "cart", "target": "t",
                   "invoke": "https://h"}],
        "detachedHooks": ["h_2"],
        "notifications": [{"id": "n_1", "adapterId": "a", "reference": "r",
                           "description": "d", "scope": "/state/currentStatus",
                           "schema": {"const": "completed"}, "invoke": "https://n",
                           "version": "v1", "delay": 5}],
        "total": money,
        "attributes": {"k": {"deep": true}}
    })
}

/// The fixture is the model's own serialization: every key is one the model writes.
fn serialized() -> Value {
    let order: Order = model::from_value(populated()).expect("fully populated order parses");
    let doc = serde_json::to_value(&order).expect("order serializes");
    assert_eq!(
        doc,
        populated(),
        "the fixture must be the model's serialization"
    );
    doc
}

#[test]
fn the_description_matches_the_model() {
    let doc = serialized();
    // Every top-level key the model writes is described, and nothing else is.
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut described: Vec<&str> = top_level().iter().map(|f| f.name).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    described.sort_unstable();
    assert_eq!(sorted, described);

    // Walk the description over the order: each described field exists (the first time
    // its node is met: nested bundles are not fully populated) with the described kind,
    // and each array in the order is a described one.
    let mut met: Vec<*const Node> = Vec::new();
    let mut stack = vec![("".to_owned(), &ORDER, &doc)];
    let mut arrays = 0;
    while let Some((path, node, value)) = stack.pop() {
        match (node, value) {
            (Node::Object(fields), Value::Object(map)) => {
                let first = !met.contains(&(node as *const Node));
                met.push(node);
                for f in fields.iter() {
                    match map.get(f.name) {
                        Some(v) => stack.push((format!("{path}/{}", f.name), &f.node, v)),
                        None => assert!(!first, "{path}/{} is described, not in the model", f.name),
                    }
                }
                for (key, v) in map {
                    if !fields.iter().any(|f| f.name == key) {
                        assert!(no_array(v), "{path}/{key} holds an undescribed array");
                    }
                }
            }
            (Node::Array { element, .. }, Value::Array(items)) => {
                arrays += 1;
                for (i, v) in items.iter().enumerate() {
                    stack.push((format!("{path}/{i}"), element, v));
                }
            }
            (Node::Value, v) => assert!(no_array(v), "{path} holds an undescribed array"),
            (node, value) => panic!("{path}: described as {node:?}, the model wrote {value}"),
        }
    }
    // state/transitions, cart/items and each item's items (3), item discounts (2), tags
    // (2), cart discounts, shippings, addons, payments, actions, transactions, consents,
    // validations, hooks, detached hooks, notifications.
    assert_eq!(arrays, 19);
}

fn no_array(value: &Value) -> bool {
    match value {
        Value::Array(_) => false,
        Value::Object(map) => map.values().all(no_array),
        _ => true,
    }
}

#[test]
fn parts_are_the_top_level_fields_but_identity_and_timestamps() {
    let parts: Vec<&str> = top_level()
        .iter()
        .map(|f| f.name)
        .filter(|n| is_part(n))
        .collect();
    assert_eq!(
        parts,
        [
            "reference",
            "state",
            "culture",
            "currency",
            "country",
            "cart",
            "shippings",
            "payments",
            "customer",
            "consents",
            "validations",
            "hooks",
            "detachedHooks",
            "notifications",
            "total",
            "attributes"
        ]
    );
    assert!(!is_part("carts"));
    assert!(!is_part("lastModified"));
}

#[test]
fn arrays_at_any_depth_are_found() {
    let through = |p: &str| through_array(p.split('/').skip(1));
    assert!(through("/payments/0/state"));
    assert!(through("/cart/items/0"));
    assert!(through("/state/transitions/0/status"));
    assert!(!through("/payments"));
    assert!(!through("/cart/items"));
    assert!(!through("/state/currentStatus"));
    assert!(!through("/attributes/list/0"));
    assert!(!through("/customer/billing/city"));
}

#[test]
fn protected_fields_are_found_at_any_depth() {
    let find = |p: &str| protected(p.split('/').skip(1));
    assert_eq!(find("/id"), Some((1, Access::Host)));
    assert_eq!(find("/state/transitions/0"), Some((2, Access::Host)));
    assert_eq!(find("/notifications/0/scope"), Some((1, Access::Host)));
    assert_eq!(find("/cart/items/0/items/3/id"), Some((6, Access::Entity)));
    assert_eq!(find("/payments/1/actions/0/id"), Some((5, Access::Entity)));
    assert_eq!(
        find("/payments/1/orderId"),
        Some((3, Access::Stamped("id")))
    );
    assert_eq!(
        find("/shippings/0/merchant"),
        Some((3, Access::Stamped("merchant")))
    );
    assert_eq!(find("/consents/0/id"), Some((3, Access::Entity)));
    assert_eq!(find("/cart/items/0/quantity"), None);
    assert_eq!(find("/attributes/id"), None);
    assert_eq!(find("/state"), None);
    let owned: Vec<String> = host_owned().iter().map(ToString::to_string).collect();
    assert_eq!(
        owned,
        [
            "/channel",
            "/created",
            "/detachedHooks",
            "/hooks",
            "/id",
            "/lastModified",
            "/merchant",
            "/notifications",
            "/state/transitions",
            "/validations"
        ]
    );
}

#[test]
fn duplicate_ids_and_foreign_stamps_are_found() {
    let mut doc = serialized();
    assert_eq!(duplicate_id(&doc), None);
    assert_eq!(stamp_mismatch(&doc), None);
    // A nested item with the id of a top-level one.
    doc["cart"]["items"][0]["items"][0]["id"] = json!("ci_1");
    assert_eq!(
        duplicate_id(&doc),
        Some(Duplicate {
            entity: "cart item",
            id: "ci_1".into(),
            first: "/cart/items/0/id".into(),
            path: "/cart/items/0/items/0/id".into(),
        })
    );
    // Ids of different kinds do not clash.
    doc["cart"]["items"][0]["items"][0]["id"] = json!("p_1");
    assert_eq!(duplicate_id(&doc), None);
    let payment = doc["payments"][0].clone();
    doc["payments"].as_array_mut().unwrap().push(payment);
    assert_eq!(
        duplicate_id(&doc).map(|d| d.path),
        Some("/payments/1/id".to_owned())
    );

    doc["shippings"][0]["orderId"] = json!("o_other");
    assert_eq!(
        stamp_mismatch(&doc).map(|p| p.to_string()).as_deref(),
        Some("/shippings/0/orderId")
    );
}
