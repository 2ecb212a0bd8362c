//! Installing plugins: what is refused and why, the artifact caches, versions.

mod common;

use common::*;
use ordergate::registry::RegistryError;
use ordergate::sandbox::{ArtifactSource, CompileError};
use ordergate::{PluginKind, SandboxConfig};
use ordergate_test_support as plugins;
use serde_json::json;

fn install_bytes(
    host: &ordergate::Host,
    kind: PluginKind,
    bytes: &[u8],
) -> Result<ordergate::registry::InstallReport, RegistryError> {
    let mut m = manifest("p", &[], json!({}));
    m.kind = kind;
    host.registry().install(&scope().tenant, m, bytes)
}

fn compile_error(
    result: Result<ordergate::registry::InstallReport, RegistryError>,
) -> CompileError {
    match result {
        Err(RegistryError::Compile { id, source }) => {
            assert_eq!(id, "p");
            source
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
}

#[test]
fn garbage_and_core_modules_are_refused_with_what_to_do() {
    let host = host();
    let err = compile_error(install_bytes(
        &host,
        PluginKind::Validation,
        b"not wasm at all",
    ));
    assert!(matches!(err, CompileError::NotWasm), "{err}");

    let core = wat::parse_str("(module)").unwrap();
    let err = compile_error(install_bytes(&host, PluginKind::Validation, &core));
    assert!(matches!(err, CompileError::CoreModule), "{err}");
    assert!(err.to_string().contains("not a component"), "{err}");

    let mut truncated = plugin(plugins::MAX_QUANTITY);
    truncated.truncate(truncated.len() / 2);
    let err = compile_error(install_bytes(&host, PluginKind::Validation, &truncated));
    assert!(matches!(err, CompileError::Malformed(_)), "{err}");
}

#[test]
fn a_wasip2_guest_is_refused_for_its_wasi_imports() {
    let host = host();
    let err = compile_error(install_bytes(
        &host,
        PluginKind::Validation,
        &plugin(plugins::HOSTILE_WASIP2),
    ));
    match &err {
        CompileError::ForbiddenImport { import } => {
            assert!(import.starts_with("wasi:"), "{import}")
        }
        other => panic!("expected a forbidden import, got {other}"),
    }
    assert!(
        err.to_string().contains("which ordergate does not offer"),
        "{err}"
    );
}

#[test]
fn any_import_but_the_ordergate_interfaces_is_refused_by_name() {
    let host = host();
    let component = wat::parse_str(
        r#"(component
            (import "wasi:random/random@0.2.0" (instance
                (export "get-random-u64" (func (result u64)))))
        )"#,
    )
    .unwrap();
    let err = compile_error(install_bytes(&host, PluginKind::Validation, &component));
    assert_eq!(
        err.to_string(),
        "the component imports `wasi:random/random@0.2.0`, which ordergate does not offer: \
         plugins may import only `ordergate:checkout/log` (no filesystem, network, clock, \
         randomness or environment; a guest built for wasm32-wasip2 imports WASI)"
    );
}

#[test]
fn a_component_of_another_world_is_refused() {
    let host = host();
    let empty = wat::parse_str("(component)").unwrap();
    let err = compile_error(install_bytes(&host, PluginKind::Validation, &empty));
    match err {
        CompileError::WrongWorld { world, reason } => {
            assert_eq!(world, "validator");
            assert!(format!("{reason:#}").contains("validate"), "{reason:#}");
        }
        other => panic!("expected wrong world, got {other}"),
    }
}

#[test]
fn a_restarted_host_loads_from_the_disk_cache_instead_of_recompiling() {
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        cache_dir: Some(dir.path().to_owned()),
        ..SandboxConfig::default()
    };
    let bytes = plugin(plugins::MAX_QUANTITY);

    let first = host_with(config.clone());
    let report = install_bytes(&first, PluginKind::Validation, &bytes).unwrap();
    assert_eq!(report.source, ArtifactSource::Compiled);
    assert_eq!(report.size_bytes, bytes.len());
    drop(first);

    let restarted = host_with(config.clone());
    let report = install_bytes(&restarted, PluginKind::Validation, &bytes).unwrap();
    assert_eq!(report.source, ArtifactSource::DiskCache);
    // And the loaded code runs: this manifest gives no `maxQuantity`, which it reports.
    match restarted.create_order(&scope(), new_order(&[1])) {
        Err(ordergate::MutationError::Rejected { violations, trace }) => {
            assert_eq!(violations[0].code, "invalid-configuration");
            assert_eq!(trace.plugins[0].plugin, "p");
        }
        other => panic!("expected the cached plugin to run, got {other:?}"),
    }

    // A corrupt artifact is a miss, not a crash: recompiled and rewritten.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"garbage").unwrap();
    }
    let again = host_with(config);
    let report = install_bytes(&again, PluginKind::Validation, &bytes).unwrap();
    assert_eq!(report.source, ArtifactSource::Compiled);
}

#[test]
fn install_replace_list_remove() {
    let host = host();
    let tenant = scope().tenant;
    let bytes = plugin(plugins::MAX_QUANTITY);
    let m = manifest("max-quantity", &["cart"], json!({"maxQuantity": 5}));
    assert_eq!(
        host.registry()
            .install(&tenant, m.clone(), &bytes)
            .unwrap()
            .version,
        1
    );
    assert!(matches!(
        host.registry().install(&tenant, m.clone(), &bytes),
        Err(RegistryError::AlreadyInstalled(id)) if id == "max-quantity"
    ));
    let report = host.registry().replace(&tenant, m.clone(), &bytes).unwrap();
    assert_eq!(
        (report.version, report.source),
        (2, ArtifactSource::MemoryCache)
    );

    let other_tenant = ordergate::Tenant::new("norce", "b2b");
    assert!(host.registry().list(&other_tenant).unwrap().is_empty());
    let listed: Vec<_> = host
        .registry()
        .list(&tenant)
        .unwrap()
        .iter()
        .map(|p| (p.manifest.id.clone(), p.version))
        .collect();
    assert_eq!(listed, [("max-quantity".to_string(), 2)]);

    host.registry().remove(&tenant, "max-quantity").unwrap();
    assert!(host.registry().list(&tenant).unwrap().is_empty());
    assert!(matches!(
        host.registry().remove(&tenant, "max-quantity"),
        Err(RegistryError::NotInstalled(_))
    ));
    assert!(matches!(
        host.registry().replace(&tenant, m, &bytes),
        Err(RegistryError::NotInstalled(_))
    ));
}

#[test]
fn manifests_are_checked_before_compiling() {
    let host = host();
    let bytes = plugin(plugins::MAX_QUANTITY);
    let mut m = manifest("greedy", &[], json!({}));
    m.limits.memory_bytes = Some(1 << 30);
    let err = host
        .registry()
        .install(&scope().tenant, m, &bytes)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `greedy`: invalid manifest: memoryBytes 1073741824 exceeds this host's ceiling of 268435456"
    );

    let m = manifest("typo", &["carts"], json!({}));
    let err = host
        .registry()
        .install(&scope().tenant, m, &bytes)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `typo`: invalid manifest: cannot subscribe to `carts`: not an order part nor a JSON Pointer"
    );
}
