//! One description of the order's shape, for the code that must know it without reading
//! the serde types: which top-level parts a plugin may subscribe to ([`is_part`]), where the
//! arrays are (notification scopes may not go through one: [`through_array`]), and what a
//! hook's patch may not write ([`Access`], [`protected`], [`host_owned`]), which entities
//! carry ids that must stay unique ([`duplicate_id`]).
//!
//! [`ORDER`] names only the fields that matter to these questions; a field it does not
//! name is free for hooks and holds no array the host relies on. A test checks it against
//! the model's serialization of a fully populated order.
//!
//! # What hooks may not write, and why
//!
//! - **Host-owned** ([`Access::Host`]): the order's identity and tenancy (`/id`,
//!   `/merchant`, `/channel`), its timestamps (`/created`, `/lastModified`), its status
//!   history (`/state/transitions`, only the host appends), and the order's registrations:
//!   `/notifications`, `/hooks` (and `/detachedHooks`, the hooks deleted from the order)
//!   and `/validations`. A hook raises notifications through
//!   triggers, which pass the same checks as `CreateNotification`; bindings of hooks and
//!   validations are the tenant's (installed plugins) and the order API's (`POST`/`DELETE
//!   …/hooks`, `…/validations`), never a patch's: a patch could otherwise register a
//!   notification no check accepted or re-bind a hook the order deleted.
//! - **Entity ids** ([`Access::Entity`]): the `id` of an existing cart item (at any
//!   nesting depth), payment, payment action (read-only in spec 004), shipping or consent.
//!   They identify the entity to the order API and to adapters; a new entity may bring one.
//! - **Stamped by the host** ([`Access::Stamped`]): a payment's and a shipping's
//!   `merchant`, `channel` and `orderId`, which the host copies from the order when the
//!   entity is added (spec 004 documents them as the merchant's and the order's; the
//!   platform, not an adapter, knows them). On an existing entity they are read-only; on a
//!   new one they may only hold the order's value.

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonptr::{PointerBuf, Token};
use serde_json::Value;

/// What a hook's patch may do with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Hooks may write it.
    Open,
    /// The host owns it: no write at or under it; a write above it (replacing the whole
    /// order or `/state`) must leave it as it was.
    Host,
    /// An entity's id: no write at or under it while the entity exists.
    Entity,
    /// Copied by the host from the order's top-level field of this name (`merchant`,
    /// `channel`, `id`): read-only on an existing entity, and equal to the order's value
    /// when present on a new one.
    Stamped(&'static str),
}

