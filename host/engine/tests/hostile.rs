//! Hostile plugins are contained: each is stopped within its limits, the fault is
//! reported with its kind, the mutation follows `onFault`, and the same plugin (and the
//! host) keeps working on the next call.

mod common;

use common::*;
use ordergate::mutation::Mutation;
use ordergate::{Committed, Fault, MutationError, OnFault, SandboxConfig};
use ordergate::{LimitsOverride, LogLevel, LogLine};
use ordergate::{PluginTrace, Verdict};
use ordergate_test_support as plugins;
use serde_json::json;

/// Installs the hostile plugin to misbehave as `behaviour` on orders whose cart reference
/// is `attack`, and to accept every other order.
fn hostile_host(behaviour: &str, limits: LimitsOverride, on_fault: OnFault) -> ordergate::Host {
    hostile_on(host_with(lenient()), behaviour, limits, on_fault)
}

/// A host whose ceilings let a manifest give a plugin unlimited fuel or a minute: the
/// tests that show the other limit stopping a loop need them.
fn lenient() -> SandboxConfig {
    let mut config = SandboxConfig::default();
    config.ceilings.fuel = u64::MAX;
    config.ceilings.deadline = std::time::Duration::from_secs(60);
    config
}

/// [`hostile_host`] on a host of one's own.
fn hostile_on(
    host: ordergate::Host,
    behaviour: &str,
    limits: LimitsOverride,
    on_fault: OnFault,
) -> ordergate::Host {
    let mut m = manifest(
        "hostile",
        &[],
        json!({ "behaviour": behaviour, "when": "attack" }),
    );
    m.limits = LimitsOverride {
        deadline_ms: limits.deadline_ms.or(m.limits.deadline_ms),
        ..limits
    };
    m.on_fault = on_fault;
    install(&host, plugins::HOSTILE, m);
    host
}

fn order_with_reference(reference: &str) -> ordergate::model::NewOrder {
    let mut cart = cart(&[1]);
    cart["reference"] = json!(reference);
    from(json!({ "currency": "SEK", "cart": cart }))
}

/// Runs the attack, then an ordinary order through the same plugin.
fn attack(host: &ordergate::Host) -> (Result<Committed, MutationError>, PluginTrace) {
    let result = host.create_order(&scope(), order_with_reference("attack"));
    let trace = match &result {
        Ok(c) => c.trace.plugins[0].clone(),
        Err(MutationError::Rejected { trace, .. }) => trace.plugins[0].clone(),
        Err(other) => panic!("unexpected error {other}"),
    };
    let next = host
        .create_order(&scope(), order_with_reference("ordinary"))
        .expect("the same plugin serves the next order");
    assert_eq!(next.trace.plugins[0].verdict, Verdict::Accepted);
    (result, trace)
}

fn fault_of(trace: &PluginTrace) -> Fault {
    match &trace.verdict {
        Verdict::Faulted { fault, .. } => fault.clone(),
        other => panic!("expected a fault, got {other:?}"),
    }
}

fn limits(json: serde_json::Value) -> LimitsOverride {
    serde_json::from_value(json).unwrap()
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let host = hostile_host(
        "loop",
        limits(json!({"fuel": 2_000_000, "deadlineMs": 60_000})),
        OnFault::Reject,
    );
    let (result, trace) = attack(&host);
    assert_eq!(fault_of(&trace), Fault::FuelExhausted);
    assert_eq!(trace.fuel_consumed, 2_000_000);
    match result {
        Err(MutationError::Rejected { violations, .. }) => {
            assert_eq!(violations.len(), 1);
            assert_eq!(violations[0].plugin, "hostile");
            assert_eq!(violations[0].path, "");
            assert_eq!(violations[0].code, "plugin-fault");
            assert_eq!(
                violations[0].message,
                "plugin `hostile` failed: instruction budget (fuel) exhausted"
            );
        }
        other => panic!("expected rejection, got {other:?}"),
    }
}

#[test]
fn an_infinite_loop_with_ample_fuel_misses_its_deadline_and_is_allowed_by_default() {
    let host = hostile_host(
        "loop",
        limits(json!({"fuel": u64::MAX, "deadlineMs": 20})),
        OnFault::default(),
    );
    let (result, trace) = attack(&host);
    assert_eq!(fault_of(&trace), Fault::Timeout);
    assert_eq!(
        trace.verdict,
        Verdict::Faulted {
            fault: Fault::Timeout,
            on_fault: OnFault::Allow
        }
    );
    assert!(trace.duration.as_millis() >= 20, "{:?}", trace.duration);
    let committed = result.expect("onFault: allow lets the mutation through");
    assert_eq!(committed.version, 1);
}

