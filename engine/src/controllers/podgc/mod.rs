//! Pod garbage collection (pkg/controller/podgc/gc_controller.go). Every `gcCheckPeriod` after
//! the previous pass ended, over the pods and nodes in its caches:
//! - gcTerminated: beyond `--terminated-pod-gc-threshold` Succeeded/Failed pods, the oldest go;
//! - gcTerminating: pods being deleted on a NotReady node with the
//!   `node.kubernetes.io/out-of-service` taint;
//! - gcOrphaned: pods bound to a node that is not in the cache, once a GET after
//!   `quarantineTime` confirms the node is gone (they get DisruptionTarget "DeletionByPodGC");
//! - gcUnscheduledTerminating: unbound pods being deleted.
//!
//! Each such pod is marked Failed (markFailedAndDeletePodWithCondition) unless already terminal,
//! then force deleted (grace period 0).

use super::tainteviction::update_pod_condition;
use crate::api::pod::PodCondition;
use crate::api::{
    Control, DeleteOptions, Kind, ListOptions, Msg, Object, ObjectRef, Pod, Reply, Response, Time,
    WatchMsg,
};
use crate::client::{ApiClient, Delta, Informer};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `v1.TaintNodeOutOfService`.
pub const TAINT_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";

const TIMER_GC: u64 = 1;

/// (namespace, name) of a pod.
type PodKey = (String, String);

/// Conflicts on the status write answered by re-reading the pod (upstream patches, which do
/// not conflict; kubesim updates with a resourceVersion precondition).
const MAX_STATUS_CONFLICTS: u32 = 5;

/// Pod GC settings (kube-controller-manager flags and gc_controller.go constants).
#[derive(Clone, Debug)]
pub struct PodGCConfig {
    /// `gcCheckPeriod`: the pause between the end of a pass and the next.
    pub gc_check_period: SimDuration,
    /// `--terminated-pod-gc-threshold`; 0 or less turns gcTerminated off.
    pub terminated_pod_gc_threshold: i64,
    /// `quarantineTime`: how long a node missing from the cache waits before the GET.
    pub quarantine_time: SimDuration,
}

impl Default for PodGCConfig {
    fn default() -> Self {
        PodGCConfig {
            gc_check_period: SimDuration::from_secs(20),
            terminated_pod_gc_threshold: 12500,
            quarantine_time: SimDuration::from_secs(40),
        }
    }
}

/// isPodTerminated: the phase is none of Pending, Running, Unknown.
fn is_pod_terminated(p: &Pod) -> bool {
    !matches!(p.status.phase.as_str(), "Pending" | "Running" | "Unknown")
}

