//! The kube-scheduler actor: watches nodes and pods, takes pending pods from its queue one at a
//! time, runs the profile's filters and scores, assumes the pod on the best node and binds it;
//! when no node fits it runs PostFilter (preemption).
//! Models pkg/scheduler/schedule_one.go (schedulePod, findNodesThatFitPod, prioritizeNodes,
//! selectHost, handleSchedulingFailure), pkg/scheduler/framework/types.go (FitError) and the
//! scheduler cache's assume/forget (pkg/scheduler/backend/cache/cache.go).

use super::framework::{CycleState, NodeInfo, PodInfo, Status};
use super::profile::{PluginScores, Profile};
use super::queue::{QueueConfig, SchedulingQueue};
use super::snapshot::Snapshot;
use crate::api::{Kind, ListOptions, Msg, Object, Pod, Response, Time};
use crate::client::{ApiClient, CacheKey, Delta, Informer};
use crate::sim::{Actor, Context, Input, SimDuration};
use std::collections::BTreeMap;
use std::sync::Arc;

const TIMER_SCHEDULE: u64 = 1;
const TIMER_FLUSH_BACKOFF: u64 = 2;
const TIMER_FLUSH_UNSCHEDULABLE: u64 = 3;

/// `ErrNoNodesAvailable`.
pub const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

/// A scheduling decision (what the `schedule` trace line carries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub selected: Option<String>,
    /// Nodes whose filters ran.
    pub evaluated: usize,
    pub feasible: usize,
    /// Best candidates by total score, highest first (at most 3).
    pub top: Vec<(String, i64)>,
    /// FitError message when no node fits.
    pub message: Option<String>,
}

/// The filter phase of one cycle (findNodesThatFitPod).
#[derive(Clone, Debug, Default)]
pub struct Filtered {
    /// Feasible nodes, as positions in the snapshot's node order, in the order found.
    pub feasible: Vec<usize>,
    /// Each rejected node's verdict, by node name.
    pub statuses: BTreeMap<String, Status>,
    /// Nodes whose filters ran.
    pub processed: usize,
    /// The PreFilter rejection that failed every node, if any.
    pub pre_filter: Option<Status>,
}

/// Runs PreFilter, then Filter over the nodes from position `start` (wrapping) until `limit`
/// feasible nodes are found (None: all nodes).
pub fn find_nodes_that_fit(
    profile: &Profile,
    state: &mut CycleState,
    pod: &PodInfo,
    snapshot: &Snapshot,
    start: usize,
    limit: Option<usize>,
) -> Filtered {
    let mut out = Filtered::default();
    let n = snapshot.len();
    let (narrowed, by, st) = profile.run_pre_filter(state, pod, snapshot);
    if !st.is_success() {
        for node in snapshot.list() {
            out.statuses.insert(node.name.clone(), st.clone());
        }
        out.pre_filter = Some(st);
        return out;
    }
    let mut candidates: Vec<usize> = Vec::new();
    if let Some(names) = &narrowed {
        candidates = (0..n).collect();
        let reason = format!("node(s) didn't satisfy plugin(s) [{}]", by.join(" "));
        let absent = Status::unresolvable(&reason).with_plugin(&by.join(","));
        candidates.retain(|&i| {
            let node = snapshot.at(i);
            let keep = names.contains(&node.name);
            if !keep {
                out.statuses.insert(node.name.clone(), absent.clone());
            }
            keep
        });
        if candidates.is_empty() {
            out.pre_filter = Some(absent);
            return out;
        }
    }
    // Without a PreFilter result every node is a candidate, in snapshot order.
    let all = narrowed.is_none();
    let m = if all { n } else { candidates.len() };
    let limit = limit.unwrap_or(m).min(m);
    let active = profile.active_filters(state);
    // The k-th candidate from `start`, wrapping: (start + k) % m, kept without a division.
    let mut at = if m == 0 { 0 } else { start % m };
    for _ in 0..m {
        let pos = if all { at } else { candidates[at] };
        at += 1;
        if at == m {
            at = 0;
        }
        let node = snapshot.at(pos);
        out.processed += 1;
        // Nodes with nominated pods take the slower path that counts them.
        let verdict = if snapshot.has_nominated(&node.name) {
            let st = profile.run_filter_with_nominated(state, pod, node, snapshot);
            (!st.is_success()).then_some(st)
        } else {
            Profile::run_active_filters(&active, state, pod, node)
        };
        match verdict {
            None => {
                out.feasible.push(pos);
                if out.feasible.len() >= limit {
                    break;
                }
            }
            Some(st) => {
                out.statuses.insert(node.name.clone(), st);
            }
        }
    }
    out
}

