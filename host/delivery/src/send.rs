//! One HTTP delivery of an event: the signed POST, and its result as an [`Answer`].

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ordergate::events::NotificationEvent;
use reqwest::header::CONTENT_TYPE;

use crate::answer::{Answer, Failure, MAX_BODY_BYTES};
use crate::config::DeliveryConfig;
use crate::guard::{GuardedResolver, UrlError, UrlPolicy, check_syntax};
use crate::secrets::SecretSource;
use crate::signing::unix_seconds;

/// Sends events: the HTTP client (guarded resolver, no redirects, no proxy) with the
/// policy and secrets it applies.
#[derive(Clone)]
pub(crate) struct Sender {
    client: reqwest::Client,
    policy: Arc<UrlPolicy>,
    secrets: Arc<dyn SecretSource>,
    timeout: Duration,
}

impl Sender {
    pub fn new(
        config: &DeliveryConfig,
        secrets: Arc<dyn SecretSource>,
        policy: UrlPolicy,
    ) -> Result<Self, reqwest::Error> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .dns_resolver(GuardedResolver::new(Arc::clone(&policy)))
            // A redirect could lead anywhere the guard did not check: a 3xx is an answer.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect to the host itself, past the guarded resolver.
            .no_proxy()
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.as_str())
            .build()?;
        Ok(Self {
            client,
            policy,
            secrets,
            timeout: config.request_timeout,
        })
    }

    /// POSTs the event's order to its invoke URL, signed at `now`. Nothing is sent when the
    /// event has no invoke URL, its merchant no secret, or the guard refuses the URL.
    pub async fn send(&self, event: &NotificationEvent, now: SystemTime) -> Answer {
        let Some(invoke) = event.invoke.as_deref() else {
            let why = event
                .error
                .as_deref()
                .unwrap_or("the event has no invoke URL");
            return Answer::failed(Failure::NoInvoke, why);
        };
        let secrets = self.secrets.secrets(&event.merchant);
        if secrets.is_empty() {
            let why = format!(
                "merchant {:?} has no webhook signing secret configured; events are never \
                 sent unsigned",
                event.merchant
            );
            return Answer::failed(Failure::NoSecret, &why);
        }
        let url = match check_syntax(invoke).and_then(|url| {
            self.policy.check_literal(&url)?;
            Ok(url)
        }) {
            Ok(url) => url,
            Err(refused) => return Answer::failed(Failure::RefusedUrl, &refused.to_string()),
        };
        let body = match serde_json::to_vec(&*event.payload.order) {
            Ok(body) => body,
            Err(e) => return Answer::failed(Failure::Body, &e.to_string()),
        };
        let timestamp = unix_seconds(now);
        let signatures: Vec<String> = secrets
            .iter()
            .map(|secret| secret.sign(&event.id, timestamp, &body))
            .collect();
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", event.id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .header("x-merchant", event.merchant.as_str())
            .header("x-channel", event.channel.as_str())
            .body(body);
        match request.send().await {
            Ok(response) => read(response).await,
            Err(e) => self.no_answer(&e),
        }
    }

    /// Why a request got no answer, from the error and its causes.
    fn no_answer(&self, error: &reqwest::Error) -> Answer {
        let mut source = error.source();
        while let Some(cause) = source {
            if let Some(refused) = cause.downcast_ref::<UrlError>() {
                // A name that does not resolve is unreachable, not refused.
                let failure = match refused {
                    UrlError::Resolve { .. } | UrlError::NoAddress { .. } => Failure::Connect,
                    _ => Failure::RefusedUrl,
                };
                return Answer::failed(failure, &refused.to_string());
            }
            source = cause.source();
        }
        if error.is_timeout() {
            return Answer::timed_out(self.timeout);
        }
        let failure = if error.is_connect() {
            Failure::Connect
        } else {
            Failure::Request
        };
        Answer::failed(failure, &chain(error))
    }
}

/// The answer of a receiver: the body of a non-2xx answer is read up to
/// [`MAX_BODY_BYTES`] (a 2xx body is not needed).
async fn read(mut response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    let mut truncated = false;
    if !response.status().is_success() {
        // A body that fails half way (timeout, reset) is kept as far as it came.
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_BODY_BYTES - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
    }
    Answer::received(status, &headers, &body, truncated)
}

/// An error and its causes, `: `-separated, each once.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
