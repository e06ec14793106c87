//! The garbage collector: deletes objects whose owners are gone, and carries out the
//! Foreground and Orphan propagation policies.
//!
//! Models pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteWorker,
//! attemptToDeleteItem, isDangling, classifyReferences, processDeletingDependentsItem,
//! orphanDependents, attemptToOrphanWorker), operations.go (deleteObject, getObject,
//! removeFinalizer) and patch.go; the graph is in [`graph`]. Every object of the watched kinds
//! is a node; `--concurrent-gc-syncs` (20) workers per queue each process one queued node at a
//! time, talking to the API server in the same order upstream does, one request at a time
//! (the orphan worker patches all dependents at once, as upstream's goroutines do).
//!
//! Modelling choices:
//! - Upstream's strategic-merge patches of ownerReferences are an `Update` of the object as just
//!   read (live GET, or the informer cache when orphaning, as upstream's JSON-merge fallback
//!   does) with the reference removed, so a concurrent write gives 409 and the item is retried
//!   through the rate-limited queue.
//! - Deletes carry the uid precondition only (`DeleteOptions` has no resourceVersion
//!   precondition, so the retry-without-resourceVersion path of deleteObject never arises).
//! - RetryOnConflict in removeFinalizer waits 10 ms, 50 ms, 250 ms between its 4 attempts,
//!   without the 10 % jitter.
//! - A virtual delete event is applied to the graph at once (upstream queues it for the graph
//!   builder goroutine). A queued node no longer in the graph, or replaced by another node with
//!   its uid, is dropped without the GET upstream would still send.
//! - Lease and Node objects are not watched, so a virtual owner of those kinds that exists stays
//!   queued with back-off, as an unobserved node does upstream. No Kubernetes Events are
//!   recorded.

pub mod graph;

#[cfg(test)]
mod tests;

use crate::api::apiserver::{FINALIZER_FOREGROUND, FINALIZER_ORPHAN};
use crate::api::msg::DeleteOptions;
use crate::api::{Kind, ListOptions, Msg, Object, ObjectRef, Op, OwnerReference, Reply, Response};
use crate::client::{ApiClient, Delta, Informer, RateLimit, RateLimiter};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime};
use graph::{
    Enqueue, EventType, GcNode, Graph, GraphBuilder, GraphEvent, ObjectInfo, ObjectReference,
    QueueKey,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The actor's name in the trace.
pub const ACTOR_NAME: &str = "garbage-collector-controller";

const TIMER_KICK: u64 = 1;
/// Tags from here on name one-off timers (delayed queue adds, conflict retries).
const FIRST_TIMER_TAG: u64 = 2;

/// retry.DefaultBackoff: 4 attempts, 10 ms first wait, x5 each time.
const RETRY_STEPS: u32 = 4;
const RETRY_FIRST_WAIT_US: u64 = 10_000;
const RETRY_FACTOR: u64 = 5;

/// The default controller rate limiter's per-item part: 5 ms doubling to 1000 s.
const BACKOFF_BASE_US: u64 = 5_000;
const BACKOFF_MAX_US: u64 = 1_000_000_000;
/// Its overall part: a bucket of 10 qps, burst 100.
const QUEUE_BUCKET: RateLimit = RateLimit {
    qps: 10,
    burst: 100,
};

/// Garbage collector settings (GarbageCollectorControllerConfiguration).
#[derive(Clone, Debug)]
pub struct GarbageCollectorConfig {
    /// `--concurrent-gc-syncs`: workers per queue, default 20.
    pub concurrent_gc_syncs: usize,
}

impl Default for GarbageCollectorConfig {
    fn default() -> Self {
        GarbageCollectorConfig {
            concurrent_gc_syncs: 20,
        }
    }
}

/// client-go's work queue: an item is queued at most once, is handed to one worker at a time,
/// and an item added while a worker has it is queued again when the worker is done.
#[derive(Debug, Default)]
struct WorkQueue {
    queue: VecDeque<QueueKey>,
    dirty: BTreeSet<QueueKey>,
    processing: BTreeSet<QueueKey>,
}

impl WorkQueue {
    fn add(&mut self, k: QueueKey) {
        if !self.dirty.insert(k.clone()) || self.processing.contains(&k) {
            return;
        }
        self.queue.push_back(k);
    }

    fn get(&mut self) -> Option<QueueKey> {
        let k = self.queue.pop_front()?;
        self.dirty.remove(&k);
        self.processing.insert(k.clone());
        Some(k)
    }

    fn done(&mut self, k: &QueueKey) {
        self.processing.remove(k);
        if self.dirty.contains(k) {
            self.queue.push_back(k.clone());
        }
    }

    fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// DefaultTypedControllerRateLimiter: the longer of a per-item exponential back-off and the
/// queue-wide token bucket.
#[derive(Debug)]
struct RetryLimiter {
    failures: BTreeMap<QueueKey, u32>,
    bucket: RateLimiter,
}

impl RetryLimiter {
    fn new() -> Self {
        RetryLimiter {
            failures: BTreeMap::new(),
            bucket: RateLimiter::new(QUEUE_BUCKET),
        }
    }

    fn when(&mut self, k: &QueueKey, now: SimTime) -> SimDuration {
        let n = self.failures.entry(k.clone()).or_insert(0);
        let exp = *n;
        *n += 1;
        let item = BACKOFF_BASE_US
            .saturating_mul(1 << exp.min(40))
            .min(BACKOFF_MAX_US);
        SimDuration(item).max(self.bucket.reserve(now))
    }

    fn forget(&mut self, k: &QueueKey) {
        self.failures.remove(k);
    }
}

/// The two work queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Queue {
    Delete,
    Orphan,
}

/// A worker of one queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    queue: Queue,
    worker: usize,
}

