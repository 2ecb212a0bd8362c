//! Orders: versions, compare-and-set, atomic commits with events, listing and deleting.

use ordergate::store::{OrderWrite, Pagination, Storage, StoreError, Tenant};

use super::{all_events, at, event, key, order, tenant};

/// Insert is version 1 and only once; a replace names the version it read, moves the
/// version by one, and a stale or missing one is refused without writing.
pub fn orders_insert_replace_and_versions<S: Storage + ?Sized>(store: &S) {
    assert_eq!(store.load(&key("o_1")).unwrap(), None);
    let v1 = order("norce", "b2c", "o_1", "first");
    assert_eq!(store.commit(OrderWrite::Insert(&v1), vec![]).unwrap(), 1);
    let loaded = store.load(&key("o_1")).unwrap().unwrap();
    assert_eq!((loaded.version, &*loaded.order), (1, &*v1));

    let again = order("norce", "b2c", "o_1", "again");
    assert!(matches!(
        store.commit(OrderWrite::Insert(&again), vec![]),
        Err(StoreError::AlreadyExists)
    ));

    let v2 = order("norce", "b2c", "o_1", "second");
    let replace = |order, expected_version| OrderWrite::Replace {
        order,
        expected_version,
    };
    assert_eq!(store.commit(replace(&v2, 1), vec![]).unwrap(), 2);
    let stale = order("norce", "b2c", "o_1", "stale");
    assert!(matches!(
        store.commit(replace(&stale, 1), vec![]),
        Err(StoreError::Conflict {
            expected: 1,
            found: 2
        })
    ));
    let v3 = order("norce", "b2c", "o_1", "third");
    assert_eq!(store.commit(replace(&v3, 2), vec![]).unwrap(), 3);
    let loaded = store.load(&key("o_1")).unwrap().unwrap();
    assert_eq!((loaded.version, &*loaded.order), (3, &*v3));

    let missing = order("norce", "b2c", "o_2", "missing");
    assert!(matches!(
        store.commit(replace(&missing, 1), vec![]),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.load(&key("o_2")).unwrap(), None);
    // The same id in another channel is another order.
    let b2b = order("norce", "b2b", "o_1", "b2b");
    assert_eq!(store.commit(OrderWrite::Insert(&b2b), vec![]).unwrap(), 1);
    assert_eq!(store.load(&key("o_1")).unwrap().unwrap().version, 3);
}

/// An order change and its events commit together or not at all; events with no order
/// change are appended all or none.
pub fn orders_commit_with_events_is_atomic<S: Storage + ?Sized>(store: &S) {
    let ev = |id: &str| event(id, "norce", "b2c", "o_1", "export", at(0));
    let v1 = order("norce", "b2c", "o_1", "first");
    let version = store
        .commit(OrderWrite::Insert(&v1), vec![ev("e_1"), ev("e_2")])
        .unwrap();
    assert_eq!(
        (version, all_events(store)),
        (1, vec!["e_1".into(), "e_2".into()])
    );

    // An event id already stored: neither the order change nor the new event is kept.
    let v2 = order("norce", "b2c", "o_1", "second");
    let write = OrderWrite::Replace {
        order: &v2,
        expected_version: 1,
    };
    let err = store.commit(write, vec![ev("e_3"), ev("e_1")]).unwrap_err();
    assert!(
        matches!(&err, StoreError::DuplicateEvent { id } if id == "e_1"),
        "{err}"
    );
    // Two events of one write with the same id: refused alike.
    let err = store.commit(write, vec![ev("e_4"), ev("e_4")]).unwrap_err();
    assert!(
        matches!(&err, StoreError::DuplicateEvent { id } if id == "e_4"),
        "{err}"
    );
    // A stale write keeps none of its events either.
    let stale = OrderWrite::Replace {
        order: &v2,
        expected_version: 7,
    };
    assert!(matches!(
        store.commit(stale, vec![ev("e_5")]),
        Err(StoreError::Conflict {
            expected: 7,
            found: 1
        })
    ));
    let loaded = store.load(&key("o_1")).unwrap().unwrap();
    assert_eq!((loaded.version, &*loaded.order), (1, &*v1));
    assert_eq!(all_events(store), ["e_1", "e_2"]);

    // Events alone (a hook's triggers): all or none, the order untouched.
    let err = store.append_events(vec![ev("e_6"), ev("e_2")]).unwrap_err();
    assert!(
        matches!(&err, StoreError::DuplicateEvent { id } if id == "e_2"),
        "{err}"
    );
    assert_eq!(all_events(store), ["e_1", "e_2"]);
    store.append_events(vec![ev("e_6"), ev("e_7")]).unwrap();
    assert_eq!(all_events(store), ["e_1", "e_2", "e_6", "e_7"]);
    assert_eq!(store.load(&key("o_1")).unwrap().unwrap().version, 1);
    // And the write that failed goes through once its events are new.
    assert_eq!(store.commit(write, vec![ev("e_3")]).unwrap(), 2);
    assert_eq!(all_events(store), ["e_1", "e_2", "e_6", "e_7", "e_3"]);
}

/// A tenant's orders list oldest first (by insertion, whatever their ids and later
/// writes), with spec 002's pagination; deleting removes the order, not its events.
pub fn orders_list_oldest_first_and_delete<S: Storage + ?Sized>(store: &S) {
    for id in ["o_c", "o_a", "o_e", "o_b", "o_d"] {
        let o = order("norce", "b2c", id, "v1");
        store.commit(OrderWrite::Insert(&o), vec![]).unwrap();
    }
    for (merchant, channel) in [("norce", "b2b"), ("acme", "b2c")] {
        let o = order(merchant, channel, "o_x", "elsewhere");
        store.commit(OrderWrite::Insert(&o), vec![]).unwrap();
    }
    let a2 = order("norce", "b2c", "o_a", "v2");
    let write = OrderWrite::Replace {
        order: &a2,
        expected_version: 1,
    };
    let ev = event("e_a", "norce", "b2c", "o_a", "export", at(0));
    store.commit(write, vec![ev]).unwrap();

    let page = |offset, limit| {
        let page = store.list_orders(&tenant(), offset, limit).unwrap();
        let items: Vec<(String, u64)> = page
            .data
            .iter()
            .map(|s| (s.order.id.clone(), s.version))
            .collect();
        (items, page.pagination)
    };
    let owned = |items: &[(&str, u64)]| -> Vec<(String, u64)> {
        items.iter().map(|(id, v)| (id.to_string(), *v)).collect()
    };
    assert_eq!(
        page(0, 10),
        (
            owned(&[("o_c", 1), ("o_a", 2), ("o_e", 1), ("o_b", 1), ("o_d", 1)]),
            Pagination {
                offset: 0,
                limit: 10,
                size: 5,
                total_size: 5
            }
        )
    );
    assert_eq!(
        page(1, 2),
        (
            owned(&[("o_a", 2), ("o_e", 1)]),
            Pagination {
                offset: 1,
                limit: 2,
                size: 2,
                total_size: 5
            }
        )
    );
    assert_eq!(
        page(5, 1000),
        (
            vec![],
            Pagination {
                offset: 5,
                limit: 100,
                size: 0,
                total_size: 5
            }
        )
    );

    store.delete_order(&key("o_a")).unwrap();
    assert_eq!(store.load(&key("o_a")).unwrap(), None);
    assert!(matches!(
        store.delete_order(&key("o_a")),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        page(0, 10).0,
        owned(&[("o_c", 1), ("o_e", 1), ("o_b", 1), ("o_d", 1)])
    );
    assert_eq!(all_events(store), ["e_a"]);
    let acme = store
        .list_orders(&Tenant::new("acme", "b2c"), 0, 10)
        .unwrap();
    assert_eq!(
        (acme.data.len(), acme.data[0].order.merchant.as_str()),
        (1, "acme")
    );
    // A deleted id can be created again, as a new order at the end.
    let again = order("norce", "b2c", "o_a", "again");
    assert_eq!(store.commit(OrderWrite::Insert(&again), vec![]).unwrap(), 1);
    assert_eq!(page(3, 10).0, owned(&[("o_d", 1), ("o_a", 1)]));
}
