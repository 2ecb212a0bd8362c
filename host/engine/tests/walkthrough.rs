//! The README's walkthrough (`cargo run -p ordergate --example walkthrough`) prints what a
//! newcomer should see: this checks its transcript, with times and fuel (which vary with
//! the machine and the plugins' builds) normalized.

#[path = "../examples/walkthrough.rs"]
mod walkthrough;

/// Replaces what varies with the machine and the plugins' builds: `12.3 ms` and `85 µs`
/// become `<time>`, the numbers in `fuel 15619` and `110941 bytes` become `<n>` (with the
/// padding before a size collapsed to one space).
fn normalized(transcript: &str) -> String {
    let mut out = String::with_capacity(transcript.len());
    let mut rest = transcript;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let len = from
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(from.len());
        let (number, after) = from.split_at(len);
        let standalone = !before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
        if standalone && (after.starts_with(" µs") || after.starts_with(" ms")) {
            out.push_str("<time>");
            rest = &after[after.find('s').expect("unit") + 1..];
            continue;
        }
        if standalone && after.starts_with(" bytes") {
            // Sizes are right-aligned: their padding varies with their width.
            out.truncate(out.trim_end().len());
            out.push_str(" <n>");
        } else if standalone && before.ends_with("fuel ") {
            out.push_str("<n>");
        } else {
            out.push_str(number);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[test]
fn the_walkthrough_drives_an_order_from_checkout_to_completed() {
    let mut transcript = String::new();
    walkthrough::run(&mut transcript).expect("the walkthrough runs");
    assert_eq!(
        normalized(&transcript),
        EXPECTED,
        "transcript:\n{transcript}"
    );
}

const EXPECTED: &str = r#"# Installing plugins for merchant norce, channel b2c
  max-quantity         validation <n> bytes, Compiled in <time>
  organization-number  validation <n> bytes, Compiled in <time>
  payment-coverage     validation <n> bytes, Compiled in <time>
  three-for-two        hook <n> bytes, Compiled in <time>
  free-shipping        hook <n> bytes, Compiled in <time>
  klarna-sync          hook <n> bytes, Compiled in <time>
  notify-completed     hook <n> bytes, Compiled in <time>

1. create an order with one T-shirt: committed version 1 (<time>)
   validation max-quantity         depth 0 accepted (fuel <n>, <time>)
   validation organization-number  depth 0 accepted (fuel <n>, <time>)
   validation payment-coverage     depth 0 accepted (fuel <n>, <time>)
   hook       free-shipping        depth 1 no change (fuel <n>, <time>)
   hook       klarna-sync          depth 1 no change (fuel <n>, <time>)
   hook       notify-completed     depth 1 no change (fuel <n>, <time>)
   hook       three-for-two        depth 1 no change (fuel <n>, <time>)

2. add a Postnord shipping, 49 SEK: committed version 2 (<time>)

3. set the cart to 12 T-shirts: REJECTED (<time>)
   ✗ max-quantity at /cart/items/0/quantity: quantity 12 exceeds the maximum of 10 per line
   validation max-quantity         depth 0 rejected (1) (fuel <n>, <time>)

4. set the cart to 3 T-shirts and a cap: committed version 5 (<time>)
   validation max-quantity         depth 0 accepted (fuel <n>, <time>)
   hook       free-shipping        depth 1 patched 2 operation(s) → version 4 (fuel <n>, <time>)
   hook       three-for-two        depth 1 patched 2 operation(s) → version 5 (fuel <n>, <time>)
   validation max-quantity         depth 1 accepted (fuel <n>, <time>)
   hook       free-shipping        depth 2 no change (fuel <n>, <time>)

5. add a Klarna payment of 500 SEK: committed version 6 (<time>)

6. set an organization's billing address without its number: REJECTED (<time>)
   ✗ organization-number at /customer/billing/organizationIdentificationNumber: organization customers must give an organization number
   validation organization-number  depth 0 rejected (1) (fuel <n>, <time>)

7. set it again with the organization number: committed version 8 (<time>)
   validation organization-number  depth 0 accepted (fuel <n>, <time>)
   hook       klarna-sync          depth 1 patched 1 operation(s) → version 8 (fuel <n>, <time>)

8. move the order to processing: committed version 9 (<time>)
   validation payment-coverage     depth 0 accepted (fuel <n>, <time>)
   hook       notify-completed     depth 1 no change (fuel <n>, <time>)

9. move the order to accepted: committed version 10 (<time>)
   validation payment-coverage     depth 0 accepted (fuel <n>, <time>)
   hook       notify-completed     depth 1 no change (fuel <n>, <time>)

10. move the order to completed: committed version 11 (<time>)
   validation payment-coverage     depth 0 accepted (fuel <n>, <time>)
   hook       notify-completed     depth 1 no change (fuel <n>, <time>)
   notification export-on-completed from notify-completed fired: event evt_3

# The order, version 11
  status completed, transitions checkout → processing → accepted → completed
  cart total 500.00 SEK after 1 discount(s)
  shipping 0.00 SEK
  payment attributes {"billingCountry":"SE","billingEmail":"rosalinainho@example.com","customerType":"organization"}

# Notification events
  evt_3 export-on-completed (Pending) → https://erp.example/api/v1/callbacks/orders/o_1/completed
"#;
