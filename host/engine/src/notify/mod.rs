//! Notifications: checking a notification when it is registered, deciding whether it fires
//! after a committed order change, resolving its invoke template, and building the event.
//!
//! A notification fires when the value at its `scope` (a JSON Pointer into the order) differs
//! between the order before and after a committed change, and the new value is valid under its
//! JSON Schema (draft 2020-12). Scopes inside arrays are not supported (spec 000): see
//! [`check`] for the exact rule.
//!
//! Schemas are compiled once, by a [`SchemaCache`] shared by every order, so deciding whether
//! 100 notifications fire costs a few microseconds (see [`SchemaCache`]).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use fnv::FnvHasher;
use jsonschema::{Draft, Validator};
use serde_json::Value;

mod change;
mod invoke;

use crate::events::{EventPayload, EventStatus, NotificationEvent, OrderBody};
use crate::model::{BodyVersion, Notification, shape};
pub use change::OrderChange;
use invoke::check_template;
pub use invoke::{
    InvokeError, MAX_INVOKE_TEMPLATE_BYTES, MAX_INVOKE_URL_BYTES, resolve_invoke,
    resolve_invoke_for,
};

/// Why a notification cannot be registered. Each message says what is wrong and with what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// No `scope`.
    #[error(
        "scope is missing: it must be a JSON Pointer into the order, e.g. \"/state/currentStatus\""
    )]
    MissingScope,
    /// `scope` is the empty pointer, i.e. the whole order, which changes on every commit.
    #[error("scope is empty: it must point inside the order, e.g. \"/state/currentStatus\"")]
    EmptyScope,
    /// `scope` is not an RFC 6901 JSON Pointer.
    #[error("scope {scope:?} is not a valid JSON Pointer: {reason}")]
    InvalidScope {
        /// The scope given.
        scope: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `scope` points inside an array of the order.
    #[error("scope {scope:?} is inside an array, which notifications do not support")]
    ScopeInArray {
        /// The scope given.
        scope: String,
    },
    /// No `schema`.
    #[error(
        "schema is missing: it must be a JSON Schema (draft 2020-12), e.g. {{\"const\":\"completed\"}}"
    )]
    MissingSchema,
    /// `schema` does not compile as a draft 2020-12 JSON Schema.
    #[error("schema is not a valid JSON Schema (draft 2020-12): {0}")]
    InvalidSchema(String),
    /// No `reference`, or an empty one (spec 002 requires a non-empty reference).
    #[error("reference is missing or empty: events are tracked by it")]
    MissingReference,
    /// No `invoke`, or an empty one.
    #[error("invoke is missing or empty: it must be the URL to call when the notification fires")]
    MissingInvoke,
    /// `invoke` is not a well-formed template.
    #[error("invoke {invoke:?} is not a valid template: {reason}")]
    InvalidInvoke {
        /// The template given.
        invoke: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `invoke` is longer than [`MAX_INVOKE_TEMPLATE_BYTES`].
    #[error("invoke is {bytes} bytes long: a template may have at most {limit}")]
    InvokeTooLong {
        /// Its length.
        bytes: usize,
        /// The limit, [`MAX_INVOKE_TEMPLATE_BYTES`].
        limit: usize,
    },
    /// `delay` is negative.
    #[error("delay {0} is negative: it must be a number of milliseconds, 0 or more")]
    NegativeDelay(i32),
}