/// How processing an item ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// No error: forget, unless the node is still virtual (then requeue rate-limited).
    Synced,
    /// An error: requeue rate-limited.
    Failed,
    /// Nothing more to do (virtual delete event sent, or an error that will not resolve).
    Dropped,
}

/// What woke a waiting job.
enum Wake<'a> {
    Response(&'a Response),
    Timer,
}

/// removeFinalizer in progress: GET the owner, then Update it without the finalizer.
#[derive(Debug)]
struct Removal {
    finalizer: &'static str,
    attempt: u32,
    updating: bool,
}

/// The owner references of an item, by classifyReferences.
#[derive(Debug, Default)]
struct References {
    solid: Vec<OwnerReference>,
    dangling: Vec<OwnerReference>,
    waiting: Vec<OwnerReference>,
}

/// What an attemptToDelete job waits for.
#[derive(Debug)]
enum DeleteStep {
    GetItem,
    GetOwner {
        latest: ObjectRef,
        next: usize,
        refs: References,
    },
    Patch,
    Unblock,
    Delete,
    Finalizer(Removal),
}

#[derive(Debug)]
struct DeleteJob {
    key: QueueKey,
    /// The node as it was dequeued (upstream's pointer, for when the graph drops it).
    node: GcNode,
    step: DeleteStep,
}

#[derive(Debug)]
struct OrphanJob {
    key: QueueKey,
    owner: ObjectReference,
    in_flight: usize,
    failed: bool,
    removal: Option<Removal>,
}

enum Next {
    Wait(DeleteStep),
    Done(Outcome),
}

/// What a one-off timer is for.
#[derive(Debug)]
enum TimerUse {
    Add(Queue, QueueKey),
    Retry(Slot),
}

/// The kinds whose objects are nodes of the graph: every stored kind except Lease (one per
/// node, renewed every 10 s) and Node.
fn watched(k: Kind) -> bool {
    !matches!(k, Kind::Lease | Kind::Node)
}

/// The REST mapping of a reference: the stored kind with that kind and apiVersion.
fn kind_of(r: &ObjectReference) -> Option<Kind> {
    Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == r.kind && k.api_version() == r.api_version)
}

/// `resourceDefaultNamespace`: cluster-scoped kinds have no namespace.
fn namespace_for(kind: Kind, ns: &str) -> String {
    if kind.namespaced() {
        ns.to_string()
    } else {
        String::new()
    }
}

fn has_finalizer(o: &Object, f: &str) -> bool {
    o.meta().finalizers.iter().any(|x| x == f)
}

/// The effect of deleteOwnerRefStrategicMergePatch: `o` without references to `uids`.
fn without_owner_refs(o: &Object, uids: &[&str]) -> Object {
    let mut new = o.clone();
    new.meta_mut()
        .owner_references
        .retain(|r| !uids.contains(&r.uid.as_str()));
    new
}

/// The effect of unblockOwnerReferencesStrategicMergePatch: blocking references of `o` get
/// blockOwnerDeletion false.
fn unblocked(o: &Object) -> Object {
    let mut new = o.clone();
    for r in &mut new.meta_mut().owner_references {
        if r.block_owner_deletion == Some(true) {
            r.block_owner_deletion = Some(false);
        }
    }
    new
}

/// The policy attemptToDeleteItem deletes an ownerless item with: its own finalizer's, else
/// Background.
fn propagation_for(o: &Object) -> &'static str {
    if has_finalizer(o, FINALIZER_ORPHAN) {
        "Orphan"
    } else if has_finalizer(o, FINALIZER_FOREGROUND) {
        "Foreground"
    } else {
        "Background"
    }
}

