//! [`AppState`]: what every handler shares (the engine, the settings, the metrics, the
//! invoke-URL check), and the one way handlers call the engine: on the blocking pool, a
//! bounded number at a time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ordergate::Host;
use ordergate::model::Notification;
use ordergate::notify::SchemaCache;
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// A boxed future, as [`InvokeCheck`] returns (a trait object cannot have `async fn`s).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Checks a notification's `invoke` before it is registered, so that a merchant cannot make
/// the platform call addresses it must not (the delivery crate's URL policy implements it
/// after DNS resolution). The server calls it on `POST …/notifications` after the
/// notification's own checks passed.
pub trait InvokeCheck: Send + Sync {
    /// `Ok` to accept; `Err(reason)` refuses the notification with a 400
    /// `invalid-notification` problem naming `/invoke` and saying `reason`.
    fn check<'a>(
        &'a self,
        merchant: &'a str,
        notification: &'a Notification,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// The default [`InvokeCheck`]: accepts every invoke URL.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllowAllInvokes;

impl InvokeCheck for AllowAllInvokes {
    fn check<'a>(&'a self, _: &'a str, _: &'a Notification) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// Why the state could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// No API key is configured and development mode is off: every request would be
    /// refused, or (worse) every merchant open.
    #[error("no API keys are configured: configure keys, or run in development mode (--dev)")]
    NoApiKeys,
}

/// Everything the handlers share. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    host: Arc<Host>,
    config: ServerConfig,
    metrics: Metrics,
    invoke_check: Arc<dyn InvokeCheck>,
    engine_slots: Arc<Semaphore>,
    engine_capacity: usize,
    schemas: SchemaCache,
}

impl AppState {
    /// The state of a server over `host` with `config`, accepting every invoke URL (see
    /// [`AppState::with_invoke_check`]). Refuses a configuration without API keys unless
    /// `config.dev`.
    pub fn new(host: Arc<Host>, config: ServerConfig) -> Result<Self, StateError> {
        Self::with_invoke_check(host, config, Arc::new(AllowAllInvokes))
    }

    /// [`AppState::new`] with the check `invoke_check` on notification creation.
    pub fn with_invoke_check(
        host: Arc<Host>,
        config: ServerConfig,
        invoke_check: Arc<dyn InvokeCheck>,
    ) -> Result<Self, StateError> {
        if config.api_keys.is_empty() && !config.dev {
            return Err(StateError::NoApiKeys);
        }
        let engine_capacity = config
            .engine_concurrency
            .unwrap_or_else(|| default_concurrency(&host))
            .max(1);
        Ok(Self {
            inner: Arc::new(Inner {
                host,
                config,
                metrics: Metrics::new(),
                invoke_check,
                engine_slots: Arc::new(Semaphore::new(engine_capacity)),
                engine_capacity,
                schemas: SchemaCache::default(),
            }),
        })
    }

    /// The engine.
    pub fn host(&self) -> &Arc<Host> {
        &self.inner.host
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The metrics (the delivery worker reports its attempts here:
    /// [`Metrics::record_delivery`]).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// How many engine calls run at once.
    pub fn engine_capacity(&self) -> usize {
        self.inner.engine_capacity
    }

    pub(crate) fn invoke_check(&self) -> &dyn InvokeCheck {
        &*self.inner.invoke_check
    }

    /// The compiled schemas of notifications checked at the door (the engine checks them
    /// again; this copy gives the typed error that names the field).
    pub(crate) fn schemas(&self) -> &SchemaCache {
        &self.inner.schemas
    }

    /// Runs `call` with the engine on the blocking pool, once a slot is free: engine and
    /// store calls are synchronous and CPU-bound, and the sandbox has a bounded instance
    /// pool, so requests queue here rather than fail or starve the async executor.
    pub(crate) async fn engine<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Host) -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.inner.engine_slots)
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Engine("the engine is shutting down".into()))?;
        self.unqueued(move |host| {
            let _permit = permit;
            call(host)
        })
        .await
    }

    /// Runs `call` on the blocking pool without waiting for an engine slot: for the cheap
    /// store reads of readiness and metrics, which must answer while plugins keep every
    /// slot busy.
    pub(crate) async fn unqueued<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Host) -> T + Send + 'static,
        T: Send + 'static,
    {
        let host = Arc::clone(&self.inner.host);
        // The request's span follows the call, so the engine's own log lines carry the
        // request and order ids.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| call(&host)))
            .await
            .map_err(|e| ApiError::Engine(e.to_string()))
    }
}

fn default_concurrency(host: &Host) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let instances =
        usize::try_from(host.sandbox().config().max_concurrent_instances).unwrap_or(usize::MAX);
    instances.min(2 * cpus)
}
