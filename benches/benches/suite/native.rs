//! `native/max-quantity/<20|200>`: the rule as a plain Rust function over the order model
//! (the floor); `native-clone/max-quantity/<20|200>`: clone the order, then the rule (the
//! fair comparison: the WASM path copies the order too).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use ordergate_benches::*;

pub fn benches(c: &mut Criterion) {
    let orders: Vec<_> = [20, 200].into_iter().map(|n| (n, order(n))).collect();
    let mut g = c.benchmark_group("native");
    for (n, order) in &orders {
        g.bench_with_input(BenchmarkId::new("max-quantity", n), order, |b, order| {
            b.iter(|| max_quantity(black_box(order), MAX_QUANTITY))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("native-clone");
    for (n, order) in &orders {
        g.bench_with_input(BenchmarkId::new("max-quantity", n), order, |b, order| {
            b.iter(|| {
                let copy = black_box(order).clone();
                let violations = max_quantity(&copy, MAX_QUANTITY);
                drop(copy);
                violations
            })
        });
    }
    g.finish();
}
