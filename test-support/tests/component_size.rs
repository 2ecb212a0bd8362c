//! The example plugins stay small: a component's size is what the host compiles at every
//! install (compile time grows with it) and what a merchant uploads. Each example is a
//! plugin written with the guest SDK as its documentation says, so this bounds what the SDK
//! costs every plugin.

use ordergate_test_support::EXAMPLES;

/// The most an example component may weigh, in bytes (100 kB). For scale: Shopify's limit
/// for a whole function module is 256 kB. A 256 KiB run of zeros in a data segment (a
/// non-zero field in a large `static`, such as the SDK's arena) breaks it at once.
const MAX_EXAMPLE_COMPONENT_BYTES: u64 = 100_000;

#[test]
fn every_example_component_is_at_most_100_kb() {
    let sizes: Vec<(&str, u64)> = EXAMPLES
        .iter()
        .map(|(name, path)| {
            let size = std::fs::metadata(path)
                .unwrap_or_else(|e| panic!("{name}: cannot read {path}: {e}"))
                .len();
            (*name, size)
        })
        .collect();
    let over: Vec<_> = sizes
        .iter()
        .filter(|(_, size)| *size > MAX_EXAMPLE_COMPONENT_BYTES)
        .collect();
    assert!(
        over.is_empty(),
        "example components over {MAX_EXAMPLE_COMPONENT_BYTES} bytes: {over:?} (all: {sizes:?})"
    );
}
