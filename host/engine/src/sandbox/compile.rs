//! What can stop a component from being installed, and the checks made before anything of
//! it runs.

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use super::Fault;

/// Why a component cannot be installed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly component: the bytes do not start with the wasm magic number")]
    NotWasm,
    /// The bytes are a core module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component: `ordergate build` builds a \
         plugin crate and turns its module into a component"
    )]
    CoreModule,
    /// wasmtime refused to compile the component.
    #[error("malformed component: {0:#}")]
    Malformed(wasmtime::Error),
    /// The component imports something the host does not offer.
    #[error(
        "the component imports `{import}`, which ordergate does not offer: plugins may \
         import only the ordergate:checkout interfaces `log`, `types`, `view` and `patch` \
         (no filesystem, network, clock, randomness or environment; a guest built for \
         wasm32-wasip2 imports WASI)"
    )]
    ForbiddenImport {
        /// The offending import's name.
        import: String,
    },
    /// The component does not implement the world of its kind.
    #[error("the component does not implement the `{world}` world: {reason:#}")]
    WrongWorld {
        /// The world the plugin's kind requires.
        world: &'static str,
        /// What wasmtime found missing or mistyped.
        reason: wasmtime::Error,
    },
    /// The plugin's `init` refused its configuration.
    #[error("the plugin refused its configuration: {message}")]
    InitFailed {
        /// The plugin's own message, e.g. `invalid plugin configuration: unknown field …`.
        message: String,
    },
    /// The plugin's `init` did not finish within the plugin's limits, or trapped.
    #[error("the plugin's init failed: {fault}")]
    InitFaulted {
        /// What went wrong.
        fault: Fault,
    },
    /// The component is valid but of a shape the host cannot pre-initialize (e.g. a module
    /// instantiated twice), or its initialized state could not be read back.
    #[error("the component cannot be pre-initialized: {0:#}")]
    Snapshot(wasmtime::Error),
}

/// Where a compiled plugin came from, and what it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ArtifactSource {
    /// Compiled now with Cranelift.
    Compiled,
    /// Loaded from the on-disk artifact cache.
    DiskCache,
    /// Shared with an already loaded copy of the same bytes.
    MemoryCache,
}

/// Interfaces a plugin may import: the package's own. Anything else is refused.
pub(super) const ALLOWED_IMPORT_PREFIX: &str = "ordergate:checkout/";
const ALLOWED_INTERFACES: [&str; 4] = ["log", "types", "view", "patch"];

/// Tells a component from a core module or garbage before handing bytes to the compiler,
/// so the error says what to do.
pub(super) fn check_header(bytes: &[u8]) -> Result<(), CompileError> {
    const MAGIC: &[u8] = b"\0asm";
    // Layer 0 is a core module (version 1); layer 1 is a component.
    const CORE_MODULE: &[u8] = &[1, 0, 0, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(CompileError::NotWasm);
    }
    if &bytes[4..8] == CORE_MODULE {
        return Err(CompileError::CoreModule);
    }
    Ok(())
}

pub(super) fn check_imports(engine: &Engine, component: &Component) -> Result<(), CompileError> {
    for (name, item) in component.component_type().imports(engine) {
        // A world's `use view.{order}` becomes a top-level import of the type `order`: a
        // name for a type grants nothing, so only instances and functions are checked.
        if matches!(item.ty, ComponentItem::Type(_) | ComponentItem::Resource(_)) {
            continue;
        }
        let allowed = name
            .strip_prefix(ALLOWED_IMPORT_PREFIX)
            .and_then(|rest| rest.split('@').next())
            .is_some_and(|interface| ALLOWED_INTERFACES.contains(&interface));
        if !allowed {
            return Err(CompileError::ForbiddenImport {
                import: name.to_owned(),
            });
        }
    }
    Ok(())
}