/// FitError.Error(): "0/N nodes are available: <count> <reason>, ... ." with the reasons
/// sorted, or the PreFilter message; then the PostFilter message, if any.
pub fn fit_error_message(total: usize, f: &Filtered, post_filter: Option<&str>) -> String {
    if total == 0 {
        return NO_NODES_AVAILABLE.into();
    }
    let mut msg = format!("0/{total} nodes are available:");
    match &f.pre_filter {
        Some(st) => msg.push_str(&format!(" {}.", st.message())),
        None => {
            let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
            for st in f.statuses.values() {
                for r in &st.reasons {
                    *hist.entry(r.as_str()).or_default() += 1;
                }
            }
            let mut parts: Vec<String> = hist.iter().map(|(r, c)| format!("{c} {r}")).collect();
            parts.sort();
            if !parts.is_empty() {
                msg.push_str(&format!(" {}.", parts.join(", ")));
            }
        }
    }
    if let Some(p) = post_filter.filter(|p| !p.is_empty()) {
        msg.push_str(&format!(" {p}."));
    }
    msg
}

/// PreScore and Score over `nodes` (prioritizeNodes): each plugin's raw and normalized scores,
/// and each node's total (sum of weight x normalized). Without score plugins every node
/// scores 1, as upstream.
pub fn prioritize(
    profile: &Profile,
    state: &mut CycleState,
    pod: &PodInfo,
    nodes: &[&NodeInfo],
    snapshot: &Snapshot,
) -> Result<(Vec<PluginScores>, Vec<i64>), Status> {
    if profile.score.is_empty() {
        return Ok((vec![], vec![1; nodes.len()]));
    }
    let st = profile.run_pre_score(state, pod, nodes, snapshot);
    if !st.is_success() {
        return Err(st);
    }
    let scores = profile.run_score(state, pod, nodes, snapshot);
    let mut totals = vec![0i64; nodes.len()];
    for ps in &scores {
        if let Some((_, norm)) = &ps.scores {
            for (t, s) in totals.iter_mut().zip(norm) {
                *t += ps.weight * s;
            }
        }
    }
    Ok((scores, totals))
}

/// [`prioritize`]'s totals only.
fn prioritize_totals(
    profile: &Profile,
    state: &mut CycleState,
    pod: &PodInfo,
    nodes: &[&NodeInfo],
    snapshot: &Snapshot,
) -> Result<Vec<i64>, Status> {
    if profile.score.is_empty() {
        return Ok(vec![1; nodes.len()]);
    }
    let st = profile.run_pre_score(state, pod, nodes, snapshot);
    if !st.is_success() {
        return Err(st);
    }
    Ok(profile.run_score_totals(state, pod, nodes, snapshot))
}

/// The outcome of one scheduling cycle.
pub struct Cycle {
    pub decision: Decision,
    pub filtered: Filtered,
    pub state: CycleState,
}

