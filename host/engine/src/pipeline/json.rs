//! The JSON of the order versions a mutation goes through, serialized at most once each:
//! notifications compare a version with the next, a hook's triggers look at the same
//! versions again, and the version one mutation ends on is the next mutation's `before`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::model::Order;

/// The JSON of the latest committed order versions, kept across mutations: the `before`
/// of a mutation is the `after` of the one that committed the order it starts from, so it
/// needs no serializing again. Keyed by the shared order itself (the store hands out the
/// committed `Arc`), so a store that rebuilds orders on load simply never hits.
#[derive(Debug, Default)]
pub(super) struct JsonMemo {
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
    pub(super) fn of(&mut self, order: &Arc<Order>) -> Arc<Value> {
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

fn to_json(order: &Order) -> Value {
    // An order within its bounds always serializes (string keys, and non-finite numbers
    // become null); should that ever change, notifications see no value rather than the
    // host panicking.
    serde_json::to_value(order).unwrap_or_else(|err| {
        tracing::error!(order = %order.id, error = %err, "an order did not serialize to JSON");
        Value::Null
    })
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