fn any_idle<T>(workers: &[Option<T>]) -> bool {
    workers.iter().any(Option::is_none)
}

/// Indices of the workers without a job.
fn idle<T>(workers: &[Option<T>]) -> Vec<usize> {
    (0..workers.len())
        .filter(|&i| workers[i].is_none())
        .collect()
}

fn event_of(d: Delta) -> GraphEvent {
    let (type_, obj, old) = match d {
        Delta::Added(o) => (EventType::Add, o, None),
        Delta::Updated { old, new } => (EventType::Update, new, Some(ObjectInfo::of(&old))),
        Delta::Deleted(o) => (EventType::Delete, o, None),
    };
    GraphEvent {
        type_,
        is_virtual: false,
        obj: ObjectInfo::of(&obj),
        old,
    }
}

/// The garbage-collector actor.
pub struct GarbageCollector {
    client: ApiClient,
    informers: Vec<Informer>,
    synced: bool,
    builder: GraphBuilder,
    attempt_to_delete: WorkQueue,
    attempt_to_orphan: WorkQueue,
    delete_limiter: RetryLimiter,
    orphan_limiter: RetryLimiter,
    delete_workers: Vec<Option<DeleteJob>>,
    orphan_workers: Vec<Option<OrphanJob>>,
    /// Requests in flight, by the worker waiting for them.
    requests: BTreeMap<u64, Slot>,
    timers: BTreeMap<u64, TimerUse>,
    next_tag: u64,
    /// Items waiting out a rate-limited re-add, by when they are due (earliest kept).
    waiting: BTreeMap<(Queue, QueueKey), SimTime>,
    kick_pending: bool,
}

impl GarbageCollector {
    pub fn new(client: ApiClient) -> Self {
        Self::with_config(client, GarbageCollectorConfig::default())
    }

    pub fn with_config(client: ApiClient, config: GarbageCollectorConfig) -> Self {
        let workers = config.concurrent_gc_syncs.max(1);
        GarbageCollector {
            client,
            informers: Kind::ALL
                .into_iter()
                .filter(|k| watched(*k))
                .map(|k| Informer::new(k, ListOptions::default()))
                .collect(),
            synced: false,
            builder: GraphBuilder::default(),
            attempt_to_delete: WorkQueue::default(),
            attempt_to_orphan: WorkQueue::default(),
            delete_limiter: RetryLimiter::new(),
            orphan_limiter: RetryLimiter::new(),
            delete_workers: (0..workers).map(|_| None).collect(),
            orphan_workers: (0..workers).map(|_| None).collect(),
            requests: BTreeMap::new(),
            timers: BTreeMap::new(),
            next_tag: FIRST_TIMER_TAG,
            waiting: BTreeMap::new(),
            kick_pending: false,
        }
    }

    /// The ownership graph as the garbage collector knows it.
    pub fn graph(&self) -> &Graph {
        &self.builder.graph
    }

    fn queue_mut(&mut self, q: Queue) -> &mut WorkQueue {
        match q {
            Queue::Delete => &mut self.attempt_to_delete,
            Queue::Orphan => &mut self.attempt_to_orphan,
        }
    }

    fn limiter_mut(&mut self, q: Queue) -> &mut RetryLimiter {
        match q {
            Queue::Delete => &mut self.delete_limiter,
            Queue::Orphan => &mut self.orphan_limiter,
        }
    }

    fn send(&mut self, slot: Slot, op: Op, cx: &mut Context<'_, Msg>) {
        let id = self.client.send(cx, op);
        self.requests.insert(id, slot);
    }

    fn set_timer(&mut self, after: SimDuration, what: TimerUse, cx: &mut Context<'_, Msg>) {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.timers.insert(tag, what);
        cx.set_timer(after, tag);
    }

    /// Arms the zero-delay timer that hands queued items to idle workers (once the informers
    /// have synced, as Run waits for before starting workers).
    fn kick(&mut self, cx: &mut Context<'_, Msg>) {
        if !self.synced {
            self.synced = self.informers.iter().all(|i| i.has_synced());
        }
        let delete_work = !self.attempt_to_delete.is_empty() && any_idle(&self.delete_workers);
        let orphan_work = !self.attempt_to_orphan.is_empty() && any_idle(&self.orphan_workers);
        if self.synced && !self.kick_pending && (delete_work || orphan_work) {
            self.kick_pending = true;
            cx.set_timer(SimDuration::ZERO, TIMER_KICK);
        }
    }

