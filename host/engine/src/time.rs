//! Times on the wire: `#[serde(with = "crate::time")]` for a [`SystemTime`] field.
//!
//! The event model keeps its times as [`SystemTime`] so that stores and workers compare
//! instants, not strings. The JSON stays what the notification service has always served:
//! RFC 3339 in UTC with microseconds (`2024-04-26T09:09:14.382889Z`, as
//! [`humantime::format_rfc3339_micros`] writes it). Parsing accepts any RFC 3339 time: any
//! number of fraction digits, `Z` or a numeric offset (`+02:00`), which humantime alone
//! does not read.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serializer};

/// Serializes `time` as RFC 3339 UTC with microseconds.
pub fn serialize<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_micros(*time))
}

/// Parses an RFC 3339 time; anything else is a deserialization error naming the text.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SystemTime, D::Error> {
    let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| {
        serde::de::Error::custom(format_args!("{text:?} is not an RFC 3339 timestamp"))
    })
}

/// Parses an RFC 3339 time (`Z` or a `±HH:MM` offset); `None` when it is not one.
pub fn parse(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    // humantime reads UTC times only: a numeric offset is split off, the local time read as
    // if it were UTC, then moved by the offset (`+02:00` is two hours ahead of UTC).
    let offset = match bytes.len().checked_sub(6).map(|i| (i, &bytes[i..])) {
        Some((i, [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]))
            if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) =>
        {
            let digit = |b: &u8| u64::from(b - b'0');
            let minutes = (digit(h1) * 10 + digit(h2)) * 60 + digit(m1) * 10 + digit(m2);
            Some((i, *sign == b'+', Duration::from_secs(minutes * 60)))
        }
        _ => None,
    };
    match offset {
        None if text.ends_with('Z') => humantime::parse_rfc3339_weak(text).ok(),
        None => None,
        Some((i, ahead, by)) => {
            let local = humantime::parse_rfc3339_weak(&text[..i]).ok()?;
            if ahead {
                local.checked_sub(by)
            } else {
                local.checked_add(by)
            }
        }
    }
}