/// Runs one scheduling cycle for `pod` (schedulePod): filters from `start` until enough nodes
/// are feasible, scores them (unless only one), and picks the best; `pick` chooses among `n`
/// equally best nodes (selectHost's reservoir sampling).
pub fn schedule_pod(
    profile: &Profile,
    pod: &PodInfo,
    snapshot: &Snapshot,
    start: usize,
    pick: &mut dyn FnMut(usize) -> usize,
) -> Cycle {
    let mut state = CycleState::default();
    let n = snapshot.len();
    let to_find = profile.num_feasible_nodes_to_find(n);
    let filtered = find_nodes_that_fit(profile, &mut state, pod, snapshot, start, Some(to_find));
    let mut decision = Decision {
        selected: None,
        evaluated: filtered.processed,
        feasible: filtered.feasible.len(),
        top: vec![],
        message: None,
    };
    if filtered.feasible.is_empty() {
        decision.message = Some(fit_error_message(n, &filtered, None));
        return Cycle {
            decision,
            filtered,
            state,
        };
    }
    let nodes: Vec<&NodeInfo> = filtered.feasible.iter().map(|&i| snapshot.at(i)).collect();
    if nodes.len() == 1 {
        decision.selected = Some(nodes[0].name.clone());
        decision.top = vec![(nodes[0].name.clone(), 0)];
        return Cycle {
            decision,
            filtered,
            state,
        };
    }
    let totals = match prioritize_totals(profile, &mut state, pod, &nodes, snapshot) {
        Ok(totals) => totals,
        Err(st) => {
            decision.message = Some(format!(
                "running PreScore plugin {:?}: {}",
                st.plugin,
                st.message()
            ));
            return Cycle {
                decision,
                filtered,
                state,
            };
        }
    };
    let ranks: Vec<u32> = filtered
        .feasible
        .iter()
        .map(|&i| snapshot.name_rank(i))
        .collect();
    let (chosen, top) = select_host_by(&nodes, &totals, pick, |a, b| ranks[a].cmp(&ranks[b]));
    decision.selected = Some(nodes[chosen].name.clone());
    decision.top = top;
    Cycle {
        decision,
        filtered,
        state,
    }
}

/// selectHost: uniform among the nodes with the highest total (reservoir sampling), and the
/// top 3 by total then name, for reporting.
pub fn select_host(
    nodes: &[&NodeInfo],
    totals: &[i64],
    pick: &mut dyn FnMut(usize) -> usize,
) -> (usize, Vec<(String, i64)>) {
    select_host_by(nodes, totals, pick, |a, b| {
        nodes[a].name.cmp(&nodes[b].name)
    })
}

/// [`select_host`] with `name_cmp(a, b)` ordering nodes `a` and `b` as their names do.
fn select_host_by(
    nodes: &[&NodeInfo],
    totals: &[i64],
    pick: &mut dyn FnMut(usize) -> usize,
    name_cmp: impl Fn(usize, usize) -> std::cmp::Ordering,
) -> (usize, Vec<(String, i64)>) {
    let best = *totals.iter().max().expect("at least one node");
    let mut chosen = 0;
    let mut ties = 0;
    for (i, t) in totals.iter().enumerate() {
        if *t == best {
            ties += 1;
            if pick(ties) == 0 {
                chosen = i;
            }
        }
    }
    // The top 3 by score, then name (unique, so the order is total): picked by index so
    // only three names are cloned per pod.
    let by_rank = |&a: &usize, &b: &usize| totals[b].cmp(&totals[a]).then_with(|| name_cmp(a, b));
    // One pass keeping the best three in rank order; a node below the third by total is
    // passed over without comparing names.
    let mut order: Vec<usize> = Vec::with_capacity(4);
    for i in 0..nodes.len() {
        if order.len() == 3 && by_rank(&i, &order[2]).is_gt() {
            continue;
        }
        let at = order.partition_point(|o| by_rank(o, &i).is_lt());
        if at < 3 {
            order.insert(at, i);
            order.truncate(3);
        }
    }
    let top = order
        .iter()
        .map(|&i| (nodes[i].name.clone(), totals[i]))
        .collect();
    (chosen, top)
}

