//! Example plugin: an order may only go to `processing` when its payments cover it.
//!
//! Moving to `processing` hands the order to fulfilment; if the payments registered by
//! then do not add up to the order total, the merchant ships goods nobody paid for.
//! No configuration.

use ordergate_guest::{
    Change, Context, Money, NoConfig, Order, OrderStatus, Payment, PaymentState, Validation,
    Violation,
};

/// Half a cent: totals and amounts are `f64` sums of prices, so exact comparison would
/// refuse orders over rounding noise (0.1 + 0.2 != 0.3).
const TOLERANCE: f64 = 0.005;

/// The plugin; all its state is in the call's arguments.
pub struct PaymentCoverage;

impl Validation for PaymentCoverage {
    type Config = NoConfig;

    fn validate(
        _config: &NoConfig,
        _ctx: Context,
        order: &Order,
        change: Change,
    ) -> Result<(), Vec<Violation>> {
        // Decided on the change alone for every change but one, so those read nothing of
        // the order.
        if !applies_to(&change) {
            return Ok(());
        }
        // With no total to cover, the payments are not read either.
        let Some(total) = amount_due(order.total(), || order.cart_total()) else {
            return Ok(());
        };
        match check(&total, &order.payments()) {
            Some(violation) => Err(vec![violation]),
            None => Ok(()),
        }
    }
}

ordergate_guest::export_validation!(PaymentCoverage);

/// Whether the rule applies to `change`: only the move to `processing` matters. Earlier
/// the customer is still paying, and later states were already checked on their way
/// through `processing`.
pub fn applies_to(change: &Change) -> bool {
    change.to_status == Some(OrderStatus::Processing)
}

/// The amount the payments must cover: the order total, which includes shipping; an order
/// without one (yet) falls back to the cart's, which is only read then. With neither there
/// is nothing to cover.
pub fn amount_due(
    order_total: Option<Money>,
    cart_total: impl FnOnce() -> Option<Money>,
) -> Option<Money> {
    order_total.or_else(cart_total)
}

/// The rule itself, over the amount due and the payments, so it can be unit-tested
/// natively.
pub fn check(total: &Money, payments: &[Payment]) -> Option<Violation> {
    let total = total.including_vat;
    // A fold from +0.0 rather than `sum()`: an empty `f64` sum is -0.0, which would print
    // as "-0.00".
    let covered = payments
        .iter()
        .filter(|payment| {
            // Removed, failed and declined payments will never bring money in; all other
            // states (including no state) are money that is or may still be coming.
            !matches!(
                payment.state,
                Some(PaymentState::Removed | PaymentState::Failed | PaymentState::Declined)
            )
        })
        .filter_map(|payment| payment.amount)
        .fold(0.0, |sum, amount| sum + amount);
    (covered + TOLERANCE < total).then(|| {
        Violation::new(
            "/payments",
            "payments-do-not-cover-total",
            format!("payments cover {covered:.2} of {total:.2}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(amount: f64, state: Option<PaymentState>) -> Payment {
        Payment {
            amount: Some(amount),
            state,
            ..Payment::default()
        }
    }

    fn to_processing() -> Change {
        Change {
            from_status: Some(OrderStatus::Checkout),
            to_status: Some(OrderStatus::Processing),
            ..Change::default()
        }
    }

    fn total(total: f64) -> Money {
        Money::new(total, total * 0.8)
    }

    #[test]
    fn refuses_uncovered_orders() {
        let payments = [
            payment(100.0, Some(PaymentState::Reserved)),
            payment(150.0, Some(PaymentState::Declined)),
            payment(50.0, Some(PaymentState::Failed)),
            payment(50.0, Some(PaymentState::Removed)),
        ];
        let violation = check(&total(250.0), &payments).expect("a violation");
        assert_eq!(violation.path, "/payments");
        assert_eq!(violation.code, "payments-do-not-cover-total");
        assert_eq!(violation.message, "payments cover 100.00 of 250.00");
    }

    #[test]
    fn accepts_covered_orders() {
        let payments = [payment(0.1, None), payment(0.2, Some(PaymentState::Intent))];
        assert!(check(&total(0.3), &payments).is_none());
        let payments = [payment(300.0, Some(PaymentState::Captured))];
        assert!(check(&total(250.0), &payments).is_none());
    }

    #[test]
    fn only_the_move_to_processing_is_checked() {
        assert!(applies_to(&to_processing()));
        assert!(!applies_to(&Change::default()));
        let change = Change {
            to_status: Some(OrderStatus::Accepted),
            ..Change::default()
        };
        assert!(!applies_to(&change));
    }

    #[test]
    fn falls_back_to_the_cart_total() {
        // With neither there is nothing to cover.
        assert!(amount_due(None, || None).is_none());
        let due = amount_due(None, || Some(Money::new(99.5, 80.0))).expect("the cart total");
        let violation = check(&due, &[]).expect("a violation");
        assert_eq!(violation.message, "payments cover 0.00 of 99.50");
        // The order total wins, and then the cart's is not even read.
        let due = amount_due(Some(total(250.0)), || panic!("read the cart total"));
        assert_eq!(due.map(|due| due.including_vat), Some(250.0));
    }
}
