//! The garbage collector's ownership graph and the graph builder that keeps it current from
//! informer events.
//!
//! Models pkg/controller/garbagecollector/graph.go (node, dependents, blockingDependents),
//! graph_builder.go (processGraphChanges, addDependentToOwners, referencesDiffs,
//! processTransitions, partitionDependents, getAlternateOwnerIdentity) and
//! absent_owner_cache.go (ReferenceCache). Nodes live in a petgraph `StableGraph` with edges
//! owner -> dependent, found by uid through a `BTreeMap`, so every walk is in a fixed order.
//! An observed node never changes kind here (each uid has one stored kind), so upstream's
//! apiVersion/kind update of observed nodes is left out.

use crate::api::apiserver::{FINALIZER_FOREGROUND, FINALIZER_ORPHAN};
use crate::api::{Object, OwnerReference};
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet};

/// `objectReference`: an owner reference's coordinates plus a namespace. The field order makes
/// the derived `Ord` upstream's `referenceLessThan` (kind, apiVersion, namespace, name, uid).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectReference {
    pub kind: String,
    pub api_version: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl ObjectReference {
    /// `identityFromEvent`: the object's own coordinates.
    pub fn of(o: &Object) -> Self {
        let m = o.meta();
        ObjectReference {
            kind: o.kind().as_str().into(),
            api_version: o.kind().api_version().into(),
            namespace: m.namespace.clone(),
            name: m.name.clone(),
            uid: m.uid.clone(),
        }
    }

    /// `ownerReferenceCoordinates` of `r`, placed in `namespace`.
    pub fn from_owner(r: &OwnerReference, namespace: &str) -> Self {
        ObjectReference {
            kind: r.kind.clone(),
            api_version: r.api_version.clone(),
            namespace: namespace.into(),
            name: r.name.clone(),
            uid: r.uid.clone(),
        }
    }

    /// `ownerReferenceMatchesCoordinates`: uid, name, kind and apiVersion agree.
    pub fn matches(&self, r: &OwnerReference) -> bool {
        self.uid == r.uid
            && self.name == r.name
            && self.kind == r.kind
            && self.api_version == r.api_version
    }
}

/// `node`: what the graph knows of one object.
#[derive(Clone, Debug, PartialEq)]
pub struct GcNode {
    pub identity: ObjectReference,
    pub owners: Vec<OwnerReference>,
    /// The object has a deletionTimestamp.
    pub being_deleted: bool,
    /// Being deleted with the foregroundDeletion finalizer.
    pub deleting_dependents: bool,
    /// Referenced as an owner but not (yet) observed through an informer.
    pub is_virtual: bool,
    /// Bumped whenever upstream would allocate a new node (insertion, identity replacement), so
    /// a queued key can tell whether it still names the node in the graph.
    pub incarnation: u64,
}

impl GcNode {
    fn new(identity: ObjectReference, owners: Vec<OwnerReference>) -> Self {
        GcNode {
            identity,
            owners,
            being_deleted: false,
            deleting_dependents: false,
            is_virtual: false,
            incarnation: 0,
        }
    }

    /// A key for the work queues naming this node instance.
    pub fn key(&self) -> QueueKey {
        QueueKey {
            identity: self.identity.clone(),
            incarnation: self.incarnation,
        }
    }
}

/// A work queue item: upstream queues node pointers; a key names one node instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    pub identity: ObjectReference,
    pub incarnation: u64,
}

/// The ownership graph (`uidToNode` plus each node's `dependents`).
#[derive(Debug, Default)]
pub struct Graph {
    g: StableGraph<GcNode, ()>,
    by_uid: BTreeMap<String, NodeIndex>,
    incarnations: u64,
}

impl Graph {
    pub fn get(&self, uid: &str) -> Option<&GcNode> {
        self.by_uid.get(uid).map(|&i| &self.g[i])
    }

    fn get_mut(&mut self, uid: &str) -> Option<&mut GcNode> {
        self.by_uid.get(uid).map(|&i| &mut self.g[i])
    }

