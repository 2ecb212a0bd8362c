//! Attacks on the host, written as an attacker would: hooks and callers that try to crash,
//! exhaust or make the host leak. Each test shows the exact refusal and trace entry, then
//! that the host still serves another merchant at normal latency with its memory where it
//! was (see [`Bystander`]).
//!
//! The tests of this file run one at a time (they measure the process's memory).

mod common;

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::*;
use ordergate::model::Notification;
use ordergate::mutation::Mutation;
use ordergate::{Budget, Committed, Host, MutationError, PluginKind, Scope, TraceError, Verdict};
use ordergate_test_support as plugins;
use serde_json::{Value, json};

/// One attack at a time: memory is measured for the whole process.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// The most this process has had resident so far, in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib << 10
}

/// Another merchant on the same host, with a validation of its own: what an attack must
/// not disturb.
struct Bystander {
    scope: Scope,
    order_id: String,
    latency: Duration,
    rss: u64,
    /// How long the attack itself took, once [`Bystander::attack`] ran it.
    attack: std::cell::Cell<Duration>,
}

impl Bystander {
    /// Installs the bystander's plugin and measures its normal latency and the memory.
    fn before_the_attack(host: &Host) -> Self {
        let scope = Scope::new("bystander", "b2c");
        let manifest = manifest("max-quantity", &["cart"], json!({"maxQuantity": 10}));
        host.registry()
            .install(&scope.tenant, manifest, &plugin(plugins::MAX_QUANTITY))
            .expect("the bystander's plugin installs");
        let order_id = create_order(host, &scope, &[1, 2]);
        let mut bystander = Self {
            scope,
            order_id,
            latency: Duration::ZERO,
            rss: 0,
            attack: std::cell::Cell::new(Duration::ZERO),
        };
        bystander.latency = bystander.median_latency(host);
        bystander.rss = rss();
        bystander
    }

    /// Runs the attack, timing it.
    fn attack<T>(&self, attack: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = attack();
        self.attack.set(started.elapsed());
        result
    }

