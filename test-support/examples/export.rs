//! Copies the example and test plugins, built as components, into a directory of your
//! choice, so that an embedder can try the host with real plugins:
//!
//! ```sh
//! cargo run -p ordergate-test-support --example export -- plugins
//! # plugins/max_quantity.wasm, plugins/free_shipping.wasm, …
//! ```

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .unwrap_or_else(|| "plugins".into()),
    );
    std::fs::create_dir_all(&dir)?;
    for (name, path) in ordergate_test_support::ALL {
        let file = Path::new(path)
            .file_name()
            .ok_or_else(|| format!("the artifact of {name} has no file name: {path}"))?;
        let to = dir.join(file);
        std::fs::copy(path, &to)?;
        println!("{name}: {}", to.display());
    }
    Ok(())
}
