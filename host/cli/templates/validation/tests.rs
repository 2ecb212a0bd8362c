#[test]
fn the_sample_order_is_accepted() {
    let (status, report) = run("samples/order.json");
    assert_eq!(report["verdict"], "accepted", "{report:#}");
    assert_eq!(status, 0);
}

#[test]
fn a_cart_over_the_limit_is_refused() {
    let (status, report) = run("samples/refused.json");
    assert_eq!(report["verdict"], "rejected", "{report:#}");
    assert_eq!(status, 1);
    let violation = &report["violations"][0];
    assert_eq!(violation["path"], "/cart/items");
    assert_eq!(violation["code"], "too-many-items");
    assert_eq!(
        violation["message"],
        "the cart holds 12 items; at most 10 are allowed"
    );
}
