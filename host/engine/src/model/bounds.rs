//! Bounds on an order's size and nesting, and the stack-safe ways to check them.
//!
//! serde's serializers and deserializers, `serde_json::Value`'s `Drop`, its equality and
//! JSON Schema evaluation all recurse once per level of JSON nesting: an order nested a few
//! thousand levels deep overflows a thread's stack (about 2,400 levels kill a 2 MiB thread)
//! in whichever of them meets it first, and an order that is merely big costs memory in
//! every copy the pipeline makes. So an order the host accepts is bounded by
//! [`OrderLimits`], and every check here either never recurses or recurses at most
//! [`OrderLimits::max_depth`] + 1 levels:
//!
//! - [`scan`] looks at JSON *text* before serde does: a byte loop counting brackets
//!   outside strings (escapes honoured);
//! - [`measure`] walks a parsed `Value` with an explicit stack, stopping as soon as it
//!   passes either limit;
//! - [`check_order`] (and [`check_serialized`]) serialize a typed value through
//!   serde_json into a writer that only counts bytes, with a formatter that refuses to
//!   open a container past `max_depth`: serialization stops at the first level too deep,
//!   so it recurses at most `max_depth + 1` levels whatever the value, and nothing is
//!   allocated for the text.
//!
//! Depth is counted in containers: a scalar is at depth 0, `{}` is 1, `{"a": [1]}` is 2,
//! and an order's `/cart/items/0/attributes/x` holds a value 5 levels down (order, cart,
//! items, item, attributes).

use std::cell::Cell;
use std::io;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Order;

/// The bounds every order the host accepts stays within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLimits {
    /// Most bytes of the order serialized as compact JSON. Default 1 MiB: the largest
    /// realistic order (hundreds of lines with attributes, payments, notifications) is a
    /// few tens of kB, and every commit copies the order a few times (the stored order, the
    /// JSON plugins and events see), so 1 MiB leaves 20× headroom while keeping a hostile
    /// hook from growing orders into tens of MiB.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    /// Most levels of JSON nesting (containers) anywhere in the order. Default 64: the
    /// model's own fixed shape is at most 6 levels deep, nested cart items take 2 levels
    /// each, so 64 allows bundles 25 levels deep with free-form attributes inside; and every
    /// recursive code path (serde, `Drop`, schema evaluation) stays a few tens of kB of
    /// stack at 64, well inside the smallest thread stack the host runs on (tested on a
    /// 256 KiB thread). It is also under serde_json's own parse limit of 128 levels, so the
    /// refusal is this module's typed one rather than serde_json's.
    #[serde(default = "default_max_depth")]
    pub max_depth: usize,
}

fn default_max_bytes() -> usize {
    OrderLimits::DEFAULT_MAX_BYTES
}

fn default_max_depth() -> usize {
    OrderLimits::DEFAULT_MAX_DEPTH
}

impl OrderLimits {
    /// Default [`OrderLimits::max_bytes`]: 1 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
    /// Default [`OrderLimits::max_depth`]: 64 levels.
    pub const DEFAULT_MAX_DEPTH: usize = 64;

    /// No bounds: for values already known to be within them (a patched order whose every
    /// operation was checked), so they are not measured again.
    pub(crate) const UNBOUNDED: Self = Self {
        max_bytes: usize::MAX,
        max_depth: usize::MAX,
    };
}

impl Default for OrderLimits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }
}

/// Which bound an order, a JSON text or a value went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BoundsError {
    /// More than [`OrderLimits::max_bytes`] bytes of JSON.
    #[error("larger than the limit of {limit} bytes of JSON")]
    TooLarge {
        /// The limit, [`OrderLimits::max_bytes`].
        limit: usize,
    },
    /// Nested more than [`OrderLimits::max_depth`] levels.
    #[error("nested deeper than the limit of {limit} levels")]
    TooDeep {
        /// The limit, [`OrderLimits::max_depth`].
        limit: usize,
    },
}