/// Checks a notification before it is registered on an order.
///
/// - `scope` is present, non-empty, a valid JSON Pointer, and not inside an array of the
///   order. The rule: a scope whose path goes through one of the order's array fields, as
///   the order's shape description lists them ([`crate::model::shape::through_array`]:
///   `shippings`, `payments`, `consents`, `validations`, `hooks`, `notifications`,
///   `state/transitions`, `cart/items`, `cart/discounts`, and the arrays nested in them,
///   such as an item's `items` or `discounts`) is refused, e.g. `/payments/0/state`. A scope
///   naming the array itself (`/payments`) is accepted: its value is the whole array, and a
///   change to any element is a change of that value. Free-form `attributes` can hold arrays
///   the model does not know about; [`fires`] refuses to look through those at run time.
/// - `schema` is present and compiles as a draft 2020-12 JSON Schema (into `schemas`, so the
///   first evaluation does not pay for it).
/// - `reference` and `invoke` are present and non-empty, and `invoke` is a well-formed
///   template (balanced braces, known placeholders; their values are resolved when it fires).
/// - `delay`, when present, is 0 or more.
pub fn check(n: &Notification, schemas: &SchemaCache) -> Result<(), NotificationError> {
    let scope = n.scope.as_deref().ok_or(NotificationError::MissingScope)?;
    let tokens = scope_tokens(scope)?;
    if shape::through_array(tokens.iter().map(String::as_str)) {
        return Err(NotificationError::ScopeInArray {
            scope: scope.to_owned(),
        });
    }
    let schema = n.schema.as_ref().ok_or(NotificationError::MissingSchema)?;
    schemas.get(schema)?;
    if n.reference.as_deref().is_none_or(str::is_empty) {
        return Err(NotificationError::MissingReference);
    }
    let invoke = n
        .invoke
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(NotificationError::MissingInvoke)?;
    if invoke.len() > MAX_INVOKE_TEMPLATE_BYTES {
        return Err(NotificationError::InvokeTooLong {
            bytes: invoke.len(),
            limit: MAX_INVOKE_TEMPLATE_BYTES,
        });
    }
    check_template(invoke).map_err(|reason| NotificationError::InvalidInvoke {
        invoke: invoke.to_owned(),
        reason,
    })?;
    if let Some(delay) = n.delay.filter(|d| *d < 0) {
        return Err(NotificationError::NegativeDelay(delay));
    }
    Ok(())
}

/// The decoded tokens of a scope, or why it is not a usable pointer.
fn scope_tokens(scope: &str) -> Result<Vec<String>, NotificationError> {
    if scope.is_empty() {
        return Err(NotificationError::EmptyScope);
    }
    let ptr = jsonptr::Pointer::parse(scope).map_err(|e| NotificationError::InvalidScope {
        scope: scope.to_owned(),
        reason: match e {
            jsonptr::ParseError::NoLeadingSlash => "it must start with \"/\"".to_owned(),
            _ => {
                let at = bad_tilde(scope).unwrap_or(0);
                format!("\"~\" at byte {at} must be followed by \"0\" or \"1\"")
            }
        },
    })?;
    Ok(ptr.tokens().map(|t| t.decoded().into_owned()).collect())
}

/// Byte offset of the first `~` not followed by `0` or `1`.
fn bad_tilde(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len()).find(|&i| b[i] == b'~' && !matches!(b.get(i + 1), Some(b'0' | b'1')))
}

/// Structural hash of a schema → the schemas with that hash and their validators.
type Buckets = HashMap<u64, Vec<(Value, Arc<Validator>)>>;

/// Compiled JSON Schemas, shared by all orders: each distinct schema is compiled once.
///
/// Draft 2020-12 is used for schemas without `$schema` (the spec's draft), and nothing is
/// ever fetched: a `$ref` to anything outside the schema (other than the drafts' own
/// meta-schemas, which jsonschema ships) fails to compile.
///
/// ## Key
/// Looking a schema up must be cheap, because [`fires`] looks one up for every notification
/// whose scope changed. Serializing the schema to canonical JSON text on every lookup would
/// allocate and format each time, so the cache is keyed by a structural hash of the
/// `serde_json::Value` (computed by walking it, no allocation; object members are combined
/// order-independently so the key does not depend on member order, whether or not serde_json's
/// `preserve_order` is enabled somewhere in the build), and each bucket keeps the schema
/// values beside their validators so a hash collision is resolved by comparing values
/// (`Value` equality), never by returning another schema's validator. The alternative, holding
/// the validator on the notification, would put non-serializable state into the order model.
///
/// Schemas come from merchants' notifications, so the cache is bounded: past
/// [`SchemaCache::MAX_ENTRIES`] distinct schemas it is emptied and refilled on demand.
pub struct SchemaCache {
    entries: RwLock<Buckets>,
}

