//! The taint eviction controller (pkg/controller/tainteviction/taint_eviction.go, formerly the
//! NoExecuteTaintManager). For every pod on a node with NoExecute taints: a taint the pod does
//! not tolerate deletes it at once; otherwise deletion is scheduled at the time the controller
//! processes the change plus the smallest tolerationSeconds of the tolerations used (none: never).
//! Scheduled deletions are cancelled when the taints go away or the pod is deleted.
//!
//! The scheduled deletions are timed_workers.go's TimedWorkerQueue; a deletion is
//! deletePodHandler: GET the pod, add the DisruptionTarget condition, DELETE it with default
//! options (graceful), up to 5 attempts 10 ms apart.

pub use crate::api::tolerations;

use self::tolerations::{get_matching_tolerations, no_execute_taints};
use crate::api::pod::{PodCondition, PodStatus, Toleration};
use crate::api::{
    Control, Kind, ListOptions, Msg, Object, ObjectRef, Pod, Reply, Response, Taint, Time, WatchMsg,
};
use crate::client::{ApiClient, Delta, Informer};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime, TimerId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `retries`: attempts of one deletion.
const RETRIES: u32 = 5;
/// The sleep between attempts.
const RETRY_DELAY: SimDuration = SimDuration::from_millis(10);

/// `v1.DisruptionTarget`.
pub const DISRUPTION_TARGET: &str = "DisruptionTarget";

/// (namespace, name) of a pod.
type PodKey = (String, String);

/// `apipod.UpdatePodCondition` (pkg/api/v1/pod/util.go): sets `cond` in `status` with
/// lastTransitionTime `now`, kept from the old condition when the status is unchanged. Returns
/// whether anything changed.
pub fn update_pod_condition(status: &mut PodStatus, mut cond: PodCondition, now: Time) -> bool {
    cond.last_transition_time = Some(now);
    let Some(old) = status.conditions.iter_mut().find(|c| c.type_ == cond.type_) else {
        status.conditions.push(cond);
        return true;
    };
    if cond.status == old.status {
        cond.last_transition_time = old.last_transition_time;
    }
    let unchanged = cond.status == old.status
        && cond.reason == old.reason
        && cond.message == old.message
        && cond.last_transition_time == old.last_transition_time;
    *old = cond;
    !unchanged
}

/// getMinTolerationTime: the smallest tolerationSeconds of `tolerations` (zero for an empty
/// list, zero when one is <= 0), `None` (tolerated forever) when none has tolerationSeconds.
pub fn get_min_toleration_time(tolerations: &[&Toleration]) -> Option<SimDuration> {
    if tolerations.is_empty() {
        return Some(SimDuration::ZERO);
    }
    let mut min: Option<i64> = None;
    for s in tolerations.iter().filter_map(|t| t.toleration_seconds) {
        if s <= 0 {
            return Some(SimDuration::ZERO);
        }
        min = Some(min.map_or(s, |m| m.min(s)));
    }
    min.map(|s| SimDuration::from_secs(s as u64))
}

fn as_pod(o: &ObjectRef) -> Option<&Pod> {
    match o.as_ref() {
        Object::Pod(p) => Some(p),
        _ => None,
    }
}

/// The DisruptionTarget condition deletePodHandler adds.
fn disruption_condition() -> PodCondition {
    PodCondition {
        type_: DISRUPTION_TARGET.into(),
        status: "True".into(),
        reason: "DeletionByTaintManager".into(),
        message: "Taint manager: deleting due to NoExecute taint".into(),
        ..Default::default()
    }
}

/// A FIFO without duplicates (the controller's node and pod update work queues).
#[derive(Debug)]
struct UpdateQueue<T> {
    queue: VecDeque<T>,
    queued: BTreeSet<T>,
}

impl<T: Ord + Clone> UpdateQueue<T> {
    fn new() -> Self {
        UpdateQueue {
            queue: VecDeque::new(),
            queued: BTreeSet::new(),
        }
    }

    fn add(&mut self, item: T) {
        if self.queued.insert(item.clone()) {
            self.queue.push_back(item);
        }
    }

    fn pop(&mut self) -> Option<T> {
        let item = self.queue.pop_front()?;
        self.queued.remove(&item);
        Some(item)
    }
}

/// `podUpdateItem`: a pod changed; `node_name` is the node it was (last) bound to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PodUpdateItem {
    namespace: String,
    name: String,
    node_name: String,
}

/// `TimedWorker`: a deletion that waits for its timer. A worker started at once has none
/// (upstream stores nil).
#[derive(Clone, Debug)]
struct TimedWorker {
    created_at: SimTime,
    fire_at: SimTime,
    /// The pending timer and its tag; `None` once it has fired.
    timer: Option<(TimerId, u64)>,
}

