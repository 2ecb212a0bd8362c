//! Plugin versions (upload, rollback, removal, the per-tenant generation) and adapter
//! configurations.

use std::sync::Arc;

use ordergate::store::{PluginStatus, PluginUpload, PluginVersion, Storage, StoreError, Tenant};
use serde_json::json;

use super::{at, tenant};

/// SHA-256 of `b"abc"`, lowercase hex (FIPS 180-2's example).
const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fn upload(id: &str, bytes: &[u8], secs: u64) -> PluginUpload {
    PluginUpload {
        id: id.into(),
        manifest: json!({"id": id, "kind": "validation", "config": {"upload": secs}}),
        component: Arc::from(bytes),
        uploaded_by: Some("ops@norce".into()),
        uploaded_at: at(secs),
    }
}

fn statuses(versions: &[PluginVersion]) -> Vec<(u32, PluginStatus)> {
    versions.iter().map(|v| (v.version, v.status)).collect()
}

fn active_ids<S: Storage + ?Sized>(store: &S, tenant: &Tenant) -> Vec<(String, u32)> {
    let active = store.active(tenant).unwrap();
    active.iter().map(|v| (v.id.clone(), v.version)).collect()
}

/// Every upload is kept as the next version and becomes active; activating an earlier
/// version rolls back; each version keeps what was uploaded.
pub fn plugins_versions_and_rollback<S: Storage + ?Sized>(store: &S) {
    use PluginStatus::{Active, Superseded};
    let t = tenant();
    let first = store
        .add_version(&t, upload("max-quantity", b"abc", 1))
        .unwrap();
    assert_eq!(
        first,
        PluginVersion {
            id: "max-quantity".into(),
            version: 1,
            manifest: json!({"id": "max-quantity", "kind": "validation", "config": {"upload": 1}}),
            component: Arc::from(&b"abc"[..]),
            content_hash: ABC_SHA256.into(),
            status: Active,
            uploaded_by: Some("ops@norce".into()),
            uploaded_at: at(1),
        }
    );
    let second = store
        .add_version(&t, upload("max-quantity", b"v2", 2))
        .unwrap();
    assert_eq!((second.version, second.status), (2, Active));
    store
        .add_version(&t, upload("free-shipping", b"fs", 3))
        .unwrap();
    assert_eq!(
        statuses(&store.versions(&t, "max-quantity").unwrap()),
        [(1, Superseded), (2, Active)]
    );
    assert_eq!(
        active_ids(store, &t),
        [("free-shipping".into(), 1), ("max-quantity".into(), 2)]
    );

    // Rollback to version 1, then forward again to 2.
    let rolled = store.activate(&t, "max-quantity", 1).unwrap();
    assert_eq!(
        (rolled.version, rolled.status, &*rolled.component),
        (1, Active, &b"abc"[..])
    );
    assert_eq!(
        statuses(&store.versions(&t, "max-quantity").unwrap()),
        [(1, Active), (2, Superseded)]
    );
    assert_eq!(
        active_ids(store, &t),
        [("free-shipping".into(), 1), ("max-quantity".into(), 1)]
    );
    store.activate(&t, "max-quantity", 2).unwrap();
    let v2 = store.version(&t, "max-quantity", 2).unwrap().unwrap();
    assert_eq!(
        (
            v2.status,
            &*v2.component,
            v2.uploaded_at,
            v2.manifest["config"]["upload"].clone()
        ),
        (Active, &b"v2"[..], at(2), json!(2))
    );
    // A third upload is version 3; the active one before it is superseded.
    store
        .add_version(&t, upload("max-quantity", b"abc", 4))
        .unwrap();
    assert_eq!(
        statuses(&store.versions(&t, "max-quantity").unwrap()),
        [(1, Superseded), (2, Superseded), (3, Active)]
    );
    assert_eq!(
        store
            .version(&t, "max-quantity", 3)
            .unwrap()
            .unwrap()
            .content_hash,
        ABC_SHA256
    );

    for (id, version) in [("max-quantity", 4), ("max-quantity", 0), ("nope", 1)] {
        assert!(
            matches!(store.activate(&t, id, version), Err(StoreError::NotFound)),
            "{id} v{version}"
        );
    }
    assert_eq!(store.version(&t, "max-quantity", 4).unwrap(), None);
    assert_eq!(store.versions(&t, "nope").unwrap(), vec![]);
    // Other tenants see none of it.
    let other = Tenant::new("norce", "b2b");
    assert_eq!(store.active(&other).unwrap(), vec![]);
    assert_eq!(store.versions(&other, "max-quantity").unwrap(), vec![]);
    assert_eq!(store.version(&other, "max-quantity", 1).unwrap(), None);
}

