//! Example hook plugin: have the order exported when it reaches `completed`.
//!
//! Configuration (optional): `{"invoke": "https://erp.example.com/orders/{order.id}"}`, the
//! URL the host calls; by default the adapter's own completed-callback.
//!
//! The hook patches nothing. It answers every call with the same trigger, and the host
//! decides whether it fires: a trigger fires only when the change moved the value at its
//! `scope` to one its `schema` accepts. Keeping that decision in the host means the plugin
//! needs no memory of earlier calls, and the condition is visible in the run report.

use ordergate_guest::{Change, Context, Hook, Order, Outcome, Trigger};
use serde::Deserialize;
use serde_json::json;

/// The trigger's reference; stable, so the host and the merchant can tell its runs apart.
pub const REFERENCE: &str = "export-on-completed";

/// The URL template the host calls by default. The placeholders are the host's to fill in
/// (the adapter's internal URL and the order id), which is why they stay unexpanded here.
pub const DEFAULT_INVOKE: &str =
    "{configuration.adapter.internalUrl}/api/v1/callbacks/orders/{order.id}/completed";

/// The merchant's configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The URL (template) to call when the order is completed.
    #[serde(default = "default_invoke")]
    pub invoke: String,
}

fn default_invoke() -> String {
    DEFAULT_INVOKE.to_string()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            invoke: default_invoke(),
        }
    }
}

/// The plugin; all its state is in the call's arguments.
pub struct NotifyCompleted;

impl Hook for NotifyCompleted {
    // Reads nothing of the order: whether it reached `completed` is the host's to decide
    // (see the module documentation).
    type Config = Config;

    fn handle(
        config: &Config,
        ctx: Context,
        _order: &Order,
        _change: Change,
    ) -> Result<Outcome, String> {
        Ok(notify_completed(&ctx, config))
    }
}

ordergate_guest::export_hook!(NotifyCompleted);

/// The rule itself, over the call's context, so it can be unit-tested natively.
pub fn notify_completed(ctx: &Context, config: &Config) -> Outcome {
    let mut trigger = Trigger::new(
        REFERENCE,
        "/state/currentStatus",
        json!({"const": "completed"}),
    )
    .with_description("Export the order when it reaches completed")
    .with_invoke(&config.invoke)
    // Right away: the export should not wait, and a completed order does not change back.
    .with_delay(0);
    // The notification belongs to the adapter the plugin was installed for, if any.
    trigger.adapter_id = ctx.adapter_id.clone();
    Outcome::triggers(vec![trigger])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_answers_the_same_trigger() {
        let ctx = Context {
            adapter_id: Some("erp-adapter".into()),
            ..Context::default()
        };
        let outcome = notify_completed(&ctx, &ctx.hook_config::<Config>().unwrap());
        assert!(outcome.operations.is_empty());
        assert_eq!(outcome.triggers.len(), 1);
        let trigger = &outcome.triggers[0];
        assert_eq!(trigger.reference, "export-on-completed");
        assert_eq!(
            trigger.description.as_deref(),
            Some("Export the order when it reaches completed")
        );
        assert_eq!(trigger.adapter_id.as_deref(), Some("erp-adapter"));
        assert_eq!(trigger.scope, "/state/currentStatus");
        let schema: serde_json::Value = serde_json::from_str(&trigger.schema).unwrap();
        assert_eq!(schema, json!({"const": "completed"}));
        assert_eq!(
            trigger.invoke.as_deref(),
            Some(
                "{configuration.adapter.internalUrl}/api/v1/callbacks/orders/{order.id}/completed"
            )
        );
        assert_eq!(trigger.delay, Some(0));
    }

    #[test]
    fn invoke_is_configurable() {
        let ctx = Context {
            configuration: r#"{"invoke": "https://erp.example.com/{order.id}"}"#.into(),
            ..Context::default()
        };
        let outcome = notify_completed(&ctx, &ctx.hook_config::<Config>().unwrap());
        let trigger = &outcome.triggers[0];
        assert_eq!(
            trigger.invoke.as_deref(),
            Some("https://erp.example.com/{order.id}")
        );
        assert_eq!(trigger.adapter_id, None);
    }

    #[test]
    fn a_bad_configuration_is_an_error() {
        let ctx = Context {
            configuration: r#"{"invoke": 3}"#.into(),
            ..Context::default()
        };
        let error = ctx.hook_config::<Config>().unwrap_err();
        assert!(error.starts_with("invalid configuration: "), "{error}");
    }
}
