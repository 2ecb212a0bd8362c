#[test]
fn a_cart_without_a_reference_gets_one() {
    let (status, report) = run("samples/order.json");
    assert_eq!(report["verdict"], "patched", "{report:#}");
    assert_eq!(status, 0);
    let sample: Value =
        serde_json::from_str(&std::fs::read_to_string("samples/order.json").unwrap()).unwrap();
    let expected = format!("WEB-{}", sample["id"].as_str().unwrap());
    assert_eq!(
        report["operations"],
        serde_json::json!([{"op": "add", "path": "/cart/reference", "value": expected}])
    );
    assert_eq!(report["order"]["cart"]["reference"], expected.as_str());
}

#[test]
fn a_cart_with_a_reference_is_left_alone() {
    let (status, report) = run("samples/referenced.json");
    assert_eq!(report["verdict"], "unchanged", "{report:#}");
    assert_eq!(status, 0);
}
