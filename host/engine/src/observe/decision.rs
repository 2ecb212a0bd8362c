//! What a plugin decided, in a form two runs can be compared by: a shadow version against
//! the active one, a local build against what happened (replay).

use serde::{Deserialize, Serialize};

use crate::patch::PatchOperation;
use crate::sandbox::{Fault, HookAnswer};
use crate::violation::Violation;

/// One run's decision: its verdict and what it rests on. Two decisions agree when their
/// verdicts, violations and operations are equal (the detail of a fault or failure is not
/// compared: two traps agree).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// A validation: `accepted`, `rejected` or `faulted`. A hook: `patched`, `unchanged`,
    /// `patchRefused` (the operations are not a valid patch), `hookFailed` or `faulted`.
    /// (A hook's decision is its answer: whether the host then committed the patch depends
    /// on the merchant's validations, which the trace says.)
    pub verdict: String,
    /// A validation's violations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// A hook's operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<PatchOperation>,
    /// The fault, the hook's failure message or why its patch is invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Decision {
    fn new(verdict: &str) -> Self {
        Self {
            verdict: verdict.to_owned(),
            violations: Vec::new(),
            operations: Vec::new(),
            detail: None,
        }
    }

    /// What having no such plugin decides: a validation accepts, a hook changes nothing.
    pub(crate) fn absent(validation: bool) -> Self {
        Self::new(if validation { "accepted" } else { "unchanged" })
    }

    fn faulted(fault: &Fault) -> Self {
        Self {
            detail: Some(fault.to_string()),
            ..Self::new("faulted")
        }
    }

    /// A validation's answer.
    pub fn of_validation(outcome: &Result<Result<(), Vec<Violation>>, Fault>) -> Self {
        match outcome {
            Ok(Ok(())) => Self::new("accepted"),
            Ok(Err(found)) if found.is_empty() => Self::new("accepted"),
            Ok(Err(found)) => Self {
                violations: found.clone(),
                ..Self::new("rejected")
            },
            Err(fault) => Self::faulted(fault),
        }
    }

    /// A hook's answer.
    pub fn of_hook(outcome: &Result<Result<HookAnswer, String>, Fault>) -> Self {
        match outcome {
            Err(fault) => Self::faulted(fault),
            Ok(Err(message)) => Self {
                detail: Some(message.clone()),
                ..Self::new("hookFailed")
            },
            Ok(Ok(answer)) => match &answer.patch {
                Err(reason) => Self {
                    detail: Some(reason.clone()),
                    ..Self::new("patchRefused")
                },
                Ok(ops) if ops.is_empty() => Self::new("unchanged"),
                Ok(ops) => Self {
                    operations: ops.clone(),
                    ..Self::new("patched")
                },
            },
        }
    }

    /// Whether `other` decided the same (see the type's docs).
    pub fn agrees_with(&self, other: &Decision) -> bool {
        self.verdict == other.verdict
            && self.operations == other.operations
            && self.violations.len() == other.violations.len()
            && self.violations.iter().zip(&other.violations).all(|(a, b)| {
                // The plugin each is attributed to may be named differently (a local build
                // run under its file name): what and where is the decision.
                (&a.path, &a.code, &a.message) == (&b.path, &b.code, &b.message)
            })
    }
}
