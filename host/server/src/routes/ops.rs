//! Operations routes: liveness, readiness, Prometheus metrics, the OpenAPI document. None
//! takes an API key (probes and scrapers have none), so each overrides the document's
//! global key requirement with an empty one.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// The OpenAPI document, rendered once when the router is built.
#[derive(Clone)]
pub(crate) struct OpenApiJson(pub Arc<String>);

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "`{\"status\": \"ok\"}`", body = Object)))]
pub(crate) async fn healthz() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// The store answers (it is asked how many events are due).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses(
        (status = 200, description = "`{\"status\": \"ready\", \"eventsDue\": n}`", body = Object),
        (status = 503, description = "The store does not answer", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Response, ApiError> {
    let due = state
        .unqueued(|host| host.events().due_count(SystemTime::now()))
        .await??;
    Ok(Json(serde_json::json!({ "status": "ready", "eventsDue": due })).into_response())
}

/// Prometheus metrics (OpenMetrics text). The due-events gauge is measured now.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text")))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    match state
        .unqueued(|host| host.events().due_count(SystemTime::now()))
        .await
    {
        Ok(Ok(due)) => state.metrics().set_events_due(due),
        // The other series are still worth serving; the gauge keeps its last value.
        Ok(Err(err)) => tracing::warn!(error = %err, "queue depth unavailable"),
        Err(err) => tracing::warn!(error = %err, "queue depth unavailable"),
    }
    let mut response = state.metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// This API's OpenAPI 3.1 document, generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", security(()),
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub(crate) async fn openapi(Extension(doc): Extension<OpenApiJson>) -> Response {
    let mut response = doc.0.as_str().to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
