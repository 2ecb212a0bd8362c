//! The plugin author's commands as an author runs them: the real `ordergate` binary on the
//! example plugins and on files that are not what they should be, each with its exit
//! status and message; a scaffolded hook that builds and passes its own test; and the
//! service's WARN line when a plugin faults.

#[path = "common/process.rs"]
mod process;
#[path = "common/scaffold.rs"]
mod scaffold;

use std::path::Path;
use std::process::Command;

use ordergate_test_support as plugins;
use process::{Node, NodeOptions, request};
use serde_json::{Value, json};

const ORDERGATE: &str = env!("CARGO_BIN_EXE_ordergate");

/// Runs `ordergate ARGS` to its end: exit status, stdout, stderr.
fn ordergate(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(ORDERGATE)
        .args(args)
        .output()
        .expect("ordergate runs");
    (
        out.status.code().expect("an exit status"),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

/// A directory with an order of lines of these quantities, and the files the tests name.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a test file");
        path.display().to_string()
    }

    fn json(&self, name: &str, value: &Value) -> String {
        self.write(name, &value.to_string())
    }

    fn order(&self, name: &str, quantities: &[i64]) -> String {
        let items: Vec<Value> = quantities
            .iter()
            .enumerate()
            .map(|(i, q)| json!({"id": format!("{i}"), "sku": format!("A{i}"), "quantity": q}))
            .collect();
        self.json(
            name,
            &json!({
                "id": "o_1", "merchant": "acme", "channel": "b2c",
                "created": "2026-01-01T00:00:00Z", "lastModified": "2026-01-01T00:00:00Z",
                "state": {"currentStatus": "checkout",
                          "transitions": [{"status": "checkout", "timeStamp": "2026-01-01T00:00:00Z"}]},
                "cart": {"items": items},
            }),
        )
    }

    fn max_quantity(&self) -> String {
        self.json(
            "max-quantity.json",
            &json!({"id": "max-quantity", "kind": "validation", "subscribeTo": ["cart"],
                    "config": {"maxQuantity": 10}}),
        )
    }
}

#[test]
fn run_prints_the_verdict_and_exits_by_it() {
    let files = Files::new();
    let manifest = files.max_quantity();
    let (ok, over) = (
        files.order("ok.json", &[2, 10]),
        files.order("over.json", &[2, 12]),
    );
    let run = |order: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            plugins::MAX_QUANTITY,
            "--manifest",
            &manifest,
            "--order",
            order,
        ];
        args.extend_from_slice(extra);
        ordergate(&args)
    };

    let (status, out, err) = run(&ok, &[]);
    assert_eq!(status, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "max-quantity (validation): accepted");
    assert!(lines[1].starts_with("fuel "), "{out}");

    let (status, out, _) = run(&over, &[]);
    assert_eq!(status, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "max-quantity (validation): rejected");
    assert_eq!(
        lines[1],
        "  /cart/items/1/quantity  max-quantity-exceeded  quantity 12 exceeds the maximum of 10 per line"
    );

    let (status, out, _) = run(&over, &["--json"]);
    assert_eq!(status, 1);
    let report: Value = serde_json::from_str(&out).expect("a JSON report");
    assert_eq!(report["plugin"], "max-quantity");
    assert_eq!(report["kind"], "validation");
    assert_eq!(report["verdict"], "rejected");
    assert_eq!(
        report["violations"],
        json!([{"plugin": "max-quantity", "path": "/cart/items/1/quantity",
                "code": "max-quantity-exceeded",
                "message": "quantity 12 exceeds the maximum of 10 per line"}])
    );
    assert!(report["fuelConsumed"].as_u64().unwrap() > 0);
    assert!(report["memoryPeak"].as_u64().unwrap() > 0);

    // A panic is a fault, exit 3, with where and why.
    let hostile = files.json(
        "hostile.json",
        &json!({"id": "hostile", "kind": "validation", "config": {"behaviour": "trap"}}),
    );
    let (status, out, _) = ordergate(&[
        "run",
        plugins::HOSTILE,
        "--manifest",
        &hostile,
        "--order",
        &ok,
    ]);
    assert_eq!(status, 3, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "hostile (validation): faulted");
    assert_eq!(
        lines[1],
        "  trap: panicked at test-support/hostile/src/lib.rs:86:23: hostile plugin panicked (onFault: allow)"
    );
    assert_eq!(
        lines[3],
        "log error panicked at test-support/hostile/src/lib.rs:86:23: hostile plugin panicked"
    );
}

