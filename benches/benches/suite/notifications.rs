//! `notifications/<1|10|100>`: deciding which of N notifications fire after a cart change
//! on a 20-line order (order JSON before and after computed beforehand); and what the
//! pipeline pays to get that JSON: `serialize/order-to-value/<20|200>`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use ordergate::notify::{SchemaCache, fires};
use ordergate_benches::*;

pub fn benches(c: &mut Criterion) {
    let before_order = order(20);
    let mut after_order = before_order.clone();
    let mut changed = cart(20, 1);
    if let Some(total) = changed.total.as_mut() {
        total.including_vat = total.including_vat.map(|t| t + 149.0);
    }
    after_order.cart = Some(changed);
    after_order.last_modified = "2026-01-12T15:22:03Z".into();
    let before = serde_json::to_value(&before_order).expect("json");
    let after = serde_json::to_value(&after_order).expect("json");

    let schemas = SchemaCache::new();
    let all = notifications(100);
    let mut fired = 0;
    for n in &all {
        ordergate::notify::check(n, &schemas).expect("notification is valid");
        fired += usize::from(fires(n, &before, &after, &schemas).expect("evaluates"));
    }
    assert!(
        fired > 0 && fired < 100,
        "a realistic mix fires some: {fired}"
    );

    let mut g = c.benchmark_group("notifications");
    for count in [1, 10, 100] {
        let subset = &all[..count];
        g.bench_with_input(BenchmarkId::from_parameter(count), subset, |b, subset| {
            b.iter(|| {
                subset
                    .iter()
                    .filter(|n| {
                        fires(n, black_box(&before), black_box(&after), &schemas)
                            .expect("evaluates")
                    })
                    .count()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("serialize");
    for n in [20, 200] {
        let order = order(n);
        g.bench_with_input(BenchmarkId::new("order-to-value", n), &order, |b, order| {
            b.iter(|| serde_json::to_value(black_box(order)).expect("json"))
        });
        let value = serde_json::to_value(&order).expect("json");
        g.bench_with_input(
            BenchmarkId::new("order-from-value", n),
            &value,
            |b, value| {
                b.iter(|| {
                    ordergate::model::from_value::<ordergate::model::Order>(
                        black_box(value).clone(),
                    )
                    .expect("parses")
                })
            },
        );
    }
    g.finish();
}