    pub fn contains(&self, uid: &str) -> bool {
        self.by_uid.contains_key(uid)
    }

    pub fn len(&self) -> usize {
        self.by_uid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_uid.is_empty()
    }

    /// Nodes in uid order.
    pub fn nodes(&self) -> impl Iterator<Item = &GcNode> {
        self.by_uid.values().map(|&i| &self.g[i])
    }

    /// `uidToNode.Write`: adds `n`, or replaces the node with its uid keeping its edges.
    fn write(&mut self, mut n: GcNode) {
        self.incarnations += 1;
        n.incarnation = self.incarnations;
        match self.by_uid.get(&n.identity.uid) {
            Some(&i) => self.g[i] = n,
            None => {
                let uid = n.identity.uid.clone();
                let i = self.g.add_node(n);
                self.by_uid.insert(uid, i);
            }
        }
    }

    /// Removes the node and every edge to or from it.
    fn remove(&mut self, uid: &str) -> Option<GcNode> {
        let i = self.by_uid.remove(uid)?;
        self.g.remove_node(i)
    }

    /// The edge owner -> dependent, found among the dependent's few incoming edges (the
    /// owner's outgoing ones are all its dependents: 30,000 for a large ReplicaSet).
    fn edge(&self, o: NodeIndex, d: NodeIndex) -> Option<EdgeIndex> {
        self.g
            .edges_directed(d, Direction::Incoming)
            .find(|e| e.source() == o)
            .map(|e| e.id())
    }

    fn add_dependent(&mut self, owner: &str, dependent: &str) {
        if let (Some(&o), Some(&d)) = (self.by_uid.get(owner), self.by_uid.get(dependent)) {
            if self.edge(o, d).is_none() {
                self.g.add_edge(o, d, ());
            }
        }
    }

    fn delete_dependent(&mut self, owner: &str, dependent: &str) {
        if let (Some(&o), Some(&d)) = (self.by_uid.get(owner), self.by_uid.get(dependent)) {
            if let Some(e) = self.edge(o, d) {
                self.g.remove_edge(e);
            }
        }
    }

    /// Uids of the node's dependents, sorted (upstream walks a Go map in random order).
    pub fn dependents(&self, uid: &str) -> Vec<String> {
        let Some(&i) = self.by_uid.get(uid) else {
            return Vec::new();
        };
        let mut out: Vec<String> = self
            .g
            .neighbors_directed(i, Direction::Outgoing)
            .map(|d| self.g[d].identity.uid.clone())
            .collect();
        out.sort();
        out
    }

    /// `blockingDependents`: dependents whose reference to `uid` has blockOwnerDeletion true,
    /// once per such reference.
    pub fn blocking_dependents(&self, uid: &str) -> Vec<String> {
        let mut out = Vec::new();
        for d in self.dependents(uid) {
            let n = self.get(&d).expect("dependents are in the graph");
            for r in &n.owners {
                if r.uid == uid && r.block_owner_deletion == Some(true) {
                    out.push(d.clone());
                }
            }
        }
        out
    }
}

/// `ReferenceCache`: a least-recently-used set of references known to be absent.
#[derive(Debug)]
pub struct ReferenceCache {
    capacity: usize,
    tick: u64,
    by_ref: BTreeMap<ObjectReference, u64>,
    by_tick: BTreeMap<u64, ObjectReference>,
}

impl ReferenceCache {
    /// `NewReferenceCache(maxCacheEntries)`; the garbage collector uses 500.
    pub fn new(capacity: usize) -> Self {
        ReferenceCache {
            capacity,
            tick: 0,
            by_ref: BTreeMap::new(),
            by_tick: BTreeMap::new(),
        }
    }

    fn touch(&mut self, r: &ObjectReference) {
        self.tick += 1;
        if let Some(old) = self.by_ref.insert(r.clone(), self.tick) {
            self.by_tick.remove(&old);
        }
        self.by_tick.insert(self.tick, r.clone());
    }

