//! Mutations: the changes a caller asks for, and how each applies to an order.
//!
//! [`Mutation::apply`] works on a clone of the current order and enforces the order's state
//! rules (allowed transitions, the editing lock, required consents). The built-in value checks
//! ([`crate::builtin_checks`]) and plugins then judge the candidate it returns.

use std::sync::Arc;

use crate::model::{
    Address, Attributes, Cart, Consent, NewOrder, Notification, Order, OrderState, OrderStatus,
    Payment, Shipping, Transition,
};
use crate::violation::Violation;

/// A change to an order, one per API call.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived mutation per API call; boxing would only burden callers"
)]
pub enum Mutation {
    /// Create an order (`POST …/orders`); see [`create`].
    CreateOrder(NewOrder),
    /// Move the order to another status (`PUT …/state`).
    SetState(OrderStatus),
    /// Replace the cart (`PUT …/cart`).
    SetCart(Cart),
    /// Set the external order reference (`PUT …/reference`): allowed in every status, as
    /// external systems add their reference after the order is accepted.
    SetReference(String),
    /// Replace the billing address (`PUT …/customer/billing`).
    SetBillingAddress(Address),
    /// Replace the shipping address (`PUT …/customer/shipping`).
    SetShippingAddress(Address),
    /// Merge into the order's custom attributes (`PATCH …/attributes`), as an RFC 7396 JSON
    /// merge patch: a `null` removes the key, an object merges, anything else replaces.
    /// Allowed while payments may change (checkout, processing, accepted): attributes are
    /// the information external systems add after the order is locked.
    MergeAttributes(Attributes),
    /// Add a consent (`POST …/consents`); an id is generated when it has none.
    AddConsent(Consent),
    /// Change a consent (`PATCH …/consents/{id}`): each field present in `changes` replaces
    /// the consent's (its id stays).
    UpdateConsent {
        /// Id of the consent.
        id: String,
        /// The fields to set.
        changes: Consent,
    },
    /// Remove a consent (`DELETE …/consents/{id}`).
    DeleteConsent {
        /// Id of the consent.
        id: String,
    },
    /// Add a payment, or replace the one with the same id.
    UpsertPayment(Payment),
    /// Remove the payment with this id.
    RemovePayment {
        /// Id of the payment to remove.
        id: String,
    },
    /// Add a shipping, or replace the one with the same id.
    UpsertShipping(Shipping),
    /// Remove the shipping with this id.
    RemoveShipping {
        /// Id of the shipping to remove.
        id: String,
    },
    /// Add a notification to the order (`POST …/notifications`). The pipeline checks its
    /// scope and schema first; an id is generated when it has none.
    CreateNotification(Notification),
    /// Remove a notification from the order (`DELETE …/notifications/{id}`).
    DeleteNotification {
        /// Id of the notification.
        id: String,
    },
    /// Remove a hook binding from the order (`DELETE …/hooks/{id}`): that hook no longer
    /// runs for this order.
    DeleteHook {
        /// Id of the hook.
        id: String,
    },
}

/// A mutation applied: the candidate order and what changed, for plugins and notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The candidate order, with `lastModified` set. Shared with the plugins that read it
    /// and with the store once committed.
    pub order: Arc<Order>,
    /// JSON Pointers to what the mutation replaced, e.g. `/cart`, `/payments/2`; `""` is the
    /// whole order (creation). `/lastModified` is never listed. A removal lists the whole array
    /// (`/payments`) because the indices after it shift.
    pub touched: Vec<String>,
    /// Status before the mutation; `None` when the order was just created.
    pub from_status: Option<OrderStatus>,
    /// Status after the mutation, only when it changed (or on creation).
    pub to_status: Option<OrderStatus>,
}

/// Whether the reference platform documents a move from `from` to `to`.
pub fn transition_allowed(from: OrderStatus, to: OrderStatus) -> bool {
    use OrderStatus::*;
    matches!(
        (from, to),
        (Checkout, Processing)
            | (Processing, Checkout)
            | (Processing, Accepted)
            | (Accepted, Completed)
            | (Accepted, Declined)
    )
}

