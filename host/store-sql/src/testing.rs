//! Helpers for tests (feature `testing`): a store of either kind that no other test sees.
//!
//! PostgreSQL tests need a server: `ORDERGATE_TEST_POSTGRES` names it (a URL), by default
//! `postgres://ordergate:ordergate@127.0.0.1:5432/ordergate`, which `.ci/postgres` (run by
//! `.ci/run`) installs and starts. Each test gets a schema of its own in that database, so
//! tests and processes run side by side without seeing each other's rows. An unreachable
//! server fails the test loudly: nothing is skipped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{PostgresStore, SqliteStore};

/// The environment variable naming the test database.
pub const POSTGRES_ENV: &str = "ORDERGATE_TEST_POSTGRES";

/// The test database when [`POSTGRES_ENV`] is not set: what `.ci/postgres` sets up.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://ordergate:ordergate@127.0.0.1:5432/ordergate";

/// The test database's URL: [`POSTGRES_ENV`], or [`DEFAULT_POSTGRES_URL`].
pub fn postgres_url() -> String {
    std::env::var(POSTGRES_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Creates a new, empty schema in the test database and returns a URL whose connections
/// use it (`options=-c search_path=…`): each caller's stores see only their own rows.
///
/// # Panics
///
/// When the test database cannot be reached or the schema cannot be created, with a
/// message naming [`POSTGRES_ENV`] and `.ci/run`: the test fails, it is not skipped.
pub fn fresh_postgres_url() -> String {
    static SCHEMAS: AtomicU64 = AtomicU64::new(0);
    let base = postgres_url();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let schema = format!(
        "test_{}_{}_{}",
        std::process::id(),
        SCHEMAS.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000_000
    );
    let mut client = ::postgres::Client::connect(&base, ::postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "cannot reach the test PostgreSQL at {base} ({e}); set {POSTGRES_ENV} to a \
             reachable database or start one with `bash .ci/postgres` (part of `.ci/run`)"
        )
    });
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap_or_else(|e| panic!("cannot create schema {schema} in {base}: {e}"));
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}

/// A [`PostgresStore`] on a fresh schema ([`fresh_postgres_url`]), migrated.
///
/// # Panics
///
/// As [`fresh_postgres_url`], or when connecting to the new schema fails.
pub fn fresh_postgres() -> PostgresStore {
    let url = fresh_postgres_url();
    PostgresStore::connect(&url).unwrap_or_else(|e| panic!("cannot open {url}: {e}"))
}

/// A [`SqliteStore`] in a new temporary directory, with the directory: keep it alive as
/// long as the store (dropping it deletes the file).
///
/// # Panics
///
/// When the temporary directory or the database cannot be created.
pub fn fresh_sqlite() -> (SqliteStore, tempfile::TempDir) {
    let dir =
        tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
    let path = dir.path().join("ordergate.db");
    let store =
        SqliteStore::open(&path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    (store, dir)
}
