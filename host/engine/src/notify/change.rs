//! [`OrderChange`]: deciding which notifications fire on a change of a typed order,
//! serializing only the values at their scopes.

use std::cell::{OnceCell, RefCell};

use serde_json::Value;

use super::{NotificationError, SchemaCache, fires};
use crate::model::parts::{self, Found};
use crate::model::{Notification, Order};

/// A scope, what it finds after a change, and (when it found a value) before it.
type ScopeValues = (String, Result<Found, NotificationError>, Option<Found>);

/// A change from one version of an order to the next, as notifications see it.
///
/// [`OrderChange::fires`] decides exactly what [`fires`] decides on the two versions'
/// JSON, without serializing them: a notification whose scope lies in a top-level member
/// both versions hold the same value in (compared typed, once per member) did not change;
/// otherwise only the values at its scope are serialized, once per scope. Shapes the part
/// serializer does not walk fall back to the versions' whole JSON.
pub struct OrderChange<'a> {
    before: Option<&'a Order>,
    after: &'a Order,
    /// Top-level member name → whether both versions hold the same value there.
    same: RefCell<Vec<(String, bool)>>,
    /// Scope → what it finds after and before the change.
    found: RefCell<Vec<ScopeValues>>,
    /// The whole JSON of both versions, for the fallback.
    whole: OnceCell<(Value, Value)>,
}

impl<'a> OrderChange<'a> {
    /// The change from `before` (`None`: the order is new) to `after`.
    pub fn new(before: Option<&'a Order>, after: &'a Order) -> Self {
        Self {
            before,
            after,
            same: RefCell::default(),
            found: RefCell::default(),
            whole: OnceCell::new(),
        }
    }

    /// Whether `n` fires on this change: [`fires`] on the two versions' JSON.
    pub fn fires(
        &self,
        n: &Notification,
        schemas: &SchemaCache,
    ) -> Result<bool, NotificationError> {
        let scope = n.scope.as_deref().ok_or(NotificationError::MissingScope)?;
        let Some((new, old)) = self.values(scope)? else {
            return self.fires_on_whole(n, schemas);
        };
        let Found::At(new) = new else {
            return Ok(false);
        };
        if old.as_ref() == Some(&new) {
            return Ok(false);
        }
        let schema = n.schema.as_ref().ok_or(NotificationError::MissingSchema)?;
        Ok(schemas.get(schema)?.is_valid(&new))
    }

    /// What `scope` finds after the change, and before it when it found a value after
    /// (`None` when nothing was there before), as [`fires`] looks them up; `None` when the
    /// whole JSON must decide.
    fn values(&self, scope: &str) -> Result<Option<(Found, Option<Value>)>, NotificationError> {
        if let Some((_, after, before)) = self.found.borrow().iter().find(|(s, ..)| s == scope) {
            let before = match before {
                Some(Found::At(v)) => Some(v.clone()),
                _ => None,
            };
            return after.clone().map(|after| Some((after, before)));
        }
        let Some(tokens) = decode(scope) else {
            return Ok(None);
        };
        let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let in_array = || NotificationError::ScopeInArray {
            scope: scope.to_owned(),
        };
        let unchanged = self
            .before
            .is_some_and(|before| self.same_member(before, tokens[0]));
        // When the member did not change, the value at the scope did not either: only
        // whether there is one (or an array in the way) matters.
        let walk = if unchanged {
            parts::pointer_probe(self.after, &tokens)
        } else {
            parts::pointer_value(self.after, &tokens)
        };
        let Ok(after) = walk else { return Ok(None) };
        let (after, before) = match after {
            Found::InArray => (Err(in_array()), None),
            Found::Absent => (Ok(Found::Absent), None),
            // Same value before: report it as found before, so the change is "none".
            Found::At(_) if unchanged => (Ok(Found::At(Value::Null)), Some(Found::At(Value::Null))),
            Found::At(value) => {
                let before = match self.before {
                    None => Found::Absent,
                    Some(before) => match parts::pointer_value(before, &tokens) {
                        Ok(found) => found,
                        Err(_) => return Ok(None),
                    },
                };
                match before {
                    Found::InArray => (Err(in_array()), None),
                    before => (Ok(Found::At(value)), Some(before)),
                }
            }
        };
        self.found
            .borrow_mut()
            .push((scope.to_owned(), after.clone(), before.clone()));
        let before = match before {
            Some(Found::At(v)) => Some(v),
            _ => None,
        };
        after.map(|after| Some((after, before)))
    }

