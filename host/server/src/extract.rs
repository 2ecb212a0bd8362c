//! The request extractors: who is calling (headers and API key), JSON bodies, path and
//! query parameters, and the mutation options. Each answers a precise Problem instead of
//! axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use ordergate::Scope;
use ordergate::model::{OrderLimits, from_json_within};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// The request id of a request (the `x-request-id` header, or a generated one), put in the
/// request's extensions by the middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Header naming the acting adapter.
pub const ADAPTER_HEADER: &str = "x-adapterid";
/// Header naming the merchant.
pub const MERCHANT_HEADER: &str = "x-merchant";
/// Header naming the channel.
pub const CHANNEL_HEADER: &str = "x-channel";
/// Header asking for the trace of a mutation (`true`), like `?trace=true`.
pub const TRACE_HEADER: &str = "x-ordergate-trace";

/// An authenticated caller of the order and plugin routes: `x-merchant`, `x-channel` and
/// the optional `x-adapterid`, as an engine [`Scope`] carrying the request id.
#[derive(Debug, Clone)]
pub struct OrderCaller(pub Scope);

/// An authenticated caller of the merchant-wide routes (events, adapter configurations):
/// only `x-merchant` is required.
#[derive(Debug, Clone)]
pub struct MerchantCaller(pub String);

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<Option<&'h str>, Problem> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value.to_str().map(|s| Some(s.trim())).map_err(|_| {
            Problem::new(
                ProblemType::InvalidHeader,
                format!("header {name} is not visible ASCII"),
            )
            .with("header", name)
        }),
    }
}

fn required(headers: &HeaderMap, name: &'static str) -> Result<String, Problem> {
    match header(headers, name)? {
        Some(value) if !value.is_empty() => Ok(value.to_owned()),
        _ => Err(Problem::new(
            ProblemType::MissingHeader,
            format!("header {name} is required and must not be empty"),
        )
        .with("header", name)),
    }
}

/// Checks the `Authorization` header (`<key>` or `Bearer <key>`) opens `merchant`: 401
/// without a valid key, 403 with another merchant's key. Development mode without keys
/// opens every merchant.
fn authenticate(state: &AppState, headers: &HeaderMap, merchant: &str) -> Result<(), Problem> {
    let keys = &state.config().api_keys;
    if keys.is_empty() && state.config().dev {
        return Ok(());
    }
    let presented = header(headers, AUTHORIZATION.as_str())
        .ok()
        .flatten()
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        .filter(|v| !v.is_empty());
    let Some(presented) = presented else {
        return Err(Problem::new(
            ProblemType::Unauthorized,
            "the Authorization header must carry an API key",
        ));
    };
    match keys.merchant_of(presented) {
        None => Err(Problem::new(
            ProblemType::Unauthorized,
            "the API key is not valid",
        )),
        Some(owner) if owner != merchant => Err(Problem::new(
            ProblemType::Forbidden,
            "the API key does not belong to the merchant in x-merchant",
        )),
        Some(_) => Ok(()),
    }
}

impl FromRequestParts<AppState> for OrderCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let merchant = required(&parts.headers, MERCHANT_HEADER)?;
        let channel = required(&parts.headers, CHANNEL_HEADER)?;
        authenticate(state, &parts.headers, &merchant)?;
        let mut scope = Scope::new(merchant, channel);
        if let Some(adapter) = header(&parts.headers, ADAPTER_HEADER)?.filter(|a| !a.is_empty()) {
            scope = scope.as_adapter(adapter);
        }
        if let Some(RequestId(id)) = parts.extensions.get::<RequestId>() {
            scope = scope.with_request_id(id.clone());
        }
        Ok(OrderCaller(scope))
    }
}

impl FromRequestParts<AppState> for MerchantCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let merchant = required(&parts.headers, MERCHANT_HEADER)?;
        authenticate(state, &parts.headers, &merchant)?;
        Ok(MerchantCaller(merchant))
    }
}