impl BoundsError {
    /// The violation code of an order refused for this bound: `order-too-large` or
    /// `order-too-deep`.
    pub fn code(&self) -> &'static str {
        match self {
            BoundsError::TooLarge { .. } => "order-too-large",
            BoundsError::TooDeep { .. } => "order-too-deep",
        }
    }
}

/// Refuses JSON text longer than `max_bytes` or nested deeper than `max_depth`, without
/// parsing it: run before serde sees the text, whose recursion is what deep nesting breaks.
///
/// Brackets inside strings do not count (escaped quotes honoured). Malformed text is not
/// this function's concern: a parser refuses it afterwards.
pub fn scan(text: &str, limits: &OrderLimits) -> Result<(), BoundsError> {
    if text.len() > limits.max_bytes {
        return Err(BoundsError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in text.as_bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(BoundsError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The compact JSON size of `value`, placed `base_depth` levels down in a document, or
/// the bound it passes: its depth plus `base_depth` over `max_depth`, or its size over
/// `budget` bytes (the walk stops there, so measuring a huge value costs no more than
/// `budget`).
///
/// Iterative (an explicit stack), so any `Value`, however deep, is measured safely. Sizes
/// are exactly what `serde_json::to_string` writes.
pub fn measure(
    value: &Value,
    base_depth: usize,
    max_depth: usize,
    budget: usize,
) -> Result<usize, BoundsError> {
    /// The members still to visit of each open container.
    enum Open<'v> {
        Array(std::slice::Iter<'v, Value>),
        Object(serde_json::map::Iter<'v>),
    }
    let too_large = BoundsError::TooLarge { limit: budget };
    let too_deep = BoundsError::TooDeep { limit: max_depth };
    let mut bytes = 0usize;
    let mut stack: Vec<Open<'_>> = Vec::new();
    let mut next = Some(value);
    loop {
        if let Some(value) = next.take() {
            bytes += match value {
                Value::Array(items) => {
                    stack.push(Open::Array(items.iter()));
                    // Brackets, and a comma between elements.
                    2 + items.len().saturating_sub(1)
                }
                Value::Object(map) => {
                    stack.push(Open::Object(map.iter()));
                    // Braces, commas, and per member its quoted key and colon.
                    2 + map.len().saturating_sub(1)
                        + map.keys().map(|k| string_len(k) + 1).sum::<usize>()
                }
                scalar => scalar_len(scalar),
            };
            if base_depth + stack.len() > max_depth {
                return Err(too_deep);
            }
            if bytes > budget {
                return Err(too_large);
            }
        }
        let Some(open) = stack.last_mut() else {
            return Ok(bytes);
        };
        next = match open {
            Open::Array(items) => items.next(),
            Open::Object(members) => members.next().map(|(_, v)| v),
        };
        if next.is_none() {
            stack.pop();
        }
    }
}

/// Bytes serde_json writes for a string, quotes and escapes included.
pub(crate) fn string_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\x08' | b'\x0c' | b'\n' | b'\r' | b'\t' => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Bytes serde_json writes for a scalar.
fn scalar_len(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::String(s) => string_len(s),
        Value::Number(n) => {
            let mut counter = Counter::default();
            // A number writes into a counter without fail; 0 would only under-count.
            let _ = serde_json::to_writer(&mut counter, n);
            counter.bytes
        }
        // Containers are counted by `measure`.
        Value::Array(_) | Value::Object(_) => 0,
    }
}

/// Checks a whole order against `limits`: its depth, then its size. Call it on every
/// candidate order (after a mutation, after a patch) before it is committed.
pub fn check_order(order: &Order, limits: &OrderLimits) -> Result<(), BoundsError> {
    check_serialized(order, limits).map(|_| ())
}

/// The compact JSON size of any serializable value, or the bound it passes; see the module
/// docs for why this is stack-safe on a value of any depth.
pub fn check_serialized<T: Serialize + ?Sized>(
    value: &T,
    limits: &OrderLimits,
) -> Result<usize, BoundsError> {
    let tripped = Cell::new(None);
    let mut writer = Counter {
        bytes: 0,
        limit: Some((limits.max_bytes, &tripped)),
    };
    let formatter = DepthGuard {
        depth: 0,
        max_depth: limits.max_depth,
        tripped: &tripped,
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut writer, formatter);
    match value.serialize(&mut serializer) {
        Ok(()) => Ok(writer.bytes),
        // Only the guards fail on purpose; anything else (a map with non-string keys, which
        // the model has none of) is reported as too large rather than accepted.
        Err(_) => Err(tripped.get().unwrap_or(BoundsError::TooLarge {
            limit: limits.max_bytes,
        })),
    }
}

/// A writer that counts bytes and keeps none; past its limit it fails, which stops the
/// serialization at once.
#[derive(Default)]
struct Counter<'a> {
    bytes: usize,
    limit: Option<(usize, &'a Cell<Option<BoundsError>>)>,
}

impl io::Write for Counter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len();
        if let Some((limit, tripped)) = self.limit
            && self.bytes > limit
        {
            tripped.set(Some(BoundsError::TooLarge { limit }));
            return Err(io::Error::other("order too large"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// serde_json's compact format, refusing to open a container past `max_depth`.
struct DepthGuard<'a> {
    depth: usize,
    max_depth: usize,
    tripped: &'a Cell<Option<BoundsError>>,
}

impl DepthGuard<'_> {
    fn open<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            self.tripped.set(Some(BoundsError::TooDeep {
                limit: self.max_depth,
            }));
            return Err(io::Error::other("order too deep"));
        }
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        writer.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for DepthGuard<'_> {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn limits(max_bytes: usize, max_depth: usize) -> OrderLimits {
        OrderLimits {
            max_bytes,
            max_depth,
        }
    }

    #[test]
    fn scan_counts_brackets_outside_strings_only() {
        let l = limits(100, 2);
        assert_eq!(scan(r#"{"a": ["[[[", "\"{{"]}"#, &l), Ok(()));
        assert_eq!(
            scan(r#"{"a": [{}]}"#, &l),
            Err(BoundsError::TooDeep { limit: 2 })
        );
        assert_eq!(
            scan(&" ".repeat(101), &l),
            Err(BoundsError::TooLarge { limit: 100 })
        );
        // An escaped backslash ends the escape: the quote after it closes the string.
        assert_eq!(
            scan(r#"["\\", [[]]]"#, &l),
            Err(BoundsError::TooDeep { limit: 2 })
        );
    }

    #[test]
    fn measure_matches_serde_json_and_stops_at_the_bounds() {
        let value = json!({"a\"\n\u{1}": [1, 2.5, -3, null, true, false, "é"], "b": {}, "c": []});
        let text = serde_json::to_string(&value).unwrap();
        assert_eq!(measure(&value, 0, 2, usize::MAX), Ok(text.len()));
        assert_eq!(
            measure(&value, 1, 2, usize::MAX),
            Err(BoundsError::TooDeep { limit: 2 })
        );
        assert_eq!(
            measure(&value, 0, 2, text.len() - 1),
            Err(BoundsError::TooLarge {
                limit: text.len() - 1
            })
        );
        assert_eq!(measure(&json!(12), 5, 5, 2), Ok(2));
    }

    #[test]
    fn check_serialized_counts_exactly_and_names_the_bound() {
        let value = json!({"a": [{"b": "x"}]});
        let size = serde_json::to_string(&value).unwrap().len();
        assert_eq!(check_serialized(&value, &limits(size, 3)), Ok(size));
        assert_eq!(
            check_serialized(&value, &limits(size, 2)),
            Err(BoundsError::TooDeep { limit: 2 })
        );
        assert_eq!(
            check_serialized(&value, &limits(size - 1, 3)),
            Err(BoundsError::TooLarge { limit: size - 1 })
        );
    }
}