    /// Gives one queued item to each idle worker.
    fn dispatch(&mut self, cx: &mut Context<'_, Msg>) {
        for w in idle(&self.delete_workers) {
            let Some(k) = self.attempt_to_delete.get() else {
                break;
            };
            self.start_delete(w, k, cx);
        }
        for w in idle(&self.orphan_workers) {
            let Some(k) = self.attempt_to_orphan.get() else {
                break;
            };
            self.start_orphan(w, k, cx);
        }
    }

    /// `AddRateLimited`.
    fn add_rate_limited(&mut self, q: Queue, k: QueueKey, cx: &mut Context<'_, Msg>) {
        let delay = self.limiter_mut(q).when(&k, cx.now());
        self.add_after(q, k, delay, cx);
    }

    /// `AddAfter`: queue now, or when `delay` has passed (an earlier pending add wins).
    fn add_after(&mut self, q: Queue, k: QueueKey, delay: SimDuration, cx: &mut Context<'_, Msg>) {
        if delay == SimDuration::ZERO {
            self.queue_mut(q).add(k);
            self.kick(cx);
            return;
        }
        let due = cx.now() + delay;
        let slot = (q, k.clone());
        if self.waiting.get(&slot).is_some_and(|t| *t <= due) {
            return;
        }
        self.waiting.insert(slot, due);
        self.set_timer(delay, TimerUse::Add(q, k), cx);
    }

    fn on_delayed_add(&mut self, q: Queue, k: QueueKey, cx: &mut Context<'_, Msg>) {
        let slot = (q, k);
        if self.waiting.get(&slot).is_some_and(|t| *t <= cx.now()) {
            self.waiting.remove(&slot);
            self.queue_mut(q).add(slot.1);
            self.kick(cx);
        }
    }

    fn on_deltas(&mut self, deltas: Vec<Delta>, cx: &mut Context<'_, Msg>) {
        for d in deltas {
            self.builder.process(&event_of(d));
        }
        self.drain_builder(cx);
    }

    /// Moves what the graph builder asked for into the work queues.
    fn drain_builder(&mut self, cx: &mut Context<'_, Msg>) {
        for e in self.builder.take_enqueued() {
            match e {
                Enqueue::Delete(k) => self.attempt_to_delete.add(k),
                Enqueue::DeleteRateLimited(k) => self.add_rate_limited(Queue::Delete, k, cx),
                Enqueue::Orphan(k) => self.attempt_to_orphan.add(k),
            }
        }
        self.kick(cx);
    }

    /// `enqueueVirtualDeleteEvent`, applied at once.
    fn virtual_delete(&mut self, identity: &ObjectReference, cx: &mut Context<'_, Msg>) -> Next {
        self.builder
            .process(&GraphEvent::virtual_delete(identity.clone()));
        self.drain_builder(cx);
        Next::Done(Outcome::Dropped)
    }

    /// `getObject`: a live GET of `r`.
    fn get_object(
        &mut self,
        slot: Slot,
        r: &ObjectReference,
        cx: &mut Context<'_, Msg>,
    ) -> Result<(), Outcome> {
        let kind = kind_of(r).ok_or(Outcome::Failed)?;
        if kind.namespaced() && r.namespace.is_empty() {
            // namespacedOwnerOfClusterScopedObjectErr: will not resolve on retry.
            return Err(Outcome::Dropped);
        }
        let op = Op::Get {
            kind,
            namespace: namespace_for(kind, &r.namespace),
            name: r.name.clone(),
        };
        self.send(slot, op, cx);
        Ok(())
    }

    /// The node a job works on as the graph has it now, else as it was dequeued.
    fn current(&self, job: &DeleteJob) -> GcNode {
        match self.builder.graph.get(&job.key.identity.uid) {
            Some(n) if n.incarnation == job.key.incarnation => n.clone(),
            _ => job.node.clone(),
        }
    }

    /// attemptToDeleteWorker: drops a node the graph no longer has (or has replaced), then
    /// attemptToDeleteItem.
    fn start_delete(&mut self, w: usize, key: QueueKey, cx: &mut Context<'_, Msg>) {
        let node = match self.builder.graph.get(&key.identity.uid) {
            Some(n) if n.incarnation == key.incarnation => n.clone(),
            _ => {
                let slot = Slot {
                    queue: Queue::Delete,
                    worker: w,
                };
                return self.finish(slot, key, Outcome::Dropped, true, cx);
            }
        };
        let job = DeleteJob {
            key,
            node,
            step: DeleteStep::GetItem,
        };
        let next = self.attempt_to_delete_item(w, &job, cx);
        self.settle(w, job, next, cx);
    }

