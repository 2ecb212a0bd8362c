//! The ordergate benchmark suite. `cargo bench -p ordergate-benches` runs it all;
//! `cargo test -p ordergate-benches --benches` runs every benchmark once, as a test.
//! `benches/report.sh` runs it and writes `benches/RESULTS.md`.

use std::time::Duration;

use criterion::Criterion;

mod components;
mod concurrency;
mod growth;
mod hook;
mod http;
mod mutation;
mod native;
mod notifications;
mod plugin;
mod restart;
mod restart_tenants;
mod shadow;
mod validation;

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    components::benches();
    plugin::benches(&mut c);
    validation::benches(&mut c);
    native::benches(&mut c);
    http::benches(&mut c);
    hook::benches(&mut c);
    notifications::benches(&mut c);
    mutation::benches(&mut c);
    shadow::benches(&mut c);
    concurrency::benches(&mut c);
    restart::benches(&mut c);
    restart_tenants::benches(&mut c);
    growth::benches(&mut c);
    c.final_summary();
}
