//! The order routes: create, read, list, delete and validate orders, and the one way every
//! mutation route runs its [`Mutation`] ([`mutate`]).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ordergate::model::NewOrder;
use ordergate::store::Page;
use ordergate::{Committed, Mutation, MutationError, Scope};
use serde::{Deserialize, Serialize};

use super::{OrderHeaders, with_header};
use crate::error::ApiError;
use crate::extract::{JsonBody, MutationOptions, OrderCaller, PathParams, QueryParams, etag};
use crate::state::AppState;

/// Where the order routes live.
pub(crate) const ORDERS: &str = "/api/v0/checkout/orders";

/// `offset` and `limit` of a list (spec 002's pagination; defaults 0 and 10).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Items to skip. Default 0.
    #[serde(default)]
    pub offset: usize,
    /// Page size, at most 100. Default 10.
    #[serde(default = "super::default_limit")]
    pub limit: usize,
}

/// Notes the order id on the request's span, so its log lines can be found by order.
pub(crate) fn note_order(order_id: &str) {
    tracing::Span::current().record("order_id", order_id);
}

/// An order answer: the order with its `ETag`, or with `?trace=true` the whole
/// [`Committed`] (`{order, version, trace}`).
pub(crate) fn order_answer(status: StatusCode, committed: &Committed, trace: bool) -> Response {
    let response = if trace {
        (status, Json(committed)).into_response()
    } else {
        (status, Json(&*committed.order)).into_response()
    };
    with_header(response, header::ETAG, &etag(committed.version))
}

/// Runs `mutation` on the order (compare-and-set with `If-Match`), records its metrics,
/// and answers 200 with the order, or `no_content` answers 204 (200 with the trace when
/// asked for).
pub(crate) async fn mutate(
    state: &AppState,
    scope: Scope,
    order_id: String,
    options: MutationOptions,
    mutation: Mutation,
    no_content: bool,
) -> Result<Response, ApiError> {
    note_order(&order_id);
    let merchant = scope.tenant.merchant.clone();
    let committed = run(state, options, merchant, move |host| {
        match options.if_match {
            Some(version) => host.mutate_at(&scope, &order_id, version, mutation),
            None => host.mutate(&scope, &order_id, mutation),
        }
    })
    .await?;
    if no_content && !options.trace {
        let response = StatusCode::NO_CONTENT.into_response();
        return Ok(with_header(
            response,
            header::ETAG,
            &etag(committed.version),
        ));
    }
    Ok(order_answer(StatusCode::OK, &committed, options.trace))
}

/// Runs one engine mutation call and records its latency, outcome and plugin runs.
async fn run(
    state: &AppState,
    options: MutationOptions,
    merchant: String,
    call: impl FnOnce(&ordergate::Host) -> Result<Committed, MutationError> + Send + 'static,
) -> Result<Committed, ApiError> {
    let (result, elapsed) = state
        .engine(move |host| {
            let started = Instant::now();
            let result = call(host);
            (result, started.elapsed())
        })
        .await?;
    let metrics = state.metrics();
    match result {
        Ok(committed) => {
            metrics.record_mutation("committed", elapsed, &merchant, Some(&committed.trace));
            Ok(committed)
        }
        Err(err) => {
            match &err {
                MutationError::Rejected { trace, .. } => {
                    metrics.record_mutation("rejected", elapsed, &merchant, Some(trace))
                }
                _ => metrics.record_mutation("error", elapsed, &merchant, None),
            }
            Err(if options.trace {
                ApiError::MutationTraced(err)
            } else {
                ApiError::Mutation(err)
            })
        }
    }
}

