//! Conformance of `ordergate::patch` with the public JSON Patch (RFC 6902) and JSON Pointer
//! (RFC 6901) suites.
//!
//! The suites live outside the project, in `shared/conformance` (see its README), or in the
//! directory named by `ORDERGATE_CONFORMANCE_DIR`. Where they are absent the tests say so
//! and pass, so that a checkout without `shared/` still builds and tests.
//!
//! Every enabled record is run and counted, and the counts are asserted against the number
//! of enabled records, so a case cannot be skipped silently. A failing case is a bug in
//! `ordergate::patch`, never a case to skip.

use std::path::PathBuf;

use jsonptr::Pointer;
use ordergate::model::{self, Order};
use ordergate::patch::{self, PatchOperation, PatchRefusal};
use serde_json::{Value, json};

/// The conformance directory, or `None` (after saying so) when it is absent.
fn suites() -> Option<PathBuf> {
    let dir = std::env::var_os("ORDERGATE_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/conformance"
            ))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "conformance suites not found at {}: JSON Patch/Pointer conformance cases were not run",
            dir.display()
        );
        None
    }
}

/// The records of a json-patch-tests file.
fn records(dir: &std::path::Path, file: &str) -> Vec<Value> {
    let path = dir.join("json-patch-tests").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn enabled(record: &Value) -> bool {
    record.get("disabled").and_then(Value::as_bool) != Some(true)
}

/// A short name for a record in failure messages.
fn name(file: &str, index: usize, record: &Value) -> String {
    let comment = record.get("comment").and_then(Value::as_str).unwrap_or("");
    format!("{file}[{index}] {comment:?}")
}

/// How a record passed.
#[derive(PartialEq)]
enum Pass {
    /// `patch::apply` gave the expected result or error.
    Applied,
    /// An `error` record whose patch does not even deserialize into operations.
    RejectedUnparsed,
}

/// Runs one record through `patch::apply`; `Err` describes the failure.
///
/// A patch that does not deserialize into operations is a rejected patch: for an `error`
/// record that is a pass (the document was never touched), for an `expected` one a failure.
fn run_apply(record: &Value) -> Result<Pass, String> {
    let original = &record["doc"];
    let ops: Result<Vec<PatchOperation>, _> = serde_json::from_value(record["patch"].clone());
    match (record.get("expected"), record.get("error")) {
        (Some(expected), _) => {
            let ops = ops.map_err(|e| format!("patch did not parse: {e}"))?;
            let mut doc = original.clone();
            patch::apply(&mut doc, &ops).map_err(|e| format!("apply failed: {e}"))?;
            if &doc == expected {
                Ok(Pass::Applied)
            } else {
                Err(format!("got {doc}, expected {expected}"))
            }
        }
        (None, Some(_)) => {
            let Ok(ops) = ops else {
                return Ok(Pass::RejectedUnparsed);
            };
            let mut doc = original.clone();
            match patch::apply(&mut doc, &ops) {
                Ok(()) => Err(format!("applied (to {doc}) but should fail")),
                // Atomicity: a failed patch leaves no trace.
                Err(_) if &doc != original => Err(format!("failed but changed the doc to {doc}")),
                Err(_) => Ok(Pass::Applied),
            }
        }
        // Neither: the patch must simply apply.
        (None, None) => {
            let ops = ops.map_err(|e| format!("patch did not parse: {e}"))?;
            let mut doc = original.clone();
            patch::apply(&mut doc, &ops).map_err(|e| format!("apply failed: {e}"))?;
            Ok(Pass::Applied)
        }
    }
}

/// Runs every enabled record of `file` through `patch::apply`, returning (run, passed).
fn run_file(dir: &std::path::Path, file: &str) -> (usize, usize) {
    let records = records(dir, file);
    let expected_runs = records.iter().filter(|r| enabled(r)).count();
    let (mut run, mut unparsed, mut failures) = (0, 0, Vec::new());
    for (index, record) in records.iter().enumerate() {
        if !enabled(record) {
            continue;
        }
        run += 1;
        match run_apply(record) {
            Ok(Pass::RejectedUnparsed) => unparsed += 1,
            Ok(Pass::Applied) => {}
            Err(why) => failures.push(format!("{}: {why}", name(file, index, record))),
        }
    }
    let passed = run - failures.len();
    println!(
        "json-patch-tests/{file}: {run} cases run, {passed} passed \
         ({unparsed} error cases rejected when deserializing the operations)"
    );
    assert_eq!(run, expected_runs, "{file}: every enabled record must run");
    assert!(failures.is_empty(), "{file}:\n{}", failures.join("\n"));
    (run, passed)
}

#[test]
fn json_patch_tests() {
    let Some(dir) = suites() else { return };
    run_file(&dir, "tests.json");
}

#[test]
fn json_patch_spec_tests() {
    let Some(dir) = suites() else { return };
    run_file(&dir, "spec_tests.json");
}

/// A valid order, with `attributes` to be filled by each case.
fn order_with(attributes: model::Attributes) -> Order {
    let mut order: Order = model::from_value(json!({
        "id": "o_conformance", "merchant": "m", "channel": "b2c",
        "created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z",
        "state": {"currentStatus": "checkout", "transitions": [
            {"status": "checkout", "timeStamp": "2024-01-01T00:00:00Z"}
        ]},
        "cart": {"items": [{"id": "ci_1", "sku": "A1", "quantity": 1}]},
        "payments": [{"id": "p_1", "amount": 10.0}]
    }))
    .expect("valid order fixture");
    order.attributes = Some(attributes);
    order
}

/// `patch` with `/attributes` put before every `path` and `from`.
fn under_attributes(patch: &Value) -> Value {
    let mut patch = patch.clone();
    for op in patch.as_array_mut().into_iter().flatten() {
        for key in ["path", "from"] {
            if let Some(Value::String(pointer)) = op.get_mut(key) {
                *pointer = format!("/attributes{pointer}");
            }
        }
    }
    patch
}

/// RFC 6902 Appendix A again, through `patch_order` on an order whose `attributes` is the
/// case's document.
///
/// Excluded: `disabled` records (A.13, whose duplicate `op` member a JSON parser cannot
/// even see), and any record whose `doc` is not an object or whose `expected` is present
/// but not an object, because `attributes` is an object in the model (none of the enabled
/// records in the current file is excluded for this reason; the count below says so).
#[test]
fn json_patch_spec_tests_on_orders() {
    let Some(dir) = suites() else { return };
    let file = "spec_tests.json";
    let records = records(&dir, file);
    let eligible = |r: &Value| {
        enabled(r) && r["doc"].is_object() && r.get("expected").is_none_or(Value::is_object)
    };
    let expected_runs = records.iter().filter(|r| eligible(r)).count();
    let (mut run, mut failures) = (0, Vec::new());
    for (index, record) in records.iter().enumerate() {
        if !eligible(record) {
            continue;
        }
        run += 1;
        let attributes = record["doc"].as_object().cloned().expect("object doc");
        let order = order_with(attributes);
        let before = order.clone();
        let ops: Result<Vec<PatchOperation>, _> =
            serde_json::from_value(under_attributes(&record["patch"]));
        let outcome = ops
            .map_err(|e| format!("patch did not parse: {e}"))
            .map(|ops| patch::patch_order(&order, &ops, &Default::default()));
        let verdict = match (record.get("expected"), outcome) {
            (Some(expected), Ok(Ok(patched))) => {
                let got = patched.attributes.map(Value::Object);
                if got.as_ref() == Some(expected) {
                    Ok(())
                } else {
                    Err(format!("attributes {got:?}, expected {expected}"))
                }
            }
            (Some(_), Ok(Err(refusal))) => Err(format!("refused: {refusal}")),
            (Some(_), Err(why)) => Err(why),
            // The suite's errors are operation failures, not read-only or model refusals.
            (None, Ok(Err(PatchRefusal::Failed(_)))) | (None, Err(_)) => Ok(()),
            (None, Ok(Err(other))) => Err(format!("refused for the wrong reason: {other}")),
            (None, Ok(Ok(patched))) => Err(format!("applied, should fail: {patched:?}")),
        };
        assert_eq!(order, before, "patch_order must not touch its input");
        if let Err(why) = verdict {
            failures.push(format!("{}: {why}", name(file, index, record)));
        }
    }
    let passed = run - failures.len();
    println!("json-patch-tests/{file} on orders: {run} cases run, {passed} passed");
    assert_eq!(run, expected_runs);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Resolves `pointer` against `doc` with jsonptr: `Err` for a syntax or evaluation error.
fn resolve<'v>(doc: &'v Value, pointer: &str) -> Result<&'v Value, String> {
    let parsed = Pointer::parse(pointer).map_err(|e| format!("parse: {e}"))?;
    parsed.resolve(doc).map_err(|e| format!("resolve: {e}"))
}