/// The kube-scheduler actor.
pub struct Scheduler {
    client: ApiClient,
    profiles: Vec<Profile>,
    nodes_informer: Informer,
    pods_informer: Informer,
    /// Services and ReplicaSets, for PodTopologySpread's default selector.
    owner_informers: [Informer; 2],
    snapshot: Snapshot,
    queue: SchedulingQueue,
    next_start: usize,
    schedule_timer_set: bool,
    binds: BTreeMap<u64, CacheKey>,
    scheduled: u64,
    failed_attempts: u64,
    preemptions: u64,
}

impl Scheduler {
    pub fn new(client: ApiClient, profile: Profile, queue: QueueConfig) -> Self {
        Self::with_profiles(client, vec![profile], queue)
    }

    /// A scheduler serving several profiles, each by its `schedulerName`.
    pub fn with_profiles(client: ApiClient, profiles: Vec<Profile>, queue: QueueConfig) -> Self {
        Scheduler {
            client,
            profiles,
            nodes_informer: Informer::new(Kind::Node, ListOptions::default()),
            pods_informer: Informer::new(Kind::Pod, ListOptions::default()),
            owner_informers: [
                Informer::new(Kind::Service, ListOptions::default()),
                Informer::new(Kind::ReplicaSet, ListOptions::default()),
            ],
            snapshot: Snapshot::new(),
            queue: SchedulingQueue::new(queue),
            next_start: 0,
            schedule_timer_set: false,
            binds: BTreeMap::new(),
            scheduled: 0,
            failed_attempts: 0,
            preemptions: 0,
        }
    }

    /// Pods bound (bind accepted) so far.
    pub fn scheduled(&self) -> u64 {
        self.scheduled
    }

    /// Attempts that found no feasible node.
    pub fn failed_attempts(&self) -> u64 {
        self.failed_attempts
    }

    /// Preemptions that nominated a node and evicted victims.
    pub fn preemptions(&self) -> u64 {
        self.preemptions
    }

