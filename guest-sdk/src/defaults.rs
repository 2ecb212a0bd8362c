//! `Default` for the records plugins most often build by hand, mostly in their unit tests:
//! every `option` is `None`, every list empty, every string empty.

use crate::{Address, Cart, Change, Context, Customer, Item, Line, Money, Payment};

/// An empty cart.
impl Default for Cart {
    fn default() -> Self {
        Cart {
            reference: None,
            items: Vec::new(),
            discounts: Vec::new(),
            total: None,
            attributes: None,
        }
    }
}

/// A top-level line at position 0 with nothing set.
impl Default for Item {
    fn default() -> Self {
        Item {
            parent: None,
            position: 0,
            id: None,
            reference: None,
            name: None,
            sku: None,
            product_type: None,
            url: None,
            image_url: None,
            quantity: None,
            unit: None,
            price: None,
            total: None,
            original_total: None,
            vat_rate: None,
            discounts: Vec::new(),
            logistics: None,
            upsell: None,
            attributes: None,
        }
    }
}

/// A top-level line at position 0 with no numbers set.
impl Default for Line {
    fn default() -> Self {
        Line {
            parent: None,
            position: 0,
            quantity: None,
            price: None,
            total: None,
            original_total: None,
            vat_rate: None,
        }
    }
}

/// An address with nothing set.
impl Default for Address {
    fn default() -> Self {
        Address {
            type_: None,
            given_name: None,
            family_name: None,
            care_of: None,
            reference: None,
            organization_name: None,
            street_address: None,
            street_address2: None,
            postal_code: None,
            city: None,
            region: None,
            country: None,
            phone: None,
            email: None,
            national_identification_number: None,
            organization_identification_number: None,
            attributes: None,
        }
    }
}

/// A customer with nothing set.
impl Default for Customer {
    fn default() -> Self {
        Customer {
            billing: None,
            shipping: None,
            type_: None,
            attributes: None,
        }
    }
}

/// A payment with nothing set.
impl Default for Payment {
    fn default() -> Self {
        Payment {
            id: None,
            adapter_id: None,
            name: None,
            merchant: None,
            channel: None,
            currency: None,
            type_: None,
            order_id: None,
            amount: None,
            upper_limit_amount: None,
            state: None,
            reference: None,
            attributes: None,
            actions: Vec::new(),
            recurring: None,
            upsell: None,
        }
    }
}

/// Zero, with and without VAT.
impl Default for Money {
    fn default() -> Self {
        Money {
            including_vat: 0.0,
            excluding_vat: 0.0,
        }
    }
}

/// A change that touched nothing and moved no state.
impl Default for Change {
    fn default() -> Self {
        Change {
            touched: Vec::new(),
            from_status: None,
            to_status: None,
        }
    }
}

/// A context with an empty configuration (`{}`).
impl Default for Context {
    fn default() -> Self {
        Context {
            merchant: String::new(),
            channel: String::new(),
            plugin_id: String::new(),
            adapter_id: None,
            acting_adapter_id: None,
            configuration: "{}".to_string(),
        }
    }
}
