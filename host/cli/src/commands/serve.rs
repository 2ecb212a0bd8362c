//! `ordergate serve`: the HTTP API over an engine on SQLite (embedded, the default) or
//! PostgreSQL (several nodes), and the delivery worker that sends notification events.
//!
//! Every setting is a flag and an `ORDERGATE_*` environment variable; the flag wins.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use ordergate::events::{AttemptOutcome, EventLog};
use ordergate::store::Storage;
use ordergate::{Host, SandboxConfig};
use ordergate_delivery::{
    Allow, DeliveryConfig, DeliveryObserver, DeliveryWorker, SecretSource, Secrets, UrlPolicy,
    WebhookSecret,
};
use ordergate_server::{ApiKeys, AppState, GuardedInvokes, Metrics, ServerConfig};
use ordergate_store_sql::{PostgresStore, SqliteStore};
use tokio::sync::watch;

/// Flags of `ordergate serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the log says which).
    #[arg(long, env = "ORDERGATE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory of the embedded database (`ordergate.db`) and the compiled-plugin cache.
    #[arg(long, env = "ORDERGATE_DATA_DIR", default_value = "./ordergate-data")]
    data_dir: PathBuf,
    /// `postgres://user:password@host/db` to keep state in PostgreSQL (several nodes may
    /// share it) instead of the embedded SQLite database in `--data-dir`.
    #[arg(long, env = "ORDERGATE_DATABASE_URL")]
    database_url: Option<String>,
    /// API keys, `merchant:key,merchant:key`. A key opens its merchant only.
    #[arg(long, env = "ORDERGATE_API_KEYS", hide_env_values = true)]
    api_keys: Option<String>,
    /// A file of API keys, one `merchant:key` per line (`#` starts a comment).
    #[arg(long, env = "ORDERGATE_API_KEYS_FILE")]
    api_keys_file: Option<PathBuf>,
    /// Webhook signing secrets, `merchant:whsec_…,…` (a merchant named twice signs with
    /// both, for rotation). Events of a merchant with none are not sent.
    #[arg(long, env = "ORDERGATE_WEBHOOK_SECRETS", hide_env_values = true)]
    webhook_secrets: Option<String>,
    /// Development mode: no API key needed, invoke URLs may be private or loopback, and
    /// merchants without a webhook secret get a generated one (logged at start).
    #[arg(long, env = "ORDERGATE_DEV")]
    dev: bool,
    /// Private destinations invoke URLs may still reach, `10.1.0.0/16,erp.internal`.
    #[arg(long, env = "ORDERGATE_INVOKE_ALLOW", value_delimiter = ',')]
    invoke_allow: Vec<Allow>,
    /// Do not run the delivery worker on this node (events still are recorded).
    #[arg(long, env = "ORDERGATE_NO_DELIVERY")]
    no_delivery: bool,
    /// How long a node holds a claimed event before another node may take it over.
    #[arg(long, env = "ORDERGATE_DELIVERY_LEASE", default_value = "60s", value_parser = humantime::parse_duration)]
    delivery_lease: Duration,
    /// How long a receiver has to answer a delivery.
    #[arg(long, env = "ORDERGATE_DELIVERY_TIMEOUT", default_value = "15s", value_parser = humantime::parse_duration)]
    delivery_timeout: Duration,
    /// How often the delivery worker looks for due events when it found none.
    #[arg(long, env = "ORDERGATE_DELIVERY_POLL", default_value = "500ms", value_parser = humantime::parse_duration)]
    delivery_poll: Duration,
    /// Largest JSON request body, in bytes.
    #[arg(long, env = "ORDERGATE_BODY_LIMIT", default_value_t = ordergate_server::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Largest plugin upload, in bytes.
    #[arg(long, env = "ORDERGATE_UPLOAD_LIMIT", default_value_t = ordergate_server::DEFAULT_UPLOAD_LIMIT)]
    upload_limit: usize,
    /// Longest a request may take before it is answered 408.
    #[arg(long, env = "ORDERGATE_REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    request_timeout: Duration,
    /// How many engine calls (mutations, reads of orders) run at once; more requests
    /// queue. Default: the sandbox's instance capacity or twice the CPUs, whichever is
    /// smaller. A store across the network (PostgreSQL) keeps calls waiting on round
    /// trips and flushes, not on the CPU: more at once may serve more.
    #[arg(long, env = "ORDERGATE_ENGINE_CONCURRENCY")]
    engine_concurrency: Option<usize>,
    /// Log format.
    #[arg(long, env = "ORDERGATE_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Runs the service until SIGINT or SIGTERM, then shuts down gracefully: stops accepting,