/// The shape of a value.
#[derive(Debug)]
pub enum Node {
    /// A scalar, or JSON whose shape the host does not rely on (free-form attributes,
    /// schemas, objects without arrays or protected fields).
    Value,
    /// An object with these fields (others may exist; they are [`Node::Value`]s).
    Object(&'static [Field]),
    /// An array of `element`s.
    Array {
        /// The shape of each element.
        element: &'static Node,
        /// When the elements are entities with ids unique in the order, what they are
        /// called (`"cart item"`); arrays with the same name share one id space.
        entity: Option<&'static str>,
    },
}

/// A named field of an object.
#[derive(Debug)]
pub struct Field {
    /// The key, as serialized (`lastModified`).
    pub name: &'static str,
    /// What hooks may do with it.
    pub access: Access,
    /// Its shape.
    pub node: Node,
}

const fn field(name: &'static str, access: Access, node: Node) -> Field {
    Field { name, access, node }
}

const fn open(name: &'static str, node: Node) -> Field {
    field(name, Access::Open, node)
}

/// A field holding an array of values whose shape does not matter.
const fn list(name: &'static str) -> Field {
    open(name, entities(&Node::Value, None))
}

const fn entities(element: &'static Node, entity: Option<&'static str>) -> Node {
    Node::Array { element, entity }
}

/// The order (spec 003's full order schema).
pub static ORDER: Node = Node::Object(&[
    field("id", Access::Host, Node::Value),
    field("merchant", Access::Host, Node::Value),
    field("channel", Access::Host, Node::Value),
    open("reference", Node::Value),
    field("created", Access::Host, Node::Value),
    field("lastModified", Access::Host, Node::Value),
    open(
        "state",
        Node::Object(&[
            open("currentStatus", Node::Value),
            field("transitions", Access::Host, entities(&Node::Value, None)),
        ]),
    ),
    open("culture", Node::Value),
    open("currency", Node::Value),
    open("country", Node::Value),
    open(
        "cart",
        Node::Object(&[
            open("items", entities(&ITEM, Some("cart item"))),
            list("discounts"),
        ]),
    ),
    open("shippings", entities(&SHIPPING, Some("shipping"))),
    open("payments", entities(&PAYMENT, Some("payment"))),
    open("customer", Node::Value),
    open("consents", entities(&CONSENT, Some("consent"))),
    field("validations", Access::Host, entities(&Node::Value, None)),
    field("hooks", Access::Host, entities(&Node::Value, None)),
    field("detachedHooks", Access::Host, entities(&Node::Value, None)),
    field("notifications", Access::Host, entities(&Node::Value, None)),
    open("total", Node::Value),
    open("attributes", Node::Value),
]);

/// A cart item; bundles nest items of their own, at any depth.
static ITEM: Node = Node::Object(&[
    field("id", Access::Entity, Node::Value),
    open("items", entities(&ITEM, Some("cart item"))),
    list("discounts"),
    open("logistics", Node::Object(&[list("tags")])),
]);

/// A payment (spec 004).
static PAYMENT: Node = Node::Object(&[
    field("id", Access::Entity, Node::Value),
    field("merchant", Access::Stamped("merchant"), Node::Value),
    field("channel", Access::Stamped("channel"), Node::Value),
    field("orderId", Access::Stamped("id"), Node::Value),
    open("actions", entities(&PAYMENT_ACTION, Some("payment action"))),
    open("upsell", Node::Object(&[list("transactions")])),
]);

/// An after-payment action; spec 004 marks its id read-only.
static PAYMENT_ACTION: Node = Node::Object(&[field("id", Access::Entity, Node::Value)]);

/// A shipping.
static SHIPPING: Node = Node::Object(&[
    field("id", Access::Entity, Node::Value),
    field("merchant", Access::Stamped("merchant"), Node::Value),
    field("channel", Access::Stamped("channel"), Node::Value),
    field("orderId", Access::Stamped("id"), Node::Value),
    list("addons"),
]);

/// A consent.
static CONSENT: Node = Node::Object(&[field("id", Access::Entity, Node::Value)]);

/// The fields of an object node; none for the others.
fn fields(node: &Node) -> &'static [Field] {
    match node {
        Node::Object(fields) => fields,
        _ => &[],
    }
}

/// The order's top-level fields.
pub fn top_level() -> &'static [Field] {
    fields(&ORDER)
}

/// Whether `name` is an order part a plugin may subscribe to by name (`cart`, `state`,
/// `payments`, …): any top-level field but the host-owned scalars (`id`, `merchant`,
/// `channel`, `created`, `lastModified`), which either never change or change with every
/// commit, so a subscription to them would mean nothing or everything.
pub fn is_part(name: &str) -> bool {
    top_level()
        .iter()
        .any(|f| f.name == name && !(f.access == Access::Host && matches!(f.node, Node::Value)))
}

/// Whether a pointer's decoded tokens go *through* one of the order's arrays (a token
/// after an array field, at any nesting: `/payments/0/state`, `/cart/items/0/items`).
/// Naming the array itself (`/payments`) is not going through it. Free-form JSON
/// (`attributes`) is not described, so a path into it is not through an array here.
pub fn through_array<'t>(tokens: impl IntoIterator<Item = &'t str>) -> bool {
    let mut node = &ORDER;
    for token in tokens {
        node = match node {
            Node::Array { .. } => return true,
            Node::Object(fields) => match fields.iter().find(|f| f.name == token) {
                Some(f) => &f.node,
                None => return false,
            },
            Node::Value => return false,
        };
    }
    false
}

/// The first protected field on a path: how many of the path's tokens lead to it (it
/// included) and its access. `None` when the path crosses no field but [`Access::Open`]
/// ones. For [`Access::Entity`] and [`Access::Stamped`], the entity is the path's first
/// `len - 1` tokens: the field is protected only while that entity exists.
pub fn protected<'t>(tokens: impl IntoIterator<Item = &'t str>) -> Option<(usize, Access)> {
    let mut node = &ORDER;
    for (at, token) in tokens.into_iter().enumerate() {
        node = match node {
            // Any token is an element (or a failure json-patch reports).
            Node::Array { element, .. } => element,
            Node::Object(fields) => {
                let f = fields.iter().find(|f| f.name == token)?;
                if f.access != Access::Open {
                    return Some((at + 1, f.access));
                }
                &f.node
            }
            Node::Value => return None,
        };
    }
    None
}