    fn delete_slot(w: usize) -> Slot {
        Slot {
            queue: Queue::Delete,
            worker: w,
        }
    }

    /// Keeps a waiting job in its worker, or ends it.
    fn settle(&mut self, w: usize, mut job: DeleteJob, next: Next, cx: &mut Context<'_, Msg>) {
        match next {
            Next::Wait(step) => {
                job.step = step;
                self.delete_workers[w] = Some(job);
            }
            Next::Done(outcome) => {
                let observed = !self.current(&job).is_virtual;
                self.finish(Self::delete_slot(w), job.key, outcome, observed, cx);
            }
        }
    }

    /// The end of processAttemptToDeleteWorker / processAttemptToOrphanWorker.
    fn finish(
        &mut self,
        slot: Slot,
        key: QueueKey,
        outcome: Outcome,
        observed: bool,
        cx: &mut Context<'_, Msg>,
    ) {
        match slot.queue {
            Queue::Delete => self.delete_workers[slot.worker] = None,
            Queue::Orphan => self.orphan_workers[slot.worker] = None,
        }
        let requeue = match outcome {
            Outcome::Synced => !observed,
            Outcome::Failed => true,
            Outcome::Dropped => false,
        };
        if requeue {
            self.add_rate_limited(slot.queue, key.clone(), cx);
        } else {
            self.limiter_mut(slot.queue).forget(&key);
        }
        self.queue_mut(slot.queue).done(&key);
        self.kick(cx);
    }

    /// attemptToDeleteItem, first step: an item being deleted (and not waiting for its
    /// dependents) is left alone; otherwise read it live.
    fn attempt_to_delete_item(
        &mut self,
        w: usize,
        job: &DeleteJob,
        cx: &mut Context<'_, Msg>,
    ) -> Next {
        let n = &job.node;
        if n.being_deleted && !n.deleting_dependents {
            return Next::Done(Outcome::Synced);
        }
        match self.get_object(Self::delete_slot(w), &n.identity, cx) {
            Ok(()) => Next::Wait(DeleteStep::GetItem),
            Err(o) => Next::Done(o),
        }
    }

    /// The live item: gone or replaced means a virtual delete event; an item waiting for its
    /// dependents goes to processDeletingDependentsItem; otherwise classify its owners.
    fn on_item(
        &mut self,
        w: usize,
        job: &DeleteJob,
        resp: &Response,
        cx: &mut Context<'_, Msg>,
    ) -> Next {
        let latest = match &resp.result {
            Err(e) if e.code == 404 => return self.virtual_delete(&job.node.identity, cx),
            Ok(Reply::Object(o)) => o.clone(),
            _ => return Next::Done(Outcome::Failed),
        };
        if latest.meta().uid != job.node.identity.uid {
            return self.virtual_delete(&job.node.identity, cx);
        }
        let node = self.current(job);
        if node.deleting_dependents {
            return self.process_deleting_dependents_item(w, &node, cx);
        }
        if latest.meta().owner_references.is_empty() {
            return Next::Done(Outcome::Synced);
        }
        self.classify(w, job, latest, 0, References::default(), cx)
    }

    /// processDeletingDependentsItem: without blocking dependents the foregroundDeletion
    /// finalizer goes; otherwise the blocking dependents are queued for deletion.
    fn process_deleting_dependents_item(
        &mut self,
        w: usize,
        node: &GcNode,
        cx: &mut Context<'_, Msg>,
    ) -> Next {
        let blocking = self.builder.graph.blocking_dependents(&node.identity.uid);
        if blocking.is_empty() {
            let slot = Self::delete_slot(w);
            return match self.start_removal(slot, &node.identity, FINALIZER_FOREGROUND, cx) {
                Ok(r) => Next::Wait(DeleteStep::Finalizer(r)),
                Err(o) => Next::Done(o),
            };
        }
        for d in blocking {
            if let Some(dep) = self.builder.graph.get(&d) {
                if !dep.deleting_dependents {
                    let k = dep.key();
                    self.attempt_to_delete.add(k);
                }
            }
        }
        self.kick(cx);
        Next::Done(Outcome::Synced)
    }

