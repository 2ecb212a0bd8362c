//! How a delivery worker paces itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ordergate::clock::{Clock, IdGenerator, RandomIds, SystemClock};
use ordergate::events::RetryPolicy;

/// A delivery worker's settings. [`DeliveryConfig::default`] gives the documented defaults;
/// change fields as needed.
#[derive(Clone)]
pub struct DeliveryConfig {
    /// Longest a receiver may take to answer, body included (default 15 s, the Standard
    /// Webhooks recommendation); a slower one counts as no answer (status 0).
    pub request_timeout: Duration,
    /// How long a claim keeps an event from other workers (default 60 s). Longer than the
    /// request timeout, so a send that runs to its timeout can still record its attempt.
    pub lease: Duration,
    /// Events claimed per round (default 32).
    pub batch: usize,
    /// Wait between rounds when the last one found fewer events than a batch (default
    /// 500 ms): the latency of a new event when the log is idle.
    pub poll_interval: Duration,
    /// Sends in flight at once (default 8).
    pub concurrency: usize,
    /// When failed deliveries are tried again (default: the Standard Webhooks schedule).
    pub retry: RetryPolicy,
    /// Latest a receiver's `Retry-After` may put the next attempt (default 24 h): a
    /// receiver cannot park an event for a year.
    pub max_retry_after: Duration,
    /// `User-Agent` of the requests (default `ordergate/<version>`).
    pub user_agent: String,
    /// Where "now" comes from for claims, attempts and the retry schedule (default: the
    /// system clock); tests move a clock of their own instead of sleeping.
    pub clock: Arc<dyn Clock>,
    /// Ids of attempts (default: random, `att_…`).
    pub ids: Arc<dyn IdGenerator>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(15),
            lease: Duration::from_secs(60),
            batch: 32,
            poll_interval: Duration::from_millis(500),
            concurrency: 8,
            retry: RetryPolicy::default(),
            max_retry_after: Duration::from_secs(24 * 60 * 60),
            user_agent: concat!("ordergate/", env!("CARGO_PKG_VERSION")).to_owned(),
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
        }
    }
}

/// A [`DeliveryConfig`] a worker cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `batch` is 0: no round would claim anything.
    #[error("the delivery batch must be at least 1")]
    EmptyBatch,
    /// `concurrency` is 0: nothing would be sent.
    #[error("delivery concurrency must be at least 1")]
    NoConcurrency,
    /// The lease ends before a send that runs to its timeout: such a send could never record
    /// its attempt, and another worker would send the event again meanwhile.
    #[error("the delivery lease ({lease:?}) must be longer than the request timeout ({timeout:?})")]
    LeaseTooShort {
        /// The lease.
        lease: Duration,
        /// The request timeout.
        timeout: Duration,
    },
}

impl DeliveryConfig {
    /// Checks that a worker can run with these settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch == 0 {
            return Err(ConfigError::EmptyBatch);
        }
        if self.concurrency == 0 {
            return Err(ConfigError::NoConcurrency);
        }
        if self.lease <= self.request_timeout {
            return Err(ConfigError::LeaseTooShort {
                lease: self.lease,
                timeout: self.request_timeout,
            });
        }
        Ok(())
    }
}

impl fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("request_timeout", &self.request_timeout)
            .field("lease", &self.lease)
            .field("batch", &self.batch)
            .field("poll_interval", &self.poll_interval)
            .field("concurrency", &self.concurrency)
            .field("retry", &self.retry)
            .field("max_retry_after", &self.max_retry_after)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_nonsense_is_refused() {
        let config = DeliveryConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.user_agent, "ordergate/0.1.0");
        let short = DeliveryConfig {
            lease: Duration::from_secs(15),
            ..DeliveryConfig::default()
        };
        assert_eq!(
            short.validate().unwrap_err().to_string(),
            "the delivery lease (15s) must be longer than the request timeout (15s)"
        );
        let none = DeliveryConfig {
            concurrency: 0,
            ..DeliveryConfig::default()
        };
        assert_eq!(none.validate(), Err(ConfigError::NoConcurrency));
        let empty = DeliveryConfig {
            batch: 0,
            ..DeliveryConfig::default()
        };
        assert_eq!(empty.validate(), Err(ConfigError::EmptyBatch));
    }
}
