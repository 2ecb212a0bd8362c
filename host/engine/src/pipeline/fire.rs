//! The notification stage: after a change is computed and before it commits, every
//! notification on the order (and every trigger a hook returned) whose scope changed and
//! whose new value matches its schema becomes an event, committed with the change.

use std::sync::Arc;
use std::time::SystemTime;

use super::context::MutationCtx;
use super::trace::{FiredNotification, TraceError};
use super::{Pipeline, Scope};
use crate::events::{NotificationEvent, OrderBody};
use crate::model::{Notification, Order};
use crate::notify::{self, EventSource, OrderChange};
use crate::violation::Violation;

/// Events that fired, and their entries for the trace once they have committed.
#[derive(Default)]
pub(super) struct Fired {
    events: Vec<NotificationEvent>,
    notes: Vec<FiredNotification>,
}

impl Fired {
    pub(super) fn extend(&mut self, other: Fired) {
        self.events.extend(other.events);
        self.notes.extend(other.notes);
    }

    /// The events to commit, and what to add to the trace when they did.
    pub(super) fn split(self) -> (Vec<NotificationEvent>, Vec<FiredNotification>) {
        (self.events, self.notes)
    }
}

/// When a change happens: its commit time and its depth in the cascade (0: the mutation).
#[derive(Debug, Clone, Copy)]
pub(super) struct Moment {
    pub now: SystemTime,
    pub depth: u32,
}

/// Where a notification came from, as the trace says it.
const ORDER_SOURCE: &str = "order";

impl Pipeline {
    /// Checks a notification before it is put on an order: a valid scope outside arrays,
    /// a valid draft 2020-12 schema (compiled now, so firing never pays for it), a
    /// reference and an invoke template. An adapter (`x-adapterid`) may register
    /// notifications only for itself: its `{configuration.adapter.…}` placeholders must
    /// never resolve another adapter's configuration. One it names no adapter on is its own.
    pub(super) fn check_notification(
        &self,
        scope: &Scope,
        n: &mut Notification,
    ) -> Result<(), Vec<Violation>> {
        let invalid = |message: String| {
            vec![Violation::builtin(
                "/notifications",
                "invalid-notification",
                message,
            )]
        };
        if let Some(acting) = &scope.adapter_id {
            match &n.adapter_id {
                None => n.adapter_id = Some(acting.clone()),
                Some(named) if named != acting => {
                    return Err(invalid(format!(
                        "adapter `{acting}` may register notifications only for itself, \
                         not for adapter `{named}`"
                    )));
                }
                Some(_) => {}
            }
        }
        notify::check(n, &self.schemas).map_err(|e| invalid(e.to_string()))
    }

    /// The events of the order's own notifications for a change from `before` (`None`:
    /// the order is new) to `after`.
    pub(super) fn fire_order_notifications(
        &self,
        cx: &mut MutationCtx<'_>,
        before: Option<&Arc<Order>>,
        after: &Arc<Order>,
        at: Moment,
    ) -> Fired {
        let notifications = after.notifications.iter().map(|n| (n, ORDER_SOURCE));
        self.fire(cx, before, after, notifications, at)
    }

    /// The events of a hook's triggers, evaluated on the change the hook ran for: from the
    /// order before that change to the order as it stands after the hook.
    pub(super) fn fire_triggers(
        &self,
        cx: &mut MutationCtx<'_>,
        hook: &str,
        change: (Option<&Arc<Order>>, &Arc<Order>),
        triggers: &[Notification],
        at: Moment,
    ) -> Fired {
        let triggers = triggers.iter().map(|n| (n, hook));
        self.fire(cx, change.0, change.1, triggers, at)
    }

    fn fire<'a>(
        &self,
        cx: &mut MutationCtx<'_>,
        before: Option<&Arc<Order>>,
        after: &Arc<Order>,
        notifications: impl ExactSizeIterator<Item = (&'a Notification, &'a str)>,
        at: Moment,
    ) -> Fired {
        let Moment {
            now: created,
            depth,
        } = at;
        let mut fired = Fired::default();
        if notifications.len() == 0 {
            return fired;
        }
        // Only the values at the notifications' scopes are serialized, never the whole
        // order; the events of this change share one body: the committed order itself.
        let change = OrderChange::new(before.map(|o| &**o), after);
        let mut body: Option<OrderBody> = None;
        for (n, source) in notifications {
            let reference = n.reference.clone().unwrap_or_default();
            match change.fires(n, &self.schemas) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(reason) => {
                    cx.trace.errors.push(TraceError::NotificationNotEvaluated {
                        reference,
                        origin: source.to_owned(),
                        reason: reason.to_string(),
                    });
                    continue;
                }
            }
            let id = self.ids.new_id("evt");
            let invoke = self.resolve_invoke(after, n);
            let event_source = EventSource {
                id: &id,
                created,
                merchant: &after.merchant,
                channel: &after.channel,
                order_id: &after.id,
            };
            let body = body.get_or_insert_with(|| OrderBody::from(Arc::clone(after)));
            fired
                .events
                .push(notify::event(&event_source, n, body, invoke));
            fired.notes.push(FiredNotification {
                event_id: id,
                reference,
                scope: n.scope.clone().unwrap_or_default(),
                source: source.to_owned(),
                depth,
            });
        }
        fired
    }

    /// The notification's invoke URL, its placeholders resolved against the order and the
    /// configuration of the notification's own adapter (and no other).
    fn resolve_invoke(&self, order: &Order, n: &Notification) -> Result<String, String> {
        let Some(template) = n.invoke.as_deref() else {
            return Err("the notification has no invoke URL".to_owned());
        };
        let config = match &n.adapter_id {
            None => None,
            Some(adapter) => self
                .store
                .adapter_configuration(&order.merchant, adapter)
                .map_err(|e| format!("the adapter configuration could not be read: {e}"))?,
        };
        notify::resolve_invoke_for(template, order, config.as_ref()).map_err(|e| {
            match (&n.adapter_id, &config) {
                // Say which configuration is missing: that is what the merchant has to add.
                (Some(adapter), None) => format!(
                    "{e} (merchant {} has no configuration for adapter {adapter:?})",
                    order.merchant
                ),
                _ => e.to_string(),
            }
        })
    }
}
