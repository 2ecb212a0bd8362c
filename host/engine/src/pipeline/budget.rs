//! What one mutation may make the host do on plugins' behalf, and the per-mutation account
//! that enforces it.
//!
//! Plugin limits (fuel, deadline, memory, result size) bound one run. These budgets bound
//! the whole mutation: a cascade of hooks is bounded in depth, but without them five hooks
//! that each answer every change make one `SetCart` run a hundred thousand hook calls, and
//! one hook answering with a hundred thousand triggers keeps the host busy for seconds.
//! Exceeding a budget stops the cascade where it is, with a [`TraceError::BudgetExceeded`]
//! in the trace; whatever committed before stays committed and consistent (every commit is
//! an order version with its own events).

use std::time::{Duration, Instant};

use serde::Serialize;

use super::trace::TraceError;

/// Per-mutation budgets, host-wide. Every field has a default that a well-behaved set of
/// plugins stays far below (the benchmarks' full mutation, 5 validations and 3 hooks, uses
/// 8 runs and 3 versions), while a runaway cascade stops within milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// How deep hook changes may cascade: a mutation's own hooks are depth 1, the hooks of
    /// their patches depth 2, … Default: 8.
    pub max_cascade_depth: u32,
    /// Plugin runs (validations and hooks together) one mutation may cause, its cascade
    /// included. Default: 64.
    pub max_plugin_runs: u32,
    /// Order versions hooks may commit for one mutation (breadth as well as depth).
    /// Default: 32.
    pub max_hook_versions: u32,
    /// Host time spent on plugins' output for one mutation: applying and checking hook
    /// patches, validating them, evaluating notifications and triggers. Default: 250 ms.
    pub max_output_time: Duration,
    /// Triggers one hook answer may carry; more are refused unread. Default: 32.
    pub max_triggers_per_hook: usize,
    /// Distinct JSON Schemas one mutation may compile (cached ones cost nothing).
    /// Default: 16.
    pub max_schema_compiles: u32,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            max_cascade_depth: 8,
            max_plugin_runs: 64,
            max_hook_versions: 32,
            max_output_time: Duration::from_millis(250),
            max_triggers_per_hook: 32,
            max_schema_compiles: 16,
        }
    }
}

/// Which budget ran out, as the trace names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Budget {
    /// [`Budgets::max_plugin_runs`].
    PluginRuns,
    /// [`Budgets::max_hook_versions`].
    HookVersions,
    /// [`Budgets::max_output_time`].
    OutputTime,
    /// [`Budgets::max_schema_compiles`].
    SchemaCompiles,
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Budget::PluginRuns => "plugin runs",
            Budget::HookVersions => "versions committed by hooks",
            Budget::OutputTime => "host time on plugin output",
            Budget::SchemaCompiles => "schemas compiled",
        })
    }
}

/// What one mutation has spent so far.
#[derive(Debug)]
pub(super) struct Account {
    budgets: Budgets,
    plugin_runs: u32,
    hook_versions: u32,
    output_time: Duration,
    schema_compiles: u32,
    /// The first budget that ran out: once one has, the cascade runs nothing more.
    exhausted: Option<Budget>,
}

impl Account {
    pub(super) fn new(budgets: Budgets) -> Self {
        Self {
            budgets,
            plugin_runs: 0,
            hook_versions: 0,
            output_time: Duration::ZERO,
            schema_compiles: 0,
            exhausted: None,
        }
    }

    pub(super) fn budgets(&self) -> &Budgets {
        &self.budgets
    }

    /// Whether a budget has run out.
    pub(super) fn exhausted(&self) -> Option<Budget> {
        self.exhausted
    }

    /// Takes `runs` plugin runs, or says the budget would be exceeded (and remembers it).
    pub(super) fn take_runs(&mut self, runs: usize) -> Result<(), TraceError> {
        let runs = u32::try_from(runs).unwrap_or(u32::MAX);
        let limit = self.budgets.max_plugin_runs;
        if self.plugin_runs.saturating_add(runs) > limit {
            return Err(self.exceed(Budget::PluginRuns, limit.into()));
        }
        self.plugin_runs += runs;
        Ok(())
    }

    /// Counts `runs` plugin runs that must happen whatever the budget (a mutation's own
    /// validations): they count against what the cascade may still do.
    pub(super) fn count_runs(&mut self, runs: usize) {
        let runs = u32::try_from(runs).unwrap_or(u32::MAX);
        self.plugin_runs = self.plugin_runs.saturating_add(runs);
    }

    /// Takes one hook-committed version.
    pub(super) fn take_version(&mut self) -> Result<(), TraceError> {
        let limit = self.budgets.max_hook_versions;
        if self.hook_versions >= limit {
            return Err(self.exceed(Budget::HookVersions, limit.into()));
        }
        self.hook_versions += 1;
        Ok(())
    }

    /// Takes `compiled` schema compilations.
    pub(super) fn take_schema_compiles(&mut self, compiled: u32) -> Result<(), TraceError> {
        let limit = self.budgets.max_schema_compiles;
        self.schema_compiles = self.schema_compiles.saturating_add(compiled);
        if self.schema_compiles > limit {
            return Err(self.exceed(Budget::SchemaCompiles, limit.into()));
        }
        Ok(())
    }

    /// Adds the host time spent on plugin output since `since`.
    pub(super) fn spend_output_time(&mut self, since: Instant) -> Result<(), TraceError> {
        self.output_time += since.elapsed();
        let limit = self.budgets.max_output_time;
        if self.output_time > limit {
            let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
            return Err(self.exceed(Budget::OutputTime, millis));
        }
        Ok(())
    }

    fn exceed(&mut self, budget: Budget, limit: u64) -> TraceError {
        self.exhausted.get_or_insert(budget);
        TraceError::BudgetExceeded { budget, limit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_taken_until_the_budget_is_spent_and_the_first_exhaustion_is_kept() {
        let mut account = Account::new(Budgets {
            max_plugin_runs: 3,
            max_hook_versions: 1,
            ..Budgets::default()
        });
        assert_eq!(account.take_runs(2), Ok(()));
        assert_eq!(
            account.take_runs(2),
            Err(TraceError::BudgetExceeded {
                budget: Budget::PluginRuns,
                limit: 3
            })
        );
        assert_eq!(account.take_runs(1), Ok(()));
        assert_eq!(account.take_version(), Ok(()));
        assert_eq!(
            account.take_version(),
            Err(TraceError::BudgetExceeded {
                budget: Budget::HookVersions,
                limit: 1
            })
        );
        assert_eq!(account.exhausted(), Some(Budget::PluginRuns));
    }
}
