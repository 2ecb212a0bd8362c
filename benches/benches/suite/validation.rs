//! `validation/<plugin>/<1|20|200>`: one validation all-in (fresh instance, order → WIT,
//! call, violations back); and the parts, for the breakdown: `convert/order-to-wit/<n>`
//! and `validation-preconverted/<plugin>/<n>` (sandbox only, order converted beforehand).

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion};
use ordergate::model::{Order, OrderStatus};
use ordergate::registry::InstalledPlugin;
use ordergate::{Host, PluginKind, Violation, wit};
use ordergate_benches::*;
use serde_json::{Value, json};

/// One validation as the pipeline does it: context, order and change to WIT, a fresh
/// instance, the call, the violations back to the host's type.
fn all_in(host: &Host, plugin: &InstalledPlugin, config: &str, order: &Order) -> Vec<Violation> {
    let ctx = wit::context("norce", "b2c", &plugin.manifest.id, None, None, config);
    let w = wit::order(order);
    let change = wit::change(&["/cart".to_owned()], Some(OrderStatus::Checkout), None);
    let run = host
        .sandbox()
        .validate(plugin.compiled(), &plugin.limits, &ctx, &w, &change);
    match run.outcome {
        Ok(Ok(())) => Vec::new(),
        Ok(Err(violations)) => violations
            .into_iter()
            .map(|v| wit::violation_from_wit(&plugin.manifest.id, v).expect("valid violation"))
            .collect(),
        Err(fault) => panic!("{} faulted: {fault}", plugin.manifest.id),
    }
}

pub fn benches(c: &mut Criterion) {
    let plugins: [(&str, &str, Value); 3] = [
        (
            "max-quantity",
            plugins::MAX_QUANTITY,
            json!({"maxQuantity": MAX_QUANTITY}),
        ),
        (
            "organization-number",
            plugins::ORGANIZATION_NUMBER,
            json!({}),
        ),
        ("payment-coverage", plugins::PAYMENT_COVERAGE, json!({})),
    ];
    let orders: Vec<(usize, Order)> = SIZES.iter().map(|&n| (n, order(n))).collect();
    let hosts: Vec<_> = plugins
        .iter()
        .map(|(name, path, config)| {
            let (host, plugin) =
                host_with_plugin(path, name, PluginKind::Validation, config.clone());
            let config = serde_json::to_string(&plugin.manifest.config).expect("config");
            (*name, host, plugin, config)
        })
        .collect();

    let mut g = c.benchmark_group("validation");
    for (name, host, plugin, config) in &hosts {
        for (n, order) in &orders {
            assert!(
                all_in(host, plugin, config, order).is_empty(),
                "{name} accepts the fixture"
            );
            g.bench_with_input(BenchmarkId::new(*name, n), order, |b, order| {
                b.iter(|| all_in(host, plugin, config, black_box(order)))
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("convert");
    for (n, order) in &orders {
        g.bench_with_input(BenchmarkId::new("order-to-wit", n), order, |b, order| {
            b.iter(|| wit::order(black_box(order)))
        });
    }
    g.finish();

    let (_, host, plugin, config) = &hosts[0];
    let ctx = wit::context("norce", "b2c", "max-quantity", None, None, config);
    let change = wit::change(&["/cart".to_owned()], Some(OrderStatus::Checkout), None);
    let mut g = c.benchmark_group("validation-preconverted");
    for (n, order) in &orders {
        let w = wit::order(order);
        g.bench_with_input(BenchmarkId::new("max-quantity", n), &w, |b, w| {
            b.iter(|| {
                host.sandbox().validate(
                    plugin.compiled(),
                    &plugin.limits,
                    &ctx,
                    black_box(w),
                    &change,
                )
            })
        });
    }
    g.finish();

    // The breakdown from a plain loop: what the engine's own clock says (instantiate, and
    // instantiate + call) against the wall clock around the all-in call.
    let rounds = if bench_mode() { 3_000 } else { 3 };
    let mut breakdown = serde_json::Map::new();
    for (n, order) in &orders {
        let (mut wall, mut conv, mut inst, mut run_total) = (vec![], vec![], vec![], vec![]);
        let (mut fuel, mut memory) = (0, 0);
        for _ in 0..rounds {
            let start = Instant::now();
            let w = wit::order(order);
            let converted = start.elapsed();
            let run = host
                .sandbox()
                .validate(plugin.compiled(), &plugin.limits, &ctx, &w, &change);
            drop(w);
            let elapsed = start.elapsed();
            assert!(matches!(run.outcome, Ok(Ok(()))));
            wall.push(elapsed.as_nanos() as u64);
            conv.push(converted.as_nanos() as u64);
            inst.push(run.instantiate_time.as_nanos() as u64);
            run_total.push(run.duration.as_nanos() as u64);
            fuel = run.fuel_consumed;
            memory = run.memory_peak;
        }
        breakdown.insert(
            n.to_string(),
            json!({
                "allIn": percentiles(wall),
                "orderToWit": percentiles(conv),
                "instantiate": percentiles(inst),
                "instantiatePlusCall": percentiles(run_total),
                "fuelConsumed": fuel,
                "memoryPeakBytes": memory,
            }),
        );
    }
    write_result(
        "validation-breakdown",
        &json!({"plugin": "max-quantity", "sizes": breakdown}),
    );
}
