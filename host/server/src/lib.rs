//! # ordergate-server
//!
//! The ordergate HTTP API as an axum [`Router`](axum::Router) an embedder can mount: the
//! order routes of the Norce Checkout Order Management API, the notification event routes
//! of its Notification API, plugin upload and adapter configurations, over an
//! [`ordergate::Host`].
//!
//! ```no_run
//! use std::sync::Arc;
//! use ordergate_server::{ApiKeys, AppState, ServerConfig, router};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let host = Arc::new(ordergate::Host::builder().build()?);
//! let config = ServerConfig { api_keys: ApiKeys::parse("acme:secret")?, ..ServerConfig::default() };
//! let app = router(AppState::new(host, config)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! ## Behaviour
//! - **Tenancy.** `x-merchant` and `x-channel` are required on order and plugin routes,
//!   `x-merchant` on event and configuration routes (missing or empty: 400
//!   `missing-header` naming it); `x-adapterid` names the acting adapter.
//! - **Auth.** `Authorization: <key>` or `Bearer <key>`; keys per merchant
//!   ([`ApiKeys`], hashed). No valid key: 401; another merchant's key: 403. Ids are looked
//!   up within the caller's merchant, so another merchant's order, plugin or event is a
//!   plain 404. Development mode with no keys opens every merchant.
//! - **Mutations** answer 200 with the order and `ETag: "<version>"`; `If-Match:
//!   "<version>"` makes them compare-and-set (stale: 412, no plugin runs). With
//!   `?trace=true` or `x-ordergate-trace: true` the body is `{order, version, trace}`
//!   instead, and a refusal's problem carries `trace`. The spec's "No content" routes
//!   (notification create and delete, hook delete) answer 204 (200 with the trace when
//!   asked for). Order create answers 201 with `Location`; `PUT …/reference` takes
//!   `{"reference": "…"}`.
//! - **Errors** are RFC 9457 Problem Details ([`Problem`], [`ProblemType`]):
//!   `type: /problems/<slug>`, `title`, `status`, `detail`, `instance` (the request path),
//!   and `violations`, `field` or `header` where they apply.
//! - **Bounds.** JSON bodies up to [`ServerConfig::body_limit`], plugin uploads up to
//!   [`ServerConfig::upload_limit`] (413 beyond), answers within
//!   [`ServerConfig::request_timeout`] (408 beyond). Engine calls run on the blocking pool,
//!   at most [`AppState::engine_capacity`] at once; the rest queue (readiness and metrics
//!   read the store without queueing).
//! - **Observability.** One `request` span per request (method, route, request id, order
//!   id, status); the request id (`x-request-id`, generated when absent, echoed) goes into
//!   the engine's trace. `GET /metrics` ([`Metrics`]), `GET /healthz`, `GET /readyz`,
//!   `GET /openapi.json` ([`openapi`]).

mod config;
mod error;
mod extract;
mod invoke_guard;
mod metrics;
mod observe;
mod problem;
mod routes;
mod state;

pub use config::{
    ApiKeys, ApiKeysError, DEFAULT_BODY_LIMIT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_UPLOAD_LIMIT,
    ServerConfig,
};
pub use error::ApiError;
pub use extract::{ADAPTER_HEADER, CHANNEL_HEADER, MERCHANT_HEADER, RequestId, TRACE_HEADER, etag};
pub use invoke_guard::GuardedInvokes;
pub use metrics::Metrics;
pub use observe::REQUEST_ID_HEADER;
pub use problem::{PROBLEM_CONTENT_TYPE, Problem, ProblemType};
pub use routes::{openapi, router};
pub use state::{AllowAllInvokes, AppState, BoxFuture, InvokeCheck, StateError};
