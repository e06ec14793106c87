//! The kube-scheduler actor: watches nodes and pods, takes pending pods from its queue one at a
//! time, filters and scores nodes, assumes the pod on the best node and binds it.
//! Models pkg/scheduler/schedule_one.go (schedulePod, findNodesThatFitPod, prioritizeNodes,
//! selectHost) and the scheduler cache's assume/forget (pkg/scheduler/backend/cache/cache.go).

use super::framework::{NodeInfo, PodInfo};
use super::profile::Profile;
use super::queue::{QueueConfig, SchedulingQueue};
use crate::api::{Kind, ListOptions, Msg, Object, Pod, Response, Time};
use crate::client::{ApiClient, CacheKey, Delta, Informer};
use crate::sim::{Actor, Context, Input, SimDuration};
use std::collections::BTreeMap;

const TIMER_SCHEDULE: u64 = 1;
const TIMER_FLUSH_BACKOFF: u64 = 2;
const TIMER_FLUSH_UNSCHEDULABLE: u64 = 3;

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

/// Runs one scheduling cycle for `pod` over `nodes`, starting at `start`; returns the decision
/// and how many nodes were processed. `pick` chooses among `n` equally best nodes.
pub fn schedule_pod(
    profile: &Profile,
    pod: &Pod,
    nodes: &[NodeInfo],
    start: usize,
    pick: &mut dyn FnMut(usize) -> usize,
) -> (Decision, usize) {
    let n = nodes.len();
    if n == 0 {
        let d = Decision {
            selected: None,
            evaluated: 0,
            feasible: 0,
            top: vec![],
            message: Some("no nodes available to schedule pods".into()),
        };
        return (d, 0);
    }
    let info = PodInfo::new(pod);
    let to_find = profile.num_feasible_nodes_to_find(n);
    let mut feasible: Vec<usize> = Vec::with_capacity(to_find.min(n));
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut processed = 0;
    for i in 0..n {
        let idx = (start + i) % n;
        processed += 1;
        let node = &nodes[idx];
        let failed = profile.filters.iter().find_map(|f| {
            let st = f.filter(pod, &info, node);
            (!st.is_success()).then_some(st)
        });
        match failed {
            None => {
                feasible.push(idx);
                if feasible.len() >= to_find {
                    break;
                }
            }
            Some(st) => {
                for r in st.reasons {
                    *reasons.entry(r).or_default() += 1;
                }
            }
        }
    }
    if feasible.is_empty() {
        // FitError.Error(): "0/N nodes are available: <count> <reason>, ...", sorted.
        let mut parts: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
        parts.sort();
        let d = Decision {
            selected: None,
            evaluated: processed,
            feasible: 0,
            top: vec![],
            message: Some(format!("0/{n} nodes are available: {}.", parts.join(", "))),
        };
        return (d, processed);
    }
    let mut totals = vec![0i64; feasible.len()];
    if feasible.len() > 1 {
        let mut raw = vec![0i64; feasible.len()];
        for (plugin, weight) in &profile.scorers {
            for (s, &idx) in raw.iter_mut().zip(&feasible) {
                *s = plugin.score(pod, &info, &nodes[idx]);
            }
            plugin.normalize(&mut raw);
            for (t, s) in totals.iter_mut().zip(&raw) {
                *t += weight * s;
            }
        }
    }
    // selectHost: uniform among the nodes with the highest total (reservoir sampling).
    let best = *totals.iter().max().expect("feasible is not empty");
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
    let by_rank = |&a: &usize, &b: &usize| {
        let name = |i: usize| &nodes[feasible[i]].name;
        totals[b].cmp(&totals[a]).then_with(|| name(a).cmp(name(b)))
    };
    let mut order: Vec<usize> = (0..feasible.len()).collect();
    if order.len() > 3 {
        order.select_nth_unstable_by(2, by_rank);
        order.truncate(3);
    }
    order.sort_by(by_rank);
    let ranked: Vec<(String, i64)> = order
        .iter()
        .map(|&i| (nodes[feasible[i]].name.clone(), totals[i]))
        .collect();
    let d = Decision {
        selected: Some(nodes[feasible[chosen]].name.clone()),
        evaluated: processed,
        feasible: feasible.len(),
        top: ranked,
        message: None,
    };
    (d, processed)
}

