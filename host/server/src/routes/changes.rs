//! The routes that change one part of an order: each builds its [`Mutation`] and runs it
//! through [`mutate`] (the pipeline: checks, validations, notifications, hooks).

use axum::extract::State;
use axum::response::Response;
use ordergate::Mutation;
use ordergate::model::{
    Address, Attributes, Cart, Consent, Notification, Payment, Shipping, StateUpdate,
};
use serde::Deserialize;

use super::orders::mutate;
use super::{IfMatchHeader, OrderHeaders};
use crate::error::ApiError;
use crate::extract::{JsonBody, MutationOptions, OrderCaller, PathParams};
use crate::state::AppState;

/// The body of `PUT …/reference`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ReferenceUpdate {
    /// The external order reference.
    pub reference: String,
}

/// The arguments every change route takes.
type Caller = (State<AppState>, OrderCaller, MutationOptions);

async fn change(
    (State(state), OrderCaller(scope), options): Caller,
    order_id: String,
    mutation: Mutation,
) -> Result<Response, ApiError> {
    mutate(&state, scope, order_id, options, mutation, false).await
}

/// The same, answering 204 (the spec's "No content" routes).
async fn change_no_content(
    (State(state), OrderCaller(scope), options): Caller,
    order_id: String,
    mutation: Mutation,
) -> Result<Response, ApiError> {
    mutate(&state, scope, order_id, options, mutation, true).await
}

/// Move the order to another status (`{"currentStatus": …}`).
#[utoipa::path(put, path = "/api/v0/checkout/orders/{order_id}/state", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::StateUpdate, description = "`{\"currentStatus\": \"processing\"}`"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn put_state(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(body): JsonBody<StateUpdate>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::SetState(body.current_status);
    change((state, caller, options), order_id, mutation).await
}

/// Replace the cart.
#[utoipa::path(put, path = "/api/v0/checkout/orders/{order_id}/cart", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Cart, description = "The cart"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn put_cart(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(cart): JsonBody<Cart>,
) -> Result<Response, ApiError> {
    change((state, caller, options), order_id, Mutation::SetCart(cart)).await
}

/// Replace the billing address.
#[utoipa::path(put, path = "/api/v0/checkout/orders/{order_id}/customer/billing", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Address, description = "The address"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn put_billing(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(address): JsonBody<Address>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::SetBillingAddress(address);
    change((state, caller, options), order_id, mutation).await
}

/// Replace the shipping address.
#[utoipa::path(put, path = "/api/v0/checkout/orders/{order_id}/customer/shipping", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Address, description = "The address"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn put_shipping_address(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(address): JsonBody<Address>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::SetShippingAddress(address);
    change((state, caller, options), order_id, mutation).await
}

/// Set the external order reference (`{"reference": …}`).
#[utoipa::path(put, path = "/api/v0/checkout/orders/{order_id}/reference", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ReferenceUpdate, description = "`{\"reference\": \"ext-1\"}`"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn put_reference(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(body): JsonBody<ReferenceUpdate>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::SetReference(body.reference);
    change((state, caller, options), order_id, mutation).await
}

/// Merge into the order's custom attributes (RFC 7396: `null` removes a key).
#[utoipa::path(patch, path = "/api/v0/checkout/orders/{order_id}/attributes", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = Object, description = "A JSON merge patch of `attributes`"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn patch_attributes(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(patch): JsonBody<Attributes>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::MergeAttributes(patch);
    change((state, caller, options), order_id, mutation).await
}

/// Add a payment (an id is generated when it has none).
#[utoipa::path(post, path = "/api/v0/checkout/orders/{order_id}/payments", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Payment, description = "The payment"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn post_payment(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(payment): JsonBody<Payment>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::UpsertPayment(payment);
    change((state, caller, options), order_id, mutation).await
}

/// Add or replace the payment with the path's id (the path's id wins over the body's).
#[utoipa::path(put, path = "/api/v0/checkout/orders/{order_id}/payments/{payment_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("payment_id" = String, Path, description = "Payment identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Payment, description = "The payment"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn put_payment(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, payment_id)): PathParams<(String, String)>,
    JsonBody(mut payment): JsonBody<Payment>,
) -> Result<Response, ApiError> {
    payment.id = Some(payment_id);
    let mutation = Mutation::UpsertPayment(payment);
    change((state, caller, options), order_id, mutation).await
}

/// Remove a payment.
#[utoipa::path(delete, path = "/api/v0/checkout/orders/{order_id}/payments/{payment_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("payment_id" = String, Path, description = "Payment identifier"), OrderHeaders, IfMatchHeader),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused (e.g. no such payment)", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn delete_payment(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, id)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::RemovePayment { id };
    change((state, caller, options), order_id, mutation).await
}

