//! Example hook plugin: what a payment adapter does when the customer changes.
//!
//! A payment provider needs the billing country and e-mail to pick payment methods and
//! send receipts, and whether the buyer is a person or an organization to offer invoice
//! terms. A payment adapter keeps them in its payments' `attributes`; as a hook subscribed
//! to `customer-changed`, this plugin keeps them up to date without a round trip to the
//! adapter's own service. No configuration; the manifest's `adapterId` tells the hook which
//! payments are its own.

use ordergate_guest::{
    Change, Context, Customer, CustomerType, Hook, NoConfig, Operation, Order, Outcome, Payment,
};
use serde_json::{Map, Value, json};

/// The plugin; all its state is in the call's arguments.
pub struct PaymentAdapter;

impl Hook for PaymentAdapter {
    type Config = NoConfig;

    fn handle(
        _config: &NoConfig,
        ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<Outcome, String> {
        // Without an adapter of its own the plugin owns no payment (see `sync_customer`):
        // nothing to read.
        if ctx.adapter_id.is_none() {
            return Ok(Outcome::default());
        }
        sync_customer(&ctx, order.customer().as_ref(), &order.payments())
    }
}

ordergate_guest::export_hook!(PaymentAdapter);

/// The rule itself, over the order's customer and payments, so it can be unit-tested
/// natively.
///
/// # Errors
///
/// If one of the adapter's payments has `attributes` that are not a JSON object: merging
/// into them would lose them, so the hook reports the fault instead.
pub fn sync_customer(
    ctx: &Context,
    customer: Option<&Customer>,
    payments: &[Payment],
) -> Result<Outcome, String> {
    // A plugin installed without an adapter owns no payment.
    let Some(adapter_id) = ctx.adapter_id.as_deref() else {
        return Ok(Outcome::default());
    };
    let billing = customer.and_then(|c| c.billing.as_ref());
    // The customer's own type first; an order may have it only on the billing address.
    let customer_type = customer
        .and_then(|c| c.type_)
        .or_else(|| billing.and_then(|b| b.type_))
        .map(|t| match t {
            CustomerType::Person => "person",
            CustomerType::Organization => "organization",
        });
    // `null` rather than left out: a customer who removed their e-mail must not keep the
    // old one in the payment.
    let synced = json!({
        "billingCountry": billing.and_then(|b| b.country.as_deref()),
        "billingEmail": billing.and_then(|b| b.email.as_deref()),
        "customerType": customer_type,
    });
    let Value::Object(synced) = synced else {
        unreachable!("json! of an object literal is an object")
    };

    let mut operations = Vec::new();
    for (index, payment) in payments.iter().enumerate() {
        // Other adapters' payments are theirs to maintain.
        if payment.adapter_id.as_deref() != Some(adapter_id) {
            continue;
        }
        let path = format!("/payments/{index}/attributes");
        let existing = match &payment.attributes {
            Some(text) => Some(parse_object(text).ok_or_else(|| {
                format!("{path} is not a JSON object, refusing to merge into it")
            })?),
            None => None,
        };
        let mut merged = existing.clone().unwrap_or_default();
        merged.extend(synced.clone());
        match existing {
            // Already up to date: a patch that changes nothing would still be a change.
            Some(existing) if existing == merged => {}
            // The member exists: replace it (merged, so other attributes survive).
            Some(_) => operations.push(Operation::replace(path, &merged)),
            // `replace` needs the member to exist; `add` creates it.
            None => operations.push(Operation::add(path, &merged)),
        }
    }
    Ok(Outcome::patch(operations))
}

/// `text` parsed as a JSON object, or `None` if it is not one.
fn parse_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordergate_guest::{Address, OpKind};

    const ADAPTER: &str = "psp-adapter";

    fn ctx() -> Context {
        Context {
            adapter_id: Some(ADAPTER.into()),
            ..Context::default()
        }
    }

    fn payment(adapter_id: &str, attributes: Option<&str>) -> Payment {
        Payment {
            adapter_id: Some(adapter_id.into()),
            attributes: attributes.map(Into::into),
            ..Payment::default()
        }
    }

    fn organization() -> Customer {
        Customer {
            type_: Some(CustomerType::Organization),
            billing: Some(Address {
                country: Some("SE".into()),
                email: Some("billing@example.com".into()),
                ..Address::default()
            }),
            ..Customer::default()
        }
    }

    fn ops(outcome: &Outcome) -> Vec<(OpKind, &str, Option<Value>)> {
        outcome
            .operations
            .iter()
            .map(|op| (op.op, op.path.as_str(), op.value_json()))
            .collect()
    }

    #[test]
    fn merges_into_the_adapters_own_payments() {
        let payments = [
            payment("other-adapter", None),
            payment(
                ADAPTER,
                Some(r#"{"pspSession":"abc","billingEmail":"old@x"}"#),
            ),
            payment(ADAPTER, None),
        ];
        let outcome = sync_customer(&ctx(), Some(&organization()), &payments).unwrap();
        let synced = json!({
            "billingCountry": "SE",
            "billingEmail": "billing@example.com",
            "customerType": "organization",
        });
        assert_eq!(
            ops(&outcome),
            vec![
                (
                    OpKind::Replace,
                    "/payments/1/attributes",
                    Some(json!({
                        "pspSession": "abc",
                        "billingCountry": "SE",
                        "billingEmail": "billing@example.com",
                        "customerType": "organization",
                    }))
                ),
                (OpKind::Add, "/payments/2/attributes", Some(synced)),
            ]
        );
        assert!(outcome.triggers.is_empty());
    }

    #[test]
    fn missing_customer_data_becomes_null() {
        let customer = Customer {
            billing: Some(Address {
                type_: Some(CustomerType::Person),
                ..Address::default()
            }),
            ..Customer::default()
        };
        let payments = [payment(ADAPTER, None)];
        let outcome = sync_customer(&ctx(), Some(&customer), &payments).unwrap();
        assert_eq!(
            ops(&outcome),
            vec![(
                OpKind::Add,
                "/payments/0/attributes",
                Some(json!({
                    "billingCountry": null,
                    "billingEmail": null,
                    "customerType": "person",
                }))
            )]
        );
        let outcome = sync_customer(&ctx(), None, &payments).unwrap();
        assert_eq!(
            outcome.operations[0].value_json(),
            Some(json!({"billingCountry": null, "billingEmail": null, "customerType": null}))
        );
    }

    #[test]
    fn no_matching_payment_no_operations() {
        let payments = [payment("other-adapter", None)];
        let outcome = sync_customer(&ctx(), Some(&organization()), &payments).unwrap();
        assert!(outcome.operations.is_empty());
        // Without an adapter of its own the plugin owns nothing, not "every payment
        // without an adapter".
        let payments = [Payment::default()];
        let outcome = sync_customer(&Context::default(), None, &payments).unwrap();
        assert!(outcome.operations.is_empty());
    }

    #[test]
    fn up_to_date_attributes_need_no_patch() {
        let current = r#"{"billingCountry":"SE","billingEmail":"billing@example.com","customerType":"organization","x":1}"#;
        let payments = [payment(ADAPTER, Some(current))];
        let outcome = sync_customer(&ctx(), Some(&organization()), &payments).unwrap();
        assert!(outcome.operations.is_empty());
    }

    #[test]
    fn attributes_that_are_not_an_object_are_a_fault() {
        let payments = [payment(ADAPTER, Some("[1]"))];
        let error = sync_customer(&ctx(), Some(&organization()), &payments).unwrap_err();
        assert!(error.contains("/payments/0/attributes"), "{error}");
    }
}