impl Default for SchemaCache {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SchemaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaCache")
            .field("schemas", &self.len())
            .finish()
    }
}

impl SchemaCache {
    /// Distinct schemas kept before the cache is emptied.
    pub const MAX_ENTRIES: usize = 10_000;

    /// An empty cache.
    pub fn new() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Number of compiled schemas held.
    pub fn len(&self) -> usize {
        self.read().values().map(Vec::len).sum()
    }

    /// Whether no schema is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `schema` is compiled already: getting it costs a lookup, not a compilation
    /// (what the per-mutation budget of schema compilations counts).
    pub fn is_cached(&self, schema: &Value) -> bool {
        self.lookup(structural_hash(schema), schema).is_some()
    }

    /// The compiled validator for `schema`, compiling it on first use; the error is
    /// jsonschema's message for a schema that does not compile.
    pub fn get(&self, schema: &Value) -> Result<Arc<Validator>, NotificationError> {
        let key = structural_hash(schema);
        if let Some(found) = self.lookup(key, schema) {
            return Ok(found);
        }
        // Compile outside the lock: compiling takes far longer than a lookup, and two threads
        // compiling the same new schema at once only waste a little work.
        let validator = Arc::new(
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .offline()
                .build(schema)
                .map_err(|e| NotificationError::InvalidSchema(e.to_string()))?,
        );
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let bucket = entries.entry(key).or_default();
        if let Some((_, v)) = bucket.iter().find(|(s, _)| s == schema) {
            return Ok(Arc::clone(v));
        }
        bucket.push((schema.clone(), Arc::clone(&validator)));
        let count: usize = entries.values().map(Vec::len).sum();
        if count > Self::MAX_ENTRIES {
            entries.clear();
        }
        Ok(validator)
    }

    fn lookup(&self, key: u64, schema: &Value) -> Option<Arc<Validator>> {
        self.read()
            .get(&key)?
            .iter()
            .find(|(s, _)| s == schema)
            .map(|(_, v)| Arc::clone(v))
    }

    // The map is only ever changed by complete inserts and clears, so a lock poisoned by a
    // panicking thread still holds a consistent map.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Buckets> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// Hash of a JSON value's structure and content; object members combine order-independently.
///
/// FNV-1a: a few instructions per byte and nothing to set up, against SipHash's setup per
/// hasher (one per object member here). Its weaker mixing is harmless: the key only picks a
/// bucket, and the bucket compares schema values.
fn structural_hash(value: &Value) -> u64 {
    let mut h = FnvHasher::default();
    hash_value(value, &mut h);
    h.finish()
}

fn hash_value<H: Hasher>(value: &Value, h: &mut H) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            for v in a {
                hash_value(v, h);
            }
        }
        Value::Object(o) => {
            // Sum of per-member hashes: independent of member order.
            let mut sum = 0u64;
            for (k, v) in o {
                let mut m = FnvHasher::default();
                k.hash(&mut m);
                hash_value(v, &mut m);
                sum = sum.wrapping_add(m.finish());
            }
            (5u8, o.len(), sum).hash(h);
        }
    }
}

/// Whether `n` fires for a committed change from `before` to `after` (the order as JSON):
/// the value at its scope differs (a value appearing, disappearing or changing), and the new
/// value exists and is valid under its schema. A scope that disappears does not fire: there
/// is no value for the schema to accept.
///
/// Errors when the notification has no usable scope or schema (it should have passed
/// [`check`]), or when the scope goes through an array found in the order (free-form
/// `attributes`).
pub fn fires(
    n: &Notification,
    before: &Value,
    after: &Value,
    schemas: &SchemaCache,
) -> Result<bool, NotificationError> {
    let scope = n.scope.as_deref().ok_or(NotificationError::MissingScope)?;
    let Some(new) = at_scope(after, scope)? else {
        return Ok(false);
    };
    if at_scope(before, scope)? == Some(new) {
        return Ok(false);
    }
    // Only notifications whose value changed reach the schema, so most changes never pay
    // for the cache lookup.
    let schema = n.schema.as_ref().ok_or(NotificationError::MissingSchema)?;
    Ok(schemas.get(schema)?.is_valid(new))
}

