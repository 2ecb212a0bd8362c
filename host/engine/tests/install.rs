//! Installing plugins: what is refused and why, the artifact caches, versions.

mod common;

use common::*;
use ordergate::RegistryError;
use ordergate::{ArtifactSource, CompileError};
use ordergate::{PluginKind, SandboxConfig};
use ordergate_test_support as plugins;
use serde_json::json;

fn install_bytes(
    host: &ordergate::Host,
    kind: PluginKind,
    bytes: &[u8],
) -> Result<ordergate::InstallReport, RegistryError> {
    install_configured(host, kind, bytes, json!({}))
}

fn install_configured(
    host: &ordergate::Host,
    kind: PluginKind,
    bytes: &[u8],
    config: serde_json::Value,
) -> Result<ordergate::InstallReport, RegistryError> {
    let mut m = manifest("p", &[], config);
    m.kind = kind;
    host.registry().install(&scope().tenant, m, bytes)
}

fn compile_error(result: Result<ordergate::InstallReport, RegistryError>) -> CompileError {
    match result {
        Err(RegistryError::Compile { id, reason }) => {
            assert_eq!(id, "p");
            reason
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
    // Said once, also by a printer of error chains.
    let registry_err = install_bytes(&host, PluginKind::Validation, &core).unwrap_err();
    let chain = format!("{:#}", anyhow::Error::from(registry_err));
    assert_eq!(
        chain,
        "plugin `p`: this is a core WebAssembly module, not a component: `ordergate build` \
         builds a plugin crate and turns its module into a component"
    );

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
         plugins may import only the ordergate:checkout interfaces `log`, `types`, `view` \
         and `patch` (no filesystem, network, clock, randomness or environment; a guest \
         built for wasm32-wasip2 imports WASI)"
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

    // A cap of 0 refuses any line: what the cached code does is visible.
    let capped = json!({"maxQuantity": 0});
    let first = host_with(config.clone());
    let report = install_configured(&first, PluginKind::Validation, &bytes, capped.clone());
    let report = report.unwrap();
    assert_eq!(report.source, ArtifactSource::Compiled);
    assert_eq!(report.size_bytes, bytes.len());
    drop(first);

    let restarted = host_with(config.clone());
    let report = install_configured(&restarted, PluginKind::Validation, &bytes, capped.clone());
    assert_eq!(report.unwrap().source, ArtifactSource::DiskCache);
    // And the loaded code runs, initialized with its configuration.
    match restarted.create_order(&scope(), new_order(&[1])) {
        Err(ordergate::MutationError::Rejected { violations, trace }) => {
            assert_eq!(violations[0].code, "max-quantity-exceeded");
            assert_eq!(trace.plugins[0].plugin, "p");
        }
        other => panic!("expected the cached plugin to run, got {other:?}"),
    }

    // A corrupt artifact is a miss, not a crash: recompiled and rewritten.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"garbage").unwrap();
    }
    let again = host_with(config);
    let report = install_configured(&again, PluginKind::Validation, &bytes, capped).unwrap();
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

#[test]
fn no_manifest_limit_may_exceed_the_hosts_ceilings() {
    let host = host();
    let bytes = plugin(plugins::ORGANIZATION_NUMBER);
    let refused = |limits: serde_json::Value| {
        let mut m = manifest("greedy", &[], json!({}));
        m.limits = serde_json::from_value(limits).unwrap();
        host.registry()
            .install(&scope().tenant, m, &bytes)
            .unwrap_err()
            .to_string()
    };
    // The tests' host raises the deadline ceiling to 10 s (see `common::host_with`); the
    // others are the defaults.
    assert_eq!(
        refused(json!({"deadlineMs": 3_600_000})),
        "plugin `greedy`: invalid manifest: deadlineMs 3600000 exceeds this host's ceiling of 10000"
    );
    assert_eq!(
        refused(json!({"fuel": 500_000_001u64})),
        "plugin `greedy`: invalid manifest: fuel 500000001 exceeds this host's ceiling of 500000000"
    );
    assert_eq!(
        refused(json!({"tableElements": 100_001})),
        "plugin `greedy`: invalid manifest: tableElements 100001 exceeds this host's ceiling of 100000"
    );
    assert_eq!(
        refused(json!({"maxResultBytes": 5 << 20})),
        "plugin `greedy`: invalid manifest: maxResultBytes 5242880 exceeds this host's ceiling of 4194304"
    );
    // At the ceiling is allowed.
    let mut m = manifest("at-ceiling", &[], json!({}));
    m.limits.fuel = Some(500_000_000);
    m.limits.max_result_bytes = Some(4 << 20);
    let report = host.registry().install(&scope().tenant, m, &bytes).unwrap();
    assert_eq!(report.version, 1);
}

#[test]
fn a_configuration_the_plugin_does_not_accept_is_refused_at_install_with_its_message() {
    let host = host();
    let bytes = plugin(plugins::MAX_QUANTITY);
    let typo = json!({"maxQuantity": 10, "maxQuantiy": 5});
    let err = install_configured(&host, PluginKind::Validation, &bytes, typo);
    let err = err.unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `p`: the plugin refused its configuration: invalid plugin configuration: \
         unknown field `maxQuantiy`, expected `maxQuantity` at line 1 column 30"
    );
    match err {
        RegistryError::Compile {
            reason: CompileError::InitFailed { message },
            ..
        } => assert_eq!(
            message,
            "invalid plugin configuration: unknown field `maxQuantiy`, expected `maxQuantity` \
             at line 1 column 30"
        ),
        other => panic!("expected the plugin's refusal, got {other:?}"),
    }
    // Nothing was installed: the merchant's orders are not refused for it.
    assert!(host.registry().list(&scope().tenant).unwrap().is_empty());
    assert!(host.create_order(&scope(), new_order(&[100])).is_ok());

    // A plugin taking no configuration refuses one.
    let bytes = plugin(plugins::ORGANIZATION_NUMBER);
    let err = compile_error(install_configured(
        &host,
        PluginKind::Validation,
        &bytes,
        json!({"strict": true}),
    ));
    assert_eq!(
        err.to_string(),
        "the plugin refused its configuration: invalid plugin configuration: unknown field \
         `strict`, there are no fields at line 1 column 9"
    );
}

#[test]
fn a_configuration_the_plugin_accepts_is_what_every_call_runs_with() {
    let host = host();
    let bytes = plugin(plugins::MAX_QUANTITY);
    install_configured(
        &host,
        PluginKind::Validation,
        &bytes,
        json!({"maxQuantity": 2}),
    )
    .unwrap();
    assert!(host.create_order(&scope(), new_order(&[2])).is_ok());
    match host.create_order(&scope(), new_order(&[1, 3])) {
        Err(ordergate::MutationError::Rejected { violations, .. }) => {
            assert_eq!(violations.len(), 1);
            assert_eq!(violations[0].path, "/cart/items/1/quantity");
            assert_eq!(
                violations[0].message,
                "quantity 3 exceeds the maximum of 2 per line"
            );
        }
        other => panic!("expected the cap of 2 to refuse, got {other:?}"),
    }
}

fn hostile_init(
    host: &ordergate::Host,
    behaviour: &str,
    limits: serde_json::Value,
) -> Result<ordergate::InstallReport, RegistryError> {
    let mut m = manifest("p", &[], json!({ "behaviour": behaviour }));
    m.limits = serde_json::from_value(limits).unwrap();
    m.limits.deadline_ms = m.limits.deadline_ms.or(Some(10_000));
    host.registry()
        .install(&scope().tenant, m, &plugin(plugins::HOSTILE))
}

#[test]
fn an_init_that_loops_or_traps_is_refused_at_install_naming_the_fault() {
    let host = host();
    let err = compile_error(hostile_init(&host, "init-loop", json!({"fuel": 1_000_000})));
    assert_eq!(
        err.to_string(),
        "the plugin's init failed: instruction budget (fuel) exhausted"
    );
    assert!(matches!(
        err,
        CompileError::InitFaulted {
            fault: ordergate::Fault::FuelExhausted
        }
    ));

    // Unlimited fuel (which the default ceiling forbids), so the deadline stops it even
    // on a loaded machine.
    let mut unmetered = SandboxConfig::default();
    unmetered.ceilings.fuel = u64::MAX;
    let err = compile_error(hostile_init(
        &host_with(unmetered),
        "init-loop",
        json!({"fuel": u64::MAX, "deadlineMs": 20}),
    ));
    assert_eq!(
        err.to_string(),
        "the plugin's init failed: deadline exceeded"
    );

    let err = compile_error(hostile_init(&host, "init-trap", json!({})));
    match &err {
        CompileError::InitFaulted {
            fault: ordergate::Fault::Trap { message, panic },
        } => {
            assert!(message.contains("unreachable"), "{message}");
            assert_eq!(
                panic.as_deref(),
                Some("panicked at test-support/hostile/src/lib.rs:39:28: hostile init panicked")
            );
        }
        other => panic!("expected a trap, got {other}"),
    }

    let err = compile_error(hostile_init(&host, "init-fail", json!({})));
    assert_eq!(
        err.to_string(),
        "the plugin refused its configuration: hostile init refused its configuration"
    );
    assert!(host.registry().list(&scope().tenant).unwrap().is_empty());
}

#[test]
fn what_init_did_is_paid_once_at_install_not_on_every_call() {
    let host = host();
    // `init-heavy` spends a million loop iterations (several million fuel) in `init`; a
    // call starting from the snapshot does none of it.
    hostile_init(&host, "init-heavy", json!({})).unwrap();
    for _ in 0..2 {
        let committed = host.create_order(&scope(), new_order(&[1])).unwrap();
        let run = &committed.trace.plugins[0];
        assert_eq!(run.verdict, ordergate::Verdict::Accepted);
        assert!(run.fuel_consumed < 100_000, "{}", run.fuel_consumed);
    }
    // Under a budget `init` alone exceeds, the install is refused: the work is real.
    let err = compile_error(hostile_init(
        &common::host(),
        "init-heavy",
        json!({"fuel": 1_000_000}),
    ));
    assert!(
        matches!(
            err,
            CompileError::InitFaulted {
                fault: ordergate::Fault::FuelExhausted
            }
        ),
        "{err}"
    );
}

#[test]
fn a_hook_is_refused_at_install_for_its_configuration_too() {
    let host = host();
    let bytes = plugin(plugins::FREE_SHIPPING);
    let err = compile_error(install_configured(
        &host,
        PluginKind::Hook,
        &bytes,
        json!({"treshold": 500}),
    ));
    assert_eq!(
        err.to_string(),
        "the plugin refused its configuration: invalid plugin configuration: unknown field \
         `treshold`, expected `threshold` at line 1 column 11"
    );
    install_configured(&host, PluginKind::Hook, &bytes, json!({"threshold": 500})).unwrap();
}
