//! A newcomer's first run: the example plugins installed into an embedded host, and one
//! order driven from `checkout` to `completed` through cart, customer, payment and state
//! changes, printing what every plugin did.
//!
//! ```sh
//! cargo run -p ordergate --example walkthrough
//! ```
//!
//! Its output is checked by `host/tests/walkthrough.rs`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ordergate::clock::SequentialIds;
use ordergate::events::EventFilter;
use ordergate::model::{self, OrderStatus};
use ordergate::mutation::Mutation;
use ordergate::{Host, MutationError, PluginKind, PluginManifest, Scope};
use ordergate::{Trace, Verdict};
use ordergate_test_support as plugins;
use serde_json::json;

#[allow(dead_code)]
fn main() -> anyhow::Result<()> {
    let mut out = String::new();
    run(&mut out)?;
    print!("{out}");
    Ok(())
}

/// Runs the walkthrough, writing its transcript to `out`.
pub fn run(out: &mut String) -> anyhow::Result<()> {
    let host = Host::builder()
        .ids(Arc::new(SequentialIds::default()))
        .build()?;
    let scope = Scope::new("norce", "b2c");

    writeln!(out, "# Installing plugins for merchant norce, channel b2c")?;
    let installs = [
        (
            plugins::MAX_QUANTITY,
            "max-quantity",
            PluginKind::Validation,
            vec!["cart"],
            json!({"maxQuantity": 10}),
            None,
        ),
        (
            plugins::ORGANIZATION_NUMBER,
            "organization-number",
            PluginKind::Validation,
            vec!["customer"],
            json!({}),
            None,
        ),
        (
            plugins::PAYMENT_COVERAGE,
            "payment-coverage",
            PluginKind::Validation,
            vec!["state"],
            json!({}),
            None,
        ),
        (
            plugins::THREE_FOR_TWO,
            "three-for-two",
            PluginKind::Hook,
            vec!["cart"],
            json!({}),
            None,
        ),
        (
            plugins::FREE_SHIPPING,
            "free-shipping",
            PluginKind::Hook,
            vec!["cart"],
            json!({"threshold": 500.0}),
            None,
        ),
        (
            plugins::PAYMENT_ADAPTER,
            "klarna-sync",
            PluginKind::Hook,
            vec!["customer"],
            json!({}),
            Some("klarna-checkout"),
        ),
        (
            plugins::NOTIFY_COMPLETED,
            "notify-completed",
            PluginKind::Hook,
            vec!["state"],
            json!({}),
            Some("erp-adapter"),
        ),
    ];
    for (path, id, kind, subscribe_to, config, adapter) in installs {
        let mut manifest = PluginManifest::new(id, kind);
        manifest.subscribe_to = subscribe_to.into_iter().map(String::from).collect();
        manifest.config = config;
        manifest.adapter_id = adapter.map(String::from);
        let report = host
            .registry()
            .install(&scope.tenant, manifest, &plugins::read(path))?;
        writeln!(
            out,
            "  {id:<20} {kind:<10} {:>7} bytes, {:?} in {}",
            report.size_bytes,
            report.source,
            time(report.load_time),
            kind = format!("{kind:?}").to_lowercase(),
        )?;
    }
    host.set_adapter_configuration(
        "norce",
        "erp-adapter",
        json!({"internalUrl": "https://erp.example"}),
    )?;

    let mut step = Steps { out, n: 0 };
    let new_order = model::from_value(json!({
        "currency": "SEK", "country": "SE", "culture": "sv-SE",
        "cart": cart(&[(1, 200.0)]),
    }))?;
    let created = step.run("create an order with one T-shirt", || {
        host.create_order(&scope, new_order)
    })?;
    let id = created.expect("the order is created").order.id.clone();
    let mutate = |mutation: Mutation| host.mutate(&scope, &id, mutation);

    let shipping = Mutation::UpsertShipping(model::from_value(json!({
        "id": "s_postnord", "name": "Postnord Varubrev", "state": "intent",
        "total": {"includingVat": 49.0, "excludingVat": 39.2},
    }))?);
    step.run("add a Postnord shipping, 49 SEK", || mutate(shipping))?;
    let too_many = Mutation::SetCart(model::from_value(cart(&[(12, 200.0)]))?);
    step.run("set the cart to 12 T-shirts", || mutate(too_many))?;
    let bundle = Mutation::SetCart(model::from_value(cart(&[(3, 200.0), (1, 100.0)]))?);
    step.run("set the cart to 3 T-shirts and a cap", || mutate(bundle))?;
    let payment = Mutation::UpsertPayment(model::from_value(json!({
        "adapterId": "klarna-checkout", "name": "Klarna", "type": "default",
        "amount": 500.0, "state": "intent",
    }))?);
    step.run("add a Klarna payment of 500 SEK", || mutate(payment))?;
    let mut billing = json!({
        "type": "organization", "organizationName": "Storm AB", "givenName": "Rosalinainho",
        "streetAddress": "Adaptivevägen 18", "postalCode": "955 60", "city": "Boden",
        "country": "SE", "email": "rosalinainho@example.com",
    });
    let without_number = Mutation::SetBillingAddress(model::from_value(billing.clone())?);
    step.run(
        "set an organization's billing address without its number",
        || mutate(without_number),
    )?;
    billing["organizationIdentificationNumber"] = json!("212000-1355");
    let with_number = Mutation::SetBillingAddress(model::from_value(billing)?);
    step.run("set it again with the organization number", || {
        mutate(with_number)
    })?;
    for status in [
        OrderStatus::Processing,
        OrderStatus::Accepted,
        OrderStatus::Completed,
    ] {
        step.run(&format!("move the order to {status}"), || {
            mutate(Mutation::SetState(status))
        })?;
    }

    let out = step.out;
    let stored = host.order(&scope.tenant, &id)?.expect("the order exists");
    writeln!(out, "\n# The order, version {}", stored.version)?;
    let order = &stored.order;
    let cart = order.cart.as_ref().expect("a cart");
    let total = cart
        .total
        .as_ref()
        .and_then(|t| t.including_vat)
        .unwrap_or_default();
    let statuses: Vec<_> = order
        .state
        .transitions
        .iter()
        .map(|t| t.status.as_str())
        .collect();
    writeln!(
        out,
        "  status {}, transitions {}",
        order.state.current_status,
        statuses.join(" → ")
    )?;
    writeln!(
        out,
        "  cart total {total:.2} SEK after {} discount(s)",
        cart.discounts.as_ref().map_or(0, Vec::len)
    )?;
    let shipping = order.shippings[0]
        .total
        .as_ref()
        .and_then(|t| t.including_vat)
        .unwrap_or_default();
    writeln!(out, "  shipping {shipping:.2} SEK")?;
    writeln!(
        out,
        "  payment attributes {}",
        serde_json::to_string(&order.payments[0].attributes)?
    )?;

    writeln!(out, "\n# Notification events")?;
    for event in host
        .events()
        .list("norce", &EventFilter::default(), 0, 10)?
        .data
    {
        writeln!(
            out,
            "  {} {} ({:?}) → {}",
            event.id,
            event.reference,
            event.status,
            event
                .invoke
                .as_deref()
                .or(event.error.as_deref())
                .unwrap_or("-")
        )?;
    }
    Ok(())
}

