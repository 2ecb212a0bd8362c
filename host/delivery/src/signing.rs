//! Standard Webhooks symmetric signatures: `v1,` + base64 of HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, keyed with a `whsec_`-prefixed base64 secret.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix Standard Webhooks writes secrets with.
const PREFIX: &str = "whsec_";

/// Version tag of a symmetric signature.
const VERSION: &str = "v1";

/// The key sizes Standard Webhooks recommends (192 to 512 bits): shorter keys are guessable,
/// longer ones are a sign of a pasted wrong value.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// Bytes of a generated key: the spec's 256-bit middle ground.
const GENERATED_BYTES: usize = 32;

/// How far a signed timestamp may be from the receiver's clock before [`WebhookSecret::verify`]
/// refuses it: replayed deliveries older than this are rejected (Standard Webhooks: 5 min).
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// A merchant's signing secret. Its key never appears in `Debug` output (logs); `Display`
/// writes it back as `whsec_…` for configuration files on purpose.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
    /// HMAC keyed once: each signature clones it instead of hashing the key again.
    keyed: HmacSha256,
}

impl PartialEq for WebhookSecret {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for WebhookSecret {}

/// Why a secret could not be read or made.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The text does not start with `whsec_`.
    #[error("a webhook secret starts with \"whsec_\"")]
    MissingPrefix,
    /// What follows the prefix is not base64.
    #[error("a webhook secret is \"whsec_\" followed by base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The key is too short or too long.
    #[error("a webhook secret's key is 24 to 64 bytes, this one is {len}")]
    Length {
        /// Bytes decoded.
        len: usize,
    },
    /// The operating system's random source failed.
    #[error("no randomness for a new webhook secret: {0}")]
    Random(getrandom::Error),
}

/// Why [`WebhookSecret::verify`] refused a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The timestamp is more than [`TOLERANCE`] away from now (a replay, or a skewed clock).
    #[error("webhook timestamp {timestamp} is more than 5 minutes from now ({now})")]
    Timestamp {
        /// The signed timestamp (Unix seconds).
        timestamp: i64,
        /// The receiver's time (Unix seconds).
        now: i64,
    },
    /// No `v1` signature of the list matches the message.
    #[error("no webhook signature matches")]
    NoMatch,
}

impl WebhookSecret {
    /// Reads `whsec_<base64 key>`.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(SecretError::MissingPrefix)?;
        Self::from_key(STANDARD.decode(encoded)?)
    }

    /// A secret of these key bytes (24 to 64 of them).
    pub fn from_key(key: Vec<u8>) -> Result<Self, SecretError> {
        let len = key.len();
        if !KEY_BYTES.contains(&len) {
            return Err(SecretError::Length { len });
        }
        let keyed = HmacSha256::new_from_slice(&key).map_err(|_| SecretError::Length { len })?;
        Ok(Self { key, keyed })
    }

    /// A new random secret of 32 bytes from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, SecretError> {
        let mut key = vec![0; GENERATED_BYTES];
        getrandom::fill(&mut key).map_err(SecretError::Random)?;
        Self::from_key(key)
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value of a message: `v1,<base64 HMAC-SHA256>` over
    /// `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("{VERSION},{}", STANDARD.encode(tag))
    }

    /// Checks a delivery as a receiver would: the `webhook-timestamp` is within [`TOLERANCE`]
    /// of `now`, and one of the space-separated `webhook-signature` entries is this
    /// secret's `v1` signature (several entries let a sender rotate secrets). Entries of
    /// other versions or that are not base64 are skipped; the comparison is constant-time.
    pub fn verify(
        &self,
        id: &str,
        timestamp: i64,
        body: &[u8],
        signatures: &str,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let now = unix_seconds(now);
        if now.abs_diff(timestamp) > TOLERANCE.as_secs() {
            return Err(VerifyError::Timestamp { timestamp, now });
        }
        let mac = self.mac(id, timestamp, body);
        let matched = signatures
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == VERSION)
            .filter_map(|(_, encoded)| STANDARD.decode(encoded).ok())
            .any(|tag| mac.clone().verify_slice(&tag).is_ok());
        if matched {
            Ok(())
        } else {
            Err(VerifyError::NoMatch)
        }
    }
}

/// Unix seconds of a time (negative before 1970), as `webhook-timestamp` writes it.
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

impl fmt::Display for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", STANDARD.encode(&self.key))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(whsec_<redacted>)")
    }
}

impl std::str::FromStr for WebhookSecret {
    type Err = SecretError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks reference vector: test `test_sign` of the project's Rust library,
    // standard-webhooks/standard-webhooks, libraries/rust/src/lib.rs (commit 1e88c9ce).
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TIMESTAMP: i64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn at(seconds: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
    }

    #[test]
    fn signs_the_reference_vector() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(secret.sign(ID, TIMESTAMP, BODY), SIGNATURE);
        assert_eq!(secret.to_string(), SECRET);
        assert_eq!(
            format!("{secret:?}"),
            "WebhookSecret(whsec_<redacted>)",
            "the key never reaches logs"
        );
    }

    #[test]
    fn verifies_within_tolerance_and_among_several_signatures() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let list = format!("v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ= v1a,xyz {SIGNATURE}");
        assert_eq!(
            secret.verify(ID, TIMESTAMP, BODY, &list, at(TIMESTAMP)),
            Ok(())
        );
        assert_eq!(
            secret.verify(ID, TIMESTAMP, BODY, SIGNATURE, at(TIMESTAMP + 300)),
            Ok(())
        );
        assert_eq!(
            secret.verify(ID, TIMESTAMP, BODY, SIGNATURE, at(TIMESTAMP + 301)),
            Err(VerifyError::Timestamp {
                timestamp: TIMESTAMP,
                now: TIMESTAMP + 301
            })
        );
        assert_eq!(
            secret.verify(ID, TIMESTAMP, BODY, SIGNATURE, at(TIMESTAMP - 301)),
            Err(VerifyError::Timestamp {
                timestamp: TIMESTAMP,
                now: TIMESTAMP - 301
            })
        );
        let tampered = br#"{"email":"test@example.com","username":"other"}"#;
        assert_eq!(
            secret.verify(ID, TIMESTAMP, tampered, SIGNATURE, at(TIMESTAMP)),
            Err(VerifyError::NoMatch)
        );
        let other = WebhookSecret::generate().unwrap();
        assert_eq!(
            other.verify(ID, TIMESTAMP, BODY, SIGNATURE, at(TIMESTAMP)),
            Err(VerifyError::NoMatch)
        );
    }

    #[test]
    fn parse_refuses_malformed_secrets() {
        assert!(matches!(
            WebhookSecret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            Err(SecretError::MissingPrefix)
        ));
        assert!(matches!(
            WebhookSecret::parse("whsec_not base64!"),
            Err(SecretError::Base64(_))
        ));
        let err = WebhookSecret::parse("whsec_c2hvcnQ=").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a webhook secret's key is 24 to 64 bytes, this one is 5"
        );
        let generated = WebhookSecret::generate().unwrap();
        assert_eq!(
            WebhookSecret::parse(&generated.to_string()).unwrap(),
            generated
        );
        assert_ne!(generated, WebhookSecret::generate().unwrap());
    }
}
