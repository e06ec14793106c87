//! The scheduler's view of the cluster: every node with its pods, in node-tree order.
//! Models pkg/scheduler/backend/cache/cache.go (AddPod/RemovePod/AssumePod, images per node),
//! pkg/scheduler/backend/cache/node_tree.go (zones interleaved) and
//! pkg/scheduler/backend/cache/snapshot.go (the list plugins iterate).

use super::framework::{NodeInfo, PodInfo};
use crate::api::{Node, ObjectRef};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// (namespace, name) of a pod.
pub type PodKey = (String, String);

/// `utilnode.GetZoneKey`: region and zone labels (the beta labels as fallback); "" without both.
pub fn zone_key(node: &Node) -> String {
    let l = &node.metadata.labels;
    let zone = l
        .get("topology.kubernetes.io/zone")
        .or_else(|| l.get("failure-domain.beta.kubernetes.io/zone"));
    let region = l
        .get("topology.kubernetes.io/region")
        .or_else(|| l.get("failure-domain.beta.kubernetes.io/region"));
    match (region, zone) {
        (None, None) => String::new(),
        (r, z) => format!(
            "{}:\x00:{}",
            r.map_or("", String::as_str),
            z.map_or("", String::as_str)
        ),
    }
}

/// Entries kept in the placement log; past this the older half is dropped (few in tests, so
/// that caches fall behind).
const LOG_CAPACITY: usize = if cfg!(test) { 64 } else { 65_536 };

/// A process-wide unique number, fresh on every clone: a cache filled from one snapshot's log
/// never mistakes another (or a copy that then diverged) for it.
#[derive(Debug, PartialEq, Eq)]
struct LogId(u64);

impl LogId {
    fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        LogId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for LogId {
    fn default() -> Self {
        LogId::fresh()
    }
}

impl Clone for LogId {
    fn clone(&self) -> Self {
        LogId::fresh()
    }
}

/// One change of what the nodes hold, for caches that follow the snapshot incrementally.
#[derive(Clone, Debug)]
pub enum Change {
    /// A pod was counted (`delta` 1) or stopped being counted (-1) on the node at this slot.
    Pod {
        slot: usize,
        pod: Arc<PodInfo>,
        delta: i64,
    },
    /// A node was added at this slot (its pods follow as `Pod` changes).
    NodeAdded { slot: usize },
}

/// The changes since the log's id was last renewed, at absolute positions `start..`. Removing a
/// node (slots move) or changing a node's labels renews the id: caches then recount.
#[derive(Clone, Debug, Default)]
struct ChangeLog {
    id: LogId,
    start: u64,
    changes: Vec<Change>,
}

impl ChangeLog {
    fn push(&mut self, c: Change) {
        if self.changes.len() >= LOG_CAPACITY {
            let half = LOG_CAPACITY / 2;
            self.changes.drain(..half);
            self.start += half as u64;
        }
        self.changes.push(c);
    }

    fn reset(&mut self) {
        self.id = LogId::fresh();
        self.start = 0;
        self.changes.clear();
    }
}

/// Whether two infos of a pod count alike for label-selector counts (namespace, labels,
/// deletion timestamp).
fn counts_alike(a: &PodInfo, b: &PodInfo) -> bool {
    let (a, b) = (&a.pod().metadata, &b.pod().metadata);
    a.namespace == b.namespace
        && a.deletion_timestamp == b.deletion_timestamp
        && a.labels == b.labels
}

/// Nodes and the pods on them.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Nodes by storage index ("slot").
    nodes: Vec<NodeInfo>,
    index: BTreeMap<String, usize>,
    /// Zones in order of first appearance, each with its nodes (storage indices) in order of
    /// addition.
    tree: Vec<(String, Vec<usize>)>,
    /// Storage indices in node-tree order (round-robin over zones); computed when first asked
    /// for after a node was added, moved or removed.
    order: OnceCell<Vec<usize>>,
    /// Each node's position in name order, by storage index; computed when first asked for
    /// after a node was added or removed.
    name_rank: OnceCell<Vec<u32>>,
    /// Pod placements and node additions, for incremental caches.
    log: ChangeLog,
    /// Normalized image name -> number of nodes that have it.
    image_nodes: BTreeMap<String, usize>,
    /// Pod -> the node it is bound or assumed to.
    placed: BTreeMap<PodKey, String>,
    /// Pods placed on nodes not known (yet), by node name.
    orphans: BTreeMap<String, Vec<Arc<PodInfo>>>,
    /// Nodes with pods that have pod (anti-)affinity terms.
    affinity_nodes: BTreeSet<String>,
    /// Nodes with pods that have required anti-affinity terms.
    anti_affinity_nodes: BTreeSet<String>,
    /// Services and ReplicaSets by (namespace, name): the selectors PodTopologySpread's
    /// system default constraints use (helper.DefaultSelector).
    services: BTreeMap<PodKey, ObjectRef>,
    replica_sets: BTreeMap<PodKey, ObjectRef>,
    /// Pods nominated to a node by preemption and not bound yet, by node (the queue's
    /// PodNominator, pkg/scheduler/backend/queue/nominator.go).
    nominated: BTreeMap<String, Vec<Arc<PodInfo>>>,
    nominated_node: BTreeMap<PodKey, String>,
}