/// The generation grows on every write to a tenant's plugins, and only that tenant's.
pub fn plugins_generation_moves_per_tenant<S: Storage + ?Sized>(store: &S) {
    let t = tenant();
    let other = Tenant::new("acme", "b2c");
    assert_eq!(
        (
            store.generation(&t).unwrap(),
            store.generation(&other).unwrap()
        ),
        (0, 0)
    );
    store.add_version(&other, upload("p", b"x", 0)).unwrap();
    let other_gen = store.generation(&other).unwrap();
    assert!(other_gen > 0, "{other_gen}");

    let mut last = store.generation(&t).unwrap();
    assert_eq!(last, 0);
    let mut moved = |what: &str| {
        let now = store.generation(&t).unwrap();
        assert!(now > last, "{what}: generation {now} after {last}");
        last = now;
    };
    store.add_version(&t, upload("p", b"1", 1)).unwrap();
    moved("first upload");
    store.add_version(&t, upload("p", b"2", 2)).unwrap();
    moved("second upload");
    store.activate(&t, "p", 1).unwrap();
    moved("rollback");
    store.remove(&t, "p").unwrap();
    moved("removal");
    store.activate(&t, "p", 2).unwrap();
    moved("activation after removal");
    // Reads and failed writes change nothing; no other tenant moved.
    let now = store.generation(&t).unwrap();
    store.active(&t).unwrap();
    store.versions(&t, "p").unwrap();
    assert!(matches!(
        store.activate(&t, "p", 9),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(store.remove(&t, "q"), Err(StoreError::NotFound)));
    assert_eq!(store.generation(&t).unwrap(), now);
    assert_eq!(store.generation(&other).unwrap(), other_gen);
}

/// Removing leaves no active version and keeps every version; an earlier version can be
/// activated again.
pub fn plugins_remove_keeps_history<S: Storage + ?Sized>(store: &S) {
    use PluginStatus::{Active, Removed, Superseded};
    let t = tenant();
    store.add_version(&t, upload("p", b"1", 1)).unwrap();
    store.add_version(&t, upload("p", b"2", 2)).unwrap();
    store.add_version(&t, upload("q", b"q", 3)).unwrap();
    store.remove(&t, "p").unwrap();
    assert_eq!(active_ids(store, &t), [("q".into(), 1)]);
    assert_eq!(
        statuses(&store.versions(&t, "p").unwrap()),
        [(1, Superseded), (2, Removed)]
    );
    assert!(matches!(store.remove(&t, "p"), Err(StoreError::NotFound)));
    assert!(matches!(
        store.remove(&Tenant::new("norce", "b2b"), "q"),
        Err(StoreError::NotFound)
    ));
    let back = store.activate(&t, "p", 1).unwrap();
    assert_eq!((back.version, back.status), (1, Active));
    assert_eq!(
        statuses(&store.versions(&t, "p").unwrap()),
        [(1, Active), (2, Removed)]
    );
    assert_eq!(active_ids(store, &t), [("p".into(), 1), ("q".into(), 1)]);
    // An upload after a removal is the next version.
    assert_eq!(
        store.add_version(&t, upload("p", b"3", 4)).unwrap().version,
        3
    );
}

/// Adapter configurations are per merchant and adapter; setting one replaces it.
pub fn adapter_configurations_are_per_merchant<S: Storage + ?Sized>(store: &S) {
    assert_eq!(store.adapter_configuration("norce", "erp").unwrap(), None);
    let erp = json!({"internalUrl": "https://erp.internal"});
    store
        .set_adapter_configuration("norce", "erp", erp.clone())
        .unwrap();
    store
        .set_adapter_configuration("norce", "psp", json!({"key": 1}))
        .unwrap();
    assert_eq!(
        store.adapter_configuration("norce", "erp").unwrap(),
        Some(erp)
    );
    assert_eq!(store.adapter_configuration("acme", "erp").unwrap(), None);
    let replaced = json!({"internalUrl": "https://erp2.internal"});
    store
        .set_adapter_configuration("norce", "erp", replaced.clone())
        .unwrap();
    assert_eq!(
        store.adapter_configuration("norce", "erp").unwrap(),
        Some(replaced)
    );
    assert_eq!(
        store.adapter_configuration("norce", "psp").unwrap(),
        Some(json!({"key": 1}))
    );
}

/// A shadow version is the next version, beside the active one and never in `active`;
/// a new shadow supersedes the previous one; activating the shadow promotes it (and the
/// plugin has no shadow any more); ending a shadow leaves the active version alone; each
/// write moves the generation.
pub fn plugins_shadow_promote_and_end<S: Storage + ?Sized>(store: &S) {
    use PluginStatus::{Active, Shadow, Superseded};
    let t = tenant();
    store.add_version(&t, upload("rule", b"v1", 1)).unwrap();
    let generation = store.generation(&t).unwrap();
    let shadow = store.add_shadow(&t, upload("rule", b"v2", 2)).unwrap();
    assert_eq!((shadow.version, shadow.status), (2, Shadow));
    assert_eq!(store.generation(&t).unwrap(), generation + 1);
    assert_eq!(active_ids(store, &t), [("rule".to_owned(), 1)]);
    let shadows = store.shadows(&t).unwrap();
    assert_eq!(shadows.len(), 1);
    assert_eq!(
        (shadows[0].version, &*shadows[0].component),
        (2, &b"v2"[..])
    );

    // A second shadow supersedes the first; the active version stays.
    store.add_shadow(&t, upload("rule", b"v3", 3)).unwrap();
    assert_eq!(
        statuses(&store.versions(&t, "rule").unwrap()),
        [(1, Active), (2, Superseded), (3, Shadow)]
    );
    // A shadow of an id with no active version is kept all the same.
    store.add_shadow(&t, upload("new-rule", b"n1", 4)).unwrap();
    let ids: Vec<(String, u32)> = store
        .shadows(&t)
        .unwrap()
        .iter()
        .map(|v| (v.id.clone(), v.version))
        .collect();
    assert_eq!(ids, [("new-rule".to_owned(), 1), ("rule".to_owned(), 3)]);

    // Promotion: the shadow becomes active, the active one superseded, in one write.
    let generation = store.generation(&t).unwrap();
    let promoted = store.activate(&t, "rule", 3).unwrap();
    assert_eq!((promoted.version, promoted.status), (3, Active));
    assert_eq!(store.generation(&t).unwrap(), generation + 1);
    assert_eq!(
        statuses(&store.versions(&t, "rule").unwrap()),
        [(1, Superseded), (2, Superseded), (3, Active)]
    );
    // Rolling back stays one call.
    store.activate(&t, "rule", 1).unwrap();
    assert_eq!(active_ids(store, &t), [("rule".to_owned(), 1)]);

    // Ending a shadow: superseded, nothing else moves.
    store.end_shadow(&t, "new-rule").unwrap();
    assert!(store.shadows(&t).unwrap().is_empty());
    assert_eq!(
        statuses(&store.versions(&t, "new-rule").unwrap()),
        [(1, Superseded)]
    );
    assert!(matches!(
        store.end_shadow(&t, "new-rule"),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.end_shadow(&t, "never-uploaded"),
        Err(StoreError::NotFound)
    ));
}