    fn median_latency(&self, host: &Host) -> Duration {
        let mut times: Vec<Duration> = (0..21)
            .map(|i| {
                let started = Instant::now();
                let cart = from(cart(&[1 + i % 3]));
                host.mutate(&self.scope, &self.order_id, Mutation::SetCart(cart))
                    .expect("the bystander's mutation commits");
                started.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    }

    /// The bystander is served as before: its mutations commit, at most a few times
    /// slower than before the attack (the machine is shared and noisy, so the bound is
    /// loose), and the process holds at most 64 MiB more than before.
    fn still_served(&self, host: &Host) {
        let latency = self.median_latency(host);
        assert!(
            latency <= self.latency * 5 + Duration::from_millis(5),
            "bystander latency went from {:?} to {latency:?}",
            self.latency
        );
        let grown = rss().saturating_sub(self.rss);
        let peak = peak_rss().saturating_sub(self.rss);
        println!(
            "{}: the attack took {:?}; the process grew by {} KiB (peak +{} KiB); the \
             bystander's median mutation {:?} before, {latency:?} after",
            std::thread::current().name().unwrap_or("attack"),
            self.attack.get(),
            grown >> 10,
            peak >> 10,
            self.latency
        );
        assert!(
            grown < 64 << 20,
            "the process grew by {} MiB during the attack",
            grown >> 20
        );
    }
}

/// A host with a bystander and hook `id` doing `behaviour` on every change; the order
/// whose creation was the attack.
fn hook_attack(id: &str, behaviour: &str) -> (Host, Bystander, Committed) {
    let host = host();
    let bystander = Bystander::before_the_attack(&host);
    install_hook(&host, id, &[], json!({ "behaviour": behaviour }));
    let created = bystander
        .attack(|| host.create_order(&scope(), new_order(&[1])))
        .unwrap();
    (host, bystander, created)
}

fn install_hook(host: &Host, id: &str, subscribe_to: &[&str], config: Value) {
    install(
        host,
        plugins::HOSTILE_HOOK,
        hook_manifest(id, subscribe_to, config),
    );
}

fn hook_runs(committed: &Committed) -> usize {
    let hooks = committed.trace.plugins.iter();
    hooks.filter(|p| p.kind == PluginKind::Hook).count()
}

#[test]
fn five_hooks_answering_every_change_stop_at_the_version_budget() {
    let _serial = serial();
    let host = host();
    let bystander = Bystander::before_the_attack(&host);
    for id in ["h1", "h2", "h3", "h4", "h5"] {
        install_hook(&host, id, &["attributes"], json!({"behaviour": "counter"}));
    }
    let created = bystander
        .attack(|| host.create_order(&scope(), new_order(&[1])))
        .unwrap();

    // 32 versions committed by hooks, then the 33rd patch is refused and nothing more runs.
    assert_eq!(created.version, 33);
    assert_eq!(hook_runs(&created), 33);
    assert_eq!(
        created.trace.errors,
        vec![TraceError::BudgetExceeded {
            budget: Budget::HookVersions,
            limit: 32
        }]
    );
    let last = created.trace.plugins.last().unwrap();
    assert_eq!(
        last.verdict,
        Verdict::PatchRefused {
            reason: "the patch was not committed: cascade stopped: the budget of versions \
                     committed by hooks (32) is spent"
                .into()
        }
    );
    let stored = host
        .order(&scope().tenant, &created.order.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 33, "what committed stays committed");
    bystander.still_served(&host);
}

#[test]
fn a_hook_answering_with_100_triggers_has_none_evaluated() {
    let _serial = serial();
    let (host, bystander, created) = hook_attack("noisy", "triggers:100");
    assert_eq!(
        created.trace.errors,
        vec![TraceError::TooManyTriggers {
            hook: "noisy".into(),
            count: 100,
            limit: 32
        }]
    );
    assert!(created.trace.notifications.is_empty());
    bystander.still_served(&host);
}

#[test]
fn one_mutation_compiles_at_most_16_new_schemas() {
    let _serial = serial();
    let (host, bystander, created) = hook_attack("schemas", "triggers:30");
    assert_eq!(
        created.trace.errors,
        vec![TraceError::BudgetExceeded {
            budget: Budget::SchemaCompiles,
            limit: 16
        }],
        "{}",
        serde_json::to_string(&created.trace).unwrap()
    );
    // The 16 triggers checked are evaluated on the creation: `"checkout"` has 8
    // characters, so the schemas `minLength` 0 to 8 match.
    let fired: Vec<&str> = created
        .trace
        .notifications
        .iter()
        .map(|n| n.reference.as_str())
        .collect();
    assert_eq!(
        fired,
        ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]
    );
    bystander.still_served(&host);
}

#[test]
fn a_hook_cannot_raise_triggers_for_another_adapter() {
    let _serial = serial();
    let host = host();
    let bystander = Bystander::before_the_attack(&host);
    host.set_adapter_configuration("norce", "psp", json!({"secret": "s3cret"}))
        .unwrap();
    let mut manifest = hook_manifest("marketing-hook", &[], json!({"behaviour": "steal:psp"}));
    manifest.adapter_id = Some("marketing".into());
    install(&host, plugins::HOSTILE_HOOK, manifest);

    let created = bystander
        .attack(|| host.create_order(&scope(), new_order(&[1])))
        .unwrap();
    assert_eq!(
        created.trace.errors,
        vec![TraceError::TriggerRefused {
            hook: "marketing-hook".into(),
            reference: "steal".into(),
            reason: "a hook of adapter `marketing` may raise triggers only for its own \
                     adapter, not for `psp`"
                .into()
        }]
    );
    let events = host
        .events()
        .list("norce", &Default::default(), 0, 100)
        .unwrap();
    assert_eq!(events.pagination.total_size, 0);
    bystander.still_served(&host);
}

#[test]
fn an_adapter_registers_notifications_only_for_itself() {
    let _serial = serial();
    let host = host();
    let id = create_order(&host, &scope(), &[1]);
    let as_marketing = scope().as_adapter("marketing");
    let notification = |adapter: Option<&str>| -> Notification {
        from(json!({
            "reference": "completed", "scope": "/state/currentStatus",
            "schema": {"const": "completed"}, "adapterId": adapter,
            "invoke": "https://marketing.example/{configuration.adapter.path}",
        }))
    };
    let err = host
        .mutate(
            &as_marketing,
            &id,
            Mutation::CreateNotification(notification(Some("psp"))),
        )
        .unwrap_err();
    let MutationError::Rejected { violations, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].code, "invalid-notification");
    assert_eq!(
        violations[0].message,
        "adapter `marketing` may register notifications only for itself, not for adapter `psp`"
    );

    let created = host
        .mutate(
            &as_marketing,
            &id,
            Mutation::CreateNotification(notification(None)),
        )
        .unwrap();
    let registered = created.order.notifications.last().unwrap();
    assert_eq!(registered.adapter_id.as_deref(), Some("marketing"));
}

