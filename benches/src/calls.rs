//! One validation as the pipeline performs it, shared by the benchmarks that run it: the
//! `validation` group, the growth curves and the instruction-count guard. (The 10-op
//! patch fixture is [`crate::ten_replace_ops`].)

use std::sync::Arc;

use ordergate::model::{Order, OrderStatus};
use ordergate::{ChangeSummary, Host, InstalledPlugin, OrderView, Violation};

use crate::call_context;

/// One validation as the pipeline does it: context and change to WIT, a view of the
/// candidate order (held shared, as the pipeline holds it), a fresh instance, the call, the
/// violations back to the host's type. Panics if the plugin faults: a benchmark of a
/// faulting plugin would measure the wrong thing.
pub fn validate_all_in(
    host: &Host,
    plugin: &InstalledPlugin,
    config: &str,
    order: &Arc<Order>,
) -> Vec<Violation> {
    let ctx = call_context(&plugin.manifest.id, config);
    let view = Arc::new(OrderView::new(Arc::clone(order)));
    let touched = ["/cart".to_owned()];
    let change = ChangeSummary {
        touched: &touched,
        from_status: Some(OrderStatus::Checkout),
        to_status: None,
    };
    let run = host
        .sandbox()
        .validate(plugin.compiled(), &plugin.limits, &ctx, &view, &change);
    match run.outcome {
        Ok(Ok(())) => Vec::new(),
        Ok(Err(violations)) => violations,
        Err(fault) => panic!("{} faulted: {fault}", plugin.manifest.id),
    }
}
