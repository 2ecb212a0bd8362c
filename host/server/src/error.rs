//! [`ApiError`]: why a request failed, and the Problem Details each cause becomes.

use axum::response::{IntoResponse, Response};
use ordergate::events::EventLogError;
use ordergate::notify::NotificationError;
use ordergate::store::StoreError;
use ordergate::{CompileError, MutationError, RegistryError, Trace, Violation};
use serde_json::json;

use crate::problem::{Problem, ProblemType};

/// Why a request failed. Every variant renders as a [`Problem`] (see [`ApiError::problem`]).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request itself is unusable (bad header, body, query, path, upload…): the problem
    /// says which part.
    #[error("{}", .0.detail)]
    Request(Problem),
    /// The order engine refused or failed the mutation.
    #[error(transparent)]
    Mutation(MutationError),
    /// The refused mutation, with its trace attached to the problem (`?trace=true`).
    #[error("{0}")]
    MutationTraced(MutationError),
    /// The plugin registry refused or failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The event log failed.
    #[error(transparent)]
    Events(#[from] EventLogError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The notification cannot be registered.
    #[error(transparent)]
    Notification(#[from] NotificationError),
    /// The invoke URL check refused the notification's invoke URL.
    #[error("invoke URL refused: {0}")]
    InvokeRefused(String),
    /// Something missing by id (order, plugin, event, configuration).
    #[error("{0}")]
    NotFound(String),
    /// An engine call could not run or panicked.
    #[error("engine call failed: {0}")]
    Engine(String),
}

impl From<MutationError> for ApiError {
    fn from(err: MutationError) -> Self {
        ApiError::Mutation(err)
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError::Request(problem)
    }
}

impl ApiError {
    /// The Problem Details this error answers with.
    pub fn problem(&self) -> Problem {
        match self {
            ApiError::Request(problem) => problem.clone(),
            ApiError::Mutation(err) => mutation_problem(err, None),
            ApiError::MutationTraced(err) => {
                let trace = match err {
                    MutationError::Rejected { trace, .. } => Some(trace),
                    _ => None,
                };
                mutation_problem(err, trace)
            }
            ApiError::Registry(err) => registry_problem(err),
            ApiError::Events(err) => match err {
                EventLogError::NotFound { .. } => {
                    Problem::new(ProblemType::NotFound, err.to_string())
                }
                EventLogError::Unavailable(_) => {
                    Problem::new(ProblemType::Unavailable, err.to_string())
                }
                EventLogError::Duplicate { .. } | EventLogError::ClaimLost { .. } => {
                    Problem::new(ProblemType::Conflict, err.to_string())
                }
            },
            ApiError::Store(err) => store_problem(err),
            ApiError::Notification(err) => {
                Problem::new(ProblemType::InvalidNotification, err.to_string())
                    .with("field", notification_field(err))
            }
            ApiError::InvokeRefused(_) => {
                Problem::new(ProblemType::InvalidNotification, self.to_string())
                    .with("field", "/invoke")
            }
            ApiError::NotFound(detail) => Problem::new(ProblemType::NotFound, detail.clone()),
            ApiError::Engine(_) => Problem::new(ProblemType::Internal, self.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(
            self.problem().kind,
            ProblemType::Internal | ProblemType::Unavailable
        ) {
            tracing::error!(error = %self, "request failed");
        }
        self.problem().into_response()
    }
}

fn violations_json(violations: &[Violation]) -> serde_json::Value {
    serde_json::to_value(violations).unwrap_or_else(|_| json!([]))
}

fn mutation_problem(err: &MutationError, trace: Option<&Trace>) -> Problem {
    match err {
        MutationError::Rejected { violations, .. } => {
            let detail = violations
                .iter()
                .map(|v| format!("{} at {:?}: {}", v.plugin, v.path, v.message))
                .collect::<Vec<_>>()
                .join("; ");
            let problem = Problem::new(ProblemType::ValidationFailed, detail)
                .with("violations", violations_json(violations));
            match trace.and_then(|t| serde_json::to_value(t).ok()) {
                Some(trace) => problem.with("trace", trace),
                None => problem,
            }
        }
        MutationError::NotFound(_) => Problem::new(ProblemType::NotFound, err.to_string()),
        MutationError::VersionMismatch { current, .. } => {
            Problem::new(ProblemType::PreconditionFailed, err.to_string())
                .with("currentVersion", *current)
        }
        MutationError::Contended(_) => Problem::new(ProblemType::Conflict, err.to_string()),
        MutationError::Store(err) => store_problem(err),
        MutationError::Plugins(_) => Problem::new(ProblemType::Unavailable, err.to_string()),
    }
}

fn store_problem(err: &StoreError) -> Problem {
    match err {
        StoreError::NotFound => Problem::new(ProblemType::NotFound, err.to_string()),
        StoreError::Conflict { .. }
        | StoreError::AlreadyExists
        | StoreError::DuplicateEvent { .. } => Problem::new(ProblemType::Conflict, err.to_string()),
        StoreError::Backend(_) => Problem::new(ProblemType::Unavailable, err.to_string()),
    }
}

fn registry_problem(err: &RegistryError) -> Problem {
    match err {
        RegistryError::Compile { reason, .. } => {
            let problem = Problem::new(ProblemType::InvalidPlugin, err.to_string());
            problem.with("reason", compile_reason(reason))
        }
        RegistryError::InvalidManifest { .. } => {
            Problem::new(ProblemType::InvalidPlugin, err.to_string()).with("reason", "manifest")
        }
        RegistryError::AlreadyInstalled(_) => Problem::new(ProblemType::Conflict, err.to_string()),
        RegistryError::NotInstalled(_)
        | RegistryError::NoSuchVersion { .. }
        | RegistryError::NoShadow(_) => Problem::new(ProblemType::NotFound, err.to_string()),
        RegistryError::Store(err) => store_problem(err),
    }
}

/// A stable name of why a component was refused, for clients that branch on it.
fn compile_reason(reason: &CompileError) -> &'static str {
    match reason {
        CompileError::NotWasm | CompileError::CoreModule => "not-a-component",
        CompileError::Malformed(_) => "malformed",
        CompileError::ForbiddenImport { .. } => "forbidden-import",
        CompileError::WrongWorld { .. } => "wrong-world",
        CompileError::InitFailed { .. } | CompileError::InitFaulted { .. } => "init-failed",
        CompileError::Snapshot(_) => "cannot-preinitialize",
    }
}

/// The notification field a check failed on, as a JSON Pointer into the request body.
fn notification_field(err: &NotificationError) -> &'static str {
    match err {
        NotificationError::MissingScope
        | NotificationError::EmptyScope
        | NotificationError::InvalidScope { .. }
        | NotificationError::ScopeInArray { .. } => "/scope",
        NotificationError::MissingSchema | NotificationError::InvalidSchema(_) => "/schema",
        NotificationError::MissingReference => "/reference",
        NotificationError::MissingInvoke
        | NotificationError::InvalidInvoke { .. }
        | NotificationError::InvokeTooLong { .. } => "/invoke",
        NotificationError::NegativeDelay(_) => "/delay",
    }
}
