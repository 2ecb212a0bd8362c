//! No timing: the size of every plugin component this build made, for the report's
//! "components ≤ 100 kB" target (`target/ordergate-bench/components.json`). The example
//! plugins are those whose name does not start with `hostile` (the test plugins).

use ordergate_benches::*;
use serde_json::{Map, Value, json};

pub fn benches() {
    let sizes: Map<String, Value> = plugins::ALL
        .iter()
        .map(|(name, path)| {
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            ((*name).to_owned(), json!(bytes))
        })
        .collect();
    let examples: Vec<&str> = plugins::ALL
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !name.starts_with("hostile"))
        .collect();
    write_result("components", &json!({"bytes": sizes, "examples": examples}));
}
