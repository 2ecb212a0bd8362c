//! The host's resident set: with 100 plugins installed, and over 100,000 mutations after a
//! warm-up (`VmRSS` from `/proc/self/status`). Writes `target/ordergate-bench/rss.json`
//! for `report.sh`.
//!
//! `cargo run --release -p ordergate-benches --example rss [mutations] [warm-up]`
//! (default 100000 and 5000).
//!
//! The loop runs on SQLite, not on the memory store: `MemoryStore` keeps every order
//! version and every event in memory by design, so its growth would be the store's, not
//! the host's. On a database the host holds only what it caches, which is what must stay
//! flat. The mutations model a shop's traffic: 1,000 orders of 20 lines with a payment, a
//! shipping and 10 notifications each, the full plugin set (5 validations, 3 hooks), cart
//! changes round-robin over the orders (each order changes every 1,000th mutation, between
//! two carts), so the events log grows in the database as in production.

use std::sync::Arc;
use std::time::Instant;

use ordergate::mutation::Mutation;
use ordergate::store::Storage;
use ordergate::{Host, Scope};
use ordergate_benches::rss::rss_kib;
use ordergate_benches::*;
use ordergate_store_sql::SqliteStore;
use serde_json::{Value, json};

const ORDERS: usize = 1_000;
const SAMPLE_EVERY: usize = 1_000;

fn sqlite_host(dir: &std::path::Path, name: &str) -> Host {
    let store: Arc<dyn Storage> =
        Arc::new(SqliteStore::open(&dir.join(name)).expect("database opens"));
    Host::builder().store(store).build().expect("host starts")
}

fn kib() -> u64 {
    rss_kib().unwrap_or(0)
}

/// RSS before and after a host gets 100 plugins (25 ids of each of four validations;
/// max-quantity with a limit per id, so 25 distinct initialized snapshots of it) and
/// serves a mutation through them.
fn with_100_plugins(dir: &std::path::Path) -> Value {
    let before = kib();
    let host = sqlite_host(dir, "plugins.db");
    let built = kib();
    let scope = Scope::new("rss-100", "b2c");
    let components = [
        plugins::MAX_QUANTITY,
        plugins::ORGANIZATION_NUMBER,
        plugins::PAYMENT_COVERAGE,
        plugins::HOSTILE,
    ]
    .map(plugin);
    for i in 0..100 {
        let config = match i % 4 {
            0 => json!({"maxQuantity": 10 + i}),
            3 => json!({"behaviour": "accept"}),
            _ => json!({}),
        };
        host.registry()
            .install(
                &scope.tenant,
                manifest(&format!("plugin-{i:03}"), &["cart"], config),
                &components[i % 4],
            )
            .expect("installs");
    }
    let installed = kib();
    host.create_order(&scope, new_order(20))
        .expect("a mutation through 100 plugins");
    let served = kib();
    json!({
        "beforeHostKib": before,
        "hostBuiltKib": built,
        "installedKib": installed,
        "afterMutationKib": served,
        "pluginsKib": served.saturating_sub(built),
    })
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let mutations = args.first().copied().unwrap_or(100_000);
    let warm_up = args.get(1).copied().unwrap_or(5_000);
    let dir = tempfile::tempdir().expect("temporary directory");

    let plugins100 = with_100_plugins(dir.path());
    eprintln!("with 100 plugins: {plugins100}");

    let host = sqlite_host(dir.path(), "orders.db");
    install_full_set(&host);
    let scope = scope();
    let carts = [cart(20, 1), cart(20, 2)];
    let order = order(20);
    let ids: Vec<String> = (0..ORDERS)
        .map(|_| {
            let id = host
                .create_order(&scope, new_order(20))
                .expect("order created")
                .order
                .id
                .clone();
            for m in [
                Mutation::UpsertShipping(order.shippings[0].clone()),
                Mutation::UpsertPayment(order.payments[0].clone()),
            ]
            .into_iter()
            .chain(
                rig_notifications(10)
                    .into_iter()
                    .map(Mutation::CreateNotification),
            ) {
                host.mutate(&scope, &id, m).expect("order set up");
            }
            id
        })
        .collect();
    let mutate = |i: usize| {
        let cart = carts[(i / ORDERS) % 2].clone();
        host.mutate(&scope, &ids[i % ORDERS], Mutation::SetCart(cart))
            .expect("mutation commits");
    };

    for i in 0..warm_up {
        mutate(i);
    }
    let start_kib = kib();
    let started = Instant::now();
    let mut samples = vec![(0usize, start_kib)];
    for i in 0..mutations {
        mutate(warm_up + i);
        if (i + 1) % SAMPLE_EVERY == 0 {
            samples.push((i + 1, kib()));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let end_kib = kib();
    let (min, max) = samples
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), &(_, k)| (lo.min(k), hi.max(k)));
    // The largest distance from the post-warm-up value, as a share of it: the target is
    // "flat within ± 5 %".
    let drift = samples
        .iter()
        .map(|&(_, k)| (k as f64 - start_kib as f64).abs())
        .fold(0.0, f64::max)
        / start_kib.max(1) as f64
        * 100.0;
    let result = json!({
        "with100Plugins": plugins100,
        "loop": {
            "orders": ORDERS,
            "warmUp": warm_up,
            "mutations": mutations,
            "seconds": seconds,
            "startKib": start_kib,
            "endKib": end_kib,
            "minKib": min,
            "maxKib": max,
            "maxDriftPercent": drift,
            "samples": samples,
        },
    });
    let path = results_dir().join("rss.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&result).expect("json")).expect("write");
    eprintln!(
        "RSS after warm-up {start_kib} KiB, after {mutations} mutations {end_kib} KiB \
         (min {min}, max {max}, largest drift {drift:.2} %), {seconds:.0} s; wrote {}",
        path.display()
    );
}