    pub fn queue(&self) -> &SchedulingQueue {
        &self.queue
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    fn profile_for(&self, scheduler_name: &str) -> Option<usize> {
        self.profiles
            .iter()
            .position(|p| p.scheduler_name == scheduler_name)
    }

    fn kick(&mut self, cx: &mut Context<'_, Msg>) {
        if !self.schedule_timer_set && self.queue.active_len() > 0 {
            self.schedule_timer_set = true;
            cx.set_timer(SimDuration::ZERO, TIMER_SCHEDULE);
        }
    }

    fn on_pod(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let obj = d.object().clone();
        let Object::Pod(p) = obj.as_ref() else { return };
        let key: CacheKey = (p.metadata.namespace.clone(), p.metadata.name.clone());
        let gone = matches!(d, Delta::Deleted(_)) || p.is_terminal();
        if gone {
            self.snapshot.clear_nominated(&key);
            self.snapshot.remove_pod(&key);
            self.queue.delete(&key);
            self.queue.move_all_unschedulable(cx.now());
            self.kick(cx);
            return;
        }
        if !p.spec.node_name.is_empty() {
            self.snapshot.clear_nominated(&key);
            self.queue.delete(&key);
            // The bound object replaces the assumed one (its labels and status may differ).
            self.snapshot
                .add_pod(Arc::new(PodInfo::new(obj.clone())), &p.spec.node_name);
            return;
        }
        let assumed = self.snapshot.node_of(&key).is_some();
        // The nominator follows status.nominatedNodeName of pods not bound or assumed yet.
        if !assumed {
            let nominated = &p.status.nominated_node_name;
            self.snapshot
                .set_nominated(Arc::new(PodInfo::new(obj.clone())), nominated);
        }
        let Some(pi) = self.profile_for(&p.spec.scheduler_name) else {
            return;
        };
        if p.metadata.deletion_timestamp.is_some() || assumed {
            return;
        }
        // PreEnqueue (SchedulingGates): a gated pod waits outside the active queue.
        if !self.profiles[pi].run_pre_enqueue(p).is_success() {
            self.queue.delete(&key);
            return;
        }
        if !self.queue.contains(&key) {
            self.queue.add(key, p.spec.priority.unwrap_or(0), cx.now());
            self.kick(cx);
        }
    }

    fn on_node(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let Object::Node(n) = d.object().as_ref() else {
            return;
        };
        match d {
            Delta::Added(_) | Delta::Updated { .. } => {
                self.snapshot.set_node(n.clone());
                self.queue.move_all_unschedulable(cx.now());
                self.kick(cx);
            }
            Delta::Deleted(_) => self.snapshot.remove_node(&n.metadata.name),
        }
    }

    fn on_owner(&mut self, d: Delta) {
        match d {
            Delta::Deleted(o) => {
                let m = o.meta();
                self.snapshot
                    .remove_owner_object(o.kind(), &m.namespace, &m.name)
            }
            d => self.snapshot.set_owner_object(d.object().clone()),
        }
    }

    fn schedule_one(&mut self, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let Some(key) = self.queue.pop(now) else {
            return;
        };
        let obj = match self.pods_informer.get(&key.0, &key.1) {
            Some(o) if matches!(o.as_ref(), Object::Pod(p) if p.spec.node_name.is_empty()) => {
                o.clone()
            }
            _ => {
                self.queue.delete(&key);
                return;
            }
        };
        let info = PodInfo::new(obj);
        let pod = info.pod();
        let Some(pi) = self.profile_for(&pod.spec.scheduler_name) else {
            self.queue.delete(&key);
            return;
        };
        let profile = &self.profiles[pi];
        let start = self.next_start;
        let mut cycle = {
            let rng = cx.rng();
            let mut pick = |n: usize| rng.index(n);
            schedule_pod(profile, &info, &self.snapshot, start, &mut pick)
        };
        if !self.snapshot.is_empty() {
            self.next_start = (start + cycle.filtered.processed) % self.snapshot.len();
        }
        let mut nominated = None;
        if cycle.decision.selected.is_none() && cycle.filtered.pre_filter.is_none() {
            // PostFilter (preemption) only after Filter rejections, as upstream.
            let (res, st) = profile.run_post_filter(
                &cycle.state,
                &info,
                &self.snapshot,
                &cycle.filtered.statuses,
            );
            let n = self.snapshot.len();
            cycle.decision.message = Some(fit_error_message(
                n,
                &cycle.filtered,
                (!st.is_success()).then(|| st.message()).as_deref(),
            ));
            nominated = res;
        }
        self.trace_decision(pod, &cycle.decision, &profile.scheduler_name, cx);
        if let Some(node) = cycle.decision.selected.clone() {
            // Assume, then Reserve and Permit; a failure forgets the pod and backs off.
            let info = Arc::new(info);
            // assume: DeleteNominatedPodIfExists, then count it on the node.
            self.snapshot.clear_nominated(&key);
            self.snapshot.add_pod(info.clone(), &node);
            let profile = &self.profiles[pi];
            let mut st = profile.run_reserve(&mut cycle.state, &info, &node);
            if st.is_success() {
                st = profile.run_permit(&mut cycle.state, &info, &node);
            }
            if !st.is_success() {
                self.snapshot.remove_pod(&key);
                self.queue.add_backoff(&key);
                return;
            }
            let p = info.pod();
            let id = self.client.bind(
                cx,
                &p.metadata.namespace,
                &p.metadata.name,
                &p.metadata.uid,
                &node,
            );
            self.binds.insert(id, key);
            return;
        }
        self.failed_attempts += 1;
        self.queue.add_unschedulable(&key, now);
        let msg = cycle.decision.message.clone().unwrap_or_default();
        let nominated_node = nominated
            .as_ref()
            .map(|r| r.nominated_node.clone())
            .unwrap_or_default();
        if let Some(r) = &nominated {
            self.preempt(pod, r, cx);
            // AddNominatedPod at once, before the status patch comes back.
            self.snapshot.set_nominated(
                Arc::new(PodInfo::new(info.object().clone())),
                &r.nominated_node,
            );
        }
        let already = pod.condition("PodScheduled").is_some_and(|c| {
            c.status == "False" && c.reason == "Unschedulable" && c.message == msg
        }) && pod.status.nominated_node_name == nominated_node;
        if !already {
            let mut p = pod.clone();
            p.set_condition("PodScheduled", "False", Time(now));
            if let Some(c) = p
                .status
                .conditions
                .iter_mut()
                .find(|c| c.type_ == "PodScheduled")
            {
                c.reason = "Unschedulable".into();
                c.message = msg;
            }
            if !nominated_node.is_empty() {
                p.status.nominated_node_name = nominated_node;
            }
            self.client.patch_status(cx, Object::Pod(p));
        }
    }

    /// Evicts the victims preemption chose (prepareCandidate): each gets the DisruptionTarget
    /// condition, then is deleted with its own grace period. Not modelled: clearing the
    /// nominations of lower-priority pods nominated to the same node.
    fn preempt(
        &mut self,
        preemptor: &Pod,
        r: &super::framework::PostFilterResult,
        cx: &mut Context<'_, Msg>,
    ) {
        if r.victims.is_empty() {
            return;
        }
        self.preemptions += 1;
        let now = Time(cx.now());
        for v in &r.victims {
            // prepareCandidate: a victim already being deleted is left to finish.
            if v.pod().metadata.deletion_timestamp.is_some() {
                continue;
            }
            let mut p = v.pod().clone();
            p.set_condition("DisruptionTarget", "True", now);
            if let Some(c) = p
                .status
                .conditions
                .iter_mut()
                .find(|c| c.type_ == "DisruptionTarget")
            {
                c.reason = "PreemptionByScheduler".into();
                c.message = format!(
                    "{}: preempting to accommodate a higher priority pod",
                    preemptor.spec.scheduler_name
                );
            }
            self.client.patch_status(cx, Object::Pod(p));
            let m = &v.pod().metadata;
            self.client
                .delete(cx, Kind::Pod, &m.namespace, &m.name, Some(m.uid.clone()));
        }
    }

    fn trace_decision(&self, pod: &Pod, d: &Decision, profile: &str, cx: &mut Context<'_, Msg>) {
        let top: Vec<serde_json::Value> = d
            .top
            .iter()
            .map(|(n, t)| serde_json::json!({"node": n, "total": t}))
            .collect();
        let mut obj = serde_json::json!({
            "pod": format!("{}/{}", pod.metadata.namespace, pod.metadata.name),
            "profile": profile,
            "selected": d.selected,
            "evaluated": d.evaluated,
            "feasible": d.feasible,
            "candidates": top,
        });
        if let Some(m) = &d.message {
            obj["message"] = serde_json::Value::String(m.clone());
        }
        let actor = cx.name_of(cx.me()).to_string();
        cx.trace(
            &actor,
            "schedule",
            "Pod",
            &pod.metadata.namespace,
            &pod.metadata.name,
            pod.metadata.resource_version,
            &obj.to_string(),
        );
    }

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.nodes_informer.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_node(d, cx));
            return;
        }
        if let Some(ds) = self.pods_informer.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod(d, cx));
            return;
        }
        for i in 0..self.owner_informers.len() {
            if let Some(ds) = self.owner_informers[i].on_response(&resp, &mut self.client, cx) {
                ds.into_iter().for_each(|d| self.on_owner(d));
                return;
            }
        }
        if let Some(key) = self.binds.remove(&resp.id) {
            if resp.result.is_ok() {
                self.scheduled += 1;
                self.queue.done(&key);
            } else {
                // ForgetPod, then retry after back-off.
                self.snapshot.remove_pod(&key);
                self.queue.add_backoff(&key);
            }
        }
    }
}

