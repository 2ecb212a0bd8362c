//! No timing: the size of every plugin component this build made, for the report's
//! "components ≤ 100 kB" target (`target/ordergate-bench/components.json`). The target is
//! on the example plugins (`plugins::EXAMPLES`); the test plugins (hostile ones, the untuned
//! sku-rule) are listed beside them.

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
    let examples: Vec<&str> = plugins::EXAMPLES.iter().map(|(name, _)| *name).collect();
    write_result("components", &json!({"bytes": sizes, "examples": examples}));
}
