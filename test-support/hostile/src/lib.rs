//! A validation plugin that misbehaves on request, for the host's tests of its limits
//! (fuel/epoch deadlines, memory limits, stack overflow, output size, traps, logging).
//!
//! Configuration: `{"behaviour": "<name>", "when": "<cart reference>"}`. `behaviour` is one
//! of `accept`, `reject`, `log`, `loop`, `memory`, `recurse`, `huge-output`, `trap`,
//! `bad-pointer`; anything else is refused with `invalid-configuration`. With `when`, the
//! plugin misbehaves only on orders whose cart reference equals it and accepts the rest,
//! so tests can show that the same plugin serves the next order after a fault.
//!
//! Some behaviours are about `init`, which runs at install: `init-loop` spins forever,
//! `init-trap` panics, `init-fail` refuses its configuration with its own message, and
//! `init-heavy` spends a million loop iterations in `init`, then accepts every order (the
//! calls must not pay for that work again).

use std::hint::black_box;

use ordergate_guest::{Change, Context, Order, Validation, Violation, log};
use serde::Deserialize;

/// The configuration: which misbehaviour to perform.
#[derive(Deserialize)]
pub struct Config {
    behaviour: String,
    when: Option<String>,
}

/// The plugin.
pub struct Hostile;

impl Validation for Hostile {
    type Config = Config;

    /// The SDK's parsing, then the misbehaviours that happen in `init`.
    fn init(configuration: &str) -> Result<Config, String> {
        let config: Config =
            ordergate_guest::parse_config(configuration).map_err(|e| e.to_string())?;
        match config.behaviour.as_str() {
            "init-loop" => spin(),
            "init-trap" => panic!("hostile init panicked"),
            "init-fail" => Err("hostile init refused its configuration".to_owned()),
            "init-heavy" => {
                let mut counter = 0u64;
                for _ in 0..1_000_000 {
                    counter = black_box(counter.wrapping_add(1));
                }
                Ok(config)
            }
            _ => Ok(config),
        }
    }

    fn validate(
        config: &Config,
        ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<(), Vec<Violation>> {
        // The cart is read only for `when`, so the other behaviours cost no read of the order.
        if let Some(when) = &config.when {
            let reference = order.cart().and_then(|cart| cart.reference);
            if reference.as_ref() != Some(when) {
                return Ok(());
            }
        }
        match config.behaviour.as_str() {
            "accept" | "init-heavy" => Ok(()),
            "reject" => Err(vec![Violation::new(
                "/cart",
                "hostile",
                "rejected by config",
            )]),
            "log" => {
                for line in 1..=3 {
                    log::info(format!("line {line}"));
                }
                Ok(())
            }
            "loop" => spin(),
            "memory" => exhaust_memory(),
            "recurse" => {
                let limit = u64::MAX - ctx.plugin_id.len() as u64;
                let depth = recurse(0, limit);
                Err(vec![Violation::new("", "unreachable", depth.to_string())])
            }
            "huge-output" => Err(huge_output()),
            "trap" => panic!("hostile plugin panicked"),
            "bad-pointer" => Err(vec![Violation::new(
                "cart/items",
                "hostile",
                "no leading slash",
            )]),
            other => Err(vec![Violation::new(
                "",
                "invalid-configuration",
                format!("unknown behaviour {other:?}"),
            )]),
        }
    }
}

ordergate_guest::export_validation!(Hostile);

/// Spins forever. `black_box` makes each iteration an observable effect as far as the
/// optimizer knows, so the loop cannot be removed (or turned into `unreachable`).
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Allocates 1 MiB chunks, touching each, until allocation fails (which aborts: a trap).
fn exhaust_memory() -> ! {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let chunk = vec![1u8; 1 << 20];
        chunks.push(black_box(chunk));
    }
}

/// Recurses without bound on the wasm call stack. Nothing here has its address taken
/// (`black_box` would spill to the shadow stack in linear memory, which ends in an
/// out-of-bounds access instead), so the host's stack limit is what stops it. `3 * r + d`
/// is not an accumulator LLVM can turn into a loop, and `limit` is a run-time value the
/// recursion never reaches.
#[inline(never)]
fn recurse(depth: u64, limit: u64) -> u64 {
    if depth == limit {
        return 0;
    }
    recurse(depth + 1, limit)
        .wrapping_mul(3)
        .wrapping_add(depth)
}

/// 10 000 violations with 1 KiB messages: about 10 MiB of output, well within the default
/// memory cap, so it is the result-size limit that refuses it.
fn huge_output() -> Vec<Violation> {
    let message = "x".repeat(1024);
    (0..10_000)
        .map(|_| Violation::new("/cart", "hostile", message.clone()))
        .collect()
}
