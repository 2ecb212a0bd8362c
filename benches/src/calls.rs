//! Single hot-path operations as the pipeline performs them, for the benchmarks that run
//! them outside criterion's `validation` and `hook` groups (the growth curves, the
//! instruction-count guard).

use std::sync::Arc;

use ordergate::model::{Order, OrderStatus};
use ordergate::patch::PatchOperation;
use ordergate::{ChangeSummary, Host, InstalledPlugin, OrderView, Violation};
use serde_json::json;

use crate::call_context;

/// One validation as the pipeline does it: context and change to WIT, a view of the
/// candidate order (held shared, as the pipeline holds it), a fresh instance, the call, the
/// violations back to the host's type. Panics if the plugin faults: a benchmark of a
/// faulting plugin would measure the wrong thing.
pub fn validate_all_in(
    host: &Host,
    plugin: &InstalledPlugin,
    config: &str,
    order: &Arc<Order>,
) -> Vec<Violation> {
    let ctx = call_context(&plugin.manifest.id, config);
    let view = Arc::new(OrderView::new(Arc::clone(order)));
    let touched = ["/cart".to_owned()];
    let change = ChangeSummary {
        touched: &touched,
        from_status: Some(OrderStatus::Checkout),
        to_status: None,
    };
    let run = host
        .sandbox()
        .validate(plugin.compiled(), &plugin.limits, &ctx, &view, &change);
    match run.outcome {
        Ok(Ok(())) => Vec::new(),
        Ok(Err(violations)) => violations,
        Err(fault) => panic!("{} faulted: {fault}", plugin.manifest.id),
    }
}

/// The 10-operation hook patch of `hook/apply-10-ops` for an order of at least 7 lines:
/// quantities, names, the cart total, a shipping total and an attribute replaced.
pub fn ten_replace_ops() -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    for i in 0..4 {
        ops.push(json!({"op": "replace", "path": format!("/cart/items/{i}/quantity"), "value": 2}));
    }
    for i in 4..7 {
        ops.push(json!({"op": "replace", "path": format!("/cart/items/{i}/name"), "value": format!("Renamed line {i}")}));
    }
    ops.push(json!({"op": "replace", "path": "/cart/total", "value": {"includingVat": 3000.0, "excludingVat": 2400.0}}));
    ops.push(json!({"op": "replace", "path": "/shippings/0/total", "value": {"includingVat": 0.0, "excludingVat": 0.0}}));
    ops.push(json!({"op": "replace", "path": "/attributes/campaign", "value": "black-friday-26"}));
    serde_json::from_value(json!(ops)).expect("the operations are valid JSON Patch")
}
