//! # ordergate-delivery
//!
//! Delivers ordergate's notification events to the merchants' receivers as
//! [Standard Webhooks](https://www.standardwebhooks.com/): a signed `POST` of the event's
//! order to its resolved invoke URL, with every attempt recorded on the event.
//!
//! - [`DeliveryWorker`] claims due events from an [`ordergate::events::EventLog`] (several
//!   workers, on several nodes, share one log through its leases), sends them with at most
//!   [`DeliveryConfig::concurrency`] in flight, records each attempt with what the
//!   [`ordergate::events::RetryPolicy`] (or the receiver: 410 Gone, `Retry-After`) decides,
//!   and on shutdown finishes what is in flight and hands back what it did not send. A
//!   claim that waited so long its lease could end mid-send is handed back, not sent: no
//!   other worker can send the event while this one does.
//! - [`WebhookSecret`] signs (and, for receivers and tests, verifies) the
//!   `webhook-signature` header; [`SecretSource`] / [`Secrets`] give each merchant's
//!   secrets. A merchant without one gets nothing sent.
//! - [`UrlPolicy`] keeps deliveries out of internal networks (SSRF): every address an
//!   invoke URL's host resolves to must be public unless allowed, and the HTTP client
//!   connects only to addresses it checked.
//!
//! ## Running
//! ```no_run
//! use std::sync::Arc;
//! use ordergate::events::EventLog;
//! use ordergate::store::MemoryStore;
//! use ordergate_delivery::{DeliveryConfig, DeliveryWorker, Secrets, UrlPolicy};
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let log: Arc<dyn EventLog> = Arc::new(MemoryStore::new());
//! // `merchant:whsec_…,merchant:whsec_…`; a merchant named twice signs with both secrets.
//! let secrets: Secrets = std::env::var("ORDERGATE_WEBHOOK_SECRETS")?.parse()?;
//! let worker = DeliveryWorker::new(
//!     log,
//!     DeliveryConfig::default(),
//!     Arc::new(secrets),
//!     UrlPolicy::public_only(),
//! )?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let running = tokio::spawn(worker.run(async move {
//!     let _ = stopped.await;
//! }));
//! // … on shutdown:
//! let _ = stop.send(());
//! let report = running.await?;
//! println!("delivered {} events", report.delivered);
//! # Ok(())
//! # }
//! ```
//!
//! ## Requests
//! `POST <invoke>` with `Content-Type: application/json`, the body `payload.order` in the
//! event's body version, and headers `webhook-id` (the event id: stable across attempts,
//! the receiver's idempotency key), `webhook-timestamp` (Unix seconds),
//! `webhook-signature` (`v1,<base64>` per secret, space-separated), `x-merchant`,
//! `x-channel`, `user-agent: ordergate/<version>`. Redirects are not followed.
//!
//! ## Attempts
//! `statusCode` is the receiver's status, or 0 when there was no answer (no invoke URL, no
//! secret, URL refused, connection failed, timed out); `responseBody` is the receiver's
//! JSON object of a non-2xx answer (Problem Details), or a Problem Details object
//! describing the failure (`type` `urn:ordergate:delivery:<reason>`); `responseHeaders`
//! are the receiver's headers. Bodies, headers and values are bounded ([`MAX_BODY_BYTES`],
//! [`MAX_HEADERS`], [`MAX_HEADER_VALUE_BYTES`]) so a hostile receiver cannot bloat the log.

mod answer;
mod config;
mod guard;
mod observer;
mod outcome;
mod secrets;
mod send;
mod signing;
mod worker;

pub use answer::{MAX_BODY_BYTES, MAX_HEADER_VALUE_BYTES, MAX_HEADERS};
pub use config::{ConfigError, DeliveryConfig};
pub use guard::{AddressClass, Allow, GuardedResolver, UrlError, UrlPolicy, check_syntax};
pub use observer::DeliveryObserver;
pub use outcome::RetryAfter;
pub use secrets::{SecretSource, Secrets, SecretsError};
pub use signing::{SecretError, TOLERANCE, VerifyError, WebhookSecret, unix_seconds};
pub use worker::{DeliveryError, DeliveryWorker, RunReport};