/// What a timer of this controller is for.
#[derive(Debug)]
enum TimerTag {
    /// A scheduled deletion is due.
    Fire(PodKey),
    /// The next attempt of a running deletion.
    Retry(u64),
}

/// One run of deletePodHandler.
#[derive(Debug)]
struct Eviction {
    key: PodKey,
    /// Failed attempts so far.
    failures: u32,
}

/// The request a running deletion is waiting for.
#[derive(Clone, Copy, Debug)]
enum Step {
    Get,
    Status,
    Delete,
}

/// The taint-eviction-controller actor.
pub struct TaintEvictionController {
    client: ApiClient,
    nodes: Informer,
    pods: Informer,
    /// `taintedNodes`: the NoExecute taints of each node that has some.
    tainted_nodes: BTreeMap<String, Vec<Taint>>,
    /// The pod informer's `spec.nodeName` index.
    pods_by_node: BTreeMap<String, BTreeSet<PodKey>>,
    node_queue: UpdateQueue<String>,
    pod_queue: UpdateQueue<PodUpdateItem>,
    /// `taintEvictionQueue.workers`.
    workers: BTreeMap<PodKey, Option<TimedWorker>>,
    timers: BTreeMap<u64, TimerTag>,
    next_tag: u64,
    evictions: BTreeMap<u64, Eviction>,
    next_eviction: u64,
    /// Requests in flight: request id -> (eviction, step).
    requests: BTreeMap<u64, (u64, Step)>,
}

impl TaintEvictionController {
    pub fn new(client: ApiClient) -> Self {
        TaintEvictionController {
            client,
            nodes: Informer::new(Kind::Node, ListOptions::default()),
            pods: Informer::new(Kind::Pod, ListOptions::default()),
            tainted_nodes: BTreeMap::new(),
            pods_by_node: BTreeMap::new(),
            node_queue: UpdateQueue::new(),
            pod_queue: UpdateQueue::new(),
            workers: BTreeMap::new(),
            timers: BTreeMap::new(),
            next_tag: 1,
            evictions: BTreeMap::new(),
            next_eviction: 1,
            requests: BTreeMap::new(),
        }
    }

    /// When the scheduled deletion of a pod is due, if one waits for its timer.
    pub fn scheduled_eviction(&self, namespace: &str, name: &str) -> Option<SimTime> {
        let key = (namespace.to_string(), name.to_string());
        let w = self.workers.get(&key)?.as_ref()?;
        w.timer.is_some().then_some(w.fire_at)
    }

    /// The NoExecute taints the controller knows for a node.
    pub fn tainted_node(&self, node: &str) -> Option<&[Taint]> {
        self.tainted_nodes.get(node).map(Vec::as_slice)
    }

    fn pod(&self, key: &PodKey) -> Option<&Pod> {
        self.pods.get(&key.0, &key.1).and_then(as_pod)
    }

    // ----- informer events -----

    /// NodeUpdated: queue the node when its NoExecute taints changed.
    fn on_node_delta(&mut self, d: Delta) {
        let taints = |o: &Object| match o {
            Object::Node(n) => no_execute_taints(&n.spec.taints),
            _ => Vec::new(),
        };
        if let Delta::Updated { old, new } = &d {
            if taints(old) == taints(new) {
                return;
            }
        }
        self.node_queue.add(d.object().meta().name.clone());
    }

    /// PodUpdated: keep the node index; queue the pod when its node or tolerations changed.
    fn on_pod_delta(&mut self, d: Delta) {
        let (old, new) = match &d {
            Delta::Added(o) => (None, as_pod(o)),
            Delta::Updated { old, new } => (as_pod(old), as_pod(new)),
            Delta::Deleted(o) => (as_pod(o), None),
        };
        let moved = match (old, new) {
            (Some(o), Some(n)) => o.spec.node_name != n.spec.node_name,
            _ => true,
        };
        if let (true, Some(p)) = (moved, old) {
            self.index(p, false);
        }
        if let (true, Some(p)) = (moved, new) {
            self.index(p, true);
        }
        if let (Some(o), Some(n)) = (old, new) {
            if o.spec.tolerations == n.spec.tolerations && o.spec.node_name == n.spec.node_name {
                return;
            }
        }
        let Some(p) = new.or(old) else {
            return;
        };
        self.pod_queue.add(PodUpdateItem {
            namespace: p.metadata.namespace.clone(),
            name: p.metadata.name.clone(),
            node_name: p.spec.node_name.clone(),
        });
    }