    /// classifyReferences from reference `next` on: references the absent-owner cache knows
    /// are dangling; the others are read live, one at a time (isDangling).
    fn classify(
        &mut self,
        w: usize,
        job: &DeleteJob,
        latest: ObjectRef,
        mut next: usize,
        mut refs: References,
        cx: &mut Context<'_, Msg>,
    ) -> Next {
        let item = &job.node.identity;
        while let Some(r) = latest.meta().owner_references.get(next) {
            let mut key = ObjectReference::from_owner(r, "");
            let cached = self.builder.absent_owners.has(&key) || {
                key.namespace = item.namespace.clone();
                self.builder.absent_owners.has(&key)
            };
            if cached {
                refs.dangling.push(r.clone());
                next += 1;
                continue;
            }
            let Some(kind) = kind_of(&key) else {
                return Next::Done(Outcome::Failed);
            };
            if item.namespace.is_empty() && kind.namespaced() {
                return Next::Done(Outcome::Dropped);
            }
            let op = Op::Get {
                kind,
                namespace: namespace_for(kind, &item.namespace),
                name: r.name.clone(),
            };
            self.send(Self::delete_slot(w), op, cx);
            return Next::Wait(DeleteStep::GetOwner { latest, next, refs });
        }
        self.decide(w, job, &latest, refs, cx)
    }

    /// isDangling, second half: NotFound or another uid is dangling (and cached as absent); an
    /// owner being deleted with foregroundDeletion is waiting; otherwise solid.
    #[allow(clippy::too_many_arguments)]
    fn on_owner(
        &mut self,
        w: usize,
        job: &DeleteJob,
        latest: ObjectRef,
        next: usize,
        mut refs: References,
        resp: &Response,
        cx: &mut Context<'_, Msg>,
    ) -> Next {
        let r = latest.meta().owner_references[next].clone();
        let mut key = ObjectReference::from_owner(&r, "");
        let kind = kind_of(&key).expect("mapped before the GET");
        key.namespace = namespace_for(kind, &job.node.identity.namespace);
        match &resp.result {
            Err(e) if e.code == 404 => {
                self.builder.absent_owners.add(key);
                refs.dangling.push(r);
            }
            Ok(Reply::Object(owner)) if owner.meta().uid != r.uid => {
                self.builder.absent_owners.add(key);
                refs.dangling.push(r);
            }
            Ok(Reply::Object(owner)) => {
                let waiting = owner.meta().deletion_timestamp.is_some()
                    && has_finalizer(owner, FINALIZER_FOREGROUND);
                if waiting {
                    refs.waiting.push(r);
                } else {
                    refs.solid.push(r);
                }
            }
            _ => return Next::Done(Outcome::Failed),
        }
        self.classify(w, job, latest, next + 1, refs, cx)
    }

    /// attemptToDeleteItem's decision: with a solid owner, drop references to dangling and
    /// waiting owners; with an owner waiting for its dependents and dependents of its own,
    /// delete in Foreground (first unblocking the item's references if a dependent is also
    /// deleting dependents); otherwise delete with the policy of the item's own finalizers.
    fn decide(
        &mut self,
        w: usize,
        job: &DeleteJob,
        latest: &ObjectRef,
        refs: References,
        cx: &mut Context<'_, Msg>,
    ) -> Next {
        let slot = Self::delete_slot(w);
        if !refs.solid.is_empty() {
            if refs.dangling.is_empty() && refs.waiting.is_empty() {
                return Next::Done(Outcome::Synced);
            }
            let uids: Vec<&str> = refs
                .dangling
                .iter()
                .chain(&refs.waiting)
                .map(|r| r.uid.as_str())
                .collect();
            self.send(slot, Op::Update(without_owner_refs(latest, &uids)), cx);
            return Next::Wait(DeleteStep::Patch);
        }
        let deps = self.builder.graph.dependents(&job.node.identity.uid);
        if !refs.waiting.is_empty() && !deps.is_empty() {
            let graph = &self.builder.graph;
            let cycle = deps
                .iter()
                .any(|d| graph.get(d).is_some_and(|n| n.deleting_dependents));
            if cycle {
                self.send(slot, Op::Update(unblocked(latest)), cx);
                return Next::Wait(DeleteStep::Unblock);
            }
            return self.delete_item(w, job, "Foreground", cx);
        }
        self.delete_item(w, job, propagation_for(latest), cx)
    }

    /// `deleteObject` with a uid precondition.
    fn delete_item(
        &mut self,
        w: usize,
        job: &DeleteJob,
        policy: &str,
        cx: &mut Context<'_, Msg>,
    ) -> Next {
        let id = &job.node.identity;
        let Some(kind) = kind_of(id) else {
            return Next::Done(Outcome::Failed);
        };
        let op = Op::Delete {
            kind,
            namespace: namespace_for(kind, &id.namespace),
            name: id.name.clone(),
            options: DeleteOptions {
                propagation_policy: Some(policy.into()),
                uid: Some(id.uid.clone()),
                ..Default::default()
            },
        };
        self.send(Self::delete_slot(w), op, cx);
        Next::Wait(DeleteStep::Delete)
    }

