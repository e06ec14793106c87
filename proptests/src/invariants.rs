//! The invariants checked on every fuzzed run, each on the trace (replayed line by line) and the
//! final store. They are written from Kubernetes' semantics, not with the engine's helpers (the
//! toleration match, selectors and affinity are upstream's, written again in [`crate::filters`]).
//!
//! Components see the store through informers, which lag behind the trace: up to a link's
//! latency normally, and after a watch breaks up to the reflector's back-off (at most 30 s plus
//! 100 % jitter). Where a check compares what a component did with the state it acted on, it
//! accepts any state of the last [`STALE_VIEW_US`] before the decision.

use crate::auditor::{End, Filter, Seen, Stream};
pub use crate::filters::tolerates;
use crate::filters::{
    host_ports, required_anti_affinity, required_node_affinity, selector_matches, untolerated,
};
use crate::run::{Line, Obj, Run};
use crate::view::{NodeHistory, View};
use kubesim::api::pod::Toleration;
use kubesim::api::{Deployment, IntOrString, Kind, Node, Object, Pod, ReplicaSet, Taint};
use kubesim::sim::format_duration;
use std::collections::{BTreeMap, BTreeSet};

/// How stale a component's view of the store may be (60 s).
pub const STALE_VIEW_US: u64 = 60_000_000;

/// The taint-eviction controller's actor name in the trace.
pub const TAINT_EVICTION: &str = kubesim::cluster::TAINT_EVICTION_CONTROLLER;
const DEPLOYMENT_CONTROLLER: &str = kubesim::cluster::DEPLOYMENT_CONTROLLER;
const DAEMONSET_CONTROLLER: &str = kubesim::cluster::DAEMONSET_CONTROLLER;
const SCHEDULER: &str = kubesim::cluster::SCHEDULER;

/// An invariant: Ok, or what is wrong.
pub type Check = fn(&Run) -> Result<(), String>;

/// Every invariant, by name. A run where the engine panicked passes all but
/// `engine_does_not_panic` (there is nothing to check).
pub const INVARIANTS: &[(&str, Check)] = &[
    ("engine_does_not_panic", engine_does_not_panic),
    ("no_pod_bound_twice", no_pod_bound_twice),
    ("binds_pass_hard_filters", binds_pass_hard_filters),
    ("no_overcommit", no_overcommit),
    ("resource_versions_increase", resource_versions_increase),
    ("watch_streams_in_order", watch_streams_in_order),
    (
        "taint_evictions_respect_toleration_seconds",
        taint_evictions_respect_toleration_seconds,
    ),
    (
        "rollouts_within_surge_and_unavailable",
        rollouts_within_surge_and_unavailable,
    ),
    (
        "replicas_running_after_quiet_period",
        replicas_running_after_quiet_period,
    ),
    ("trace_replays_to_final_store", trace_replays_to_final_store),
    (
        "preemption_only_evicts_lower_priority",
        preemption_only_evicts_lower_priority,
    ),
];