    /// Adds (`present`) or removes a pod in the `spec.nodeName` index.
    fn index(&mut self, p: &Pod, present: bool) {
        let node = &p.spec.node_name;
        if node.is_empty() {
            return;
        }
        let key = (p.metadata.namespace.clone(), p.metadata.name.clone());
        if present {
            self.pods_by_node
                .entry(node.clone())
                .or_default()
                .insert(key);
        } else if let Some(set) = self.pods_by_node.get_mut(node) {
            set.remove(&key);
            if set.is_empty() {
                self.pods_by_node.remove(node);
            }
        }
    }

    /// The worker loop: node updates first, then pod updates, once both caches have synced.
    fn process_queues(&mut self, cx: &mut Context<'_, Msg>) {
        if !(self.nodes.has_synced() && self.pods.has_synced()) {
            return;
        }
        loop {
            while let Some(node) = self.node_queue.pop() {
                self.handle_node_update(&node, cx);
            }
            let Some(item) = self.pod_queue.pop() else {
                return;
            };
            self.handle_pod_update(item, cx);
        }
    }

    /// handlePodUpdate.
    fn handle_pod_update(&mut self, item: PodUpdateItem, cx: &mut Context<'_, Msg>) {
        let key = (item.namespace, item.name);
        let Some(pod) = self.pod(&key) else {
            self.cancel_work(&key, cx);
            return;
        };
        if pod.spec.node_name != item.node_name || item.node_name.is_empty() {
            return;
        }
        let Some(taints) = self.tainted_nodes.get(&item.node_name) else {
            return;
        };
        let (tolerations, taints) = (pod.spec.tolerations.clone(), taints.clone());
        self.process_pod_on_node(&key, &tolerations, &taints, cx.now(), cx);
    }

    /// handleNodeUpdate.
    fn handle_node_update(&mut self, name: &str, cx: &mut Context<'_, Msg>) {
        let taints = match self.nodes.get("", name).map(|o| o.as_ref()) {
            Some(Object::Node(n)) => no_execute_taints(&n.spec.taints),
            _ => {
                self.tainted_nodes.remove(name);
                return;
            }
        };
        if taints.is_empty() {
            self.tainted_nodes.remove(name);
        } else {
            self.tainted_nodes.insert(name.to_string(), taints.clone());
        }
        let keys: Vec<PodKey> = match self.pods_by_node.get(name) {
            Some(set) => set.iter().cloned().collect(),
            None => return,
        };
        if taints.is_empty() {
            for k in &keys {
                self.cancel_work(k, cx);
            }
            return;
        }
        let now = cx.now();
        for k in &keys {
            let Some(tolerations) = self.pod(k).map(|p| p.spec.tolerations.clone()) else {
                continue;
            };
            self.process_pod_on_node(k, &tolerations, &taints, now, cx);
        }
    }

    /// processPodOnNode: delete at once, schedule, keep or cancel the pod's deletion.
    fn process_pod_on_node(
        &mut self,
        key: &PodKey,
        tolerations: &[Toleration],
        taints: &[Taint],
        now: SimTime,
        cx: &mut Context<'_, Msg>,
    ) {
        if taints.is_empty() {
            self.cancel_work(key, cx);
        }
        let Some(used) = get_matching_tolerations(taints, tolerations) else {
            self.cancel_work(key, cx);
            self.add_work(key, now, now, cx);
            return;
        };
        let Some(min) = get_min_toleration_time(&used) else {
            self.cancel_work(key, cx);
            return;
        };
        let mut start = now;
        let trigger = now + min;
        if let Some(Some(w)) = self.workers.get(key) {
            start = w.created_at;
            // Upstream's `Before`: its wall clock has always moved on since the worker was
            // created; at the same virtual instant the existing deletion is kept too.
            if start + min <= trigger {
                return;
            }
            self.cancel_work(key, cx);
        }
        self.add_work(key, start, trigger, cx);
    }

    // ----- the TimedWorkerQueue -----

    /// AddWork: unless the pod already has a worker, run the deletion at `fire_at` (at once when
    /// it is not after `created_at`).
    fn add_work(
        &mut self,
        key: &PodKey,
        created_at: SimTime,
        fire_at: SimTime,
        cx: &mut Context<'_, Msg>,
    ) {
        if self.workers.contains_key(key) {
            return;
        }
        let delay = fire_at.since(created_at);
        if delay == SimDuration::ZERO {
            self.workers.insert(key.clone(), None);
            self.start_eviction(key.clone(), cx);
            return;
        }
        let tag = self.new_tag(TimerTag::Fire(key.clone()));
        let timer = cx.set_timer(delay, tag);
        let worker = TimedWorker {
            created_at,
            fire_at,
            timer: Some((timer, tag)),
        };
        self.workers.insert(key.clone(), Some(worker));
    }

