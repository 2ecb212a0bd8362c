//! [`SqliteStore`]: the storage in one SQLite file, in WAL mode: one writer connection
//! (behind a lock, every write in a `BEGIN IMMEDIATE` transaction) and a pool of read-only
//! connections that run beside it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::SqlError;
use crate::codec::micros;
use crate::migrate;

mod events;
mod orders;
mod plugins;

/// How long a connection waits for another process's write lock before failing: writes of
/// this process queue on the writer's lock instead, so this only covers other processes and
/// checkpoints.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections kept: reads of a request or two per core run at once; more would only
/// hold file descriptors.
const READERS: u32 = 8;

/// Prepared statements kept per connection: every statement this store runs, with room.
const STATEMENT_CACHE: usize = 64;

/// Orders, events, plugin versions and adapter configurations in an SQLite file: the
/// embedded storage of a single node. Survives restarts; several processes may open the
/// same file (SQLite's locks serialize their writes), but a deployment of several nodes
/// wants [`crate::PostgresStore`].
///
/// Writes go through one connection behind a lock, each in a `BEGIN IMMEDIATE`
/// transaction, so a read-modify-write (a compare-and-set, a claim) never reads a version
/// another writer is about to replace; reads use a pool of read-only connections that see
/// the last committed state without waiting for the writer (WAL). The calls block: see the
/// crate's documentation on async callers.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Pool<SqliteConnectionManager>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file and its directory when missing, and
    /// applies the migrations it lacks. WAL journal, `synchronous=NORMAL` (a committed write
    /// survives a crash of the process; a power loss may lose the last commits, never
    /// corrupt the file), foreign keys on, a busy timeout for other processes' locks.
    pub fn open(path: &Path) -> Result<SqliteStore, SqlError> {
        let sqlite = |source| SqlError::Sqlite {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| SqlError::CreateDirectory {
                path: dir.to_owned(),
                source,
            })?;
        }
        let mut writer = Connection::open(path).map_err(sqlite)?;
        configure(&writer).map_err(sqlite)?;
        let mode = wal(&writer).map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SqlError::NotWal {
                path: path.to_owned(),
                mode,
            });
        }
        writer
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        migrate(&mut writer)?;

        // Read-write opening flags (a read-only connection cannot recover a WAL file left by
        // a crash), kept from writing by `query_only`.
        let manager = SqliteConnectionManager::file(path).with_init(|conn| {
            configure(conn).and_then(|()| conn.pragma_update(None, "query_only", true))
        });
        let readers = Pool::builder()
            .max_size(READERS)
            // Opened when first needed, not all at start.
            .min_idle(Some(0))
            // A checkout runs no test statement: a local file's connection does not go
            // stale, and a failing one reports its error on its query.
            .test_on_check_out(false)
            .build(manager)?;
        Ok(SqliteStore {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer connection. A panic while it was held rolled its transaction back (the
    /// transaction's drop), so the connection is consistent: recover from the poisoning.
    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection from the pool.
    fn reader(&self) -> Result<PooledConnection<SqliteConnectionManager>, r2d2::Error> {
        self.readers.get()
    }
}

/// Begins the write transaction of a read-modify-write: takes SQLite's write lock first, so
/// no other process's writer can commit between this transaction's read and its write.
fn begin(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

/// Switches the file to WAL (a no-op when it is already). The switch needs the file to
/// itself and SQLite does not wait for that through the busy handler, so while other
/// processes open a new file at the same moment it is retried, within the busy timeout.
fn wal(conn: &Connection) -> rusqlite::Result<String> {
    let start = std::time::Instant::now();
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && start.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            result => return result,
        }
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Applies the migrations the file lacks, in one transaction under the write lock: two
/// processes opening a new file at once migrate it once.
fn migrate(conn: &mut Connection) -> Result<(), SqlError> {
    let failed = |version, name| {
        move |e: rusqlite::Error| SqlError::Migration {
            version,
            name,
            source: e.into(),
        }
    };
    let tx = begin(conn).map_err(failed(0, "begin"))?;
    tx.execute_batch(migrate::CREATE_TABLE)
        .map_err(failed(0, "schema_migrations"))?;
    let applied: i64 = tx
        .query_row(migrate::NEWEST, [], |row| row.get(0))
        .map_err(failed(0, "schema_migrations"))?;
    for m in migrate::pending(migrate::SQLITE, applied)? {
        tx.execute_batch(m.sql).map_err(failed(m.version, m.name))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.name, micros(std::time::SystemTime::now())],
        )
        .map_err(failed(m.version, m.name))?;
    }
    tx.commit().map_err(failed(applied, "commit"))
}
