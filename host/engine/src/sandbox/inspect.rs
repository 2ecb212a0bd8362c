//! What a component is, before the host tries to run it: its world, the WIT package
//! version it was built against, its imports and exports. `ordergate check` prints this,
//! so an author sees why an upload would be refused without uploading it.

use std::time::{Duration, Instant};

use wasmtime::component::types::ComponentItem;

use super::compile::{ALLOWED_IMPORT_PREFIX, check_header};
use super::{CompileError, PluginKind, Sandbox};

/// A component as the host sees it: see [`Sandbox::inspect`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentInfo {
    /// The kind its exports make it: `validate` a validation, `handle` a hook; `None`
    /// when it exports neither.
    pub kind: Option<PluginKind>,
    /// The version of the `ordergate:checkout` package its imports and exports name (e.g.
    /// `0.1.0`), when it names one.
    pub package_version: Option<String>,
    /// Its imports, e.g. `ordergate:checkout/log@0.1.0` (types named by a world included).
    pub imports: Vec<String>,
    /// Its exports, e.g. `init`, `validate`.
    pub exports: Vec<String>,
    /// Size of the component, in bytes.
    pub size_bytes: usize,
    /// How long Cranelift took to compile it (without the install's `init` and snapshot);
    /// serialized as `compileUs`, in microseconds.
    #[serde(rename = "compileUs", with = "super::micros")]
    pub compile_time: Duration,
}

impl Sandbox {
    /// Compiles `bytes` and describes the component: its kind, WIT package version,
    /// imports and exports. Whether the host would install it is [`Sandbox::prepare`]'s
    /// answer; this one says what the component is, even when the answer is no.
    pub fn inspect(&self, bytes: &[u8]) -> Result<ComponentInfo, CompileError> {
        check_header(bytes)?;
        let started = Instant::now();
        let component = wasmtime::component::Component::new(&self.engine, bytes)
            .map_err(CompileError::Malformed)?;
        let compile_time = started.elapsed();
        let ty = component.component_type();
        let mut imports = Vec::new();
        let mut package_version = None;
        for (name, item) in ty.imports(&self.engine) {
            let named = name
                .strip_prefix(ALLOWED_IMPORT_PREFIX)
                .and_then(|rest| rest.split_once('@'));
            let is_type = matches!(item.ty, ComponentItem::Type(_) | ComponentItem::Resource(_));
            if let (Some((_, version)), false) = (named, is_type) {
                package_version.get_or_insert_with(|| version.to_owned());
            }
            imports.push(name.to_owned());
        }
        let exports: Vec<String> = ty
            .exports(&self.engine)
            .map(|(n, _)| n.to_owned())
            .collect();
        let exported = |name: &str| exports.iter().any(|e| e == name);
        let kind = if exported(PluginKind::Validation.entry_point()) {
            Some(PluginKind::Validation)
        } else if exported(PluginKind::Hook.entry_point()) {
            Some(PluginKind::Hook)
        } else {
            None
        };
        Ok(ComponentInfo {
            kind,
            package_version,
            imports,
            exports,
            size_bytes: bytes.len(),
            compile_time,
        })
    }
}
