//! The growth curves: `growth/validation/<lines>` (max-quantity all-in, 1 to 1,000 cart
//! lines), `growth/notifications/<n>` (a 20-line `SetCart` with no plugins and 0 to 1,000
//! notifications on the order) and `growth/plugins/<n>` (a 20-line `SetCart` with 0 to 50
//! validation plugins and no notifications). `examples/plots.rs` draws them.
//!
//! `cargo test --benches` runs the three smallest sizes of each, once.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use ordergate::PluginKind;
use ordergate_benches::calls::validate_all_in;
use ordergate_benches::growth::{NOTIFICATION_COUNTS, PLUGIN_COUNTS, PluginsRig, VALIDATION_LINES};
use ordergate_benches::*;
use serde_json::json;

/// All the sizes in a real run; the three smallest as a test.
fn sizes(all: &[usize]) -> &[usize] {
    if bench_mode() { all } else { &all[..3] }
}

pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("growth");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    let (host, plugin) = host_with_plugin(
        plugins::MAX_QUANTITY,
        "max-quantity",
        PluginKind::Validation,
        json!({"maxQuantity": MAX_QUANTITY}),
    );
    let config = plugin.manifest.config.to_string();
    for &n in sizes(&VALIDATION_LINES) {
        let order = Arc::new(order(n));
        assert!(validate_all_in(&host, &plugin, &config, &order).is_empty());
        g.bench_with_input(BenchmarkId::new("validation", n), &order, |b, order| {
            b.iter(|| validate_all_in(&host, &plugin, &config, black_box(order)))
        });
    }
    drop(host);

    for &n in sizes(&NOTIFICATION_COUNTS) {
        let rig = MutationRig::new(false, n, 1);
        g.bench_function(BenchmarkId::new("notifications", n), |b| {
            b.iter(|| rig.mutate(0).expect("mutation commits"))
        });
    }

    for &n in sizes(&PLUGIN_COUNTS) {
        let rig = PluginsRig::new(n);
        let committed = rig.mutate().expect("mutation commits");
        assert_eq!(committed.trace.plugins.len(), n, "every plugin runs");
        g.bench_function(BenchmarkId::new("plugins", n), |b| {
            b.iter(|| rig.mutate().expect("mutation commits"))
        });
    }
    g.finish();
}
