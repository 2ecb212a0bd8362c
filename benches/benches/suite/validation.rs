//! `validation/<plugin>/<1|20|200>`: one validation all-in (a view of the candidate order,
//! a fresh instance, the call with the plugin reading what it needs, violations back), for
//! the examples and for an untuned rule (`sku-rule-untuned`: every line read in full, the
//! configuration parsed and a pattern compiled in every call; `sku-rule-init`: the same
//! component with its setup done once, at install); and `levers/<setting>/<20|200>`:
//! max-quantity all-in on hosts that differ from the defaults in one sandbox setting (fuel,
//! pagemap scan, keep-resident bytes); and plain loops for the breakdown (instantiate
//! against the call) and for the untuned rule's ratio to max-quantity.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion};
use ordergate::InstalledPlugin;
use ordergate::model::{Order, OrderStatus};
use ordergate::{ChangeSummary, OrderView};
use ordergate::{PluginKind, SandboxConfig};
use ordergate_benches::calls::validate_all_in;
use ordergate_benches::*;
use serde_json::{Value, json};

/// The pattern the untuned rule checks every SKU against: the fixture's SKUs
/// (`ORG-10000-M`) all match it, so the rule accepts and reads every line.
const SKU_PATTERN: &str = "^[A-Z]{3}-[0-9]{5}-[A-Z0-9]+$";

pub fn benches(c: &mut Criterion) {
    let plugins: [(&str, &str, Value); 5] = [
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
        (
            "sku-rule-untuned",
            plugins::SKU_RULE,
            json!({"skuPattern": SKU_PATTERN, "setup": "call"}),
        ),
        (
            "sku-rule-init",
            plugins::SKU_RULE,
            json!({"skuPattern": SKU_PATTERN, "setup": "init"}),
        ),
    ];
    let orders: Vec<(usize, Arc<Order>)> = SIZES.iter().map(|&n| (n, Arc::new(order(n)))).collect();
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
                validate_all_in(host, plugin, config, order).is_empty(),
                "{name} accepts the fixture"
            );
            g.bench_with_input(BenchmarkId::new(*name, n), order, |b, order| {
                b.iter(|| validate_all_in(host, plugin, config, black_box(order)))
            });
        }
    }
    g.finish();

    // The sandbox's levers, one at a time against the defaults: the same validation on a
    // host that differs from the default in one setting.
    let defaults = SandboxConfig::default();
    let levers: [(&str, SandboxConfig); 5] = [
        ("defaults", defaults.clone()),
        (
            "no-fuel",
            SandboxConfig {
                fuel: false,
                ..defaults.clone()
            },
        ),
        (
            "no-pagemap-scan",
            SandboxConfig {
                pagemap_scan: false,
                ..defaults.clone()
            },
        ),
        (
            "keep-resident-0",
            SandboxConfig {
                keep_resident_bytes: 0,
                ..defaults.clone()
            },
        ),
        (
            "keep-resident-1MiB",
            SandboxConfig {
                keep_resident_bytes: 1 << 20,
                ..defaults.clone()
            },
        ),
    ];
    let (name, _, _, config) = &hosts[0];
    let mut g = c.benchmark_group("levers");
    for (lever, sandbox) in levers {
        let (host, plugin) = plugin_on(
            host_with(sandbox),
            plugins::MAX_QUANTITY,
            name,
            PluginKind::Validation,
            json!({"maxQuantity": MAX_QUANTITY}),
        );
        for (n, order) in orders.iter().filter(|(n, _)| *n > 1) {
            g.bench_with_input(BenchmarkId::new(lever, n), order, |b, order| {
                b.iter(|| validate_all_in(&host, &plugin, config, black_box(order)))
            });
        }
    }
    g.finish();

    let (_, host, plugin, config) = &hosts[0];
    let ctx = call_context("max-quantity", config);
    let touched = ["/cart".to_owned()];
    let change = ChangeSummary {
        touched: &touched,
        from_status: Some(OrderStatus::Checkout),
        to_status: None,
    };

    // The breakdown from a plain loop: what the engine's own clock says (instantiate, and
    // instantiate + call) against the wall clock around the all-in call.
    let rounds = if bench_mode() { 3_000 } else { 3 };
    let mut breakdown = serde_json::Map::new();
    for (n, order) in &orders {
        let (mut wall, mut inst, mut run_total) = (vec![], vec![], vec![]);
        let (mut fuel, mut memory) = (0, 0);
        for _ in 0..rounds {
            let start = Instant::now();
            let view = Arc::new(OrderView::new(Arc::clone(order)));
            let run =
                host.sandbox()
                    .validate(plugin.compiled(), &plugin.limits, &ctx, &view, &change);
            drop(view);
            let elapsed = start.elapsed();
            assert!(matches!(run.outcome, Ok(Ok(()))));
            wall.push(elapsed.as_nanos() as u64);
            inst.push(run.instantiate_time.as_nanos() as u64);
            run_total.push(run.duration.as_nanos() as u64);
            fuel = run.fuel_consumed;
            memory = run.memory_peak;
        }
        breakdown.insert(
            n.to_string(),
            json!({
                "allIn": percentiles(wall),
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

    write_result(
        "validation-untuned",
        &untuned_ratios(&hosts, &orders, rounds),
    );
}

/// The untuned rule (setup in every call, and at install) against max-quantity, all-in,
/// interleaved in blocks within one loop so that the ratios compare the same moments of a
/// shared machine: p50s, and each variant's p50 over max-quantity's.
fn untuned_ratios(
    hosts: &[(&str, ordergate::Host, Arc<InstalledPlugin>, String)],
    orders: &[(usize, Arc<Order>)],
    rounds: usize,
) -> Value {
    const BLOCK: usize = 100;
    let compared: Vec<_> = ["max-quantity", "sku-rule-untuned", "sku-rule-init"]
        .iter()
        .map(|wanted| {
            hosts
                .iter()
                .find(|(name, ..)| name == wanted)
                .expect("the plugin is benchmarked")
        })
        .collect();
    let mut sizes = serde_json::Map::new();
    for (n, order) in orders.iter().filter(|(n, _)| *n > 1) {
        let mut samples = vec![Vec::new(); compared.len()];
        for _ in 0..rounds.div_ceil(BLOCK) {
            for ((_, host, plugin, config), samples) in compared.iter().zip(&mut samples) {
                for _ in 0..BLOCK.min(rounds) {
                    let start = Instant::now();
                    black_box(validate_all_in(host, plugin, config, order));
                    samples.push(start.elapsed().as_nanos() as u64);
                }
            }
        }
        let p50s: Vec<Value> = samples.into_iter().map(percentiles).collect();
        let p50 = |i: usize| p50s[i]["p50Us"].as_f64().unwrap_or(f64::NAN);
        sizes.insert(
            n.to_string(),
            json!({
                "maxQuantity": p50s[0],
                "untuned": p50s[1],
                "setupAtInit": p50s[2],
                "untunedOverMaxQuantity": p50(1) / p50(0),
                "setupAtInitOverMaxQuantity": p50(2) / p50(0),
            }),
        );
    }
    json!({"plugin": "sku-rule", "comparedWith": "max-quantity", "sizes": sizes})
}
