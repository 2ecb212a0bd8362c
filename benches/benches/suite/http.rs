//! `http-callback/max-quantity/<1|20|200>`: the rule as the spec's HTTP callback adapter,
//! on loopback: serialize the order, POST it over a keep-alive connection, the server
//! parses it, runs the rule and answers; parse the answer.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use ordergate_benches::*;

pub fn benches(c: &mut Criterion) {
    let callback = HttpCallback::start();
    let mut g = c.benchmark_group("http-callback");
    for n in SIZES {
        let order = order(n);
        assert!(callback.validate(&order).is_empty());
        g.bench_with_input(BenchmarkId::new("max-quantity", n), &order, |b, order| {
            b.iter(|| callback.validate(black_box(order)))
        });
    }
    g.finish();
}