/// byEvictionAndCreationTimestamp: creation time, then name. (Evicted pods, Failed with status
/// reason "Evicted", would come first; kubesim's PodStatus has no reason.)
fn by_creation(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    a.metadata
        .creation_timestamp
        .cmp(&b.metadata.creation_timestamp)
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// What the indexes keep of a pod: its node, terminated, being deleted.
fn index_facts(p: &Pod) -> (&str, bool, bool) {
    (
        &p.spec.node_name,
        is_pod_terminated(p),
        p.metadata.deletion_timestamp.is_some(),
    )
}

/// Makes `key` a member of `set` or not.
fn set_member(set: &mut BTreeSet<PodKey>, key: &PodKey, member: bool) {
    if member {
        if !set.contains(key) {
            set.insert(key.clone());
        }
    } else {
        set.remove(key);
    }
}

fn as_pod(o: &ObjectRef) -> Option<&Pod> {
    match o.as_ref() {
        Object::Pod(p) => Some(p),
        _ => None,
    }
}

/// The condition gcOrphaned adds.
fn orphaned_condition() -> PodCondition {
    PodCondition {
        type_: "DisruptionTarget".into(),
        status: "True".into(),
        reason: "DeletionByPodGC".into(),
        message: "PodGC: node no longer exists".into(),
        ..Default::default()
    }
}

/// The `orphaned_pods_nodes` delaying queue: names wait until their time, then are ready.
#[derive(Debug, Default)]
struct DelayingQueue {
    waiting: BTreeMap<String, SimTime>,
    ready: VecDeque<String>,
    queued: BTreeSet<String>,
}

impl DelayingQueue {
    /// AddAfter: a name already waiting keeps the earlier time.
    fn add_after(&mut self, name: &str, at: SimTime) {
        let t = self.waiting.entry(name.to_string()).or_insert(at);
        *t = (*t).min(at);
    }

    /// Moves names whose time has come to the ready queue (earliest first).
    fn promote(&mut self, now: SimTime) {
        let mut due: Vec<(SimTime, String)> = self
            .waiting
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(n, t)| (*t, n.clone()))
            .collect();
        due.sort();
        for (_, name) in due {
            self.waiting.remove(&name);
            if self.queued.insert(name.clone()) {
                self.ready.push_back(name);
            }
        }
    }

    /// Every name, waiting or ready.
    fn names(&self) -> impl Iterator<Item = &String> {
        self.waiting.keys().chain(self.ready.iter())
    }

    fn pop(&mut self) -> Option<String> {
        let name = self.ready.pop_front()?;
        self.queued.remove(&name);
        Some(name)
    }
}

/// The parts of a pass, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Stage {
    #[default]
    Terminated,
    Terminating,
    CheckNodes,
    Orphaned,
    Unscheduled,
}

/// One gc pass over what the caches held when it began (upstream lists them).
#[derive(Debug, Default)]
struct Pass {
    stage: Stage,
    /// gcTerminated's victims, oldest first.
    terminated: Vec<ObjectRef>,
    /// Pods being deleted (gcTerminating, gcUnscheduledTerminating).
    deleting: Vec<ObjectRef>,
    /// Pods bound to nodes missing from the node cache, by node.
    orphans: BTreeMap<String, Vec<ObjectRef>>,
    /// Names in the node queue that were in the node cache.
    existing_queued: BTreeSet<String>,
    /// Sequential work of the stage not started yet.
    pending: VecDeque<(ObjectRef, Option<PodCondition>)>,
    /// Nodes still to GET (discoverDeletedNodes), one at a time.
    to_check: VecDeque<String>,
    deleted_nodes: BTreeSet<String>,
    /// Deletions (or the node GET) in flight.
    in_flight: usize,
}

/// The request one markFailedAndDeletePod is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Status,
    Reread,
    Delete,
}

/// One markFailedAndDeletePodWithCondition.
#[derive(Debug)]
struct Deletion {
    pod: ObjectRef,
    condition: Option<PodCondition>,
    conflicts: u32,
}

#[derive(Debug)]
enum Pending {
    Deletion(u64, Step),
    NodeGet(String),
}

/// The pod-garbage-collector actor.
pub struct PodGC {
    config: PodGCConfig,
    client: ApiClient,
    pods: Informer,
    nodes: Informer,
    started: bool,
    /// Indexes over the pod cache: terminated pods, pods being deleted, bound pods by node.
    terminated: BTreeSet<PodKey>,
    deleting: BTreeSet<PodKey>,
    by_node: BTreeMap<String, BTreeSet<PodKey>>,
    node_names: BTreeSet<String>,
    node_queue: DelayingQueue,
    pass: Option<Pass>,
    deletions: BTreeMap<u64, Deletion>,
    next_deletion: u64,
    requests: BTreeMap<u64, Pending>,
}

