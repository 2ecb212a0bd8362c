//! Building a hook's answer: JSON Patch (RFC 6902) operations and notification triggers
//! (feature `hook`).
//!
//! The WIT records carry values as JSON text, because WIT has no dynamic value type. These
//! constructors take any [`Serialize`] value and write the text, so a plugin never formats
//! JSON by hand:
//!
//! ```no_run
//! # use ordergate_guest::{Money, Operation, Outcome};
//! let path = "/shippings/0/total";
//! let outcome = Outcome::patch(vec![
//!     // Fails the whole patch if someone changed the fee since the hook read it.
//!     Operation::test(path, &Money::new(49.0, 39.2)),
//!     Operation::replace(path, &Money::new(0.0, 0.0)),
//! ]);
//! ```

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::{Money, OpKind, Operation, Outcome, Trigger};

/// `value` as JSON text.
///
/// # Panics
///
/// If `value` has no JSON form (a map with non-string keys, or a `Serialize` impl that
/// fails). That is a bug in the plugin, and a panic traps it, which the host reports as a
/// fault of the plugin: no part of its answer is applied.
fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("a patch value must serialize to JSON")
}

impl Operation {
    fn with_value(op: OpKind, path: impl Into<String>, value: &impl Serialize) -> Self {
        Operation {
            op,
            path: path.into(),
            from: None,
            value: Some(json_text(value)),
        }
    }

    fn with_from(op: OpKind, from: impl Into<String>, path: impl Into<String>) -> Self {
        Operation {
            op,
            path: path.into(),
            from: Some(from.into()),
            value: None,
        }
    }

    /// `add`: sets the member `path` of an object (creating or replacing it), or inserts
    /// into an array before the index (`-` appends).
    ///
    /// # Panics
    ///
    /// If `value` has no JSON form (see the module documentation).
    pub fn add(path: impl Into<String>, value: &impl Serialize) -> Self {
        Self::with_value(OpKind::Add, path, value)
    }

    /// `replace`: replaces the value at `path`, which must exist.
    ///
    /// # Panics
    ///
    /// If `value` has no JSON form.
    pub fn replace(path: impl Into<String>, value: &impl Serialize) -> Self {
        Self::with_value(OpKind::Replace, path, value)
    }

    /// `test`: the whole patch fails unless the value at `path` equals `value`. Put one
    /// before a change computed from a value the hook read, so a concurrent change makes
    /// the patch fail instead of being overwritten.
    ///
    /// # Panics
    ///
    /// If `value` has no JSON form.
    pub fn test(path: impl Into<String>, value: &impl Serialize) -> Self {
        Self::with_value(OpKind::Test, path, value)
    }

    /// `remove`: removes the value at `path`, which must exist.
    pub fn remove(path: impl Into<String>) -> Self {
        Operation {
            op: OpKind::Remove,
            path: path.into(),
            from: None,
            value: None,
        }
    }

    /// `move`: removes the value at `from` and adds it at `path`.
    pub fn move_from(from: impl Into<String>, path: impl Into<String>) -> Self {
        Self::with_from(OpKind::Move, from, path)
    }

    /// `copy`: adds a copy of the value at `from` at `path`.
    pub fn copy_from(from: impl Into<String>, path: impl Into<String>) -> Self {
        Self::with_from(OpKind::Copy, from, path)
    }

    /// The operation's value parsed from its JSON text; `None` when it has none or the
    /// text is not JSON. Handy in unit tests, where comparing parsed values ignores how the
    /// text happens to be formatted.
    pub fn value_json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.value.as_deref()?).ok()
    }
}

impl Trigger {
    /// A trigger that fires when the value at `scope` (a JSON Pointer into the order)
    /// changed and now matches `schema` (a JSON Schema, draft 2020-12), e.g.
    /// `Trigger::new("export", "/state/currentStatus", json!({"const": "completed"}))`.
    ///
    /// Everything else is unset: chain the `with_…` methods or set the fields.
    pub fn new(
        reference: impl Into<String>,
        scope: impl Into<String>,
        schema: serde_json::Value,
    ) -> Self {
        Trigger {
            reference: reference.into(),
            description: None,
            adapter_id: None,
            scope: scope.into(),
            // Serializing a `Value` cannot fail: its map keys are strings.
            schema: schema.to_string(),
            invoke: None,
            delay: None,
        }
    }

    /// Sets the human-readable description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the adapter the notification belongs to.
    pub fn with_adapter_id(mut self, adapter_id: impl Into<String>) -> Self {
        self.adapter_id = Some(adapter_id.into());
        self
    }

    /// Sets the URL (template) the host calls when the trigger fires.
    pub fn with_invoke(mut self, invoke: impl Into<String>) -> Self {
        self.invoke = Some(invoke.into());
        self
    }

    /// Sets the delay before the call, in seconds.
    pub fn with_delay(mut self, delay: i32) -> Self {
        self.delay = Some(delay);
        self
    }
}

impl Outcome {
    /// Only patch operations, no triggers.
    pub fn patch(operations: Vec<Operation>) -> Self {
        Outcome {
            operations,
            triggers: Vec::new(),
        }
    }

    /// Only triggers, no patch.
    pub fn triggers(triggers: Vec<Trigger>) -> Self {
        Outcome {
            operations: Vec::new(),
            triggers,
        }
    }
}

/// Nothing to change, nothing to watch.
impl Default for Outcome {
    fn default() -> Self {
        Outcome::patch(Vec::new())
    }
}

/// A money value as the order JSON spells it, `{"includingVat":…,"excludingVat":…}`, so
/// it can be a patch value as is.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut money = serializer.serialize_struct("Money", 2)?;
        money.serialize_field("includingVat", &self.including_vat)?;
        money.serialize_field("excludingVat", &self.excluding_vat)?;
        money.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_carry_json_text() {
        let op = Operation::replace("/cart/total", &Money::new(10.0, 8.0));
        assert_eq!(op.op, OpKind::Replace);
        assert_eq!(op.path, "/cart/total");
        assert_eq!(op.from, None);
        assert_eq!(
            op.value.as_deref(),
            Some(r#"{"includingVat":10.0,"excludingVat":8.0}"#)
        );
        assert_eq!(
            op.value_json(),
            Some(json!({"includingVat": 10.0, "excludingVat": 8.0}))
        );

        let op = Operation::add("/cart/discounts/-", &json!({"code": "x"}));
        assert_eq!(op.op, OpKind::Add);
        assert_eq!(op.value_json(), Some(json!({"code": "x"})));

        let op = Operation::remove("/attributes");
        assert_eq!((op.op, op.value, op.from), (OpKind::Remove, None, None));

        let op = Operation::move_from("/a", "/b");
        assert_eq!(op.op, OpKind::Move);
        assert_eq!((op.from.as_deref(), op.path.as_str()), (Some("/a"), "/b"));
    }

    #[test]
    fn triggers_build_up() {
        let trigger = Trigger::new("r", "/state/currentStatus", json!({"const": "completed"}))
            .with_description("d")
            .with_adapter_id("a")
            .with_invoke("https://example.com")
            .with_delay(5);
        assert_eq!(trigger.reference, "r");
        assert_eq!(trigger.scope, "/state/currentStatus");
        assert_eq!(trigger.schema, r#"{"const":"completed"}"#);
        assert_eq!(trigger.description.as_deref(), Some("d"));
        assert_eq!(trigger.adapter_id.as_deref(), Some("a"));
        assert_eq!(trigger.invoke.as_deref(), Some("https://example.com"));
        assert_eq!(trigger.delay, Some(5));
    }
}
