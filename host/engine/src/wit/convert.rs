//! Conversions between the order model and the WIT types.
//!
//! The model is the source of truth; plugins read typed copies of its parts through the
//! [`view`](super::view) of the order. Free-form JSON becomes JSON text, nested cart items
//! are flattened breadth-first (see the WIT `item` docs), and absent amounts in a `money`
//! object become 0.

use std::collections::VecDeque;

use super::validator::ordergate::checkout::types as w;
use crate::model as m;

pub(super) fn json(attributes: &Option<m::Attributes>) -> Option<String> {
    attributes
        .as_ref()
        .map(|a| serde_json::to_string(a).expect("a JSON map always serializes"))
}

pub(super) fn money(x: &m::Money) -> w::Money {
    w::Money {
        including_vat: x.including_vat.unwrap_or(0.0),
        excluding_vat: x.excluding_vat.unwrap_or(0.0),
    }
}

pub(super) fn cart(c: &m::Cart, lines: &[LinePath]) -> w::Cart {
    let top = c.items.as_deref().unwrap_or_default();
    w::Cart {
        reference: c.reference.clone(),
        items: lines
            .iter()
            .filter_map(|at| Some(item(at, at.resolve(top)?)))
            .collect(),
        discounts: discounts(&c.discounts),
        total: c.total.as_ref().map(money),
        attributes: json(&c.attributes),
    }
}

/// Where a flattened cart line sits: its WIT `parent` and `position`, and the indices that
/// lead to it from `cart.items` (one per nesting level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LinePath {
    pub parent: Option<u32>,
    pub position: u32,
    pub path: Box<[u32]>,
}

impl LinePath {
    /// The line this path leads to in `top`, the cart's top-level items.
    pub fn resolve<'a>(&self, top: &'a [m::Item]) -> Option<&'a m::Item> {
        let (first, rest) = self.path.split_first()?;
        let mut item = top.get(*first as usize)?;
        for &i in rest {
            item = item.items.as_deref()?.get(i as usize)?;
        }
        Some(item)
    }
}

/// Breadth-first: top-level lines keep their indices, nested lines follow level by level.
pub(super) fn flatten(top: &[m::Item]) -> Vec<LinePath> {
    let mut out = Vec::with_capacity(top.len());
    let mut queue: VecDeque<(Option<u32>, Vec<u32>, &m::Item)> = top
        .iter()
        .enumerate()
        .map(|(i, item)| (None, vec![i as u32], item))
        .collect();
    while let Some((parent, path, it)) = queue.pop_front() {
        let index = out.len() as u32;
        for (i, child) in it.items.iter().flatten().enumerate() {
            let mut child_path = path.clone();
            child_path.push(i as u32);
            queue.push_back((Some(index), child_path, child));
        }
        out.push(LinePath {
            parent,
            position: *path.last().expect("a path is never empty"),
            path: path.into_boxed_slice(),
        });
    }
    out
}

/// A flattened cart line in full.
pub(super) fn item(at: &LinePath, it: &m::Item) -> w::Item {
    w::Item {
        parent: at.parent,
        position: at.position,
        id: it.id.clone(),
        reference: it.reference.clone(),
        name: it.name.clone(),
        sku: it.sku.clone(),
        product_type: it.product_type.clone(),
        url: it.url.clone(),
        image_url: it.image_url.clone(),
        quantity: it.quantity,
        unit: it.unit.clone(),
        price: it.price.as_ref().map(money),
        total: it.total.as_ref().map(money),
        original_total: it.original_total.as_ref().map(money),
        vat_rate: it.vat_rate,
        discounts: discounts(&it.discounts),
        logistics: it.logistics.as_ref().map(|l| w::Logistics {
            weight: l.weight,
            height: l.height,
            width: l.width,
            length: l.length,
            tags: l.tags.clone().unwrap_or_default(),
            shipping_date: l.shipping_date.clone(),
        }),
        upsell: it.upsell,
        attributes: json(&it.attributes),
    }
}

/// The numbers of a flattened cart line.
pub(super) fn line(at: &LinePath, it: &m::Item) -> w::Line {
    w::Line {
        parent: at.parent,
        position: at.position,
        quantity: it.quantity,
        price: it.price.as_ref().map(money),
        total: it.total.as_ref().map(money),
        original_total: it.original_total.as_ref().map(money),
        vat_rate: it.vat_rate,
    }
}

pub(super) fn discounts(list: &Option<Vec<m::Discount>>) -> Vec<w::Discount> {
    list.iter()
        .flatten()
        .map(|d| w::Discount {
            type_: d.kind.clone(),
            name: d.name.clone(),
            reference: d.reference.clone(),
            description: d.description.clone(),
            code: d.code.clone(),
            value: d.value.as_ref().map(money),
            attributes: json(&d.attributes),
        })
        .collect()
}

pub(super) fn address(a: &m::Address) -> w::Address {
    w::Address {
        type_: a.kind.map(customer_type),
        given_name: a.given_name.clone(),
        family_name: a.family_name.clone(),
        care_of: a.care_of.clone(),
        reference: a.reference.clone(),
        organization_name: a.organization_name.clone(),
        street_address: a.street_address.clone(),
        street_address2: a.street_address2.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        country: a.country.clone(),
        phone: a.phone.clone(),
        email: a.email.clone(),
        national_identification_number: a.national_identification_number.clone(),
        organization_identification_number: a.organization_identification_number.clone(),
        attributes: json(&a.attributes),
    }
}

