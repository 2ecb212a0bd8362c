//! The error answers of every operation in the OpenAPI document. Which problems a request
//! can meet follows from what its operation takes (tenant headers, path and query
//! parameters, a body, `If-Match`), since the extractors reading them answer those
//! problems; so they are derived here from the operation, once, instead of repeated on
//! every handler. A handler lists its success and its own refusals; a status it already
//! describes keeps its description.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

use crate::extract::MERCHANT_HEADER;
use crate::problem::{PROBLEM_CONTENT_TYPE, ProblemType};

/// What the tenant extractors and the middleware answer on every tenant route.
const CALLER: &[ProblemType] = &[
    ProblemType::MissingHeader,
    ProblemType::InvalidHeader,
    ProblemType::Unauthorized,
    ProblemType::Forbidden,
    ProblemType::Timeout,
    ProblemType::Unavailable,
];
/// What a route with path parameters answers: an unusable or unknown id.
const PATH: &[ProblemType] = &[ProblemType::InvalidPath, ProblemType::NotFound];
/// What a JSON body can be refused for.
const JSON_BODY: &[ProblemType] = &[
    ProblemType::MalformedJson,
    ProblemType::InvalidBody,
    ProblemType::UnknownField,
    ProblemType::BodyOutOfBounds,
    ProblemType::PayloadTooLarge,
    ProblemType::UnsupportedMediaType,
];
/// What a multipart upload can be refused for.
const UPLOAD: &[ProblemType] = &[
    ProblemType::InvalidUpload,
    ProblemType::PayloadTooLarge,
    ProblemType::UnsupportedMediaType,
];
/// What an order change answers besides its own refusals (`If-Match`, contention).
const CHANGE: &[ProblemType] = &[
    ProblemType::ValidationFailed,
    ProblemType::PreconditionFailed,
    ProblemType::Conflict,
];

/// Adds to every operation of `doc` the Problem Details answers it can give and does not
/// describe yet, each status described by the problem types behind it.
pub(super) fn document_errors(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            let mut by_status: BTreeMap<u16, Vec<ProblemType>> = BTreeMap::new();
            for kind in problems_of(operation) {
                by_status
                    .entry(kind.status().as_u16())
                    .or_default()
                    .push(kind);
            }
            for (status, kinds) in by_status {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem_response(&kinds).into());
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// The problems the extractors of `operation` answer, judged by what it takes.
fn problems_of(operation: &Operation) -> Vec<ProblemType> {
    let params = operation.parameters.as_deref().unwrap_or_default();
    let takes = |place: ParameterIn, name: Option<&str>| {
        params
            .iter()
            .any(|p| p.parameter_in == place && name.is_none_or(|n| p.name.eq_ignore_ascii_case(n)))
    };
    let mut problems = Vec::new();
    if takes(ParameterIn::Header, Some(MERCHANT_HEADER)) {
        problems.extend_from_slice(CALLER);
    }
    if takes(ParameterIn::Path, None) {
        problems.extend_from_slice(PATH);
    }
    if takes(ParameterIn::Query, None) {
        problems.push(ProblemType::InvalidQuery);
    }
    if let Some(body) = &operation.request_body {
        if body.content.keys().any(|c| c.starts_with("multipart/")) {
            problems.extend_from_slice(UPLOAD);
        } else {
            problems.extend_from_slice(JSON_BODY);
        }
    }
    if takes(ParameterIn::Header, Some("if-match")) {
        problems.extend_from_slice(CHANGE);
    }
    problems
}

/// A Problem Details answer whose description names each problem type it stands for.
fn problem_response(kinds: &[ProblemType]) -> utoipa::openapi::Response {
    let description = kinds
        .iter()
        .map(|kind| format!("`{}`: {}", kind.slug(), kind.title()))
        .collect::<Vec<_>>()
        .join("; ");
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ProblemDetails")))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_CONTENT_TYPE, content)
        .build()
}
