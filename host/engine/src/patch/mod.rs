//! JSON Patch (RFC 6902) for hooks: generic, atomic application, and order patches that
//! respect the order's read-only fields.
//!
//! Hooks (merchant plugins) answer with RFC 6902 operations. The operation types are
//! [json-patch]'s, re-exported here so that callers need no direct dependency on it.
//!
//! # Generic patches: [`apply`]
//!
//! [`apply`] applies operations to any JSON value, all or none: when an operation fails, the
//! document is left exactly as it was and the [`PatchError`] names the failing operation by
//! its index. json-patch does the work; two places where it is stricter than the RFC are
//! corrected (see "Corrections" below).
//!
//! # Order patches: [`patch_order`]
//!
//! [`patch_order`] serializes the order to JSON once (only the top-level members the
//! operations touch, and of the cart only the lines they touch, whenever that decides
//! alone: see `members.rs` and `lines.rs`), checks and applies the operations in order,
//! then parses the result back into an [`Order`], so a patched order is always a valid
//! order ([`PatchRefusal::InvalidOrder`] otherwise). The input order is never modified, which
//! is what makes the patch atomic: a refused patch simply drops the working copy. What is
//! read-only comes from the order's one shape description, [`crate::model::shape`].
//!
//! The checks, in this order:
//!
//! 1. **Count.** More than [`MAX_OPERATIONS`] operations are refused before anything else is
//!    looked at ([`PatchRefusal::TooManyOperations`]): a hostile hook may return thousands.
//! 2. **Read-only locations**, checked for each operation against the document as it is just
//!    before that operation (so earlier operations of the same patch count). An operation
//!    *writes* at its `path` if it is `add`, `remove`, `replace`, `move` or `copy`, and also
//!    at its `from` if it is `move` (a move removes its source). `test`, and the `from` of
//!    `copy`, only read, so they may point anywhere. A write is refused
//!    ([`PatchRefusal::ReadOnly`]) when it is at or under:
//!    - a host-owned location: `/id`, `/merchant`, `/channel`, `/created`,
//!      `/lastModified`, `/state/transitions` (identity, tenancy, timestamps, status
//!      history), `/notifications`, `/hooks` or `/validations` (registrations: a hook
//!      raises notifications through triggers, which are checked like
//!      `CreateNotification`; bindings are the tenant's and the order API's); or
//!    - the `id` of an *existing* entity: a cart item at any nesting depth
//!      (`/cart/items/N/id`, `/cart/items/N/items/M/id`, …), a payment, a payment action,
//!      a shipping or a consent; or the `merchant`, `channel` or `orderId` the host
//!      stamped on an existing payment or shipping. Existing means the entity
//!      (`/cart/items/N`, `/payments/N`, …) is present just before the operation. A new
//!      entity may carry an id (`add /cart/items/-` with `{"id": …}`), and an entity added
//!      earlier in the same patch counts as existing for later operations.
//! 3. **Bounds.** Before an `add`, `replace`, `copy` or `move` is applied, the depth of its
//!    path plus the depth of the value it writes must stay within
//!    [`OrderLimits::max_depth`] ([`PatchRefusal::TooDeep`]), and the document's running
//!    size within [`OrderLimits::max_bytes`] ([`PatchRefusal::TooLarge`]): nothing deep or
//!    huge is ever built.
//! 4. **Application.** An operation that fails as in [`apply`] gives
//!    [`PatchRefusal::Failed`].
//! 5. **Writes above a read-only location** (`""`, `/state`, `/cart`, `/cart/items/0`, …)
//!    are allowed, because hooks legitimately replace whole subtrees. For the host-owned
//!    locations, the patch is then refused unless after the *whole* patch each such
//!    location that some operation wrote above holds the same value as before (a missing
//!    array equals an empty one, as in the model). The refusal blames the last operation
//!    that wrote above the changed location, with that location as `path`. Entity ids are
//!    deliberately *not* compared: replacing or removing a whole item is removing an
//!    entity and adding another, which hooks may do, so for them the path rule of 2 is the
//!    whole rule. The host-stamped fields of every payment and shipping, new ones
//!    included, must hold the order's `merchant`, `channel` and `id` when present
//!    ([`PatchRefusal::ReadOnly`], blaming the last operation that wrote at or above).
//! 6. **Unique ids.** No two entities of a kind may share an id: cart items (at any
//!    depth), payments, payment actions, shippings, consents
//!    ([`PatchRefusal::DuplicateId`]), as no mutation can make them.
//! 7. **Validity.** The result must parse as an [`Order`] ([`PatchRefusal::InvalidOrder`],
//!    whose path names the offending field).
//!
//! # Corrections to json-patch
//!
//! - **Number equality in `test`.** RFC 6902 §4.6 compares numbers by value, but
//!   json-patch uses `serde_json::Value`'s equality, for which `1` and `1.0` differ. An
//!   order's money fields serialize as floats (`100.0`), so a hook testing
//!   `"value": 100` would fail spuriously. Both functions compare numerically.
//! - **`move` of the root onto itself** (`from: ""`, `path: ""`) is a no-op by the RFC (the
//!   `from` is not a *proper* prefix of `path`); json-patch fails it.
//!
//! The RFC 6902 and RFC 6901 conformance suites run against this module in
//! `tests/conformance_patch.rs`.
//!
//! [json-patch]: https://docs.rs/json-patch/5

