//! Invoke templates: the URL a notification's events are delivered to, with placeholders
//! filled from the order and the notification's adapter's configuration.

use serde_json::Value;

use crate::model::{Order, parts};

/// The longest `invoke` template a notification (or a hook's trigger) may have.
pub const MAX_INVOKE_TEMPLATE_BYTES: usize = 2048;

/// The longest URL an `invoke` template may resolve to: placeholders are filled from the
/// order and the adapter's configuration, so a short template could otherwise expand into
/// a URL of megabytes (the order may hold 1 MiB).
pub const MAX_INVOKE_URL_BYTES: usize = 8192;

/// Why an invoke template could not be resolved when its notification fired. Recorded on
/// the event (`error`), not a failure of the order change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The template is malformed (it should have passed [`super::check`]).
    #[error("{0}")]
    Template(String),
    /// A placeholder has no usable value.
    #[error("unresolved placeholder {{{placeholder}}}: {reason}")]
    Unresolved {
        /// The placeholder, without braces.
        placeholder: String,
        /// Why it has no value.
        reason: String,
    },
    /// The URL would be longer than [`MAX_INVOKE_URL_BYTES`].
    #[error("the resolved URL would be longer than {limit} bytes")]
    TooLong {
        /// The limit.
        limit: usize,
    },
}

/// A placeholder of an invoke template.
#[derive(Debug, PartialEq)]
enum Placeholder<'t> {
    /// `{order_id}` or `{order.<path>}`: a path in the order.
    Order(Vec<&'t str>),
    /// `{configuration.adapter.<path>}`: a path in the adapter's configuration.
    Config(Vec<&'t str>),
}

/// A piece of an invoke template.
#[derive(Debug, PartialEq)]
enum Part<'t> {
    Text(&'t str),
    /// The placeholder and its text between the braces (for messages).
    Slot(Placeholder<'t>, &'t str),
}

/// Splits a template into text and placeholders, or says why it is malformed.
fn parse_template(template: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while !rest.is_empty() {
        let open = rest.find('{');
        let close = rest.find('}');
        if let Some(c) = close
            && open.is_none_or(|o| c < o)
        {
            return Err(format!("unbalanced \"}}\" at byte {}", offset + c));
        }
        let Some(o) = open else {
            parts.push(Part::Text(rest));
            break;
        };
        let Some(c) = close else {
            return Err(format!("unbalanced \"{{\" at byte {}", offset + o));
        };
        let inner = &rest[o + 1..c];
        if let Some(nested) = inner.find('{') {
            return Err(format!(
                "unbalanced \"{{\" at byte {}",
                offset + o + 1 + nested
            ));
        }
        if o > 0 {
            parts.push(Part::Text(&rest[..o]));
        }
        parts.push(Part::Slot(placeholder(inner)?, inner));
        offset += c + 1;
        rest = &rest[c + 1..];
    }
    Ok(parts)
}

fn placeholder(inner: &str) -> Result<Placeholder<'_>, String> {
    fn path(p: &str) -> Option<Vec<&str>> {
        let segments: Vec<&str> = p.split('.').collect();
        segments.iter().all(|s| !s.is_empty()).then_some(segments)
    }
    let parsed = if inner == "order_id" {
        Some(Placeholder::Order(vec!["id"]))
    } else if let Some(p) = inner.strip_prefix("configuration.adapter.") {
        path(p).map(Placeholder::Config)
    } else if let Some(p) = inner.strip_prefix("order.") {
        path(p).map(Placeholder::Order)
    } else {
        None
    };
    parsed.ok_or_else(|| {
        format!(
            "unknown placeholder {{{inner}}}: expected {{order_id}}, {{order.<path>}} or \
             {{configuration.adapter.<path>}}"
        )
    })
}

/// Resolves an invoke template: `{order_id}` and `{order.<dotted path>}` from the order JSON,
/// `{configuration.adapter.<dotted path>}` from the adapter's configuration. Strings are
/// inserted as they are, numbers and booleans as their JSON text; a path through an array
/// takes a numeric segment as an index. An absent value, `null`, an object or an array is an
/// error naming the placeholder, as are unbalanced braces and unknown placeholders.
pub fn resolve_invoke(
    template: &str,
    order: &Value,
    adapter_config: Option<&Value>,
) -> Result<String, InvokeError> {
    let mut out = String::with_capacity(template.len() + 32);
    for part in parse_template(template).map_err(InvokeError::Template)? {
        let (placeholder, raw) = match part {
            Part::Text(t) => {
                out.push_str(t);
                continue;
            }
            Part::Slot(p, raw) => (p, raw),
        };
        let unresolved = |reason: String| InvokeError::Unresolved {
            placeholder: raw.to_owned(),
            reason,
        };
        let (root, segments, what) = match &placeholder {
            Placeholder::Order(s) => (order, s, "order"),
            Placeholder::Config(s) => match adapter_config {
                Some(config) => (config, s, "adapter configuration"),
                None => return Err(unresolved("there is no adapter configuration".into())),
            },
        };
        let dotted = segments.join(".");
        let value =
            walk(root, segments).ok_or_else(|| unresolved(format!("{what} has no {dotted:?}")))?;
        match value {
            Value::String(s) => out.push_str(s),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Null => return Err(unresolved(format!("{what} {dotted:?} is null"))),
            Value::Array(_) | Value::Object(_) => {
                return Err(unresolved(format!(
                    "{what} {dotted:?} is an {}, not a string, number or boolean",
                    if value.is_array() { "array" } else { "object" }
                )));
            }
        }
        if out.len() > MAX_INVOKE_URL_BYTES {
            return Err(InvokeError::TooLong {
                limit: MAX_INVOKE_URL_BYTES,
            });
        }
    }
    Ok(out)
}

/// [`resolve_invoke`] on a typed order: only the top-level members the template's
/// `{order…}` placeholders name are serialized (`id` for `{order_id}`), not the whole order.
pub fn resolve_invoke_for(
    template: &str,
    order: &Order,
    adapter_config: Option<&Value>,
) -> Result<String, InvokeError> {
    let roots: Vec<&str> = match parse_template(template) {
        Ok(parts) => parts
            .iter()
            .filter_map(|part| match part {
                Part::Slot(Placeholder::Order(segments), _) => segments.first().copied(),
                _ => None,
            })
            .collect(),
        // `resolve_invoke` reports the malformed template.
        Err(_) => Vec::new(),
    };
    let json = if roots.is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        match parts::members(order, |key| roots.contains(&key)) {
            Ok(members) => Value::Object(members),
            Err(_) => serde_json::to_value(order).unwrap_or(Value::Null),
        }
    };
    resolve_invoke(template, &json, adapter_config)
}

fn walk<'v>(root: &'v Value, segments: &[&str]) -> Option<&'v Value> {
    segments.iter().try_fold(root, |v, s| match v {
        Value::Object(map) => map.get(*s),
        Value::Array(items) => items.get(s.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Whether a template is well formed (balanced braces, known placeholders), or why not.
pub(super) fn check_template(template: &str) -> Result<(), String> {
    parse_template(template).map(drop)
}
