//! `plugin/compile`, `plugin/load-disk-cache`, `plugin/instantiate`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use ordergate::ArtifactSource;
use ordergate::SandboxConfig;
use ordergate::model::OrderStatus;
use ordergate::{ChangeSummary, OrderView};
use ordergate_benches::*;
use serde_json::json;

pub fn benches(c: &mut Criterion) {
    let bytes = plugin(plugins::MAX_QUANTITY);
    let install_on = |host: &ordergate::Host| {
        host.registry()
            .install(
                &scope().tenant,
                manifest(
                    "max-quantity",
                    &["cart"],
                    json!({"maxQuantity": MAX_QUANTITY}),
                ),
                &bytes,
            )
            .expect("installs")
    };

    let mut g = c.benchmark_group("plugin");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);

    // Cranelift compile through the registry, on a fresh host without a cache directory
    // (the host is built and dropped outside the timed part).
    g.measurement_time(Duration::from_secs(6));
    g.bench_function("compile", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let host = host();
                let start = Instant::now();
                let report = install_on(&host);
                total += start.elapsed();
                assert_eq!(report.source, ArtifactSource::Compiled);
            }
            total
        })
    });

    // A fresh host whose cache directory already holds the compiled artifact.
    let cache = tempfile::tempdir().expect("cache dir");
    let cached = SandboxConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..SandboxConfig::default()
    };
    install_on(&host_with(cached.clone()));
    g.measurement_time(Duration::from_millis(500));
    g.bench_function("load-disk-cache", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let host = host_with(cached.clone());
                let start = Instant::now();
                let report = install_on(&host);
                total += start.elapsed();
                assert_eq!(report.source, ArtifactSource::DiskCache);
            }
            total
        })
    });

    // Instantiation alone, as the engine measures it (`Run::instantiate_time`: a new store
    // with its limits, fuel and deadline, and the instance from the pre-instantiated
    // component), summed over validations of organization-number on a 1-line order.
    let (host, installed) = host_with_plugin(
        plugins::ORGANIZATION_NUMBER,
        "organization-number",
        ordergate::PluginKind::Validation,
        json!({}),
    );
    let order = Arc::new(OrderView::new(Arc::new(order(1))));
    let ctx = call_context("organization-number", "{}");
    let touched = ["/cart".to_owned()];
    let change = ChangeSummary {
        touched: &touched,
        from_status: Some(OrderStatus::Checkout),
        to_status: None,
    };
    let run = || {
        host.sandbox().validate(
            installed.compiled(),
            &installed.limits,
            &ctx,
            &order,
            &change,
        )
    };
    assert!(matches!(run().outcome, Ok(Ok(()))));
    g.sample_size(30).sampling_mode(SamplingMode::Auto);
    g.measurement_time(Duration::from_secs(1));
    g.bench_function("instantiate", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += black_box(run()).instantiate_time;
            }
            total
        })
    });
    g.finish();

    // The same from a plain loop, with its percentiles, and the whole run beside it.
    let rounds = if bench_mode() { 20_000 } else { 10 };
    let (mut inst, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let r = run();
        inst.push(r.instantiate_time.as_nanos() as u64);
        whole.push(r.duration.as_nanos() as u64);
    }
    write_result(
        "instantiate",
        &json!({
            "plugin": "organization-number",
            "lines": 1,
            "instantiate": percentiles(inst),
            "instantiatePlusCall": percentiles(whole),
        }),
    );
}