    fn on_delete_wake(&mut self, w: usize, wake: Wake<'_>, cx: &mut Context<'_, Msg>) {
        let Some(mut job) = self.delete_workers[w].take() else {
            return;
        };
        let step = std::mem::replace(&mut job.step, DeleteStep::GetItem);
        let next = match (step, wake) {
            (DeleteStep::Finalizer(r), wake) => {
                let owner = job.node.identity.clone();
                match self.advance_removal(Self::delete_slot(w), &owner, r, wake, cx) {
                    Ok(r) => Next::Wait(DeleteStep::Finalizer(r)),
                    Err(o) => Next::Done(o),
                }
            }
            (_, Wake::Timer) => Next::Done(Outcome::Failed),
            (DeleteStep::GetItem, Wake::Response(resp)) => self.on_item(w, &job, resp, cx),
            (DeleteStep::GetOwner { latest, next, refs }, Wake::Response(resp)) => {
                self.on_owner(w, &job, latest, next, refs, resp, cx)
            }
            (DeleteStep::Patch, Wake::Response(resp)) => Next::Done(match resp.result {
                Ok(_) => Outcome::Synced,
                Err(_) => Outcome::Failed,
            }),
            (DeleteStep::Unblock, Wake::Response(resp)) => match resp.result {
                Ok(_) => self.delete_item(w, &job, "Foreground", cx),
                Err(_) => Next::Done(Outcome::Failed),
            },
            (DeleteStep::Delete, Wake::Response(resp)) => match &resp.result {
                Ok(_) => Next::Done(Outcome::Synced),
                Err(e) if e.code == 404 => self.virtual_delete(&job.node.identity, cx),
                Err(_) => Next::Done(Outcome::Failed),
            },
        };
        self.settle(w, job, next, cx);
    }

    /// removeFinalizer, first step: GET the owner.
    fn start_removal(
        &mut self,
        slot: Slot,
        owner: &ObjectReference,
        finalizer: &'static str,
        cx: &mut Context<'_, Msg>,
    ) -> Result<Removal, Outcome> {
        self.get_object(slot, owner, cx)
            .map_err(|_| Outcome::Failed)?;
        Ok(Removal {
            finalizer,
            attempt: 0,
            updating: false,
        })
    }

    /// removeFinalizer: a gone owner or one without the finalizer is done; otherwise Update it
    /// without the finalizer, retrying a conflict from a fresh GET (RetryOnConflict).
    fn advance_removal(
        &mut self,
        slot: Slot,
        owner: &ObjectReference,
        mut r: Removal,
        wake: Wake<'_>,
        cx: &mut Context<'_, Msg>,
    ) -> Result<Removal, Outcome> {
        let resp = match wake {
            Wake::Timer => {
                self.get_object(slot, owner, cx)
                    .map_err(|_| Outcome::Failed)?;
                r.updating = false;
                return Ok(r);
            }
            Wake::Response(resp) => resp,
        };
        if r.updating {
            return match &resp.result {
                Ok(_) => Err(Outcome::Synced),
                Err(e) if e.is_conflict() && r.attempt + 1 < RETRY_STEPS => {
                    let wait = RETRY_FIRST_WAIT_US * RETRY_FACTOR.pow(r.attempt);
                    r.attempt += 1;
                    self.set_timer(SimDuration(wait), TimerUse::Retry(slot), cx);
                    Ok(r)
                }
                Err(_) => Err(Outcome::Failed),
            };
        }
        let obj = match &resp.result {
            Err(e) if e.code == 404 => return Err(Outcome::Synced),
            Ok(Reply::Object(o)) => o,
            _ => return Err(Outcome::Failed),
        };
        if !has_finalizer(obj, r.finalizer) {
            return Err(Outcome::Synced);
        }
        let mut new = (**obj).clone();
        new.meta_mut().finalizers.retain(|f| f != r.finalizer);
        self.send(slot, Op::Update(new), cx);
        r.updating = true;
        Ok(r)
    }

    /// The informer-cached object `r` names, if it still has that uid.
    fn cached(&self, r: &ObjectReference) -> Option<&ObjectRef> {
        let kind = kind_of(r)?;
        let inf = self.informers.iter().find(|i| i.kind() == kind)?;
        inf.get(&r.namespace, &r.name)
            .filter(|o| o.meta().uid == r.uid)
    }

