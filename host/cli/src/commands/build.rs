//! `ordergate build`: a plugin crate to an uploadable component, with nothing else to
//! install: the right target and flags, the target added when it is missing, and the
//! module turned into a component in-process (wit-component, no WASI adapter).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::check::UPLOAD_LIMIT;
use crate::exit::{Failure, OrExit, Status, fail};

/// The target plugins are built for: no operating system, so the component imports
/// nothing but the host's interfaces (a `wasm32-wasip2` build imports WASI, refused).
pub const TARGET: &str = "wasm32-unknown-unknown";

/// The linker flag of every plugin build: a 64 KiB stack instead of Rust's 1 MiB, so a
/// fresh instance per call touches (and the host resets) few pages.
pub const STACK_FLAG: &str = "-C link-arg=-zstack-size=65536";

/// A component this share of the upload limit or more gets a warning.
const WARN_SHARE: f64 = 0.8;

/// `ordergate build [--manifest-path Cargo.toml]`
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The plugin crate's `Cargo.toml`. Default: the one cargo finds from here.
    #[arg(long)]
    manifest_path: Option<PathBuf>,
    /// Where to write the component. Default: `target/ordergate/<package>.wasm` in the
    /// crate's directory (also when `CARGO_TARGET_DIR` is elsewhere).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

/// What `cargo metadata` says of the crate.
struct Package {
    name: String,
    /// The crate's directory: the component goes to its `target/ordergate/`, wherever
    /// cargo's target directory is, so the path an author types never changes.
    dir: PathBuf,
    target_dir: PathBuf,
}

/// Exit status: 0 built, 7 building failed, 4 the module is not a plugin component.
pub fn run(args: BuildArgs) -> Result<Status, Failure> {
    let package = package(args.manifest_path.as_deref())?;
    ensure_target()?;
    let mut cargo = cargo();
    cargo.args(["build", "--lib", "--release", "--target", TARGET]);
    if let Some(path) = &args.manifest_path {
        cargo.arg("--manifest-path").arg(path);
    }
    // The target's own RUSTFLAGS variable: the host's builds (tests, build scripts) keep
    // their flags and their cache.
    cargo.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", STACK_FLAG);
    let status = cargo.status().or_exit(Status::Build)?;
    if !status.success() {
        return Err(fail(
            Status::Build,
            format!("cargo build failed ({status})"),
        ));
    }
    let stem = package.name.replace('-', "_");
    let module_path = package
        .target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{stem}.wasm"));
    let module = std::fs::read(&module_path).map_err(|e| {
        fail(
            Status::Build,
            format!(
                "cannot read {} ({e}): is the crate a `cdylib`?",
                module_path.display()
            ),
        )
    })?;
    let component = componentize(&module)?;
    let out = args.out.unwrap_or_else(|| {
        package
            .dir
            .join("target")
            .join("ordergate")
            .join(format!("{}.wasm", package.name))
    });
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).or_exit(Status::Build)?;
    }
    std::fs::write(&out, &component).map_err(|e| {
        fail(
            Status::Build,
            format!("cannot write {}: {e}", out.display()),
        )
    })?;
    let share = component.len() as f64 / UPLOAD_LIMIT as f64;
    println!(
        "built {} ({} bytes, {:.1} % of the {} MiB upload limit)",
        out.display(),
        component.len(),
        share * 100.0,
        UPLOAD_LIMIT >> 20
    );
    if share >= 1.0 {
        return Err(fail(
            Status::Build,
            "the component is over the service's default upload limit: it would be refused \
             (413) unless the service runs with a larger --upload-limit",
        ));
    }
    if share >= WARN_SHARE {
        eprintln!(
            "warning: the component is near the service's default upload limit; read less \
             of the SDK, drop dependencies, or keep `opt-level = \"s\"` and `lto = true`"
        );
    }
    Ok(Status::Accepted)
}

/// The core module as a component of its world: the world is the one the SDK's custom
/// section names, with no WASI adapter (a plugin imports only the host's interfaces).
pub fn componentize(module: &[u8]) -> Result<Vec<u8>, Failure> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| {
            fail(
                Status::Component,
                format!("cannot turn the module into a component: {e:#}"),
            )
        })
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn package(manifest_path: Option<&Path>) -> Result<Package, Failure> {
    let mut metadata = cargo();
    metadata.args(["metadata", "--no-deps", "--format-version", "1"]);
    if let Some(path) = manifest_path {
        metadata.arg("--manifest-path").arg(path);
    }
    let out = metadata.output().or_exit(Status::Build)?;
    if !out.status.success() {
        return Err(fail(
            Status::Build,
            format!(
                "not in a plugin crate (cargo metadata: {})",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).or_exit(Status::Build)?;
    let target_dir = metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| fail(Status::Build, "cargo metadata names no target directory"))?;
    // The crate itself: the package whose manifest is the one asked for (or the only one).
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let wanted = manifest_path.and_then(|p| std::fs::canonicalize(p).ok());
    let package = packages
        .iter()
        .find(|p| {
            let path = p["manifest_path"].as_str().map(PathBuf::from);
            match (&wanted, path) {
                (Some(wanted), Some(path)) => {
                    std::fs::canonicalize(path).ok().as_ref() == Some(wanted)
                }
                (None, Some(path)) => {
                    let here =
                        std::env::current_dir().and_then(|d| d.join("Cargo.toml").canonicalize());
                    here.ok()
                        .is_some_and(|here| path.canonicalize().ok() == Some(here))
                }
                _ => false,
            }
        })
        .or_else(|| (packages.len() == 1).then(|| &packages[0]))
        .ok_or_else(|| {
            fail(
                Status::Build,
                "cannot tell which package to build: run it in the plugin crate's directory \
                 or pass --manifest-path",
            )
        })?;
    let name = package["name"]
        .as_str()
        .ok_or_else(|| fail(Status::Build, "cargo metadata names no package"))?
        .to_owned();
    let dir = package["manifest_path"]
        .as_str()
        .and_then(|p| Path::new(p).parent())
        .map(Path::to_path_buf)
        .ok_or_else(|| fail(Status::Build, "cargo metadata names no manifest path"))?;
    Ok(Package {
        name,
        dir,
        target_dir,
    })
}

/// Adds the wasm target to the toolchain cargo uses when it lacks it: a toolchain installed
/// before does not get a `rust-toolchain.toml`'s targets by itself.
fn ensure_target() -> Result<(), Failure> {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return Ok(()); // cargo will say what is missing
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return Ok(());
    }
    eprintln!("the {TARGET} target is missing: running `rustup target add {TARGET}`");
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    match added {
        Ok(status) if status.success() => Ok(()),
        _ => Err(fail(
            Status::Build,
            format!("the {TARGET} target is not installed: run `rustup target add {TARGET}`"),
        )),
    }
}
