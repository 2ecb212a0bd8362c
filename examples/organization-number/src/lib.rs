//! Example plugin: organizations must give their organization number.
//!
//! Invoicing a company needs its registration number (Swedish "organisationsnummer" and
//! the like); catching its absence at checkout is cheaper than chasing it after delivery.
//! No configuration.

use ordergate_guest::{
    Change, Context, Customer, CustomerType, NoConfig, Order, Validation, Violation, pointer,
};

/// The plugin; all its state is in the call's arguments.
pub struct OrganizationNumber;

impl Validation for OrganizationNumber {
    type Config = NoConfig;

    fn validate(
        _config: &NoConfig,
        _ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<(), Vec<Violation>> {
        // The customer is all the rule looks at; the cart, payments and shippings are not
        // read (and not copied).
        match check(order.customer().as_ref()) {
            Some(violation) => Err(vec![violation]),
            None => Ok(()),
        }
    }
}

ordergate_guest::export_validation!(OrganizationNumber);

/// The rule itself, over the order's customer, so it can be unit-tested natively.
pub fn check(customer: Option<&Customer>) -> Option<Violation> {
    let customer = customer?;
    // No billing address yet: the customer is still typing, and there is no field to point
    // at. Another rule (or the payment step) demands the address itself.
    let billing = customer.billing.as_ref()?;
    // The billing address says who is invoiced, so its type wins; the customer's type is
    // the fallback for addresses that do not say.
    let kind = billing.type_.or(customer.type_);
    if kind != Some(CustomerType::Organization) {
        return None;
    }
    // Whitespace-only counts as missing: it is what a form sends for an untouched field.
    let given = billing
        .organization_identification_number
        .as_deref()
        .is_some_and(|number| !number.trim().is_empty());
    (!given).then(|| {
        Violation::new(
            pointer(&["customer", "billing", "organizationIdentificationNumber"]),
            "organization-number-required",
            "organization customers must give an organization number",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordergate_guest::Address;

    fn customer(
        customer_type: Option<CustomerType>,
        billing_type: Option<CustomerType>,
        number: Option<&str>,
    ) -> Customer {
        let billing = Address {
            type_: billing_type,
            organization_identification_number: number.map(str::to_string),
            ..Address::default()
        };
        Customer {
            billing: Some(billing),
            type_: customer_type,
            ..Customer::default()
        }
    }

    const ORG: Option<CustomerType> = Some(CustomerType::Organization);
    const PERSON: Option<CustomerType> = Some(CustomerType::Person);

    #[test]
    fn organization_billing_needs_a_number() {
        let violation = check(Some(&customer(None, ORG, None))).expect("a violation");
        assert_eq!(
            violation.path,
            "/customer/billing/organizationIdentificationNumber"
        );
        assert_eq!(violation.code, "organization-number-required");
        assert_eq!(
            violation.message,
            "organization customers must give an organization number"
        );
        assert!(check(Some(&customer(None, ORG, Some("  ")))).is_some());
        assert!(check(Some(&customer(None, ORG, Some("556036-0793")))).is_none());
    }

    #[test]
    fn customer_type_is_the_fallback() {
        assert!(check(Some(&customer(ORG, None, None))).is_some());
        // The billing address's own type wins over the customer's.
        assert!(check(Some(&customer(ORG, PERSON, None))).is_none());
        assert!(check(Some(&customer(PERSON, None, None))).is_none());
        assert!(check(Some(&customer(None, None, None))).is_none());
    }

    #[test]
    fn no_customer_or_billing_is_not_checked() {
        assert!(check(None).is_none());
        let customer = Customer {
            type_: ORG,
            ..Customer::default()
        };
        assert!(check(Some(&customer)).is_none());
    }
}