/// Creates an order in `checkout` with one transition, `created = lastModified = now`.
pub fn create(merchant: &str, channel: &str, id: &str, now: &str, new: NewOrder) -> Applied {
    let order = Order {
        id: id.to_owned(),
        merchant: merchant.to_owned(),
        channel: channel.to_owned(),
        reference: new.reference,
        created: now.to_owned(),
        last_modified: now.to_owned(),
        state: OrderState {
            current_status: OrderStatus::Checkout,
            transitions: vec![Transition {
                status: OrderStatus::Checkout,
                time_stamp: now.to_owned(),
            }],
        },
        culture: new.culture,
        currency: new.currency,
        country: new.country,
        cart: new.cart,
        shippings: Vec::new(),
        payments: Vec::new(),
        customer: new.customer,
        consents: new.consents,
        validations: Vec::new(),
        hooks: Vec::new(),
        detached_hooks: Vec::new(),
        notifications: Arc::default(),
        total: None,
        attributes: new.attributes,
    };
    Applied {
        order: Arc::new(order),
        touched: vec![String::new()],
        from_status: None,
        to_status: Some(OrderStatus::Checkout),
    }
}

impl Mutation {
    /// Applies the mutation to a clone of `current` at time `now` (RFC 3339).
    ///
    /// `new_id(prefix)` makes ids for payments (`"p"`) and shippings (`"s"`) that come without
    /// one; it is passed in so that tests are deterministic. `CreateOrder` on an existing order
    /// is refused with `already-exists`: use [`create`].
    pub fn apply(
        &self,
        current: &Order,
        now: &str,
        new_id: &mut dyn FnMut(&str) -> String,
    ) -> Result<Applied, Vec<Violation>> {
        let mut order = match self {
            // The cart is most of an order: replacing it copies everything but the old one.
            Mutation::SetCart(_) => crate::model::parts::clone_without(current, |k| k == "cart"),
            _ => current.clone(),
        };
        let from = current.state.current_status;
        let mut to_status = None;
        let touched = match self {
            Mutation::CreateOrder(_) => {
                let message = format!("order {} already exists", current.id);
                return Err(vec![Violation::builtin("", "already-exists", message)]);
            }
            Mutation::SetState(to) => {
                set_state(&mut order, *to, now)?;
                to_status = Some(*to);
                "/state".to_owned()
            }
            Mutation::SetCart(cart) => {
                editable(from, "/cart", "the cart")?;
                order.cart = Some(cart.clone());
                "/cart".to_owned()
            }
            Mutation::SetReference(reference) => {
                order.reference = Some(reference.clone());
                "/reference".to_owned()
            }
            Mutation::SetBillingAddress(address) => {
                editable(from, "/customer/billing", "the billing address")?;
                order.customer.get_or_insert_default().billing = Some(address.clone());
                "/customer/billing".to_owned()
            }
            Mutation::SetShippingAddress(address) => {
                editable(from, "/customer/shipping", "the shipping address")?;
                order.customer.get_or_insert_default().shipping = Some(address.clone());
                "/customer/shipping".to_owned()
            }
            Mutation::MergeAttributes(changes) => {
                children_editable::<Payment>(from).map_err(|_| {
                    let message = format!("attributes cannot be changed once the order is {from}");
                    vec![Violation::builtin("/attributes", "order-locked", message)]
                })?;
                let mut merged =
                    serde_json::Value::Object(order.attributes.take().unwrap_or_default());
                json_patch::merge(&mut merged, &serde_json::Value::Object(changes.clone()));
                order.attributes = match merged {
                    serde_json::Value::Object(map) => Some(map),
                    _ => None,
                };
                "/attributes".to_owned()
            }
            Mutation::AddConsent(consent) => {
                editable(from, "/consents", "consents")?;
                let mut consent = consent.clone();
                let id = consent.id.get_or_insert_with(|| new_id("c")).clone();
                if order.consents.iter().any(|c| c.id.as_deref() == Some(&id)) {
                    let message = format!("the order already has a consent {id}");
                    return Err(vec![Violation::builtin(
                        "/consents",
                        "already-exists",
                        message,
                    )]);
                }
                order.consents.push(consent);
                format!("/consents/{}", order.consents.len() - 1)
            }
            Mutation::UpdateConsent { id, changes } => {
                editable(from, "/consents", "consents")?;
                let Some(index) = (order.consents.iter()).position(|c| c.id.as_deref() == Some(id))
                else {
                    let message = format!("no entry with id `{id}` in consents");
                    return Err(vec![Violation::builtin("/consents", "not-found", message)]);
                };
                let consent = &mut order.consents[index];
                let changes = changes.clone();
                consent.checked = changes.checked.or(consent.checked);
                consent.text = changes.text.or(consent.text.take());
                consent.required = changes.required.or(consent.required);
                format!("/consents/{index}")
            }
            Mutation::DeleteConsent { id } => {
                editable(from, "/consents", "consents")?;
                remove_by_id(&mut order.consents, |c| c.id.as_deref(), id, "consents")?
            }
            Mutation::UpsertPayment(payment) => upsert(&mut order, payment.clone(), new_id)?,
            Mutation::RemovePayment { id } => remove::<Payment>(&mut order, id)?,
            Mutation::UpsertShipping(shipping) => upsert(&mut order, shipping.clone(), new_id)?,
            Mutation::RemoveShipping { id } => remove::<Shipping>(&mut order, id)?,
            Mutation::CreateNotification(notification) => {
                let mut notification = notification.clone();
                let id = notification.id.get_or_insert_with(|| new_id("n")).clone();
                if order
                    .notifications
                    .iter()
                    .any(|n| n.id.as_deref() == Some(&id))
                {
                    let message = format!("the order already has a notification {id}");
                    return Err(vec![Violation::builtin(
                        "/notifications",
                        "already-exists",
                        message,
                    )]);
                }
                Arc::make_mut(&mut order.notifications).push(notification);
                "/notifications".to_owned()
            }
            Mutation::DeleteNotification { id } => {
                let list = Arc::make_mut(&mut order.notifications);
                remove_by_id(list, |n| n.id.as_deref(), id, "notifications")?
            }
            Mutation::DeleteHook { id } => {
                let list = &mut order.hooks;
                let path = remove_by_id(list, |h| h.id.as_deref(), id, "hooks")?;
                order.detached_hooks.push(id.clone());
                path
            }
        };
        order.last_modified = now.to_owned();
        Ok(Applied {
            order: Arc::new(order),
            touched: vec![touched],
            from_status: Some(from),
            to_status,
        })
    }
}