impl Snapshot {
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot of these nodes and objects: pods with a nodeName are placed on their node
    /// (others are left out); Services and ReplicaSets are kept for their selectors.
    pub fn from_objects(nodes: Vec<Node>, objects: &[ObjectRef]) -> Self {
        let mut s = Snapshot::new();
        for n in nodes {
            s.set_node(n);
        }
        for o in objects {
            match o.as_ref() {
                crate::api::Object::Pod(p) if !p.spec.node_name.is_empty() => {
                    let node = p.spec.node_name.clone();
                    s.add_pod(Arc::new(PodInfo::new(o.clone())), &node);
                }
                _ => s.set_owner_object(o.clone()),
            }
        }
        s
    }

    /// Adds or replaces a Service or ReplicaSet (other kinds are ignored).
    pub fn set_owner_object(&mut self, obj: ObjectRef) {
        let m = obj.meta();
        let key = (m.namespace.clone(), m.name.clone());
        match obj.kind() {
            crate::api::Kind::Service => {
                self.services.insert(key, obj);
            }
            crate::api::Kind::ReplicaSet => {
                self.replica_sets.insert(key, obj);
            }
            _ => {}
        }
    }

    /// Removes a Service or ReplicaSet.
    pub fn remove_owner_object(&mut self, kind: crate::api::Kind, namespace: &str, name: &str) {
        let key = (namespace.to_string(), name.to_string());
        match kind {
            crate::api::Kind::Service => {
                self.services.remove(&key);
            }
            crate::api::Kind::ReplicaSet => {
                self.replica_sets.remove(&key);
            }
            _ => {}
        }
    }