/// How a mutation is asked for: `If-Match: "<version>"` (compare and set) and whether the
/// answer carries the trace (`?trace=true` or `x-ordergate-trace: true`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MutationOptions {
    /// The version the caller expects the order to be at.
    pub if_match: Option<u64>,
    /// Whether to answer with the trace.
    pub trace: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for MutationOptions {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let if_match = match header(&parts.headers, IF_MATCH.as_str())? {
            None => None,
            Some(value) => Some(parse_etag(value).ok_or_else(|| {
                Problem::new(
                    ProblemType::InvalidHeader,
                    format!("If-Match must be an order version as its ETag gives it, e.g. \"3\"; got {value}"),
                )
                .with("header", "if-match")
            })?),
        };
        let query_trace = parts.uri.query().is_some_and(|q| {
            q.split('&')
                .any(|pair| pair == "trace=true" || pair == "trace=1" || pair == "trace")
        });
        let header_trace = header(&parts.headers, TRACE_HEADER)?
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        Ok(MutationOptions {
            if_match,
            trace: query_trace || header_trace,
        })
    }
}

/// The version in an ETag (`"3"`, `W/"3"`).
fn parse_etag(value: &str) -> Option<u64> {
    let value = value.strip_prefix("W/").unwrap_or(value);
    value.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

/// The ETag of an order version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// A JSON body parsed as `T` within the order bounds, with errors that name the field:
/// `malformed-json`, `invalid-body` or `unknown-field` (each with `field`, a JSON Pointer),
/// `body-out-of-bounds`, 413 over the body limit, 415 without a JSON content type.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Problem> {
        if !is_json(req.headers()) {
            return Err(Problem::new(
                ProblemType::UnsupportedMediaType,
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let limit = state.config().body_limit;
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| body_problem(rejection.status(), rejection.body_text(), limit))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// The problem of a body that could not be read.
pub(crate) fn body_problem(status: StatusCode, text: String, limit: usize) -> Problem {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            ProblemType::PayloadTooLarge,
            format!("the body is larger than this route accepts ({limit} bytes)"),
        )
    } else {
        Problem::new(ProblemType::InvalidBody, text)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON bytes as `T`, naming the offending field in the problem.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let malformed =
        |detail: String| Problem::new(ProblemType::MalformedJson, detail).with("field", "");
    let text =
        std::str::from_utf8(bytes).map_err(|e| malformed(format!("the body is not UTF-8: {e}")))?;
    from_json_within(text, &OrderLimits::default()).map_err(|err| {
        if err.bounds.is_some() {
            return Problem::new(ProblemType::BodyOutOfBounds, err.message);
        }
        // Only on failure: whether the text is JSON at all tells a syntax error from a
        // value that does not fit the schema.
        if let Err(syntax) = serde_json::from_str::<IgnoredAny>(text) {
            return malformed(syntax.to_string());
        }
        let kind = if err.message.starts_with("unknown field") {
            ProblemType::UnknownField
        } else {
            ProblemType::InvalidBody
        };
        let detail = err.to_string();
        Problem::new(kind, detail).with("field", err.path)
    })
}

/// Path parameters; a mismatch is a 400 `invalid-path` problem.
#[derive(Debug, Clone)]
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| PathParams(t))
            .map_err(|r| Problem::new(ProblemType::InvalidPath, r.body_text()))
    }
}

/// Query parameters; a mismatch is a 400 `invalid-query` problem.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| QueryParams(t))
            .map_err(|r| Problem::new(ProblemType::InvalidQuery, r.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_parse() {
        assert_eq!(parse_etag("\"3\""), Some(3));
        assert_eq!(parse_etag("W/\"12\""), Some(12));
        assert_eq!(parse_etag("3"), None);
        assert_eq!(parse_etag("\"x\""), None);
        assert_eq!(etag(7), "\"7\"");
    }
}
