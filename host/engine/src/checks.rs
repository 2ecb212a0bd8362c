//! Built-in checks: value rules from the spec that hold for every order, whatever plugins say.
//!
//! - `invalid-currency`: currencies (order, payments) match `^[A-Za-z]{3}$` (ISO 4217).
//! - `invalid-country`: countries (order, billing and shipping address, pickup location)
//!   match `^[A-Za-z]{2}$` (ISO 3166 alpha-2).
//! - `negative-quantity`: item quantities, nested items included, are not negative.
//! - `negative-amount`: money (`includingVat`, `excludingVat` of prices, totals, discounts),
//!   payment `amount` and `upperLimitAmount`, addon `price` and logistics dimensions are not
//!   negative.
//! - `invalid-vat-rate`: a `vatRate` is a fraction between 0 and 1 (the spec's example is
//!   `0.25` for 25 %).
//!
//! Violations come in document order (the order's fields in spec order, arrays by index),
//! each with a JSON Pointer to the offending value.

use std::fmt;

use crate::model::{Address, Cart, Discount, Item, Money, Order, Payment, Shipping};
use crate::violation::Violation;

/// Runs every built-in check over the whole candidate order.
pub fn check_order(order: &Order) -> Vec<Violation> {
    let mut c = Checker::default();
    let root = Path::Root;
    c.letters(&root.field("currency"), order.currency.as_deref(), CURRENCY);
    c.letters(&root.field("country"), order.country.as_deref(), COUNTRY);
    if let Some(cart) = &order.cart {
        c.cart(&root.field("cart"), cart);
    }
    c.each(
        &root.field("shippings"),
        Some(&order.shippings),
        Checker::shipping,
    );
    c.each(
        &root.field("payments"),
        Some(&order.payments),
        Checker::payment,
    );
    if let Some(customer) = &order.customer {
        let at = root.field("customer");
        c.address(&at.field("billing"), customer.billing.as_ref());
        c.address(&at.field("shipping"), customer.shipping.as_ref());
    }
    c.money(&root.field("total"), order.total.as_ref());
    c.out
}

/// A JSON Pointer built as the walk goes down, written out only for a violation: the
/// walk visits every line of the cart, and nearly every order has no violation at all.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'static str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    fn field(&'a self, name: &'static str) -> Path<'a> {
        Path::Field(self, name)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(parent, name) => write!(f, "{parent}/{name}"),
            Path::Index(parent, index) => write!(f, "{parent}/{index}"),
        }
    }
}

/// A letters-only code: how many letters, the violation code, and what it is.
struct Letters {
    len: usize,
    code: &'static str,
    what: &'static str,
}

/// ISO 4217 alpha-3.
const CURRENCY: Letters = Letters {
    len: 3,
    code: "invalid-currency",
    what: "a currency must be 3 letters (ISO 4217)",
};

/// ISO 3166 alpha-2.
const COUNTRY: Letters = Letters {
    len: 2,
    code: "invalid-country",
    what: "a country must be 2 letters (ISO 3166 alpha-2)",
};

/// Collects violations while walking the order.
#[derive(Default)]
struct Checker {
    out: Vec<Violation>,
}