mod budget;
mod guard;
mod lines;
mod members;

use std::fmt;

use jsonptr::Pointer;
use serde::Serialize;
use serde_json::Value;

use crate::model::{self, ModelError, Order, OrderLimits, shape};

pub use json_patch::{
    AddOperation, CopyOperation, MoveOperation, Patch, PatchOperation, RemoveOperation,
    ReplaceOperation, TestOperation,
};
pub use jsonptr::PointerBuf;

/// The most operations one patch may hold; more are refused unread.
pub const MAX_OPERATIONS: usize = 1000;

/// Why an operation could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("operation {index} ({op}): {reason}")]
#[serde(rename_all = "camelCase")]
pub struct PatchError {
    /// Index of the failing operation in the patch, from 0.
    pub index: usize,
    /// The operation, as `test /a/b` or `move /to from /from` (`""` for the root).
    pub op: String,
    /// What went wrong.
    pub reason: PatchFailure,
}

/// What went wrong with an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum PatchFailure {
    /// A `test` found a different value.
    #[error("value differs")]
    ValueDiffers,
    /// Nothing at `path` (`remove`, `replace`, `test`).
    #[error("path does not exist")]
    PathNotFound,
    /// Nothing at `from` (`move`, `copy`).
    #[error("`from` does not exist")]
    FromNotFound,
    /// `add` (or the adding half of `move`/`copy`) had nowhere to put the value.
    #[error(
        "cannot add there: the parent does not exist or is not an object or array, \
         or the array index is out of range"
    )]
    CannotAdd,
    /// `move` into one of the moved value's own children.
    #[error("cannot move a value into one of its own children")]
    MoveIntoItself,
    /// `remove` of the whole document.
    #[error("cannot remove the whole document")]
    RemoveRoot,
    /// A failure json-patch reports that this module does not know (it may add kinds).
    #[error("{0}")]
    Other(String),
}

/// Why [`patch_order`] refused a patch. The order is unchanged in every case.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PatchRefusal {
    /// An operation writes a read-only location (see the module docs for the rules).
    #[error("operation {index} ({op}): {path} is read-only")]
    #[serde(rename_all = "camelCase")]
    ReadOnly {
        /// Index of the offending operation, from 0.
        index: usize,
        /// The operation, rendered as in [`PatchError::op`].
        op: String,
        /// The read-only location written, e.g. `/id` or `/payments/0/id`.
        path: String,
    },
    /// An operation failed to apply.
    #[error("{0}")]
    Failed(PatchError),
    /// The patched document is not a valid order.
    #[error("the patched order is invalid: {0}")]
    InvalidOrder(#[serde(serialize_with = "serialize_model_error")] ModelError),
    /// An operation would nest the order deeper than [`OrderLimits::max_depth`].
    #[error("operation {index} ({op}): the order would nest deeper than {limit} levels")]
    #[serde(rename_all = "camelCase")]
    TooDeep {
        /// Index of the offending operation, from 0.
        index: usize,
        /// The operation, rendered as in [`PatchError::op`].
        op: String,
        /// The limit, [`OrderLimits::max_depth`].
        limit: usize,
    },
    /// An operation would make the order larger than [`OrderLimits::max_bytes`].
    #[error("operation {index} ({op}): the order would exceed {limit} bytes of JSON")]
    #[serde(rename_all = "camelCase")]
    TooLarge {
        /// Index of the offending operation, from 0.
        index: usize,
        /// The operation, rendered as in [`PatchError::op`].
        op: String,
        /// The limit, [`OrderLimits::max_bytes`].
        limit: usize,
    },
    /// Two entities of the patched order share an id.
    #[error("two {entity}s share the id {id:?}: {first} and {path}")]
    #[serde(rename_all = "camelCase")]
    DuplicateId {
        /// What they are: `cart item`, `payment`, `payment action`, `shipping`, `consent`.
        entity: String,
        /// The shared id.
        id: String,
        /// Pointer to the first one's `id`, in document order.
        first: String,
        /// Pointer to the later one's `id`.
        path: String,
    },
    /// The patch has more than [`MAX_OPERATIONS`] operations.
    #[error("{count} operations exceed the limit of {limit}")]
    TooManyOperations {
        /// Operations in the patch.
        count: usize,
        /// The limit, [`MAX_OPERATIONS`].
        limit: usize,
    },
}