/// The kube-scheduler actor.
pub struct Scheduler {
    client: ApiClient,
    profile: Profile,
    nodes_informer: Informer,
    pods_informer: Informer,
    nodes: Vec<NodeInfo>,
    node_index: BTreeMap<String, usize>,
    /// Pods counted on nodes (bound or assumed): node and requests.
    placed: BTreeMap<CacheKey, (String, PodInfo)>,
    queue: SchedulingQueue,
    next_start: usize,
    schedule_timer_set: bool,
    binds: BTreeMap<u64, CacheKey>,
    scheduled: u64,
    failed_attempts: u64,
}

impl Scheduler {
    pub fn new(client: ApiClient, profile: Profile, queue: QueueConfig) -> Self {
        Scheduler {
            client,
            profile,
            nodes_informer: Informer::new(Kind::Node, ListOptions::default()),
            pods_informer: Informer::new(Kind::Pod, ListOptions::default()),
            nodes: Vec::new(),
            node_index: BTreeMap::new(),
            placed: BTreeMap::new(),
            queue: SchedulingQueue::new(queue),
            next_start: 0,
            schedule_timer_set: false,
            binds: BTreeMap::new(),
            scheduled: 0,
            failed_attempts: 0,
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

    pub fn queue(&self) -> &SchedulingQueue {
        &self.queue
    }

    fn kick(&mut self, cx: &mut Context<'_, Msg>) {
        if !self.schedule_timer_set && self.queue.active_len() > 0 {
            self.schedule_timer_set = true;
            cx.set_timer(SimDuration::ZERO, TIMER_SCHEDULE);
        }
    }

    fn unplace(&mut self, key: &CacheKey) {
        if let Some((node, info)) = self.placed.remove(key) {
            if let Some(&i) = self.node_index.get(&node) {
                self.nodes[i].remove_pod(&info);
            }
        }
    }

    fn place(&mut self, key: CacheKey, node: &str, info: PodInfo) {
        if let Some(&i) = self.node_index.get(node) {
            self.nodes[i].add_pod(&info);
        }
        self.placed.insert(key, (node.to_string(), info));
    }

    fn on_pod(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let o = d.object().clone();
        let Object::Pod(p) = o.as_ref() else { return };
        let key: CacheKey = (p.metadata.namespace.clone(), p.metadata.name.clone());
        let gone = matches!(d, Delta::Deleted(_)) || p.is_terminal();
        if gone {
            self.unplace(&key);
            self.queue.delete(&key);
            self.queue.move_all_unschedulable(cx.now());
            self.kick(cx);
            return;
        }
        if !p.spec.node_name.is_empty() {
            self.queue.delete(&key);
            let same = self
                .placed
                .get(&key)
                .is_some_and(|(n, _)| *n == p.spec.node_name);
            if !same {
                self.unplace(&key);
                self.place(key, &p.spec.node_name, PodInfo::new(p));
            }
            return;
        }
        let assumed = self.placed.contains_key(&key);
        if p.spec.scheduler_name == self.profile.scheduler_name
            && p.metadata.deletion_timestamp.is_none()
            && !assumed
            && !self.queue.contains(&key)
        {
            self.queue.add(key, p.spec.priority.unwrap_or(0), cx.now());
            self.kick(cx);
        }
    }

    fn on_node(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let Object::Node(n) = d.object().as_ref() else {
            return;
        };
        let name = n.metadata.name.clone();
        match d {
            Delta::Added(_) | Delta::Updated { .. } => {
                match self.node_index.get(&name) {
                    Some(&i) => self.nodes[i].set_node(n.clone()),
                    None => {
                        let mut info = NodeInfo::new(n.clone());
                        for (node, p) in self.placed.values() {
                            if *node == name {
                                info.add_pod(p);
                            }
                        }
                        self.node_index.insert(name, self.nodes.len());
                        self.nodes.push(info);
                    }
                }
                self.queue.move_all_unschedulable(cx.now());
                self.kick(cx);
            }
            Delta::Deleted(_) => {
                if let Some(i) = self.node_index.remove(&name) {
                    self.nodes.remove(i);
                    for (j, ni) in self.nodes.iter().enumerate().skip(i) {
                        self.node_index.insert(ni.name.clone(), j);
                    }
                }
            }
        }
    }

    fn schedule_one(&mut self, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let Some(key) = self.queue.pop(now) else {
            return;
        };
        let pod: Pod = match self.pods_informer.get(&key.0, &key.1).map(|o| o.as_ref()) {
            Some(Object::Pod(p)) if p.spec.node_name.is_empty() => p.clone(),
            _ => {
                self.queue.delete(&key);
                return;
            }
        };
        let start = self.next_start;
        let (decision, processed) = {
            let rng = cx.rng();
            let mut pick = |n: usize| rng.index(n);
            schedule_pod(&self.profile, &pod, &self.nodes, start, &mut pick)
        };
        if !self.nodes.is_empty() {
            self.next_start = (start + processed) % self.nodes.len();
        }
        self.trace_decision(&pod, &decision, cx);
        match &decision.selected {
            Some(node) => {
                self.place(key.clone(), node, PodInfo::new(&pod));
                let id = self.client.bind(
                    cx,
                    &pod.metadata.namespace,
                    &pod.metadata.name,
                    &pod.metadata.uid,
                    node,
                );
                self.binds.insert(id, key);
            }
            None => {
                self.failed_attempts += 1;
                self.queue.add_unschedulable(&key, now);
                let msg = decision.message.clone().unwrap_or_default();
                let already = pod.condition("PodScheduled").is_some_and(|c| {
                    c.status == "False" && c.reason == "Unschedulable" && c.message == msg
                });
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
                    self.client.patch_status(cx, Object::Pod(p));
                }
            }
        }
    }

    fn trace_decision(&self, pod: &Pod, d: &Decision, cx: &mut Context<'_, Msg>) {
        let top: Vec<serde_json::Value> = d
            .top
            .iter()
            .map(|(n, t)| serde_json::json!({"node": n, "total": t}))
            .collect();
        let mut obj = serde_json::json!({
            "pod": format!("{}/{}", pod.metadata.namespace, pod.metadata.name),
            "profile": self.profile.scheduler_name,
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
        if let Some(key) = self.binds.remove(&resp.id) {
            if resp.result.is_ok() {
                self.scheduled += 1;
                self.queue.done(&key);
            } else {
                // ForgetPod, then retry after back-off.
                self.unplace(&key);
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
    use crate::scheduler::plugins::testing::{node_info, pod_info};
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
        let (mut p, _) = pod_info(cpu_m, 1 << 20);
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
        let msg = "0/2 nodes are available: 2 Insufficient cpu.";
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
        let nodes: Vec<NodeInfo> = ["a", "b", "c"]
            .iter()
            .map(|n| node_info(n, 4000, 8 << 30, 110))
            .collect();
        let (p, _) = pod_info(100, 0);
        let profile = Profile::default_profile();
        // Always take the newest tie: the last of the equal nodes wins.
        let (d, processed) = schedule_pod(&profile, &p, &nodes, 0, &mut |_| 0);
        assert_eq!((d.selected.as_deref(), processed), (Some("c"), 3));
        // Never replace: the first wins.
        let (d, _) = schedule_pod(&profile, &p, &nodes, 0, &mut |_| 1);
        assert_eq!(d.selected.as_deref(), Some("a"));
    }
}
