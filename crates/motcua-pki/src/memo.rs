//! Process-wide caches of pure functions of public data. The same few CA and unit certificates
//! come back in every document a service verifies, each time freshly parsed from the signature:
//! decoding their keys and checking their issuers' signatures once per process instead of once
//! per document halves the cost of a verification.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{LazyLock, RwLock};

type Entries<K, V> = RwLock<HashMap<K, V>>;
type LazyEntries<K, V> = LazyLock<Entries<K, V>, fn() -> Entries<K, V>>;

/// A bounded cache: when full it starts again from empty, which keeps it simple and its memory
/// fixed; in practice the working set (a province's CAs and units) is far below the bound.
pub(crate) struct Memo<K, V> {
    entries: LazyEntries<K, V>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub(crate) const fn new(capacity: usize) -> Self {
        Self {
            entries: LazyLock::new(|| RwLock::new(HashMap::new())),
            capacity,
        }
    }

    /// The value for `key`, computed by `compute` the first time.
    pub(crate) fn get_or_compute(&self, key: K, compute: impl FnOnce() -> V) -> V {
        if let Some(known) = self
            .entries
            .read()
            .ok()
            .and_then(|entries| entries.get(&key).cloned())
        {
            return known;
        }
        let value = compute();
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(key, value.clone());
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn computes_once_per_key_and_stays_within_its_bound() {
        static SQUARES: Memo<u32, u64> = Memo::new(3);
        let mut computed = 0;
        for key in [1, 2, 1, 2, 3, 1] {
            let value = SQUARES.get_or_compute(key, || {
                computed += 1;
                u64::from(key * key)
            });
            assert_eq!(value, u64::from(key * key));
        }
        assert_eq!(computed, 3);
        // A fourth key empties the full cache: the next lookup of 1 computes again.
        SQUARES.get_or_compute(4, || 16);
        SQUARES.get_or_compute(1, || {
            computed += 1;
            1
        });
        assert_eq!(computed, 4);
        assert_eq!(SQUARES.entries.read().map(|e| e.len()).unwrap_or(0), 2);
    }
}