/// The value at `scope`, `None` when absent; refuses to index into arrays (scopes inside
/// arrays are unsupported, and an index would name a different element after an insertion).
///
/// Walks the pointer token by token, without recursion, so a value of any depth is safe to
/// look into. The scope was validated when the notification was registered, and this runs
/// twice per notification per change (most of the cost of one whose value did not change),
/// so it splits on `/` rather than validating the whole pointer again; only a token with an
/// escape goes through jsonptr to be decoded.
fn at_scope<'v>(root: &'v Value, scope: &str) -> Result<Option<&'v Value>, NotificationError> {
    let invalid = |reason: String| NotificationError::InvalidScope {
        scope: scope.to_owned(),
        reason,
    };
    let Some(path) = scope.strip_prefix('/') else {
        return Err(invalid("it must start with \"/\"".to_owned()));
    };
    let mut current = root;
    for raw in path.split('/') {
        let token = if raw.contains('~') {
            let token = jsonptr::Token::from_encoded(raw).map_err(|e| invalid(e.to_string()))?;
            std::borrow::Cow::Owned(token.decoded().into_owned())
        } else {
            std::borrow::Cow::Borrowed(raw)
        };
        current = match current {
            Value::Object(map) => match map.get(token.as_ref()) {
                Some(v) => v,
                None => return Ok(None),
            },
            Value::Array(_) => {
                return Err(NotificationError::ScopeInArray {
                    scope: scope.to_owned(),
                });
            }
            _ => return Ok(None),
        };
    }
    Ok(Some(current))
}

/// Where an event comes from: its id and time, and the order change's merchant, channel and
/// order.
#[derive(Debug, Clone, Copy)]
pub struct EventSource<'a> {
    /// Event id (unique over all merchants).
    pub id: &'a str,
    /// When the event was created (the commit's time).
    pub created: SystemTime,
    /// Merchant of the order.
    pub merchant: &'a str,
    /// Channel of the order.
    pub channel: &'a str,
    /// Id of the order.
    pub order_id: &'a str,
}

/// Builds the event of a notification that fired (spec 002 plus ordergate's extensions).
///
/// - `notification`: as it was on the order (or a hook's trigger converted to a
///   notification); it becomes `payload.notification`, and its reference, adapter and
///   description are copied to the event.
/// - `order`: the order at that moment (shared by every event of the change). It becomes
///   `payload.order` in the body version
///   the notification asks for (`v0` when none). The spec pages document one order body, so
///   `v0` and `v1` are both the model serialized as is; the version is recorded on the event.
/// - `invoke`: the result of [`resolve_invoke`]. `Ok(url)` becomes `invoke`; `Err(e)` becomes
///   `error` with no `invoke`: the event is still recorded, so the failure is visible in the
///   event list rather than lost.
/// - `dueAt` is `created` plus the notification's `delay` in milliseconds (negative or absent
///   delays count as 0).
pub fn event(
    source: &EventSource<'_>,
    notification: &Notification,
    order: &OrderBody,
    invoke: Result<String, String>,
) -> NotificationEvent {
    let delay = Duration::from_millis(u64::try_from(notification.delay.unwrap_or(0)).unwrap_or(0));
    let due = source.created.checked_add(delay).unwrap_or(source.created);
    let (invoke, error) = match invoke {
        Ok(url) => (Some(url), None),
        Err(e) => (None, Some(e)),
    };
    NotificationEvent {
        id: source.id.to_owned(),
        created_at: source.created,
        merchant: source.merchant.to_owned(),
        channel: source.channel.to_owned(),
        order_id: source.order_id.to_owned(),
        adapter_id: notification.adapter_id.clone(),
        reference: notification.reference.clone().unwrap_or_default(),
        description: notification.description.clone(),
        payload: EventPayload {
            notification: notification.clone(),
            order: order.clone(),
        },
        attempts: Vec::new(),
        version: notification.version.unwrap_or(BodyVersion::V0),
        invoke,
        error,
        due_at: due,
        status: EventStatus::Pending,
    }
}

#[cfg(test)]
mod tests;
