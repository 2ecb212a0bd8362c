//! The WIT bindings of both plugin worlds, generated once each.
//!
//! `validation` owns the shared interfaces (`types`, `view`, `log`); `hook` reuses them
//! through `with`, so an [`crate::Order`] (the `view` resource) and every record are the same
//! Rust types whichever world a plugin implements.
//! Both use `pub_export_macro`: the library's own custom section describes the world
//! without its exports, and the plugin's `export_…!` invocation emits the full world, which
//! is what lets one SDK crate hold two worlds.
//!
//! The hook world is behind the `hook` feature all the same: the library's own section still
//! carries the world's top-level types, which wit-component encodes unconditionally, so a
//! validation plugin linked with it would import the hook's types and `patch` interface.

/// Bindings of the `validator` world.
#[allow(missing_docs)]
pub mod validation {
    wit_bindgen::generate!({
        path: "wit",
        world: "ordergate:checkout/validator@0.1.0",
        pub_export_macro: true,
        default_bindings_module: "ordergate_guest::validation",
        export_macro_name: "export_world",
    });
}

/// Bindings of the `hook` world (feature `hook`).
#[cfg(any(feature = "hook", doc))]
#[allow(missing_docs)]
pub mod hook {
    wit_bindgen::generate!({
        path: "wit",
        world: "ordergate:checkout/hook@0.1.0",
        pub_export_macro: true,
        default_bindings_module: "ordergate_guest::hook",
        export_macro_name: "export_world",
        with: {
            "ordergate:checkout/types@0.1.0": crate::bindings::validation::ordergate::checkout::types,
            "ordergate:checkout/view@0.1.0": crate::bindings::validation::ordergate::checkout::view,
            "ordergate:checkout/log@0.1.0": crate::bindings::validation::ordergate::checkout::log,
            "ordergate:checkout/patch@0.1.0": generate,
        },
    });
}