/// Checks a pointer case: the exact expected value, or an error where the file says so.
/// Also evaluates it through a `test` operation, since that is how patches use pointers.
fn check_pointer(doc: &Value, pointer: &str, case: &Value) -> Result<(), String> {
    let resolved = resolve(doc, pointer);
    let through_patch = serde_json::from_value::<Vec<PatchOperation>>(json!([
        {"op": "test", "path": pointer, "value": case.get("expected").unwrap_or(&Value::Null)}
    ]))
    .map_err(|e| e.to_string())
    .and_then(|ops| patch::apply(&mut doc.clone(), &ops).map_err(|e| e.to_string()));
    match (case.get("expected"), case.get("error")) {
        (Some(expected), _) => {
            let got = resolved?;
            if got != expected {
                return Err(format!("resolved to {got}, expected {expected}"));
            }
            through_patch.map_err(|e| format!("test operation failed: {e}"))
        }
        (None, Some(_)) => match resolved {
            Ok(got) => Err(format!("resolved to {got}, expected an error")),
            Err(_) if through_patch.is_ok() => Err("a test operation accepted it".into()),
            Err(_) => Ok(()),
        },
        (None, None) => Err("case has neither expected nor error".into()),
    }
}

/// RFC 6901: the RFC's string and URI fragment examples and the file's derived edge cases.
#[test]
fn json_pointer_rfc6901_examples() {
    let Some(dir) = suites() else { return };
    let path = dir.join("rfc6901/rfc6901_examples.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: Value = serde_json::from_str(&text).expect("valid JSON");
    let doc = &file["doc"];
    let mut failures = Vec::new();

    let strings = file["string_examples"].as_array().expect("string_examples");
    for case in strings {
        let pointer = case["pointer"].as_str().expect("pointer");
        if let Err(why) = check_pointer(doc, pointer, case) {
            failures.push(format!("string {pointer:?}: {why}"));
        }
    }

    let fragments = file["uri_fragment_examples"]
        .as_array()
        .expect("uri_fragment_examples");
    for case in fragments {
        let fragment = case["fragment"].as_str().expect("fragment");
        // RFC 6901 §6: drop the `#`, percent-decode, then it is a string pointer.
        let outcome = fragment
            .strip_prefix('#')
            .ok_or_else(|| "no leading #".to_owned())
            .and_then(|encoded| {
                percent_encoding::percent_decode_str(encoded)
                    .decode_utf8()
                    .map_err(|e| e.to_string())
            })
            .and_then(|pointer| check_pointer(doc, &pointer, case));
        if let Err(why) = outcome {
            failures.push(format!("fragment {fragment:?}: {why}"));
        }
    }

    let derived = file["derived_cases_not_verbatim_from_rfc"]
        .as_array()
        .expect("derived cases");
    for case in derived {
        let pointer = case["pointer"].as_str().expect("pointer");
        let doc = case.get("doc").unwrap_or(doc);
        if let Err(why) = check_pointer(doc, pointer, case) {
            failures.push(format!("derived {pointer:?}: {why}"));
        }
    }

    let run = strings.len() + fragments.len() + derived.len();
    println!(
        "rfc6901/rfc6901_examples.json: {run} cases run ({} string, {} fragment, {} derived), \
         {} passed",
        strings.len(),
        fragments.len(),
        derived.len(),
        run - failures.len()
    );
    assert!(run > 0, "no pointer cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
