//! Where the worker finds each merchant's signing secrets.

use std::collections::HashMap;
use std::str::FromStr;

use crate::signing::{SecretError, WebhookSecret};

/// The signing secrets of each merchant. Every event is signed with all of its merchant's
/// secrets (the `webhook-signature` header lists one signature per secret), so a merchant
/// can rotate: add the new secret, move the receiver over, remove the old one. A merchant
/// with none gets nothing sent: an unsigned delivery could not be told from a forged one.
pub trait SecretSource: Send + Sync {
    /// The merchant's secrets; empty when none is configured.
    fn secrets(&self, merchant: &str) -> Vec<WebhookSecret>;
}

/// Secrets held in memory, e.g. read from configuration with [`Secrets::from_str`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    by_merchant: HashMap<String, Vec<WebhookSecret>>,
}

/// Why a secrets list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// An entry is not `merchant:whsec_…`.
    #[error("secrets entry {index} is not \"merchant:whsec_…\"")]
    Entry {
        /// Position of the entry in the list, from 1.
        index: usize,
    },
    /// An entry's secret is malformed.
    #[error("secret of merchant {merchant:?}: {source}")]
    Secret {
        /// The entry's merchant.
        merchant: String,
        /// What is wrong with the secret.
        source: SecretError,
    },
}

impl Secrets {
    /// No secrets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret of `merchant` (after any it already has).
    pub fn insert(&mut self, merchant: impl Into<String>, secret: WebhookSecret) -> &mut Self {
        self.by_merchant
            .entry(merchant.into())
            .or_default()
            .push(secret);
        self
    }
}

impl FromStr for Secrets {
    type Err = SecretsError;

    /// Reads `merchant:whsec_…,merchant:whsec_…` (the `ORDERGATE_WEBHOOK_SECRETS` format);
    /// a merchant named twice has two secrets. Whitespace around entries is ignored, and
    /// errors never quote a secret.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut secrets = Self::new();
        let entries = text.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (i, entry) in entries.enumerate() {
            let (merchant, secret) = entry
                .split_once(':')
                .filter(|(m, _)| !m.trim().is_empty())
                .ok_or(SecretsError::Entry { index: i + 1 })?;
            let merchant = merchant.trim();
            let secret = WebhookSecret::parse(secret).map_err(|source| SecretsError::Secret {
                merchant: merchant.to_owned(),
                source,
            })?;
            secrets.insert(merchant, secret);
        }
        Ok(secrets)
    }
}

impl SecretSource for Secrets {
    fn secrets(&self, merchant: &str) -> Vec<WebhookSecret> {
        self.by_merchant.get(merchant).cloned().unwrap_or_default()
    }
}

impl SecretSource for HashMap<String, WebhookSecret> {
    fn secrets(&self, merchant: &str) -> Vec<WebhookSecret> {
        self.get(merchant).cloned().into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const B: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn reads_the_configuration_format() {
        let secrets: Secrets = format!(" norce:{A}, acme:{B},norce:{B} ,").parse().unwrap();
        let strings =
            |m: &str| -> Vec<String> { secrets.secrets(m).iter().map(|s| s.to_string()).collect() };
        assert_eq!(strings("norce"), [A, B]);
        assert_eq!(strings("acme"), [B]);
        assert!(strings("other").is_empty());
        assert!("".parse::<Secrets>().unwrap().secrets("norce").is_empty());
    }

    #[test]
    fn errors_name_the_entry_not_the_secret() {
        let err = format!("norce:{A},{B}").parse::<Secrets>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "secrets entry 2 is not \"merchant:whsec_…\""
        );
        let err = "acme:whsec_c2hvcnQ=".parse::<Secrets>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "secret of merchant \"acme\": a webhook secret's key is 24 to 64 bytes, this one is 5"
        );
    }
}
