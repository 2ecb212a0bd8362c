//! The HTTP routes, assembled into one router together with their OpenAPI document (each
//! handler is registered through its `#[utoipa::path]`, so the served routes and the
//! document cannot drift apart).

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware;
use axum::response::Response;
use ordergate::store::DEFAULT_LIMIT;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod changes;
mod configurations;
mod errors;
mod events;
mod ops;
mod orders;
mod plugins;
mod shadows;

use crate::observe;
use crate::state::AppState;

/// The page size when a list request names none (spec 002: 10).
pub(crate) fn default_limit() -> usize {
    DEFAULT_LIMIT
}

/// `response` with header `name` set to `value`. Ids and versions always make valid header
/// values; one that did not would be left out rather than fail an answer whose change is
/// already committed.
pub(crate) fn with_header(mut response: Response, name: HeaderName, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The headers of the order and plugin routes (spec 000/001).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header, rename_all = "kebab-case")]
#[expect(
    dead_code,
    reason = "documentation only: extract::OrderCaller reads the headers"
)]
pub(crate) struct OrderHeaders {
    /// Merchant identifier (required, non-empty), e.g. `norce`.
    x_merchant: String,
    /// Channel identifier (required, non-empty), e.g. `1`.
    x_channel: String,
    /// The acting adapter: its own hooks do not run on its changes.
    x_adapterid: Option<String>,
}

/// The compare-and-set header of the order change routes.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header, rename_all = "kebab-case")]
#[expect(
    dead_code,
    reason = "documentation only: extract::MutationOptions reads the header"
)]
pub(crate) struct IfMatchHeader {
    /// The order version the change applies to, as its `ETag` gives it (`"3"`): another
    /// stored version answers 412 before any plugin runs.
    #[param(pattern = r#"^(W/)?"[0-9]+"$"#, nullable = false)]
    if_match: Option<String>,
}

/// The header of the merchant-wide routes (events, configurations).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header, rename_all = "kebab-case")]
#[expect(
    dead_code,
    reason = "documentation only: extract::MerchantCaller reads the header"
)]
pub(crate) struct MerchantHeaders {
    /// Merchant identifier (required, non-empty).
    x_merchant: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ordergate",
        description = "Order management with WebAssembly plugins: the routes of the Norce \
                       Checkout Order Management and Notification APIs. Every error is RFC 9457 \
                       Problem Details (`application/problem+json`).",
    ),
    modifiers(&ApiKeyAuth),
    // Every operation's error answers refer to it (see `errors`).
    components(schemas(crate::problem::ProblemDetails)),
    security(("api_key" = [])),
)]
struct ApiDoc;

/// `Authorization: <api key>` (or `Bearer <api key>`).
struct ApiKeyAuth;

impl utoipa::Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("Authorization"))),
        );
    }
}

fn api(upload_limit: usize) -> OpenApiRouter<AppState> {
    let (schemas, paths, upload) = routes!(plugins::upload_plugin);
    // Uploads get their own, larger cap on the body stream (JSON routes keep the default).
    let upload = (
        schemas,
        paths,
        upload.layer(DefaultBodyLimit::max(upload_limit)),
    );
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(orders::create_order, orders::list_orders))
        .routes(routes!(orders::get_order, orders::delete_order))
        .routes(routes!(orders::validate_order))
        .routes(routes!(changes::put_state))
        .routes(routes!(changes::put_cart))
        .routes(routes!(changes::put_billing))
        .routes(routes!(changes::put_shipping_address))
        .routes(routes!(changes::put_reference))
        .routes(routes!(changes::patch_attributes))
        .routes(routes!(changes::post_payment))
        .routes(routes!(changes::put_payment, changes::delete_payment))
        .routes(routes!(changes::put_shipping, changes::delete_shipping))
        .routes(routes!(changes::post_consent))
        .routes(routes!(changes::patch_consent, changes::delete_consent))
        .routes(routes!(changes::post_notification))
        .routes(routes!(changes::delete_notification))
        .routes(routes!(changes::delete_hook))
        .routes(upload)
        .routes(routes!(plugins::get_plugin, plugins::delete_plugin))
        .routes(routes!(plugins::list_plugins))
        .routes(routes!(plugins::activate_version))
        .routes(routes!(shadows::get_shadow, shadows::end_shadow))
        .routes(routes!(shadows::promote_shadow))
        .routes(routes!(shadows::list_runs))
        .routes(routes!(
            shadows::get_retention,
            shadows::put_retention,
            shadows::delete_retention
        ))
        .routes(routes!(
            configurations::put_configuration,
            configurations::get_configuration
        ))
        .routes(routes!(events::list_events))
        .routes(routes!(events::get_event))
        .routes(routes!(events::retry_event))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi))
}

/// The OpenAPI 3.1 document of every route [`router`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api(usize::MAX).into_openapi();
    errors::document_errors(&mut doc);
    doc
}

/// The service's router: every route, the request middleware (request id, span, timeout,
/// metrics, Problem Details for every error) and the body limits. Mount it as is, or nest
/// it in an embedder's router.
pub fn router(state: AppState) -> Router {
    let config = state.config();
    let (router, mut doc) = api(config.upload_limit).split_for_parts();
    errors::document_errors(&mut doc);
    let doc = ops::OpenApiJson(Arc::new(doc.to_json().unwrap_or_default()));
    router
        .fallback(observe::no_route)
        .layer(Extension(doc))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}
