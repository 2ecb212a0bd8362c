//! Helpers for tests (feature `testing`): a store of either kind that no other test sees.
//!
//! PostgreSQL tests need a server: `ORDERGATE_TEST_POSTGRES` names it (a URL), by default
//! `postgres://ordergate:ordergate@127.0.0.1:5432/ordergate`, which `.ci/postgres` (run by
//! `.ci/run`) installs and starts. Each test gets a schema of its own in that database, so
//! tests and processes run side by side without seeing each other's rows. An unreachable
//! server fails the test loudly: nothing is skipped.

use std::sync::Once;
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
    static CLEANED: Once = Once::new();
    let base = postgres_url();
    let mut client = ::postgres::Client::connect(&base, ::postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "cannot reach the test PostgreSQL at {base} ({e}); set {POSTGRES_ENV} to a \
             reachable database or start one with `bash .ci/postgres` (part of `.ci/run`)"
        )
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CLEANED.call_once(|| drop_old_schemas(&mut client, now));
    // The creation time leads, so later runs can tell old schemas from live ones.
    let schema = format!(
        "{SCHEMA_PREFIX}{now}_{}_{}",
        std::process::id(),
        SCHEMAS.fetch_add(1, Ordering::Relaxed)
    );
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap_or_else(|e| panic!("cannot create schema {schema} in {base}: {e}"));
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}

/// Names of the schemas [`fresh_postgres_url`] creates: `test_<unix seconds>_<pid>_<n>`.
const SCHEMA_PREFIX: &str = "test_";

/// Test schemas older than this are dropped by the next test process: no test runs that
/// long, and a test database shared by many runs (a developer's, CI's) stays small.
const SCHEMA_MAX_AGE_SECS: u64 = 6 * 60 * 60;

/// Drops earlier runs' test schemas. Best effort: another process may be dropping the same
/// ones, and a failure here must not fail the test that happened to run first.
fn drop_old_schemas(client: &mut ::postgres::Client, now: u64) {
    let Ok(rows) = client.query(
        "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)",
        &[&SCHEMA_PREFIX],
    ) else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let created = name[SCHEMA_PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|c| c + SCHEMA_MAX_AGE_SECS < now) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
        }
    }
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
