//! `hook/apply-10-ops`: `patch_order` on a 20-line order with 10 replace operations;
//! `hook/call-three-for-two/20` and `hook/call-free-shipping/20`: one hook call all-in
//! (a view of the order, fresh instance, call, operations back to JSON Patch);
//! `hook/three-for-two-all-in/20`: the call and applying what it answered.

use std::hint::black_box;
use std::sync::Arc;

use criterion::Criterion;
use ordergate::InstalledPlugin;
use ordergate::model::{Order, OrderLimits, OrderStatus};
use ordergate::patch::{PatchOperation, patch_order};
use ordergate::{ChangeSummary, OrderView};
use ordergate::{Host, PluginKind};
use ordergate_benches::*;
use serde_json::json;

fn call(
    host: &Host,
    plugin: &InstalledPlugin,
    config: &str,
    order: &Arc<Order>,
) -> Vec<PatchOperation> {
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
        .hook(plugin.compiled(), &plugin.limits, &ctx, &view, &change);
    match run.outcome {
        Ok(Ok(answer)) => answer.patch.expect("valid patch"),
        Ok(Err(message)) => panic!("{} failed: {message}", plugin.manifest.id),
        Err(fault) => panic!("{} faulted: {fault}", plugin.manifest.id),
    }
}

pub fn benches(c: &mut Criterion) {
    let order = Arc::new(order(20));
    let ops = ten_replace_ops();
    assert_eq!(ops.len(), 10);
    patch_order(&order, &ops, &OrderLimits::default()).expect("patch applies");

    let mut g = c.benchmark_group("hook");
    g.bench_function("apply-10-ops", |b| {
        b.iter(|| {
            patch_order(black_box(&order), black_box(&ops), &OrderLimits::default())
                .expect("patch applies")
        })
    });

    for (name, path, config) in [
        ("three-for-two", plugins::THREE_FOR_TWO, json!({})),
        (
            "free-shipping",
            plugins::FREE_SHIPPING,
            json!({"threshold": 1000.0}),
        ),
    ] {
        let (host, plugin) = host_with_plugin(path, name, PluginKind::Hook, config);
        let config = serde_json::to_string(&plugin.manifest.config).expect("config");
        let answered = call(&host, &plugin, &config, &order);
        assert!(!answered.is_empty(), "{name} patches the fixture");
        patch_order(&order, &answered, &OrderLimits::default()).expect("the hook's patch applies");
        g.bench_function(format!("call-{name}/20"), |b| {
            b.iter(|| call(&host, &plugin, &config, black_box(&order)))
        });
        if name == "three-for-two" {
            g.bench_function(format!("{name}-all-in/20"), |b| {
                b.iter(|| {
                    let ops = call(&host, &plugin, &config, black_box(&order));
                    patch_order(&order, &ops, &OrderLimits::default()).expect("patch applies")
                })
            });
        }
    }
    g.finish();
}