impl PodGC {
    pub fn new(client: ApiClient, config: PodGCConfig) -> Self {
        PodGC {
            config,
            client,
            pods: Informer::new(Kind::Pod, ListOptions::default()),
            nodes: Informer::new(Kind::Node, ListOptions::default()),
            started: false,
            terminated: BTreeSet::new(),
            deleting: BTreeSet::new(),
            by_node: BTreeMap::new(),
            node_names: BTreeSet::new(),
            node_queue: DelayingQueue::default(),
            pass: None,
            deletions: BTreeMap::new(),
            next_deletion: 1,
            requests: BTreeMap::new(),
        }
    }

    /// The first pass runs once both caches have synced (wait.Until runs at once).
    fn maybe_start(&mut self, cx: &mut Context<'_, Msg>) {
        if !self.started && self.pods.has_synced() && self.nodes.has_synced() {
            self.started = true;
            self.gc(cx);
        }
    }

    /// gc: take what the stages need from the caches, then run them.
    fn gc(&mut self, cx: &mut Context<'_, Msg>) {
        let deleting = self.refs(&self.deleting);
        let orphans = self
            .by_node
            .iter()
            .filter(|(n, _)| !self.node_names.contains(*n))
            .map(|(n, pods)| (n.clone(), self.refs(pods)))
            .collect();
        let existing_queued = self
            .node_queue
            .names()
            .filter(|n| self.node_names.contains(*n))
            .cloned()
            .collect();
        self.pass = Some(Pass {
            terminated: self.terminated_victims(),
            deleting,
            orphans,
            existing_queued,
            ..Pass::default()
        });
        self.run_stage(cx);
    }

    /// The cached pods of these keys.
    fn refs(&self, keys: &BTreeSet<PodKey>) -> Vec<ObjectRef> {
        keys.iter()
            .filter_map(|(ns, n)| self.pods.get(ns, n).cloned())
            .collect()
    }

    /// gcTerminated's choice: beyond the threshold, the oldest terminated pods.
    fn terminated_victims(&self) -> Vec<ObjectRef> {
        let threshold = self.config.terminated_pod_gc_threshold;
        let excess = self.terminated.len() as i64 - threshold;
        if threshold <= 0 || excess <= 0 {
            return Vec::new();
        }
        let mut pods = self.refs(&self.terminated);
        pods.sort_by(|a, b| by_creation(as_pod(a).unwrap(), as_pod(b).unwrap()));
        pods.truncate(excess as usize);
        pods
    }

    /// Starts the current stage's work; moves on while a stage has nothing to wait for.
    fn run_stage(&mut self, cx: &mut Context<'_, Msg>) {
        loop {
            let Some(pass) = self.pass.as_ref() else {
                return;
            };
            match pass.stage {
                Stage::Terminated => self.gc_terminated(cx),
                Stage::Terminating => self.gc_terminating(cx),
                Stage::CheckNodes => self.discover_deleted_nodes(cx),
                Stage::Orphaned => self.gc_orphaned(cx),
                Stage::Unscheduled => self.gc_unscheduled_terminating(cx),
            }
            let pass = self.pass.as_mut().expect("set above");
            if pass.in_flight > 0 {
                return;
            }
            if !self.next_stage(cx) {
                return;
            }
        }
    }

    /// Advances to the next stage; at the end, schedules the next pass. Returns whether a
    /// stage follows.
    fn next_stage(&mut self, cx: &mut Context<'_, Msg>) -> bool {
        let pass = self.pass.as_mut().expect("a pass runs");
        pass.stage = match pass.stage {
            Stage::Terminated => Stage::Terminating,
            Stage::Terminating => Stage::CheckNodes,
            Stage::CheckNodes => Stage::Orphaned,
            Stage::Orphaned => Stage::Unscheduled,
            Stage::Unscheduled => {
                self.pass = None;
                cx.set_timer(self.config.gc_check_period, TIMER_GC);
                return false;
            }
        };
        true
    }

    /// gcTerminated: the victims chosen at the start, in parallel.
    fn gc_terminated(&mut self, cx: &mut Context<'_, Msg>) {
        let pods = std::mem::take(&mut self.pass.as_mut().expect("a pass runs").terminated);
        self.start_parallel(pods, cx);
    }

