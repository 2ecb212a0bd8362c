//! The notification event routes of spec 002: list (filters and pagination), show, retry.

use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ordergate::events::EventFilter;
use serde::Deserialize;

use super::MerchantHeaders;
use crate::error::ApiError;
use crate::extract::{MerchantCaller, PathParams, QueryParams};
use crate::state::AppState;

/// The query of `GET /api/v1/events`: the filters and the page.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventQuery {
    /// Only events of this channel.
    channel: Option<String>,
    /// Only events of this adapter.
    adapter_id: Option<String>,
    /// Only events of notifications with this reference.
    reference: Option<String>,
    /// Only events of this order.
    order_id: Option<String>,
    /// Items to skip. Default 0.
    #[serde(default)]
    offset: usize,
    /// Page size, at most 100. Default 10.
    #[serde(default = "super::default_limit")]
    limit: usize,
}

/// One page of events (spec 002).
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation only: the answer is the engine's Page"
)]
pub(crate) struct EventPage {
    /// The page's events, oldest first.
    data: Vec<ordergate::events::NotificationEvent>,
    /// Where the page is among all matches.
    pagination: ordergate::events::Pagination,
}

/// The merchant's events, oldest first: `{data, pagination}`.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(EventQuery, MerchantHeaders),
    responses(
        (status = 200, description = "One page of events", body = EventPage),
        (status = 400, description = "Invalid query", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn list_events(
    State(state): State<AppState>,
    MerchantCaller(merchant): MerchantCaller,
    QueryParams(query): QueryParams<EventQuery>,
) -> Result<Response, ApiError> {
    let filter = EventFilter {
        channel: query.channel,
        adapter_id: query.adapter_id,
        reference: query.reference,
        order_id: query.order_id,
    };
    let page = state
        .engine(move |host| {
            host.events()
                .list(&merchant, &filter, query.offset, query.limit)
        })
        .await??;
    Ok(Json(page).into_response())
}

/// One event with its payload and attempts.
#[utoipa::path(get, path = "/api/v1/events/{event_id}", tag = "events",
    params(("event_id" = String, Path, description = "Event identifier"), MerchantHeaders),
    responses(
        (status = 200, description = "The NotificationEvent", body = ordergate::events::NotificationEvent),
        (status = 404, description = "No such event for this merchant", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_event(
    State(state): State<AppState>,
    MerchantCaller(merchant): MerchantCaller,
    PathParams(event_id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id = event_id.clone();
    let event = state
        .engine(move |host| host.events().get(&merchant, &id))
        .await??
        .ok_or_else(|| ApiError::NotFound(format!("event {event_id:?} not found")))?;
    Ok(Json(event).into_response())
}

/// Re-queue an event now (a new delivery round; earlier attempts are kept). 200 with the
/// event.
#[utoipa::path(post, path = "/api/v1/events/{event_id}/retry", tag = "events",
    params(("event_id" = String, Path, description = "Event identifier"), MerchantHeaders),
    responses(
        (status = 200, description = "The re-queued NotificationEvent", body = ordergate::events::NotificationEvent),
        (status = 404, description = "No such event for this merchant", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn retry_event(
    State(state): State<AppState>,
    MerchantCaller(merchant): MerchantCaller,
    PathParams(event_id): PathParams<String>,
) -> Result<Response, ApiError> {
    let event = state
        .engine(move |host| host.events().retry(&merchant, &event_id, SystemTime::now()))
        .await??;
    Ok(Json(event).into_response())
}