fn cart(lines: &[(i64, f64)]) -> serde_json::Value {
    let items: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, (quantity, price))| {
            let name = ["T-shirt", "Cap"][i % 2];
            json!({
                "id": format!("ci_{i}"), "sku": format!("TS-{i:03}"), "name": name,
                "quantity": quantity, "price": {"includingVat": price, "excludingVat": price * 0.8},
                "total": {"includingVat": price * *quantity as f64, "excludingVat": price * 0.8 * *quantity as f64},
                "vatRate": 0.25,
            })
        })
        .collect();
    let total: f64 = lines.iter().map(|(q, p)| p * *q as f64).sum();
    json!({"items": items, "total": {"includingVat": total, "excludingVat": total * 0.8}})
}

/// Prints each step: its outcome, and what every plugin did, with times.
struct Steps<'a> {
    out: &'a mut String,
    n: usize,
}

impl Steps<'_> {
    fn run(
        &mut self,
        what: &str,
        step: impl FnOnce() -> Result<ordergate::Committed, MutationError>,
    ) -> anyhow::Result<Option<ordergate::Committed>> {
        self.n += 1;
        let start = Instant::now();
        let result = step();
        let elapsed = time(start.elapsed());
        let out = &mut *self.out;
        match result {
            Ok(committed) => {
                writeln!(
                    out,
                    "\n{}. {what}: committed version {} ({elapsed})",
                    self.n, committed.version
                )?;
                trace(out, &committed.trace)?;
                Ok(Some(committed))
            }
            Err(MutationError::Rejected {
                violations,
                trace: t,
            }) => {
                writeln!(out, "\n{}. {what}: REJECTED ({elapsed})", self.n)?;
                for v in &violations {
                    writeln!(out, "   ✗ {} at {}: {}", v.plugin, v.path, v.message)?;
                }
                trace(out, &t)?;
                Ok(None)
            }
            Err(other) => Err(other.into()),
        }
    }
}

fn trace(out: &mut String, trace: &Trace) -> anyhow::Result<()> {
    for p in &trace.plugins {
        let verdict = match &p.verdict {
            Verdict::Accepted => "accepted".to_owned(),
            Verdict::Rejected { violations } => format!("rejected ({violations})"),
            Verdict::Patched {
                operations,
                version,
            } => format!("patched {operations} operation(s) → version {version}"),
            Verdict::Unchanged => "no change".to_owned(),
            Verdict::PatchRefused { reason } => format!("patch refused: {reason}"),
            Verdict::HookFailed { message } => format!("failed: {message}"),
            Verdict::Faulted { fault, .. } => format!("faulted: {fault}"),
        };
        let kind = format!("{:?}", p.kind).to_lowercase();
        writeln!(
            out,
            "   {kind:<10} {:<20} depth {} {verdict} (fuel {}, {})",
            p.plugin,
            p.depth,
            p.fuel_consumed,
            time(p.duration)
        )?;
    }
    for n in &trace.notifications {
        writeln!(
            out,
            "   notification {} from {} fired: event {}",
            n.reference, n.source, n.event_id
        )?;
    }
    for e in &trace.errors {
        writeln!(out, "   ! {e}")?;
    }
    Ok(())
}

fn time(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{} µs", d.as_micros())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}
