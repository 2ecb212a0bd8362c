//! RFC 9457 Problem Details: the one shape of every error this service answers.
//!
//! A handler returns a [`Problem`]; the request middleware renders it with `instance` set to
//! the request path (a handler does not know it), and turns every other error response
//! (axum's own 404/405/413 and the like) into a Problem too, so no client ever gets a
//! plain-text error body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// The content type of every error answer.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The kinds of problem this service reports; `type` is `/problems/<slug>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    /// Built-in checks or validation plugins refused the change (400, `violations`).
    ValidationFailed,
    /// The body is not JSON at all (400, `field` is empty).
    MalformedJson,
    /// The body is JSON but a value has the wrong type, is missing or out of range (400,
    /// `field`).
    InvalidBody,
    /// The body names a field the schema does not have (400, `field`).
    UnknownField,
    /// The body is deeper or larger than an order may be (400).
    BodyOutOfBounds,
    /// A notification's scope, schema, reference or invoke is unusable (400, `field`).
    InvalidNotification,
    /// A required header is missing or empty (400, `header`).
    MissingHeader,
    /// A header has an unusable value (400, `header`).
    InvalidHeader,
    /// A query parameter is unusable (400).
    InvalidQuery,
    /// A path parameter is unusable (400).
    InvalidPath,
    /// A multipart upload lacks a part or has an unusable one (400).
    InvalidUpload,
    /// No valid API key (401).
    Unauthorized,
    /// The API key belongs to another merchant than `x-merchant` (403).
    Forbidden,
    /// No such order, plugin, event, configuration or route (404).
    NotFound,
    /// The route exists, the method does not (405).
    MethodNotAllowed,
    /// The request took longer than the request timeout (408).
    Timeout,
    /// The order kept changing under the request (409).
    Conflict,
    /// `If-Match` names another version than the stored one (412).
    PreconditionFailed,
    /// The body is larger than the route accepts (413).
    PayloadTooLarge,
    /// The body's content type is not one the route reads (415).
    UnsupportedMediaType,
    /// The uploaded component was refused: not a component, wrong world, forbidden import,
    /// or its `init` refused the configuration (422).
    InvalidPlugin,
    /// Something failed inside the service (500).
    Internal,
    /// The store or the plugins' store is unreachable (503).
    Unavailable,
}

impl ProblemType {
    /// The slug in `/problems/<slug>`.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemType::ValidationFailed => "validation-failed",
            ProblemType::MalformedJson => "malformed-json",
            ProblemType::InvalidBody => "invalid-body",
            ProblemType::UnknownField => "unknown-field",
            ProblemType::BodyOutOfBounds => "body-out-of-bounds",
            ProblemType::InvalidNotification => "invalid-notification",
            ProblemType::MissingHeader => "missing-header",
            ProblemType::InvalidHeader => "invalid-header",
            ProblemType::InvalidQuery => "invalid-query",
            ProblemType::InvalidPath => "invalid-path",
            ProblemType::InvalidUpload => "invalid-upload",
            ProblemType::Unauthorized => "unauthorized",
            ProblemType::Forbidden => "forbidden",
            ProblemType::NotFound => "not-found",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::Timeout => "timeout",
            ProblemType::Conflict => "conflict",
            ProblemType::PreconditionFailed => "precondition-failed",
            ProblemType::PayloadTooLarge => "payload-too-large",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::InvalidPlugin => "invalid-plugin",
            ProblemType::Internal => "internal",
            ProblemType::Unavailable => "unavailable",
        }
    }

    /// The HTTP status of the problem.
    pub fn status(self) -> StatusCode {
        match self {
            ProblemType::ValidationFailed
            | ProblemType::MalformedJson
            | ProblemType::InvalidBody
            | ProblemType::UnknownField
            | ProblemType::BodyOutOfBounds
            | ProblemType::InvalidNotification
            | ProblemType::MissingHeader
            | ProblemType::InvalidHeader
            | ProblemType::InvalidQuery
            | ProblemType::InvalidPath
            | ProblemType::InvalidUpload => StatusCode::BAD_REQUEST,
            ProblemType::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemType::Forbidden => StatusCode::FORBIDDEN,
            ProblemType::NotFound => StatusCode::NOT_FOUND,
            ProblemType::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemType::Timeout => StatusCode::REQUEST_TIMEOUT,
            ProblemType::Conflict => StatusCode::CONFLICT,
            ProblemType::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ProblemType::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::InvalidPlugin => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemType::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short, human-readable summary that is the same for every occurrence.
    pub fn title(self) -> &'static str {
        match self {
            ProblemType::ValidationFailed => "The order change was refused by its validations",
            ProblemType::MalformedJson => "The body is not valid JSON",
            ProblemType::InvalidBody => "A field of the body has an invalid value",
            ProblemType::UnknownField => "The body has a field the schema does not know",
            ProblemType::BodyOutOfBounds => "The body is nested too deeply or is too large",
            ProblemType::InvalidNotification => "The notification cannot be registered",
            ProblemType::MissingHeader => "A required header is missing",
            ProblemType::InvalidHeader => "A header has an invalid value",
            ProblemType::InvalidQuery => "A query parameter has an invalid value",
            ProblemType::InvalidPath => "A path parameter has an invalid value",
            ProblemType::InvalidUpload => "The plugin upload is incomplete or malformed",
            ProblemType::Unauthorized => "A valid API key is required",
            ProblemType::Forbidden => "The API key does not open this merchant",
            ProblemType::NotFound => "Not found",
            ProblemType::MethodNotAllowed => "Method not allowed on this route",
            ProblemType::Timeout => "The request took too long",
            ProblemType::Conflict => "The order is too busy",
            ProblemType::PreconditionFailed => "The order is not at the expected version",
            ProblemType::PayloadTooLarge => "The body is too large",
            ProblemType::UnsupportedMediaType => "Unsupported content type",
            ProblemType::InvalidPlugin => "The plugin was refused",
            ProblemType::Internal => "Internal error",
            ProblemType::Unavailable => "The service cannot reach its storage",
        }
    }

    /// The problem type of an error status that no handler described (axum's own answers).
    pub fn of_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => ProblemType::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ProblemType::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => ProblemType::Timeout,
            StatusCode::PAYLOAD_TOO_LARGE => ProblemType::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ProblemType::UnsupportedMediaType,
            StatusCode::SERVICE_UNAVAILABLE => ProblemType::Unavailable,
            s if s.is_client_error() => ProblemType::InvalidBody,
            _ => ProblemType::Internal,
        }
    }
}

