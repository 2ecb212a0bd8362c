//! The deadline clock: a thread that advances the engine's epoch every tick, so a store's
//! epoch deadline is a wall-clock deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::Engine;

/// Stops its thread when dropped.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub fn start(engine: &Engine, tick: Duration) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        // A weak handle, so the thread never keeps an engine alive on its own.
        let weak = engine.weak();
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("ordergate-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        match weak.upgrade() {
                            Some(engine) => engine.increment_epoch(),
                            None => break,
                        }
                    }
                })?
        };
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Ticks for a deadline: rounded up, plus one because the current tick is partly over.
pub(crate) fn ticks(deadline: Duration, tick: Duration) -> u64 {
    let tick = tick.as_nanos().max(1);
    (deadline.as_nanos().div_ceil(tick) as u64).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_whole_ticks_plus_the_current_one() {
        let ms = Duration::from_millis;
        assert_eq!(ticks(ms(100), ms(1)), 101);
        assert_eq!(ticks(ms(5), ms(2)), 4);
        assert_eq!(ticks(Duration::ZERO, ms(1)), 1);
    }
}
