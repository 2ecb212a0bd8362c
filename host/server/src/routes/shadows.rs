//! Shadow versions (`PUT …/plugins/{id}?mode=shadow` uploads one): their report, their
//! promotion to the active version, their end; and the kept runs a merchant can turn on
//! for `ordergate replay`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ordergate::observe::Retention;
use serde::{Deserialize, Serialize};

use super::OrderHeaders;
use super::plugins::VersionView;
use crate::error::ApiError;
use crate::extract::{JsonBody, OrderCaller, PathParams, QueryParams};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// A shadow report: `{id, shadowVersion, activeVersion, runs, agreed, differed, faulted,
/// dropped, cases}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportView {
    id: String,
    /// The version that decides now, if any.
    active_version: Option<u32>,
    #[serde(flatten)]
    report: ordergate::observe::ShadowReport,
}

/// How plugin `plugin_id`'s shadow version compares with the active one on this node's
/// live changes since it was uploaded (or since the node started), every mutation this
/// node decided before the request included: runs, agreements,
/// differences, faults, runs dropped by a full queue, and the latest differing cases
/// (each with both decisions). 404 when the plugin has no shadow version.
#[utoipa::path(get, path = "/api/v0/checkout/plugins/{plugin_id}/shadow", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"), OrderHeaders),
    responses(
        (status = 200, description = "`{id, shadowVersion, activeVersion, runs, agreed, differed, faulted, dropped, cases: [{at, orderId, depth, activeVersion, active, shadow, fuelConsumed, durationUs}]}`", body = Object),
        (status = 404, description = "No shadow version", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_shadow(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(plugin_id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id = plugin_id.clone();
    let (report, active) = state
        .engine(move |host| {
            // Read-your-writes on this node: the mutations it decided before this request
            // are in the report (the wait is bounded by the observer's queue).
            host.wait_for_observer();
            let report = host.shadow_report(&scope.tenant, &id)?;
            let active = host
                .registry()
                .list(&scope.tenant)?
                .iter()
                .find(|p| p.manifest.id == id)
                .map(|p| p.version);
            Ok::<_, ordergate::RegistryError>((report, active))
        })
        .await??;
    let report = report
        .ok_or_else(|| ApiError::NotFound(format!("plugin `{plugin_id}` has no shadow version")))?;
    Ok(Json(ReportView {
        id: plugin_id,
        active_version: active,
        report,
    })
    .into_response())
}

/// Make plugin `plugin_id`'s shadow version the active one: one store write, applied on
/// every node from its next mutation on. The version active before is kept (activate it
/// again to roll back). 200 with the promoted version.
#[utoipa::path(post, path = "/api/v0/checkout/plugins/{plugin_id}/shadow/promote", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"), OrderHeaders),
    responses(
        (status = 200, description = "The promoted version", body = Object),
        (status = 404, description = "No shadow version", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn promote_shadow(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(plugin_id): PathParams<String>,
) -> Result<Response, ApiError> {
    let promoted = state
        .engine(move |host| host.registry().promote(&scope.tenant, &plugin_id))
        .await??;
    Ok(Json(VersionView::from(promoted)).into_response())
}

/// Stop plugin `plugin_id`'s shadow version (it is kept, superseded); the active version
/// is untouched. 204.
#[utoipa::path(delete, path = "/api/v0/checkout/plugins/{plugin_id}/shadow", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"), OrderHeaders),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No shadow version", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn end_shadow(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(plugin_id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    state
        .engine(move |host| host.registry().end_shadow(&scope.tenant, &plugin_id))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// What the tenant keeps of its plugin runs: `{maxRuns, maxBytes}`, or 404 when it keeps
/// nothing (the default).
#[utoipa::path(get, path = "/api/v0/checkout/retention", tag = "plugins",
    params(OrderHeaders),
    responses(
        (status = 200, description = "`{maxRuns, maxBytes}`", body = Object),
        (status = 404, description = "Nothing is kept", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_retention(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
) -> Result<Response, ApiError> {
    let retention = state
        .engine(move |host| host.retention(&scope.tenant))
        .await?
        .ok_or_else(|| ApiError::NotFound("this tenant keeps no plugin runs".to_owned()))?;
    Ok(Json(retention).into_response())
}

/// Keep the inputs of the tenant's plugin runs from now on (`{maxRuns, maxBytes}`, at most
/// 10 000 runs and 64 MiB), in this node's memory, for `ordergate replay`. **The kept runs
/// hold whole orders, with the customers' personal data**: keep them only as long as a
/// replay needs them. 200 with what is kept.
#[utoipa::path(put, path = "/api/v0/checkout/retention", tag = "plugins",
    params(OrderHeaders),
    request_body(content = Object, description = "`{maxRuns, maxBytes}`"),
    responses(
        (status = 200, description = "`{maxRuns, maxBytes}`", body = Object),
        (status = 400, description = "Bounds over their ceilings", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn put_retention(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    JsonBody(retention): JsonBody<Retention>,
) -> Result<Response, ApiError> {
    if !retention.is_within_ceilings() {
        return Err(Problem::new(
            ProblemType::InvalidBody,
            format!(
                "at most {} runs and {} bytes may be kept",
                Retention::MAX_RUNS,
                Retention::MAX_BYTES
            ),
        )
        .into());
    }
    state
        .engine(move |host| host.set_retention(&scope.tenant, Some(retention)))
        .await?;
    Ok(Json(retention).into_response())
}

/// Stop keeping plugin runs and forget the kept ones. 204.
#[utoipa::path(delete, path = "/api/v0/checkout/retention", tag = "plugins",
    params(OrderHeaders),
    responses((status = 204, description = "Nothing is kept any more")))]
pub(crate) async fn delete_retention(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
) -> Result<StatusCode, ApiError> {
    state
        .engine(move |host| host.set_retention(&scope.tenant, None))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query of the kept runs.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunsQuery {
    /// Only runs kept at or after this time (RFC 3339).
    since: Option<String>,
    /// At most this many, oldest first. Default 100, at most 10 000.
    limit: Option<usize>,
}

/// The kept runs of plugin `plugin_id`, oldest first: `{data: [{id, plugin, version, kind,
/// at, depth, context, change, order, decision, fuelConsumed}]}`, what `ordergate replay
/// --from` reads.
#[utoipa::path(get, path = "/api/v0/checkout/plugins/{plugin_id}/runs", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"), OrderHeaders, RunsQuery),
    responses(
        (status = 200, description = "`{data: [...]}`", body = Object),
        (status = 400, description = "`since` is not an RFC 3339 time", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_runs(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(plugin_id): PathParams<String>,
    QueryParams(query): QueryParams<RunsQuery>,
) -> Result<Response, ApiError> {
    let since = match &query.since {
        None => None,
        Some(text) => Some(ordergate::time::parse(text).ok_or_else(|| {
            Problem::new(
                ProblemType::InvalidQuery,
                format!("`since` is not an RFC 3339 time: {text:?}"),
            )
            .with("field", "since")
        })?),
    };
    let limit = query.limit.unwrap_or(100).min(Retention::MAX_RUNS);
    let runs = state
        .engine(move |host| {
            host.wait_for_observer();
            host.kept_runs(&scope.tenant, Some(&plugin_id), since, limit)
        })
        .await?;
    Ok(Json(serde_json::json!({ "data": runs })).into_response())
}
