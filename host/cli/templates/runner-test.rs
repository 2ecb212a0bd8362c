//! Runs the plugin through `ordergate run`, the host's own engine code on the host's
//! default limits, on the sample orders in `samples/`. The component is built first with
//! `ordergate build`, so `cargo test` alone tests what would be uploaded.
//!
//! The `ordergate` binary is the one that created this crate, unless `ORDERGATE` names
//! another.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

fn ordergate() -> Command {
    let binary = std::env::var("ORDERGATE").unwrap_or_else(|_| "{{ordergate}}".to_owned());
    let mut command = Command::new(binary);
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Builds the component once for all tests of this file.
fn component() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = ordergate().arg("build").output().expect("ordergate build runs");
        assert!(
            out.status.success(),
            "ordergate build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ordergate/{{name}}.wasm")
    })
}

/// `ordergate run` on a sample: its exit status and its JSON report.
fn run(sample: &str) -> (i32, Value) {
    let out = ordergate()
        .arg("run")
        .arg(component())
        .args(["--manifest", "manifest.json", "--order", sample, "--json"])
        .output()
        .expect("ordergate run runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a report ({e}):\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

{{tests}}
