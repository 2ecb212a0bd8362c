//! The plugin authors' guide (`docs/guide.md`), run as written: its ```sh blocks between the
//! guide markers, with bash, in a fresh directory outside the repository, with `ordergate`
//! on the PATH and a real `ordergate serve --dev` to upload to; and its reference tables
//! checked against the engine's order model and the WIT package. So the guide cannot rot.

#[path = "common/process.rs"]
mod process;
#[path = "common/scaffold.rs"]
mod scaffold;

use std::path::Path;
use std::process::Command;

use process::{Node, NodeOptions};

const GUIDE: &str = include_str!("../../../docs/guide.md");

/// The text between the guide's markers.
fn runnable_part() -> &'static str {
    let start = GUIDE
        .find("<!-- guide:start -->")
        .expect("the guide's start marker");
    let end = GUIDE
        .find("<!-- guide:end -->")
        .expect("the guide's end marker");
    &GUIDE[start..end]
}

/// The code blocks of `text` fenced as ````lang`, in order.
fn blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    text.split(&format!("```{lang}\n"))
        .skip(1)
        .map(|rest| rest.split("\n```").next().unwrap_or_default())
        .collect()
}

/// Digits made `N` and order ids `o_…`, so output with times, sizes and ids compares with
/// the guide's example.
fn shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut in_number = false;
            let mut in_id = false;
            for c in line.chars() {
                if in_id && (c.is_ascii_alphanumeric() || c == '…') {
                    continue;
                }
                in_id = false;
                if c.is_ascii_digit() || (in_number && c == '.') {
                    if !in_number {
                        out.push('N');
                    }
                    in_number = true;
                } else {
                    in_number = false;
                    out.push(c);
                    if out.ends_with(" o_") {
                        in_id = true;
                    }
                }
            }
            out
        })
        .collect()
}

fn contains_lines(haystack: &[String], needle: &[String]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_guide_runs_as_written() {
    let node = Node::start(&NodeOptions {
        database_url: None,
        webhook_secret: None,
        api_keys: None,
        delivery: false,
        lease: "2s",
        timeout: "1s",
        dev: true,
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let script = blocks(runnable_part(), "sh").join("\n");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ordergate"))
        .parent()
        .expect("the binary's directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("BASE", &node.base)
        .env("CARGO_TARGET_DIR", scaffold::target())
        .env("RUSTUP_TOOLCHAIN", scaffold::toolchain())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let context = format!(
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{context}");

    // What the guide says each command prints, it prints (numbers aside).
    let printed = shape(&stdout);
    let examples = blocks(runnable_part(), "text");
    assert_eq!(
        examples.len(),
        4,
        "the run, check, shadow and replay examples"
    );
    for example in examples {
        assert!(
            contains_lines(&printed, &shape(example)),
            "the guide's example\n{example}\nis not what was printed:\n{context}"
        );
    }
    for expected in [
        "test the_sample_order_is_accepted ... ok",
        "test a_cart_over_the_limit_is_refused ... ok",
        "  \"verdict\": \"accepted\",",
        "exit status 5",
        "verdict    refused: ",
        "seven items: 200",
        "max-items: version 2 is active; roll back with POST",
        "seven items, promoted: 400",
        "rolled back: 200",
        "keeping: 200",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in {context}");
    }
    // The upload, then the refused cart, as JSON lines.
    let documents: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let [upload, refused, shadow] = documents.as_slice() else {
        panic!("three JSON answers expected: {context}");
    };
    assert_eq!(upload["id"], "max-items");
    assert_eq!(upload["version"], 1);
    assert_eq!(upload["status"], "active");
    assert_eq!(shadow["version"], 2);
    assert_eq!(shadow["status"], "shadow");
    assert_eq!(refused["status"], 400);
    assert_eq!(
        refused["violations"],
        serde_json::json!([{
            "plugin": "max-items",
            "path": "/cart/items",
            "code": "too-many-items",
            "message": "the cart holds 12 items; at most 10 are allowed"
        }])
    );
}

/// The guide's `subscribeTo` table names exactly the parts the engine accepts.
#[test]
fn the_guide_lists_every_subscribe_to_value() {
    let section = GUIDE
        .split("## Which changes a plugin sees")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the subscribeTo section");
    let mut listed: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|name| *name != "subscribeTo")
        .collect();
    listed.sort_unstable();
    let mut parts: Vec<&str> = ordergate::model::shape::top_level()
        .iter()
        .map(|f| f.name)
        .filter(|name| ordergate::model::shape::is_part(name))
        .collect();
    parts.sort_unstable();
    assert_eq!(listed, parts);
}

/// Every method of the WIT `order` resource is in the guide's WIT reference.
#[test]
fn the_guide_describes_every_order_method() {
    let wit = include_str!("../../../wit/view.wit");
    let section = GUIDE
        .split("## The WIT reference")
        .nth(1)
        .expect("the WIT reference");
    let methods: Vec<&str> = wit
        .lines()
        .filter_map(|l| l.trim().split_once(": func("))
        .map(|(name, _)| name)
        .collect();
    assert!(methods.len() > 20, "{methods:?}");
    for method in methods {
        assert!(
            section.contains(&format!("`{method}`")),
            "`{method}` is not in the guide's WIT reference"
        );
    }
}
