//! What one send produced, bounded before it is written to the event log: a receiver
//! chooses its answer, so a hostile one must not be able to bloat the log.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::outcome::RetryAfter;

/// Largest response body read and kept (16 KiB); the rest is not read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Most header values kept per attempt (64); the rest are dropped.
pub const MAX_HEADERS: usize = 64;

/// Longest header value kept (1 KiB); longer ones are cut.
pub const MAX_HEADER_VALUE_BYTES: usize = 1024;

/// Longest excerpt of a non-JSON body kept in the problem's `detail` (1 KiB).
const MAX_EXCERPT_BYTES: usize = 1024;

/// Why no answer (or no usable one) was received; each is recorded as a Problem Details
/// object whose `type` names it, e.g. `urn:ordergate:delivery:timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The event has no resolved invoke URL.
    NoInvoke,
    /// The merchant has no signing secret.
    NoSecret,
    /// The URL guard refused the invoke URL.
    RefusedUrl,
    /// The order could not be serialized.
    Body,
    /// No connection to the receiver.
    Connect,
    /// No complete answer within the request timeout.
    Timeout,
    /// Any other failure of the request.
    Request,
}

impl Failure {
    fn slug_and_title(self) -> (&'static str, &'static str) {
        match self {
            Self::NoInvoke => ("no-invoke", "The invoke URL could not be resolved"),
            Self::NoSecret => ("no-secret", "No signing secret is configured"),
            Self::RefusedUrl => ("refused-url", "The invoke URL is refused"),
            Self::Body => ("body", "The order could not be serialized"),
            Self::Connect => ("connect", "The receiver could not be reached"),
            Self::Timeout => ("timeout", "The receiver did not answer in time"),
            Self::Request => ("request", "The request failed"),
        }
    }
}

/// A Problem Details (RFC 9457) object describing a failure of the sender's side.
fn problem(slug: &str, title: &str, detail: &str) -> Value {
    json!({
        "type": format!("urn:ordergate:delivery:{slug}"),
        "title": title,
        "detail": detail,
    })
}

/// The parts of an [`ordergate::events::Attempt`] a send determines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    /// HTTP status, 0 without an answer.
    pub status_code: i32,
    /// Problem Details of a failure, or the receiver's JSON body of a non-2xx answer.
    pub body: Option<Value>,
    /// The receiver's headers (bounded).
    pub headers: Option<BTreeMap<String, Vec<String>>>,
    /// A 429 or 503 answer's `Retry-After`.
    pub retry_after: Option<RetryAfter>,
}

impl Answer {
    /// No answer, for this reason.
    pub fn failed(failure: Failure, detail: &str) -> Self {
        let (slug, title) = failure.slug_and_title();
        Self {
            status_code: 0,
            body: Some(problem(slug, title, detail)),
            headers: None,
            retry_after: None,
        }
    }

    /// A timeout of `timeout`.
    pub fn timed_out(timeout: Duration) -> Self {
        Self::failed(
            Failure::Timeout,
            &format!("timed out after {timeout:?} without a complete answer"),
        )
    }

    /// The receiver's answer: status and headers, and for a non-2xx answer its body when it
    /// is a JSON object (Problem Details), else a problem quoting the start of the body.
    /// `body` is the first [`MAX_BODY_BYTES`] of the body; `truncated` says whether more
    /// followed.
    pub fn received(
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
        truncated: bool,
    ) -> Self {
        let success = (200..300).contains(&status);
        let body = (!success).then(|| error_body(status, body, truncated));
        let retry_after = if matches!(status, 429 | 503) {
            headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(RetryAfter::parse)
        } else {
            None
        };
        Self {
            status_code: i32::from(status),
            body,
            headers: Some(bounded_headers(headers)),
            retry_after,
        }
    }
}

fn error_body(status: u16, body: &[u8], truncated: bool) -> Value {
    if !truncated && let Ok(value @ Value::Object(_)) = serde_json::from_slice::<Value>(body) {
        return value;
    }
    let mut excerpt = cut(&String::from_utf8_lossy(body), MAX_EXCERPT_BYTES);
    if truncated || excerpt.len() < body.len() {
        excerpt.push('…');
    }
    let title = if (300..400).contains(&status) {
        format!("The receiver answered {status} (redirects are not followed)")
    } else {
        format!("The receiver answered {status}")
    };
    json!({
        "type": "urn:ordergate:delivery:status",
        "title": title,
        "status": status,
        "detail": excerpt,
    })
}

/// Headers as name → values, at most [`MAX_HEADERS`] values of at most
/// [`MAX_HEADER_VALUE_BYTES`] each.
fn bounded_headers(headers: &reqwest::header::HeaderMap) -> BTreeMap<String, Vec<String>> {
    let mut kept: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers.iter().take(MAX_HEADERS) {
        let value = cut(
            &String::from_utf8_lossy(value.as_bytes()),
            MAX_HEADER_VALUE_BYTES,
        );
        kept.entry(name.as_str().to_owned())
            .or_default()
            .push(value);
    }
    kept
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn cut(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    #[test]
    fn problem_details_are_kept_and_other_bodies_described() {
        let headers = HeaderMap::new();
        let problem = br#"{"type":"about:blank","title":"Bad order","status":422}"#;
        let a = Answer::received(422, &headers, problem, false);
        assert_eq!(
            a.body,
            Some(json!({"type": "about:blank", "title": "Bad order", "status": 422}))
        );
        let a = Answer::received(500, &headers, b"oops", false);
        assert_eq!(
            a.body,
            Some(json!({
                "type": "urn:ordergate:delivery:status",
                "title": "The receiver answered 500",
                "status": 500,
                "detail": "oops",
            }))
        );
        let a = Answer::received(302, &headers, b"", false);
        assert_eq!(
            a.body.unwrap()["title"],
            "The receiver answered 302 (redirects are not followed)"
        );
        // Success bodies are not recorded; a cut body is never taken for JSON.
        assert_eq!(Answer::received(200, &headers, b"{}", false).body, None);
        let a = Answer::received(400, &headers, "{\"é\":1".as_bytes(), true);
        assert_eq!(a.body.unwrap()["detail"], "{\"é\":1…");
    }

    #[test]
    fn headers_are_bounded() {
        let mut headers = HeaderMap::new();
        for i in 0..100 {
            headers.append(
                HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap(),
                HeaderValue::from_bytes("é".repeat(600).as_bytes()).unwrap(),
            );
        }
        let kept = Answer::received(200, &headers, b"", false).headers.unwrap();
        assert_eq!(kept.len(), MAX_HEADERS);
        let value = &kept["x-h0"][0];
        assert_eq!(value.len(), MAX_HEADER_VALUE_BYTES);
        assert_eq!(value.chars().count(), 512);
    }

    #[test]
    fn retry_after_is_read_on_429_and_503_only() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("120"));
        let seconds = Some(RetryAfter::Seconds(120));
        assert_eq!(
            Answer::received(429, &headers, b"", false).retry_after,
            seconds
        );
        assert_eq!(
            Answer::received(503, &headers, b"", false).retry_after,
            seconds
        );
        assert_eq!(
            Answer::received(500, &headers, b"", false).retry_after,
            None
        );
    }
}
