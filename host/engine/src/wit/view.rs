//! The host side of the WIT `view` interface: the order a plugin reads through its
//! borrowed `order` handle.
//!
//! A plugin receives a handle, not a copy: each method converts only the part it returns,
//! so a rule that scans quantities does not pay for the names, discounts and attributes of
//! every line. One [`OrderView`] serves every plugin that runs on the same order version,
//! and the flattening of nested cart lines is done once for all of them.

use std::sync::{Arc, OnceLock};

use wasmtime::component::Resource;

use super::convert::{self, LinePath};
use super::validator::ordergate::checkout::types as w;
use super::validator::ordergate::checkout::view;
use crate::model as m;

/// An order version as plugins read it: shared, immutable, converted on demand.
#[derive(Debug)]
pub struct OrderView {
    order: Arc<m::Order>,
    lines: OnceLock<Vec<LinePath>>,
}

impl OrderView {
    /// A view of `order`. Nothing is converted until a plugin reads it.
    pub fn new(order: Arc<m::Order>) -> Self {
        Self {
            order,
            lines: OnceLock::new(),
        }
    }

    /// The order this view reads.
    pub fn order(&self) -> &Arc<m::Order> {
        &self.order
    }

    fn top_items(&self) -> &[m::Item] {
        self.order
            .cart
            .as_ref()
            .and_then(|c| c.items.as_deref())
            .unwrap_or_default()
    }

    fn lines(&self) -> &[LinePath] {
        self.lines
            .get_or_init(|| convert::flatten(self.top_items()))
    }
}

/// The order of the call a store is running, behind the handle the plugin receives.
///
/// A store runs one call, so it serves one order: the handle's representation is always
/// [`OrderReader::HANDLE`], and there is no resource table to look it up in.
#[derive(Default)]
pub struct OrderReader {
    current: Option<Arc<OrderView>>,
}

impl OrderReader {
    const HANDLE: u32 = 0;

    /// A reader serving `view` to the call.
    pub fn new(view: Arc<OrderView>) -> Self {
        Self {
            current: Some(view),
        }
    }

    /// The borrowed handle to pass to the plugin's export.
    pub fn handle() -> Resource<OrderView> {
        Resource::new_borrow(Self::HANDLE)
    }

    fn view(&self, handle: &Resource<OrderView>) -> wasmtime::Result<&OrderView> {
        match &self.current {
            Some(view) if handle.rep() == Self::HANDLE => Ok(view),
            // Only reachable through a host bug: guests cannot forge handles.
            _ => Err(wasmtime::format_err!(
                "no order is being served to this plugin"
            )),
        }
    }

    fn order(&self, handle: &Resource<OrderView>) -> wasmtime::Result<&m::Order> {
        Ok(&self.view(handle)?.order)
    }
}

type Handle = Resource<OrderView>;
type Read<T> = wasmtime::Result<T>;

impl view::Host for OrderReader {}

impl view::HostOrder for OrderReader {
    fn id(&mut self, h: Handle) -> Read<String> {
        Ok(self.order(&h)?.id.clone())
    }

    fn merchant(&mut self, h: Handle) -> Read<String> {
        Ok(self.order(&h)?.merchant.clone())
    }

    fn channel(&mut self, h: Handle) -> Read<String> {
        Ok(self.order(&h)?.channel.clone())
    }

    fn reference(&mut self, h: Handle) -> Read<Option<String>> {
        Ok(self.order(&h)?.reference.clone())
    }

    fn created(&mut self, h: Handle) -> Read<String> {
        Ok(self.order(&h)?.created.clone())
    }

    fn last_modified(&mut self, h: Handle) -> Read<String> {
        Ok(self.order(&h)?.last_modified.clone())
    }

    fn status(&mut self, h: Handle) -> Read<w::OrderStatus> {
        Ok(convert::status(self.order(&h)?.state.current_status))
    }

    fn state(&mut self, h: Handle) -> Read<w::OrderState> {
        let state = &self.order(&h)?.state;
        Ok(w::OrderState {
            current_status: convert::status(state.current_status),
            transitions: state
                .transitions
                .iter()
                .map(|t| w::Transition {
                    status: convert::status(t.status),
                    time_stamp: t.time_stamp.clone(),
                })
                .collect(),
        })
    }

    fn culture(&mut self, h: Handle) -> Read<Option<String>> {
        Ok(self.order(&h)?.culture.clone())
    }

    fn currency(&mut self, h: Handle) -> Read<Option<String>> {
        Ok(self.order(&h)?.currency.clone())
    }

    fn country(&mut self, h: Handle) -> Read<Option<String>> {
        Ok(self.order(&h)?.country.clone())
    }

    fn total(&mut self, h: Handle) -> Read<Option<w::Money>> {
        Ok(self.order(&h)?.total.as_ref().map(convert::money))
    }

    fn attributes(&mut self, h: Handle) -> Read<Option<w::Json>> {
        Ok(convert::json(&self.order(&h)?.attributes))
    }

    fn cart(&mut self, h: Handle) -> Read<Option<w::Cart>> {
        let view = self.view(&h)?;
        Ok(view
            .order
            .cart
            .as_ref()
            .map(|c| convert::cart(c, view.lines())))
    }

