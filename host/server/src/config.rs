//! The server's settings and its API keys.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Default body limit of the JSON routes: 1 MiB (an order is bounded well below that).
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// Default size limit of a plugin upload (the whole multipart body): 4 MiB.
pub const DEFAULT_UPLOAD_LIMIT: usize = 4 << 20;
/// Default time a request may take before it is answered 408: 30 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How the server behaves. Plain data: the binary fills it from flags and environment.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Which API key opens which merchant.
    pub api_keys: ApiKeys,
    /// Development mode: with no API keys every merchant is open without a key. Without it,
    /// a server with no keys refuses to be built ([`crate::StateError::NoApiKeys`]).
    pub dev: bool,
    /// Largest body of the JSON routes, in bytes; larger bodies get 413. Default
    /// [`DEFAULT_BODY_LIMIT`].
    pub body_limit: usize,
    /// Largest plugin upload (the whole multipart body), in bytes; larger uploads get 413,
    /// before the body is read when `Content-Length` says so. Default
    /// [`DEFAULT_UPLOAD_LIMIT`].
    pub upload_limit: usize,
    /// Time a request may take; later it is answered 408. Default
    /// [`DEFAULT_REQUEST_TIMEOUT`]. An engine call already running finishes in the
    /// background (its result, e.g. a committed order, stands).
    pub request_timeout: Duration,
    /// How many engine calls run at once on the blocking pool; more requests wait in a
    /// queue rather than fail. `None`: the sandbox's concurrent-instance capacity or twice
    /// the CPUs, whichever is smaller.
    pub engine_concurrency: Option<usize>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            api_keys: ApiKeys::default(),
            dev: false,
            body_limit: DEFAULT_BODY_LIMIT,
            upload_limit: DEFAULT_UPLOAD_LIMIT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            engine_concurrency: None,
        }
    }
}

/// API keys per merchant, kept only as SHA-256 hashes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKeys {
    hashes: BTreeMap<String, [u8; 32]>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Merchants only: even hashes of keys stay out of logs.
        f.debug_set().entries(self.hashes.keys()).finish()
    }
}

/// Why an API key list did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeysError {
    /// An entry is not `merchant:key`.
    #[error("API key entry {index} is not `merchant:key`")]
    Malformed {
        /// Position of the entry (0-based).
        index: usize,
    },
    /// An entry has an empty merchant or key.
    #[error("API key entry {index} has an empty merchant or key")]
    Empty {
        /// Position of the entry (0-based).
        index: usize,
    },
    /// Two entries name the same merchant.
    #[error("merchant {0:?} has more than one API key")]
    Duplicate(String),
}

impl ApiKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `merchant:key,merchant:key,…` (the `ORDERGATE_API_KEYS` format); the key is
    /// everything after the first `:`. Blank entries are skipped.
    pub fn parse(text: &str) -> Result<Self, ApiKeysError> {
        let mut keys = Self::new();
        for (index, entry) in text.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let (merchant, key) = entry
                .split_once(':')
                .ok_or(ApiKeysError::Malformed { index })?;
            if merchant.is_empty() || key.is_empty() {
                return Err(ApiKeysError::Empty { index });
            }
            if keys.hashes.contains_key(merchant) {
                return Err(ApiKeysError::Duplicate(merchant.to_owned()));
            }
            keys.insert(merchant, key);
        }
        Ok(keys)
    }

    /// Sets `merchant`'s key (replacing any earlier one); only its hash is kept.
    pub fn insert(&mut self, merchant: impl Into<String>, key: &str) {
        self.hashes.insert(merchant.into(), hash(key));
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The merchant `key` opens, if any. Every stored hash is compared in constant time,
    /// so the answer's timing says nothing about which key, or how much of one, matched.
    pub fn merchant_of(&self, key: &str) -> Option<&str> {
        let presented = hash(key);
        let mut found = None;
        for (merchant, stored) in &self.hashes {
            if constant_time_eq(stored, &presented) {
                found = Some(merchant.as_str());
            }
        }
        found
    }
}

fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_keys() {
        let keys = ApiKeys::parse("acme:k1:with-colon, globex:k2,").unwrap();
        assert_eq!(keys.merchant_of("k1:with-colon"), Some("acme"));
        assert_eq!(keys.merchant_of("k2"), Some("globex"));
        assert_eq!(keys.merchant_of("k3"), None);
        assert_eq!(format!("{keys:?}"), r#"{"acme", "globex"}"#);
        assert_eq!(
            ApiKeys::parse("acme"),
            Err(ApiKeysError::Malformed { index: 0 })
        );
        assert_eq!(
            ApiKeys::parse("a:1,:2"),
            Err(ApiKeysError::Empty { index: 1 })
        );
        assert_eq!(
            ApiKeys::parse("a:1,a:2"),
            Err(ApiKeysError::Duplicate("a".into()))
        );
    }
}
