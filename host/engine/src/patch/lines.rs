//! The cart at line level, for [`super::members`]: when every operation that points into
//! the cart's items points strictly below one existing item (`/cart/items/3/quantity`),
//! only those items are serialized and parsed back; the others stand in the working
//! document as `null` placeholders, so that every index still resolves, and come back as
//! clones of the order's own items.
//!
//! A hook re-pricing a few lines of a 20-line cart otherwise paid the round trip of the
//! whole cart (two thirds of the engine's own time in a full mutation). No operation can
//! see a placeholder: none addresses an untouched item, and none writes the items array
//! itself (an operation at `/cart`, `/cart/items` or `/cart/items/N` declines this path),
//! so the array keeps its length and its order. What the placeholders hide from the
//! whole-document checks is checked here, typed: their sizes (exactly, so the budget is
//! the same) and the uniqueness of item ids over the rebuilt cart.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::PatchOperation;
use super::members::pointers_of;
use crate::model::bounds;
use crate::model::parts;
use crate::model::{Cart, Item, OrderLimits};

/// The items of `cart` the operations address, sorted, or `None` when an operation points
/// into the items other than strictly below an existing one by a canonical index.
pub(super) fn touched_lines(cart: &Cart, ops: &[PatchOperation]) -> Option<Vec<usize>> {
    let len = cart.items.as_ref()?.len();
    let mut lines = Vec::new();
    for op in ops {
        for ptr in pointers_of(op) {
            let mut tokens = ptr.tokens();
            if tokens.next().is_none_or(|t| t.decoded() != "cart") {
                continue;
            }
            match tokens.next() {
                // The whole cart.
                None => return None,
                Some(t) if t.decoded() != "items" => continue,
                Some(_) => {}
            }
            let index = tokens.next().and_then(|t| canonical_index(&t.decoded()))?;
            // Strictly below the item, which exists.
            tokens.next()?;
            if index >= len {
                return None;
            }
            lines.push(index);
        }
    }
    lines.sort_unstable();
    lines.dedup();
    Some(lines)
}

/// An RFC 6901 array index: digits, without leading zeros.
fn canonical_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    (digits && (token == "0" || !token.starts_with('0')))
        .then(|| token.parse().ok())
        .flatten()
}

/// The cart as the working document holds it: its members as `serde_json::to_value`
/// writes them, but for the untouched items, which are `null`. With it, the compact JSON
/// size of the untouched items and how many there are (each counts 4 bytes, `null`, in
/// the working document).
pub(super) fn cart_doc(cart: &Cart, lines: &[usize]) -> Option<(Value, usize, usize)> {
    let items = cart.items.as_deref()?;
    let mut doc: Map<String, Value> = parts::members(cart, |key| key != "items").ok()?;
    let (mut hidden, mut placeholders) = (0usize, 0usize);
    let mut array = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if lines.binary_search(&index).is_ok() {
            array.push(serde_json::to_value(item).ok()?);
        } else {
            let size = bounds::check_serialized(item, &OrderLimits::UNBOUNDED).ok()?;
            hidden = hidden.checked_add(size)?;
            placeholders += 1;
            array.push(Value::Null);
        }
    }
    doc.insert("items".to_owned(), Value::Array(array));
    Some((Value::Object(doc), hidden, placeholders))
}

/// The patched cart from its working document: the untouched items cloned from `cart`,
/// the touched ones parsed; `None` when anything does not parse or two items (at any
/// depth) share an id, which the whole round trip refuses exactly.
pub(super) fn rebuild(cart: &Cart, lines: &[usize], doc: Value) -> Option<Cart> {
    let Value::Object(mut doc) = doc else {
        return None;
    };
    let Some(Value::Array(array)) = doc.remove("items") else {
        return None;
    };
    let items = cart.items.as_deref()?;
    if array.len() != items.len() {
        return None;
    }
    // A failure declines (the whole round trip words the error), so no error path is
    // tracked: plain serde_json, not the model's path-reporting parse.
    let mut patched: Cart = serde_json::from_value(Value::Object(doc)).ok()?;
    let mut rebuilt = Vec::with_capacity(items.len());
    for (index, (value, item)) in array.into_iter().zip(items).enumerate() {
        if lines.binary_search(&index).is_ok() {
            rebuilt.push(serde_json::from_value(value).ok()?);
        } else {
            rebuilt.push(item.clone());
        }
    }
    patched.items = Some(rebuilt);
    ids_unique(Some(&patched)).then_some(patched)
}

/// Whether no two items of `cart`, at any depth, share an id.
pub(super) fn ids_unique(cart: Option<&Cart>) -> bool {
    fn unique<'c>(items: &'c [Item], seen: &mut HashSet<&'c str>) -> bool {
        items.iter().all(|item| {
            item.id.as_deref().is_none_or(|id| seen.insert(id))
                && unique(item.items.as_deref().unwrap_or_default(), seen)
        })
    }
    let items = cart.and_then(|c| c.items.as_deref()).unwrap_or_default();
    unique(items, &mut HashSet::new())
}