pub(super) fn customer(c: &m::Customer) -> w::Customer {
    w::Customer {
        billing: c.billing.as_ref().map(address),
        shipping: c.shipping.as_ref().map(address),
        type_: c.kind.map(customer_type),
        attributes: json(&c.attributes),
    }
}

pub(super) fn shipping(s: &m::Shipping) -> w::Shipping {
    w::Shipping {
        id: s.id.clone(),
        merchant: s.merchant.clone(),
        channel: s.channel.clone(),
        state: s.state.map(shipping_state),
        reference: s.reference.clone(),
        tms_reference: s.tms_reference.clone(),
        order_id: s.order_id.clone(),
        adapter_id: s.adapter_id.clone(),
        name: s.name.clone(),
        total: s.total.as_ref().map(money),
        vat_rate: s.vat_rate,
        delivery_details: s.delivery_details.as_ref().map(|d| w::DeliveryDetails {
            carrier: d.carrier.clone(),
            carrier_product_id: d.carrier_product_id.clone(),
            class: d.class.clone(),
            product: d.product.as_ref().map(|p| w::ShippingProduct {
                reference: p.reference.clone(),
                name: p.name.clone(),
            }),
            pickup_location: d.pickup_location.as_ref().map(|p| w::PickupLocation {
                reference: p.reference.clone(),
                name: p.name.clone(),
                address: p.address.as_ref().map(|a| w::PickupAddress {
                    street_address: a.street_address.clone(),
                    city: a.city.clone(),
                    postal_code: a.postal_code.clone(),
                    country: a.country.clone(),
                }),
            }),
        }),
        addons: s
            .addons
            .iter()
            .flatten()
            .map(|a| w::Addon {
                reference: a.reference.clone(),
                price: a.price,
            })
            .collect(),
        attributes: json(&s.attributes),
    }
}

pub(super) fn payment(p: &m::Payment) -> w::Payment {
    w::Payment {
        id: p.id.clone(),
        adapter_id: p.adapter_id.clone(),
        name: p.name.clone(),
        merchant: p.merchant.clone(),
        channel: p.channel.clone(),
        currency: p.currency.clone(),
        type_: p.kind.map(payment_type),
        order_id: p.order_id.clone(),
        amount: p.amount,
        upper_limit_amount: p.upper_limit_amount,
        state: p.state.map(payment_state),
        reference: p.reference.clone(),
        attributes: json(&p.attributes),
        actions: p
            .actions
            .iter()
            .flatten()
            .map(|a| w::PaymentAction {
                id: a.id.clone(),
                adapter_id: a.adapter_id.clone(),
                type_: a.kind.clone(),
                url: a.url.clone(),
            })
            .collect(),
        recurring: p.recurring.as_ref().map(|r| w::Recurring {
            token: r.token.clone(),
            description: r.description.clone(),
            attributes: json(&r.attributes),
        }),
        upsell: p.upsell.as_ref().map(|u| w::Upsell {
            eligible: u.eligible,
            expiration: u.expiration.clone(),
            transactions: u
                .transactions
                .iter()
                .flatten()
                .map(|t| t.to_string())
                .collect(),
            attributes: json(&u.attributes),
        }),
    }
}

pub(super) fn notification(n: &m::Notification) -> w::Notification {
    w::Notification {
        id: n.id.clone(),
        adapter_id: n.adapter_id.clone(),
        reference: n.reference.clone(),
        description: n.description.clone(),
        scope: n.scope.clone(),
        schema: n.schema.as_ref().map(|s| s.to_string()),
        invoke: n.invoke.clone(),
        version: n.version.map(|v| match v {
            m::BodyVersion::V0 => w::BodyVersion::V0,
            m::BodyVersion::V1 => w::BodyVersion::V1,
        }),
        delay: n.delay,
    }
}

/// Maps a model enum onto the WIT enum of the same variants.
macro_rules! same_variants {
    ($vis:vis $name:ident: $from:ident => $to:ident { $($v:ident),* $(,)? }) => {
        $vis fn $name(x: m::$from) -> w::$to {
            match x {
                $(m::$from::$v => w::$to::$v,)*
            }
        }
    };
}

same_variants!(pub(crate) status: OrderStatus => OrderStatus {
    Checkout, Processing, Accepted, Completed, Declined, Removed
});
same_variants!(customer_type: CustomerType => CustomerType { Person, Organization });
same_variants!(shipping_state: ShippingState => ShippingState {
    Intent, Removed, Processing, Failed, Confirmed
});
same_variants!(payment_type: PaymentType => PaymentType { Default, Prepaid, Voucher });
same_variants!(payment_state: PaymentState => PaymentState {
    Intent, Removed, Processing, Failed, Confirmed, Pending, Declined, Reserved, Credited,
    Captured
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_items_flatten_breadth_first_with_parent_and_position() {
        let cart: m::Cart = m::from_json(
            r#"{"items":[
                {"sku":"A","items":[{"sku":"A1"},{"sku":"A2","items":[{"sku":"A2x"}]}]},
                {"sku":"B","items":[{"sku":"B1"}]}
            ]}"#,
        )
        .unwrap();
        let top = cart.items.as_deref().unwrap();
        let seen: Vec<_> = flatten(top)
            .iter()
            .map(|at| {
                let sku = at.resolve(top).unwrap().sku.clone().unwrap();
                (sku, at.parent, at.position)
            })
            .collect();
        let expected = [
            ("A", None, 0),
            ("B", None, 1),
            ("A1", Some(0), 0),
            ("A2", Some(0), 1),
            ("B1", Some(1), 0),
            ("A2x", Some(3), 0),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(s, p, i)| (s.to_string(), *p, *i))
            .collect();
        assert_eq!(seen, expected);
    }
}
