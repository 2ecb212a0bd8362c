//! `ordergate new validation|hook NAME`: a plugin crate anywhere on disk that builds and
//! passes its test at once.
//!
//! The SDK is not on crates.io, and a path into an ordergate checkout would tie the crate
//! to one machine. So the binary carries the SDK's sources and the WIT package it was
//! built with (`include_str!`, checked complete by a test) and writes them into the new
//! crate as `vendor/ordergate-guest`: the crate depends only on what is in it and on
//! crates.io (wit-bindgen pinned to the version ordergate's own plugins use), and the SDK
//! it builds against is exactly the one the host speaks.

use std::path::{Path, PathBuf};

use ordergate::model::{self, Cart, NewOrder};
use ordergate::{Host, Mutation, OnFault, PluginKind, PluginManifest, Scope};

use crate::exit::{Failure, OrExit, Status, fail};

/// `ordergate new validation|hook NAME [--dir D]`
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The kind of plugin.
    #[arg(value_enum)]
    kind: Kind,
    /// The plugin's name: the crate's, the manifest's id and the component's file stem
    /// (lowercase letters, digits and `-`).
    name: String,
    /// The directory to create it in (it must not exist). Default: `./NAME`.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// The kinds `new` scaffolds.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    /// A validation (world `validator`): accepts or refuses the candidate order.
    Validation,
    /// A hook (world `hook`): answers a committed change with a patch and triggers.
    Hook,
}

/// The SDK's sources, as `ordergate new` writes them under `vendor/ordergate-guest/`.
pub const SDK_FILES: &[(&str, &str)] = &[
    (
        "src/arena.rs",
        include_str!("../../../../guest-sdk/src/arena.rs"),
    ),
    (
        "src/bindings.rs",
        include_str!("../../../../guest-sdk/src/bindings.rs"),
    ),
    (
        "src/config.rs",
        include_str!("../../../../guest-sdk/src/config.rs"),
    ),
    (
        "src/defaults.rs",
        include_str!("../../../../guest-sdk/src/defaults.rs"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../../guest-sdk/src/lib.rs"),
    ),
    (
        "src/lines.rs",
        include_str!("../../../../guest-sdk/src/lines.rs"),
    ),
    (
        "src/log.rs",
        include_str!("../../../../guest-sdk/src/log.rs"),
    ),
    (
        "src/patch.rs",
        include_str!("../../../../guest-sdk/src/patch.rs"),
    ),
    (
        "src/plugin.rs",
        include_str!("../../../../guest-sdk/src/plugin.rs"),
    ),
    (
        "src/pointer.rs",
        include_str!("../../../../guest-sdk/src/pointer.rs"),
    ),
    ("wit/host.wit", include_str!("../../../../wit/host.wit")),
    ("wit/types.wit", include_str!("../../../../wit/types.wit")),
    ("wit/view.wit", include_str!("../../../../wit/view.wit")),
    ("wit/worlds.wit", include_str!("../../../../wit/worlds.wit")),
];

/// The wit-bindgen version the SDK is built with here (checked against `Cargo.lock` by a
/// test).
pub const WIT_BINDGEN_VERSION: &str = "0.63.0";

const CARGO_TOML: &str = include_str!("../../templates/Cargo.toml.in");
const SDK_CARGO_TOML: &str = include_str!("../../templates/sdk-Cargo.toml");
const RUNNER_TEST: &str = include_str!("../../templates/runner-test.rs");
const README: &str = include_str!("../../templates/README.md.in");
const GITIGNORE: &str = include_str!("../../templates/gitignore");
const VALIDATION_LIB: &str = include_str!("../../templates/validation/lib.rs");
const VALIDATION_TESTS: &str = include_str!("../../templates/validation/tests.rs");
const HOOK_LIB: &str = include_str!("../../templates/hook/lib.rs");
const HOOK_TESTS: &str = include_str!("../../templates/hook/tests.rs");

/// Exit status: 0 created, 6 a bad name or an existing directory, 7 a file that could not
/// be written.
pub fn run(args: NewArgs) -> Result<Status, Failure> {
    check_name(&args.name)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() {
        return Err(fail(
            Status::Input,
            format!("{} already exists: choose another --dir", dir.display()),
        ));
    }
    let binary = std::env::current_exe().or_exit(Status::Build)?;
    let files = files(args.kind, &args.name, &binary)?;
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).or_exit(Status::Build)?;
        }
        std::fs::write(&path, text).map_err(|e| {
            fail(
                Status::Build,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
    }
    println!(
        "created {} plugin `{}` in {}\nnext:\n  cd {}\n  ordergate build\n  cargo test",
        kind_name(args.kind),
        args.name,
        dir.display(),
        dir.display()
    );
    Ok(Status::Accepted)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Validation => "validation",
        Kind::Hook => "hook",
    }
}

/// A name cargo, the manifest and a file name all take.
fn check_name(name: &str) -> Result<(), Failure> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(fail(
            Status::Input,
            format!(
                "`{name}` is not a plugin name: use lowercase letters, digits and `-`, \
                 starting with a letter (e.g. `allowed-countries`)"
            ),
        ))
    }
}