#[test]
fn a_hook_run_shows_its_patch_and_the_order_after_it() {
    let files = Files::new();
    let manifest = files.json(
        "three-for-two.json",
        &json!({"id": "three-for-two", "kind": "hook", "subscribeTo": ["cart"]}),
    );
    let order = files.json(
        "order.json",
        &json!({
            "id": "o_1", "merchant": "acme", "channel": "b2c",
            "created": "2026-01-01T00:00:00Z", "lastModified": "2026-01-01T00:00:00Z",
            "state": {"currentStatus": "checkout",
                      "transitions": [{"status": "checkout", "timeStamp": "2026-01-01T00:00:00Z"}]},
            "cart": {"items": [{"id": "1", "sku": "MUG", "quantity": 3,
                                "price": {"includingVat": 10.0, "excludingVat": 8.0},
                                "total": {"includingVat": 30.0, "excludingVat": 24.0}}],
                     "total": {"includingVat": 30.0, "excludingVat": 24.0}},
        }),
    );
    let (status, out, err) = ordergate(&[
        "run",
        plugins::THREE_FOR_TWO,
        "--manifest",
        &manifest,
        "--order",
        &order,
        "--json",
    ]);
    assert_eq!(status, 0, "{err}{out}");
    let report: Value = serde_json::from_str(&out).expect("a JSON report");
    assert_eq!(report["verdict"], "patched", "{report:#}");
    let operations = report["operations"].as_array().expect("operations");
    assert_eq!(operations[0]["path"], "/cart/discounts");
    assert_eq!(report["order"]["cart"]["discounts"][0]["code"], "3for2");
    assert_eq!(
        report["order"]["cart"]["discounts"][0]["value"]["includingVat"],
        10.0
    );
}

