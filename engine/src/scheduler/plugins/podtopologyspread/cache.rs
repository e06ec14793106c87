//! Matching pods per node and per topology value, kept up to date from the snapshot's change
//! log so that PreFilter, PreScore and Score need not match every pod's labels each cycle.
//! Not in upstream (pkg/scheduler/framework/plugins/podtopologyspread recounts each cycle);
//! the counts are exactly `countPodsMatchSelector`'s.

use super::common::{count_pods_match_selector, Selector};
use crate::api::Node;
use crate::scheduler::framework::PodInfo;
use crate::scheduler::snapshot::{Change, Snapshot};
use std::collections::BTreeMap;

/// Selectors kept at most; the least recently used one goes first (few in tests, so that
/// entries are evicted).
const MAX_ENTRIES: usize = if cfg!(test) { 4 } else { 256 };

/// What `countPodsMatchSelector` counts: a non-empty selector matching a pod in `ns` that is
/// not terminating.
fn counts(pod: &PodInfo, selector: &Selector, ns: &str) -> bool {
    let m = &pod.pod().metadata;
    !selector.is_empty()
        && m.deletion_timestamp.is_none()
        && m.namespace == ns
        && selector.matches(&m.labels)
}

/// Nodes, and matching pods on them, with one topology value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Domain {
    pub nodes: u32,
    pub pods: i64,
}

/// Domains of one topology key over the nodes that have every `required` label; a node
/// without the key (when not required) is in domain "".
#[derive(Clone, Debug)]
struct Totals {
    key: String,
    required: Vec<String>,
    domains: BTreeMap<String, Domain>,
}

impl Totals {
    fn value_of<'a>(&self, node: &'a Node) -> Option<&'a str> {
        let labels = &node.metadata.labels;
        if !self.required.iter().all(|k| labels.contains_key(k)) {
            return None;
        }
        Some(labels.get(&self.key).map_or("", String::as_str))
    }

    fn domain(&mut self, value: &str) -> &mut Domain {
        if !self.domains.contains_key(value) {
            self.domains.insert(value.to_string(), Domain::default());
        }
        self.domains.get_mut(value).expect("inserted")
    }
}

/// The counts of one (namespace, selector), as of log position `pos`.
#[derive(Clone, Debug)]
pub struct Entry {
    pos: u64,
    used: u64,
    /// Matching pods by node slot.
    counts: Vec<i64>,
    totals: Vec<Totals>,
}

impl Entry {
    fn recount(snapshot: &Snapshot, ns: &str, selector: &Selector) -> Self {
        Entry {
            pos: snapshot.log_end(),
            used: 0,
            counts: snapshot
                .slots()
                .iter()
                .map(|n| count_pods_match_selector(&n.pods, selector, ns))
                .collect(),
            totals: Vec::new(),
        }
    }

    fn catch_up(&mut self, snapshot: &Snapshot, ns: &str, selector: &Selector) {
        let Some(changes) = snapshot.log_since(self.pos) else {
            *self = Entry::recount(snapshot, ns, selector);
            return;
        };
        let slots = snapshot.slots();
        self.counts.resize(slots.len(), 0);
        for c in changes {
            match c {
                Change::NodeAdded { slot } => {
                    for t in &mut self.totals {
                        if let Some(v) = t.value_of(&slots[*slot].node) {
                            t.domain(v).nodes += 1;
                        }
                    }
                }
                Change::Pod { slot, pod, delta } => {
                    if !counts(pod, selector, ns) {
                        continue;
                    }
                    self.counts[*slot] += delta;
                    for t in &mut self.totals {
                        if let Some(v) = t.value_of(&slots[*slot].node) {
                            t.domain(v).pods += delta;
                        }
                    }
                }
            }
        }
        self.pos = snapshot.log_end();
    }

    /// Matching pods on the node at `slot` (`countPodsMatchSelector` of its pods).
    pub fn count(&self, slot: usize) -> i64 {
        self.counts.get(slot).copied().unwrap_or(0)
    }