/// Every file of the new crate, relative to its directory.
fn files(kind: Kind, name: &str, binary: &Path) -> Result<Vec<(PathBuf, String)>, Failure> {
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{kind}}", kind_name(kind))
            .replace(
                "{{ordergate}}",
                &binary.display().to_string().replace('\\', "/"),
            )
            .replace("{{wit_bindgen}}", WIT_BINDGEN_VERSION)
    };
    let (lib, tests, features, manifest) = match kind {
        Kind::Validation => {
            let mut manifest = PluginManifest::new(name, PluginKind::Validation);
            manifest.config = serde_json::json!({ "maxItems": 10 });
            // A rule that guards orders refuses them when it cannot answer.
            manifest.on_fault = OnFault::Reject;
            (VALIDATION_LIB, VALIDATION_TESTS, "", manifest)
        }
        Kind::Hook => {
            let mut manifest = PluginManifest::new(name, PluginKind::Hook);
            manifest.config = serde_json::json!({ "prefix": "WEB-" });
            (HOOK_LIB, HOOK_TESTS, ", features = [\"hook\"]", manifest)
        }
    };
    let mut manifest = manifest;
    manifest.subscribe_to = vec!["cart".to_owned()];
    let mut files = vec![
        (
            PathBuf::from("Cargo.toml"),
            fill(CARGO_TOML).replace("{{features}}", features),
        ),
        (PathBuf::from("src/lib.rs"), fill(lib)),
        (
            PathBuf::from("tests/runner.rs"),
            fill(RUNNER_TEST).replace("{{tests}}", tests),
        ),
        (PathBuf::from("README.md"), fill(README)),
        (PathBuf::from(".gitignore"), GITIGNORE.to_owned()),
        (PathBuf::from("manifest.json"), pretty(&manifest)?),
        (
            PathBuf::from("vendor/ordergate-guest/Cargo.toml"),
            fill(SDK_CARGO_TOML),
        ),
    ];
    for (path, text) in SDK_FILES {
        files.push((
            Path::new("vendor/ordergate-guest").join(path),
            (*text).to_owned(),
        ));
    }
    for (file, order) in samples(kind)? {
        files.push((Path::new("samples").join(file), pretty(&order)?));
    }
    Ok(files)
}

fn pretty(value: &impl serde::Serialize) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value).or_exit(Status::Build)?;
    text.push('\n');
    Ok(text)
}

/// Sample orders made by the engine itself (a memory host creates them and sets their
/// cart), so they are orders the host would hold, whatever the model becomes.
fn samples(kind: Kind) -> Result<Vec<(&'static str, model::Order)>, Failure> {
    let host = Host::builder().build().or_exit(Status::Build)?;
    let scope = Scope::new("my-merchant", "b2c");
    let order = |cart: &str| -> Result<model::Order, Failure> {
        let created = host
            .create_order(&scope, NewOrder::default())
            .or_exit(Status::Build)?;
        let cart: Cart = model::from_json(cart).or_exit(Status::Build)?;
        let committed = host
            .mutate(&scope, &created.order.id, Mutation::SetCart(cart))
            .or_exit(Status::Build)?;
        Ok(committed.order.as_ref().clone())
    };
    let shirts = r#"{"items":[
        {"id":"1","sku":"TSHIRT-M","name":"T-shirt","quantity":2,
         "price":{"includingVat":25.0,"excludingVat":20.0},
         "total":{"includingVat":50.0,"excludingVat":40.0}},
        {"id":"2","sku":"CAP","name":"Cap","quantity":1,
         "price":{"includingVat":12.5,"excludingVat":10.0},
         "total":{"includingVat":12.5,"excludingVat":10.0}}]}"#;
    Ok(match kind {
        Kind::Validation => vec![
            ("order.json", order(shirts)?),
            (
                "refused.json",
                order(&shirts.replace(r#""quantity":2"#, r#""quantity":11"#))?,
            ),
        ],
        Kind::Hook => vec![
            ("order.json", order(shirts)?),
            (
                "referenced.json",
                order(&shirts.replace(r#"{"items":["#, r#"{"reference":"WEB-1","items":["#))?,
            ),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the SDK and of the WIT package is carried: a file added to either
    /// must be added to [`SDK_FILES`], or scaffolded crates would not build.
    #[test]
    fn the_sdk_is_carried_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut on_disk = Vec::new();
        for (dir, prefix) in [("guest-sdk/src", "src"), ("wit", "wit")] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                on_disk.push(format!("{prefix}/{name}"));
            }
        }
        on_disk.sort();
        let mut carried: Vec<String> = SDK_FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
        carried.sort();
        assert_eq!(carried, on_disk);
    }

    /// The vendored SDK pins the wit-bindgen the workspace builds the SDK with.
    #[test]
    fn the_pinned_wit_bindgen_is_the_workspaces() {
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"))
                .unwrap();
        let line = format!("wit-bindgen = \"{WIT_BINDGEN_VERSION}\"");
        assert!(
            manifest.lines().any(|l| l == line),
            "no `{line}` in Cargo.toml"
        );
    }

    #[test]
    fn names_are_checked() {
        for good in ["max-items", "a", "rule2", "allowed-countries"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Max", "2rule", "max_items", "trailing-", "a b", "../x"] {
            let failure = check_name(bad).unwrap_err();
            assert_eq!(failure.status, Status::Input, "{bad}");
        }
    }
}