    fn same_member(&self, before: &Order, name: &str) -> bool {
        if let Some((_, same)) = self.same.borrow().iter().find(|(n, _)| n == name) {
            return *same;
        }
        let same = parts::same_member(before, self.after, name);
        self.same.borrow_mut().push((name.to_owned(), same));
        same
    }

    fn fires_on_whole(
        &self,
        n: &Notification,
        schemas: &SchemaCache,
    ) -> Result<bool, NotificationError> {
        let (before, after) = self.whole.get_or_init(|| {
            let json = |order: &Order| serde_json::to_value(order).unwrap_or(Value::Null);
            (self.before.map_or(Value::Null, json), json(self.after))
        });
        fires(n, before, after, schemas)
    }
}

/// The decoded tokens of a scope as [`fires`] walks it, or `None` when it is not a pointer
/// every token of which decodes (then the whole JSON decides, with its exact error).
fn decode(scope: &str) -> Option<Vec<String>> {
    let path = scope.strip_prefix('/')?;
    path.split('/')
        .map(|raw| {
            if raw.contains('~') {
                jsonptr::Token::from_encoded(raw)
                    .ok()
                    .map(|t| t.decoded().into_owned())
            } else {
                Some(raw.to_owned())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::from_value;

    fn order(status: &str, total: f64, attributes: Value) -> Order {
        from_value(json!({
            "id": "o_1", "merchant": "norce", "channel": "b2c",
            "created": "2026-01-01T00:00:00Z", "lastModified": "2026-01-01T00:00:00Z",
            "state": {"currentStatus": status, "transitions": []},
            "cart": {"reference": "c-9", "total": {"includingVat": total}, "items": [{"sku": "A"}]},
            "attributes": attributes,
        }))
        .expect("a valid order")
    }

    fn notification(scope: &str, schema: Value) -> Notification {
        from_value(json!({"scope": scope, "schema": schema})).expect("a notification")
    }

    #[test]
    fn decides_what_fires_decides_on_the_whole_json() {
        let schemas = SchemaCache::new();
        let a = order("checkout", 100.0, json!({"list": [1], "x": {"y": 1}}));
        let b = order("processing", 250.0, json!({"list": [2], "x": {"y": 1}}));
        let notifications = [
            notification("/state/currentStatus", json!({"const": "processing"})),
            notification("/cart/total/includingVat", json!({"minimum": 200})),
            notification("/cart/total/includingVat", json!({"minimum": 300})),
            notification("/cart/reference", json!({"type": "string"})),
            notification("/cart/items", json!({"type": "array"})),
            notification("/attributes/list/0", json!({})),
            notification("/attributes/x/y", json!({})),
            notification("/attributes/x", json!({})),
            notification("/customer/billing/country", json!({})),
            notification("/a~1b", json!({})),
            notification("state", json!({})),
        ];
        for (before, after) in [(Some(&a), &b), (Some(&b), &a), (Some(&a), &a), (None, &b)] {
            let change = OrderChange::new(before, after);
            let whole_before = before.map_or(Value::Null, |o| serde_json::to_value(o).unwrap());
            let whole_after = serde_json::to_value(after).unwrap();
            for n in &notifications {
                // Twice: the second answer comes from what the first one kept.
                for _ in 0..2 {
                    assert_eq!(
                        change.fires(n, &schemas),
                        fires(n, &whole_before, &whole_after, &schemas),
                        "{:?} from {:?}",
                        n.scope,
                        before.map(|o| o.state.current_status)
                    );
                }
            }
        }
    }
}
