//! PostgreSQL beyond the conformance suite: a reconnected store keeps everything,
//! migrations run once even when stores start at once, and two stores on one schema (two
//! pools, as two nodes) never lose an update or share a claim.

mod common;

use ordergate_store_sql::testing::{fresh_postgres_url, postgres_url};
use ordergate_store_sql::{PostgresStore, SqlError};

fn applied_migrations(url: &str) -> Vec<(i64, String)> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let rows = client
        .query(
            "SELECT version, name FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[test]
fn everything_survives_a_reconnect() {
    let url = fresh_postgres_url();
    let store = PostgresStore::connect(&url).unwrap();
    common::write_everything(&store);
    drop(store);

    let reconnected = PostgresStore::connect(&url).unwrap();
    common::check_everything(&reconnected);
}

#[test]
fn migrations_apply_once_and_connecting_again_is_a_no_op() {
    let url = fresh_postgres_url();
    drop(PostgresStore::connect(&url).unwrap());
    assert_eq!(applied_migrations(&url), [(1, "initial".to_owned())]);
    let again = PostgresStore::connect(&url).unwrap();
    assert_eq!(applied_migrations(&url), [(1, "initial".to_owned())]);
    common::write_everything(&again);
}

#[test]
fn stores_connecting_to_a_new_schema_at_once_all_work() {
    let url = fresh_postgres_url();
    let barrier = std::sync::Barrier::new(4);
    let stores: Vec<PostgresStore> = std::thread::scope(|s| {
        let connectors: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    PostgresStore::connect(&url).unwrap()
                })
            })
            .collect();
        connectors.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert_eq!(applied_migrations(&url), [(1, "initial".to_owned())]);
    common::write_everything(&stores[0]);
    common::check_everything(&stores[3]);
}

#[test]
fn schemas_keep_stores_apart() {
    let one = PostgresStore::connect(&fresh_postgres_url()).unwrap();
    let two = PostgresStore::connect(&fresh_postgres_url()).unwrap();
    common::write_everything(&one);
    use ordergate::store::OrderStore;
    let key = ordergate_test_support::conformance::key("o_1");
    assert_eq!(two.load(&key).unwrap(), None);
    assert_eq!(one.load(&key).unwrap().unwrap().version, 2);
}

#[test]
fn a_wrong_password_or_an_unreachable_server_fails_at_connect() {
    let base = postgres_url();
    let wrong = base.replacen("ordergate:ordergate@", "ordergate:wrong@", 1);
    if wrong != base {
        assert!(matches!(
            PostgresStore::connect(&wrong),
            Err(SqlError::Postgres(_))
        ));
    }
    assert!(matches!(
        PostgresStore::connect("postgres://ordergate:ordergate@127.0.0.1:1/ordergate"),
        Err(SqlError::Postgres(_))
    ));
    assert!(matches!(
        PostgresStore::connect("not a url"),
        Err(SqlError::Postgres(_))
    ));
}

#[test]
fn two_stores_on_one_schema_lose_no_update() {
    let url = fresh_postgres_url();
    let one = PostgresStore::connect(&url).unwrap();
    let two = PostgresStore::connect(&url).unwrap();
    common::no_lost_updates(&one, &two, 6, 20);
}

#[test]
fn two_stores_on_one_schema_never_share_a_claim() {
    let url = fresh_postgres_url();
    let one = PostgresStore::connect(&url).unwrap();
    let two = PostgresStore::connect(&url).unwrap();
    common::claims_never_shared(&one, &two, 300);
}

#[test]
fn a_failing_database_is_an_error_naming_the_operation_and_the_write_rolls_back() {
    use ordergate::events::{EventLog, EventLogError};
    use ordergate::store::{OrderStore, OrderWrite, StoreError};
    use ordergate_test_support::conformance::{at, event, key, order};

    let url = fresh_postgres_url();
    let store = PostgresStore::connect(&url).unwrap();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute("DROP TABLE events").unwrap();

    let err = store.list("norce", &Default::default(), 0, 10).unwrap_err();
    assert!(
        matches!(&err, EventLogError::Unavailable(m) if m.starts_with("count events: ")),
        "{err}"
    );
    let o = order("norce", "b2c", "o_1", "r");
    let e = event("e_1", "norce", "b2c", "o_1", "export", at(0));
    let err = store.commit(OrderWrite::Insert(&o), vec![e]).unwrap_err();
    assert!(
        matches!(&err, StoreError::Backend(e) if e.to_string().starts_with("insert an event: ")),
        "{err}"
    );
    // The order's insert went with the failed event insert.
    assert_eq!(store.load(&key("o_1")).unwrap(), None);
}

#[test]
fn a_full_order_and_its_event_round_trip() {
    let store = ordergate_store_sql::testing::fresh_postgres();
    common::a_full_order_and_its_event_round_trip(&store);
}

/// A service drops its store on a thread that drives its tokio runtime when it shuts down:
/// that must close the connections, not panic (the sync client blocks on a runtime of its
/// own to close one). The store is then usable from a fresh connection: nothing was lost.
#[test]
fn a_store_dropped_inside_a_tokio_runtime_closes_cleanly() {
    let url = fresh_postgres_url();
    let store = PostgresStore::connect(&url).unwrap();
    common::write_everything(&store);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dropped = std::thread::spawn(move || runtime.block_on(async move { drop(store) }));
    assert!(dropped.join().is_ok(), "dropping the store panicked");
    common::check_everything(&PostgresStore::connect(&url).unwrap());
}
