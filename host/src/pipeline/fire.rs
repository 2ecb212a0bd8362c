//! The notification stage: after a change is computed and before it commits, every
//! notification on the order (and every trigger a hook returned) whose scope changed and
//! whose new value matches its schema becomes an event, committed with the change.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::Value;

use crate::events::NotificationEvent;
use crate::host::Host;
use crate::model::{Notification, Order};
use crate::notify::{self, EventSource};
use crate::trace::{FiredNotification, Trace};
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

/// The JSON of the latest committed order versions, kept across mutations: the `before`
/// of a mutation is the `after` of the one that committed the order it starts from, so it
/// needs no serializing again. Keyed by the shared order itself (the store hands out the
/// committed `Arc`), so a store that rebuilds orders on load simply never hits.
#[derive(Debug, Default)]
pub(crate) struct JsonMemo {
    recent: Mutex<VecDeque<(Arc<Order>, Arc<Value>)>>,
}

impl JsonMemo {
    /// Orders whose latest JSON is kept. An order JSON is a few hundred KiB at most for
    /// large carts with many notifications, so this bounds the memo to tens of MiB.
    const KEPT: usize = 64;

    fn recent(&self) -> std::sync::MutexGuard<'_, VecDeque<(Arc<Order>, Arc<Value>)>> {
        // The deque is valid after any panic: entries are pushed and popped whole.
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, order: &Arc<Order>) -> Option<Arc<Value>> {
        let recent = self.recent();
        let found = recent.iter().find(|(o, _)| Arc::ptr_eq(o, order));
        found.map(|(_, json)| Arc::clone(json))
    }

    fn put(&self, order: &Arc<Order>, json: Arc<Value>) {
        let mut recent = self.recent();
        if recent.iter().any(|(o, _)| Arc::ptr_eq(o, order)) {
            return;
        }
        if recent.len() == Self::KEPT {
            recent.pop_front();
        }
        recent.push_back((Arc::clone(order), json));
    }
}

/// The JSON of the order versions one mutation and its cascade go through, each
/// serialized at most once: notifications compare a version with the next, and a hook's
/// triggers look at the same versions again.
pub(super) struct Jsons<'a> {
    memo: &'a JsonMemo,
    known: Vec<(Arc<Order>, Arc<Value>)>,
}

impl<'a> Jsons<'a> {
    /// A cascade touches a handful of versions; more than this are recomputed if needed.
    const KEPT: usize = 8;

    pub(super) fn new(memo: &'a JsonMemo) -> Self {
        Self {
            memo,
            known: Vec::new(),
        }
    }

    /// The JSON of `order`, serialized on first use.
    fn of(&mut self, order: &Arc<Order>) -> Arc<Value> {
        if let Some((_, json)) = self.known.iter().find(|(o, _)| Arc::ptr_eq(o, order)) {
            return Arc::clone(json);
        }
        let json = self
            .memo
            .get(order)
            .unwrap_or_else(|| Arc::new(to_json(order)));
        if self.known.len() == Self::KEPT {
            self.known.remove(0);
        }
        self.known.push((Arc::clone(order), Arc::clone(&json)));
        json
    }