/// Create an order: 201 with the order, its `Location` and `ETag`.
#[utoipa::path(post, path = "/api/v0/checkout/orders", tag = "orders",
    params(OrderHeaders),
    request_body(content = NewOrder, description = "The new order"),
    responses(
        (status = 201, description = "The created order", body = ordergate::model::Order),
        (status = 400, description = "Invalid body or refused by validations", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn create_order(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    options: MutationOptions,
    JsonBody(new): JsonBody<NewOrder>,
) -> Result<Response, ApiError> {
    let merchant = scope.tenant.merchant.clone();
    let committed = run(&state, options, merchant, move |host| {
        host.create_order(&scope, new)
    })
    .await?;
    note_order(&committed.order.id);
    let response = order_answer(StatusCode::CREATED, &committed, options.trace);
    let location = format!("{ORDERS}/{}", committed.order.id);
    Ok(with_header(response, header::LOCATION, &location))
}

/// Read an order, with the `ETag` of its version.
#[utoipa::path(get, path = "/api/v0/checkout/orders/{order_id}", tag = "orders",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders),
    responses(
        (status = 200, description = "The order", body = ordergate::model::Order),
        (status = 404, description = "No such order for this merchant and channel", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_order(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(order_id): PathParams<String>,
) -> Result<Response, ApiError> {
    note_order(&order_id);
    let id = order_id.clone();
    let stored = state
        .engine(move |host| host.order(&scope.tenant, &id))
        .await??
        .ok_or_else(|| ApiError::Mutation(MutationError::NotFound(order_id)))?;
    let response = Json(&*stored.order).into_response();
    Ok(with_header(response, header::ETAG, &etag(stored.version)))
}

/// One page of orders: `{data, pagination}`, paginated like spec 002's events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct OrderPage {
    /// The page's orders, oldest first.
    #[schema(value_type = Vec<ordergate::model::Order>)]
    data: Vec<Arc<ordergate::model::Order>>,
    /// Where the page is among all orders.
    pagination: ordergate::store::Pagination,
}

/// List the tenant's orders, oldest first, paginated like events.
#[utoipa::path(get, path = "/api/v0/checkout/orders", tag = "orders",
    params(PageQuery, OrderHeaders),
    responses((status = 200, description = "One page of orders", body = OrderPage)))]
pub(crate) async fn list_orders(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    QueryParams(page): QueryParams<PageQuery>,
) -> Result<Response, ApiError> {
    let Page { data, pagination } = state
        .engine(move |host| host.list_orders(&scope.tenant, page.offset, page.limit))
        .await??;
    let data = data.into_iter().map(|stored| stored.order).collect();
    Ok(Json(OrderPage { data, pagination }).into_response())
}

/// Delete an order: 204. Its notification events stay in the log.
#[utoipa::path(delete, path = "/api/v0/checkout/orders/{order_id}", tag = "orders",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such order", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn delete_order(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(order_id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    note_order(&order_id);
    state
        .engine(move |host| host.delete_order(&scope.tenant, &order_id))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

/// Run the built-in checks and every validation on the order as it stands, changing
/// nothing: 200 with the trace when all pass, 400 `validation-failed` with every violation.
#[utoipa::path(post, path = "/api/v0/checkout/orders/{order_id}/validate", tag = "orders",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders),
    responses(
        (status = 200, description = "Every check passed: the trace", body = Object),
        (status = 400, description = "validation-failed with every violation", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn validate_order(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(order_id): PathParams<String>,
    options: MutationOptions,
) -> Result<Response, ApiError> {
    note_order(&order_id);
    let merchant = scope.tenant.merchant.clone();
    let result = state
        .engine(move |host| host.validate_order(&scope, &order_id))
        .await?;
    let metrics = state.metrics();
    match result {
        Ok(trace) => {
            metrics.record_trace(&merchant, &trace);
            Ok(Json(trace).into_response())
        }
        Err(err) => {
            if let MutationError::Rejected { trace, .. } = &err {
                metrics.record_trace(&merchant, trace);
            }
            Err(if options.trace {
                ApiError::MutationTraced(err)
            } else {
                ApiError::Mutation(err)
            })
        }
    }
}