/// Removes the entry with this id from the order's array `field`; returns `/field`.
fn remove_by_id<T>(
    list: &mut Vec<T>,
    id_of: impl Fn(&T) -> Option<&str>,
    id: &str,
    field: &str,
) -> Result<String, Vec<Violation>> {
    let path = format!("/{field}");
    let Some(index) = list.iter().position(|e| id_of(e) == Some(id)) else {
        let message = format!("no entry with id `{id}` in {field}");
        return Err(vec![Violation::builtin(path, "not-found", message)]);
    };
    list.remove(index);
    Ok(path)
}

/// Moves the order to `to`, appending a transition; checks the move and required consents.
/// Hook patches that change the status go through here too.
pub(crate) fn set_state(
    order: &mut Order,
    to: OrderStatus,
    now: &str,
) -> Result<(), Vec<Violation>> {
    let from = order.state.current_status;
    if !transition_allowed(from, to) {
        let message = format!("cannot move from {from} to {to}");
        let violation =
            Violation::builtin("/state/currentStatus", "transition-not-allowed", message);
        return Err(vec![violation]);
    }
    if to == OrderStatus::Processing {
        let missing: Vec<Violation> = (order.consents.iter().enumerate())
            .filter(|(_, c)| c.required == Some(true) && c.checked != Some(true))
            .map(|(i, _)| {
                let message =
                    "a required consent must be checked before the order moves to processing";
                Violation::builtin(
                    format!("/consents/{i}/checked"),
                    "consent-required",
                    message,
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
    }
    order.state.current_status = to;
    order.state.transitions.push(Transition {
        status: to,
        time_stamp: now.to_owned(),
    });
    Ok(())
}

/// Cart and customer may change only while the order is in `checkout`.
fn editable(status: OrderStatus, path: &str, what: &str) -> Result<(), Vec<Violation>> {
    if status == OrderStatus::Checkout {
        return Ok(());
    }
    let message = format!("{what} can be changed only in checkout; the order is {status}");
    Err(vec![Violation::builtin(path, "order-locked", message)])
}

/// A payment or shipping: an entry of one of the order's id-keyed arrays.
trait Child: Sized {
    /// Name of the array in the order, e.g. `payments`.
    const FIELD: &'static str;
    /// Prefix of new ids, e.g. `p`.
    const PREFIX: &'static str;
    /// The array in the order.
    fn list(order: &mut Order) -> &mut Vec<Self>;
    /// The entry's id.
    fn id(&self) -> Option<&str>;
    /// Sets the id and what the host owns (order id, merchant, channel, defaults).
    fn stamp(&mut self, id: String, order: &Order);
}

impl Child for Payment {
    const FIELD: &'static str = "payments";
    const PREFIX: &'static str = "p";
    fn list(order: &mut Order) -> &mut Vec<Self> {
        &mut order.payments
    }
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn stamp(&mut self, id: String, order: &Order) {
        self.id = Some(id);
        self.order_id = Some(order.id.clone());
        self.merchant = Some(order.merchant.clone());
        self.channel = Some(order.channel.clone());
        if self.currency.is_none() {
            self.currency.clone_from(&order.currency);
        }
    }
}

impl Child for Shipping {
    const FIELD: &'static str = "shippings";
    const PREFIX: &'static str = "s";
    fn list(order: &mut Order) -> &mut Vec<Self> {
        &mut order.shippings
    }
    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    fn stamp(&mut self, id: String, order: &Order) {
        self.id = Some(id);
        self.order_id = Some(order.id.clone());
        self.merchant = Some(order.merchant.clone());
        self.channel = Some(order.channel.clone());
    }
}

/// Payments and shippings may change in checkout, processing and accepted, where external
/// systems still add information; not once the order is completed, declined or removed.
fn children_editable<T: Child>(status: OrderStatus) -> Result<(), Vec<Violation>> {
    use OrderStatus::*;
    if matches!(status, Checkout | Processing | Accepted) {
        return Ok(());
    }
    let message = format!("{} cannot be changed once the order is {status}", T::FIELD);
    Err(vec![Violation::builtin(
        format!("/{}", T::FIELD),
        "order-locked",
        message,
    )])
}

/// Adds `child` or replaces the entry with its id; returns the pointer to it.
fn upsert<T: Child>(
    order: &mut Order,
    mut child: T,
    new_id: &mut dyn FnMut(&str) -> String,
) -> Result<String, Vec<Violation>> {
    children_editable::<T>(order.state.current_status)?;
    let id = match child.id() {
        Some(id) => id.to_owned(),
        None => new_id(T::PREFIX),
    };
    child.stamp(id, order);
    let list = T::list(order);
    let index = match list.iter().position(|c| c.id() == child.id()) {
        Some(index) => {
            list[index] = child;
            index
        }
        None => {
            list.push(child);
            list.len() - 1
        }
    };
    Ok(format!("/{}/{index}", T::FIELD))
}

/// Removes the entry with `id`; returns the pointer to the array.
fn remove<T: Child>(order: &mut Order, id: &str) -> Result<String, Vec<Violation>> {
    children_editable::<T>(order.state.current_status)?;
    remove_by_id(T::list(order), T::id, id, T::FIELD)
}
