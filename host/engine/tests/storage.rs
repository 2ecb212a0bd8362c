//! The storage conformance suite (`ordergate_test_support::conformance`) on the in-memory
//! store: every property a backend must have, one test each.

ordergate_test_support::storage_conformance!(ordergate::store::MemoryStore::new());