    /// CancelWork: forget the pod's worker, stopping its timer if it has not fired.
    fn cancel_work(&mut self, key: &PodKey, cx: &mut Context<'_, Msg>) {
        if let Some(Some(TimedWorker {
            timer: Some((id, tag)),
            ..
        })) = self.workers.remove(key)
        {
            cx.cancel_timer(id);
            self.timers.remove(&tag);
        }
    }

    fn new_tag(&mut self, what: TimerTag) -> u64 {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.timers.insert(tag, what);
        tag
    }

    fn on_timer(&mut self, tag: u64, cx: &mut Context<'_, Msg>) {
        match self.timers.remove(&tag) {
            Some(TimerTag::Fire(key)) => {
                if let Some(Some(w)) = self.workers.get_mut(&key) {
                    if w.timer.is_some_and(|(_, t)| t == tag) {
                        w.timer = None;
                    }
                }
                self.start_eviction(key, cx);
            }
            Some(TimerTag::Retry(id)) => self.retry(id, cx),
            None => {}
        }
    }

    // ----- deletePodHandler -----

    fn start_eviction(&mut self, key: PodKey, cx: &mut Context<'_, Msg>) {
        let id = self.next_eviction;
        self.next_eviction += 1;
        self.evictions.insert(id, Eviction { key, failures: 0 });
        self.send_get(id, cx);
    }

    fn send_get(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        let Some(e) = self.evictions.get(&id) else {
            return;
        };
        let req = self.client.get(cx, Kind::Pod, &e.key.0, &e.key.1);
        self.requests.insert(req, (id, Step::Get));
    }

    fn send_delete(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        let Some(e) = self.evictions.get(&id) else {
            return;
        };
        let req = self.client.delete(cx, Kind::Pod, &e.key.0, &e.key.1, None);
        self.requests.insert(req, (id, Step::Delete));
    }

    /// addConditionAndDeletePod after the GET: write DisruptionTarget if it is new, then delete.
    fn on_got_pod(&mut self, id: u64, pod: &Pod, cx: &mut Context<'_, Msg>) {
        let mut new = pod.clone();
        let now = Time(cx.now());
        if !update_pod_condition(&mut new.status, disruption_condition(), now) {
            self.send_delete(id, cx);
            return;
        }
        let req = self.client.update_status(cx, Object::Pod(new));
        self.requests.insert(req, (id, Step::Status));
    }

    fn on_eviction_response(
        &mut self,
        id: u64,
        step: Step,
        resp: &Response,
        cx: &mut Context<'_, Msg>,
    ) {
        match (step, &resp.result) {
            (Step::Get, Ok(Reply::Object(o))) => match o.as_ref() {
                Object::Pod(p) => {
                    let p = p.clone();
                    self.on_got_pod(id, &p, cx);
                }
                _ => self.failed(id, cx),
            },
            (Step::Status, Ok(_)) => self.send_delete(id, cx),
            (Step::Delete, Ok(_)) => self.finish(id),
            _ => self.failed(id, cx),
        }
    }

    /// An attempt failed: sleep 10 ms, then try again or give up.
    fn failed(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        let Some(e) = self.evictions.get_mut(&id) else {
            return;
        };
        e.failures += 1;
        let tag = self.new_tag(TimerTag::Retry(id));
        cx.set_timer(RETRY_DELAY, tag);
    }

    fn retry(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        match self.evictions.get(&id) {
            Some(e) if e.failures >= RETRIES => self.finish(id),
            Some(_) => self.send_get(id, cx),
            None => {}
        }
    }

    /// The wrapped worker function returned: the queue forgets the pod's worker.
    fn finish(&mut self, id: u64) {
        if let Some(e) = self.evictions.remove(&id) {
            self.workers.remove(&e.key);
        }
    }

    // ----- messages -----

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.nodes.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_node_delta(d));
        } else if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d));
        } else if let Some((id, step)) = self.requests.remove(&resp.id) {
            self.on_eviction_response(id, step, &resp, cx);
        }
        self.process_queues(cx);
    }

    fn on_watch(&mut self, w: Box<WatchMsg>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.nodes.on_watch(&w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_node_delta(d));
        } else if let Some(ds) = self.pods.on_watch(&w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d));
        }
        self.process_queues(cx);
    }
}

impl Actor<Msg> for TaintEvictionController {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.nodes.start(&mut self.client, cx);
                self.pods.start(&mut self.client, cx);
            }
            Input::Timer { tag, .. } => self.on_timer(tag, cx),
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => self.on_watch(w, cx),
                Msg::Control(Control::ConnectionLost) => self.client.connection_lost(cx),
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests;
