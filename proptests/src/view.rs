//! What the scheduler may have seen when it decided: the trace's node versions and bound pods,
//! with when each pod surely was (or possibly was) in the scheduler's cache, and the checks of
//! the filters that depend on other pods (NodePorts, required pod anti-affinity, hard topology
//! spread) on that view.
//!
//! A component sees a write at most [`STALE_VIEW_US`] later, or that long after an API server
//! outage the write falls in ends ([`Lag`]). The scheduler's own placements are in its cache from
//! its decision (it assumes the pod) until it sees the pod deleted or terminal. A check flags a
//! bind only when every view the scheduler may have had breaks the filter: a pod counts against
//! the bind only if it surely was in the cache, and spread's global minimum is taken over the
//! most pods that possibly were.

use crate::filters::{
    host_ports, ports_conflict, required_anti_affinity, required_node_affinity, term_matches,
    untolerated, HardSpread,
};
use crate::invariants::STALE_VIEW_US;
use crate::run::{Line, Obj, Run};
use kubesim::api::{Node, Pod};
use kubesim::sim::format_duration;
use std::collections::{BTreeMap, BTreeSet};

/// A point of the trace: its line's seq (the order) and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct At {
    pub seq: u64,
    pub t: u64,
}

impl At {
    fn of(l: &Line) -> At {
        At {
            seq: l.seq,
            t: l.t_us,
        }
    }
}

/// How late components see writes: [`STALE_VIEW_US`], or that long after an API server outage
/// that begins before they surely saw the write ends.
#[derive(Default)]
pub struct Lag {
    /// (start, end) of each ApiServerDown (end u64::MAX if it never ends).
    outages: Vec<(u64, u64)>,
}

impl Lag {
    pub fn of(run: &Run) -> Lag {
        let mut outages: Vec<(u64, u64)> = Vec::new();
        for l in run.lines.iter().filter(|l| l.verb == "fault") {
            let Obj::Json(v) = &l.object else { continue };
            if v["type"] != "ApiServerDown" {
                continue;
            }
            if v["ended"] == true {
                if let Some(o) = outages.iter_mut().rev().find(|o| o.1 == u64::MAX) {
                    o.1 = l.t_us;
                }
            } else {
                outages.push((l.t_us, u64::MAX));
            }
        }
        Lag { outages }
    }

    /// When a component surely has seen a write made at `t`.
    pub fn sure(&self, t: u64) -> u64 {
        let mut s = t.saturating_add(STALE_VIEW_US);
        loop {
            let mut changed = false;
            for (a, b) in &self.outages {
                let after = b.saturating_add(STALE_VIEW_US);
                if *a <= s && *b >= t && after > s {
                    s = after;
                    changed = true;
                }
            }
            if !changed {
                return s;
            }
        }
    }