/// The host-owned locations ([`Access::Host`]) of every order. All are reached through
/// objects only, so each is one fixed pointer.
pub fn host_owned() -> &'static [PointerBuf] {
    static PATHS: OnceLock<Vec<PointerBuf>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut found = Vec::new();
        let mut stack = vec![(PointerBuf::new(), &ORDER)];
        while let Some((path, node)) = stack.pop() {
            for f in fields(node) {
                let at = path.with_trailing_token(Token::new(f.name));
                if f.access == Access::Host {
                    found.push(at);
                } else {
                    stack.push((at, &f.node));
                }
            }
        }
        found.sort();
        found
    })
}

/// One step of a path the walk took: a field or an array index. Kept as is, and turned
/// into a pointer only for a report, so that walking allocates nothing per field.
#[derive(Debug, Clone, Copy)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// The pointer of a walked path.
fn pointer(steps: &[Step]) -> PointerBuf {
    PointerBuf::from_tokens(steps.iter().map(|step| match *step {
        Step::Key(key) => Token::new(key),
        Step::Index(i) => Token::from(i),
    }))
}

/// Calls `visit` with the path, description and value of every described field present
/// in `doc` (array elements included), in document order, and the entity name of the
/// array whose element holds the field, if any. Walks with an explicit stack.
fn walk<'v>(
    doc: &'v Value,
    mut visit: impl FnMut(&[Step], &'static Field, &'v Value, Option<&'static str>),
) {
    /// A value to visit: how many steps lead to its parent, the step to it, its shape,
    /// and the entity name of the array it is an element of.
    type Entry<'v> = (
        usize,
        Option<Step>,
        &'static Node,
        &'v Value,
        Option<&'static str>,
    );
    let mut path: Vec<Step> = Vec::new();
    let mut stack: Vec<Entry<'v>> = vec![(0, None, &ORDER, doc, None)];
    while let Some((parent, step, node, value, owner)) = stack.pop() {
        path.truncate(parent);
        path.extend(step);
        let here = path.len();
        match (node, value) {
            (Node::Object(fields), Value::Object(map)) => {
                let start = stack.len();
                for f in fields.iter() {
                    if let Some(v) = map.get(f.name) {
                        path.push(Step::Key(f.name));
                        visit(&path, f, v, owner);
                        path.pop();
                        stack.push((here, Some(Step::Key(f.name)), &f.node, v, None));
                    }
                }
                // Popped last-in first-out: reversed, the first field is walked first.
                stack[start..].reverse();
            }
            (Node::Array { element, entity }, Value::Array(items)) => {
                for (i, v) in items.iter().enumerate().rev() {
                    stack.push((here, Some(Step::Index(i)), element, v, *entity));
                }
            }
            _ => {}
        }
    }
}

/// Two entities sharing an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// What they are, e.g. `cart item`.
    pub entity: &'static str,
    /// The shared id.
    pub id: String,
    /// Pointer to the first entity's `id`, in document order.
    pub first: String,
    /// Pointer to the later entity's `id`.
    pub path: String,
}

/// The first two entities of one kind (cart items at any depth, payments, payment
/// actions, shippings, consents) that share an id in `doc`, an order as JSON. Entities
/// without an id are not compared (the host assigns ids to those it adds).
pub fn duplicate_id(doc: &Value) -> Option<Duplicate> {
    let mut seen: HashMap<(&'static str, &str), String> = HashMap::new();
    let mut found = None;
    walk(doc, |path, f, value, owner| {
        let (None, "id", Some(entity), Some(id)) = (&found, f.name, owner, value.as_str()) else {
            return;
        };
        match seen.get(&(entity, id)) {
            Some(first) => {
                found = Some(Duplicate {
                    entity,
                    id: id.to_owned(),
                    first: first.clone(),
                    path: pointer(path).to_string(),
                })
            }
            None => {
                seen.insert((entity, id), pointer(path).to_string());
            }
        }
    });
    found
}

/// The first [`Access::Stamped`] field in `doc` (an order as JSON) whose value is not the
/// order's own value of the field it copies.
pub fn stamp_mismatch(doc: &Value) -> Option<PointerBuf> {
    let mut found: Option<PointerBuf> = None;
    walk(doc, |path, f, value, _| {
        if let Access::Stamped(source) = f.access
            && found.is_none()
            && doc.get(source) != Some(value)
        {
            found = Some(pointer(path));
        }
    });
    found
}

#[cfg(test)]
mod tests;