/// One Problem Details answer. Build it with [`Problem::new`] and the `with_*` methods;
/// it renders as `application/problem+json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// What kind of problem (gives `type`, `title` and `status`).
    pub kind: ProblemType,
    /// What went wrong this time, for a human.
    pub detail: String,
    /// Extension members, e.g. `violations`, `field`, `header`.
    pub extensions: Map<String, Value>,
}

impl Problem {
    /// A problem of `kind` saying `detail`.
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            extensions: Map::new(),
        }
    }

    /// Adds the extension member `name`.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(name.to_owned(), value.into());
        self
    }

    /// The JSON document, with `instance` set to `instance` (the request path).
    pub fn to_json(&self, instance: &str) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            format!("/problems/{}", self.kind.slug()).into(),
        );
        body.insert("title".into(), self.kind.title().into());
        body.insert("status".into(), self.kind.status().as_u16().into());
        body.insert("detail".into(), self.detail.clone().into());
        body.insert("instance".into(), instance.into());
        for (name, value) in &self.extensions {
            body.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(body)
    }

    /// The response for a request to `instance`.
    pub fn render(&self, instance: &str) -> Response {
        let body = self.to_json(instance).to_string();
        let mut response = (self.kind.status(), body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        response
    }
}

/// The shape of a Problem Details document, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documentation only: Problem::to_json writes the document"
)]
pub(crate) struct ProblemDetails {
    /// `/problems/<slug>`, e.g. `/problems/validation-failed`.
    #[schema(rename = "type")]
    kind: String,
    /// The problem type's summary.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong this time.
    detail: String,
    /// The request path.
    instance: String,
    /// `validation-failed`: every violation.
    violations: Option<Vec<ordergate::Violation>>,
    /// `invalid-body`, `unknown-field`, `malformed-json`, `invalid-notification`: JSON
    /// Pointer to the offending field.
    field: Option<String>,
    /// `missing-header`, `invalid-header`: the header.
    header: Option<String>,
    /// `validation-failed` with `?trace=true`: what ran.
    trace: Option<serde_json::Value>,
}

/// Carries a handler's problem to the middleware, which renders it with the request path.
#[derive(Debug, Clone)]
pub(crate) struct PendingProblem(pub Problem);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        // Rendered without `instance` first, so the answer is still a Problem when the
        // router is served without its middleware (it always has it through `router`).
        let mut response = self.render("");
        response.extensions_mut().insert(PendingProblem(self));
        response
    }
}
