//! A restarted host loads a tenant's plugins when that tenant first needs them, and loads
//! them from the compiled-artifact cache: a restart with many tenants costs what the
//! tenants served since cost, not what every tenant installed.

mod common;

use std::sync::Arc;

use common::*;
use ordergate::mutation::Mutation;
use ordergate::store::{MemoryStore, Storage};
use ordergate::{ArtifactSource, Host, LoadedCounts, SandboxConfig, Scope};
use ordergate_test_support as plugins;
use serde_json::json;

fn host_on(store: &Arc<dyn Storage>, config: &SandboxConfig) -> Host {
    Host::builder()
        .store(Arc::clone(store))
        .sandbox(tests_config(config.clone()))
        .build()
        .expect("host starts")
}

fn tenant_scope(i: usize) -> Scope {
    Scope::new(format!("merchant-{i}"), "b2c")
}

#[test]
fn a_restarted_host_loads_only_the_tenants_it_serves_from_the_disk_cache() {
    let cache = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..SandboxConfig::default()
    };
    let store: Arc<dyn Storage> = Arc::new(MemoryStore::new());
    let first = host_on(&store, &config);
    let bytes = plugin(plugins::MAX_QUANTITY);
    // Three tenants with two plugins each; the second plugin differs by its configuration
    // (so by its initialized snapshot) from the first.
    let mut orders = Vec::new();
    for t in 0..3 {
        let tenant = tenant_scope(t).tenant;
        for (id, max) in [("max-5", 5), ("max-8", 8)] {
            first
                .registry()
                .install(
                    &tenant,
                    manifest(id, &["cart"], json!({ "maxQuantity": max })),
                    &bytes,
                )
                .unwrap();
        }
        orders.push(create_order(&first, &tenant_scope(t), &[1]));
    }
    assert_eq!(
        first.registry().loaded(),
        LoadedCounts {
            tenants: 3,
            plugins: 6
        }
    );
    drop(first);

    let restarted = host_on(&store, &config);
    assert_eq!(
        restarted.registry().loaded(),
        LoadedCounts::default(),
        "nothing is loaded before a tenant needs it"
    );
    let committed = restarted
        .mutate(
            &tenant_scope(1),
            &orders[1],
            Mutation::SetCart(from(cart(&[2]))),
        )
        .unwrap();
    assert_eq!(committed.trace.plugins.len(), 2);
    assert_eq!(
        restarted.registry().loaded(),
        LoadedCounts {
            tenants: 1,
            plugins: 2
        },
        "only the tenant served is loaded"
    );
    let sources: Vec<ArtifactSource> = restarted
        .registry()
        .list(&tenant_scope(1).tenant)
        .unwrap()
        .iter()
        .map(|p| p.compiled().source())
        .collect();
    assert_eq!(
        sources,
        [ArtifactSource::DiskCache, ArtifactSource::DiskCache],
        "nothing is compiled after a restart with a warm cache"
    );

    // A second tenant's first mutation loads that tenant too, and only it.
    let rejected = restarted.mutate(
        &tenant_scope(2),
        &orders[2],
        Mutation::SetCart(from(cart(&[6]))),
    );
    assert!(rejected.is_err(), "max-5 refuses 6");
    assert_eq!(
        restarted.registry().loaded(),
        LoadedCounts {
            tenants: 2,
            plugins: 4
        }
    );
}
