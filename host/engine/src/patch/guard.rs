//! What a hook's patch may not write, from the order's shape description
//! ([`crate::model::shape`]); the rules are in the module docs of [`super`].

use std::borrow::Cow;
use std::str::FromStr;

use jsonptr::index::Index;
use jsonptr::{Pointer, Token};
use serde_json::Value;

use super::{PatchOperation, PatchRefusal, json_equal, label};
use crate::model::Order;
use crate::model::shape::{self, Access};

/// The read-only rules over one patch: per operation, then over the result.
pub(super) struct Guard {
    /// For each host-owned location ([`shape::host_owned`]), the last operation that wrote
    /// above it.
    above: Vec<Option<usize>>,
}

impl Guard {
    pub(super) fn new() -> Self {
        Self {
            above: vec![None; shape::host_owned().len()],
        }
    }

    /// Refuses `op` if it writes a read-only location of `doc` as it is just before `op`.
    pub(super) fn check(
        &mut self,
        doc: &Value,
        index: usize,
        op: &PatchOperation,
    ) -> Result<(), PatchRefusal> {
        match op {
            // `test` only reads.
            PatchOperation::Test(_) => Ok(()),
            // A move removes its source: both ends are written. (A copy's `from` is read.)
            PatchOperation::Move(m) => {
                self.write(doc, index, op, &m.path)?;
                self.write(doc, index, op, &m.from)
            }
            _ => self.write(doc, index, op, op.path()),
        }
    }

    /// Refuses a write at `ptr` at or under a read-only location; records writes above
    /// host-owned ones.
    fn write(
        &mut self,
        doc: &Value,
        index: usize,
        op: &PatchOperation,
        ptr: &Pointer,
    ) -> Result<(), PatchRefusal> {
        for (loc, writer) in shape::host_owned().iter().zip(self.above.iter_mut()) {
            if loc.starts_with(ptr) && loc.as_ptr() != ptr {
                *writer = Some(index);
            }
        }
        // Decoded (`~1` is `/`), so `/a~1b` and the key `a/b` compare equal.
        let raw: Vec<Token<'_>> = ptr.tokens().collect();
        let tokens: Vec<Cow<'_, str>> = raw.iter().map(Token::decoded).collect();
        let read_only = match shape::protected(tokens.iter().map(AsRef::as_ref)) {
            Some((_, Access::Host)) => true,
            // Protected while the entity (the tokens before the field) exists.
            Some((len, Access::Entity | Access::Stamped(_))) => {
                lookup(doc, &tokens[..len - 1]).is_some()
            }
            Some((_, Access::Open)) | None => false,
        };
        if read_only {
            return Err(PatchRefusal::ReadOnly {
                index,
                op: label(op),
                path: ptr.to_string(),
            });
        }
        Ok(())
    }

    /// After the whole patch: each host-owned location some operation wrote above holds
    /// what it held in `order` (a missing array equals an empty one, as the model parses
    /// it), and host-stamped fields of new entities hold the order's values.
    pub(super) fn finish(
        &self,
        doc: &Value,
        order: &Order,
        ops: &[PatchOperation],
    ) -> Result<(), PatchRefusal> {
        // Serialized again only in the rare case of a write above a host-owned location
        // (replacing the whole order or `/state`), and then only the members holding them.
        let original = if self.above.iter().any(Option::is_some) {
            // Only the members holding host-owned locations are compared.
            let owned = |key: &str| {
                shape::host_owned()
                    .iter()
                    .any(|loc| loc.tokens().next().is_some_and(|t| t.decoded() == key))
            };
            let members = crate::model::parts::members(order, owned).map(Value::Object);
            Some(
                members
                    .or_else(|_| serde_json::to_value(order))
                    .map_err(|e| {
                        PatchRefusal::InvalidOrder(crate::model::ModelError {
                            path: String::new(),
                            message: e.to_string(),
                            bounds: None,
                        })
                    })?,
            )
        } else {
            None
        };
        for (loc, writer) in shape::host_owned().iter().zip(&self.above) {
            let Some(index) = *writer else { continue };
            let before = original.as_ref().and_then(|o| o.pointer(loc.as_str()));
            if !same(doc.pointer(loc.as_str()), before) {
                return Err(PatchRefusal::ReadOnly {
                    index,
                    op: label(&ops[index]),
                    path: loc.to_string(),
                });
            }
        }
        if let Some(at) = shape::stamp_mismatch(doc) {
            let index = blame(ops, &at);
            return Err(PatchRefusal::ReadOnly {
                index,
                op: label(&ops[index]),
                path: at.to_string(),
            });
        }
        Ok(())
    }
}

/// Whether a host-owned location holds the same value before and after.
fn same(after: Option<&Value>, before: Option<&Value>) -> bool {
    let empty = |v: Option<&Value>| v.is_none_or(|v| v.as_array().is_some_and(Vec::is_empty));
    match (after, before) {
        (Some(a), Some(b)) => json_equal(a, b),
        _ => empty(after) && empty(before),
    }
}

/// The last operation that wrote at or above `at` (an index token `-` matches any index),
/// or the last that wrote at all: the one a refusal of the result blames.
fn blame(ops: &[PatchOperation], at: &Pointer) -> usize {
    let writes = |op: &PatchOperation| !matches!(op, PatchOperation::Test(_));
    let covers = |op: &PatchOperation| {
        let mut target = at.tokens();
        op.path().tokens().all(|written| {
            target
                .next()
                .is_some_and(|t| written == t || written.encoded() == "-")
        })
    };
    (ops.iter().rposition(|op| writes(op) && covers(op)))
        .or_else(|| ops.iter().rposition(writes))
        .unwrap_or(0)
}

/// The value at decoded `tokens`, by RFC 6901 rules (no leading zeros, no `-`).
fn lookup<'v>(doc: &'v Value, tokens: &[Cow<'_, str>]) -> Option<&'v Value> {
    tokens.iter().try_fold(doc, |value, token| match value {
        Value::Object(map) => map.get(token.as_ref()),
        Value::Array(items) => match Index::from_str(token).ok()? {
            Index::Num(i) => items.get(i),
            Index::Next => None,
        },
        _ => None,
    })
}