    /// attemptToOrphanWorker: remove the owner's reference from each dependent at once
    /// (orphanDependents), then the orphan finalizer from the owner. A dependent missing from
    /// the cache is gone, which upstream ignores as NotFound.
    fn start_orphan(&mut self, w: usize, key: QueueKey, cx: &mut Context<'_, Msg>) {
        let slot = Slot {
            queue: Queue::Orphan,
            worker: w,
        };
        let uid = key.identity.uid.clone();
        let owner = match self.builder.graph.get(&uid) {
            Some(n) if n.incarnation == key.incarnation => n.identity.clone(),
            _ => return self.finish(slot, key, Outcome::Dropped, true, cx),
        };
        let updates: Vec<Object> = self
            .builder
            .graph
            .dependents(&uid)
            .iter()
            .filter_map(|d| self.builder.graph.get(d))
            .filter_map(|d| self.cached(&d.identity))
            .filter(|o| o.meta().owner_references.iter().any(|r| r.uid == uid))
            .map(|o| without_owner_refs(o, &[uid.as_str()]))
            .collect();
        let job = OrphanJob {
            key,
            owner,
            in_flight: updates.len(),
            failed: false,
            removal: None,
        };
        for u in updates {
            self.send(slot, Op::Update(u), cx);
        }
        if job.in_flight == 0 {
            self.orphaned(w, job, cx);
        } else {
            self.orphan_workers[w] = Some(job);
        }
    }

    /// Every dependent answered: remove the orphan finalizer, or retry after a failure
    /// (a dependent already gone is fine).
    fn orphaned(&mut self, w: usize, mut job: OrphanJob, cx: &mut Context<'_, Msg>) {
        let slot = Slot {
            queue: Queue::Orphan,
            worker: w,
        };
        if job.failed {
            return self.finish(slot, job.key, Outcome::Failed, true, cx);
        }
        match self.start_removal(slot, &job.owner, FINALIZER_ORPHAN, cx) {
            Ok(r) => {
                job.removal = Some(r);
                self.orphan_workers[w] = Some(job);
            }
            Err(o) => self.finish(slot, job.key, o, true, cx),
        }
    }

    fn on_orphan_wake(&mut self, w: usize, wake: Wake<'_>, cx: &mut Context<'_, Msg>) {
        let Some(mut job) = self.orphan_workers[w].take() else {
            return;
        };
        let slot = Slot {
            queue: Queue::Orphan,
            worker: w,
        };
        if let Some(r) = job.removal.take() {
            match self.advance_removal(slot, &job.owner.clone(), r, wake, cx) {
                Ok(r) => {
                    job.removal = Some(r);
                    self.orphan_workers[w] = Some(job);
                }
                Err(o) => self.finish(slot, job.key, o, true, cx),
            }
            return;
        }
        let Wake::Response(resp) = wake else {
            self.orphan_workers[w] = Some(job);
            return;
        };
        job.in_flight -= 1;
        job.failed |= resp.result.as_ref().is_err_and(|e| e.code != 404);
        if job.in_flight == 0 {
            self.orphaned(w, job, cx);
        } else {
            self.orphan_workers[w] = Some(job);
        }
    }

    fn wake(&mut self, slot: Slot, wake: Wake<'_>, cx: &mut Context<'_, Msg>) {
        match slot.queue {
            Queue::Delete => self.on_delete_wake(slot.worker, wake, cx),
            Queue::Orphan => self.on_orphan_wake(slot.worker, wake, cx),
        }
    }

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        for i in 0..self.informers.len() {
            if let Some(ds) = self.informers[i].on_response(&resp, &mut self.client, cx) {
                self.on_deltas(ds, cx);
                return;
            }
        }
        if let Some(slot) = self.requests.remove(&resp.id) {
            self.wake(slot, Wake::Response(&resp), cx);
        }
    }

    fn on_timer(&mut self, tag: u64, cx: &mut Context<'_, Msg>) {
        if tag == TIMER_KICK {
            self.kick_pending = false;
            self.dispatch(cx);
            return;
        }
        match self.timers.remove(&tag) {
            Some(TimerUse::Add(q, k)) => self.on_delayed_add(q, k, cx),
            Some(TimerUse::Retry(slot)) => self.wake(slot, Wake::Timer, cx),
            None => {}
        }
    }
}

impl Actor<Msg> for GarbageCollector {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                for inf in &mut self.informers {
                    inf.start(&mut self.client, cx);
                }
            }
            Input::Timer { tag, .. } => self.on_timer(tag, cx),
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => {
                    for i in 0..self.informers.len() {
                        if let Some(ds) = self.informers[i].on_watch(&w, &mut self.client, cx) {
                            self.on_deltas(ds, cx);
                            break;
                        }
                    }
                }
                _ => {}
            },
        }
    }
}