/// The invariant named `name`.
pub fn by_name(name: &str) -> Option<Check> {
    INVARIANTS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

fn t(us: u64) -> String {
    format_duration(us)
}

// ----- shared helpers -----

/// Requests in milli-units: cpu, memory, pods (a pod takes 1000 milli-pods).
type Amounts = [i64; 3];
const RESOURCES: [&str; 3] = ["cpu", "memory", "pods"];

fn request(p: &Pod) -> Amounts {
    [p.request_milli("cpu"), p.request_milli("memory"), 1000]
}

fn allocatable(n: &Node) -> Amounts {
    RESOURCES.map(|r| n.allocatable(r))
}

fn over(used: &Amounts, alloc: &Amounts) -> Option<String> {
    (0..3).find(|&i| used[i] > alloc[i]).map(|i| {
        format!(
            "{} milli-{} requested, allocatable {}",
            used[i], RESOURCES[i], alloc[i]
        )
    })
}

fn pod_key(p: &Pod) -> String {
    format!("{}/{}", p.metadata.namespace, p.metadata.name)
}

// ----- the invariants -----

/// The engine never panics.
pub fn engine_does_not_panic(run: &Run) -> Result<(), String> {
    match &run.panic {
        Some(p) => Err(format!("the engine panicked: {p}")),
        None => Ok(()),
    }
}

/// A pod is bound once (one `bind` line, or created with `spec.nodeName`) and keeps its node;
/// the final store agrees.
pub fn no_pod_bound_twice(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    let mut node_of: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    for l in run.lines.iter().filter(|l| l.is_write()) {
        let Some(p) = l.pod() else { continue };
        let (uid, node) = (p.metadata.uid.as_str(), p.spec.node_name.as_str());
        let at = t(l.t_us);
        if l.verb == "bind" {
            if let Some((n, seq)) = node_of.get(uid) {
                return Err(format!(
                    "at {at} (line {}): pod {} (uid {uid}) bound to {node:?}, but it was bound to {n:?} at line {seq}",
                    l.seq,
                    pod_key(p)
                ));
            }
            if node.is_empty() {
                return Err(format!("at {at}: bind of {} without nodeName", pod_key(p)));
            }
            node_of.insert(uid, (node, l.seq));
            continue;
        }
        match (node_of.get(uid), node.is_empty()) {
            (Some((n, _)), _) if *n != node => {
                return Err(format!(
                    "at {at} (line {}, {}): pod {} moved from {n:?} to {node:?}",
                    l.seq,
                    l.verb,
                    pod_key(p)
                ))
            }
            (None, false) if l.verb == "create" => {
                node_of.insert(uid, (node, l.seq));
            }
            (None, false) => {
                return Err(format!(
                    "at {at} (line {}, {}): pod {} got nodeName {node:?} without a bind",
                    l.seq,
                    l.verb,
                    pod_key(p)
                ))
            }
            _ => {}
        }
    }
    for p in run.pods() {
        let node = p.spec.node_name.as_str();
        let traced = node_of.get(p.metadata.uid.as_str()).map(|(n, _)| *n);
        if !node.is_empty() && traced != Some(node) {
            return Err(format!(
                "final store: pod {} is on {node:?}, the trace bound it to {traced:?}",
                pod_key(p)
            ));
        }
    }
    Ok(())
}

/// Pods the scheduler placed never request more of a node than it has allocatable (cpu,
/// memory, pods), at any point of the trace. Pods created bound (DaemonSet pods) bypass the
/// scheduler and kubesim's kubelet admits everything, so they are not counted here; the
/// scheduler's accounting of them is checked by `binds_pass_hard_filters`.
pub fn no_overcommit(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    let mut alloc: BTreeMap<String, Amounts> = BTreeMap::new();
    let mut used: BTreeMap<String, Amounts> = BTreeMap::new();
    let mut placed: BTreeMap<String, (String, Amounts)> = BTreeMap::new();
    for l in run.lines.iter().filter(|l| l.is_write()) {
        if let Some(n) = l.node() {
            let name = n.metadata.name.clone();
            if l.verb == "delete" {
                alloc.remove(&name);
            } else {
                alloc.insert(name.clone(), allocatable(n));
            }
            if let (Some(u), Some(a)) = (used.get(&name), alloc.get(&name)) {
                if let Some(e) = over(u, a) {
                    return Err(format!("at {}: node {name}: {e}", t(l.t_us)));
                }
            }
            continue;
        }
        let Some(p) = l.pod() else { continue };
        let uid = &p.metadata.uid;
        if l.verb == "bind" {
            let req = request(p);
            let node = p.spec.node_name.clone();
            let u = used.entry(node.clone()).or_default();
            for (x, r) in u.iter_mut().zip(req) {
                *x += r;
            }
            placed.insert(uid.clone(), (node.clone(), req));
            if let Some(a) = alloc.get(&node) {
                if let Some(e) = over(u, a) {
                    return Err(format!(
                        "at {} (bind of {}): node {node}: {e}",
                        t(l.t_us),
                        pod_key(p)
                    ));
                }
            }
        } else if l.verb == "delete" || p.is_terminal() {
            if let Some((node, req)) = placed.remove(uid) {
                let u = used.get_mut(&node).expect("a placed pod's node");
                for (x, r) in u.iter_mut().zip(req) {
                    *x -= r;
                }
            }
        }
    }
    Ok(())
}

/// Why `node` fails a filter on the node's own state for `pod`, if it does: the node is gone,
/// unschedulable (untolerated), has an untolerated NoSchedule or NoExecute taint, or fails the
/// nodeSelector or required node affinity.
fn filter_failure(pod: &Pod, node: Option<&Node>) -> Option<String> {
    let Some(n) = node else {
        return Some("the node does not exist".into());
    };
    let tols = &pod.spec.tolerations;
    if n.spec.unschedulable {
        let t = Taint {
            key: "node.kubernetes.io/unschedulable".into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        };
        if !tols.iter().any(|tol| tolerates(tol, &t)) {
            return Some("NodeUnschedulable: the node is unschedulable".into());
        }
    }
    if let Some(taint) = untolerated(&n.spec.taints, tols, &["NoSchedule", "NoExecute"]) {
        return Some(format!(
            "TaintToleration: untolerated taint {}={}:{}",
            taint.key, taint.value, taint.effect
        ));
    }
    required_node_affinity(pod, n).err()
}

/// Every scheduler bind passes the hard filters on the trace's state: NodeResourcesFit (the
/// pods placed on the node at bind time, counting pods created bound only once the scheduler
/// must have seen them), NodeUnschedulable, TaintToleration (NoSchedule, NoExecute), the
/// nodeSelector and required node affinity; and, on the pods surely in the scheduler's cache
/// at its decision ([`View`]), NodePorts, required pod anti-affinity (the pod's terms and the
/// existing pods') and DoNotSchedule topology spread. A filter on the node's own state counts
/// as failed only if it failed in every version of the node from [`STALE_VIEW_US`] before the
/// scheduling decision to the bind. Pods the DaemonSet controller creates bound are on nodes
/// that pass its predicates (node affinity, nodeSelector, taints).
pub fn binds_pass_hard_filters(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    resources_and_node_filters(run)?;
    let view = View::build(run);
    view.check_binds()?;
    view.check_daemon_pods(DAEMONSET_CONTROLLER)
}

/// NodeResourcesFit and the node-state filters of [`binds_pass_hard_filters`].
fn resources_and_node_filters(run: &Run) -> Result<(), String> {
    let mut nodes = NodeHistory::default();
    // Live pods on each node: uid -> (request, created at if created bound, else None).
    let mut on_node: BTreeMap<String, BTreeMap<String, (Amounts, Option<u64>)>> = BTreeMap::new();
    let mut where_: BTreeMap<String, String> = BTreeMap::new();
    let mut decided: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
    for l in &run.lines {
        if l.verb == "schedule" {
            if let Obj::Json(v) = &l.object {
                if let Some(sel) = v["selected"].as_str() {
                    let key = (l.namespace.clone(), l.name.clone());
                    decided.insert(key, (l.t_us, sel.to_string()));
                }
            }
            continue;
        }
        if !l.is_write() {
            continue;
        }
        nodes.record(l);
        let Some(p) = l.pod() else { continue };
        let uid = p.metadata.uid.clone();
        let node = p.spec.node_name.clone();
        if l.verb == "bind" {
            let key = (l.namespace.clone(), l.name.clone());
            let decision = decided
                .get(&key)
                .filter(|(_, n)| *n == node)
                .map_or(l.t_us, |(at, _)| *at);
            let from = decision.saturating_sub(STALE_VIEW_US);
            let versions = nodes.during(&node, from, l.t_us);
            let failures: Vec<Option<String>> =
                versions.iter().map(|n| filter_failure(p, *n)).collect();
            if failures.iter().all(Option::is_some) {
                return Err(format!(
                    "at {} (line {}): pod {} bound to {node}, decided at {}: {}",
                    t(l.t_us),
                    l.seq,
                    pod_key(p),
                    t(decision),
                    failures.last().cloned().flatten().unwrap_or_default()
                ));
            }
            if let Some(n) = nodes.current(&node) {
                let mut used = request(p);
                for (req, created) in on_node.get(&node).into_iter().flat_map(|m| m.values()) {
                    if created.is_none_or(|c| c <= from) {
                        for (u, r) in used.iter_mut().zip(req) {
                            *u += r;
                        }
                    }
                }
                // fitsRequest checks only the resources the pod requests (and the pod count).
                let req = request(p);
                for (u, r) in used.iter_mut().zip(req) {
                    if r == 0 {
                        *u = 0;
                    }
                }
                if let Some(e) = over(&used, &allocatable(n)) {
                    return Err(format!(
                        "at {} (line {}): pod {} bound to {node}: NodeResourcesFit: {e}",
                        t(l.t_us),
                        l.seq,
                        pod_key(p)
                    ));
                }
            }
            on_node
                .entry(node.clone())
                .or_default()
                .insert(uid.clone(), (request(p), None));
            where_.insert(uid, node);
        } else if l.verb == "delete" || p.is_terminal() {
            if let Some(n) = where_.remove(&uid) {
                if let Some(m) = on_node.get_mut(&n) {
                    m.remove(&uid);
                }
            }
        } else if l.verb == "create" && !node.is_empty() {
            on_node
                .entry(node.clone())
                .or_default()
                .insert(uid.clone(), (request(p), Some(l.t_us)));
            where_.insert(uid, node);
        }
    }
    Ok(())
}

/// Every API write in the trace has the next resourceVersion: strictly increasing, none
/// missing.
pub fn resource_versions_increase(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    let mut last: Option<&Line> = None;
    for l in run.lines.iter().filter(|l| l.is_write()) {
        let prev = last.map_or(0, |p| p.rv);
        if l.rv <= prev {
            return Err(format!(
                "line {} ({} {} {}/{} at {}) has resourceVersion {} after {prev} (line {})",
                l.seq,
                l.verb,
                l.kind,
                l.namespace,
                l.name,
                t(l.t_us),
                l.rv,
                last.map_or(0, |p| p.seq)
            ));
        }
        if l.rv != prev + 1 {
            return Err(format!(
                "line {} ({} {} {}/{}) has resourceVersion {} after {prev}: {} writes are not in the trace",
                l.seq,
                l.verb,
                l.kind,
                l.namespace,
                l.name,
                l.rv,
                l.rv - prev - 1
            ));
        }
        last = Some(l);
    }
    Ok(())
}

/// One write as a watcher may see it.
struct Write {
    rv: u64,
    namespace: String,
    name: String,
    deleted: bool,
    /// The pod's node after the write, and before it (None: the object did not exist).
    node_now: String,
    node_before: Option<String>,
}

fn matches(filter: &Filter, namespace: &str, node: &str) -> bool {
    match filter {
        Filter::All => true,
        Filter::Node(n) => node == n,
        Filter::Namespace(ns) => namespace == ns,
    }
}

fn expected(w: &Write, filter: &Filter) -> Option<Seen> {
    let before = w
        .node_before
        .as_deref()
        .is_some_and(|n| matches(filter, &w.namespace, n));
    let now = !w.deleted && matches(filter, &w.namespace, &w.node_now);
    let type_ = match (before, now) {
        (false, true) => "ADDED",
        (true, true) => "MODIFIED",
        (true, false) => "DELETED",
        (false, false) => return None,
    };
    Some(Seen {
        type_,
        namespace: w.namespace.clone(),
        name: w.name.clone(),
        rv: w.rv,
    })
}

/// Checks one stream against the writes of its kind: what it delivered is exactly the start of
/// what a watch from its resourceVersion must deliver (in order, no gap, no repeat, the right
/// event types for its filter).
fn check_stream(s: &Stream, writes: &[Write]) -> Result<(), String> {
    let first = writes.partition_point(|w| w.rv <= s.from_rv);
    let mut want = writes[first..]
        .iter()
        .filter_map(|w| expected(w, &s.filter));
    for (i, got) in s.events.iter().enumerate() {
        let w = want.next();
        if w.as_ref() != Some(got) {
            return Err(format!(
                "watch of {} ({:?}) from rv {}: event {i} is {} {}/{} rv {}, expected {}",
                s.kind,
                s.filter,
                s.from_rv,
                got.type_,
                got.namespace,
                got.name,
                got.rv,
                w.map_or("nothing".into(), |w| format!(
                    "{} {}/{} rv {}",
                    w.type_, w.namespace, w.name, w.rv
                ))
            ));
        }
    }
    Ok(())
}

/// Every watch stream (as the watch auditor received it) delivers, in order and without gaps,
/// the writes of its kind after its resourceVersion that its filter sees; a watch resumed
/// after a broken connection starts where the last one stopped; only a 410 Gone (then a new
/// list) may skip writes.
pub fn watch_streams_in_order(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    let mut writes: BTreeMap<&str, Vec<Write>> = BTreeMap::new();
    let mut node_of: BTreeMap<(&str, &str, &str), String> = BTreeMap::new();
    for l in run.lines.iter().filter(|l| l.is_write()) {
        let key = (l.kind.as_str(), l.namespace.as_str(), l.name.as_str());
        let node_now = l.pod().map_or(String::new(), |p| p.spec.node_name.clone());
        let node_before = node_of.get(&key).cloned();
        let deleted = l.verb == "delete";
        if deleted {
            node_of.remove(&key);
        } else {
            node_of.insert(key, node_now.clone());
        }
        writes.entry(l.kind.as_str()).or_default().push(Write {
            rv: l.rv,
            namespace: l.namespace.clone(),
            name: l.name.clone(),
            deleted,
            node_now,
            node_before,
        });
    }
    let mut last_of_feed: BTreeMap<usize, (&Stream, u64)> = BTreeMap::new();
    for s in &run.streams {
        check_stream(s, writes.get(s.kind.as_str()).map_or(&[], |v| v.as_slice()))?;
        if let Some((prev, prev_rv)) = last_of_feed.get(&s.feed) {
            let resumed = matches!(prev.end, Some(End::Broken(_)));
            if resumed && s.from_rv != *prev_rv {
                return Err(format!(
                    "watch of {} ({:?}) resumed from rv {} after a broken stream that ended at rv {prev_rv}",
                    s.kind, s.filter, s.from_rv
                ));
            }
            if s.from_rv < *prev_rv {
                return Err(format!(
                    "watch of {} ({:?}) went back from rv {prev_rv} to {}",
                    s.kind, s.filter, s.from_rv
                ));
            }
        }
        let last_rv = s.events.last().map_or(s.from_rv, |e| e.rv);
        last_of_feed.insert(s.feed, (s, last_rv));
    }
    Ok(())
}

/// The NoExecute taints of a node version, without their timestamps.
fn no_execute(n: Option<&Node>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = n
        .map(|n| {
            n.spec
                .taints
                .iter()
                .filter(|t| t.effect == "NoExecute")
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A node's NoExecute taints (key, value) from each change on: (time, taints).
type TaintHistory = Vec<(u64, Vec<(String, String)>)>;

/// How long the pod tolerates this set of NoExecute taints (getMatchingTolerations, then
/// getMinTolerationTime): 0 if one is not tolerated, the smallest tolerationSeconds of the
/// tolerations used (the first matching one per taint; <= 0 is 0), None if none has seconds.
fn tolerated_for(set: &[(String, String)], tols: &[Toleration]) -> Option<u64> {
    let mut min: Option<u64> = None;
    for (key, value) in set {
        let taint = Taint {
            key: key.clone(),
            value: value.clone(),
            effect: "NoExecute".into(),
            ..Default::default()
        };
        let Some(tol) = tols.iter().find(|tol| tolerates(tol, &taint)) else {
            return Some(0);
        };
        if let Some(s) = tol.toleration_seconds {
            let s = s.max(0) as u64;
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    min
}

/// A pod the taint-eviction controller deletes (its first write to the pod) is on a node with
/// NoExecute taints, and is deleted no earlier than its tolerationSeconds after those taints
/// appeared (or it was bound there, if later); a taint it does not tolerate allows deletion at
/// once, one it tolerates without seconds never. Taint periods less than [`STALE_VIEW_US`]
/// apart count as one (the controller may not have seen the gap).
pub fn taint_evictions_respect_toleration_seconds(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    // Per node: (time, NoExecute taints) at each change.
    let mut history: BTreeMap<String, TaintHistory> = BTreeMap::new();
    let mut bound_at: BTreeMap<String, u64> = BTreeMap::new();
    let mut evicted: BTreeSet<String> = BTreeSet::new();
    for l in run.lines.iter().filter(|l| l.is_write()) {
        if let Some(n) = l.node() {
            let set = no_execute((l.verb != "delete").then_some(n));
            let h = history.entry(n.metadata.name.clone()).or_default();
            if h.last().is_none_or(|(_, s)| *s != set) {
                h.push((l.t_us, set));
            }
            continue;
        }
        let Some(p) = l.pod() else { continue };
        let uid = &p.metadata.uid;
        if !p.spec.node_name.is_empty() && !bound_at.contains_key(uid) {
            bound_at.insert(uid.clone(), l.t_us);
        }
        if l.actor != TAINT_EVICTION || !evicted.insert(uid.clone()) {
            continue;
        }
        let e = l.t_us;
        let node = &p.spec.node_name;
        let what = format!("pod {} evicted from {node:?} at {}", pod_key(p), t(e));
        let h = history.get(node).map_or(&[][..], |h| h.as_slice());
        // Periods with NoExecute taints, merged across short gaps: (start, end or None).
        let mut periods: Vec<(u64, Option<u64>)> = Vec::new();
        for (at, set) in h {
            match (set.is_empty(), periods.last_mut()) {
                (false, Some((_, end @ Some(_)))) if *at < end.unwrap() + STALE_VIEW_US => {
                    *end = None
                }
                (false, Some((_, None))) => {}
                (false, _) => periods.push((*at, None)),
                (true, Some((_, end @ None))) => *end = Some(*at),
                (true, _) => {}
            }
        }
        let Some((start, end)) = periods.last().copied() else {
            return Err(format!("{what}: the node never had a NoExecute taint"));
        };
        if let Some(end) = end.filter(|end| end + STALE_VIEW_US < e) {
            return Err(format!(
                "{what}: the node's NoExecute taints were removed at {}",
                t(end)
            ));
        }
        let tols = &p.spec.tolerations;
        let min = h
            .iter()
            .filter(|(at, set)| *at >= start && !set.is_empty())
            .map(|(_, set)| tolerated_for(set, tols))
            .min_by_key(|m| m.unwrap_or(u64::MAX));
        let since = start.max(bound_at.get(uid).copied().unwrap_or(0));
        match min.flatten() {
            None => {
                return Err(format!(
                    "{what}: it tolerates the node's NoExecute taints (since {}) forever",
                    t(start)
                ))
            }
            Some(s) if e < since + s * 1_000_000 => {
                return Err(format!(
                    "{what}: only {} after the NoExecute taints (since {}) it tolerates for {s}s",
                    t(e - since),
                    t(since)
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// maxSurge and maxUnavailable of a Deployment with `replicas` (ResolveFenceposts: surge
/// rounds up, unavailable down; both zero makes unavailable 1; default 25% each).
fn fenceposts(d: &Deployment, replicas: i32) -> (i32, i32) {
    let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
    let pct = IntOrString::String("25%".into());
    let surge = ru
        .max_surge
        .unwrap_or(pct.clone())
        .scaled_value(replicas, true)
        .unwrap_or(0);
    let unavailable = ru
        .max_unavailable
        .unwrap_or(pct)
        .scaled_value(replicas, false)
        .unwrap_or(0);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

fn controller_uid(meta: &kubesim::api::ObjectMeta, kind: &str) -> Option<String> {
    meta.owner_references
        .iter()
        .find(|o| o.controller == Some(true) && o.kind == kind)
        .map(|o| o.uid.clone())
}

/// During a RollingUpdate, each ReplicaSet write of the deployment controller keeps the sum of
/// its ReplicaSets' replicas within replicas + maxSurge if it raises it, and does not scale
/// available pods down below replicas - maxUnavailable: the available pods kept,
/// sum(min(replicas, status.availableReplicas)), must not drop below that floor by the write
/// in every view of the statuses of the last [`STALE_VIEW_US`] (the controller may have acted on
/// any). The Deployment's replicas are taken over that window too (the largest for surge, the
/// smallest for unavailability).
pub fn rollouts_within_surge_and_unavailable(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    // Deployment uid -> versions (time, deployment).
    let mut deployments: BTreeMap<String, Vec<(u64, Deployment)>> = BTreeMap::new();
    // ReplicaSet uid -> (owner uid, current RS, availability history).
    struct Rs {
        owner: String,
        rs: ReplicaSet,
        available: Vec<(u64, i32)>,
    }
    let mut sets: BTreeMap<String, Rs> = BTreeMap::new();
    for l in run.lines.iter().filter(|l| l.is_write()) {
        match &l.object {
            Obj::Deployment(d) => {
                deployments
                    .entry(d.metadata.uid.clone())
                    .or_default()
                    .push((l.t_us, (**d).clone()));
            }
            Obj::ReplicaSet(rs) => {
                let uid = rs.metadata.uid.clone();
                let Some(owner) = controller_uid(&rs.metadata, "Deployment") else {
                    continue;
                };
                let now = l.t_us;
                let from = now.saturating_sub(STALE_VIEW_US);
                let checked = l.actor == DEPLOYMENT_CONTROLLER && l.verb != "delete";
                let window: Vec<&Deployment> = deployments
                    .get(&owner)
                    .map(|vs| {
                        let first = vs.partition_point(|(at, _)| *at <= from).saturating_sub(1);
                        vs[first..].iter().map(|(_, d)| d).collect()
                    })
                    .unwrap_or_default();
                // Availability of a ReplicaSet as of `at`.
                let avail_at = |s: &Rs, at: u64| {
                    let i = s.available.partition_point(|(t, _)| *t <= at);
                    if i == 0 {
                        0
                    } else {
                        s.available[i - 1].1
                    }
                };
                // (uid, replicas) of the owner's ReplicaSets.
                let specs = |sets: &BTreeMap<String, Rs>| -> Vec<(String, i32)> {
                    sets.iter()
                        .filter(|(_, s)| s.owner == owner)
                        .map(|(u, s)| (u.clone(), s.rs.replicas()))
                        .collect()
                };
                let before = specs(&sets);
                if l.verb == "delete" {
                    sets.remove(&uid);
                    continue;
                }
                let entry = sets.entry(uid.clone()).or_insert_with(|| Rs {
                    owner: owner.clone(),
                    rs: (**rs).clone(),
                    available: Vec::new(),
                });
                entry.rs = (**rs).clone();
                entry.available.push((now, rs.status.available_replicas));
                let after = specs(&sets);
                // The views of availability the controller may have acted on: as of the window's
                // start and of each change since.
                let mut views: BTreeSet<u64> = BTreeSet::from([from, now]);
                for s in sets.values().filter(|s| s.owner == owner) {
                    views.extend(s.available.iter().map(|(t, _)| *t).filter(|t| *t > from));
                }
                let kept = |specs: &[(String, i32)], at: u64| -> i32 {
                    specs
                        .iter()
                        .map(|(u, spec)| (*spec).min(sets.get(u).map_or(0, |s| avail_at(s, at))))
                        .sum()
                };
                let sum = |specs: &[(String, i32)]| specs.iter().map(|(_, r)| *r).sum::<i32>();
                let Some(latest) = window.last() else {
                    continue;
                };
                let rolling = latest.spec.strategy.type_ != "Recreate";
                if !checked || !rolling || latest.metadata.deletion_timestamp.is_some() {
                    continue;
                }
                let r_max = window.iter().map(|d| d.replicas()).max().unwrap_or(0);
                let r_min = window.iter().map(|d| d.replicas()).min().unwrap_or(0);
                let (surge, _) = fenceposts(latest, r_max);
                let (_, unavailable) = fenceposts(latest, r_min);
                let name = &latest.metadata.name;
                let (sum_before, sum_after) = (sum(&before), sum(&after));
                if sum_after > sum_before && sum_after > r_max + surge {
                    return Err(format!(
                        "at {} (line {}): Deployment {name}: ReplicaSet {} to {} makes {sum_after} replicas, above {r_max} + maxSurge {surge}",
                        t(now), l.seq, rs.metadata.name, rs.replicas()
                    ));
                }
                let floor = r_min - unavailable;
                let breaks = |at: &u64| {
                    let (b, a) = (kept(&before, *at), kept(&after, *at));
                    a < b && a < floor
                };
                if views.iter().all(breaks) {
                    return Err(format!(
                        "at {} (line {}): Deployment {name}: ReplicaSet {} to {} leaves {} available, below {r_min} - maxUnavailable {unavailable}",
                        t(now), l.seq, rs.metadata.name, rs.replicas(), kept(&after, now)
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn running(p: &Pod) -> bool {
    p.status.phase == "Running" && p.metadata.deletion_timestamp.is_none()
}

/// Requests of a template's pod: (cpu milli, memory milli).
fn template_request(spec: &kubesim::api::pod::PodSpec) -> (i64, i64) {
    let p = Pod {
        spec: spec.clone(),
        ..Default::default()
    };
    (p.request_milli("cpu"), p.request_milli("memory"))
}

/// The taints each node registered with (its pool's), by node name.
fn registered_taints(run: &Run) -> BTreeMap<String, Vec<Taint>> {
    run.scenario
        .cluster
        .node_pools
        .iter()
        .flat_map(|p| {
            let taints: Vec<Taint> = p.taints.iter().map(|t| t.to_taint()).collect();
            p.node_names().map(move |n| (n, taints.clone()))
        })
        .collect()
}

fn same_taint(a: &Taint, b: &Taint) -> bool {
    a.key == b.key && a.value == b.value && a.effect == b.effect
}

/// Pods of this template may stay Pending or come and go however much room there is: a hard
/// constraint of its own (nodeSelector, required node affinity, required pod (anti-)affinity,
/// DoNotSchedule spread, a hostPort), a required anti-affinity term of a live template that
/// selects its pods, or a registered NoExecute taint it tolerates only for a while (evicted
/// again and again).
fn constrained(
    t: &kubesim::api::PodTemplateSpec,
    namespace: &str,
    templates: &[(&str, &kubesim::api::PodTemplateSpec)],
    registered: &BTreeMap<String, Vec<Taint>>,
) -> bool {
    let spec = &t.spec;
    let affinity = spec.affinity.clone().unwrap_or_default();
    let own = !spec.node_selector.is_empty()
        || affinity
            .node_affinity
            .as_ref()
            .is_some_and(|n| n.required.is_some())
        || affinity
            .pod_affinity
            .as_ref()
            .is_some_and(|a| !a.required.is_empty())
        || affinity
            .pod_anti_affinity
            .as_ref()
            .is_some_and(|a| !a.required.is_empty())
        || spec
            .topology_spread_constraints
            .iter()
            .any(|c| c.when_unsatisfiable == "DoNotSchedule")
        || !host_ports(&Pod {
            spec: spec.clone(),
            ..Default::default()
        })
        .is_empty();
    let selected = templates.iter().any(|(ns, other)| {
        let owner = Pod {
            metadata: kubesim::api::ObjectMeta {
                namespace: ns.to_string(),
                ..Default::default()
            },
            spec: other.spec.clone(),
            ..Default::default()
        };
        required_anti_affinity(&owner).iter().any(|term| {
            let in_ns = if term.namespaces.is_empty() {
                *ns == namespace
            } else {
                term.namespaces.iter().any(|n| n == namespace)
            };
            in_ns && selector_matches(term.label_selector.as_ref(), &t.metadata.labels)
        })
    });
    let evicted = registered.values().flatten().any(|taint| {
        taint.effect == "NoExecute"
            && spec
                .tolerations
                .iter()
                .find(|tol| tolerates(tol, taint))
                .is_some_and(|tol| tol.toleration_seconds.is_some())
    });
    own || selected || evicted
}

/// Once every fault is over and the run has been quiet for a while (the last
/// `model::QUIET_MS`), every node is Ready with no NoSchedule/NoExecute taints but those it
/// registered with, and, when capacity surely allows, every ReplicaSet and Deployment whose
/// pods are not constrained (see `constrained`) has its replicas Running (a Deployment's all
/// on its current image) and every DaemonSet a Running pod on each node it should run on
/// (nodeSelector, required node affinity, registered taints tolerated for good). "Surely
/// allows": with each node without registered NoSchedule/NoExecute taints holding k pods of
/// the largest request (k limited by cpu, memory and pods), the k's add up to every desired pod
/// (Deployments counted with maxSurge).
pub fn replicas_running_after_quiet_period(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    let nodes: Vec<&Node> = run.nodes().collect();
    let registered = registered_taints(run);
    let none = Vec::new();
    let registered_of = |n: &Node| registered.get(&n.metadata.name).unwrap_or(&none);
    for n in &nodes {
        if !n.is_ready() {
            return Err(format!("node {} is not Ready at the end", n.metadata.name));
        }
        let extra = n.spec.taints.iter().find(|t| {
            (t.effect == "NoSchedule" || t.effect == "NoExecute")
                && !registered_of(n).iter().any(|r| same_taint(r, t))
        });
        if let Some(t) = extra {
            return Err(format!(
                "node {} still has taint {}:{} at the end",
                n.metadata.name, t.key, t.effect
            ));
        }
    }
    let pods: Vec<&Pod> = run.pods().collect();
    let sets: Vec<&ReplicaSet> = run
        .objects(Kind::ReplicaSet)
        .filter_map(|o| match o {
            Object::ReplicaSet(r) => Some(r),
            _ => None,
        })
        .collect();
    let deployments: Vec<&Deployment> = run
        .objects(Kind::Deployment)
        .filter_map(|o| match o {
            Object::Deployment(d) => Some(d),
            _ => None,
        })
        .collect();
    let daemonsets: Vec<&kubesim::api::DaemonSet> = run
        .objects(Kind::DaemonSet)
        .filter_map(|o| match o {
            Object::DaemonSet(d) => Some(d),
            _ => None,
        })
        .collect();
    // Desired pods and the largest request.
    let mut desired: i64 = 0;
    let mut largest = (0i64, 0i64);
    let mut add = |count: i64, req: (i64, i64)| {
        desired += count;
        largest = (largest.0.max(req.0), largest.1.max(req.1));
    };
    for rs in sets
        .iter()
        .filter(|r| controller_uid(&r.metadata, "Deployment").is_none())
    {
        add(
            rs.replicas() as i64,
            template_request(&rs.spec.template.spec),
        );
    }
    for d in &deployments {
        let (surge, _) = fenceposts(d, d.replicas());
        add(
            (d.replicas() + surge) as i64,
            template_request(&d.spec.template.spec),
        );
        // Old ReplicaSets' templates may still run while the rollout completes.
        for rs in sets
            .iter()
            .filter(|r| controller_uid(&r.metadata, "Deployment") == Some(d.metadata.uid.clone()))
        {
            add(0, template_request(&rs.spec.template.spec));
        }
    }
    for ds in &daemonsets {
        add(nodes.len() as i64, template_request(&ds.spec.template.spec));
    }
    for p in pods.iter().filter(|p| !p.is_terminal()) {
        // Pods made from an older template may be larger than the current one.
        let bare = p.metadata.owner_references.is_empty();
        add(i64::from(bare), template_request(&p.spec));
    }
    let slots: i64 = nodes
        .iter()
        .filter(|n| untolerated(registered_of(n), &[], &["NoSchedule", "NoExecute"]).is_none())
        .map(|n| {
            let [cpu, mem, pods] = allocatable(n);
            let by = |have: i64, need: i64| if need > 0 { have / need } else { i64::MAX };
            by(cpu, largest.0).min(by(mem, largest.1)).min(pods / 1000)
        })
        .sum();
    if slots < desired {
        return Ok(());
    }
    let owned_by = |p: &Pod, uid: &str| {
        p.metadata
            .owner_references
            .iter()
            .any(|o| o.controller == Some(true) && o.uid == uid)
    };
    // Every live template, to find the ones other pods' anti-affinity keeps out.
    let bare: Vec<kubesim::api::PodTemplateSpec> = pods
        .iter()
        .filter(|p| !p.is_terminal())
        .map(|p| kubesim::api::PodTemplateSpec {
            metadata: p.metadata.clone(),
            spec: p.spec.clone(),
        })
        .collect();
    let templates: Vec<(&str, &kubesim::api::PodTemplateSpec)> = sets
        .iter()
        .map(|r| (r.metadata.namespace.as_str(), &*r.spec.template))
        .chain(
            deployments
                .iter()
                .map(|d| (d.metadata.namespace.as_str(), &*d.spec.template)),
        )
        .chain(
            daemonsets
                .iter()
                .map(|d| (d.metadata.namespace.as_str(), &*d.spec.template)),
        )
        .chain(bare.iter().map(|t| (t.metadata.namespace.as_str(), t)))
        .collect();
    let free =
        |t: &kubesim::api::PodTemplateSpec, ns: &str| !constrained(t, ns, &templates, &registered);
    for rs in sets.iter().filter(|r| {
        controller_uid(&r.metadata, "Deployment").is_none()
            && free(&r.spec.template, &r.metadata.namespace)
    }) {
        let n = pods
            .iter()
            .filter(|p| running(p) && owned_by(p, &rs.metadata.uid))
            .count() as i32;
        if n != rs.replicas() {
            return Err(format!(
                "ReplicaSet {} has {n} pods Running of {} at the end",
                rs.metadata.name,
                rs.replicas()
            ));
        }
    }
    for d in deployments
        .iter()
        .filter(|d| free(&d.spec.template, &d.metadata.namespace))
    {
        let image = d
            .spec
            .template
            .spec
            .containers
            .first()
            .map(|c| c.image.clone())
            .unwrap_or_default();
        let mine: Vec<&&ReplicaSet> = sets
            .iter()
            .filter(|r| controller_uid(&r.metadata, "Deployment") == Some(d.metadata.uid.clone()))
            .collect();
        let run_pods: Vec<&&Pod> = pods
            .iter()
            .filter(|p| running(p) && mine.iter().any(|r| owned_by(p, &r.metadata.uid)))
            .collect();
        let current = run_pods
            .iter()
            .filter(|p| p.spec.containers.first().is_some_and(|c| c.image == image))
            .count() as i32;
        if run_pods.len() as i32 != d.replicas() || current != d.replicas() {
            return Err(format!(
                "Deployment {} has {} pods Running ({current} on image {image}) of {} at the end",
                d.metadata.name,
                run_pods.len(),
                d.replicas()
            ));
        }
    }
    for ds in &daemonsets {
        let spec = &ds.spec.template.spec;
        let pod = Pod {
            spec: spec.clone(),
            ..Default::default()
        };
        for n in nodes.iter().filter(|n| {
            // Registered taints are the only ones left; tolerated ones must be tolerated for good.
            required_node_affinity(&pod, n).is_ok()
                && registered_of(n)
                    .iter()
                    .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
                    .all(|t| {
                        spec.tolerations
                            .iter()
                            .find(|tol| tolerates(tol, t))
                            .is_some_and(|tol| {
                                t.effect == "NoSchedule" || tol.toleration_seconds.is_none()
                            })
                    })
        }) {
            let have = pods.iter().any(|p| {
                running(p) && owned_by(p, &ds.metadata.uid) && p.spec.node_name == n.metadata.name
            });
            if !have {
                return Err(format!(
                    "DaemonSet {} has no Running pod on node {} at the end",
                    ds.metadata.name, n.metadata.name
                ));
            }
        }
    }
    Ok(())
}

/// Replaying the trace's writes gives the final store: the same objects at the same
/// resourceVersions.
pub fn trace_replays_to_final_store(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    let mut replay: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for l in run.lines.iter().filter(|l| l.is_write()) {
        let key = (l.kind.clone(), l.namespace.clone(), l.name.clone());
        if l.verb == "delete" {
            replay.remove(&key);
        } else {
            replay.insert(key, l.rv);
        }
    }
    let mut store: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for (k, objs) in &run.store {
        for o in objs {
            let m = o.meta();
            store.insert(
                (k.to_string(), m.namespace.clone(), m.name.clone()),
                m.resource_version,
            );
        }
    }
    if replay != store {
        let only_trace: Vec<_> = replay
            .iter()
            .filter(|(k, v)| store.get(*k) != Some(v))
            .take(3)
            .collect();
        let only_store: Vec<_> = store
            .iter()
            .filter(|(k, v)| replay.get(*k) != Some(v))
            .take(3)
            .collect();
        return Err(format!(
            "the trace replays to a different store: trace has {only_trace:?}, store has {only_store:?}"
        ));
    }
    Ok(())
}

/// A pod the scheduler preempts (each scheduler write of it with the DisruptionTarget
/// condition, reason PreemptionByScheduler) has a strictly lower priority than a preemptor
/// nominated to its node: a pod whose scheduling attempt failed after the condition's
/// lastTransitionTime (whole seconds) and before the write, whose status.nominatedNodeName was
/// the victim's node then or is set to it within [`STALE_VIEW_US`] after the write, and whose
/// preemptionPolicy is not Never (PodEligibleToPreemptOthers).
pub fn preemption_only_evicts_lower_priority(run: &Run) -> Result<(), String> {
    if run.panic.is_some() {
        return Ok(());
    }
    // Per pod key: (seq, time, nominatedNodeName, priority, preemptionPolicy) of each write.
    type Version = (u64, u64, String, i32, String);
    let mut versions: BTreeMap<(&str, &str), Vec<Version>> = BTreeMap::new();
    // Failed scheduling attempts: (seq, time, pod key).
    let mut failed: Vec<(u64, u64, (&str, &str))> = Vec::new();
    for l in &run.lines {
        let key = (l.namespace.as_str(), l.name.as_str());
        if l.verb == "schedule" {
            if matches!(&l.object, Obj::Json(v) if v["selected"].is_null()) {
                failed.push((l.seq, l.t_us, key));
            }
            continue;
        }
        if let (true, Some(p)) = (l.is_write(), l.pod()) {
            versions.entry(key).or_default().push((
                l.seq,
                l.t_us,
                p.status.nominated_node_name.clone(),
                p.spec.priority.unwrap_or(0),
                p.spec.preemption_policy.clone().unwrap_or_default(),
            ));
        }
    }
    for l in run
        .lines
        .iter()
        .filter(|l| l.is_write() && l.actor == SCHEDULER)
    {
        let Some(v) = l.pod() else { continue };
        let Some(c) = v
            .condition("DisruptionTarget")
            .filter(|c| c.status == "True" && c.reason == "PreemptionByScheduler")
        else {
            continue;
        };
        let node = &v.spec.node_name;
        let prio = v.spec.priority.unwrap_or(0);
        let since = c.last_transition_time.map_or(0, |t| t.0.as_micros());
        let what = format!(
            "at {} (line {}): pod {} (priority {prio}) preempted on {node:?}",
            t(l.t_us),
            l.seq,
            pod_key(v)
        );
        let victim = (l.namespace.as_str(), l.name.as_str());
        // Candidate preemptors: (name, priority, preemptionPolicy).
        let mut nominated: Vec<(String, i32, String)> = Vec::new();
        for (seq, at, key) in &failed {
            if *at < since || *seq >= l.seq || *key == victim {
                continue;
            }
            let Some(vs) = versions.get(key) else {
                continue;
            };
            let then = vs.iter().rev().find(|x| x.0 < *seq);
            let later = vs
                .iter()
                .filter(|x| x.0 > *seq && x.1 <= l.t_us + STALE_VIEW_US)
                .find(|x| x.2 == *node);
            if let Some(x) = then.filter(|x| x.2 == *node).or(later) {
                nominated.push((format!("{}/{}", key.0, key.1), x.3, x.4.clone()));
            }
        }
        if nominated.is_empty() {
            return Err(format!(
                "{what}: no pod failing to schedule since {} is nominated to that node",
                t(since)
            ));
        }
        if !nominated
            .iter()
            .any(|(_, p, policy)| *p > prio && policy != "Never")
        {
            return Err(format!(
                "{what}: the pods nominated there (name, priority, preemptionPolicy) are {nominated:?}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
            ..Default::default()
        }
    }

    /// toleration_test.go TestTolerationToleratesTaint (the Equal and Exists cases).
    #[test]
    fn tolerates_table() {
        let cases = [
            (
                "empty operator and effect, same key and value",
                tol("foo", "", "bar", ""),
                taint("foo", "bar", "NoExecute"),
                true,
            ),
            (
                "Equal with another value",
                tol("foo", "Equal", "bar", "NoExecute"),
                taint("foo", "baz", "NoExecute"),
                false,
            ),
            (
                "Exists any value",
                tol("foo", "Exists", "", "NoExecute"),
                taint("foo", "bar", "NoExecute"),
                true,
            ),
            (
                "another effect",
                tol("foo", "Exists", "", "NoSchedule"),
                taint("foo", "bar", "NoExecute"),
                false,
            ),
            (
                "another key",
                tol("foo", "Exists", "", ""),
                taint("bar", "", "NoExecute"),
                false,
            ),
            (
                "empty key Exists tolerates all",
                tol("", "Exists", "", ""),
                taint("bar", "x", "NoSchedule"),
                true,
            ),
        ];
        for (name, tl, tn, want) in cases {
            assert_eq!(tolerates(&tl, &tn), want, "{name}");
        }
    }

    #[test]
    fn toleration_time_of_a_taint_set() {
        let unreachable = vec![("node.kubernetes.io/unreachable".to_string(), String::new())];
        let mut t300 = tol("node.kubernetes.io/unreachable", "Exists", "", "NoExecute");
        t300.toleration_seconds = Some(300);
        assert_eq!(tolerated_for(&unreachable, &[t300.clone()]), Some(300));
        assert_eq!(tolerated_for(&unreachable, &[]), Some(0), "not tolerated");
        let forever = tol("", "Exists", "", "");
        assert_eq!(tolerated_for(&unreachable, &[forever]), None);
        t300.toleration_seconds = Some(-5);
        assert_eq!(tolerated_for(&unreachable, &[t300]), Some(0));
    }
}
