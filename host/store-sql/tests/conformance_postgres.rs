//! The storage conformance suite on PostgreSQL: every property a backend must have, one
//! test each, each in a schema of its own (`ORDERGATE_TEST_POSTGRES`, see `.ci/postgres`).

ordergate_test_support::storage_conformance!(ordergate_store_sql::testing::fresh_postgres());
