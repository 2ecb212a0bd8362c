//! Parsing with errors that say where: a JSON Pointer to the offending field.
//!
//! Every parse is bounded first ([`OrderLimits`], checked without recursion), because the
//! parse itself recurses once per level of nesting: see [`super::bounds`].

use std::fmt;

use jsonptr::{PointerBuf, Token};
use serde::de::DeserializeOwned;

use super::bounds::{self, BoundsError, OrderLimits};

/// Why a JSON body did not parse as a model type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ModelError {
    /// JSON Pointer (RFC 6901) to the offending field, e.g. `/cart/items/0/quantity`; empty
    /// for the whole document.
    pub path: String,
    /// What was wrong, without serde_json's line/column suffix.
    pub message: String,
    /// The bound the input went past, when it was refused unread for that (then `path` is
    /// empty and `message` is the bound's).
    pub bounds: Option<BoundsError>,
}

impl From<BoundsError> for ModelError {
    fn from(err: BoundsError) -> Self {
        Self {
            path: String::new(),
            message: err.to_string(),
            bounds: Some(err),
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Parses `text` as `T` within the default [`OrderLimits`], rejecting trailing data; errors
/// name the field as a JSON Pointer.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, ModelError> {
    from_json_within(text, &OrderLimits::default())
}

/// Parses `text` as `T`, refusing text over `limits` before serde reads it
/// ([`ModelError::bounds`] says which), and trailing data.
pub fn from_json_within<T: DeserializeOwned>(
    text: &str,
    limits: &OrderLimits,
) -> Result<T, ModelError> {
    bounds::scan(text, limits)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(convert)?;
    de.end().map_err(|e| ModelError {
        path: String::new(),
        message: strip_position(&e),
        bounds: None,
    })?;
    Ok(value)
}

/// Converts an already parsed JSON value to `T` within the default [`OrderLimits`]; errors
/// name the field as a JSON Pointer.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ModelError> {
    from_value_within(value, &OrderLimits::default())
}

/// Converts a JSON value to `T`, refusing a value over `limits` before serde walks it
/// ([`ModelError::bounds`] says which).
pub fn from_value_within<T: DeserializeOwned>(
    value: serde_json::Value,
    limits: &OrderLimits,
) -> Result<T, ModelError> {
    if *limits != OrderLimits::UNBOUNDED {
        bounds::measure(&value, 0, limits.max_depth, limits.max_bytes)?;
    }
    serde_path_to_error::deserialize(value).map_err(convert)
}

/// Turns serde_path_to_error's path into a JSON Pointer.
fn convert(err: serde_path_to_error::Error<serde_json::Error>) -> ModelError {
    use serde_path_to_error::Segment;
    let mut path = PointerBuf::new();
    for segment in err.path().iter() {
        match segment {
            Segment::Seq { index } => path.push_back(*index),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                path.push_back(Token::new(key.as_str()))
            }
            Segment::Unknown => path.push_back("?"),
        }
    }
    ModelError {
        path: path.to_string(),
        message: strip_position(err.inner()),
        bounds: None,
    }
}

/// serde_json's message without ` at line L column C`.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match text.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cart, Order, StateUpdate};

    #[test]
    fn pointer_escapes_and_positions() {
        let err = from_json::<Cart>(r#"{"attributes": {"a/b": 1}, "items": [{"quantity": "2"}]}"#)
            .unwrap_err();
        assert_eq!(err.path, "/items/0/quantity");
        assert_eq!(err.message, "invalid type: string \"2\", expected i64");
        let err = from_json::<StateUpdate>(r#"{"currentStatus": "checkout"} x"#).unwrap_err();
        assert_eq!(err.to_string(), "trailing characters");
        let value = serde_json::json!({"items": [{"colour": "red"}]});
        assert_eq!(
            from_value::<Cart>(value).unwrap_err().path,
            "/items/0/colour"
        );
        let err = from_json::<Order>("{}").unwrap_err();
        assert_eq!(err.to_string(), "missing field `id`");
    }
}
