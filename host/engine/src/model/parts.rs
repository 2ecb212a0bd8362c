//! An order's JSON a part at a time: the value at a JSON Pointer, or a few top-level
//! members, serialized without serializing the rest of the order.
//!
//! A 20-line order with a hundred notifications is tens of kB of JSON; a notification's
//! scope is usually one string or number in it, and a hook's patch touches one or two
//! top-level members. Both used to serialize the whole order to a `serde_json::Value`
//! (hundreds of µs). Here the order's own `Serialize` implementation is driven into a
//! serializer that skips every member off the path, so what is produced is exactly what
//! the whole serialization holds at that place (same `skip_serializing_if`, same names),
//! and nothing else is built.
//!
//! [`same_member`] and [`set_member`] are the typed side: whether two orders hold the same
//! value in a member (then their JSON there is the same), and replacing one member with
//! a parsed JSON value.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::{Map, Value};

use super::bounds::{self, BoundsError, OrderLimits};

/// What a JSON Pointer finds in a value's JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Nothing there: a member is absent, or the path runs into a scalar or `null`.
    Absent,
    /// The path runs through an array before its end.
    InArray,
    /// The value there ([`Value::Null`] when only probed).
    At(Value),
}

/// A value's shape that the part serializer does not walk (an enum variant with data);
/// the caller serializes the whole value instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PartError(String);

impl ser::Error for PartError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

fn unsupported<T>(what: &str) -> Result<T, PartError> {
    Err(PartError(format!(
        "{what} is not walked by the part serializer"
    )))
}

/// The JSON at decoded pointer `tokens` in `value`'s JSON, serialized alone: the same as
/// `serde_json::to_value(value)` then following the tokens (a numeric token does not
/// index arrays: the path is [`Found::InArray`]).
pub fn pointer_value<T: Serialize + ?Sized>(
    value: &T,
    tokens: &[&str],
) -> Result<Found, PartError> {
    seek(value, tokens, true)
}

/// As [`pointer_value`], without building the value found (`Found::At(Value::Null)`).
pub fn pointer_probe<T: Serialize + ?Sized>(
    value: &T,
    tokens: &[&str],
) -> Result<Found, PartError> {
    seek(value, tokens, false)
}

fn seek<T: Serialize + ?Sized>(
    value: &T,
    tokens: &[&str],
    build: bool,
) -> Result<Found, PartError> {
    if tokens.is_empty() {
        return at(value, build);
    }
    value.serialize(Seek { tokens, build })
}

/// The value itself, as JSON (or a marker that it exists).
fn at<T: Serialize + ?Sized>(value: &T, build: bool) -> Result<Found, PartError> {
    if !build {
        return Ok(Found::At(Value::Null));
    }
    serde_json::to_value(value)
        .map(Found::At)
        .map_err(|e| PartError(e.to_string()))
}

/// Serializes a value while following non-empty `tokens` into it.
struct Seek<'t> {
    tokens: &'t [&'t str],
    build: bool,
}

impl<'t> Seek<'t> {
    /// Descends into a member named `key` if it is the next token.
    fn member<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        found: &mut Option<Found>,
    ) -> Result<(), PartError> {
        if found.is_none() && key == self.tokens[0] {
            *found = Some(seek(value, &self.tokens[1..], self.build)?);
        }
        Ok(())
    }
}

/// A container whose members the walk ignores, ending with a fixed answer.
struct Skip(Found);

macro_rules! absent {
    ($($method:ident($($ty:ty),*);)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<Found, PartError> {
            Ok(Found::Absent)
        }
    )*};
}

impl<'t> ser::Serializer for Seek<'t> {
    type Ok = Found;
    type Error = PartError;
    type SerializeSeq = Skip;
    type SerializeTuple = Skip;
    type SerializeTupleStruct = Skip;
    type SerializeTupleVariant = Impossible<Found, PartError>;
    type SerializeMap = SeekMap<'t>;
    type SerializeStruct = SeekStruct<'t>;
    type SerializeStructVariant = Impossible<Found, PartError>;

    absent! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Found, PartError> {
        // serde_json writes bytes as an array of numbers.
        Ok(Found::InArray)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Found, PartError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Found, PartError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Found, PartError> {
        // serde_json writes `{variant: value}`.
        let mut found = None;
        self.member(variant, value, &mut found)?;
        Ok(found.unwrap_or(Found::Absent))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Skip, PartError> {
        Ok(Skip(Found::InArray))
    }

    fn serialize_tuple(self, _: usize) -> Result<Skip, PartError> {
        Ok(Skip(Found::InArray))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Skip, PartError> {
        Ok(Skip(Found::InArray))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, PartError> {
        unsupported("a tuple variant")
    }

    fn serialize_map(self, _: Option<usize>) -> Result<SeekMap<'t>, PartError> {
        Ok(SeekMap {
            seek: self,
            matched: false,
            found: None,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<SeekStruct<'t>, PartError> {
        Ok(SeekStruct {
            seek: self,
            found: None,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, PartError> {
        unsupported("a struct variant")
    }
}

impl ser::SerializeSeq for Skip {
    type Ok = Found;
    type Error = PartError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), PartError> {
        Ok(())
    }
    fn end(self) -> Result<Found, PartError> {
        Ok(self.0)
    }
}

impl ser::SerializeTuple for Skip {
    type Ok = Found;
    type Error = PartError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), PartError> {
        Ok(())
    }
    fn end(self) -> Result<Found, PartError> {
        Ok(self.0)
    }
}

impl ser::SerializeTupleStruct for Skip {
    type Ok = Found;
    type Error = PartError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), PartError> {
        Ok(())
    }
    fn end(self) -> Result<Found, PartError> {
        Ok(self.0)
    }
}

/// A struct on the path: only the member named by the next token is looked into.
struct SeekStruct<'t> {
    seek: Seek<'t>,
    found: Option<Found>,
}

impl ser::SerializeStruct for SeekStruct<'_> {
    type Ok = Found;
    type Error = PartError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), PartError> {
        self.seek.member(key, value, &mut self.found)
    }
    fn end(self) -> Result<Found, PartError> {
        Ok(self.found.unwrap_or(Found::Absent))
    }
}

/// A map on the path (free-form attributes): keys are compared as the strings serde_json
/// writes them as.
struct SeekMap<'t> {
    seek: Seek<'t>,
    matched: bool,
    found: Option<Found>,
}

impl ser::SerializeMap for SeekMap<'_> {
    type Ok = Found;
    type Error = PartError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), PartError> {
        self.matched = self.found.is_none()
            && match serde_json::to_value(key) {
                Ok(Value::String(k)) => k == self.seek.tokens[0],
                Ok(_) => return unsupported("a map key that is not a string"),
                Err(e) => return Err(PartError(e.to_string())),
            };
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), PartError> {
        if std::mem::take(&mut self.matched) {
            self.found = Some(seek(value, &self.seek.tokens[1..], self.seek.build)?);
        }
        Ok(())
    }
    fn end(self) -> Result<Found, PartError> {
        Ok(self.found.unwrap_or(Found::Absent))
    }
}