#[test]
fn without_fuel_metering_the_deadline_alone_stops_an_infinite_loop() {
    let unmetered = host_with(SandboxConfig {
        fuel: false,
        ..SandboxConfig::default()
    });
    // A budget of 1000 instructions would stop the loop at once if it were metered.
    let host = hostile_on(
        unmetered,
        "loop",
        limits(json!({"fuel": 1000, "deadlineMs": 20})),
        OnFault::Reject,
    );
    let (result, trace) = attack(&host);
    assert_eq!(fault_of(&trace), Fault::Timeout);
    assert_eq!(trace.fuel_consumed, 0);
    assert!(trace.duration.as_millis() >= 20, "{:?}", trace.duration);
    match result {
        Err(MutationError::Rejected { violations, .. }) => assert_eq!(
            violations[0].message,
            "plugin `hostile` failed: deadline exceeded"
        ),
        other => panic!("expected rejection, got {other:?}"),
    }
}

#[test]
fn a_memory_bomb_hits_its_memory_cap() {
    let host = hostile_host(
        "memory",
        limits(json!({"memoryBytes": 8 << 20})),
        OnFault::Reject,
    );
    let (result, trace) = attack(&host);
    assert_eq!(fault_of(&trace), Fault::MemoryLimit);
    assert!(trace.memory_peak <= 8 << 20, "{}", trace.memory_peak);
    assert!(result.is_err());
}

#[test]
fn unbounded_recursion_overflows_the_stack() {
    let host = hostile_host("recurse", LimitsOverride::default(), OnFault::Reject);
    let (_, trace) = attack(&host);
    assert_eq!(fault_of(&trace), Fault::StackOverflow);
}

#[test]
fn a_huge_result_is_refused() {
    let host = hostile_host(
        "huge-output",
        limits(json!({"maxResultBytes": 65_536})),
        OnFault::Reject,
    );
    let (_, trace) = attack(&host);
    // 10 000 violations of path `/cart` (5), code `hostile` (7) and a 1 KiB message, plus
    // 64 bytes each for the record.
    assert_eq!(
        fault_of(&trace),
        Fault::ResultTooLarge {
            bytes: 10_000 * (64 + 5 + 7 + 1024)
        }
    );
}

#[test]
fn a_panic_is_a_trap() {
    let host = hostile_host("trap", LimitsOverride::default(), OnFault::Reject);
    let (_, trace) = attack(&host);
    assert_eq!(
        fault_of(&trace),
        Fault::Trap {
            message: "wasm trap: wasm `unreachable` instruction executed".into(),
            // The SDK's panic hook logged where and why before the trap.
            panic: Some(
                "panicked at test-support/hostile/src/lib.rs:86:23: hostile plugin panicked".into()
            ),
        }
    );
}

#[test]
fn a_violation_path_that_is_not_a_json_pointer_is_invalid_output() {
    let host = hostile_host("bad-pointer", LimitsOverride::default(), OnFault::Reject);
    let (_, trace) = attack(&host);
    assert_eq!(
        fault_of(&trace),
        Fault::InvalidOutput {
            reason: "violation path `cart/items` is not a JSON Pointer".into()
        }
    );
}

#[test]
fn log_lines_reach_the_trace() {
    let host = hostile_host("log", LimitsOverride::default(), OnFault::Reject);
    let committed = host
        .create_order(&scope(), order_with_reference("attack"))
        .unwrap();
    let log = &committed.trace.plugins[0].log;
    let expected: Vec<_> = (1..=3)
        .map(|i| LogLine {
            level: LogLevel::Info,
            message: format!("line {i}"),
        })
        .collect();
    assert_eq!(log.lines, expected);
    assert_eq!(log.dropped, 0);
}

#[test]
fn the_host_keeps_serving_after_every_kind_of_fault() {
    let host = host();
    for (i, behaviour) in ["loop", "memory", "recurse", "trap", "huge-output"]
        .iter()
        .enumerate()
    {
        let mut m = manifest(
            &format!("hostile-{i}"),
            &[],
            json!({ "behaviour": behaviour, "when": "attack" }),
        );
        m.limits = limits(json!({"deadlineMs": 10_000, "maxResultBytes": 65_536}));
        install(&host, plugins::HOSTILE, m);
    }
    let result = host
        .create_order(&scope(), order_with_reference("attack"))
        .unwrap();
    let kinds: Vec<_> = result
        .trace
        .plugins
        .iter()
        .map(|p| fault_of(p).kind())
        .collect();
    assert_eq!(
        kinds,
        [
            "fuelExhausted",
            "memoryLimit",
            "stackOverflow",
            "trap",
            "resultTooLarge"
        ]
    );
    let id = result.order.id.clone();
    let next = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[2]))))
        .unwrap();
    assert_eq!(next.version, 2);
    assert!(
        next.trace
            .plugins
            .iter()
            .all(|p| p.verdict == Verdict::Accepted)
    );
}