#[test]
fn bad_input_gets_a_clear_message_and_a_status_of_its_own() {
    let files = Files::new();
    let manifest = files.max_quantity();
    let order = files.order("order.json", &[1]);
    let run_on =
        |plugin: &str| ordergate(&["run", plugin, "--manifest", &manifest, "--order", &order]);

    let text = files.write("notes.wasm", "not a plugin");
    let (status, _, err) = run_on(&text);
    assert_eq!(status, 4);
    assert_eq!(
        err.trim(),
        format!(
            "ordergate: {text}: plugin `max-quantity`: not a WebAssembly component: the bytes do \
             not start with the wasm magic number"
        )
    );
    let (status, _, err) = ordergate(&["check", &text]);
    assert_eq!(status, 4);
    assert!(err.contains("not a WebAssembly component"), "{err}");

    let core = files.dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let (status, _, err) = run_on(&core.display().to_string());
    assert_eq!(status, 4);
    assert!(
        err.contains("this is a core WebAssembly module, not a component: `ordergate build`"),
        "{err}"
    );

    // A hook uploaded as a validation: the wrong world.
    let (status, _, err) = run_on(plugins::FREE_SHIPPING);
    assert_eq!(status, 4);
    assert!(
        err.contains("does not implement the `validator` world"),
        "{err}"
    );

    // A component built against another version of the WIT package.
    let other = rewrite_version(plugins::MAX_QUANTITY, files.dir.path());
    let (status, out, _) = ordergate(&["check", &other, "--manifest", &manifest]);
    assert_eq!(status, 4, "{out}");
    assert!(
        out.contains("package    ordergate:checkout@0.9.0\n"),
        "{out}"
    );
    assert!(out.contains("verdict    refused: "), "{out}");

    // An order file that is not an order.
    let not_order = files.write("cart.json", r#"{"cart": {"items": "three"}}"#);
    let (status, _, err) = ordergate(&[
        "run",
        plugins::MAX_QUANTITY,
        "--manifest",
        &manifest,
        "--order",
        &not_order,
    ]);
    assert_eq!(status, 6);
    assert!(
        err.starts_with(&format!("ordergate: {not_order}: not an order: ")),
        "{err}"
    );
    let (status, _, err) = ordergate(&[
        "run",
        plugins::MAX_QUANTITY,
        "--manifest",
        &manifest,
        "--order",
        "/nonexistent/order.json",
    ]);
    assert_eq!(status, 6);
    assert!(err.contains("cannot read /nonexistent/order.json"), "{err}");
    let not_json = files.write("broken.json", "{");
    let (status, _, err) = ordergate(&[
        "run",
        plugins::MAX_QUANTITY,
        "--manifest",
        &not_json,
        "--order",
        &order,
    ]);
    assert_eq!(status, 6);
    assert!(err.contains("broken.json: not JSON"), "{err}");

    // A configuration the plugin's init refuses.
    let empty = files.json("empty.json", &json!({}));
    let (status, _, err) = ordergate(&[
        "run",
        plugins::MAX_QUANTITY,
        "--manifest",
        &manifest,
        "--config",
        &empty,
        "--order",
        &order,
    ]);
    assert_eq!(status, 5);
    assert!(
        err.contains("the plugin refused its configuration: invalid plugin configuration: missing field `maxQuantity`"),
        "{err}"
    );
    let (status, out, _) = ordergate(&["check", plugins::MAX_QUANTITY, "--config", &empty]);
    assert_eq!(status, 5);
    assert!(out.contains("world      validator\n"), "{out}");
}

/// The component with every `@0.1.0` of its names made `@0.9.0` (same length, so the
/// binary stays well formed): what a plugin built against a later WIT package looks like.
fn rewrite_version(path: &str, dir: &Path) -> String {
    let mut bytes = plugins::read(path);
    let (from, to) = (b"@0.1.0", b"@0.9.0");
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
    let out = dir.join("later.wasm");
    std::fs::write(&out, bytes).unwrap();
    out.display().to_string()
}

/// A scaffolded hook crate, outside the repository, builds and passes its own test.
#[test]
fn a_new_hook_builds_and_passes_its_test() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let crate_dir = dir.path().join("cart-reference");
    let (status, out, err) = ordergate(&[
        "new",
        "hook",
        "cart-reference",
        "--dir",
        &crate_dir.display().to_string(),
    ]);
    assert_eq!(status, 0, "{err}");
    assert!(
        out.starts_with("created hook plugin `cart-reference`"),
        "{out}"
    );
    let out = scaffold::cargo(&crate_dir, &["test"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("test a_cart_without_a_reference_gets_one ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test a_cart_with_a_reference_is_left_alone ... ok"),
        "{stdout}"
    );

    // `new` refuses what it cannot make.
    let (status, _, err) = ordergate(&[
        "new",
        "hook",
        "cart-reference",
        "--dir",
        &crate_dir.display().to_string(),
    ]);
    assert_eq!(status, 6);
    assert!(err.contains("already exists"), "{err}");
    let (status, _, _) = ordergate(&["new", "validation", "Bad_Name"]);
    assert_eq!(status, 6);
}

#[test]
fn the_service_logs_and_counts_every_plugin_fault() {
    let node = Node::start(&NodeOptions {
        database_url: None,
        webhook_secret: None,
        api_keys: Some(format!("{}:{}", process::MERCHANT, process::KEY)),
        delivery: false,
        lease: "2s",
        timeout: "1s",
        dev: false,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let manifest = json!({"kind": "validation", "config": {"behaviour": "trap"}});
        let form = reqwest::multipart::Form::new()
            .text("manifest", manifest.to_string())
            .part("module", reqwest::multipart::Part::bytes(plugins::read(plugins::HOSTILE)));
        let uploaded = request(&client, &node.base, reqwest::Method::PUT, "/api/v0/checkout/plugins/hostile")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), 201);
        // onFault: allow, the default: the order is created, and the fault is not silent.
        let created = request(&client, &node.base, reqwest::Method::POST, "/api/v0/checkout/orders")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let line = node.wait_for_log("plugin fault");
        assert!(line.contains("WARN"), "{line}");
        for field in [
            "merchant=acme",
            "plugin=hostile",
            "version=1",
            "kind=trap",
            "on_fault=allow",
            "fault=trap: panicked at test-support/hostile/src/lib.rs:86:23: hostile plugin panicked",
        ] {
            assert!(line.contains(field), "no {field} in {line}");
        }
        let metrics = client.get(format!("{}/metrics", node.base)).send().await.unwrap();
        let text = metrics.text().await.unwrap();
        let series = "ordergate_plugin_faults_total{merchant=\"acme\",plugin=\"hostile\",kind=\"trap\"} 1";
        assert!(text.lines().any(|l| l == series), "no `{series}` in:\n{text}");
    });
}

