//! SQLite beyond the conformance suite: a reopened file keeps everything, migrations run
//! once, and two stores on one file (as two processes) never lose an update or share a
//! claim.

mod common;

use ordergate_store_sql::{SqlError, SqliteStore};

fn applied_migrations(path: &std::path::Path) -> Vec<(i64, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut select = conn
        .prepare("SELECT version, name FROM schema_migrations ORDER BY version")
        .unwrap();
    let rows = select
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn everything_survives_a_reopen_and_the_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("nested").join("ordergate.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.path(), path);
    common::write_everything(&store);
    drop(store);

    let reopened = SqliteStore::open(&path).unwrap();
    common::check_everything(&reopened);
}

#[test]
fn migrations_apply_once_and_reopening_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ordergate.db");
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(applied_migrations(&path), [(1, "initial".to_owned())]);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(applied_migrations(&path), [(1, "initial".to_owned())]);
    common::write_everything(&again);
}

#[test]
fn two_stores_opening_a_new_file_at_once_both_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ordergate.db");
    let barrier = std::sync::Barrier::new(4);
    let stores: Vec<SqliteStore> = std::thread::scope(|s| {
        let openers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    SqliteStore::open(&path).unwrap()
                })
            })
            .collect();
        openers.into_iter().map(|o| o.join().unwrap()).collect()
    });
    assert_eq!(applied_migrations(&path), [(1, "initial".to_owned())]);
    common::write_everything(&stores[0]);
    common::check_everything(&stores[3]);
}

#[test]
fn a_database_newer_than_the_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ordergate.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (2, 'future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        SqliteStore::open(&path),
        Err(SqlError::SchemaTooNew { found: 2, known: 1 })
    ));
}

#[test]
fn a_path_that_cannot_be_a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let err = SqliteStore::open(&file.join("ordergate.db")).unwrap_err();
    assert!(
        matches!(&err, SqlError::CreateDirectory { path, .. } if *path == file),
        "{err}"
    );
}

#[test]
fn two_stores_on_one_file_lose_no_update() {
    let (one, dir) = ordergate_store_sql::testing::fresh_sqlite();
    let two = SqliteStore::open(one.path()).unwrap();
    common::no_lost_updates(&one, &two, 4, 25);
    drop(dir);
}

#[test]
fn two_stores_on_one_file_never_share_a_claim() {
    let (one, _dir) = ordergate_store_sql::testing::fresh_sqlite();
    let two = SqliteStore::open(one.path()).unwrap();
    common::claims_never_shared(&one, &two, 300);
}

#[test]
fn a_corrupt_row_is_an_error_naming_the_operation_not_a_panic() {
    use ordergate::events::{EventLog, EventLogError};
    use ordergate::store::{OrderStore, OrderWrite, StoreError};
    use ordergate_test_support::conformance::{at, event, key, order};

    let (store, _dir) = ordergate_store_sql::testing::fresh_sqlite();
    let o = order("norce", "b2c", "o_1", "r");
    let e = event("e_1", "norce", "b2c", "o_1", "export", at(0));
    store.commit(OrderWrite::Insert(&o), vec![e]).unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute_batch(
        r#"UPDATE events SET body = '{"not": "an event"}'; UPDATE orders SET body = 'garbage';"#,
    )
    .unwrap();

    let err = store.get("norce", "e_1").unwrap_err();
    assert!(
        matches!(&err, EventLogError::Unavailable(m) if m.starts_with("decode an event: stored event is not valid JSON")),
        "{err}"
    );
    let err = store
        .claim_due(at(0), std::time::Duration::from_secs(30), 10)
        .unwrap_err();
    assert!(
        matches!(&err, EventLogError::Unavailable(m) if m.starts_with("decode a claimed event: ")),
        "{err}"
    );
    let err = store.load(&key("o_1")).unwrap_err();
    assert!(
        matches!(&err, StoreError::Backend(e) if e.to_string().starts_with("decode an order: ")),
        "{err}"
    );
}

#[test]
fn a_full_order_and_its_event_round_trip() {
    let (store, _dir) = ordergate_store_sql::testing::fresh_sqlite();
    common::a_full_order_and_its_event_round_trip(&store);
}

#[test]
fn a_plugin_generation_moved_by_another_store_or_process_is_seen_at_once() {
    use ordergate::store::{OrderStore, OrderWrite, PluginStore, PluginUpload};
    use ordergate_test_support::conformance::{order, tenant};

    let (one, _dir) = ordergate_store_sql::testing::fresh_sqlite();
    let two = SqliteStore::open(one.path()).unwrap();
    let t = tenant();
    let upload = |bytes: &[u8]| PluginUpload {
        id: "p".into(),
        manifest: serde_json::json!({"id": "p", "kind": "validation"}),
        component: std::sync::Arc::from(bytes),
        uploaded_by: None,
        uploaded_at: std::time::SystemTime::UNIX_EPOCH,
    };
    // Read by `one` before each write elsewhere: no cache of it (one was tried for speed,
    // benches/HTTP.md) may hide those writes.
    assert_eq!(one.generation(&t).unwrap(), 0);
    two.add_version(&t, upload(b"1")).unwrap();
    assert_eq!(one.generation(&t).unwrap(), 1);
    assert_eq!(two.generation(&t).unwrap(), 1);
    // Its own writes, and other stores' writes of orders only, leave it right.
    one.add_version(&t, upload(b"2")).unwrap();
    assert_eq!(one.generation(&t).unwrap(), 2);
    let o = order("norce", "b2c", "o_1", "r");
    two.commit(OrderWrite::Insert(&o), vec![]).unwrap();
    assert_eq!(one.generation(&t).unwrap(), 2);
    assert_eq!(two.generation(&t).unwrap(), 2);
    // A write by another process (here: a plain connection) is seen too.
    let other = rusqlite::Connection::open(one.path()).unwrap();
    other
        .execute("UPDATE plugin_generations SET generation = 7", [])
        .unwrap();
    assert_eq!(one.generation(&t).unwrap(), 7);
    assert_eq!(two.generation(&t).unwrap(), 7);
    // An activation that changes nothing rolls back: the generation stays.
    one.activate(&t, "p", 2).unwrap();
    assert_eq!(one.generation(&t).unwrap(), 7);
    assert!(
        one.load(&ordergate_test_support::conformance::key("o_1"))
            .unwrap()
            .is_some()
    );
}
