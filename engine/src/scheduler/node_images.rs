//! The images on a node by normalized name, with their size in bytes (NodeInfo.ImageStates in
//! pkg/scheduler/framework/types.go). Looked up once per scored node and pod image, so entries
//! are kept sorted by a 64-bit FNV-1a hash of the name: a lookup compares integers and at most
//! the names of equal hash.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Debug, Default)]
pub struct NodeImages {
    /// (hash, name, size), sorted by hash then name; names unique.
    entries: Vec<(u64, String, i64)>,
    /// Unique to these entries (process-wide; 0 for none): equal ids, equal images, so a
    /// cache may keep what it read from them under the id.
    id: u64,
}

/// Equal images (the id does not count).
impl PartialEq for NodeImages {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl NodeImages {
    /// FNV-1a (64-bit) of `name`.
    pub fn hash(name: &str) -> u64 {
        name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// The size of image `name`, whose hash is `hash`.
    pub fn get_hashed(&self, hash: u64, name: &str) -> Option<i64> {
        let start = self.entries.partition_point(|e| e.0 < hash);
        self.entries[start..]
            .iter()
            .take_while(|e| e.0 == hash)
            .find(|e| e.1 == name)
            .map(|e| e.2)
    }

    pub fn get(&self, name: &str) -> Option<i64> {
        self.get_hashed(Self::hash(name), name)
    }

    /// The image names (in hash order).
    pub fn keys(&self) -> impl Iterator<Item = &String> + '_ {
        self.entries.iter().map(|e| &e.1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id of these images (0 for none).
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// As a map collects: a name given twice keeps its last size.
impl FromIterator<(String, i64)> for NodeImages {
    fn from_iter<I: IntoIterator<Item = (String, i64)>>(iter: I) -> Self {
        let by_name: BTreeMap<String, i64> = iter.into_iter().collect();
        let mut entries: Vec<(u64, String, i64)> = by_name
            .into_iter()
            .map(|(n, s)| (Self::hash(&n), n, s))
            .collect();
        entries.sort();
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = if entries.is_empty() {
            0
        } else {
            NEXT.fetch_add(1, Ordering::Relaxed)
        };
        NodeImages { entries, id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_match_a_map() {
        let names: Vec<String> = (0..300)
            .map(|i| format!("registry.k8s.io/img-{i}:v{}", i % 7))
            .collect();
        let pairs: Vec<(String, i64)> = names
            .iter()
            .enumerate()
            .flat_map(|(i, n)| [(n.clone(), i as i64), (n.clone(), 2 * i as i64)])
            .collect();
        let map: BTreeMap<String, i64> = pairs.iter().cloned().collect();
        let images: NodeImages = pairs.into_iter().collect();
        assert_eq!(images.len(), map.len());
        for (n, s) in &map {
            assert_eq!(images.get(n), Some(*s), "{n}");
        }
        for missing in ["registry.k8s.io/img-1:v0", "", "nginx:latest"] {
            assert_eq!(images.get(missing), map.get(missing).copied(), "{missing}");
        }
        let mut keys: Vec<&String> = images.keys().collect();
        keys.sort();
        assert_eq!(keys, map.keys().collect::<Vec<_>>());
        assert_eq!(NodeImages::hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(NodeImages::hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
