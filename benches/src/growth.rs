//! The growth curves of the report: how a cost grows with its work. The sizes are here so
//! that the benchmarks (`growth/*`) and the plots (`examples/plots.rs`) agree on them.

use std::sync::atomic::{AtomicU64, Ordering};

use ordergate::model::Cart;
use ordergate::mutation::Mutation;
use ordergate::{Committed, Host, MutationError, Scope};
use serde_json::json;

use crate::{MAX_QUANTITY, cart, host, install, manifest, new_order, plugins, scope};

/// Cart lines of `growth/validation/<n>`: max-quantity all-in.
pub const VALIDATION_LINES: [usize; 7] = [1, 10, 50, 100, 200, 500, 1000];

/// Notifications on the order of `growth/notifications/<n>`: a 20-line `SetCart`, no
/// plugins.
pub const NOTIFICATION_COUNTS: [usize; 5] = [0, 10, 100, 500, 1000];

/// Validation plugins of `growth/plugins/<n>`: a 20-line `SetCart`, no notifications.
pub const PLUGIN_COUNTS: [usize; 6] = [0, 1, 5, 10, 25, 50];

/// A host with `n` validation plugins, all concerned by a cart change, and one 20-line
/// order: the four example validations in turn under distinct ids (max-quantity with a
/// limit per id), so `n` grows the work of a mutation and nothing else.
pub struct PluginsRig {
    /// The host.
    pub host: Host,
    /// The tenant and acting adapter.
    pub scope: Scope,
    order: String,
    carts: [Cart; 2],
    turn: AtomicU64,
}

impl PluginsRig {
    /// Installs `n` plugins and creates the order.
    pub fn new(n: usize) -> Self {
        let host = host();
        for i in 0..n {
            let (path, config) = match i % 4 {
                0 => (
                    plugins::MAX_QUANTITY,
                    json!({"maxQuantity": MAX_QUANTITY + i as i64}),
                ),
                1 => (plugins::ORGANIZATION_NUMBER, json!({})),
                2 => (plugins::PAYMENT_COVERAGE, json!({})),
                _ => (plugins::HOSTILE, json!({"behaviour": "accept"})),
            };
            install(
                &host,
                path,
                manifest(&format!("plugin-{i:02}"), &["cart"], config),
            );
        }
        let scope = scope();
        let order = host
            .create_order(&scope, new_order(20))
            .expect("order created")
            .order
            .id
            .clone();
        Self {
            host,
            scope,
            order,
            carts: [cart(20, 1), cart(20, 2)],
            turn: AtomicU64::new(0),
        }
    }

    /// One `SetCart`, alternating between two carts (built beforehand, as
    /// [`crate::MutationRig`]'s) so that every call is a real change.
    pub fn mutate(&self) -> Result<Committed, MutationError> {
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        let cart = self.carts[(turn % 2) as usize].clone();
        self.host
            .mutate(&self.scope, &self.order, Mutation::SetCart(cart))
    }
}
