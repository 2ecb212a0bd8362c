//! The example and test plugins, built as WebAssembly components, for the host's tests.
//!
//! The build script compiles every plugin crate once per build of this crate (with the
//! `plugin` profile, for `wasm32-unknown-unknown`, into `target/plugins`), turns each core
//! module into a component with `wit-component`, and writes the components to `OUT_DIR`.
//! The constants below are their absolute paths:
//!
//! - [`MAX_QUANTITY`], [`ORGANIZATION_NUMBER`], [`PAYMENT_COVERAGE`]: the example rules;
//! - [`FREE_SHIPPING`], [`THREE_FOR_TWO`], [`NOTIFY_COMPLETED`], [`PAYMENT_ADAPTER`]: the
//!   example hooks (built in a cargo invocation of their own, so that only they link the
//!   SDK's `hook` feature and the validation components stay free of hook types);
//! - [`HOSTILE`]: the misbehaving plugin (`{"behaviour": "loop"}` etc.);
//! - [`HOSTILE_HOOK`]: a hook that misbehaves on request (bad patches, bad triggers,
//!   endless cascades);
//! - [`HOSTILE_WASIP2`]: the same plugin built for `wasm32-wasip2`, a component that
//!   imports WASI, which the host must refuse;
//! - [`SKU_RULE`]: a validation written as a merchant would, untuned (every line read in
//!   full, each SKU checked against a configured pattern), for the benchmarks.
//!
//! [`EXAMPLES`] lists the example plugins, [`ALL`] every plugin.
//!
//! It also holds [`conformance`], the properties every storage backend must have.
//!
//! ```no_run
//! let bytes = ordergate_test_support::read(ordergate_test_support::MAX_QUANTITY);
//! assert!(bytes.starts_with(b"\0asm"));
//! ```

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));

pub mod conformance;

/// The bytes of the plugin at `path` (one of this crate's constants).
///
/// # Panics
///
/// If the file cannot be read: the build script wrote it, so that is a broken build.
pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read plugin {path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_artifact_is_a_component() {
        assert_eq!(ALL.len(), 11);
        assert_eq!(EXAMPLES.len(), 7);
        for (name, path) in ALL {
            let bytes = read(path);
            // Magic, then version 0x0d and layer 1: a component, not a core module.
            assert_eq!(
                &bytes[..8],
                b"\0asm\x0d\0\x01\0",
                "{name} is not a component"
            );
        }
    }
}
