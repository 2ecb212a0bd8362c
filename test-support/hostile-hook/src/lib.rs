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
            other => match other.strip_prefix("status:") {
                Some(status) => {
                    Outcome::patch(vec![Operation::replace("/state/currentStatus", &status)])
                }
                None => return Err(format!("unknown behaviour {other:?}")),
            },
        };
        Ok(outcome)
    }
}

ordergate_guest::export_hook!(HostileHook);
