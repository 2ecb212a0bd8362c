//! What a call hands a plugin and what the host makes of its answer, in the host's own
//! types: the generated WIT bindings stay inside the sandbox.
//!
//! The conversions to the WIT records are here rather than in [`crate::wit`] so the
//! sandbox depends on the bindings and never the reverse; the answer is checked here too,
//! so a caller receives model types it can trust (a violation path is a JSON Pointer, a
//! patch is an RFC 6902 patch or says why it is not).

use crate::model::{self, OrderStatus};
use crate::violation::Violation;
use crate::wit::{self, hook as wh, types as w};

use super::Fault;

/// Who is asking: the tenant, the plugin and its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallContext<'a> {
    /// The merchant (`x-merchant`).
    pub merchant: &'a str,
    /// The channel (`x-channel`).
    pub channel: &'a str,
    /// The plugin's id; violations are attributed to it.
    pub plugin_id: &'a str,
    /// The adapter the plugin was installed for, if any.
    pub adapter_id: Option<&'a str>,
    /// The adapter that made the change (`x-adapterid`), if any.
    pub acting_adapter_id: Option<&'a str>,
    /// The plugin's configuration as JSON text (`{}` when none).
    pub configuration: &'a str,
}

/// What the mutation or the committed change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeSummary<'a> {
    /// JSON Pointers of the parts touched (`""` for a creation: the whole order).
    pub touched: &'a [String],
    /// The status before the change.
    pub from_status: Option<OrderStatus>,
    /// The status after it, when the change moved the state.
    pub to_status: Option<OrderStatus>,
}

/// A hook's answer, converted to the model and checked part by part, so the pipeline can
/// record each refusal with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct HookAnswer {
    /// The operations as RFC 6902 operations, or why they are not a valid patch.
    pub patch: Result<Vec<json_patch::PatchOperation>, String>,
    /// Each trigger as a model `Notification`, or why it is malformed, with its reference.
    pub triggers: Vec<(String, Result<model::Notification, String>)>,
}

impl CallContext<'_> {
    pub(super) fn to_wit(self) -> w::Context {
        w::Context {
            merchant: self.merchant.to_owned(),
            channel: self.channel.to_owned(),
            plugin_id: self.plugin_id.to_owned(),
            adapter_id: self.adapter_id.map(str::to_owned),
            acting_adapter_id: self.acting_adapter_id.map(str::to_owned),
            configuration: self.configuration.to_owned(),
        }
    }
}

impl ChangeSummary<'_> {
    pub(super) fn to_wit(self) -> w::Change {
        w::Change {
            touched: self.touched.to_vec(),
            from_status: self.from_status.map(wit::status),
            to_status: self.to_status.map(wit::status),
        }
    }
}

/// A validation's violations, checked against the contract (each path must be a JSON
/// Pointer) and attributed to the plugin.
pub(super) fn violations(plugin: &str, found: Vec<w::Violation>) -> Result<Vec<Violation>, Fault> {
    found
        .into_iter()
        .map(|v| {
            if jsonptr::Pointer::parse(&v.path).is_err() {
                return Err(Fault::InvalidOutput {
                    reason: format!("violation path `{}` is not a JSON Pointer", v.path),
                });
            }
            Ok(Violation {
                plugin: plugin.to_owned(),
                path: v.path,
                code: v.code,
                message: v.message,
            })
        })
        .collect()
}

/// What [`super::Limits::max_result_bytes`] counts of a validation's answer.
pub(super) fn violation_bytes(answer: &Result<(), Vec<w::Violation>>) -> usize {
    match answer {
        Ok(()) => 0,
        Err(violations) => violations
            .iter()
            .map(|v| 64 + v.path.len() + v.code.len() + v.message.len())
            .sum(),
    }
}

/// What [`super::Limits::max_result_bytes`] counts of a hook's answer.
pub(super) fn outcome_bytes(answer: &Result<wh::Outcome, String>) -> usize {
    let outcome = match answer {
        Err(message) => return message.len(),
        Ok(outcome) => outcome,
    };
    let ops: usize = outcome
        .operations
        .iter()
        .map(|op| {
            64 + op.path.len()
                + op.from.as_ref().map_or(0, String::len)
                + op.value.as_ref().map_or(0, String::len)
        })
        .sum();
    let triggers: usize = outcome
        .triggers
        .iter()
        .map(|t| {
            64 + t.reference.len()
                + t.scope.len()
                + t.schema.len()
                + t.description.as_ref().map_or(0, String::len)
                + t.invoke.as_ref().map_or(0, String::len)
        })
        .sum();
    ops + triggers
}

/// A hook's outcome in model types.
pub(super) fn hook_answer(outcome: wh::Outcome) -> HookAnswer {
    HookAnswer {
        patch: patch_operations(&outcome.operations),
        triggers: outcome
            .triggers
            .iter()
            .map(|t| (t.reference.clone(), trigger_notification(t)))
            .collect(),
    }
}

/// A hook's operations as JSON Patch operations. The first one that is not a valid RFC
/// 6902 operation (a value that is not JSON text, a missing `from`, a bad pointer) makes
/// the whole patch invalid.
fn patch_operations(ops: &[wh::Operation]) -> Result<Vec<json_patch::PatchOperation>, String> {
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let mut json = serde_json::Map::new();
            let kind = match op.op {
                wh::OpKind::Add => "add",
                wh::OpKind::Remove => "remove",
                wh::OpKind::Replace => "replace",
                wh::OpKind::Move => "move",
                wh::OpKind::Copy => "copy",
                wh::OpKind::Test => "test",
            };
            json.insert("op".into(), kind.into());
            json.insert("path".into(), op.path.clone().into());
            if let Some(from) = &op.from {
                json.insert("from".into(), from.clone().into());
            }
            if let Some(value) = &op.value {
                // Bounded parsing: a value nested past the order's depth is refused before
                // serde recurses into it.
                let value: serde_json::Value = model::from_json(value).map_err(|e| {
                    format!("operation {i} ({kind} {}): value is not JSON: {e}", op.path)
                })?;
                json.insert("value".into(), value);
            }
            serde_json::from_value(json.into())
                .map_err(|e| format!("operation {i} ({kind} {}): {e}", op.path))
        })
        .collect()
}

/// A hook's trigger as the notification it asks the host to evaluate.
fn trigger_notification(t: &wh::Trigger) -> Result<model::Notification, String> {
    let schema = model::from_json(&t.schema).map_err(|e| format!("schema is not JSON: {e}"))?;
    Ok(model::Notification {
        id: None,
        adapter_id: t.adapter_id.clone(),
        reference: Some(t.reference.clone()),
        description: t.description.clone(),
        scope: Some(t.scope.clone()),
        schema: Some(schema),
        invoke: t.invoke.clone(),
        version: None,
        delay: t.delay,
    })
}