    fn cart_total(&mut self, h: Handle) -> Read<Option<w::Money>> {
        let cart = self.order(&h)?.cart.as_ref();
        Ok(cart.and_then(|c| c.total.as_ref()).map(convert::money))
    }

    fn cart_discounts(&mut self, h: Handle) -> Read<Vec<w::Discount>> {
        let cart = self.order(&h)?.cart.as_ref();
        Ok(cart
            .map(|c| convert::discounts(&c.discounts))
            .unwrap_or_default())
    }

    fn lines(&mut self, h: Handle) -> Read<Vec<w::Line>> {
        let view = self.view(&h)?;
        let top = view.top_items();
        Ok(view
            .lines()
            .iter()
            .filter_map(|at| Some(convert::line(at, at.resolve(top)?)))
            .collect())
    }

    fn quantities(&mut self, h: Handle) -> Read<Vec<i64>> {
        let view = self.view(&h)?;
        let top = view.top_items();
        Ok(view
            .lines()
            .iter()
            .map(|at| at.resolve(top).and_then(|item| item.quantity).unwrap_or(0))
            .collect())
    }

    fn item(&mut self, h: Handle, index: u32) -> Read<Option<w::Item>> {
        let view = self.view(&h)?;
        let at = view.lines().get(index as usize);
        Ok(at.and_then(|at| Some(convert::item(at, at.resolve(view.top_items())?))))
    }

    fn customer(&mut self, h: Handle) -> Read<Option<w::Customer>> {
        Ok(self.order(&h)?.customer.as_ref().map(convert::customer))
    }

    fn shippings(&mut self, h: Handle) -> Read<Vec<w::Shipping>> {
        Ok(self
            .order(&h)?
            .shippings
            .iter()
            .map(convert::shipping)
            .collect())
    }

    fn payments(&mut self, h: Handle) -> Read<Vec<w::Payment>> {
        Ok(self
            .order(&h)?
            .payments
            .iter()
            .map(convert::payment)
            .collect())
    }

    fn consents(&mut self, h: Handle) -> Read<Vec<w::Consent>> {
        let consents = &self.order(&h)?.consents;
        Ok(consents
            .iter()
            .map(|c| w::Consent {
                id: c.id.clone(),
                checked: c.checked,
                text: c.text.clone(),
                required: c.required,
            })
            .collect())
    }

    fn validations(&mut self, h: Handle) -> Read<Vec<w::Callback>> {
        let validations = &self.order(&h)?.validations;
        Ok(validations
            .iter()
            .map(|v| w::Callback {
                id: v.id.clone(),
                adapter_id: v.adapter_id.clone(),
                url: v.url.clone(),
            })
            .collect())
    }

    fn hooks(&mut self, h: Handle) -> Read<Vec<w::Hook>> {
        let hooks = &self.order(&h)?.hooks;
        Ok(hooks
            .iter()
            .map(|h| w::Hook {
                id: h.id.clone(),
                adapter_id: h.adapter_id.clone(),
                subscribe_to: h.subscribe_to.clone(),
                target: h.target.clone(),
                invoke: h.invoke.clone(),
            })
            .collect())
    }

    fn notifications(&mut self, h: Handle) -> Read<Vec<w::Notification>> {
        let notifications = &self.order(&h)?.notifications;
        Ok(notifications.iter().map(convert::notification).collect())
    }

    /// The handle is borrowed for the call, so the guest never owns one to drop.
    fn drop(&mut self, _handle: Handle) -> wasmtime::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use view::HostOrder;

    #[test]
    fn quantities_are_indexed_as_the_lines_with_zero_where_none_is_given() {
        let order: m::Order = crate::model::from_value(json!({
            "id": "o_1",
            "merchant": "norce",
            "channel": "b2c",
            "created": "2026-01-12T15:09:14Z",
            "lastModified": "2026-01-12T15:09:14Z",
            "state": {"currentStatus": "checkout", "transitions": []},
            "cart": {"items": [
                {"sku": "BUNDLE", "quantity": 2, "items": [{"quantity": 5}, {"sku": "NONE"}]},
                {"quantity": 3},
            ]},
        }))
        .unwrap();
        let mut reader = OrderReader::new(Arc::new(OrderView::new(Arc::new(order))));
        let quantities = reader.quantities(OrderReader::handle()).unwrap();
        // Breadth-first, as `lines`: the two top-level lines, then the bundle's two.
        assert_eq!(quantities, [2, 3, 5, 0]);
        let lines = reader.lines(OrderReader::handle()).unwrap();
        let from_lines: Vec<i64> = lines.iter().map(|l| l.quantity.unwrap_or(0)).collect();
        assert_eq!(from_lines, quantities);
        assert_eq!(lines[3].quantity, None);
        // No cart, no lines.
        let mut empty = OrderReader::new(Arc::new(OrderView::new(Arc::new(m::Order {
            cart: None,
            ..reader
                .view(&OrderReader::handle())
                .unwrap()
                .order()
                .as_ref()
                .clone()
        }))));
        assert!(empty.quantities(OrderReader::handle()).unwrap().is_empty());
    }
}