/// `ModelError` is not `Serialize`; the trace wants its path and message.
fn serialize_model_error<S: serde::Serializer>(
    err: &ModelError,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut s = serializer.serialize_struct("ModelError", 2)?;
    s.serialize_field("path", &err.path)?;
    s.serialize_field("message", &err.message)?;
    s.end()
}

/// Applies `ops` to `doc` per RFC 6902, atomically: on error `doc` is unchanged.
///
/// Numbers in `test` compare by value (`1` equals `1.0`), as the RFC says.
pub fn apply(doc: &mut Value, ops: &[PatchOperation]) -> Result<(), PatchError> {
    // The common case costs what json-patch costs; only a failure that may be one of
    // json-patch's over-strict verdicts takes the slow path below.
    let err = match json_patch::patch(doc, ops) {
        Ok(()) => return Ok(()),
        Err(err) => err,
    };
    if !correctable(&ops[err.operation], &err.kind) {
        return Err(convert(err.operation, &ops[err.operation], &err.kind));
    }
    // Slow path: rewrite the operation json-patch misjudged into an equivalent one it
    // accepts, and run the (atomic) patch again. Each round fixes a later operation than
    // the one before (nothing before it changed), so this ends.
    let mut owned = ops.to_vec();
    let mut err = err;
    loop {
        let index = err.operation;
        match rewrite(doc, &owned, index) {
            Some(op) => owned[index] = op,
            None => return Err(convert(index, &ops[index], &err.kind)),
        }
        err = match json_patch::patch(doc, &owned) {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        if !correctable(&owned[err.operation], &err.kind) {
            return Err(convert(err.operation, &ops[err.operation], &err.kind));
        }
    }
}

/// Whether json-patch's failure may be one of the verdicts this module corrects.
fn correctable(op: &PatchOperation, kind: &json_patch::PatchErrorKind) -> bool {
    match op {
        PatchOperation::Test(_) => matches!(kind, json_patch::PatchErrorKind::TestFailed),
        PatchOperation::Move(m) => is_root_self_move(m),
        _ => false,
    }
}

/// `move` from `""` to `""`: a no-op by the RFC, an error for json-patch.
fn is_root_self_move(op: &MoveOperation) -> bool {
    op.from.is_root() && op.path.is_root()
}

/// An operation equivalent to `ops[index]` that json-patch accepts, or `None` if the
/// failure was genuine. `doc` is the document before the patch (json-patch restored it).
fn rewrite(doc: &Value, ops: &[PatchOperation], index: usize) -> Option<PatchOperation> {
    match &ops[index] {
        // Copying the root onto itself is the same no-op, and json-patch accepts it.
        PatchOperation::Move(m) if is_root_self_move(m) => {
            Some(PatchOperation::Copy(CopyOperation {
                from: m.from.clone(),
                path: m.path.clone(),
            }))
        }
        PatchOperation::Test(t) => {
            // Replay the operations before the test on a copy (this path is rare: a test
            // whose numbers differ only in representation) to see the tested value.
            let mut probe = doc.clone();
            json_patch::patch_unsafe(&mut probe, &ops[..index]).ok()?;
            let actual = probe.pointer(t.path.as_str())?;
            json_equal(actual, &t.value).then(|| {
                PatchOperation::Test(TestOperation {
                    path: t.path.clone(),
                    value: actual.clone(),
                })
            })
        }
        _ => None,
    }
}

/// Applies `ops` to `order` if no operation writes a read-only location and the order stays
/// within `limits` at every step, returning the patched order; see the module docs for the
/// rules. `order` itself is never changed.
pub fn patch_order(
    order: &Order,
    ops: &[PatchOperation],
    limits: &OrderLimits,
) -> Result<Order, PatchRefusal> {
    if ops.len() > MAX_OPERATIONS {
        return Err(PatchRefusal::TooManyOperations {
            count: ops.len(),
            limit: MAX_OPERATIONS,
        });
    }
    // Most patches touch a member or two: only those make the round trip.
    if let Some((patched, _)) = members::patch_members(order, ops, limits) {
        return Ok(patched);
    }
    patch_whole(order, ops, limits)
}

/// [`patch_order`] by the whole round trip: what decides every refusal.
fn patch_whole(
    order: &Order,
    ops: &[PatchOperation],
    limits: &OrderLimits,
) -> Result<Order, PatchRefusal> {
    // The one copy of the order this costs. An `Order` always serializes (string keys,
    // and serde_json turns non-finite floats into null), but a refusal beats a panic.
    let mut doc = serde_json::to_value(order).map_err(|e| {
        PatchRefusal::InvalidOrder(ModelError {
            path: String::new(),
            message: e.to_string(),
            bounds: None,
        })
    })?;
    let mut guard = guard::Guard::new();
    let mut budget = budget::Budget::new(&doc, limits);
    for (index, op) in ops.iter().enumerate() {
        guard.check(&doc, index, op)?;
        budget.check(&doc, index, op)?;
        // `doc` is our own copy, so there is nothing to undo on failure: no undo stack.
        apply_one(&mut doc, index, op).map_err(PatchRefusal::Failed)?;
    }
    guard.finish(&doc, order, ops)?;
    if let Some(dup) = shape::duplicate_id(&doc) {
        return Err(PatchRefusal::DuplicateId {
            entity: dup.entity.to_owned(),
            id: dup.id,
            first: dup.first,
            path: dup.path,
        });
    }
    // The budget kept the document within the limits at every step: parse it without
    // measuring it again.
    model::from_value_within(doc, &OrderLimits::UNBOUNDED).map_err(PatchRefusal::InvalidOrder)
}

/// Applies one operation to a document nobody else sees (no atomicity needed), with this
/// module's corrections.
fn apply_one(doc: &mut Value, index: usize, op: &PatchOperation) -> Result<(), PatchError> {
    let fail = |reason| PatchError {
        index,
        op: label(op),
        reason,
    };
    match op {
        // Evaluated here rather than by json-patch, to compare numbers by value.
        PatchOperation::Test(t) => match doc.pointer(t.path.as_str()) {
            None => Err(fail(PatchFailure::PathNotFound)),
            Some(actual) if json_equal(actual, &t.value) => Ok(()),
            Some(_) => Err(fail(PatchFailure::ValueDiffers)),
        },
        PatchOperation::Move(m) if is_root_self_move(m) => Ok(()),
        _ => json_patch::patch_unsafe(doc, std::slice::from_ref(op))
            .map_err(|e| convert(index, op, &e.kind)),
    }
}

/// Turns json-patch's error kind into this module's, worded for the operation.
fn convert(index: usize, op: &PatchOperation, kind: &json_patch::PatchErrorKind) -> PatchError {
    use json_patch::PatchErrorKind as Kind;
    let reason = match kind {
        Kind::TestFailed => PatchFailure::ValueDiffers,
        Kind::InvalidFromPointer => PatchFailure::FromNotFound,
        Kind::CannotMoveInsideItself => PatchFailure::MoveIntoItself,
        Kind::InvalidPointer => match op {
            PatchOperation::Add(_) | PatchOperation::Move(_) | PatchOperation::Copy(_) => {
                PatchFailure::CannotAdd
            }
            PatchOperation::Remove(r) if r.path.is_root() => PatchFailure::RemoveRoot,
            _ => PatchFailure::PathNotFound,
        },
        other => PatchFailure::Other(other.to_string()),
    };
    PatchError {
        index,
        op: label(op),
        reason,
    }
}

/// `replace /a`, `move /to from /from`; the root pointer shows as `""`.
fn label(op: &PatchOperation) -> String {
    /// Displays a pointer, quoting the otherwise invisible root.
    struct Shown<'a>(&'a Pointer);
    impl fmt::Display for Shown<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if self.0.is_root() {
                f.write_str("\"\"")
            } else {
                f.write_str(self.0.as_str())
            }
        }
    }
    match op {
        PatchOperation::Add(o) => format!("add {}", Shown(&o.path)),
        PatchOperation::Remove(o) => format!("remove {}", Shown(&o.path)),
        PatchOperation::Replace(o) => format!("replace {}", Shown(&o.path)),
        PatchOperation::Move(o) => format!("move {} from {}", Shown(&o.path), Shown(&o.from)),
        PatchOperation::Copy(o) => format!("copy {} from {}", Shown(&o.path), Shown(&o.from)),
        PatchOperation::Test(o) => format!("test {}", Shown(&o.path)),
    }
}

/// JSON equality as RFC 6902 §4.6 defines it: like `Value`'s, but numbers by value.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, a)| y.get(key).is_some_and(|b| json_equal(a, b)))
        }
        _ => a == b,
    }
}

/// Numeric equality without the rounding of a plain `as f64` on large integers.
fn number_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    /// An integer as i128 (covers both i64 and u64), or `None` for a float.
    fn int(n: &serde_json::Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    /// Whether float `f` is exactly the integer `i`.
    fn float_is(f: f64, i: i128) -> bool {
        // 2^127 is exact as f64; beyond it no i128 can match, and `as` would saturate.
        const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
        f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) && f as i128 == i
    }
    match (int(x), int(y)) {
        (Some(a), Some(b)) => a == b,
        (Some(a), None) => y.as_f64().is_some_and(|f| float_is(f, a)),
        (None, Some(b)) => x.as_f64().is_some_and(|f| float_is(f, b)),
        (None, None) => x.as_f64() == y.as_f64(),
    }
}

#[cfg(test)]
mod tests;
