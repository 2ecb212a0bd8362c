//! `mutation/full`: a `SetCart` through `Host::mutate` on a 20-line order with 5
//! validations, 3 hooks and 100 notifications, alternating between two carts so every call
//! is a real change; `mutation/no-plugins` and `mutation/no-notifications`: the same
//! without the plugins, or without the notifications (for the breakdown); `mutation/bare`:
//! neither, what the pipeline itself costs. A plain loop of
//! 2000 mutations gives p50/p99 (`target/ordergate-bench/mutation-latency.json`).

use criterion::Criterion;
use ordergate::Verdict;
use ordergate_benches::*;
use serde_json::json;

pub fn benches(c: &mut Criterion) {
    let full = MutationRig::new(true, 100, 1);
    let committed = full.mutate(0).expect("mutation commits");
    for p in &committed.trace.plugins {
        assert!(
            !matches!(
                p.verdict,
                Verdict::Faulted { .. }
                    | Verdict::Rejected { .. }
                    | Verdict::PatchRefused { .. }
                    | Verdict::HookFailed { .. }
            ),
            "{} did not run cleanly: {:?}",
            p.plugin,
            p.verdict
        );
    }
    let no_plugins = MutationRig::new(false, 100, 1);
    let no_notifications = MutationRig::new(true, 0, 1);
    let bare = MutationRig::new(false, 0, 1);

    let mut g = c.benchmark_group("mutation");
    g.bench_function("full", |b| {
        b.iter(|| full.mutate(0).expect("mutation commits"))
    });
    g.bench_function("no-plugins", |b| {
        b.iter(|| no_plugins.mutate(0).expect("mutation commits"))
    });
    g.bench_function("no-notifications", |b| {
        b.iter(|| no_notifications.mutate(0).expect("mutation commits"))
    });
    g.bench_function("bare", |b| {
        b.iter(|| bare.mutate(0).expect("mutation commits"))
    });
    g.finish();

    let rounds = if bench_mode() { 2_000 } else { 5 };
    let trace = full.mutate(0).expect("mutation commits").trace;
    write_result(
        "mutation-latency",
        &json!({
            "lines": 20,
            "validations": 5,
            "hooks": 3,
            "notifications": 100,
            "full": percentiles(full.latencies(rounds)),
            "noPlugins": percentiles(no_plugins.latencies(rounds)),
            "noNotifications": percentiles(no_notifications.latencies(rounds)),
            "bare": percentiles(bare.latencies(rounds)),
            "pluginRunsPerMutation": trace.plugins.len(),
            "eventsFiredPerMutation": trace.notifications.len(),
            "exampleTrace": trace,
        }),
    );
}
