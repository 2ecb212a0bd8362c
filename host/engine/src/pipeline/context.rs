//! What one mutation carries through the stages.

use std::sync::Arc;

use super::budget::Account;
use super::trace::Trace;
use super::{Pipeline, Scope};
use crate::observe::{Observation, Watching};
use crate::registry::TenantPlugins;

/// One mutation's state: who asks, the tenant's plugins as they were when it started (a
/// plugin installed meanwhile applies from the next mutation on), the trace it builds, and
/// what it has spent of its budgets.
pub(super) struct MutationCtx<'p> {
    pub scope: &'p Scope,
    pub plugins: Arc<TenantPlugins>,
    pub trace: Trace,
    pub account: Account,
    /// What the tenant has to observe (shadow versions, runs to keep): the stages collect
    /// [`Observation`]s only for that.
    pub observing: Watching,
    /// What the stages saw, handed to the observer once the mutation is decided.
    pub observations: Vec<Observation>,
}

impl<'p> MutationCtx<'p> {
    pub(super) fn new(
        pipeline: &'p Pipeline,
        scope: &'p Scope,
        plugins: Arc<TenantPlugins>,
        attempt: u32,
    ) -> Self {
        let observing = pipeline.observer.watches(&scope.tenant, &plugins);
        Self {
            scope,
            plugins,
            observing,
            observations: Vec::new(),
            trace: Trace {
                attempts: attempt,
                request_id: scope.request_id.clone(),
                ..Trace::default()
            },
            account: Account::new(pipeline.budgets),
        }
    }
}
