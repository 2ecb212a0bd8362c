//! A guest profile of one run (wasmtime's guest profiler, in the Firefox profiler's
//! format): what `ordergate run --profile` writes. Samples are taken at every tick of the
//! deadline clock while the guest runs, so a runner that profiles ticks finer than a
//! service does ([`super::SandboxConfig::epoch_tick`]); the deadline still holds, counted
//! in the same ticks.

use std::time::Instant;

use wasmtime::component::Component;
use wasmtime::{Engine, GuestProfiler, Store, Trap, UpdateDeadline};

use super::HostState;

/// A guest profile of one run (the Firefox profiler's JSON), or why none could be taken.
pub type Profile = Result<Vec<u8>, String>;

/// The profiler of one run, kept in its store.
pub(crate) struct Profiler {
    profiler: GuestProfiler,
    last: Instant,
    ticks: u64,
    deadline: u64,
}

impl Profiler {
    /// A profiler of `component`'s modules, named `name` in the profile.
    pub(super) fn new(
        engine: &Engine,
        name: &str,
        component: &Component,
    ) -> wasmtime::Result<Self> {
        let interval = std::time::Duration::from_micros(10);
        let profiler = GuestProfiler::new_component(engine, name, interval, component.clone(), [])?;
        Ok(Self {
            profiler,
            last: Instant::now(),
            ticks: 0,
            deadline: u64::MAX,
        })
    }
}

/// Samples at every tick instead of waiting for the deadline, which it keeps by counting
/// ticks (`deadline` of them, as the store would have).
pub(super) fn install(store: &mut Store<HostState>, deadline: u64) {
    if let Some(profiler) = &mut store.data_mut().profiler {
        profiler.deadline = deadline;
        profiler.last = Instant::now();
    } else {
        return;
    }
    store.epoch_deadline_callback(|mut cx| {
        let Some(mut profiler) = cx.data_mut().profiler.take() else {
            return Ok(UpdateDeadline::Continue(1));
        };
        let now = Instant::now();
        profiler.profiler.sample(&cx, now - profiler.last);
        profiler.last = now;
        profiler.ticks += 1;
        let over = profiler.ticks >= profiler.deadline;
        cx.data_mut().profiler = Some(profiler);
        if over {
            Err(Trap::Interrupt.into())
        } else {
            Ok(UpdateDeadline::Continue(1))
        }
    });
    store.set_epoch_deadline(1);
}

/// The profile, as JSON.
pub(super) fn finish(profiler: Profiler) -> Profile {
    let mut out = Vec::new();
    profiler
        .profiler
        .finish(&mut out)
        .map_err(|e| format!("{e:#}"))?;
    Ok(out)
}
