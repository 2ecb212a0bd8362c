//! Why opening a store failed ([`SqlError`]), and how a failing database call becomes the
//! engine's [`StoreError::Backend`] or [`EventLogError::Unavailable`] with what was being
//! done.

use std::error::Error;
use std::path::PathBuf;

use ordergate::events::EventLogError;
use ordergate::store::StoreError;

/// Why a store could not be opened or its schema migrated.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The database file's directory could not be created.
    #[error("cannot create the database directory {path:?}: {source}")]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite could not open or configure the database file.
    #[error("cannot open the SQLite database {path:?}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The file could not be switched to WAL (a file system without shared memory, e.g.
    /// some network file systems): without it readers would wait for the writer.
    #[error("the SQLite database {path:?} stays in journal mode {mode:?}, WAL is required")]
    NotWal {
        /// The file.
        path: PathBuf,
        /// The mode SQLite kept.
        mode: String,
    },
    /// The PostgreSQL URL did not parse, or the server refused or could not be reached.
    #[error("cannot connect to PostgreSQL: {0}")]
    Postgres(#[source] ::postgres::Error),
    /// The connection pool could not be set up.
    #[error("cannot set up the connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// A migration failed; the database is left at the version before it.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// The database's error.
        source: Box<dyn Error + Send + Sync>,
    },
    /// The database holds migrations newer than this build knows: an older binary must not
    /// write to a schema it does not understand.
    #[error("the database is at schema version {found}, newer than this build's {known}")]
    SchemaTooNew {
        /// The newest version applied to the database.
        found: i64,
        /// The newest version this build has.
        known: i64,
    },
}

/// A database failure with what the store was doing, boxed into the engine's error types.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub(crate) struct BackendError {
    context: &'static str,
    source: Box<dyn Error + Send + Sync>,
}

/// Turns database errors into the engine's storage errors, naming the operation.
pub(crate) trait Context<T> {
    /// As [`StoreError::Backend`].
    fn store(self, context: &'static str) -> Result<T, StoreError>;
    /// As [`EventLogError::Unavailable`].
    fn log(self, context: &'static str) -> Result<T, EventLogError>;
}

impl<T, E: Into<Box<dyn Error + Send + Sync>>> Context<T> for Result<T, E> {
    fn store(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Backend(Box::new(backend(context, e))))
    }

    fn log(self, context: &'static str) -> Result<T, EventLogError> {
        self.map_err(|e| EventLogError::Unavailable(backend(context, e).to_string()))
    }
}

fn backend(context: &'static str, e: impl Into<Box<dyn Error + Send + Sync>>) -> BackendError {
    BackendError {
        context,
        source: e.into(),
    }
}
