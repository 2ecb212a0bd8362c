//! Example plugin: an order may only go to `processing` when its payments cover it.
//!
//! Moving to `processing` hands the order to fulfilment; if the payments registered by
//! then do not add up to the order total, the merchant ships goods nobody paid for.
//! No configuration.

use ordergate_guest::{Change, Context, Order, OrderStatus, PaymentState, Validation, Violation};

/// Half a cent: totals and amounts are `f64` sums of prices, so exact comparison would
/// refuse orders over rounding noise (0.1 + 0.2 != 0.3).
const TOLERANCE: f64 = 0.005;

/// The plugin; all its state is in the call's arguments.
pub struct PaymentCoverage;

impl Validation for PaymentCoverage {
    fn validate(_ctx: Context, order: Order, change: Change) -> Result<(), Vec<Violation>> {
        match check(&order, &change) {
            Some(violation) => Err(vec![violation]),
            None => Ok(()),
        }
    }
}

ordergate_guest::export_validation!(PaymentCoverage);

/// The rule itself, over plain SDK types so it can be unit-tested natively.
pub fn check(order: &Order, change: &Change) -> Option<Violation> {
    // Only the move to `processing` matters: earlier the customer is still paying, and
    // later states were already checked on their way through `processing`.
    if change.to_status != Some(OrderStatus::Processing) {
        return None;
    }
    // The order total includes shipping; an order without one (yet) falls back to the
    // cart's. With neither there is nothing to cover.
    let total = order
        .total
        .as_ref()
        .or_else(|| order.cart.as_ref()?.total.as_ref())?
        .including_vat;
    // A fold from +0.0 rather than `sum()`: an empty `f64` sum is -0.0, which would print
    // as "-0.00".
    let covered = order
        .payments
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
    use ordergate_guest::{Cart, Money, Payment};

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

    fn order(total: Option<f64>, payments: Vec<Payment>) -> Order {
        Order {
            total: total.map(|t| Money::new(t, t * 0.8)),
            payments,
            ..Order::default()
        }
    }

    #[test]
    fn refuses_uncovered_orders() {
        let order = order(
            Some(250.0),
            vec![
                payment(100.0, Some(PaymentState::Reserved)),
                payment(150.0, Some(PaymentState::Declined)),
                payment(50.0, Some(PaymentState::Failed)),
                payment(50.0, Some(PaymentState::Removed)),
            ],
        );
        let violation = check(&order, &to_processing()).expect("a violation");
        assert_eq!(violation.path, "/payments");
        assert_eq!(violation.code, "payments-do-not-cover-total");
        assert_eq!(violation.message, "payments cover 100.00 of 250.00");
    }

    #[test]
    fn accepts_covered_orders() {
        let payments = vec![payment(0.1, None), payment(0.2, Some(PaymentState::Intent))];
        assert!(check(&order(Some(0.3), payments), &to_processing()).is_none());
        let payments = vec![payment(300.0, Some(PaymentState::Captured))];
        assert!(check(&order(Some(250.0), payments), &to_processing()).is_none());
    }

    #[test]
    fn only_the_move_to_processing_is_checked() {
        let unpaid = order(Some(250.0), Vec::new());
        assert!(check(&unpaid, &Change::default()).is_none());
        let change = Change {
            to_status: Some(OrderStatus::Accepted),
            ..Change::default()
        };
        assert!(check(&unpaid, &change).is_none());
    }

    #[test]
    fn falls_back_to_the_cart_total() {
        let mut unpaid = order(None, Vec::new());
        assert!(check(&unpaid, &to_processing()).is_none());
        unpaid.cart = Some(Cart {
            total: Some(Money::new(99.5, 80.0)),
            ..Cart::default()
        });
        let violation = check(&unpaid, &to_processing()).expect("a violation");
        assert_eq!(violation.message, "payments cover 0.00 of 99.50");
    }
}