    /// Services in a namespace, by name.
    pub fn services(&self, namespace: &str) -> impl Iterator<Item = &crate::api::Service> + '_ {
        let ns = namespace.to_string();
        self.services
            .range((ns.clone(), String::new())..)
            .take_while(move |((n, _), _)| *n == ns)
            .filter_map(|(_, o)| match o.as_ref() {
                crate::api::Object::Service(s) => Some(s),
                _ => None,
            })
    }

    /// ReplicaSets in a namespace, by name.
    pub fn replica_sets(
        &self,
        namespace: &str,
    ) -> impl Iterator<Item = &crate::api::ReplicaSet> + '_ {
        let ns = namespace.to_string();
        self.replica_sets
            .range((ns.clone(), String::new())..)
            .take_while(move |((n, _), _)| *n == ns)
            .filter_map(|(_, o)| match o.as_ref() {
                crate::api::Object::ReplicaSet(r) => Some(r),
                _ => None,
            })
    }

    /// Records that `pod` is nominated to `node` (replacing an earlier nomination), or with
    /// an empty node, that it is not nominated any more.
    pub fn set_nominated(&mut self, pod: Arc<PodInfo>, node: &str) {
        let key = pod.key();
        self.clear_nominated(&key);
        if node.is_empty() {
            return;
        }
        self.nominated_node.insert(key, node.to_string());
        self.nominated
            .entry(node.to_string())
            .or_default()
            .push(pod);
    }

    /// Forgets a pod's nomination (it was bound or deleted).
    pub fn clear_nominated(&mut self, key: &PodKey) {
        if let Some(node) = self.nominated_node.remove(key) {
            if let Some(list) = self.nominated.get_mut(&node) {
                list.retain(|p| p.key() != *key);
                if list.is_empty() {
                    self.nominated.remove(&node);
                }
            }
        }
    }

    /// Whether any pod is nominated to `node`.
    pub fn has_nominated(&self, node: &str) -> bool {
        self.nominated.contains_key(node)
    }

    /// Pods nominated to `node` that `pod` must leave room for: priority at least `pod`'s,
    /// not `pod` itself (addGENominatedPods).
    pub fn nominated_for(&self, node: &str, pod: &PodInfo) -> Vec<Arc<PodInfo>> {
        let Some(list) = self.nominated.get(node) else {
            return vec![];
        };
        let prio = pod.pod().spec.priority.unwrap_or(0);
        let uid = &pod.pod().metadata.uid;
        list.iter()
            .filter(|p| p.pod().spec.priority.unwrap_or(0) >= prio && p.pod().metadata.uid != *uid)
            .cloned()
            .collect()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The i-th node in node-tree order.
    pub fn at(&self, i: usize) -> &NodeInfo {
        &self.nodes[self.order()[i]]
    }

    /// All nodes in node-tree order (`NodeInfos().List()`).
    pub fn list(&self) -> impl Iterator<Item = &NodeInfo> + '_ {
        self.order().iter().map(|&i| &self.nodes[i])
    }

    /// All nodes in storage order: `slots()[s]` is the node at slot `s`.
    pub fn slots(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// The slot of `node` when it is this snapshot's own NodeInfo (not a copy).
    pub fn slot_of(&self, node: &NodeInfo) -> Option<usize> {
        let size = std::mem::size_of::<NodeInfo>();
        let base = self.nodes.as_ptr() as usize;
        let off = (node as *const NodeInfo as usize).checked_sub(base)?;
        let slot = off / size;
        (off % size == 0 && slot < self.nodes.len()).then_some(slot)
    }

    /// The placement log's id: it changes when slots move or node labels change.
    pub fn log_id(&self) -> u64 {
        self.log.id.0
    }

    /// The absolute position after the last change.
    pub fn log_end(&self) -> u64 {
        self.log.start + self.log.changes.len() as u64
    }

    /// The changes from absolute position `pos` on; None when they were dropped.
    pub fn log_since(&self, pos: u64) -> Option<&[Change]> {
        let i = pos.checked_sub(self.log.start)?;
        self.log.changes.get(i as usize..)
    }

    pub fn get(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    /// Nodes with pods that have pod (anti-)affinity (`HavePodsWithAffinityList`), by name.
    pub fn have_pods_with_affinity(&self) -> impl Iterator<Item = &NodeInfo> + '_ {
        self.affinity_nodes.iter().filter_map(|n| self.get(n))
    }

    /// Nodes with pods that have required anti-affinity (`HavePodsWithRequiredAntiAffinityList`).
    pub fn have_pods_with_required_anti_affinity(&self) -> impl Iterator<Item = &NodeInfo> + '_ {
        self.anti_affinity_nodes.iter().filter_map(|n| self.get(n))
    }

    /// How many nodes have this (normalized) image.
    pub fn num_nodes_with_image(&self, image: &str) -> usize {
        self.image_nodes.get(image).copied().unwrap_or(0)
    }

    /// The node a pod is bound or assumed to.
    pub fn node_of(&self, key: &PodKey) -> Option<&str> {
        self.placed.get(key).map(String::as_str)
    }

    /// The position in name order of the node at node-tree position `i`: comparing ranks
    /// compares names.
    pub fn name_rank(&self, i: usize) -> u32 {
        let ranks = self.name_rank.get_or_init(|| {
            let mut ranks = vec![0; self.nodes.len()];
            for (rank, &n) in self.index.values().enumerate() {
                ranks[n] = rank as u32;
            }
            ranks
        });
        ranks[self.order()[i]]
    }

    /// Storage indices in node-tree order: the zones' i-th nodes for each i in turn.
    fn order(&self) -> &[usize] {
        self.order.get_or_init(|| {
            let mut order = Vec::with_capacity(self.nodes.len());
            let longest = self.tree.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
            for i in 0..longest {
                for (_, nodes) in &self.tree {
                    if let Some(&n) = nodes.get(i) {
                        order.push(n);
                    }
                }
            }
            order
        })
    }

    /// Forgets the node order (and name ranks) after nodes were added, moved or removed.
    fn rebuild_order(&mut self) {
        self.name_rank.take();
        self.order.take();
    }

    fn count_images(&mut self, info_idx: usize, delta: isize) {
        for img in self.nodes[info_idx].images.keys() {
            let e = self.image_nodes.entry(img.clone()).or_default();
            *e = e.saturating_add_signed(delta);
            if *e == 0 {
                self.image_nodes.remove(img);
            }
        }
    }

    fn tree_remove(&mut self, zone: &str, node: usize) {
        if let Some(z) = self.tree.iter().position(|(k, _)| k == zone) {
            self.tree[z].1.retain(|&n| n != node);
            if self.tree[z].1.is_empty() {
                self.tree.remove(z);
            }
        }
    }

    fn tree_add(&mut self, zone: String, node: usize) {
        match self.tree.iter_mut().find(|(k, _)| *k == zone) {
            Some((_, nodes)) => nodes.push(node),
            None => self.tree.push((zone, vec![node])),
        }
    }

    /// Adds a node or replaces its object (AddNode/UpdateNode).
    pub fn set_node(&mut self, node: Node) {
        let name = node.metadata.name.clone();
        let zone = zone_key(&node);
        match self.index.get(&name).copied() {
            Some(i) => {
                let old_zone = zone_key(&self.nodes[i].node);
                if self.nodes[i].node.metadata.labels != node.metadata.labels {
                    self.log.reset();
                }
                self.count_images(i, -1);
                self.nodes[i].set_node(node);
                self.count_images(i, 1);
                if old_zone != zone {
                    self.tree_remove(&old_zone, i);
                    self.tree_add(zone, i);
                    self.rebuild_order();
                }
            }
            None => {
                let mut info = NodeInfo::new(node);
                let i = self.nodes.len();
                self.log.push(Change::NodeAdded { slot: i });
                for p in self.orphans.remove(&name).unwrap_or_default() {
                    self.log.push(Change::Pod {
                        slot: i,
                        pod: p.clone(),
                        delta: 1,
                    });
                    info.add_pod(p);
                }
                self.index.insert(name.clone(), i);
                self.nodes.push(info);
                self.count_images(i, 1);
                self.track_affinity(&name);
                self.tree_add(zone, i);
                self.rebuild_order();
            }
        }
    }

    /// Removes a node (RemoveNode); its pods wait as orphans until they are removed too.
    pub fn remove_node(&mut self, name: &str) {
        let Some(i) = self.index.remove(name) else {
            return;
        };
        self.log.reset();
        self.count_images(i, -1);
        self.tree_remove(&zone_key(&self.nodes[i].node), i);
        let last = self.nodes.len() - 1;
        let info = self.nodes.swap_remove(i);
        if i < self.nodes.len() {
            self.index.insert(self.nodes[i].name.clone(), i);
            // The last node moved to position i.
            for (_, nodes) in &mut self.tree {
                for n in nodes.iter_mut().filter(|n| **n == last) {
                    *n = i;
                }
            }
        }
        if !info.pods.is_empty() {
            self.orphans.insert(name.to_string(), info.pods.clone());
        }
        self.affinity_nodes.remove(name);
        self.anti_affinity_nodes.remove(name);
        self.rebuild_order();
    }

    fn track_affinity(&mut self, node: &str) {
        let Some(info) = self.get(node) else { return };
        let (aff, anti) = (
            !info.pods_with_affinity.is_empty(),
            !info.pods_with_required_anti_affinity.is_empty(),
        );
        for (set, on) in [
            (&mut self.affinity_nodes, aff),
            (&mut self.anti_affinity_nodes, anti),
        ] {
            if on {
                set.insert(node.to_string());
            } else {
                set.remove(node);
            }
        }
    }

    /// Counts a pod on a node (AddPod, or AssumePod before the binding is seen). Replacing a
    /// pod on the same node by one that counts alike (a status update) is not logged.
    pub fn add_pod(&mut self, pod: Arc<PodInfo>, node: &str) {
        let old = self.take_pod(&pod.key());
        self.placed.insert(pod.key(), node.to_string());
        let slot = match self.index.get(node) {
            Some(&i) => {
                self.nodes[i].add_pod(pod.clone());
                self.track_affinity(node);
                Some(i)
            }
            None => {
                self.orphans
                    .entry(node.to_string())
                    .or_default()
                    .push(pod.clone());
                None
            }
        };
        let old = old.and_then(|(_, s, p)| Some((s?, p)));
        if let (Some((s, p)), Some(i)) = (&old, slot) {
            if *s == i && counts_alike(p, &pod) {
                return;
            }
        }
        if let Some((slot, pod)) = old {
            self.log.push(Change::Pod {
                slot,
                pod,
                delta: -1,
            });
        }
        if let Some(slot) = slot {
            self.log.push(Change::Pod {
                slot,
                pod,
                delta: 1,
            });
        }
    }

    /// Stops counting a pod (RemovePod, ForgetPod); returns its node and info.
    pub fn remove_pod(&mut self, key: &PodKey) -> Option<(String, Arc<PodInfo>)> {
        let (node, slot, p) = self.take_pod(key)?;
        if let Some(slot) = slot {
            self.log.push(Change::Pod {
                slot,
                pod: p.clone(),
                delta: -1,
            });
        }
        Some((node, p))
    }

    /// Removes a pod without logging it: its node, the node's slot when known, and its info.
    fn take_pod(&mut self, key: &PodKey) -> Option<(String, Option<usize>, Arc<PodInfo>)> {
        let node = self.placed.remove(key)?;
        let removed = match self.index.get(&node).copied() {
            Some(i) => {
                let p = self.nodes[i].remove_pod(&key.0, &key.1);
                self.track_affinity(&node);
                p.map(|p| (Some(i), p))
            }
            None => {
                let list = self.orphans.get_mut(&node)?;
                let j = list.iter().position(|p| p.key() == *key)?;
                let p = list.swap_remove(j);
                if list.is_empty() {
                    self.orphans.remove(&node);
                }
                Some((None, p))
            }
        };
        removed.map(|(slot, p)| (node, slot, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Pod;

    fn node(name: &str, zone: Option<&str>) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        if let Some(z) = zone {
            n.metadata
                .labels
                .insert("topology.kubernetes.io/zone".into(), z.into());
        }
        n
    }

    fn names(s: &Snapshot) -> Vec<&str> {
        s.list().map(|n| n.name.as_str()).collect()
    }

    /// node_tree_test.go TestNodeTree_List-like: zones interleave in order of first appearance.
    #[test]
    fn node_tree_interleaves_zones() {
        let mut s = Snapshot::new();
        for (n, z) in [
            ("a1", "a"),
            ("a2", "a"),
            ("a3", "a"),
            ("b1", "b"),
            ("c1", "c"),
            ("b2", "b"),
        ] {
            s.set_node(node(n, Some(z)));
        }
        assert_eq!(names(&s), ["a1", "b1", "c1", "a2", "b2", "a3"]);
        s.remove_node("b1");
        assert_eq!(names(&s), ["a1", "b2", "c1", "a2", "a3"]);
        s.remove_node("c1");
        assert_eq!(names(&s), ["a1", "b2", "a2", "a3"]);
        // A zone change moves the node to the end of its new zone.
        s.set_node(node("a1", Some("b")));
        assert_eq!(names(&s), ["a2", "b2", "a3", "a1"]);
    }

    /// The node order, computed lazily, is the one computed afresh after every change.
    #[test]
    fn lazy_node_order_follows_random_node_changes() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut s = Snapshot::new();
        for _ in 0..400 {
            let r = rng.next_u64();
            let name = format!("n{}", r % 13);
            if r % 5 == 0 {
                s.remove_node(&name);
            } else {
                let zone = ["a", "b", "c", "d"][(r / 13 % 4) as usize];
                s.set_node(node(&name, (r % 7 != 0).then_some(zone)));
            }
            let mut fresh = s.clone();
            fresh.rebuild_order();
            assert_eq!(names(&s), names(&fresh));
            let ranks = |s: &Snapshot| (0..s.len()).map(|i| s.name_rank(i)).collect::<Vec<_>>();
            assert_eq!(ranks(&s), ranks(&fresh));
        }
    }

    #[test]
    fn pods_follow_their_node_through_removal_and_return() {
        let mut s = Snapshot::new();
        s.set_node(node("n", None));
        let mut p = Pod::default();
        p.metadata.name = "p".into();
        p.metadata.namespace = "default".into();
        s.add_pod(Arc::new(PodInfo::from_pod(p)), "n");
        assert_eq!(s.get("n").unwrap().pod_count(), 1);
        s.remove_node("n");
        s.set_node(node("n", None));
        assert_eq!(s.get("n").unwrap().pod_count(), 1);
        let key = ("default".to_string(), "p".to_string());
        assert_eq!(s.node_of(&key), Some("n"));
        assert!(s.remove_pod(&key).is_some());
        assert_eq!(s.get("n").unwrap().pod_count(), 0);
    }
}
