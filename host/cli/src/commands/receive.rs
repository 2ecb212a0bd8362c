//! `ordergate receive`: a small webhook receiver for plugin authors and the README's
//! walkthrough. Every request, on any path, is taken as one Standard Webhooks delivery: its
//! signature is checked when the secret is given, one line describing it goes to stdout,
//! and the answer is what the sender should record for the attempt.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ordergate_delivery::{VerifyError, WebhookSecret};
use serde_json::Value;

/// Flags of `ordergate receive`.
#[derive(Debug, clap::Args)]
pub struct ReceiveArgs {
    /// Address to listen on (port 0: any free port; stderr says which).
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// The merchant's webhook signing secret (`whsec_…`; `serve --dev` logs the one it
    /// generated). Deliveries it does not verify are answered 401; without it, signatures
    /// are not checked.
    #[arg(long, env = "ORDERGATE_RECEIVE_SECRET", hide_env_values = true)]
    secret: Option<WebhookSecret>,
    /// The status to answer deliveries with, e.g. 503 to watch the sender retry.
    #[arg(long, default_value = "204", value_parser = parse_status)]
    status: StatusCode,
}

/// A final HTTP status (200 to 599): an informational one is no answer to a delivery.
fn parse_status(text: &str) -> Result<StatusCode, String> {
    let code: u16 = text
        .parse()
        .map_err(|_| format!("{text:?} is not an HTTP status code"))?;
    match StatusCode::from_u16(code) {
        Ok(status) if (200..=599).contains(&code) => Ok(status),
        _ => Err(format!("{code} is not a final HTTP status (200 to 599)")),
    }
}

/// What every request is checked against and answered with.
struct Receiver {
    secret: Option<WebhookSecret>,
    status: StatusCode,
}

/// Listens until the process is stopped (Ctrl-C, `kill`): a receiver keeps no state to
/// save, so it needs no graceful shutdown.
pub fn run(args: ReceiveArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ReceiveArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let checking = if args.secret.is_some() {
        "checking signatures"
    } else {
        "not checking signatures: pass --secret whsec_… to check them"
    };
    // stdout is for deliveries only, so scripts can read it line by line.
    let _ = writeln!(
        std::io::stderr(),
        "ordergate receive: listening on http://{address} ({checking})"
    );
    let receiver = Arc::new(Receiver {
        secret: args.secret,
        status: args.status,
    });
    let app = Router::new().fallback(receive).with_state(receiver);
    axum::serve(listener, app).await.context("serving HTTP")
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = check(receiver.secret.as_ref(), &headers, &body, SystemTime::now());
    // A closed stdout (the reader went away) must not stop the receiver from answering.
    let _ = writeln!(
        std::io::stdout().lock(),
        "{}",
        describe(&headers, &body, &signature)
    );
    match signature {
        Signature::Invalid(why) => problem(StatusCode::UNAUTHORIZED, &why.to_string()),
        Signature::Verified | Signature::Unchecked => answer(receiver.status),
    }
}

/// What the signature check found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signature {
    /// No secret was given.
    Unchecked,
    /// One of the `webhook-signature` entries is the secret's, at an acceptable time.
    Verified,
    /// Why the delivery is not the sender's.
    Invalid(Refused),
}

/// Why a delivery did not verify: what the receiver prints and answers 401 with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Refused {
    /// A Standard Webhooks header is absent (or not text).
    #[error("no {0} header")]
    Missing(&'static str),
    /// `webhook-timestamp` is not an integer.
    #[error("{WEBHOOK_TIMESTAMP} {0:?} is not Unix seconds")]
    Timestamp(String),
    /// The timestamp is too old or new, or no signature matches.
    #[error(transparent)]
    Signature(#[from] VerifyError),
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signature::Unchecked => f.write_str("unchecked"),
            Signature::Verified => f.write_str("verified"),
            Signature::Invalid(why) => write!(f, "invalid: {why}"),
        }
    }
}

const WEBHOOK_ID: &str = "webhook-id";
const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
const WEBHOOK_SIGNATURE: &str = "webhook-signature";

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn check(
    secret: Option<&WebhookSecret>,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Signature {
    match secret.map(|secret| verify(secret, headers, body, now)) {
        None => Signature::Unchecked,
        Some(Ok(())) => Signature::Verified,
        Some(Err(why)) => Signature::Invalid(why),
    }
}

fn verify(
    secret: &WebhookSecret,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), Refused> {
    let required = |name: &'static str| text(headers, name).ok_or(Refused::Missing(name));
    let id = required(WEBHOOK_ID)?;
    let timestamp = required(WEBHOOK_TIMESTAMP)?;
    let timestamp: i64 = timestamp
        .parse()
        .map_err(|_| Refused::Timestamp(timestamp.to_owned()))?;
    let signatures = required(WEBHOOK_SIGNATURE)?;
    Ok(secret.verify(id, timestamp, body, signatures, now)?)
}

/// The delivery's line: `webhook-id=… x-merchant=… order=… status=… signature=…`, with `-`
/// for what the request lacks.
fn describe(headers: &HeaderMap, body: &[u8], signature: &Signature) -> String {
    let order: Option<Value> = serde_json::from_slice(body).ok();
    let field = |pointer: &str| {
        order
            .as_ref()
            .and_then(|order| order.pointer(pointer))
            .and_then(Value::as_str)
    };
    format!(
        "webhook-id={} x-merchant={} order={} status={} signature={signature}",
        shown(text(headers, WEBHOOK_ID)),
        shown(text(headers, "x-merchant")),
        shown(field("/id")),
        shown(field("/state/currentStatus")),
    )
}

/// A value from the network as it may reach a terminal: control characters escaped (no
/// escape sequences from a body), `-` when absent or empty.
fn shown(value: Option<&str>) -> String {
    match value {
        Some(value) if !value.is_empty() => value.escape_debug().to_string(),
        _ => "-".to_owned(),
    }
}

/// The configured answer: empty when it is a success, a Problem Details body otherwise
/// (the sender records a failed attempt's JSON body).
fn answer(status: StatusCode) -> Response {
    if status.is_success() {
        return status.into_response();
    }
    problem(
        status,
        &format!("ordergate receive answers {} (--status)", status.as_u16()),
    )
}

/// An RFC 9457 `about:blank` problem: its title is the status's reason phrase.
fn problem(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(header::CONTENT_TYPE, ordergate_server::PROBLEM_CONTENT_TYPE)],
        body.to_string(),
    )
        .into_response()
}
