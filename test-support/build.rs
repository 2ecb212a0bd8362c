//! Builds the plugin crates for WebAssembly with the outer `cargo`, once per build, and
//! writes them as components to `OUT_DIR` (like wasmtime's `test-programs/artifacts`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The plugins: Rust constant, package, and file stem of its `.wasm`.
const PLUGINS: &[(&str, &str, &str)] = &[
    (
        "MAX_QUANTITY",
        "ordergate-example-max-quantity",
        "max_quantity",
    ),
    (
        "ORGANIZATION_NUMBER",
        "ordergate-example-organization-number",
        "organization_number",
    ),
    (
        "PAYMENT_COVERAGE",
        "ordergate-example-payment-coverage",
        "payment_coverage",
    ),
    ("HOSTILE", "ordergate-test-hostile", "hostile"),
    ("SKU_RULE", "ordergate-test-sku-rule", "sku_rule"),
];

/// The hook plugins, as [`PLUGINS`]. They need the SDK's `hook` feature, and cargo unifies
/// a dependency's features across everything one invocation builds: built together with
/// the validation plugins, those would link the hook bindings too, and their components
/// would import the hook world's types and `patch` interface. So they get an invocation of
/// their own (the feature comes from their own `Cargo.toml`, `features = ["hook"]`).
const HOOK_PLUGINS: &[(&str, &str, &str)] = &[
    (
        "FREE_SHIPPING",
        "ordergate-example-free-shipping",
        "free_shipping",
    ),
    (
        "THREE_FOR_TWO",
        "ordergate-example-three-for-two",
        "three_for_two",
    ),
    (
        "NOTIFY_COMPLETED",
        "ordergate-example-notify-completed",
        "notify_completed",
    ),
    (
        "PAYMENT_ADAPTER",
        "ordergate-example-payment-adapter",
        "payment_adapter",
    ),
    (
        "HOSTILE_HOOK",
        "ordergate-test-hostile-hook",
        "hostile_hook",
    ),
];

/// The package also built for `wasm32-wasip2`, and its constant.
const WASIP2: (&str, &str, &str) = ("HOSTILE_WASIP2", "ordergate-test-hostile", "hostile_wasip2");

const CORE_TARGET: &str = "wasm32-unknown-unknown";
const WASIP2_TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "plugin";

type Error = Box<dyn std::error::Error>;