    /// The earliest time whose writes a component may not have seen at `d` (`sure` is
    /// monotonic: a binary search).
    pub fn stale_from(&self, d: u64) -> u64 {
        let (mut lo, mut hi) = (0u64, d);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.sure(mid) > d {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// Whether an outage begins in `[from, to]`.
    fn outage_in(&self, from: u64, to: u64) -> bool {
        self.outages.iter().any(|(a, _)| *a >= from && *a <= to)
    }
}

/// Node versions in trace order: (time, the node or None once deleted).
#[derive(Default)]
pub struct NodeHistory {
    versions: BTreeMap<String, Vec<(u64, Option<Node>)>>,
}

impl NodeHistory {
    pub fn record(&mut self, l: &Line) {
        if let Some(n) = l.node() {
            let v = (l.verb != "delete").then(|| n.clone());
            self.versions
                .entry(n.metadata.name.clone())
                .or_default()
                .push((l.t_us, v));
        }
    }

    pub fn of(run: &Run) -> NodeHistory {
        let mut h = NodeHistory::default();
        run.lines.iter().for_each(|l| h.record(l));
        h
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.versions.keys()
    }

    pub fn current(&self, name: &str) -> Option<&Node> {
        self.versions.get(name)?.last()?.1.as_ref()
    }

    /// When the node was first written.
    pub fn first_seen(&self, name: &str) -> Option<u64> {
        Some(self.versions.get(name)?.first()?.0)
    }

    /// The versions current at some time in `[from, to]` (None: the node did not exist).
    pub fn during(&self, name: &str, from: u64, to: u64) -> Vec<Option<&Node>> {
        let Some(vs) = self.versions.get(name) else {
            return vec![None];
        };
        let first = vs.partition_point(|(at, _)| *at <= from);
        let mut out: Vec<Option<&Node>> = Vec::new();
        out.push(if first == 0 {
            None
        } else {
            vs[first - 1].1.as_ref()
        });
        out.extend(
            vs[first..]
                .iter()
                .take_while(|(at, _)| *at <= to)
                .map(|(_, n)| n.as_ref()),
        );
        out
    }
}

/// A bound pod's life as the trace shows it.
struct Life {
    pod: Pod,
    node: String,
    /// The scheduler's decision (it assumed the pod then); None: created bound.
    placed: Option<At>,
    /// The bind, or the creation of a pod created bound.
    bound: At,
    /// The first write with a deletionTimestamp.
    terminating: Option<At>,
    /// Deleted, or terminal.
    gone: Option<At>,
    /// A placement whose bind failed: only possibly in the cache, until `gone` exactly.
    phantom: bool,
}

/// The bound pods of a run and the node versions, to ask what the scheduler saw at a decision.
pub struct View<'a> {
    lag: Lag,
    nodes: NodeHistory,
    lives: Vec<Life>,
    on_node: BTreeMap<String, Vec<usize>>,
    by_uid: BTreeMap<String, usize>,
    /// Each scheduler bind: (line index, decision).
    binds: Vec<(usize, At)>,
    /// The scheduler's first decision for each node (it knew the node from then on).
    first_placed: BTreeMap<String, At>,
    run: &'a Run,
}

/// A scheduling decision that selected a node: when, the node, the pod then, whether a bind
/// followed.
type Decision = (At, String, Pod, bool);

fn key(l: &Line) -> (String, String) {
    (l.namespace.clone(), l.name.clone())
}

impl<'a> View<'a> {
    pub fn build(run: &'a Run) -> View<'a> {
        let lag = Lag::of(run);
        let nodes = NodeHistory::of(run);
        let mut lives: Vec<Life> = Vec::new();
        let mut by_uid: BTreeMap<String, usize> = BTreeMap::new();
        let mut latest: BTreeMap<(String, String), Pod> = BTreeMap::new();
        // Per pod key: decisions with a node (decision, node, the pod then, bound?).
        let mut decisions: BTreeMap<(String, String), Vec<Decision>> = BTreeMap::new();
        // Every decision's time per key, to end phantoms at the next one.
        let mut attempts: BTreeMap<(String, String), Vec<At>> = BTreeMap::new();
        let mut binds: Vec<(usize, At)> = Vec::new();
        for (i, l) in run.lines.iter().enumerate() {
            if l.verb == "schedule" {
                attempts.entry(key(l)).or_default().push(At::of(l));
                if let Obj::Json(v) = &l.object {
                    if let (Some(sel), Some(p)) = (v["selected"].as_str(), latest.get(&key(l))) {
                        decisions.entry(key(l)).or_default().push((
                            At::of(l),
                            sel.to_string(),
                            p.clone(),
                            false,
                        ));
                    }
                }
                continue;
            }
            if !l.is_write() {
                continue;
            }
            let Some(p) = l.pod() else { continue };
            let uid = p.metadata.uid.clone();
            if l.verb == "delete" {
                latest.remove(&key(l));
            } else {
                latest.insert(key(l), p.clone());
            }
            let node = p.spec.node_name.clone();
            if l.verb == "bind" && !by_uid.contains_key(&uid) {
                let d = decisions.get_mut(&key(l)).and_then(|ds| {
                    ds.iter_mut()
                        .rev()
                        .find(|(_, n, _, bound)| *n == node && !bound)
                });
                let placed = match d {
                    Some(d) => {
                        d.3 = true;
                        d.0
                    }
                    None => At::of(l),
                };
                binds.push((i, placed));
                by_uid.insert(uid.clone(), lives.len());
                lives.push(Life {
                    pod: p.clone(),
                    node,
                    placed: Some(placed),
                    bound: At::of(l),
                    terminating: None,
                    gone: None,
                    phantom: false,
                });
            } else if l.verb == "create" && !node.is_empty() && !by_uid.contains_key(&uid) {
                by_uid.insert(uid.clone(), lives.len());
                lives.push(Life {
                    pod: p.clone(),
                    node,
                    placed: None,
                    bound: At::of(l),
                    terminating: None,
                    gone: None,
                    phantom: false,
                });
            }
            if let Some(&i) = by_uid.get(&uid) {
                let life = &mut lives[i];
                if life.terminating.is_none() && p.metadata.deletion_timestamp.is_some() {
                    life.terminating = Some(At::of(l));
                }
                if life.gone.is_none() && (l.verb == "delete" || p.is_terminal()) {
                    life.gone = Some(At::of(l));
                }
            }
        }
        // Placements without a bind: possibly in the cache until the pod's next attempt.
        for (k, ds) in decisions {
            for (at, node, pod, bound) in ds {
                if bound {
                    continue;
                }
                let next = attempts
                    .get(&k)
                    .and_then(|a| a.iter().find(|x| **x > at).copied());
                lives.push(Life {
                    pod,
                    node,
                    placed: Some(at),
                    bound: at,
                    terminating: None,
                    gone: next,
                    phantom: true,
                });
            }
        }
        let mut on_node: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut first_placed: BTreeMap<String, At> = BTreeMap::new();
        for (i, l) in lives.iter().enumerate() {
            on_node.entry(l.node.clone()).or_default().push(i);
            if let Some(p) = l.placed {
                let f = first_placed.entry(l.node.clone()).or_insert(p);
                *f = (*f).min(p);
            }
        }
        View {
            lag,
            nodes,
            lives,
            on_node,
            by_uid,
            binds,
            first_placed,
            run,
        }
    }

    /// `x` surely was in the scheduler's cache at decision `d`: its own placement before `d`
    /// (unless an outage may have lost the bind's response: then once the bind is surely seen),
    /// or a pod created bound surely seen by then; and not deleted or terminal before `d`.
    fn surely(&self, x: &Life, d: At) -> bool {
        if x.phantom {
            return false;
        }
        let there = match x.placed {
            Some(p) => {
                p < d
                    && (!self.lag.outage_in(p.t, x.bound.t + 1_000_000)
                        || self.lag.sure(x.bound.t) <= d.t)
            }
            None => self.lag.sure(x.bound.t) <= d.t,
        };
        there && x.gone.is_none_or(|g| g > d)
    }

    /// `x` possibly was in the scheduler's cache at `d`.
    fn possibly(&self, x: &Life, d: At) -> bool {
        let from = x.placed.unwrap_or(x.bound);
        from < d
            && x.gone.is_none_or(|g| {
                if x.phantom {
                    g > d
                } else {
                    self.lag.sure(g.t) > d.t
                }
            })
    }

    /// Surely in the cache and not yet seen terminating.
    fn surely_live(&self, x: &Life, d: At) -> bool {
        self.surely(x, d) && x.terminating.is_none_or(|t| t > d)
    }

    /// Possibly in the cache and not surely seen terminating.
    fn possibly_live(&self, x: &Life, d: At) -> bool {
        self.possibly(x, d) && x.terminating.is_none_or(|t| self.lag.sure(t.t) > d.t)
    }

    /// The node versions the scheduler may have had at `d`. A node it surely knew (it placed a
    /// pod there before, or the node's creation is surely seen) was there from the start of
    /// the window.
    fn versions(&self, node: &str, d: At) -> Vec<Option<&Node>> {
        let mut vs = self.nodes.during(node, self.lag.stale_from(d.t), d.t);
        let known = self.first_placed.get(node).is_some_and(|p| *p <= d)
            || self
                .nodes
                .first_seen(node)
                .is_some_and(|t| self.lag.sure(t) <= d.t);
        if known && vs.len() > 1 && vs[0].is_none() {
            vs.remove(0);
        }
        vs
    }

    /// The node's label `key` if every version it may have had at `d` has that value.
    fn stable_label(&self, node: &str, key: &str, d: At) -> Option<String> {
        let vs = self.versions(node, d);
        let first = vs.first()?.as_ref()?.metadata.labels.get(key)?.clone();
        vs.iter()
            .all(|n| n.is_some_and(|n| n.metadata.labels.get(key) == Some(&first)))
            .then_some(first)
    }

    /// Checks every scheduler bind against NodePorts, required pod anti-affinity (both ways)
    /// and hard topology spread on the pods that surely (for spread's minimum: possibly) were
    /// in the scheduler's cache.
    pub fn check_binds(&self) -> Result<(), String> {
        for (i, d) in &self.binds {
            let l = &self.run.lines[*i];
            let Some(b) = l.pod() else { continue };
            let node = &b.spec.node_name;
            let what = format!(
                "at {} (line {}): pod {}/{} bound to {node}, decided at {}",
                format_duration(l.t_us),
                l.seq,
                b.metadata.namespace,
                b.metadata.name,
                format_duration(d.t)
            );
            let me = self.by_uid.get(&b.metadata.uid).copied();
            let others = |n: &str| {
                self.on_node
                    .get(n)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(move |j| Some(*j) != me)
                    .map(|j| &self.lives[j])
            };
            let name = |x: &Life| format!("{}/{}", x.pod.metadata.namespace, x.pod.metadata.name);
            // NodePorts.
            let mine = host_ports(b);
            if !mine.is_empty() {
                for x in others(node).filter(|x| self.surely(x, *d)) {
                    for p in host_ports(&x.pod) {
                        if let Some(q) = mine.iter().find(|q| ports_conflict(q, &p)) {
                            return Err(format!(
                                "{what}: NodePorts: hostPort {}/{} is used by pod {} there",
                                q.2,
                                q.1,
                                name(x)
                            ));
                        }
                    }
                }
            }
            // Required pod anti-affinity, the pod's terms and the existing pods' terms.
            let same_domain = |other: &str, key: &str| {
                let v = self.stable_label(node, key, *d);
                v.is_some() && v == self.stable_label(other, key, *d)
            };
            let anti = required_anti_affinity(b);
            for n in self.nodes.names() {
                for x in others(n).filter(|x| self.surely(x, *d)) {
                    for term in anti {
                        if term_matches(term, b, &x.pod) && same_domain(n, &term.topology_key) {
                            return Err(format!(
                                "{what}: InterPodAffinity: its required anti-affinity term ({}) selects pod {} on {n}",
                                term.topology_key,
                                name(x)
                            ));
                        }
                    }
                    for term in required_anti_affinity(&x.pod) {
                        if term_matches(term, &x.pod, b) && same_domain(n, &term.topology_key) {
                            return Err(format!(
                                "{what}: InterPodAffinity: pod {} on {n} has a required anti-affinity term ({}) that selects it",
                                name(x),
                                term.topology_key
                            ));
                        }
                    }
                }
            }
            self.check_spread(b, node, *d, &what)?;
        }
        Ok(())
    }

    /// Hard topology spread (PodTopologySpread Filter): for each DoNotSchedule constraint,
    /// matching pods on the candidate's domain (surely counted) + self - the global minimum
    /// (the most it may have been: over the domains surely eligible, counting every pod
    /// possibly there; 0 if fewer than minDomains domains may have been eligible) must not
    /// exceed maxSkew. Eligible nodes have every hard constraint's key and pass its node
    /// inclusion policies; pods being deleted are not counted.
    fn check_spread(&self, b: &Pod, node: &str, d: At, what: &str) -> Result<(), String> {
        let hard = HardSpread::of(b);
        if hard.is_empty() {
            return Ok(());
        }
        let keys: Vec<&str> = hard.iter().map(|c| c.topology_key.as_str()).collect();
        let has_keys = |n: &Node| keys.iter().all(|k| n.metadata.labels.contains_key(*k));
        for c in &hard {
            let key = c.topology_key.as_str();
            let eligible = |n: &Option<&Node>| n.is_some_and(|n| has_keys(n) && c.includes(b, n));
            // value -> nodes surely eligible with it; value -> nodes possibly eligible with it.
            let mut sure: BTreeMap<String, Vec<&String>> = BTreeMap::new();
            let mut poss: BTreeMap<String, Vec<&String>> = BTreeMap::new();
            for n in self.nodes.names() {
                let vs = self.versions(n, d);
                if vs.iter().all(eligible) {
                    if let Some(v) = self.stable_label(n, key, d) {
                        sure.entry(v).or_default().push(n);
                    }
                }
                let values: BTreeSet<String> = vs
                    .iter()
                    .filter(|v| eligible(v))
                    .filter_map(|v| v.and_then(|n| n.metadata.labels.get(key).cloned()))
                    .collect();
                for v in values {
                    poss.entry(v).or_default().push(n);
                }
            }
            let cand_versions = self.versions(node, d);
            if cand_versions
                .iter()
                .all(|n| n.is_none_or(|n| !n.metadata.labels.contains_key(key)))
            {
                return Err(format!(
                    "{what}: PodTopologySpread: the node has no label {key}"
                ));
            }
            let Some(value) = self.stable_label(node, key, d) else {
                continue;
            };
            let count = |nodes: Option<&Vec<&String>>, live: &dyn Fn(&Life) -> bool| -> i64 {
                nodes
                    .into_iter()
                    .flatten()
                    .flat_map(|n| self.on_node.get(*n).into_iter().flatten())
                    .map(|j| &self.lives[*j])
                    .filter(|x| x.pod.metadata.uid != b.metadata.uid)
                    .filter(|x| live(x) && c.counts(b, &x.pod))
                    .count() as i64
            };
            let here = count(sure.get(&value), &|x| self.surely_live(x, d));
            // A domain's count in the view is at most the pods possibly there on nodes
            // possibly eligible with its value.
            let Some(min) = sure
                .keys()
                .map(|u| count(poss.get(u), &|x| self.possibly_live(x, d)))
                .min()
            else {
                continue;
            };
            let min = if (poss.len() as i64) < c.min_domains {
                0
            } else {
                min
            };
            let own = i64::from(c.counts(b, b));
            if here + own - min > c.max_skew {
                return Err(format!(
                    "{what}: PodTopologySpread: {here} matching pods in {key}={value} + {own} - global minimum at most {min} > maxSkew {} (minDomains {}, {} domains)",
                    c.max_skew,
                    c.min_domains,
                    sure.len()
                ));
            }
        }
        Ok(())
    }

    /// Pods the DaemonSet controller creates bound are on a node that, in some version it may
    /// have seen, passes NodeShouldRunDaemonPod's predicates: the required node affinity and
    /// nodeSelector, and no untolerated NoSchedule or NoExecute taint.
    pub fn check_daemon_pods(&self, actor: &str) -> Result<(), String> {
        for l in self
            .run
            .lines
            .iter()
            .filter(|l| l.verb == "create" && l.actor == actor)
        {
            let Some(p) = l.pod() else { continue };
            let node = &p.spec.node_name;
            if node.is_empty() {
                continue;
            }
            let from = self.lag.stale_from(l.t_us);
            let failures: Vec<String> = self
                .nodes
                .during(node, from, l.t_us)
                .into_iter()
                .map(|n| {
                    let Some(n) = n else {
                        return Err("the node does not exist".to_string());
                    };
                    required_node_affinity(p, n)?;
                    match untolerated(
                        &n.spec.taints,
                        &p.spec.tolerations,
                        &["NoSchedule", "NoExecute"],
                    ) {
                        Some(t) => Err(format!(
                            "untolerated taint {}={}:{}",
                            t.key, t.value, t.effect
                        )),
                        None => Ok(()),
                    }
                })
                .filter_map(Result::err)
                .collect();
            let versions = self.nodes.during(node, from, l.t_us).len();
            if failures.len() == versions {
                return Err(format!(
                    "at {} (line {}): DaemonSet pod {}/{} created on {node}: {}",
                    format_duration(l.t_us),
                    l.seq,
                    p.metadata.namespace,
                    p.metadata.name,
                    failures.last().cloned().unwrap_or_default()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_extends_over_outages() {
        let lag = Lag {
            outages: vec![(100_000_000, 190_000_000)],
        };
        assert_eq!(lag.sure(0), STALE_VIEW_US);
        // A write 20 s before an outage of 90 s: seen 60 s after it ends.
        assert_eq!(lag.sure(80_000_000), 250_000_000);
        assert_eq!(lag.stale_from(60_000_000), 1);
        assert_eq!(lag.stale_from(200_000_000), 40_000_000);
        assert_eq!(lag.stale_from(400_000_000), 340_000_001);
    }
}