/// finishes in-flight requests and deliveries, and hands claimed events back.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let keys = api_keys(&args)?;
    if keys.is_empty() && !args.dev {
        anyhow::bail!(
            "no API keys configured: set ORDERGATE_API_KEYS (merchant:key,…) or \
             --api-keys-file, or pass --dev to run without authentication"
        );
    }
    if args.dev {
        // The first line an operator reads: this node is open.
        tracing::warn!(
            "development mode: {}, private and loopback invoke URLs are allowed, and \
             merchants without a webhook secret get a generated one",
            if keys.is_empty() {
                "no API keys, every merchant is open to every caller"
            } else {
                "API keys are checked"
            }
        );
    }
    let storage = open_storage(&args)?;
    // Compiled plugins are cached per node: a restart loads them instead of compiling.
    let sandbox = SandboxConfig {
        cache_dir: Some(args.data_dir.join("artifacts")),
        ..SandboxConfig::default()
    };
    let host = Host::builder()
        .sandbox(sandbox)
        .store(Arc::clone(&storage))
        .build()
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("starting the engine")?;
    let policy = UrlPolicy {
        allow_private: args.dev,
        allow: args.invoke_allow.clone(),
    };
    let config = ServerConfig {
        api_keys: keys,
        dev: args.dev,
        body_limit: args.body_limit,
        upload_limit: args.upload_limit,
        request_timeout: args.request_timeout,
        engine_concurrency: args.engine_concurrency,
    };
    let host = Arc::new(host);
    let invokes = GuardedInvokes::new(Arc::clone(&host), policy.clone());
    let state = AppState::with_invoke_check(host, config, Arc::new(invokes))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args, storage, state, policy))
}

async fn serve(
    args: ServeArgs,
    storage: Arc<dyn Storage>,
    state: AppState,
    policy: UrlPolicy,
) -> anyhow::Result<()> {
    let (stop, stopping) = watch::channel(false);
    let worker = if args.no_delivery {
        tracing::info!("delivery worker off (--no-delivery)");
        None
    } else {
        let secrets = secrets(&args)?;
        let config = DeliveryConfig {
            lease: args.delivery_lease,
            request_timeout: args.delivery_timeout,
            poll_interval: args.delivery_poll,
            ..DeliveryConfig::default()
        };
        let log: Arc<dyn EventLog> = storage;
        let worker = DeliveryWorker::new(log, config, secrets, policy)?
            .with_observer(Arc::new(CountDeliveries(state.metrics().clone())));
        let shutdown = stopped(stopping.clone());
        Some(tokio::spawn(worker.run(shutdown)))
    };

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening on http://{address}");
    let app = ordergate_server::router(state);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests and deliveries");
            let _ = stop.send(true);
        })
        .await;
    if let Some(worker) = worker {
        match worker.await {
            Ok(report) => tracing::info!(
                delivered = report.delivered,
                released = report.released,
                "delivery worker stopped"
            ),
            Err(err) => tracing::error!(%err, "delivery worker failed"),
        }
    }
    served.context("serving HTTP")
}

/// Resolves when `stopping` turns true (or its sender is gone).
async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// SIGINT (Ctrl-C) or SIGTERM (what a process supervisor sends).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ORDERGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(false).init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn api_keys(args: &ServeArgs) -> anyhow::Result<ApiKeys> {
    let mut text = args.api_keys.clone().unwrap_or_default();
    if let Some(path) = &args.api_keys_file {
        let file = std::fs::read_to_string(path)
            .with_context(|| format!("reading API keys from {}", path.display()))?;
        let lines = file
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty());
        for line in lines {
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(line);
        }
    }
    if text.trim().is_empty() {
        return Ok(ApiKeys::new());
    }
    ApiKeys::parse(&text).context("parsing API keys")
}

fn secrets(args: &ServeArgs) -> anyhow::Result<Arc<dyn SecretSource>> {
    let configured: Secrets = match &args.webhook_secrets {
        Some(text) if !text.trim().is_empty() => text.parse().context("parsing webhook secrets")?,
        _ => Secrets::new(),
    };
    if !args.dev {
        return Ok(Arc::new(configured));
    }
    let generated = WebhookSecret::generate().context("generating a webhook secret")?;
    tracing::warn!(
        secret = %generated,
        "development mode: merchants without a webhook secret sign with this generated one"
    );
    Ok(Arc::new(DevSecrets {
        configured,
        generated,
    }))
}

/// Development mode's secrets: the configured ones, else one generated at start.
struct DevSecrets {
    configured: Secrets,
    generated: WebhookSecret,
}

impl SecretSource for DevSecrets {
    fn secrets(&self, merchant: &str) -> Vec<WebhookSecret> {
        let found = self.configured.secrets(merchant);
        if found.is_empty() {
            vec![self.generated.clone()]
        } else {
            found
        }
    }
}

/// Feeds delivery outcomes into the service's metrics.
struct CountDeliveries(Metrics);

impl DeliveryObserver for CountDeliveries {
    fn attempted(
        &self,
        _: &ordergate::events::NotificationEvent,
        _: &ordergate::events::Attempt,
        outcome: &AttemptOutcome,
        _: Duration,
    ) {
        self.0.record_delivery(outcome);
    }
}

fn open_storage(args: &ServeArgs) -> anyhow::Result<Arc<dyn Storage>> {
    match &args.database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = PostgresStore::connect(url).context("connecting to PostgreSQL")?;
            tracing::info!("state in PostgreSQL");
            Ok(Arc::new(store))
        }
        Some(url) => anyhow::bail!(
            "--database-url must be a postgres:// URL (leave it out for the embedded \
             database in --data-dir); got {:?}",
            url.split('@').next_back().unwrap_or(url)
        ),
        None => {
            let path = args.data_dir.join("ordergate.db");
            let store = SqliteStore::open(&path)
                .with_context(|| format!("opening the database {}", path.display()))?;
            tracing::info!(path = %path.display(), "state in SQLite");
            Ok(Arc::new(store))
        }
    }
}
