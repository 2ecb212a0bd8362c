//! Adapter configurations per merchant: what `{configuration.adapter.…}` placeholders in
//! the invoke templates of an adapter's notifications resolve against.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ordergate::model::Attributes;

use super::MerchantHeaders;
use crate::error::ApiError;
use crate::extract::{JsonBody, MerchantCaller, PathParams};
use crate::state::AppState;

/// Set (or replace) the merchant's configuration of an adapter: a JSON object. 200 with it.
#[utoipa::path(put, path = "/api/v0/checkout/configurations/{adapter_id}", tag = "configurations",
    params(("adapter_id" = String, Path, description = "Adapter identifier"), MerchantHeaders),
    request_body(content = Object, description = "The configuration, e.g. `{\"internalUrl\": \"https://…\"}`"),
    responses(
        (status = 200, description = "The configuration as stored", body = Object),
        (status = 400, description = "Not a JSON object", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn put_configuration(
    State(state): State<AppState>,
    MerchantCaller(merchant): MerchantCaller,
    PathParams(adapter_id): PathParams<String>,
    JsonBody(configuration): JsonBody<Attributes>,
) -> Result<Response, ApiError> {
    let value = serde_json::Value::Object(configuration);
    let stored = value.clone();
    state
        .engine(move |host| host.set_adapter_configuration(&merchant, &adapter_id, stored))
        .await??;
    Ok(Json(value).into_response())
}

/// The merchant's configuration of an adapter.
#[utoipa::path(get, path = "/api/v0/checkout/configurations/{adapter_id}", tag = "configurations",
    params(("adapter_id" = String, Path, description = "Adapter identifier"), MerchantHeaders),
    responses(
        (status = 200, description = "The configuration", body = Object),
        (status = 404, description = "None set", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_configuration(
    State(state): State<AppState>,
    MerchantCaller(merchant): MerchantCaller,
    PathParams(adapter_id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id = adapter_id.clone();
    let configuration = state
        .engine(move |host| host.adapter_configuration(&merchant, &id))
        .await??
        .ok_or_else(|| ApiError::NotFound(format!("no configuration of adapter {adapter_id:?}")))?;
    Ok(Json(configuration).into_response())
}