impl Actor<Msg> for Scheduler {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.nodes_informer.start(&mut self.client, cx);
                self.pods_informer.start(&mut self.client, cx);
                for inf in &mut self.owner_informers {
                    inf.start(&mut self.client, cx);
                }
                cx.set_timer(SimDuration::from_secs(1), TIMER_FLUSH_BACKOFF);
                cx.set_timer(SimDuration::from_secs(30), TIMER_FLUSH_UNSCHEDULABLE);
            }
            Input::Timer { tag, .. } => match tag {
                TIMER_SCHEDULE => {
                    self.schedule_timer_set = false;
                    self.schedule_one(cx);
                    self.kick(cx);
                }
                TIMER_FLUSH_BACKOFF => {
                    // flushBackoffQCompleted runs every second.
                    self.queue.flush_backoff(cx.now());
                    self.kick(cx);
                    cx.set_timer(SimDuration::from_secs(1), TIMER_FLUSH_BACKOFF);
                }
                TIMER_FLUSH_UNSCHEDULABLE => {
                    self.queue.flush_unschedulable_leftover(cx.now());
                    self.kick(cx);
                    cx.set_timer(SimDuration::from_secs(30), TIMER_FLUSH_UNSCHEDULABLE);
                }
                _ => {}
            },
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => {
                    if let Some(ds) = self.nodes_informer.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_node(d, cx));
                    } else if let Some(ds) = self.pods_informer.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_pod(d, cx));
                    } else {
                        for i in 0..self.owner_informers.len() {
                            if let Some(ds) =
                                self.owner_informers[i].on_watch(&w, &mut self.client, cx)
                            {
                                ds.into_iter().for_each(|d| self.on_owner(d));
                                break;
                            }
                        }
                    }
                }
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ObjectRef, Reply, Request};
    use crate::scheduler::plugins::testing::{node_info, pod};
    use crate::sim::testing::{Harness, Sent};
    use crate::sim::{ActorId, EventId};
    use std::sync::Arc;

    const API: ActorId = ActorId(0);
    const ME: ActorId = ActorId(1);

    fn node(name: &str, cpu_m: i64) -> ObjectRef {
        let mut n = node_info(name, cpu_m, 8 << 30, 110).node;
        n.status.capacity = n.status.allocatable.clone();
        Arc::new(Object::Node(n))
    }

    fn pending(name: &str, cpu_m: i64) -> ObjectRef {
        let mut p = pod(cpu_m, 1 << 20);
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = format!("uid-{name}");
        p.spec.scheduler_name = "default-scheduler".into();
        Arc::new(Object::Pod(p))
    }

    fn requests(sent: Vec<Sent<Msg>>) -> (Vec<Request>, Vec<u64>) {
        let mut reqs = Vec::new();
        let mut timers = Vec::new();
        for s in sent {
            match s {
                Sent::Message {
                    msg: Msg::Request(r),
                    ..
                } => reqs.push(*r),
                Sent::Timer { tag, .. } => timers.push(tag),
                _ => {}
            }
        }
        (reqs, timers)
    }

    /// Starts a scheduler that sees `nodes` and `pods`, and runs its queue dry.
    fn run(nodes: Vec<ObjectRef>, pods: Vec<ObjectRef>) -> (Vec<Request>, Harness<Msg>) {
        let mut h = Harness::new(&["kube-apiserver", "kube-scheduler"], ME, 3);
        let mut s = Scheduler::new(
            ApiClient::new(API),
            Profile::default_profile(),
            QueueConfig::default(),
        );
        let (lists, _) = requests(h.feed(&mut s, Input::Start));
        let mut out = Vec::new();
        let mut timers = Vec::new();
        for (r, items) in lists.into_iter().zip([nodes, pods]) {
            let resp = Response {
                id: r.id,
                result: Ok(Reply::List {
                    items,
                    resource_version: 5,
                }),
            };
            let (rq, t) = requests(h.feed(
                &mut s,
                Input::Message {
                    from: API,
                    msg: Msg::Response(Box::new(resp)),
                },
            ));
            out.extend(
                rq.into_iter()
                    .filter(|r| !matches!(r.op, crate::api::Op::Watch { .. })),
            );
            timers.extend(t);
        }
        while let Some(pos) = timers.iter().position(|t| *t == TIMER_SCHEDULE) {
            timers.remove(pos);
            let (rq, t) = requests(h.feed(
                &mut s,
                Input::Timer {
                    id: EventId(0),
                    tag: TIMER_SCHEDULE,
                },
            ));
            out.extend(rq);
            timers.extend(t);
        }
        (out, h)
    }

    #[test]
    fn binds_to_the_least_allocated_node_and_traces_the_decision() {
        let (reqs, h) = run(
            vec![node("small", 2000), node("big", 8000)],
            vec![pending("p", 1000)],
        );
        assert_eq!(reqs.len(), 1);
        match &reqs[0].op {
            crate::api::Op::Bind {
                name, node, uid, ..
            } => {
                assert_eq!(
                    (name.as_str(), node.as_str(), uid.as_str()),
                    ("p", "big", "uid-p")
                );
            }
            other => panic!("expected a bind, got {other:?}"),
        }
        let v: serde_json::Value = serde_json::from_str(&h.trace_lines()[0]).unwrap();
        assert_eq!(v["verb"], "schedule");
        assert_eq!(v["object"]["selected"], "big");
        assert_eq!(v["object"]["feasible"], 2);
        assert_eq!(v["object"]["candidates"][0]["node"], "big");
    }

    #[test]
    fn assumed_pods_count_before_the_bind_is_seen() {
        // Two pods of 1500m on two 2000m nodes: the second must go to the other node.
        let (reqs, _) = run(
            vec![node("a", 2000), node("b", 2000)],
            vec![pending("p1", 1500), pending("p2", 1500)],
        );
        let nodes: Vec<String> = reqs
            .iter()
            .filter_map(|r| match &r.op {
                crate::api::Op::Bind { node, .. } => Some(node.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(nodes.len(), 2);
        assert_ne!(nodes[0], nodes[1]);
    }

    #[test]
    fn unschedulable_pod_gets_the_fit_error_condition() {
        let (reqs, h) = run(
            vec![node("a", 500), node("b", 500)],
            vec![pending("p", 1000)],
        );
        // DefaultPreemption's PostFilter message follows the filters' (upstream's double period).
        let msg = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..";
        match &reqs[0].op {
            crate::api::Op::PatchStatus(Object::Pod(p)) => {
                let c = p.condition("PodScheduled").unwrap();
                assert_eq!(
                    (c.status.as_str(), c.reason.as_str(), c.message.as_str()),
                    ("False", "Unschedulable", msg)
                );
            }
            other => panic!("expected a status patch, got {other:?}"),
        }
        let v: serde_json::Value = serde_json::from_str(&h.trace_lines()[0]).unwrap();
        assert_eq!(v["object"]["selected"], serde_json::Value::Null);
        assert_eq!(v["object"]["message"], msg);
    }

    #[test]
    fn ties_are_broken_by_the_seeded_pick() {
        let nodes = ["a", "b", "c"]
            .iter()
            .map(|n| node_info(n, 4000, 8 << 30, 110).node);
        let snapshot = Snapshot::from_objects(nodes.collect(), &[]);
        let p = PodInfo::from_pod(pod(100, 0));
        let profile = Profile::default_profile();
        // Always take the newest tie: the last of the equal nodes wins.
        let c = schedule_pod(&profile, &p, &snapshot, 0, &mut |_| 0);
        assert_eq!(
            (c.decision.selected.as_deref(), c.filtered.processed),
            (Some("c"), 3)
        );
        // Never replace: the first wins.
        let c = schedule_pod(&profile, &p, &snapshot, 0, &mut |_| 1);
        assert_eq!(c.decision.selected.as_deref(), Some("a"));
    }
}
