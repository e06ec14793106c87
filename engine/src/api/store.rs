//! The store: an etcd-like MVCC key-value store with one global revision.
//!
//! Every write increments the revision and is kept in a history that watches replay from; history
//! at or below the compacted revision is gone (a watch from there gets 410 Gone).
//! Models the etcd3 storage of k8s.io/apiserver/pkg/storage/etcd3/store.go.

use super::nsmap::NsMap;
use super::object::{Kind, Object, ObjectRef};
use std::collections::VecDeque;
use std::sync::Arc;

/// What a watch event reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One write, as kept in the history.
#[derive(Clone, Debug)]
pub struct StoreEvent {
    pub revision: u64,
    pub type_: EventType,
    /// The object after the write (for a delete: the last state, with the deletion revision).
    pub object: ObjectRef,
    /// The object before the write, if it existed.
    pub prev: Option<ObjectRef>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    NotFound,
    AlreadyExists,
    /// The object's resourceVersion is not the stored one.
    Conflict,
    /// The revision asked for has been compacted; carries the compacted revision.
    Compacted(u64),
}

/// The MVCC store.
#[derive(Default)]
pub struct Store {
    revision: u64,
    objects: [NsMap<ObjectRef>; Kind::ALL.len()],
    history: VecDeque<StoreEvent>,
    compacted: u64,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current revision (the revision of the last write).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// History at or below this revision is gone.
    pub fn compacted(&self) -> u64 {
        self.compacted
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&ObjectRef> {
        self.objects[kind.index()].get(namespace, name)
    }

    /// Objects of a kind in (namespace, name) order; all namespaces when `namespace` is None.
    pub fn list<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a ObjectRef> + 'a {
        let map = &self.objects[kind.index()];
        let (all, one) = match namespace {
            None => (Some(map.values()), None),
            Some(ns) => (None, Some(map.values_in(ns))),
        };
        all.into_iter().flatten().chain(one.into_iter().flatten())
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.objects[kind.index()].len()
    }

    fn commit(&mut self, type_: EventType, object: ObjectRef, prev: Option<ObjectRef>) {
        self.history.push_back(StoreEvent {
            revision: self.revision,
            type_,
            object,
            prev,
        });
    }

    /// Stores a new object; sets its resourceVersion.
    pub fn create(&mut self, mut obj: Object) -> Result<ObjectRef, StoreError> {
        let map = &self.objects[obj.kind().index()];
        if map.contains(&obj.meta().namespace, &obj.meta().name) {
            return Err(StoreError::AlreadyExists);
        }
        self.revision += 1;
        obj.meta_mut().resource_version = self.revision;
        let obj = Arc::new(obj);
        let m = obj.meta();
        self.objects[obj.kind().index()].insert(&m.namespace, &m.name, obj.clone());
        self.commit(EventType::Added, obj.clone(), None);
        Ok(obj)
    }

    /// Replaces an object. With `expected_rv` set, fails with Conflict unless it is the stored
    /// resourceVersion (optimistic concurrency).
    pub fn update(
        &mut self,
        mut obj: Object,
        expected_rv: Option<u64>,
    ) -> Result<ObjectRef, StoreError> {
        let kind = obj.kind();
        let prev = self.objects[kind.index()]
            .get(&obj.meta().namespace, &obj.meta().name)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        if expected_rv.is_some_and(|rv| rv != prev.meta().resource_version) {
            return Err(StoreError::Conflict);
        }
        self.revision += 1;
        obj.meta_mut().resource_version = self.revision;
        let obj = Arc::new(obj);
        let m = obj.meta();
        self.objects[kind.index()].insert(&m.namespace, &m.name, obj.clone());
        self.commit(EventType::Modified, obj.clone(), Some(prev));
        Ok(obj)
    }

    /// Removes an object; returns its last state stamped with the deletion revision.
    pub fn delete(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        expected_rv: Option<u64>,
    ) -> Result<ObjectRef, StoreError> {
        self.delete_as(kind, namespace, name, expected_rv, None)
    }

