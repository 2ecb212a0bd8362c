//! Compiled plugins kept on disk, so a restarted host loads instead of recompiling.
//!
//! An artifact is the engine's serialized form of a component. Its file name is the
//! SHA-256 of the component's bytes plus a hash of everything that makes artifacts
//! compatible (wasmtime version, compiler settings, target), so an upgraded or
//! reconfigured host never loads an artifact it cannot run: it misses and recompiles.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The SHA-256 of a component's bytes, as lowercase hex: the identity of a plugin binary.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A directory of serialized components.
///
/// The directory must be writable only by the host: loading an artifact maps it as
/// executable code, so whoever can write there can run code in the host.
#[derive(Debug, Clone)]
pub(crate) struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
}

impl ArtifactCache {
    pub fn open(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        // `DefaultHasher::new` always starts from the same keys, so the key is stable
        // across runs of the same build.
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self {
            dir: dir.to_owned(),
            engine_key: format!("{:016x}", hasher.finish()),
        })
    }

    fn path(&self, content_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{content_hash}-{}.cwasm", self.engine_key))
    }

    /// The cached component for these bytes, if a usable artifact is there. A corrupt or
    /// incompatible artifact is treated as a miss (and overwritten by the next store).
    ///
    /// The file is read into memory rather than mapped (`deserialize_file`): a mapped
    /// artifact that anything truncates or rewrites in place would crash the host with
    /// SIGBUS, and reading costs only ~0.1 ms per plugin more.
    pub fn load(&self, engine: &Engine, content_hash: &str) -> Option<Component> {
        let path = self.path(content_hash);
        let bytes = std::fs::read(&path).ok()?;
        // SAFETY: the file was written by `store` below from `Component::serialize` of an
        // engine with the same compatibility key, via an atomic rename, in a directory
        // that only the host may write (see the type's docs). wasmtime still checks the
        // header and version and errors on a mismatch.
        match unsafe { Component::deserialize(engine, &bytes) } {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "ignoring unusable artifact");
                None
            }
        }
    }

    /// Stores the artifact atomically: readers see the old file or the whole new one.
    pub fn store(&self, content_hash: &str, component: &Component) -> wasmtime::Result<()> {
        let bytes = component.serialize()?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(self.path(content_hash))?;
        Ok(())
    }
}
