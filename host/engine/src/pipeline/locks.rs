//! The per-order queue of one host: mutations of the same order take a striped lock, so
//! they wait for each other instead of racing and wasting plugin runs. The store's version
//! check is what keeps several hosts sharing one store correct; this only saves work.

use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};

use crate::store::OrderKey;

/// Stripes of the per-order lock: orders hashing to one stripe queue behind each other.
const STRIPES: usize = 256;

/// A fixed set of lock stripes, picked by a hash of the order key.
pub(super) struct OrderLocks {
    stripes: Box<[Mutex<()>]>,
    hasher: std::hash::RandomState,
}

impl OrderLocks {
    pub(super) fn new() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: std::hash::RandomState::new(),
        }
    }

    /// Waits for the order's stripe.
    pub(super) fn lock(&self, key: &OrderKey) -> MutexGuard<'_, ()> {
        let stripe = self.hasher.hash_one(key) as usize % self.stripes.len();
        // The lock guards no data, so a panic that poisoned it left nothing inconsistent.
        self.stripes[stripe]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