/// Add or replace the shipping with the path's id (the path's id wins over the body's).
#[utoipa::path(put, path = "/api/v0/checkout/orders/{order_id}/shippings/{shipping_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("shipping_id" = String, Path, description = "Shipping identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Shipping, description = "The shipping"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn put_shipping(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, shipping_id)): PathParams<(String, String)>,
    JsonBody(mut shipping): JsonBody<Shipping>,
) -> Result<Response, ApiError> {
    shipping.id = Some(shipping_id);
    let mutation = Mutation::UpsertShipping(shipping);
    change((state, caller, options), order_id, mutation).await
}

/// Remove a shipping.
#[utoipa::path(delete, path = "/api/v0/checkout/orders/{order_id}/shippings/{shipping_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("shipping_id" = String, Path, description = "Shipping identifier"), OrderHeaders, IfMatchHeader),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused (e.g. no such shipping)", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn delete_shipping(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, id)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::RemoveShipping { id };
    change((state, caller, options), order_id, mutation).await
}

/// Add a consent (an id is generated when it has none).
#[utoipa::path(post, path = "/api/v0/checkout/orders/{order_id}/consents", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Consent, description = "The consent: id, checked, text, required"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn post_consent(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(consent): JsonBody<Consent>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::AddConsent(consent);
    change((state, caller, options), order_id, mutation).await
}

/// Change a consent: the fields present in the body replace the consent's.
#[utoipa::path(patch, path = "/api/v0/checkout/orders/{order_id}/consents/{consent_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("consent_id" = String, Path, description = "Consent identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Consent, description = "The fields to replace"),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn patch_consent(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, id)): PathParams<(String, String)>,
    JsonBody(changes): JsonBody<Consent>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::UpdateConsent { id, changes };
    change((state, caller, options), order_id, mutation).await
}

/// Remove a consent.
#[utoipa::path(delete, path = "/api/v0/checkout/orders/{order_id}/consents/{consent_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("consent_id" = String, Path, description = "Consent identifier"), OrderHeaders, IfMatchHeader),
    responses((status = 200, description = "The order", body = ordergate::model::Order),
        (status = 400, description = "Refused (e.g. no such consent)", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn delete_consent(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, id)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::DeleteConsent { id };
    change((state, caller, options), order_id, mutation).await
}

/// Register a notification (spec 000): its scope must be a JSON Pointer not inside an
/// array, its schema a draft 2020-12 JSON Schema, and its invoke URL acceptable. 204.
#[utoipa::path(post, path = "/api/v0/checkout/orders/{order_id}/notifications", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"), OrderHeaders, IfMatchHeader),
    request_body(content = ordergate::model::Notification, description = "The notification: id, adapterId, reference, description, scope, schema, invoke, version, delay"),
    responses((status = 204, description = "Registered (No content, as the spec says)"),
        (status = 400, description = "invalid-notification naming the field", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn post_notification(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams(order_id): PathParams<String>,
    JsonBody(notification): JsonBody<Notification>,
) -> Result<Response, ApiError> {
    // Checked here too (the engine checks again) for the typed error that names the field.
    ordergate::notify::check(&notification, state.schemas())?;
    state
        .invoke_check()
        .check(&caller.0.tenant.merchant, &notification)
        .await
        .map_err(ApiError::InvokeRefused)?;
    let mutation = Mutation::CreateNotification(notification);
    change_no_content((state, caller, options), order_id, mutation).await
}

/// Remove a notification. 204.
#[utoipa::path(delete, path = "/api/v0/checkout/orders/{order_id}/notifications/{notification_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("notification_id" = String, Path, description = "Notification identifier"), OrderHeaders, IfMatchHeader),
    responses((status = 204, description = "Removed (No content, as the spec says)"),
        (status = 400, description = "Refused (e.g. no such notification)", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn delete_notification(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, id)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::DeleteNotification { id };
    change_no_content((state, caller, options), order_id, mutation).await
}

/// Detach a hook from the order: it no longer runs on it. 204.
#[utoipa::path(delete, path = "/api/v0/checkout/orders/{order_id}/hooks/{hook_id}", tag = "order changes",
    params(("order_id" = String, Path, description = "Order identifier"),
        ("hook_id" = String, Path, description = "Hook identifier"), OrderHeaders, IfMatchHeader),
    responses((status = 204, description = "Detached (No content, as the spec says)"),
        (status = 400, description = "Refused (e.g. no such hook)", body = crate::problem::ProblemDetails, content_type = "application/problem+json")))]
pub(crate) async fn delete_hook(
    state: State<AppState>,
    caller: OrderCaller,
    options: MutationOptions,
    PathParams((order_id, id)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    let mutation = Mutation::DeleteHook { id };
    change_no_content((state, caller, options), order_id, mutation).await
}
