//! [`OrderBody`]: the order an event carries, as JSON, built only when someone reads it.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::model::Order;

/// The order of an event's payload: JSON to everyone who reads it (it dereferences to a
/// [`Value`], serializes and compares as one), but an event the pipeline fires keeps the
/// committed order itself, shared with the stored version, and turns it into JSON only
/// when the event is read, stored by a database or delivered. A mutation that fires an
/// event therefore never serializes the whole order, and an in-memory event log holds
/// one shared order per version instead of a JSON tree per event. Cheap to clone.
#[derive(Clone)]
pub struct OrderBody(Arc<Repr>);

enum Repr {
    /// JSON given as such (read back from a store, built by a test).
    Json(Value),
    /// A committed order, and its JSON once someone asked for it.
    Order {
        order: Arc<Order>,
        json: OnceLock<Value>,
    },
}

impl OrderBody {
    /// The committed order the body was made from, when it was made from one (not read
    /// back as JSON).
    pub fn order(&self) -> Option<&Arc<Order>> {
        match &*self.0 {
            Repr::Order { order, .. } => Some(order),
            Repr::Json(_) => None,
        }
    }
}

impl Deref for OrderBody {
    type Target = Value;

    fn deref(&self) -> &Value {
        match &*self.0 {
            Repr::Json(json) => json,
            Repr::Order { order, json } => json.get_or_init(|| {
                // An order within its bounds always serializes (string keys; non-finite
                // numbers become null); should that change, readers see null, not a panic.
                serde_json::to_value(&**order).unwrap_or_else(|err| {
                    tracing::error!(order = %order.id, error = %err, "an order did not serialize to JSON");
                    Value::Null
                })
            }),
        }
    }
}

impl From<Value> for OrderBody {
    fn from(json: Value) -> Self {
        Self(Arc::new(Repr::Json(json)))
    }
}

impl From<Arc<Value>> for OrderBody {
    fn from(json: Arc<Value>) -> Self {
        Self::from(Arc::unwrap_or_clone(json))
    }
}

impl From<Arc<Order>> for OrderBody {
    fn from(order: Arc<Order>) -> Self {
        Self(Arc::new(Repr::Order {
            order,
            json: OnceLock::new(),
        }))
    }
}

impl PartialEq for OrderBody {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || **self == **other
    }
}

impl fmt::Debug for OrderBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl Serialize for OrderBody {
    /// As the JSON value: member order and numbers exactly as an event has always been
    /// written.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OrderBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from)
    }
}