fn main() {
    // `Display`, not the `Debug` a `Result` from `main` prints: the inner cargo's output
    // must stay readable.
    if let Err(error) = run() {
        eprintln!("{error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .ok_or("test-support has no parent directory")?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    // A target directory of its own: the outer build holds the lock on its own one.
    let target_dir = root.join("target").join("plugins");

    for watched in [
        "examples",
        "guest-sdk",
        "wit",
        "test-support/hostile",
        "test-support/hostile-hook",
        "test-support/sku-rule",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    let started = Instant::now();
    let packages: Vec<&str> = PLUGINS.iter().map(|(_, package, _)| *package).collect();
    cargo_build(root, &target_dir, CORE_TARGET, &packages)?;
    let hook_packages: Vec<&str> = HOOK_PLUGINS
        .iter()
        .map(|(_, package, _)| *package)
        .collect();
    cargo_build(root, &target_dir, CORE_TARGET, &hook_packages)?;
    // A second invocation rather than a second `--target` in the first: cargo would build
    // every listed package for every target, and only the hostile plugin is needed as wasip2.
    cargo_build(root, &target_dir, WASIP2_TARGET, &[WASIP2.1])?;
    let _elapsed = started.elapsed();

    let mut generated = String::new();
    let mut all = Vec::new();
    for (constant, package, stem) in PLUGINS.iter().chain(HOOK_PLUGINS) {
        let module = target_dir
            .join(CORE_TARGET)
            .join(PROFILE)
            .join(artifact_file(package));
        let bytes =
            std::fs::read(&module).map_err(|e| format!("reading {}: {e}", module.display()))?;
        // No WASI adapter: a `wasm32-unknown-unknown` module imports only what the plugin's
        // WIT world imports (`log`), and the host refuses anything else.
        let component = wit_component::ComponentEncoder::default()
            .module(&bytes)
            .map_err(|e| format!("{package}: {e:?}"))?
            .validate(true)
            .encode()
            .map_err(|e| format!("{package}: {e:?}"))?;
        let path = out_dir.join(format!("{stem}.wasm"));
        std::fs::write(&path, component)?;
        emit(
            &mut generated,
            &mut all,
            constant,
            package,
            CORE_TARGET,
            &path,
        )?;
    }

    // `wasm32-wasip2` links a component directly (with its WASI imports): copy it as is.
    let (constant, package, stem) = WASIP2;
    let built = target_dir
        .join(WASIP2_TARGET)
        .join(PROFILE)
        .join(artifact_file(package));
    let path = out_dir.join(format!("{stem}.wasm"));
    std::fs::copy(&built, &path).map_err(|e| format!("copying {}: {e}", built.display()))?;
    emit(
        &mut generated,
        &mut all,
        constant,
        package,
        WASIP2_TARGET,
        &path,
    )?;

    // The examples are what the SDK's documentation points merchants to, so their size
    // is what a plugin written with the SDK costs: `tests/component_size.rs` bounds it.
    writeln!(
        generated,
        "/// The example plugins (the `examples/` crates) as (name, path)."
    )?;
    writeln!(generated, "pub const EXAMPLES: &[(&str, &str)] = &[")?;
    for (constant, package, _) in PLUGINS.iter().chain(HOOK_PLUGINS) {
        if package.starts_with("ordergate-example-") {
            let name = constant.to_lowercase().replace('_', "-");
            writeln!(generated, "    ({name:?}, {constant}),")?;
        }
    }
    writeln!(generated, "];")?;
    writeln!(generated, "/// Every plugin as (name, path).")?;
    writeln!(generated, "pub const ALL: &[(&str, &str)] = &[")?;
    for (name, constant) in all {
        writeln!(generated, "    ({name:?}, {constant}),")?;
    }
    writeln!(generated, "];")?;
    std::fs::write(out_dir.join("artifacts.rs"), generated)?;
    Ok(())
}

/// The file name cargo gives a `cdylib` built for WebAssembly.
fn artifact_file(package: &str) -> String {
    format!("{}.wasm", package.replace('-', "_"))
}

/// Appends the constant for one component to the generated Rust.
fn emit(
    generated: &mut String,
    all: &mut Vec<(String, &'static str)>,
    constant: &'static str,
    package: &str,
    target: &str,
    path: &Path,
) -> Result<(), Error> {
    let path = path.to_str().ok_or("OUT_DIR is not UTF-8")?;
    writeln!(
        generated,
        "/// Path of the `{package}` plugin component (built for `{target}`)."
    )?;
    writeln!(generated, "pub const {constant}: &str = {path:?};")?;
    all.push((constant.to_lowercase().replace('_', "-"), constant));
    Ok(())
}

/// Runs the outer build's `cargo` for `target` on `packages`, in a clean environment.
fn cargo_build(
    root: &Path,
    target_dir: &Path,
    target: &str,
    packages: &[&str],
) -> Result<(), Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["--profile", PROFILE, "--target", target])
        .arg("--target-dir")
        .arg(target_dir);
    for package in packages {
        command.args(["-p", package]);
    }
    clean_environment(&mut command);
    command.env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
        "-C link-arg=-zstack-size=65536",
    );
    let output = command
        .output()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !output.status.success() {
        let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
        return Err(format!(
            "building the plugins for {target} failed ({}): cargo {}\n--- stdout\n{}\n--- stderr\n{}",
            output.status,
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        )
        .into());
    }
    Ok(())
}

/// Removes what the outer build sets for build scripts (its flags, wrappers, target dir,
/// profile settings, jobserver) so the inner build depends only on the workspace. Keeps
/// what locates and reaches registries, and the job count.
fn clean_environment(command: &mut Command) {
    const KEEP_PREFIXES: &[&str] = &[
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_BUILD_JOBS",
        "CARGO_TERM_",
    ];
    const REMOVE: &[&str] = &[
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "OPT_LEVEL",
        "PROFILE",
        "DEBUG",
        "NUM_JOBS",
    ];
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let cargo_var = key.starts_with("CARGO") || key.starts_with("__CARGO");
        let kept = KEEP_PREFIXES.iter().any(|prefix| key.starts_with(prefix));
        if (cargo_var && !kept) || REMOVE.contains(&key) {
            command.env_remove(key);
        }
    }
}
