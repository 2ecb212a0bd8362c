//! JSON Schema conformance: every required draft 2020-12 case of the JSON-Schema-Test-Suite
//! (`tests/draft2020-12/*.json`, not `optional/`), evaluated the way notifications evaluate
//! schemas: compiled through [`SchemaCache`] and checked with `is_valid`.
//!
//! The suite lives in `shared/conformance` beside the workspace (or wherever
//! `ORDERGATE_CONFORMANCE_DIR` points). Cases whose schema needs a remote document
//! (`http://localhost:1234/…`, served from the suite's `remotes/`, which is not shipped) cannot
//! compile offline, and cases whose `$schema` is such a remote meta-schema cannot be
//! understood offline: both are skipped, counted and listed; any other failure fails the test.

use std::path::PathBuf;

use ordergate::notify::SchemaCache;
use serde_json::Value;

/// Host of the suite's remote documents.
const REMOTE: &str = "localhost:1234";

fn suite_dir() -> PathBuf {
    std::env::var_os("ORDERGATE_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/conformance"
            ))
        })
}

#[test]
fn json_schema_draft2020_12_required() {
    let root = suite_dir();
    let dir = root.join("JSON-Schema-Test-Suite/tests/draft2020-12");
    if !dir.is_dir() {
        println!(
            "conformance suites not found at {}: JSON Schema conformance cases were not run",
            root.display()
        );
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();

    // One cache for the whole suite, as in the service: equal schemas share a validator.
    let cache = SchemaCache::new();
    let (mut ran, mut passed) = (0usize, 0usize);
    let mut skipped: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let groups: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for group in &groups {
            let description = group["description"].as_str().unwrap_or("?");
            let tests = group["tests"].as_array().expect("tests array");
            // A remote `$schema` is a custom meta-schema whose vocabularies decide what the
            // keywords mean: offline, jsonschema cannot read it (it compiles the schema with
            // the full 2020-12 vocabulary instead), so such a case needs `remotes/` too.
            let remote_meta = group["schema"]["$schema"]
                .as_str()
                .is_some_and(|m| m.contains(REMOTE));
            if remote_meta {
                skipped.push(format!(
                    "{name}: {description} [remote $schema] ({} cases)",
                    tests.len()
                ));
                continue;
            }
            let validator = match cache.get(&group["schema"]) {
                Ok(v) => v,
                // Only a failure to fetch a remote document is a skip; the schema must mention
                // the remote host and the error must be about it.
                Err(e)
                    if e.to_string().contains(REMOTE)
                        && group["schema"].to_string().contains(REMOTE) =>
                {
                    skipped.push(format!(
                        "{name}: {description} [remote $ref] ({} cases)",
                        tests.len()
                    ));
                    continue;
                }
                Err(e) => {
                    failures.push(format!(
                        "{name}: {description}: schema did not compile: {e}"
                    ));
                    continue;
                }
            };
            for test in tests {
                ran += 1;
                let expected = test["valid"].as_bool().expect("valid flag");
                if validator.is_valid(&test["data"]) == expected {
                    passed += 1;
                } else {
                    failures.push(format!(
                        "{name}: {description}: {}: expected valid={expected}",
                        test["description"].as_str().unwrap_or("?")
                    ));
                }
            }
        }
    }
    let skipped_cases: usize = skipped
        .iter()
        .filter_map(|s| {
            s.rsplit_once('(')?
                .1
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    println!(
        "JSON Schema draft 2020-12 (required, {} files): {ran} ran, {passed} passed, \
         {skipped_cases} skipped-remote ({} schemas need remotes/)",
        files.len(),
        skipped.len()
    );
    for s in &skipped {
        println!("  skipped-remote: {s}");
    }
    assert!(
        failures.is_empty(),
        "{} JSON Schema conformance failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran > 1000, "only {ran} cases ran: is the suite complete?");
}
