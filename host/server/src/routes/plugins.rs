//! The plugin routes: upload a version (multipart: `manifest` JSON + `module` component),
//! list, show versions, activate a version (rollback or forward), remove.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ordergate::clock::rfc3339;
use ordergate::store::{PluginStatus, PluginVersion};
use ordergate::{InstallReport, PluginKind, PluginManifest};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{OrderHeaders, with_header};
use crate::error::ApiError;
use crate::extract::{OrderCaller, PathParams, QueryParams, body_problem, parse_json};
use crate::problem::{Problem, ProblemType};
use crate::state::AppState;

/// Where the plugin routes live.
pub(crate) const PLUGINS: &str = "/api/v0/checkout/plugins";

/// What an upload installed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Uploaded {
    id: String,
    version: u32,
    kind: PluginKind,
    /// `active`, or `shadow` for `?mode=shadow`.
    status: PluginStatus,
    /// SHA-256 of the component, lowercase hex.
    sha256: String,
    /// Size of the component in bytes.
    size: usize,
    /// Compiled now, or loaded from a cache.
    source: ordergate::ArtifactSource,
    /// Time to compile (or load from the artifact cache), check, initialize and
    /// pre-instantiate, in milliseconds: what a plugin author compares between builds.
    compile_ms: f64,
    /// The same, in microseconds.
    load_us: u128,
    /// Fuel the plugin's `init` used.
    init_fuel: u64,
}

impl Uploaded {
    fn new(kind: PluginKind, report: InstallReport) -> Self {
        Self {
            id: report.id,
            version: report.version,
            kind,
            status: PluginStatus::Active,
            sha256: report.content_hash,
            size: report.size_bytes,
            source: report.source,
            compile_ms: report.load_time.as_secs_f64() * 1e3,
            load_us: report.load_time.as_micros(),
            init_fuel: report.init_fuel,
        }
    }
}

/// One stored version of a plugin, without its bytes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VersionView {
    id: String,
    version: u32,
    status: PluginStatus,
    sha256: String,
    size: usize,
    manifest: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    uploaded_by: Option<String>,
    uploaded_at: String,
}

impl From<PluginVersion> for VersionView {
    fn from(v: PluginVersion) -> Self {
        Self {
            size: v.component.len(),
            id: v.id,
            version: v.version,
            status: v.status,
            sha256: v.content_hash,
            manifest: v.manifest,
            uploaded_by: v.uploaded_by,
            uploaded_at: rfc3339(v.uploaded_at),
        }
    }
}

/// An active plugin, as the list shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActiveView {
    id: String,
    version: u32,
    kind: PluginKind,
    sha256: String,
    size: usize,
    manifest: PluginManifest,
}

fn upload_problem(detail: impl Into<String>) -> Problem {
    Problem::new(ProblemType::InvalidUpload, detail)
}

/// The upload's two parts.
struct Upload {
    manifest: Bytes,
    module: Bytes,
}

async fn read_upload(req: Request, state: &AppState) -> Result<Upload, Problem> {
    let limit = state.config().upload_limit;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        // Refused before a byte of the body is read.
        return Err(body_problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            String::new(),
            limit,
        ));
    }
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|r| Problem::new(ProblemType::UnsupportedMediaType, r.body_text()))?;
    let (mut manifest, mut module) = (None, None);
    loop {
        // The body stream is capped at the upload limit (DefaultBodyLimit on this route),
        // so a body without Content-Length cannot exceed it either.
        let field = multipart
            .next_field()
            .await
            .map_err(|e| body_problem(e.status(), e.body_text(), limit))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| body_problem(e.status(), e.body_text(), limit))?;
        match name.as_str() {
            "manifest" => manifest = Some(bytes),
            "module" => module = Some(bytes),
            other => {
                return Err(upload_problem(format!(
                    "unknown part {other:?}: expected `manifest` and `module`"
                )));
            }
        }
    }
    let manifest =
        manifest.ok_or_else(|| upload_problem("the `manifest` part (JSON) is missing"))?;
    let module =
        module.ok_or_else(|| upload_problem("the `module` part (the component) is missing"))?;
    Ok(Upload { manifest, module })
}

/// The manifest of the upload, with the path's id (a manifest naming another id is refused).
fn manifest_for(plugin_id: &str, bytes: &[u8]) -> Result<PluginManifest, Problem> {
    let in_manifest = |p: Problem| p.with("part", "manifest");
    let mut object: Map<String, Value> = parse_json(bytes).map_err(in_manifest)?;
    match object.get("id") {
        Some(Value::String(id)) if id != plugin_id => {
            return Err(upload_problem(format!(
                "the manifest's id {id:?} is not the path's {plugin_id:?}"
            ))
            .with("field", "/id")
            .with("part", "manifest"));
        }
        _ => {}
    }
    object.insert("id".into(), Value::String(plugin_id.to_owned()));
    let text = Value::Object(object).to_string();
    parse_json(text.as_bytes()).map_err(in_manifest)
}

/// Where an upload goes: `active` (the default) or `shadow`.
#[derive(Debug, Default, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UploadMode {
    /// The new version runs and decides from the next mutation on.
    #[default]
    Active,
    /// The new version runs beside the active one, recorded, never enforced.
    Shadow,
}

