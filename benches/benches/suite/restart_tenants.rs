//! `restart/1000-plugins-100-tenants`: a restart of a host whose SQLite database holds
//! 1,000 installed plugins over 100 tenants (10 each), with the compiled-artifact cache on
//! disk warm: from opening the database to the answer of the first mutation for one
//! tenant (a `SetCart` of 20 lines on an order created before the restart).
//!
//! Each tenant runs the same ten validations with their own configurations (seven
//! max-quantity limits, organization-number, payment-coverage, hostile in `accept`): ten
//! distinct initialized snapshots, so the tenant served loads ten plugins from the disk
//! cache and none from another plugin's memory. The database is a real file (a restart
//! reads what a previous process wrote); the OS page cache is warm, as on a process
//! restart (not a reboot). Phases: `target/ordergate-bench/restart-tenants.json`.
//!
//! `cargo test --benches` runs it once on 100 plugins over 10 tenants.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use ordergate::mutation::Mutation;
use ordergate::store::Storage;
use ordergate::{ArtifactSource, Host, LoadedCounts, MutationError, SandboxConfig, Scope};
use ordergate_benches::*;
use ordergate_store_sql::SqliteStore;
use serde_json::{Value, json};

/// Plugins per tenant.
const PER_TENANT: usize = 10;

/// The ten plugins every tenant installs: (id, component, configuration).
fn tenant_plugins() -> Vec<(String, Vec<u8>, Value)> {
    let max_quantity = plugin(plugins::MAX_QUANTITY);
    let mut all: Vec<(String, Vec<u8>, Value)> = (1..=7)
        .map(|k| {
            (
                format!("max-quantity-{k}"),
                max_quantity.clone(),
                json!({"maxQuantity": 10 * k}),
            )
        })
        .collect();
    all.push((
        "organization-number".into(),
        plugin(plugins::ORGANIZATION_NUMBER),
        json!({}),
    ));
    all.push((
        "payment-coverage".into(),
        plugin(plugins::PAYMENT_COVERAGE),
        json!({}),
    ));
    all.push((
        "hostile".into(),
        plugin(plugins::HOSTILE),
        json!({"behaviour": "accept"}),
    ));
    assert_eq!(all.len(), PER_TENANT);
    all
}

fn tenant_scope(i: usize) -> Scope {
    Scope::new(format!("merchant-{i:03}"), "b2c")
}

fn open_host(db: &Path, config: &SandboxConfig) -> Host {
    let store: Arc<dyn Storage> = Arc::new(SqliteStore::open(db).expect("database opens"));
    Host::builder()
        .store(store)
        .sandbox(config.clone())
        .build()
        .expect("host starts")
}

/// Installs `tenants` × [`PER_TENANT`] plugins and one order per tenant; the order of
/// tenant 0, which the restart serves.
fn populate(db: &Path, config: &SandboxConfig, tenants: usize) -> String {
    let host = open_host(db, config);
    let plugins = tenant_plugins();
    let mut served = String::new();
    for t in 0..tenants {
        let scope = tenant_scope(t);
        for (id, bytes, cfg) in &plugins {
            host.registry()
                .install(&scope.tenant, manifest(id, &["cart"], cfg.clone()), bytes)
                .expect("installs");
        }
        if t == 0 {
            served = host
                .create_order(&scope, new_order(20))
                .expect("order created")
                .order
                .id
                .clone();
        }
    }
    served
}

struct Phases {
    open_store_and_build: Duration,
    load_tenant: Duration,
    mutation: Duration,
    loaded: LoadedCounts,
    disk_hits: usize,
}

/// One restart: a new host on the database, the tenant's plugins loaded (explicitly when
/// `split`, to time that phase; else by the mutation itself), the first mutation answered.
fn restart(db: &Path, config: &SandboxConfig, order: &str, turn: u64, split: bool) -> Phases {
    let scope = tenant_scope(0);
    let start = Instant::now();
    let host = open_host(db, config);
    let built = start.elapsed();
    if split {
        host.registry().tenant(&scope.tenant).expect("plugins load");
    }
    let loaded_at = start.elapsed();
    let answer = host.mutate(&scope, order, Mutation::SetCart(cart(20, 1 + turn % 2)));
    let answered = start.elapsed();
    match answer {
        Ok(_) | Err(MutationError::Rejected { .. }) => {}
        Err(other) => panic!("the first mutation failed: {other}"),
    }
    let list = host.registry().list(&scope.tenant).expect("listed");
    let disk_hits = list
        .iter()
        .filter(|p| p.compiled().source() == ArtifactSource::DiskCache)
        .count();
    assert!(
        list.iter()
            .all(|p| p.compiled().source() != ArtifactSource::Compiled),
        "nothing is compiled on a restart with a warm cache"
    );
    Phases {
        open_store_and_build: built,
        load_tenant: loaded_at - built,
        mutation: answered - loaded_at,
        loaded: host.registry().loaded(),
        disk_hits,
    }
}

pub fn benches(c: &mut Criterion) {
    let tenants = if bench_mode() { 100 } else { 10 };
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("ordergate.db");
    let config = SandboxConfig {
        cache_dir: Some(dir.path().join("artifacts")),
        ..SandboxConfig::default()
    };
    let order = populate(&db, &config, tenants);

    let mut turn = 0;
    let mut g = c.benchmark_group("restart");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(5));
    g.bench_function("1000-plugins-100-tenants", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                turn += 1;
                let p = restart(&db, &config, &order, turn, false);
                total += p.open_store_and_build + p.load_tenant + p.mutation;
            }
            total
        })
    });
    g.finish();

    let rounds = if bench_mode() { 20 } else { 1 };
    let (mut build, mut load, mut mutation, mut total) = (vec![], vec![], vec![], vec![]);
    let mut last = None;
    for _ in 0..rounds {
        turn += 1;
        let p = restart(&db, &config, &order, turn, true);
        build.push(p.open_store_and_build.as_nanos() as u64);
        load.push(p.load_tenant.as_nanos() as u64);
        mutation.push(p.mutation.as_nanos() as u64);
        total.push((p.open_store_and_build + p.load_tenant + p.mutation).as_nanos() as u64);
        last = Some(p);
    }
    let last = last.expect("one round at least");
    assert_eq!(
        last.loaded,
        LoadedCounts {
            tenants: 1,
            plugins: PER_TENANT
        },
        "a restart loads only the tenant it serves"
    );
    write_result(
        "restart-tenants",
        &json!({
            "tenants": tenants,
            "plugins": tenants * PER_TENANT,
            "loadedTenants": last.loaded.tenants,
            "loadedPlugins": last.loaded.plugins,
            "diskCacheHits": last.disk_hits,
            "databaseBytes": std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0),
            "openAndBuild": percentiles(build),
            "loadTenant": percentiles(load),
            "firstMutation": percentiles(mutation),
            "total": percentiles(total),
        }),
    );
}