/// The top-level members of `value`'s JSON (a struct or map) that `want` names, each
/// serialized alone, as `serde_json::to_value(value)` would hold them.
pub fn members<T: Serialize + ?Sized>(
    value: &T,
    want: impl FnMut(&str) -> bool,
) -> Result<Map<String, Value>, PartError> {
    let mut out = Map::new();
    value.serialize(Members {
        want,
        work: Work::Values(&mut out),
    })?;
    Ok(out)
}

/// A top-level member's JSON name and its compact JSON size, or the bound it passes.
pub type MemberSize = (&'static str, Result<usize, BoundsError>);

/// The compact JSON size of each top-level member of `value` that `want` names, or the
/// bound it passes when it stood in a document of `limits` one level down (its depth
/// counted from the member's own level, 1).
pub fn member_sizes<T: Serialize + ?Sized>(
    value: &T,
    want: impl FnMut(&str) -> bool,
    limits: &OrderLimits,
) -> Result<Vec<MemberSize>, PartError> {
    let mut out = Vec::new();
    value.serialize(Members {
        want,
        work: Work::Sizes(&mut out, member_limits(limits)),
    })?;
    Ok(out)
}

/// The limits a member is measured against: one level is the order's own object.
fn member_limits(limits: &OrderLimits) -> OrderLimits {
    OrderLimits {
        max_bytes: limits.max_bytes,
        max_depth: limits.max_depth.saturating_sub(1),
    }
}

/// What to do with each selected member.
enum Work<'o> {
    Values(&'o mut Map<String, Value>),
    Sizes(&'o mut Vec<MemberSize>, OrderLimits),
}

/// Serializes a struct (or map) by its members, handing the wanted ones to its [`Work`].
struct Members<'o, F> {
    want: F,
    work: Work<'o>,
}

impl<F: FnMut(&str) -> bool> Members<'_, F> {
    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), PartError> {
        if !(self.want)(key) {
            return Ok(());
        }
        match &mut self.work {
            Work::Values(out) => {
                let value = serde_json::to_value(value).map_err(|e| PartError(e.to_string()))?;
                out.insert(key.to_owned(), value);
            }
            Work::Sizes(out, limits) => out.push((key, bounds::check_serialized(value, limits))),
        }
        Ok(())
    }
}

macro_rules! not_a_struct {
    ($($method:ident($($ty:ty),*);)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<(), PartError> {
            unsupported("a value that is not a struct")
        }
    )*};
}

impl<'o, F: FnMut(&str) -> bool> ser::Serializer for Members<'o, F> {
    type Ok = ();
    type Error = PartError;
    type SerializeSeq = Impossible<(), PartError>;
    type SerializeTuple = Impossible<(), PartError>;
    type SerializeTupleStruct = Impossible<(), PartError>;
    type SerializeTupleVariant = Impossible<(), PartError>;
    type SerializeMap = Impossible<(), PartError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), PartError>;

    not_a_struct! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), PartError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), PartError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), PartError> {
        unsupported("an enum")
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, PartError> {
        unsupported("an array")
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, PartError> {
        unsupported("an array")
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, PartError> {
        unsupported("an array")
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, PartError> {
        unsupported("an enum")
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, PartError> {
        // Map keys are not `'static`; the order is a struct.
        unsupported("a map")
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, PartError> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, PartError> {
        unsupported("an enum")
    }
}

impl<F: FnMut(&str) -> bool> ser::SerializeStruct for Members<'_, F> {
    type Ok = ();
    type Error = PartError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), PartError> {
        self.member(key, value)
    }
    fn end(self) -> Result<(), PartError> {
        Ok(())
    }
}

/// The compact JSON size of an object with these members (name, size of its value).
pub fn object_size<'a>(members: impl IntoIterator<Item = (&'a str, usize)>) -> usize {
    let (mut bytes, mut count) = (2usize, 0usize);
    for (key, size) in members {
        bytes = bytes.saturating_add(bounds::string_len(key) + 1 + size);
        count += 1;
    }
    bytes + count.saturating_sub(1)
}

mod typed;

pub use typed::{clone_without, same_member, set_member};

#[cfg(test)]
mod tests;
