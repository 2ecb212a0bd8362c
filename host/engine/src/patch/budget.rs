//! Keeps a patched order within its [`OrderLimits`] at every step, deciding before an
//! operation is applied: a hook's few kB of `copy` operations could otherwise build tens
//! of MiB, and its shallow `add`s a document deep enough to overflow the stack, before any
//! check of the result runs.
//!
//! The size is a running upper bound of the document's compact JSON size: it starts
//! exact, each operation adds what it writes (value and, generously, its key and a comma)
//! and subtracts the value it drops. Sizes and depths are measured iteratively
//! ([`bounds::measure`]), stopping as soon as the operation would pass a limit.

use jsonptr::Pointer;
use serde_json::Value;

use super::{PatchOperation, PatchRefusal, label};
use crate::model::OrderLimits;
use crate::model::bounds::{self, BoundsError};

/// The size of the working document and the limits it must stay within.
pub(super) struct Budget {
    limits: OrderLimits,
    bytes: usize,
}

impl Budget {
    /// The budget of `doc`, measured exactly (an order over its limits may only shrink).
    pub(super) fn new(doc: &Value, limits: &OrderLimits) -> Self {
        let bytes = bounds::measure(doc, 0, usize::MAX, usize::MAX).unwrap_or(usize::MAX);
        Self {
            limits: *limits,
            bytes,
        }
    }

    /// The budget of a document whose size is known to be `bytes` (exactly, or an upper
    /// bound: then it may refuse what an exact count would not, never the reverse).
    pub(super) fn with_bytes(bytes: usize, limits: &OrderLimits) -> Self {
        Self {
            limits: *limits,
            bytes,
        }
    }

    /// The running upper bound of the document's size.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Refuses `op` if applying it to `doc` would take the document past a limit; else
    /// accounts for it. An operation that will fail to apply (nothing at `from`, …) is let
    /// through: applying it reports the failure.
    pub(super) fn check(
        &mut self,
        doc: &Value,
        index: usize,
        op: &PatchOperation,
    ) -> Result<(), PatchRefusal> {
        let max_bytes = self.limits.max_bytes;
        let refuse = |err: BoundsError| match err {
            BoundsError::TooDeep { limit } => PatchRefusal::TooDeep {
                index,
                op: label(op),
                limit,
            },
            // `measure` names the room left; the refusal names the order's limit.
            BoundsError::TooLarge { .. } => PatchRefusal::TooLarge {
                index,
                op: label(op),
                limit: max_bytes,
            },
        };
        let (written, path) = match op {
            PatchOperation::Test(_) => return Ok(()),
            PatchOperation::Remove(r) => {
                self.bytes = self.bytes.saturating_sub(self.size_at(doc, &r.path));
                return Ok(());
            }
            PatchOperation::Add(a) => (Some(&a.value), &a.path),
            PatchOperation::Replace(r) => (Some(&r.value), &r.path),
            PatchOperation::Copy(c) => (doc.pointer(c.from.as_str()), &c.path),
            PatchOperation::Move(m) => {
                let Some(moved) = doc.pointer(m.from.as_str()) else {
                    return Ok(());
                };
                // The moved value is in the document already: only its depth can change,
                // and only a move deeper can pass the limit.
                if m.path.count() > m.from.count() {
                    bounds::measure(moved, m.path.count(), self.limits.max_depth, usize::MAX)
                        .map_err(refuse)?;
                }
                self.bytes = self.bytes.saturating_add(key_bytes(&m.path));
                return self.within().map_err(refuse);
            }
        };
        let Some(value) = written else { return Ok(()) };
        // An `add` onto an existing member, and a `replace`, drop the value there.
        let dropped = match op {
            PatchOperation::Replace(_) => self.size_at(doc, path),
            PatchOperation::Add(_) | PatchOperation::Copy(_) if !path.is_root() => {
                let parent_is_object = path
                    .parent()
                    .and_then(|p| doc.pointer(p.as_str()))
                    .is_some_and(Value::is_object);
                if parent_is_object {
                    self.size_at(doc, path)
                } else {
                    0
                }
            }
            _ => self.size_at(doc, path),
        };
        let kept = self.bytes.saturating_sub(dropped);
        let room = self
            .limits
            .max_bytes
            .saturating_sub(kept.saturating_add(key_bytes(path)));
        let added =
            bounds::measure(value, path.count(), self.limits.max_depth, room).map_err(refuse)?;
        self.bytes = kept + key_bytes(path) + added;
        self.within().map_err(refuse)
    }

    /// The size of the value at `ptr` in `doc` (the whole running size for the root, 0
    /// when absent).
    fn size_at(&self, doc: &Value, ptr: &Pointer) -> usize {
        if ptr.is_root() {
            return self.bytes;
        }
        doc.pointer(ptr.as_str())
            .and_then(|v| bounds::measure(v, 0, usize::MAX, usize::MAX).ok())
            .unwrap_or(0)
    }

    fn within(&self) -> Result<(), BoundsError> {
        if self.bytes > self.limits.max_bytes {
            return Err(BoundsError::TooLarge {
                limit: self.limits.max_bytes,
            });
        }
        Ok(())
    }
}

/// An upper bound of the bytes a new member at `path` costs besides its value: its key,
/// quoted, a colon and a comma (an array element costs only the comma).
fn key_bytes(path: &Pointer) -> usize {
    path.last()
        .map_or(0, |token| bounds::string_len(&token.decoded()) + 2)
}
