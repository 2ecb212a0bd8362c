//! What `run` and `check` share: reading a component and its manifest from disk, and
//! loading them as the service would, each failure with its exit status.

use std::path::{Path, PathBuf};

use ordergate::runner::{LoadedPlugin, Runner};
use ordergate::{CompileError, PluginKind, PluginManifest, RegistryError, SandboxConfig};

use crate::exit::{Failure, OrExit, Status, fail};

/// The plugin flags of `run`, `check` and `replay`.
#[derive(Debug, Clone, clap::Args)]
pub struct PluginArgs {
    /// The plugin component (`ordergate build` prints where it wrote it).
    pub plugin: PathBuf,
    /// The manifest to load it with, as uploaded (`id`, `kind`, `config`, `limits`,
    /// `onFault`…). Default: id from the file name, kind from the component's exports,
    /// configuration `{}`.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// A JSON file with the configuration, in place of the manifest's `config`.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// A runner on the host's default limits and ceilings.
pub fn runner() -> Result<Runner, Failure> {
    runner_with(SandboxConfig::default())
}

/// A runner on `config`.
pub fn runner_with(config: SandboxConfig) -> Result<Runner, Failure> {
    Runner::new(config).or_exit(Status::Build)
}

/// Reads a JSON file, the path in the error.
pub fn read_json(path: &Path) -> Result<serde_json::Value, Failure> {
    let text = read_text(path)?;
    serde_json::from_str(&text)
        .map_err(|e| fail(Status::Input, format!("{}: not JSON: {e}", path.display())))
}

/// Reads a text file, the path in the error.
pub fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        fail(
            Status::Input,
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

impl PluginArgs {
    /// The component's bytes.
    pub fn component(&self) -> Result<Vec<u8>, Failure> {
        std::fs::read(&self.plugin).map_err(|e| {
            fail(
                Status::Input,
                format!("cannot read {}: {e}", self.plugin.display()),
            )
        })
    }

    /// The manifest: the file's, or the defaults for a component of `kind`, with the
    /// `--config` file's configuration in place of its own.
    pub fn manifest(&self, kind: Option<PluginKind>) -> Result<PluginManifest, Failure> {
        let mut manifest = match &self.manifest {
            Some(path) => serde_json::from_value(read_json(path)?).map_err(|e| {
                fail(
                    Status::Input,
                    format!("{}: not a plugin manifest: {e}", path.display()),
                )
            })?,
            None => {
                let kind = kind.ok_or_else(|| {
                    fail(
                        Status::Component,
                        format!(
                            "{}: exports neither `validate` nor `handle`: not an ordergate plugin",
                            self.plugin.display()
                        ),
                    )
                })?;
                PluginManifest::new(self.default_id(), kind)
            }
        };
        if let Some(path) = &self.config {
            manifest.config = read_json(path)?;
        }
        Ok(manifest)
    }

    /// The id of a plugin without a manifest: the file's stem (`max_quantity.wasm` →
    /// `max_quantity`).
    fn default_id(&self) -> String {
        self.plugin
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".to_owned())
    }

    /// Reads and loads the plugin as the service installs one.
    pub fn load(&self, runner: &Runner) -> Result<LoadedPlugin, Failure> {
        let component = self.component()?;
        let kind = match &self.manifest {
            Some(_) => None,
            None => Some(
                runner
                    .inspect(&component)
                    .map_err(|e| {
                        refused(
                            &self.plugin,
                            RegistryError::Compile {
                                id: self.default_id(),
                                reason: e,
                            },
                        )
                    })?
                    .kind,
            ),
        };
        let manifest = self.manifest(kind.flatten())?;
        runner
            .load(&manifest, &component)
            .map_err(|e| refused(&self.plugin, e))
    }
}

/// The status of a refused install: the configuration's fault, the component's, or the
/// manifest's.
pub fn refused(path: &Path, err: RegistryError) -> Failure {
    let status = match &err {
        RegistryError::Compile {
            reason: CompileError::InitFailed { .. } | CompileError::InitFaulted { .. },
            ..
        } => Status::Config,
        RegistryError::Compile { .. } => Status::Component,
        _ => Status::Input,
    };
    fail(status, format!("{}: {err}", path.display()))
}