    /// Hands the JSON of the version the mutation ended on, if it was serialized, to the
    /// next mutation of the order.
    pub(super) fn keep(&self, latest: &Arc<Order>) {
        if let Some((_, json)) = self.known.iter().find(|(o, _)| Arc::ptr_eq(o, latest)) {
            self.memo.put(latest, Arc::clone(json));
        }
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

impl Host {
    /// Checks a notification before it is put on an order: a valid scope outside arrays,
    /// a valid draft 2020-12 schema (compiled now, so firing never pays for it), a
    /// reference and an invoke template.
    pub(super) fn check_notification(&self, n: &Notification) -> Result<(), Vec<Violation>> {
        notify::check(n, &self.schemas).map_err(|e| {
            vec![Violation::builtin(
                "/notifications",
                "invalid-notification",
                e.to_string(),
            )]
        })
    }

    /// The events of the order's own notifications for a change from `before` (`None`:
    /// the order is new) to `after`.
    pub(super) fn fire_order_notifications(
        &self,
        before: Option<&Arc<Order>>,
        after: &Arc<Order>,
        at: Moment,
        jsons: &mut Jsons<'_>,
        trace: &mut Trace,
    ) -> Fired {
        let notifications = after.notifications.iter().map(|n| (n, ORDER_SOURCE));
        self.fire(before, after, notifications, at, jsons, trace)
    }

    /// The events of a hook's triggers, evaluated on the change the hook ran for: from the
    /// order before that change to the order as it stands after the hook.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fire_triggers(
        &self,
        hook: &str,
        before: Option<&Arc<Order>>,
        after: &Arc<Order>,
        triggers: &[Notification],
        at: Moment,
        jsons: &mut Jsons<'_>,
        trace: &mut Trace,
    ) -> Fired {
        let triggers = triggers.iter().map(|n| (n, hook));
        self.fire(before, after, triggers, at, jsons, trace)
    }

    fn fire<'a>(
        &self,
        before: Option<&Arc<Order>>,
        after: &Arc<Order>,
        notifications: impl ExactSizeIterator<Item = (&'a Notification, &'a str)>,
        at: Moment,
        jsons: &mut Jsons<'_>,
        trace: &mut Trace,
    ) -> Fired {
        let Moment {
            now: created,
            depth,
        } = at;
        let mut fired = Fired::default();
        if notifications.len() == 0 {
            return fired;
        }
        let before = match before {
            Some(order) => jsons.of(order),
            None => Arc::new(Value::Null),
        };
        // Shared by the events of this change: one copy of the order however many fire.
        let after_json = jsons.of(after);
        let configs = self
            .adapter_configs
            .read()
            .expect("adapter configuration lock");
        for (n, source) in notifications {
            let reference = n.reference.clone().unwrap_or_default();
            match notify::fires(n, &before, &after_json, &self.schemas) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(e) => {
                    trace.errors.push(format!(
                        "notification `{reference}` ({source}) could not be evaluated: {e}"
                    ));
                    continue;
                }
            }
            let id = self.ids.new_id("evt");
            let config = n
                .adapter_id
                .as_ref()
                .and_then(|a| configs.get(&(after.merchant.clone(), a.clone())));
            let invoke =
                match n.invoke.as_deref() {
                    Some(template) => notify::resolve_invoke(template, &after_json, config)
                        .map_err(|e| match (&n.adapter_id, config) {
                            // Say which configuration is missing: that is what the merchant
                            // has to add.
                            (Some(adapter), None) => format!(
                                "{e} (merchant {} has no configuration for adapter {adapter:?})",
                                after.merchant
                            ),
                            _ => e,
                        }),
                    None => Err("the notification has no invoke URL".to_owned()),
                };
            let event_source = EventSource {
                id: &id,
                created,
                merchant: &after.merchant,
                channel: &after.channel,
                order_id: &after.id,
            };
            fired
                .events
                .push(notify::event(&event_source, n, &after_json, invoke));
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
}

fn to_json(order: &Order) -> Value {
    serde_json::to_value(order).expect("an order always serializes to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str) -> Arc<Order> {
        let order = crate::model::from_value(serde_json::json!({
            "id": id, "merchant": "norce", "channel": "b2c",
            "created": "2026-01-01T00:00:00Z", "lastModified": "2026-01-01T00:00:00Z",
            "state": {"currentStatus": "checkout", "transitions": []},
        }));
        Arc::new(order.expect("a valid order"))
    }

    #[test]
    fn the_next_mutation_reuses_the_json_the_last_one_ended_on() {
        let memo = JsonMemo::default();
        let (first, other) = (order("o_1"), order("o_1"));
        let mut jsons = Jsons::new(&memo);
        let json = jsons.of(&first);
        assert_eq!(json["id"], "o_1");
        jsons.keep(&first);

        let mut next = Jsons::new(&memo);
        assert!(Arc::ptr_eq(&next.of(&first), &json), "served from the memo");
        // An equal order that is not the same version is serialized anew.
        assert!(!Arc::ptr_eq(&next.of(&other), &json));
    }

    #[test]
    fn the_memo_keeps_the_latest_orders_only() {
        let memo = JsonMemo::default();
        let orders: Vec<_> = (0..=JsonMemo::KEPT)
            .map(|i| order(&format!("o_{i}")))
            .collect();
        for o in &orders {
            let mut jsons = Jsons::new(&memo);
            jsons.of(o);
            jsons.keep(o);
        }
        assert!(memo.get(&orders[0]).is_none(), "the oldest was dropped");
        assert_eq!(memo.get(&orders[JsonMemo::KEPT]).unwrap()["id"], "o_64");
    }
}
