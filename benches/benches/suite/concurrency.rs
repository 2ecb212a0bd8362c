//! `concurrency/mutations-per-sec/<1|2>`: full mutations (as `mutation/full`) from 1 or 2
//! threads, each on its own order. One iteration is one mutation, so criterion's time per
//! iteration is the inverse of the throughput. A plain 3-second count per thread count is
//! written to `target/ordergate-bench/concurrency.json`.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use ordergate_benches::*;
use serde_json::json;

fn run(rig: &MutationRig, threads: usize, per_thread: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for _ in 0..per_thread {
                    rig.mutate(t).expect("mutation commits");
                }
            });
        }
    });
    start.elapsed()
}

pub fn benches(c: &mut Criterion) {
    let rig = MutationRig::new(true, 100, 2);
    let mut g = c.benchmark_group("concurrency");
    g.throughput(Throughput::Elements(1));
    for threads in [1usize, 2] {
        g.bench_with_input(
            BenchmarkId::new("mutations-per-sec", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    let per_thread = iters.div_ceil(threads as u64);
                    let elapsed = run(&rig, threads, per_thread);
                    elapsed.mul_f64(iters as f64 / (per_thread * threads as u64) as f64)
                })
            },
        );
    }
    g.finish();

    let window = if bench_mode() {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(10)
    };
    let mut counts = serde_json::Map::new();
    for threads in [1usize, 2] {
        let start = Instant::now();
        let mut done = 0u64;
        while start.elapsed() < window {
            run(&rig, threads, 50);
            done += 50 * threads as u64;
        }
        let per_sec = done as f64 / start.elapsed().as_secs_f64();
        counts.insert(
            threads.to_string(),
            json!({"mutations": done, "perSecond": per_sec}),
        );
    }
    write_result("concurrency", &json!({"threads": counts}));
}
