//! What `shadow` and `replay` share: the service's address and the caller's tenant, and
//! one request at a time with its Problem Details turned into a message.

use serde_json::Value;

use crate::exit::{Failure, Status, fail};

/// Where the service is and who asks.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// The service's base URL.
    #[arg(long, env = "ORDERGATE_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The merchant (`x-merchant`).
    #[arg(long, env = "ORDERGATE_MERCHANT")]
    pub merchant: Option<String>,
    /// The channel (`x-channel`).
    #[arg(long, env = "ORDERGATE_CHANNEL")]
    pub channel: Option<String>,
    /// The merchant's API key (`Authorization`); none for a service in `--dev`.
    #[arg(long, env = "ORDERGATE_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

impl ServiceArgs {
    /// `method path` (with `body` as JSON), the answer's JSON (`null` for 204).
    pub fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        let (Some(merchant), Some(channel)) = (&self.merchant, &self.channel) else {
            return Err(fail(
                Status::Input,
                "say who asks: --merchant and --channel (or ORDERGATE_MERCHANT, ORDERGATE_CHANNEL)",
            ));
        };
        let mut request = reqwest::blocking::Client::new()
            .request(method.clone(), &url)
            .header("x-merchant", merchant)
            .header("x-channel", channel);
        if let Some(key) = &self.key {
            request = request.header("authorization", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .map_err(|e| fail(Status::Service, format!("{method} {url}: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .map_err(|e| fail(Status::Service, format!("{method} {url}: {e}")))?;
        let json: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| {
                fail(
                    Status::Service,
                    format!("{method} {url}: {status}, not JSON ({e}): {text}"),
                )
            })?
        };
        if status.is_success() {
            return Ok(json);
        }
        let detail = json["detail"].as_str().unwrap_or(&text);
        Err(fail(
            Status::Service,
            format!("{method} {url}: {status}: {detail}"),
        ))
    }
}
