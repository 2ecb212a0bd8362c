//! The middleware every request passes: a request id, a tracing span, the request timeout,
//! the request counter, and Problem Details for every error answer.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ordergate::clock::{IdGenerator, RandomIds};
use tracing::Instrument;

use crate::extract::RequestId;
use crate::problem::{PROBLEM_CONTENT_TYPE, PendingProblem, Problem, ProblemType};
use crate::state::AppState;

/// Header carrying the request id, echoed in every answer.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a client; a longer one is replaced by a generated id.
const MAX_REQUEST_ID: usize = 128;

/// The route label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

pub(crate) async fn observe(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID)
        .map_or_else(|| RandomIds.new_id("req"), str::to_owned);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!(
        "request",
        %method,
        route = %route,
        request_id = %request_id,
        order_id = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let timeout = state.config().request_timeout;
    let answer = tokio::time::timeout(timeout, next.run(req))
        .instrument(span.clone())
        .await;
    let response = answer.unwrap_or_else(|_| {
        Problem::new(
            ProblemType::Timeout,
            format!(
                "no answer within the request timeout of {} ms",
                timeout.as_millis()
            ),
        )
        .into_response()
    });
    let mut response = as_problem(response, &path);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if matches!(
        response.status(),
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
    ) {
        // The request body may be left unread, so the connection cannot carry another
        // request: say so, or a client would reuse it and see it drop.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let status = response.status().as_u16();
    span.record("status", status);
    tracing::info!(parent: &span, status, "answered");
    state
        .metrics()
        .record_request(&route, method.as_str(), status);
    response
}

/// Renders a handler's [`Problem`] with `instance`, and turns any other error answer
/// (axum's 404, 405, 413…) into a Problem, keeping its headers (e.g. `Allow`).
fn as_problem(mut response: Response, instance: &str) -> Response {
    let problem = match response.extensions_mut().remove::<PendingProblem>() {
        Some(PendingProblem(problem)) => problem,
        None => {
            let status = response.status();
            let is_problem = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes() == PROBLEM_CONTENT_TYPE.as_bytes());
            if !(status.is_client_error() || status.is_server_error()) || is_problem {
                return response;
            }
            let kind = ProblemType::of_status(status);
            Problem::new(kind, status.canonical_reason().unwrap_or("error"))
        }
    };
    let mut rendered = problem.render(instance);
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

/// The answer to a request no route matches.
pub(crate) async fn no_route(req: Request) -> Problem {
    Problem::new(
        ProblemType::NotFound,
        format!("no route {} {}", req.method(), req.uri().path()),
    )
}
