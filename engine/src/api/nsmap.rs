//! A map keyed by (namespace, name), looked up by `&str` without building a key, iterated in
//! (namespace, name) order: the order of a `BTreeMap<(String, String), V>`.

use std::collections::BTreeMap;

/// Values by namespace, then name.
#[derive(Clone, Debug)]
pub struct NsMap<V> {
    map: BTreeMap<String, BTreeMap<String, V>>,
    len: usize,
}

impl<V> Default for NsMap<V> {
    fn default() -> Self {
        NsMap {
            map: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<V> NsMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&V> {
        self.map.get(namespace)?.get(name)
    }

    pub fn contains(&self, namespace: &str, name: &str) -> bool {
        self.get(namespace, name).is_some()
    }

    /// Inserts or replaces; returns the value replaced.
    pub fn insert(&mut self, namespace: &str, name: &str, v: V) -> Option<V> {
        let names = match self.map.get_mut(namespace) {
            Some(names) => names,
            None => self.map.entry(namespace.to_string()).or_default(),
        };
        let old = match names.get_mut(name) {
            Some(slot) => Some(std::mem::replace(slot, v)),
            None => {
                names.insert(name.to_string(), v);
                None
            }
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    pub fn remove(&mut self, namespace: &str, name: &str) -> Option<V> {
        let names = self.map.get_mut(namespace)?;
        let old = names.remove(name)?;
        if names.is_empty() {
            self.map.remove(namespace);
        }
        self.len -= 1;
        Some(old)
    }

    /// Every value in (namespace, name) order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values().flat_map(|names| names.values())
    }

    /// The values of one namespace in name order.
    pub fn values_in<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a V> + 'a {
        self.map.get(namespace).into_iter().flat_map(|n| n.values())
    }

    /// Every (namespace, name, value) in order, taking the map.
    pub fn into_entries(self) -> impl Iterator<Item = (String, String, V)> {
        self.map
            .into_iter()
            .flat_map(|(ns, names)| names.into_iter().map(move |(n, v)| (ns.clone(), n, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_as_a_map_of_pairs() {
        let keys = [
            ("b", "x"),
            ("a", "z"),
            ("", "n"),
            ("a", "b"),
            ("b", "a"),
            ("a", "z"),
        ];
        let mut m = NsMap::new();
        let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (i, (ns, n)) in keys.iter().enumerate() {
            assert_eq!(
                m.insert(ns, n, i),
                want.insert((ns.to_string(), n.to_string()), i)
            );
        }
        assert_eq!(m.len(), want.len());
        assert_eq!(
            m.values().collect::<Vec<_>>(),
            want.values().collect::<Vec<_>>()
        );
        assert_eq!(m.values_in("a").copied().collect::<Vec<_>>(), [3, 5]);
        assert_eq!(m.remove("", "n"), Some(2));
        assert_eq!(m.remove("", "n"), None);
        assert!(!m.contains("", "n"));
        assert_eq!(m.get("b", "a"), Some(&4));
        assert_eq!(m.len(), 4);
        let entries: Vec<(String, String, usize)> = m.into_entries().collect();
        assert_eq!(entries[0], ("a".into(), "b".into(), 3));
    }
}