    /// Removes an object whose last state is `last` (an update that deletes it), or the
    /// stored state when None.
    pub fn delete_as(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        expected_rv: Option<u64>,
        last: Option<Object>,
    ) -> Result<ObjectRef, StoreError> {
        let prev = self.objects[kind.index()]
            .get(namespace, name)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        if expected_rv.is_some_and(|rv| rv != prev.meta().resource_version) {
            return Err(StoreError::Conflict);
        }
        self.objects[kind.index()].remove(namespace, name);
        self.revision += 1;
        let mut last = last.unwrap_or_else(|| (*prev).clone());
        last.meta_mut().resource_version = self.revision;
        let last = Arc::new(last);
        self.commit(EventType::Deleted, last.clone(), Some(prev));
        Ok(last)
    }

    /// Every write after revision `rev`, in order; Compacted if some of them are gone.
    pub fn events_since(
        &self,
        rev: u64,
    ) -> Result<impl Iterator<Item = &StoreEvent> + '_, StoreError> {
        if rev < self.compacted {
            return Err(StoreError::Compacted(self.compacted));
        }
        let first = self
            .history
            .front()
            .map_or(self.revision + 1, |e| e.revision);
        let skip = ((rev + 1).saturating_sub(first) as usize).min(self.history.len());
        Ok(self.history.range(skip..))
    }

    /// Drops history at or below `rev` (etcd compaction).
    pub fn compact(&mut self, rev: u64) {
        let rev = rev.min(self.revision);
        while self.history.front().is_some_and(|e| e.revision <= rev) {
            self.history.pop_front();
        }
        self.compacted = self.compacted.max(rev);
    }

    /// The most recent write, unless compacted away.
    pub fn last_event(&self) -> Option<&StoreEvent> {
        self.history.back()
    }

    /// Events kept in the history.
    pub fn history_len(&self) -> usize {
        self.history.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::lease::Lease;

    fn lease(name: &str) -> Object {
        let mut l = Lease::default();
        l.metadata.name = name.into();
        l.metadata.namespace = "kube-node-lease".into();
        Object::Lease(l)
    }

    #[test]
    fn one_global_revision_across_writes() {
        let mut s = Store::new();
        let a = s.create(lease("a")).unwrap();
        let b = s.create(lease("b")).unwrap();
        assert_eq!(a.meta().resource_version, 1);
        assert_eq!(b.meta().resource_version, 2);
        let a2 = s.update((*a).clone(), Some(1)).unwrap();
        assert_eq!(a2.meta().resource_version, 3);
        let gone = s.delete(Kind::Lease, "kube-node-lease", "b", None).unwrap();
        assert_eq!(gone.meta().resource_version, 4);
        assert_eq!(s.revision(), 4);
        assert_eq!(s.count(Kind::Lease), 1);
    }

    #[test]
    fn errors_table() {
        let mut s = Store::new();
        let a = s.create(lease("a")).unwrap();
        assert_eq!(s.create(lease("a")).unwrap_err(), StoreError::AlreadyExists);
        s.update((*a).clone(), Some(1)).unwrap();
        assert_eq!(
            s.update((*a).clone(), Some(1)).unwrap_err(),
            StoreError::Conflict,
            "stale resourceVersion"
        );
        assert_eq!(
            s.update(lease("zz"), None).unwrap_err(),
            StoreError::NotFound
        );
        assert_eq!(
            s.delete(Kind::Lease, "kube-node-lease", "zz", None)
                .unwrap_err(),
            StoreError::NotFound
        );
        assert!(s.update((*a).clone(), None).is_ok(), "unconditional update");
    }

    #[test]
    fn watch_from_revision_replays_later_writes_in_order() {
        let mut s = Store::new();
        for n in ["a", "b", "c", "d"] {
            s.create(lease(n)).unwrap();
        }
        let revs: Vec<u64> = s.events_since(2).unwrap().map(|e| e.revision).collect();
        assert_eq!(revs, [3, 4]);
        let all: Vec<u64> = s.events_since(0).unwrap().map(|e| e.revision).collect();
        assert_eq!(all, [1, 2, 3, 4]);
        assert_eq!(s.events_since(4).unwrap().count(), 0);
    }

    #[test]
    fn compacted_history_is_gone() {
        let mut s = Store::new();
        for n in ["a", "b", "c", "d"] {
            s.create(lease(n)).unwrap();
        }
        s.compact(3);
        assert_eq!(s.history_len(), 1);
        assert_eq!(s.events_since(2).err(), Some(StoreError::Compacted(3)));
        let revs: Vec<u64> = s.events_since(3).unwrap().map(|e| e.revision).collect();
        assert_eq!(revs, [4]);
    }
}