#[test]
fn shadow_and_replay_say_what_is_missing() {
    let files = Files::new();
    let manifest = files.max_quantity();
    // No source of runs.
    let (status, _, err) = ordergate(&["replay", plugins::MAX_QUANTITY, "--manifest", &manifest]);
    assert_eq!(status, 6);
    assert!(err.contains("say where the runs are"), "{err}");
    // A file that is not kept runs.
    let order = files.order("order.json", &[1]);
    let (status, _, err) = ordergate(&[
        "replay",
        plugins::MAX_QUANTITY,
        "--manifest",
        &manifest,
        "--from",
        &order,
    ]);
    assert_eq!(status, 6);
    assert!(err.contains("not kept runs"), "{err}");
    // A service that does not answer.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let (status, _, err) = ordergate(&[
        "shadow",
        "report",
        "max-quantity",
        "--url",
        &closed,
        "--merchant",
        "acme",
        "--channel",
        "b2c",
    ]);
    assert_eq!(status, 8);
    assert!(
        err.contains(&format!(
            "GET {closed}/api/v0/checkout/plugins/max-quantity/shadow"
        )),
        "{err}"
    );
    let (status, _, err) = ordergate(&["shadow", "report", "max-quantity", "--url", &closed]);
    assert_eq!(status, 6);
    assert!(err.contains("--merchant and --channel"), "{err}");

    // Kept runs from a file: one the same, one not.
    let run = |id: &str, quantity: i64, verdict: &str| {
        let order: Value = serde_json::from_str(
            &std::fs::read_to_string(files.order("o.json", &[quantity])).unwrap(),
        )
        .unwrap();
        json!({
            "id": id, "plugin": "max-quantity", "version": 1, "kind": "validation",
            "at": "2026-01-01T00:00:00Z", "depth": 0,
            "context": {"merchant": "acme", "channel": "b2c"},
            "change": {"touched": ["/cart"], "fromStatus": "checkout"},
            "order": order, "decision": {"verdict": verdict}, "fuelConsumed": 1,
        })
    };
    let kept = files.json(
        "runs.json",
        &json!({"data": [run("run_1", 2, "accepted"), run("run_2", 12, "accepted")]}),
    );
    let (status, out, _) = ordergate(&[
        "replay",
        plugins::MAX_QUANTITY,
        "--manifest",
        &manifest,
        "--from",
        &kept,
    ]);
    assert_eq!(status, 1, "{out}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "run_1 o_1: same (accepted)",
            "run_2 o_1: differs",
            "  was  accepted (version 1)",
            "  now  rejected (/cart/items/0/quantity max-quantity-exceeded: quantity 12 exceeds the maximum of 10 per line)",
            "replayed 2 runs: 1 the same, 1 different",
        ]
    );
}

#[test]
fn a_profiled_run_writes_a_firefox_profile_and_costs_the_same_fuel() {
    let files = Files::new();
    let manifest = files.max_quantity();
    let order = files.order("order.json", &[2, 12]);
    let profile = files.dir.path().join("profile.json");
    let args = [
        "run",
        plugins::MAX_QUANTITY,
        "--manifest",
        &manifest,
        "--order",
        &order,
        "--json",
    ];
    let (status, plain, _) = ordergate(&args);
    assert_eq!(status, 1);
    let mut profiled_args = args.to_vec();
    let profile_arg = profile.display().to_string();
    profiled_args.extend(["--profile", &profile_arg]);
    let (status, profiled, err) = ordergate(&profiled_args);
    assert_eq!(status, 1, "{err}");
    assert!(
        err.contains("open it at https://profiler.firefox.com"),
        "{err}"
    );
    let (plain, profiled): (Value, Value) = (
        serde_json::from_str(&plain).unwrap(),
        serde_json::from_str(&profiled).unwrap(),
    );
    assert_eq!(plain["fuelConsumed"], profiled["fuelConsumed"]);
    assert_eq!(plain["violations"], profiled["violations"]);
    let written: Value = serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    assert_eq!(written["meta"]["product"], "max-quantity");

    // A plugin that runs long enough is sampled many times.
    let looping = files.json(
        "loop.json",
        &json!({"id": "hostile", "kind": "validation", "config": {"behaviour": "loop"}}),
    );
    let (status, _, _) = ordergate(&[
        "run",
        plugins::HOSTILE,
        "--manifest",
        &looping,
        "--order",
        &order,
        "--profile",
        &profile_arg,
    ]);
    assert_eq!(status, 3);
    let written: Value = serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    let samples = written["threads"][0]["samples"]["length"].as_u64().unwrap();
    assert!(samples > 1, "{samples} samples");
}
