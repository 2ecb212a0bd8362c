//! `restart/100-plugins`: from creating a host with a warm disk cache to the first served
//! mutation (a 20-line order created through the pipeline), with 100 plugins installed:
//! four components under 100 ids, so every install is a cache hit (disk for the first of
//! each component, memory for the rest). Plugin bytes are in memory beforehand; the host
//! is dropped outside the timed part. Phases: `target/ordergate-bench/restart.json`.

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use ordergate::ArtifactSource;
use ordergate::{Host, SandboxConfig};
use ordergate_benches::*;
use serde_json::{Value, json};

fn components() -> Vec<(&'static str, Vec<u8>, Value)> {
    vec![
        (
            "max-quantity",
            plugin(plugins::MAX_QUANTITY),
            json!({"maxQuantity": MAX_QUANTITY}),
        ),
        (
            "organization-number",
            plugin(plugins::ORGANIZATION_NUMBER),
            json!({}),
        ),
        (
            "payment-coverage",
            plugin(plugins::PAYMENT_COVERAGE),
            json!({}),
        ),
        (
            "hostile",
            plugin(plugins::HOSTILE),
            json!({"behaviour": "accept"}),
        ),
    ]
}

struct Phases {
    build: Duration,
    install: Duration,
    first_mutation: Duration,
    disk_hits: usize,
    host: Host,
}

fn restart(config: &SandboxConfig, components: &[(&'static str, Vec<u8>, Value)]) -> Phases {
    let start = Instant::now();
    let host = host_with(config.clone());
    let built = start.elapsed();
    let tenant = scope().tenant;
    let mut disk_hits = 0;
    for i in 0..100 {
        let (name, bytes, config) = &components[i % components.len()];
        let report = host
            .registry()
            .install(
                &tenant,
                manifest(&format!("{name}-{i:03}"), &["cart"], config.clone()),
                bytes,
            )
            .expect("installs");
        assert_ne!(report.source, ArtifactSource::Compiled, "the cache is warm");
        disk_hits += usize::from(report.source == ArtifactSource::DiskCache);
    }
    let installed = start.elapsed();
    let created = host
        .create_order(&scope(), new_order(20))
        .expect("first mutation");
    let served = start.elapsed();
    assert_eq!(created.trace.plugins.len(), 100);
    Phases {
        build: built,
        install: installed - built,
        first_mutation: served - installed,
        disk_hits,
        host,
    }
}

pub fn benches(c: &mut Criterion) {
    let components = components();
    let cache = tempfile::tempdir().expect("cache dir");
    let config = SandboxConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..SandboxConfig::default()
    };
    let warm = host_with(config.clone());
    for (name, bytes, cfg) in &components {
        warm.registry()
            .install(
                &scope().tenant,
                manifest(name, &["cart"], cfg.clone()),
                bytes,
            )
            .expect("installs");
    }
    drop(warm);

    let mut g = c.benchmark_group("restart");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(4));
    g.bench_function("100-plugins", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let phases = restart(&config, &components);
                total += phases.build + phases.install + phases.first_mutation;
                drop(phases.host);
            }
            total
        })
    });
    g.finish();

    let rounds = if bench_mode() { 10 } else { 1 };
    let (mut build, mut install, mut first, mut hits) = (vec![], vec![], vec![], 0);
    for _ in 0..rounds {
        let p = restart(&config, &components);
        build.push(p.build.as_nanos() as u64);
        install.push(p.install.as_nanos() as u64);
        first.push(p.first_mutation.as_nanos() as u64);
        hits = p.disk_hits;
    }
    write_result(
        "restart",
        &json!({
            "plugins": 100,
            "diskCacheHits": hits,
            "memoryCacheHits": 100 - hits,
            "hostBuild": percentiles(build),
            "install100": percentiles(install),
            "firstMutation": percentiles(first),
        }),
    );
}
