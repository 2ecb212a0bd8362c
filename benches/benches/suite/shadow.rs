//! `shadow/full` against `shadow/full-with-shadow`: the full mutation (`mutation/full`:
//! 20 lines, 5 validations, 3 hooks, 100 notifications) without and with a shadow version
//! of its max-quantity validation. The shadow runs on the host's observer thread, so what
//! it adds on the request's path is collecting its input and a queue send (plus, on a
//! machine this small, the observer's thread competing for the cores). A plain loop of
//! 2000 mutations each gives p50/p99 and the ratio
//! (`target/ordergate-bench/shadow-latency.json`), with the shadow's runs and drops.

use criterion::Criterion;
use ordergate_benches::*;
use serde_json::json;

/// The full rig with a shadow version of `max-quantity` (a stricter cap: it disagrees on
/// some lines, so its report records cases as it would in production).
fn with_shadow() -> MutationRig {
    let rig = MutationRig::new(true, 100, 1);
    let manifest = manifest("max-quantity", &["cart"], json!({"maxQuantity": 2}));
    rig.host
        .registry()
        .upload_shadow(
            &rig.scope.tenant,
            manifest,
            &plugin(ordergate_test_support::MAX_QUANTITY),
            None,
        )
        .expect("the shadow uploads");
    rig
}

pub fn benches(c: &mut Criterion) {
    let plain = MutationRig::new(true, 100, 1);
    let shadowed = with_shadow();
    let mut g = c.benchmark_group("shadow");
    g.bench_function("full", |b| {
        b.iter(|| plain.mutate(0).expect("mutation commits"))
    });
    g.bench_function("full-with-shadow", |b| {
        b.iter(|| shadowed.mutate(0).expect("mutation commits"))
    });
    g.finish();

    // As a test, one round of ten each: the code runs, nothing is measured.
    let rounds = if bench_mode() { 2_000 } else { 10 };
    // Interleaved, so both see the same machine.
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        without.extend(plain.latencies(rounds / 10));
        with.extend(shadowed.latencies(rounds / 10));
    }
    shadowed.host.wait_for_observer();
    let report = shadowed
        .host
        .shadow_report(&shadowed.scope.tenant, "max-quantity")
        .expect("the registry answers")
        .expect("the shadow has a report");
    assert!(report.runs > 0, "the shadow ran");
    let (without, with) = (percentiles(without), percentiles(with));
    write_result(
        "shadow-latency",
        &json!({
            "without": without,
            "withShadow": with,
            "ratioP50": with["p50Us"].as_f64().unwrap_or(0.0) / without["p50Us"].as_f64().unwrap_or(1.0),
            "ratioP99": with["p99Us"].as_f64().unwrap_or(0.0) / without["p99Us"].as_f64().unwrap_or(1.0),
            "shadowRuns": report.runs,
            "shadowDiffered": report.differed,
            "shadowDropped": report.dropped,
        }),
    );
}