/// The upload's query.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadQuery {
    /// `active` (default) or `shadow`: a shadow version runs beside the active one on live
    /// changes, off the request's path; its answers are recorded
    /// (`GET …/plugins/{id}/shadow`) and never enforced until promoted.
    #[serde(default)]
    mode: UploadMode,
}

/// Upload a new version of a plugin: `multipart/form-data` with a `manifest` part (JSON:
/// kind, subscribeTo, priority, adapterId, config, limits, onFault; `id` optional, must
/// match the path) and a `module` part (the component). 201. With `?mode=shadow` the version
/// is the plugin's shadow: it runs beside the active one, never enforced.
#[utoipa::path(put, path = "/api/v0/checkout/plugins/{plugin_id}", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"), OrderHeaders, UploadQuery),
    request_body(content = Object, content_type = "multipart/form-data", description = "`manifest` (JSON) and `module` (the component's bytes)"),
    responses(
        (status = 201, description = "`{id, version, kind, sha256, size, source, loadUs, initFuel}`", body = Object),
        (status = 413, description = "Larger than the upload limit", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Not a component, wrong world, forbidden import, or init refused", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn upload_plugin(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(plugin_id): PathParams<String>,
    QueryParams(query): QueryParams<UploadQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let upload = read_upload(req, &state).await?;
    let manifest = manifest_for(&plugin_id, &upload.manifest)?;
    let kind = manifest.kind;
    let uploaded_by = Some(scope.tenant.merchant.clone());
    let mode = query.mode;
    let report = state
        .engine(move |host| {
            let (tenant, registry) = (&scope.tenant, host.registry());
            match mode {
                UploadMode::Active => {
                    registry.upload(tenant, manifest, &upload.module, uploaded_by)
                }
                UploadMode::Shadow => {
                    registry.upload_shadow(tenant, manifest, &upload.module, uploaded_by)
                }
            }
        })
        .await??;
    let location = match mode {
        UploadMode::Active => format!("{PLUGINS}/{}", report.id),
        UploadMode::Shadow => format!("{PLUGINS}/{}/shadow", report.id),
    };
    let mut uploaded = Uploaded::new(kind, report);
    uploaded.status = match mode {
        UploadMode::Active => PluginStatus::Active,
        UploadMode::Shadow => PluginStatus::Shadow,
    };
    let response = (StatusCode::CREATED, Json(uploaded)).into_response();
    Ok(with_header(response, header::LOCATION, &location))
}

/// The tenant's active plugins, in the order they run: `{data: [...]}`.
#[utoipa::path(get, path = "/api/v0/checkout/plugins", tag = "plugins",
    params(OrderHeaders),
    responses((status = 200, description = "`{data: [{id, version, kind, sha256, size, manifest}]}`", body = Object)))]
pub(crate) async fn list_plugins(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
) -> Result<Response, ApiError> {
    let plugins = state
        .engine(move |host| host.registry().list(&scope.tenant))
        .await??;
    let data: Vec<ActiveView> = plugins
        .iter()
        .map(|p| ActiveView {
            id: p.manifest.id.clone(),
            version: p.version,
            kind: p.manifest.kind,
            sha256: p.compiled().content_hash().to_owned(),
            size: p.compiled().size_bytes(),
            manifest: p.manifest.clone(),
        })
        .collect();
    Ok(Json(serde_json::json!({ "data": data })).into_response())
}

/// Every stored version of a plugin, oldest first (no bytes): `{data: [...]}`.
#[utoipa::path(get, path = "/api/v0/checkout/plugins/{plugin_id}", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"), OrderHeaders),
    responses(
        (status = 200, description = "`{data: [{id, version, status, sha256, size, manifest, uploadedBy, uploadedAt}]}`", body = Object),
        (status = 404, description = "No version of this plugin", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_plugin(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(plugin_id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id = plugin_id.clone();
    let versions = state
        .engine(move |host| host.registry().versions(&scope.tenant, &id))
        .await??;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!(
            "plugin `{plugin_id}` has no version"
        )));
    }
    let data: Vec<VersionView> = versions.into_iter().map(VersionView::from).collect();
    Ok(Json(serde_json::json!({ "data": data })).into_response())
}

/// Make version `version` the one that runs (rollback or forward), from the next mutation
/// on, on every node. 200 with the version.
#[utoipa::path(post, path = "/api/v0/checkout/plugins/{plugin_id}/versions/{version}/activate", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"),
        ("version" = u32, Path, description = "Version number"), OrderHeaders),
    responses(
        (status = 200, description = "The activated version", body = Object),
        (status = 404, description = "No such version", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn activate_version(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams((plugin_id, version)): PathParams<(String, u32)>,
) -> Result<Response, ApiError> {
    let activated = state
        .engine(move |host| host.registry().rollback(&scope.tenant, &plugin_id, version))
        .await??;
    Ok(Json(VersionView::from(activated)).into_response())
}

/// Remove a plugin: no version of it runs any more (its versions are kept). 204.
#[utoipa::path(delete, path = "/api/v0/checkout/plugins/{plugin_id}", tag = "plugins",
    params(("plugin_id" = String, Path, description = "Plugin identifier"), OrderHeaders),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not installed", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(crate) async fn delete_plugin(
    State(state): State<AppState>,
    OrderCaller(scope): OrderCaller,
    PathParams(plugin_id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    state
        .engine(move |host| host.registry().remove(&scope.tenant, &plugin_id))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}
