//! Plugin crates scaffolded by `ordergate new`, built as their author builds them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo ARGS` in a scaffolded crate as its author runs it, with the scaffolds' shared
/// target directory (so the SDK's dependencies build once per test run) and the
/// workspace's toolchain (which has the wasm target).
pub fn cargo(crate_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", target())
        .env("ORDERGATE", env!("CARGO_BIN_EXE_ordergate"))
        .env("RUSTUP_TOOLCHAIN", toolchain())
        .output()
        .expect("cargo runs")
}

/// `target/scaffolds` of the workspace.
pub fn target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/scaffolds")
}

/// The workspace's pinned toolchain (`rust-toolchain.toml`): outside the repository,
/// rustup's default may lack the wasm target.
pub fn toolchain() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rust-toolchain.toml"
    ))
    .expect("rust-toolchain.toml");
    text.lines()
        .find_map(|l| l.strip_prefix("channel = "))
        .map(|v| v.trim_matches('"').to_owned())
        .expect("a channel")
}