    /// Adds `r` as the most recently used entry, evicting the least recently used one.
    pub fn add(&mut self, r: ObjectReference) {
        self.touch(&r);
        if self.by_ref.len() > self.capacity {
            if let Some((_, evicted)) = self.by_tick.pop_first() {
                self.by_ref.remove(&evicted);
            }
        }
    }

    /// Whether `r` is cached; a hit makes it the most recently used (lru.Cache.Get).
    pub fn has(&mut self, r: &ObjectReference) -> bool {
        if !self.by_ref.contains_key(r) {
            return false;
        }
        self.touch(r);
        true
    }

    pub fn len(&self) -> usize {
        self.by_ref.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_ref.is_empty()
    }

    /// Entries in reference order.
    pub fn entries(&self) -> impl Iterator<Item = &ObjectReference> {
        self.by_ref.keys()
    }
}

/// What the graph builder asks of the work queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enqueue {
    /// `attemptToDelete.Add`.
    Delete(QueueKey),
    /// `attemptToDelete.AddRateLimited`.
    DeleteRateLimited(QueueKey),
    /// `attemptToOrphan.Add`.
    Orphan(QueueKey),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Add,
    Update,
    Delete,
}

/// The metadata the graph builder reads from an object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectInfo {
    pub identity: ObjectReference,
    pub owners: Vec<OwnerReference>,
    /// deletionTimestamp is set.
    pub deleting: bool,
    pub finalizers: Vec<String>,
}

impl ObjectInfo {
    pub fn of(o: &Object) -> Self {
        let m = o.meta();
        ObjectInfo {
            identity: ObjectReference::of(o),
            owners: m.owner_references.clone(),
            deleting: m.deletion_timestamp.is_some(),
            finalizers: m.finalizers.clone(),
        }
    }

    fn has_finalizer(&self, f: &str) -> bool {
        self.finalizers.iter().any(|x| x == f)
    }
}

/// `event`: a change for the graph builder; `is_virtual` marks one the garbage collector made
/// up after the API server said the object does not exist.
#[derive(Clone, Debug)]
pub struct GraphEvent {
    pub type_: EventType,
    pub is_virtual: bool,
    pub obj: ObjectInfo,
    pub old: Option<ObjectInfo>,
}

impl GraphEvent {
    /// `enqueueVirtualDeleteEvent`.
    pub fn virtual_delete(identity: ObjectReference) -> Self {
        GraphEvent {
            type_: EventType::Delete,
            is_virtual: true,
            obj: ObjectInfo {
                identity,
                ..Default::default()
            },
            old: None,
        }
    }
}

/// `deletionStartsWithFinalizer`: `new` is being deleted with `f`, and `old` was not.
fn deletion_starts_with_finalizer(old: Option<&ObjectInfo>, new: &ObjectInfo, f: &str) -> bool {
    if !new.deleting || !new.has_finalizer(f) {
        return false;
    }
    old.is_none_or(|o| !o.deleting || !o.has_finalizer(f))
}

/// A reference whose blockOwnerDeletion went from true to unset or false.
struct ChangedRef {
    old: OwnerReference,
    new: OwnerReference,
}

/// `referencesDiffs`: references added, removed and changed (by uid) from `old` to `new`.
fn references_diffs(
    old: &[OwnerReference],
    new: &[OwnerReference],
) -> (Vec<OwnerReference>, Vec<OwnerReference>, Vec<ChangedRef>) {
    let by_uid: BTreeMap<&str, &OwnerReference> = old.iter().map(|r| (r.uid.as_str(), r)).collect();
    let mut unmatched: BTreeSet<&str> = by_uid.keys().copied().collect();
    let (mut added, mut changed) = (Vec::new(), Vec::new());
    for r in new {
        match by_uid.get(r.uid.as_str()) {
            Some(o) => {
                if *o != r {
                    changed.push(ChangedRef {
                        old: (*o).clone(),
                        new: r.clone(),
                    });
                }
                unmatched.remove(r.uid.as_str());
            }
            None => added.push(r.clone()),
        }
    }
    let removed = unmatched.into_iter().map(|u| by_uid[u].clone()).collect();
    (added, removed, changed)
}