impl Checker {
    /// Reports `value` unless it is exactly `rule.len` ASCII letters.
    fn letters(&mut self, path: &Path<'_>, value: Option<&str>, rule: Letters) {
        let Some(value) = value else { return };
        if value.len() != rule.len || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
            let message = format!("{}, got `{value}`", rule.what);
            self.out
                .push(Violation::builtin(path.to_string(), rule.code, message));
        }
    }

    /// Reports a negative number at `parent/field`.
    fn non_negative(&mut self, parent: &Path<'_>, field: &str, value: Option<f64>) {
        if let Some(value) = value.filter(|v| *v < 0.0) {
            let message = format!("{field} must not be negative, got {value}");
            self.out.push(Violation::builtin(
                format!("{parent}/{field}"),
                "negative-amount",
                message,
            ));
        }
    }

    /// Reports a VAT rate outside 0..=1 at `parent/vatRate`.
    fn vat_rate(&mut self, parent: &Path<'_>, value: Option<f64>) {
        if let Some(value) = value.filter(|v| !(0.0..=1.0).contains(v)) {
            let message = format!("vatRate must be a fraction between 0 and 1, got {value}");
            self.out.push(Violation::builtin(
                format!("{parent}/vatRate"),
                "invalid-vat-rate",
                message,
            ));
        }
    }

    /// Checks both amounts of a Money at `path`.
    fn money(&mut self, path: &Path<'_>, money: Option<&Money>) {
        if let Some(money) = money {
            self.non_negative(path, "includingVat", money.including_vat);
            self.non_negative(path, "excludingVat", money.excluding_vat);
        }
    }

    /// Runs `check` on every entry of an array at `path`, with the entry's pointer.
    fn each<T>(
        &mut self,
        path: &Path<'_>,
        list: Option<&[T]>,
        check: fn(&mut Self, &Path<'_>, &T),
    ) {
        for (index, entry) in list.unwrap_or_default().iter().enumerate() {
            check(self, &Path::Index(path, index), entry);
        }
    }

    /// Checks the cart.
    fn cart(&mut self, path: &Path<'_>, cart: &Cart) {
        self.each(&path.field("items"), cart.items.as_deref(), Self::item);
        let discounts = cart.discounts.as_deref();
        self.each(&path.field("discounts"), discounts, Self::discount);
        self.money(&path.field("total"), cart.total.as_ref());
    }

    /// Checks an item and, recursively, its nested items.
    fn item(&mut self, path: &Path<'_>, item: &Item) {
        self.each(&path.field("items"), item.items.as_deref(), Self::item);
        if let Some(quantity) = item.quantity.filter(|q| *q < 0) {
            let message = format!("quantity must not be negative, got {quantity}");
            self.out.push(Violation::builtin(
                format!("{path}/quantity"),
                "negative-quantity",
                message,
            ));
        }
        self.money(&path.field("price"), item.price.as_ref());
        self.money(&path.field("total"), item.total.as_ref());
        let original = item.original_total.as_ref();
        self.money(&path.field("originalTotal"), original);
        self.vat_rate(path, item.vat_rate);
        let discounts = item.discounts.as_deref();
        self.each(&path.field("discounts"), discounts, Self::discount);
        if let Some(logistics) = &item.logistics {
            let path = path.field("logistics");
            self.non_negative(&path, "weight", logistics.weight);
            self.non_negative(&path, "height", logistics.height);
            self.non_negative(&path, "width", logistics.width);
            self.non_negative(&path, "length", logistics.length);
        }
    }

    /// Checks a discount's value.
    fn discount(&mut self, path: &Path<'_>, discount: &Discount) {
        self.money(&path.field("value"), discount.value.as_ref());
    }

    /// Checks a shipping: fee, VAT rate, pickup country, addon prices.
    fn shipping(&mut self, path: &Path<'_>, shipping: &Shipping) {
        self.money(&path.field("total"), shipping.total.as_ref());
        self.vat_rate(path, shipping.vat_rate);
        let pickup = (shipping.delivery_details.as_ref())
            .and_then(|d| d.pickup_location.as_ref())
            .and_then(|p| p.address.as_ref());
        if let Some(address) = pickup {
            let details = path.field("deliveryDetails");
            let location = details.field("pickupLocation");
            let address_at = location.field("address");
            let country = address_at.field("country");
            self.letters(&country, address.country.as_deref(), COUNTRY);
        }
        self.each(
            &path.field("addons"),
            shipping.addons.as_deref(),
            |c, path, addon| c.non_negative(path, "price", addon.price),
        );
    }

    /// Checks a payment: currency and amounts.
    fn payment(&mut self, path: &Path<'_>, payment: &Payment) {
        let currency = payment.currency.as_deref();
        self.letters(&path.field("currency"), currency, CURRENCY);
        self.non_negative(path, "amount", payment.amount);
        self.non_negative(path, "upperLimitAmount", payment.upper_limit_amount);
    }

    /// Checks an address's country.
    fn address(&mut self, path: &Path<'_>, address: Option<&Address>) {
        if let Some(address) = address {
            self.letters(&path.field("country"), address.country.as_deref(), COUNTRY);
        }
    }
}