    /// gcTerminating: pods being deleted on NotReady out-of-service nodes, in parallel.
    fn gc_terminating(&mut self, cx: &mut Context<'_, Msg>) {
        let pass = self.pass.as_ref().expect("a pass runs");
        let mut pods: Vec<ObjectRef> = pass
            .deleting
            .iter()
            .filter(|o| as_pod(o).is_some_and(|p| self.out_of_service(&p.spec.node_name)))
            .cloned()
            .collect();
        pods.sort_by(|a, b| by_creation(as_pod(a).unwrap(), as_pod(b).unwrap()));
        self.start_parallel(pods, cx);
    }

    /// The node is cached, not Ready, and has the out-of-service taint (any effect).
    fn out_of_service(&self, node: &str) -> bool {
        match self.nodes.get("", node).map(|o| o.as_ref()) {
            Some(Object::Node(n)) => {
                !n.is_ready() && n.spec.taints.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE)
            }
            _ => false,
        }
    }

    /// gcOrphaned, first half: quarantine unknown nodes, then GET those whose time has come.
    fn discover_deleted_nodes(&mut self, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let at = now + self.config.quarantine_time;
        let pass = self.pass.as_mut().expect("a pass runs");
        for name in pass.orphans.keys() {
            self.node_queue.add_after(name, at);
        }
        self.node_queue.promote(now);
        while let Some(name) = self.node_queue.pop() {
            if !pass.existing_queued.contains(&name) {
                pass.to_check.push_back(name);
            }
        }
        self.check_next_node(cx);
    }

    /// checkIfNodeExists for the next node, one at a time.
    fn check_next_node(&mut self, cx: &mut Context<'_, Msg>) {
        let pass = self.pass.as_mut().expect("a pass runs");
        let Some(name) = pass.to_check.pop_front() else {
            return;
        };
        pass.in_flight += 1;
        let req = self.client.get(cx, Kind::Node, "", &name);
        self.requests.insert(req, Pending::NodeGet(name));
    }

    fn on_node_checked(&mut self, name: String, resp: &Response, cx: &mut Context<'_, Msg>) {
        let Some(pass) = self.pass.as_mut() else {
            return;
        };
        pass.in_flight -= 1;
        // NotFound: gone. Another error: checked again on a later pass.
        if matches!(&resp.result, Err(e) if e.code == 404) {
            pass.deleted_nodes.insert(name);
        }
        self.check_next_node(cx);
        self.stage_progress(cx);
    }

    /// gcOrphaned, second half: pods on confirmed-deleted nodes, one after another.
    fn gc_orphaned(&mut self, cx: &mut Context<'_, Msg>) {
        let pass = self.pass.as_mut().expect("a pass runs");
        let mut work = VecDeque::new();
        for node in &pass.deleted_nodes {
            for pod in pass.orphans.remove(node).unwrap_or_default() {
                work.push_back((pod, Some(orphaned_condition())));
            }
        }
        self.start_sequential(work, cx);
    }

    /// gcUnscheduledTerminating: unbound pods being deleted, one after another.
    fn gc_unscheduled_terminating(&mut self, cx: &mut Context<'_, Msg>) {
        let pass = self.pass.as_ref().expect("a pass runs");
        let work = pass
            .deleting
            .iter()
            .filter(|o| as_pod(o).is_some_and(|p| p.spec.node_name.is_empty()))
            .map(|o| (o.clone(), None))
            .collect();
        self.start_sequential(work, cx);
    }

    fn start_parallel(&mut self, pods: Vec<ObjectRef>, cx: &mut Context<'_, Msg>) {
        for pod in pods {
            self.mark_failed_and_delete(pod, None, cx);
        }
    }

    fn start_sequential(
        &mut self,
        work: VecDeque<(ObjectRef, Option<PodCondition>)>,
        cx: &mut Context<'_, Msg>,
    ) {
        self.pass.as_mut().expect("a pass runs").pending = work;
        self.start_next(cx);
    }

    fn start_next(&mut self, cx: &mut Context<'_, Msg>) {
        let Some((pod, cond)) = self.pass.as_mut().and_then(|p| p.pending.pop_front()) else {
            return;
        };
        self.mark_failed_and_delete(pod, cond, cx);
    }

    /// A deletion or node check of the stage finished: start the next one, or move on.
    fn stage_progress(&mut self, cx: &mut Context<'_, Msg>) {
        let Some(pass) = self.pass.as_ref() else {
            return;
        };
        if pass.in_flight > 0 {
            return;
        }
        if !pass.pending.is_empty() {
            self.start_next(cx);
            return;
        }
        if self.next_stage(cx) {
            self.run_stage(cx);
        }
    }

    // ----- markFailedAndDeletePodWithCondition -----

    fn mark_failed_and_delete(
        &mut self,
        pod: ObjectRef,
        condition: Option<PodCondition>,
        cx: &mut Context<'_, Msg>,
    ) {
        if let Some(pass) = self.pass.as_mut() {
            pass.in_flight += 1;
        }
        let id = self.next_deletion;
        self.next_deletion += 1;
        let terminal =
            as_pod(&pod).is_some_and(|p| matches!(p.status.phase.as_str(), "Succeeded" | "Failed"));
        self.deletions.insert(
            id,
            Deletion {
                pod: pod.clone(),
                condition,
                conflicts: 0,
            },
        );
        if terminal {
            self.send_delete(id, cx);
        } else {
            self.send_status(id, &pod, cx);
        }
    }

    /// The status write: phase Failed and the condition, on `base`.
    fn send_status(&mut self, id: u64, base: &ObjectRef, cx: &mut Context<'_, Msg>) {
        let (Some(d), Some(p)) = (self.deletions.get(&id), as_pod(base)) else {
            return;
        };
        let mut new = p.clone();
        new.status.phase = "Failed".into();
        if let Some(c) = &d.condition {
            update_pod_condition(&mut new.status, c.clone(), Time(cx.now()));
        }
        let req = self.client.update_status(cx, Object::Pod(new));
        self.requests
            .insert(req, Pending::Deletion(id, Step::Status));
    }

    fn send_delete(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        let Some(p) = self.deletions.get(&id).and_then(|d| as_pod(&d.pod)) else {
            return;
        };
        let options = DeleteOptions {
            grace_period_seconds: Some(0),
            ..Default::default()
        };
        let (ns, name) = (p.metadata.namespace.clone(), p.metadata.name.clone());
        let req = self.client.delete_with(cx, Kind::Pod, &ns, &name, options);
        self.requests
            .insert(req, Pending::Deletion(id, Step::Delete));
    }

    fn send_reread(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        let Some(p) = self.deletions.get(&id).and_then(|d| as_pod(&d.pod)) else {
            return;
        };
        let (ns, name) = (p.metadata.namespace.clone(), p.metadata.name.clone());
        let req = self.client.get(cx, Kind::Pod, &ns, &name);
        self.requests
            .insert(req, Pending::Deletion(id, Step::Reread));
    }

    fn on_deletion_response(
        &mut self,
        id: u64,
        step: Step,
        resp: &Response,
        cx: &mut Context<'_, Msg>,
    ) {
        match (step, &resp.result) {
            (Step::Status, Ok(_)) => self.send_delete(id, cx),
            (Step::Status, Err(e)) if e.is_conflict() => self.on_conflict(id, cx),
            (Step::Reread, Ok(Reply::Object(o))) => self.on_reread(id, o.clone(), cx),
            // Deleted, or failed: the error is logged upstream; a later pass tries again.
            _ => self.finish(id, cx),
        }
    }

    /// A stale snapshot: re-read the pod and write again (what the patch does server-side).
    fn on_conflict(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        let Some(d) = self.deletions.get_mut(&id) else {
            return;
        };
        d.conflicts += 1;
        if d.conflicts > MAX_STATUS_CONFLICTS {
            self.finish(id, cx);
        } else {
            self.send_reread(id, cx);
        }
    }

    /// The uid precondition of upstream's patch: a pod recreated under the name is left alone.
    fn on_reread(&mut self, id: u64, fresh: ObjectRef, cx: &mut Context<'_, Msg>) {
        let same = self
            .deletions
            .get(&id)
            .is_some_and(|d| d.pod.meta().uid == fresh.meta().uid);
        if same {
            self.send_status(id, &fresh, cx);
        } else {
            self.finish(id, cx);
        }
    }

    fn finish(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        self.deletions.remove(&id);
        if let Some(pass) = self.pass.as_mut() {
            pass.in_flight -= 1;
        }
        self.stage_progress(cx);
    }

    // ----- the indexes -----

    fn on_pod_delta(&mut self, d: &Delta) {
        let (old, new) = match d {
            Delta::Added(o) => (None, as_pod(o)),
            Delta::Updated { old, new } => (as_pod(old), as_pod(new)),
            Delta::Deleted(o) => (as_pod(o), None),
        };
        if let (Some(o), Some(n)) = (old, new) {
            if index_facts(o) == index_facts(n) {
                return;
            }
        }
        if let Some(p) = old {
            self.index(p, false);
        }
        if let Some(p) = new {
            self.index(p, true);
        }
    }

    /// Adds (`present`) or removes a pod in the indexes.
    fn index(&mut self, p: &Pod, present: bool) {
        let key = (p.metadata.namespace.clone(), p.metadata.name.clone());
        let (node, terminated, deleting) = index_facts(p);
        set_member(&mut self.terminated, &key, present && terminated);
        set_member(&mut self.deleting, &key, present && deleting);
        if node.is_empty() {
            return;
        }
        let pods = self.by_node.entry(node.to_string()).or_default();
        set_member(pods, &key, present);
        if pods.is_empty() {
            self.by_node.remove(node);
        }
    }

    fn on_node_delta(&mut self, d: &Delta) {
        let name = &d.object().meta().name;
        match d {
            Delta::Deleted(_) => self.node_names.remove(name),
            _ => self.node_names.insert(name.clone()),
        };
    }

    // ----- messages -----

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.iter().for_each(|d| self.on_pod_delta(d));
            self.maybe_start(cx);
            return;
        }
        if let Some(ds) = self.nodes.on_response(&resp, &mut self.client, cx) {
            ds.iter().for_each(|d| self.on_node_delta(d));
            self.maybe_start(cx);
            return;
        }
        match self.requests.remove(&resp.id) {
            Some(Pending::Deletion(id, Step::Delete)) => self.finish(id, cx),
            Some(Pending::Deletion(id, step)) => self.on_deletion_response(id, step, &resp, cx),
            Some(Pending::NodeGet(name)) => self.on_node_checked(name, &resp, cx),
            None => {}
        }
    }

    fn on_watch(&mut self, w: &WatchMsg, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.pods.on_watch(w, &mut self.client, cx) {
            ds.iter().for_each(|d| self.on_pod_delta(d));
        } else if let Some(ds) = self.nodes.on_watch(w, &mut self.client, cx) {
            ds.iter().for_each(|d| self.on_node_delta(d));
        }
    }
}

impl Actor<Msg> for PodGC {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.pods.start(&mut self.client, cx);
                self.nodes.start(&mut self.client, cx);
            }
            Input::Timer { tag: TIMER_GC, .. } => self.gc(cx),
            Input::Timer { .. } => {}
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => self.on_watch(&w, cx),
                Msg::Control(Control::ConnectionLost) => self.client.connection_lost(cx),
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests;