/// `partitionDependents`: uids of dependents referring to `owner` with matching coordinates,
/// and of those referring to its uid with other coordinates (or from another namespace). A
/// dependent can be in both.
pub fn partition_dependents(
    deps: &[&GcNode],
    owner: &ObjectReference,
) -> (Vec<String>, Vec<String>) {
    let namespaced = !owner.namespace.is_empty();
    let (mut matching, mut nonmatching) = (Vec::new(), Vec::new());
    for d in deps {
        let (mut hit, mut miss) = (false, false);
        if namespaced && owner.namespace != d.identity.namespace {
            miss = true;
        } else {
            for r in d.owners.iter().filter(|r| r.uid == owner.uid) {
                if owner.matches(r) {
                    hit = true;
                } else {
                    miss = true;
                }
            }
        }
        if hit {
            matching.push(d.identity.uid.clone());
        }
        if miss {
            nonmatching.push(d.identity.uid.clone());
        }
    }
    (matching, nonmatching)
}

/// `getAlternateOwnerIdentity`: another identity `deps` give the owner with `absent`'s uid: the
/// first one after `absent` in reference order, else the first one.
pub fn alternate_owner_identity(
    deps: &[&GcNode],
    absent: &ObjectReference,
) -> Option<ObjectReference> {
    let cluster_scoped = absent.namespace.is_empty();
    let mut seen: BTreeSet<ObjectReference> = BTreeSet::from([absent.clone()]);
    let (mut first, mut following): (Option<ObjectReference>, Option<ObjectReference>) =
        (None, None);
    for d in deps {
        for r in d.owners.iter().filter(|r| r.uid == absent.uid) {
            if absent.matches(r) && (cluster_scoped || absent.namespace == d.identity.namespace) {
                continue;
            }
            let mut alt = ObjectReference::from_owner(r, &d.identity.namespace);
            if cluster_scoped && alt.api_version == absent.api_version && alt.kind == absent.kind {
                alt.namespace.clear();
            }
            if !seen.insert(alt.clone()) {
                continue;
            }
            if first.as_ref().is_none_or(|f| alt < *f) {
                first = Some(alt.clone());
            }
            if *absent < alt && following.as_ref().is_none_or(|f| alt < *f) {
                following = Some(alt);
            }
        }
    }
    following.or(first)
}

/// `GraphBuilder`: applies events to the graph and says which nodes to queue.
#[derive(Debug)]
pub struct GraphBuilder {
    pub graph: Graph,
    /// `absentOwnerCache`, shared with the garbage collector.
    pub absent_owners: ReferenceCache,
    out: Vec<Enqueue>,
}

/// Capacity of the absent owner cache (`NewReferenceCache(500)` in NewDependencyGraphBuilder).
pub const ABSENT_OWNER_CACHE_SIZE: usize = 500;

impl Default for GraphBuilder {
    fn default() -> Self {
        GraphBuilder {
            graph: Graph::default(),
            absent_owners: ReferenceCache::new(ABSENT_OWNER_CACHE_SIZE),
            out: Vec::new(),
        }
    }
}

impl GraphBuilder {
    /// What the events processed so far asked to queue, in order.
    pub fn take_enqueued(&mut self) -> Vec<Enqueue> {
        std::mem::take(&mut self.out)
    }

    fn enqueue_delete(&mut self, uid: &str) {
        if let Some(n) = self.graph.get(uid) {
            self.out.push(Enqueue::Delete(n.key()));
        }
    }

    fn nodes_of(&self, uids: &[String]) -> Vec<&GcNode> {
        uids.iter().filter_map(|u| self.graph.get(u)).collect()
    }

