//! Rough latency of one `commit` (a new order with one event, then a replace with one
//! event) and one `load`, on a fresh SQLite file and a fresh PostgreSQL schema, one call
//! at a time: `cargo run -p ordergate-store-sql --example latency` (with PostgreSQL as the
//! tests need it, see `.ci/postgres`). A quick look, not a benchmark: no warm-up, no
//! concurrency.
use std::time::Instant;

use ordergate::store::{OrderKey, OrderWrite, Storage};
use ordergate_test_support::conformance::{at, event, order};

fn measure(name: &str, store: &dyn Storage) {
    let n = 2000;
    let orders: Vec<_> = (0..n)
        .map(|i| order("norce", "b2c", &format!("o_{i}"), "r"))
        .collect();
    let t = Instant::now();
    for (i, o) in orders.iter().enumerate() {
        let e = event(&format!("e_{i}"), "norce", "b2c", &o.id, "export", at(0));
        store.commit(OrderWrite::Insert(o), vec![e]).unwrap();
    }
    let commit = t.elapsed() / n;
    let t = Instant::now();
    for i in 0..n {
        let key = OrderKey {
            merchant: "norce".into(),
            channel: "b2c".into(),
            id: format!("o_{i}"),
        };
        store.load(&key).unwrap().unwrap();
    }
    let load = t.elapsed() / n;
    let t = Instant::now();
    for (i, o) in orders.iter().enumerate() {
        let e = event(&format!("r_{i}"), "norce", "b2c", &o.id, "export", at(0));
        store
            .commit(
                OrderWrite::Replace {
                    order: o,
                    expected_version: 1,
                },
                vec![e],
            )
            .unwrap();
    }
    let replace = t.elapsed() / n;
    println!("{name}: insert+event {commit:?}, replace+event {replace:?}, load {load:?}");
}

fn main() {
    let (sqlite, _dir) = ordergate_store_sql::testing::fresh_sqlite();
    measure("sqlite", &sqlite);
    measure("postgres", &ordergate_store_sql::testing::fresh_postgres());
}