    /// The domains of `key` over the nodes having every `required` label (sorted, without
    /// repeats): each value with its nodes and the matching pods on them.
    pub fn domains(
        &mut self,
        snapshot: &Snapshot,
        key: &str,
        required: &[String],
    ) -> &BTreeMap<String, Domain> {
        let i = match self
            .totals
            .iter()
            .position(|t| t.key == key && t.required == required)
        {
            Some(i) => i,
            None => {
                let mut t = Totals {
                    key: key.to_string(),
                    required: required.to_vec(),
                    domains: BTreeMap::new(),
                };
                for (slot, n) in snapshot.slots().iter().enumerate() {
                    if let Some(v) = t.value_of(&n.node) {
                        let d = t.domain(v);
                        d.nodes += 1;
                        d.pods += self.counts[slot];
                    }
                }
                self.totals.push(t);
                self.totals.len() - 1
            }
        };
        &self.totals[i].domains
    }
}

/// Each node slot's value of one topology key, as an index into `values` (None: the node
/// has no such label), so that a cycle compares integers instead of label strings.
#[derive(Clone, Debug, Default)]
pub struct NodeValues {
    key: String,
    log_id: u64,
    /// The distinct values, by index.
    pub values: Vec<String>,
    ids: BTreeMap<String, u32>,
    /// By node slot.
    pub by_slot: Vec<Option<u32>>,
}

impl NodeValues {
    /// Brought up to date with `snapshot`: nodes added since get their values; a new log
    /// (slots moved, labels changed) starts over.
    fn refresh(&mut self, snapshot: &Snapshot) {
        if self.log_id != snapshot.log_id() {
            self.log_id = snapshot.log_id();
            self.values.clear();
            self.ids.clear();
            self.by_slot.clear();
        }
        let slots = snapshot.slots();
        for n in &slots[self.by_slot.len().min(slots.len())..] {
            let id = n.node.metadata.labels.get(&self.key).map(|v| {
                *self.ids.entry(v.clone()).or_insert_with(|| {
                    self.values.push(v.clone());
                    (self.values.len() - 1) as u32
                })
            });
            self.by_slot.push(id);
        }
    }
}

/// The entries of one snapshot log, by namespace and selector.
#[derive(Debug, Default)]
pub struct SpreadCache {
    log_id: u64,
    tick: u64,
    len: usize,
    entries: BTreeMap<String, BTreeMap<Selector, Entry>>,
    node_values: Vec<NodeValues>,
}

impl SpreadCache {
    /// Each node slot's value of topology key `key`, up to date with `snapshot`.
    pub fn node_values(&mut self, snapshot: &Snapshot, key: &str) -> &NodeValues {
        let i = match self.node_values.iter().position(|v| v.key == key) {
            Some(i) => i,
            None => {
                if self.node_values.len() >= MAX_ENTRIES {
                    self.node_values.remove(0);
                }
                self.node_values.push(NodeValues {
                    key: key.to_string(),
                    log_id: snapshot.log_id(),
                    ..Default::default()
                });
                self.node_values.len() - 1
            }
        };
        let v = &mut self.node_values[i];
        v.refresh(snapshot);
        v
    }

    /// The counts of pods in `ns` matching `selector`, up to date with `snapshot`.
    pub fn entry(&mut self, snapshot: &Snapshot, ns: &str, selector: &Selector) -> &mut Entry {
        if self.log_id != snapshot.log_id() {
            self.log_id = snapshot.log_id();
            self.entries.clear();
            self.len = 0;
        }
        self.tick += 1;
        let present = self
            .entries
            .get(ns)
            .is_some_and(|m| m.contains_key(selector));
        if !present {
            if self.len >= MAX_ENTRIES {
                self.evict_least_recently_used();
            }
            self.len += 1;
            self.entries
                .entry(ns.to_string())
                .or_default()
                .insert(selector.clone(), Entry::recount(snapshot, ns, selector));
        }
        let e = self
            .entries
            .get_mut(ns)
            .and_then(|m| m.get_mut(selector))
            .expect("present");
        e.used = self.tick;
        if e.pos != snapshot.log_end() {
            e.catch_up(snapshot, ns, selector);
        }
        e
    }

    fn evict_least_recently_used(&mut self) {
        let oldest = self
            .entries
            .iter()
            .flat_map(|(ns, m)| m.iter().map(move |(s, e)| (e.used, ns, s)))
            .min_by_key(|(used, _, _)| *used)
            .map(|(_, ns, s)| (ns.clone(), s.clone()));
        if let Some((ns, s)) = oldest {
            let m = self.entries.get_mut(&ns).expect("found");
            m.remove(&s);
            if m.is_empty() {
                self.entries.remove(&ns);
            }
            self.len -= 1;
        }
    }
}

/// The plugin's cache.
pub type CacheCell = crate::scheduler::plugin_cache::PluginCache<SpreadCache>;

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