    /// `processGraphChanges` for one event.
    pub fn process(&mut self, ev: &GraphEvent) {
        let uid = ev.obj.identity.uid.clone();
        let found = self.graph.contains(&uid);
        if found && !ev.is_virtual {
            self.observe(&ev.obj.identity);
        }
        match (ev.type_, found) {
            (EventType::Add | EventType::Update, false) => self.insert_new(ev),
            (EventType::Add | EventType::Update, true) => self.update_existing(ev),
            (EventType::Delete, false) => {}
            (EventType::Delete, true) => self.process_delete(ev),
        }
    }

    /// Marks a virtual node observed; if it was known by other coordinates, takes the observed
    /// ones and queues the dependents that disagree with them.
    fn observe(&mut self, observed: &ObjectReference) {
        let node = self.graph.get(&observed.uid).expect("found").clone();
        if !node.is_virtual {
            return;
        }
        if node.identity != *observed {
            let deps = self.graph.dependents(&observed.uid);
            let (_, invalid) = partition_dependents(&self.nodes_of(&deps), observed);
            for d in invalid {
                self.enqueue_delete(&d);
            }
            let mut replaced = node;
            replaced.identity = observed.clone();
            self.graph.write(replaced);
        }
        if let Some(n) = self.graph.get_mut(&observed.uid) {
            n.is_virtual = false;
        }
    }

    fn insert_new(&mut self, ev: &GraphEvent) {
        let info = &ev.obj;
        let mut n = GcNode::new(info.identity.clone(), info.owners.clone());
        n.being_deleted = info.deleting;
        n.deleting_dependents = info.deleting && info.has_finalizer(FINALIZER_FOREGROUND);
        self.graph.write(n);
        self.add_dependent_to_owners(&info.identity.uid, &info.owners);
        self.process_transitions(ev.old.as_ref(), info);
    }

    fn update_existing(&mut self, ev: &GraphEvent) {
        let info = &ev.obj;
        let uid = &info.identity.uid;
        let current = self.graph.get(uid).expect("found").owners.clone();
        let (added, removed, changed) = references_diffs(&current, &info.owners);
        if !added.is_empty() || !removed.is_empty() || !changed.is_empty() {
            self.add_unblocked_owners_to_delete_queue(&removed, &changed);
            self.graph.get_mut(uid).expect("found").owners = info.owners.clone();
            self.add_dependent_to_owners(uid, &added);
            for r in &removed {
                self.graph.delete_dependent(&r.uid, uid);
            }
        }
        if info.deleting {
            self.graph.get_mut(uid).expect("found").being_deleted = true;
        }
        self.process_transitions(ev.old.as_ref(), info);
    }

    /// `addUnblockedOwnersToDeleteQueue`: owners a removed or unblocked blocking reference
    /// pointed at may now finish their foreground deletion.
    fn add_unblocked_owners_to_delete_queue(
        &mut self,
        removed: &[OwnerReference],
        changed: &[ChangedRef],
    ) {
        for r in removed {
            if r.block_owner_deletion == Some(true) {
                self.enqueue_delete(&r.uid);
            }
        }
        for c in changed {
            let was_blocked = c.old.block_owner_deletion == Some(true);
            if was_blocked && c.new.block_owner_deletion != Some(true) {
                self.enqueue_delete(&c.new.uid);
            }
        }
    }

    /// `addDependentToOwners`: links `dependent` under each owner, creating (and queueing)
    /// virtual nodes for owners not in the graph; queues the dependent when a reference
    /// disagrees with an owner already known.
    pub fn add_dependent_to_owners(&mut self, dependent: &str, owners: &[OwnerReference]) {
        let Some(dep_ns) = self
            .graph
            .get(dependent)
            .map(|n| n.identity.namespace.clone())
        else {
            return;
        };
        let mut invalid = false;
        for r in owners {
            let known = self.graph.contains(&r.uid);
            if !known {
                let mut v = GcNode::new(ObjectReference::from_owner(r, &dep_ns), Vec::new());
                v.is_virtual = true;
                self.graph.write(v);
            }
            self.graph.add_dependent(&r.uid, dependent);
            if !known {
                self.enqueue_delete(&r.uid);
            } else if !invalid {
                invalid = self.reference_disagrees(r, &dep_ns);
            }
        }
        if invalid {
            self.enqueue_delete(dependent);
        }
    }

