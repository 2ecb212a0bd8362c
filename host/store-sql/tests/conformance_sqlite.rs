//! The storage conformance suite on SQLite: every property a backend must have, one test
//! each, each on a new database file.

use std::cell::RefCell;

use ordergate_store_sql::SqliteStore;
use ordergate_store_sql::testing::fresh_sqlite;

thread_local! {
    /// The test's temporary directory: each test runs on a thread of its own, so the
    /// directory lives as long as the test and is deleted when its thread ends.
    static DIRS: RefCell<Vec<tempfile::TempDir>> = const { RefCell::new(Vec::new()) };
}

fn store() -> SqliteStore {
    let (store, dir) = fresh_sqlite();
    DIRS.with(|dirs| dirs.borrow_mut().push(dir));
    store
}

ordergate_test_support::storage_conformance!(store());