#[test]
fn a_stale_expected_version_is_refused_and_changes_nothing() {
    let _serial = serial();
    let host = host();
    install(
        &host,
        plugins::MAX_QUANTITY,
        manifest("max-quantity", &["cart"], json!({"maxQuantity": 10})),
    );
    let id = create_order(&host, &scope(), &[1]);
    let first = host
        .mutate_at(&scope(), &id, 1, Mutation::SetCart(from(cart(&[2]))))
        .unwrap();
    assert_eq!(first.version, 2);
    assert_eq!(first.trace.plugins.len(), 1, "max-quantity ran");

    // A client that read version 1 writes back: refused, never retried on version 2.
    let err = host
        .mutate_at(&scope(), &id, 1, Mutation::SetCart(from(cart(&[3]))))
        .unwrap_err();
    assert!(
        matches!(
            err,
            MutationError::VersionMismatch {
                expected: 1,
                current: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "order is at version 2, not the expected version 1"
    );
    let stored = host.order(&scope().tenant, &id).unwrap().unwrap();
    assert_eq!(stored.version, 2);
    let items = stored.order.cart.as_ref().unwrap().items.as_ref().unwrap();
    assert_eq!(items[0].quantity, Some(2));

    // Creating names version 0: the order must not exist yet.
    let err = host
        .mutate_at(&scope(), &id, 0, Mutation::CreateOrder(new_order(&[1])))
        .unwrap_err();
    assert!(
        matches!(
            err,
            MutationError::VersionMismatch {
                expected: 0,
                current: 2
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_hook_installed_after_the_order_was_created_runs_on_it() {
    let _serial = serial();
    let host = host();
    let id = create_order(&host, &scope(), &[1]);
    let before = host.order(&scope().tenant, &id).unwrap().unwrap();
    assert!(before.order.hooks.is_empty());

    install(
        &host,
        plugins::FREE_SHIPPING,
        hook_manifest("free-shipping", &["cart"], json!({"threshold": 1.0})),
    );
    // The order shows the binding in force as soon as the hook is installed …
    let shown = host.order(&scope().tenant, &id).unwrap().unwrap();
    assert_eq!(
        serde_json::to_value(&shown.order.hooks).unwrap(),
        json!([{"id": "free-shipping", "subscribeTo": "cart", "invoke": "plugin:free-shipping"}])
    );
    // … and the hook runs on its next change.
    let committed = host
        .mutate(&scope(), &id, Mutation::SetCart(from(cart(&[2]))))
        .unwrap();
    assert_eq!(hook_runs(&committed), 1);
    assert_eq!(committed.order.hooks.len(), 1);
}

/// Creates an order with one payment and a hook `attacker` doing `behaviour` on every
/// later change; returns the order id and what the hook's run did on a cart change.
fn attack_with(host: &Host, behaviour: &str) -> (String, Committed) {
    attack_watched(host, behaviour, None)
}

/// [`attack_with`], timing the attack itself for `bystander`.
fn attack_watched(
    host: &Host,
    behaviour: &str,
    bystander: Option<&Bystander>,
) -> (String, Committed) {
    let id = create_order(host, &scope(), &[1]);
    let payment = json!({"id": "p_1", "name": "card", "type": "default", "amount": 250.0,
        "currency": "SEK", "state": "intent"});
    host.mutate(&scope(), &id, Mutation::UpsertPayment(from(payment)))
        .unwrap();
    install_hook(
        host,
        "attacker",
        &["cart"],
        json!({ "behaviour": behaviour }),
    );
    let attack = || host.mutate(&scope(), &id, Mutation::SetCart(from(cart(&[2]))));
    let committed = match bystander {
        Some(bystander) => bystander.attack(attack),
        None => attack(),
    };
    (id.clone(), committed.unwrap())
}

/// The reason the attacker's patch was refused.
fn refusal(committed: &Committed) -> String {
    let run = committed
        .trace
        .plugins
        .iter()
        .find(|p| p.plugin == "attacker")
        .expect("the attacker ran");
    match &run.verdict {
        Verdict::PatchRefused { reason } => reason.clone(),
        other => panic!("the attacker's patch was not refused: {other:?}"),
    }
}

#[test]
fn a_patch_nesting_the_order_deeper_than_64_levels_is_refused_before_it_is_built() {
    let _serial = serial();
    let host = host();
    let bystander = Bystander::before_the_attack(&host);
    let (id, committed) = attack_watched(&host, "deep:900", Some(&bystander));
    // `/attributes` is level 2 of the order, each `/d` one more: operation 63 would put an
    // object at level 65.
    assert_eq!(
        refusal(&committed),
        "operation 63 (add /attributes/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d\
         /d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d): the order \
         would nest deeper than 64 levels"
    );
    let stored = host.order(&scope().tenant, &id).unwrap().unwrap();
    assert_eq!(
        stored.order.attributes, None,
        "nothing of the patch was kept"
    );
    // The deepest order the host accepts goes through every recursive path on a small
    // stack: see tests/bounds.rs.
    bystander.still_served(&host);
}

#[test]
fn a_patch_copying_a_subtree_onto_itself_stops_at_the_size_bound() {
    let _serial = serial();
    let host = host();
    let bystander = Bystander::before_the_attack(&host);
    let (_, committed) = attack_watched(&host, "amplify", Some(&bystander));
    let reason = refusal(&committed);
    assert!(
        reason.ends_with("the order would exceed 1048576 bytes of JSON"),
        "{reason}"
    );
    assert!(reason.starts_with("operation 1"), "{reason}");
    bystander.still_served(&host);
}

#[test]
fn a_patch_cannot_do_what_a_mutation_may_not() {
    let _serial = serial();
    let refused = |behaviour: &str| refusal(&attack_with(&host(), behaviour).1);
    assert_eq!(
        refused("add-notification"),
        "operation 0 (add /notifications/-): /notifications/- is read-only"
    );
    assert_eq!(
        refused("rebind:free-shipping"),
        "operation 0 (add /hooks/-): /hooks/- is read-only"
    );
    assert_eq!(
        refused("payment-owner"),
        "operation 0 (replace /payments/0/merchant): /payments/0/merchant is read-only"
    );
    assert_eq!(
        refused("duplicate-payment"),
        "two payments share the id \"p_1\": /payments/0/id and /payments/1/id"
    );
}

#[test]
fn an_order_field_of_50_mib_is_refused() {
    let _serial = serial();
    let host = host();
    let bystander = Bystander::before_the_attack(&host);
    let reference = "x".repeat(50 << 20);
    // As JSON text (what a service parses), refused before serde reads it …
    let text = json!({ "currency": "SEK", "reference": reference }).to_string();
    let err = ordergate::model::from_json::<ordergate::model::NewOrder>(&text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "larger than the limit of 1048576 bytes of JSON"
    );
    // … and as a value an embedder built, refused by the mutation.
    let huge = ordergate::model::NewOrder {
        currency: Some("SEK".into()),
        reference: Some(reference),
        ..Default::default()
    };
    let err = bystander
        .attack(|| host.create_order(&scope(), huge))
        .unwrap_err();
    let MutationError::Rejected { violations, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].code, "order-too-large");
    assert_eq!(
        violations[0].message,
        "the order would be larger than the limit of 1048576 bytes of JSON"
    );
    bystander.still_served(&host);
}

#[test]
fn invoke_templates_and_the_urls_they_resolve_to_are_bounded() {
    let _serial = serial();
    let (host, bystander, created) = hook_attack("huge", "huge-invoke");
    assert_eq!(
        created.trace.errors,
        vec![TraceError::TriggerRefused {
            hook: "huge".into(),
            reference: "huge".into(),
            reason: "invoke is 500020 bytes long: a template may have at most 2048".into()
        }]
    );

    // A short template whose placeholders would expand the order's 100 kB reference a
    // hundred times: the event is recorded with the reason instead of a 10 MB URL.
    let id = created.order.id.clone();
    host.mutate(&scope(), &id, Mutation::DeleteHook { id: "huge".into() })
        .unwrap();
    let template = format!("https://example.com/{}", "{order.reference}".repeat(100));
    let notification: Notification = from(json!({
        "reference": "ref", "scope": "/reference", "schema": {"type": "string"},
        "invoke": template,
    }));
    host.mutate(&scope(), &id, Mutation::CreateNotification(notification))
        .unwrap();
    let committed = host
        .mutate(&scope(), &id, Mutation::SetReference("r".repeat(100_000)))
        .unwrap();
    let event_id = &committed.trace.notifications[0].event_id;
    let event = host.events().get("norce", event_id).unwrap().unwrap();
    assert_eq!(event.invoke, None);
    assert_eq!(
        event.error.as_deref(),
        Some("the resolved URL would be longer than 8192 bytes")
    );
    bystander.still_served(&host);
}