    /// The checks of addDependentToOwners on an owner already in the graph.
    fn reference_disagrees(&self, r: &OwnerReference, dep_ns: &str) -> bool {
        let owner = self.graph.get(&r.uid).expect("known");
        let namespaced = !owner.identity.namespace.is_empty();
        if namespaced && owner.identity.namespace != dep_ns {
            return true;
        }
        if !owner.identity.matches(r) {
            return true;
        }
        !namespaced && owner.identity.namespace != dep_ns && owner.is_virtual
    }

    /// `removeDependentFromOwners`.
    pub fn remove_dependent_from_owners(&mut self, dependent: &str, owners: &[OwnerReference]) {
        for r in owners {
            self.graph.delete_dependent(&r.uid, dependent);
        }
    }

    /// `processTransitions`: deletion with the orphan finalizer queues the node for orphaning;
    /// with foregroundDeletion it marks it deleting dependents and queues it and its dependents.
    fn process_transitions(&mut self, old: Option<&ObjectInfo>, new: &ObjectInfo) {
        let uid = &new.identity.uid;
        if deletion_starts_with_finalizer(old, new, FINALIZER_ORPHAN) {
            let key = self.graph.get(uid).expect("in graph").key();
            self.out.push(Enqueue::Orphan(key));
            return;
        }
        if deletion_starts_with_finalizer(old, new, FINALIZER_FOREGROUND) {
            self.graph
                .get_mut(uid)
                .expect("in graph")
                .deleting_dependents = true;
            for d in self.graph.dependents(uid) {
                self.enqueue_delete(&d);
            }
            self.enqueue_delete(uid);
        }
    }

    fn process_delete(&mut self, ev: &GraphEvent) {
        let deleted = &ev.obj.identity;
        let existing = self.graph.get(&deleted.uid).expect("found").clone();
        let keep = ev.is_virtual && self.keep_after_virtual_delete(&existing, deleted);
        if keep {
            return;
        }
        let deps = self.graph.dependents(&deleted.uid);
        self.graph.remove(&deleted.uid);
        if !deps.is_empty() {
            self.absent_owners.add(deleted.clone());
        }
        for d in &deps {
            self.enqueue_delete(d);
        }
        for r in &existing.owners {
            if self
                .graph
                .get(&r.uid)
                .is_some_and(|o| o.deleting_dependents)
            {
                self.enqueue_delete(&r.uid);
            }
        }
    }

    /// The virtual-delete branch of processGraphChanges: whether the node stays because some
    /// dependents know it by other coordinates (or it was observed with other coordinates).
    /// Dependents matching the deleted coordinates are queued; a virtual node whose own
    /// coordinates were deleted switches to an alternate identity.
    fn keep_after_virtual_delete(&mut self, existing: &GcNode, deleted: &ObjectReference) -> bool {
        let deps = self.graph.dependents(&deleted.uid);
        let nodes = self.nodes_of(&deps);
        let (matching, nonmatching) = partition_dependents(&nodes, deleted);
        let alternate = alternate_owner_identity(&self.nodes_of(&nonmatching), deleted);
        if existing.is_virtual && nonmatching.is_empty() {
            return false;
        }
        if !existing.is_virtual && existing.identity == *deleted {
            return false;
        }
        if !matching.is_empty() {
            self.absent_owners.add(deleted.clone());
            for d in &matching {
                self.enqueue_delete(d);
            }
        }
        if existing.is_virtual && existing.identity == *deleted {
            if let Some(alt) = alternate {
                let mut replaced = existing.clone();
                replaced.identity = alt;
                self.graph.write(replaced);
                let key = self.graph.get(&deleted.uid).expect("written").key();
                self.out.push(Enqueue::DeleteRateLimited(key));
            }
        }
        true
    }
}
