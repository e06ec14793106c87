//! The Deployment controller: rolls a Deployment's pod template out through ReplicaSets and
//! reports its status. Models pkg/controller/deployment/deployment_controller.go (event handlers,
//! work queue, `syncDeployment`), sync.go, rolling.go, recreate.go and progress.go.
//!
//! A sync runs upstream's logic on the informer caches. Its writes are collected and sent when
//! it returns, each with the resourceVersion upstream would send: the cached one, so a second
//! status write of one sync gets 409 Conflict as upstream's does. Two writes to one ReplicaSet in
//! a sync, the second made from the first's answer, are merged into one Update. The only write
//! the sync waits for is the new ReplicaSet's Create: it is sent alone and the sync is replayed
//! when it is answered, the created set standing for the Create's result. As in the work queue,
//! a key is "processing" until every write of its sync has been answered; events meanwhile mark
//! it dirty and it is synced again afterwards. A failed sync is retried with the controller rate
//! limiter's back-off. Scaling events are spread proportionally as upstream does. Condition
//! times are metav1.Now() at second precision, as upstream stores them.
//!
//! Not modelled: adoption and release of ReplicaSets (only those whose controllerRef is the
//! Deployment count), rollback (`deprecated.deployment.rollback.to`), events, ReplicaFailure
//! conditions (ReplicaSet status has no conditions here), podReplacementPolicy and
//! terminatingReplicas.

mod progress;
mod recreate;
mod rolling;
mod sync;
pub mod util;

#[cfg(test)]
mod tests;

use crate::api::{
    ApiError, Deployment, Kind, ListOptions, Msg, Object, ObjectRef, OwnerReference, Pod,
    ReplicaSet, Reply, Response,
};
use crate::client::{ApiClient, CacheKey, Delta, Informer, RateLimit, RateLimiter};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime, TimerId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use util::Rs;

const TIMER_SYNC: u64 = 1;
const FIRST_TAG: u64 = 2;

/// Deployment controller settings.
#[derive(Clone, Debug)]
pub struct DeploymentConfig {
    /// Retries of a failing key before it is dropped (`maxRetries`, 15).
    pub max_retries: u32,
    /// First retry delay of `DefaultControllerRateLimiter` (5 ms), doubled per failure.
    pub retry_base_delay: SimDuration,
    /// Longest retry delay (1000 s).
    pub retry_max_delay: SimDuration,
    /// The rate limiter's overall bucket, shared by all retries (10 qps, burst 100); a retry
    /// waits for the longer of its back-off and the bucket.
    pub retry_bucket: RateLimit,
    /// A sync whose writes are not all answered after this long counts as failed. client-go
    /// notices a lost connection through HTTP/2 health checks (30 s read idle + 15 s ping).
    pub request_timeout: SimDuration,
}

impl Default for DeploymentConfig {
    fn default() -> Self {
        DeploymentConfig {
            max_retries: 15,
            retry_base_delay: SimDuration::from_millis(5),
            retry_max_delay: SimDuration::from_secs(1000),
            retry_bucket: RateLimit {
                qps: 10,
                burst: 100,
            },
            request_timeout: SimDuration::from_secs(45),
        }
    }
}

/// What ends a sync early.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// The sync failed (upstream returns an error): retried with back-off.
    Error,
    /// The new ReplicaSet's Create was sent; the sync is replayed when it is answered.
    Creating,
}

type Step<T> = Result<T, Stop>;

/// A ReplicaSet the replayed sync takes as the answer to its Create.
#[derive(Clone, Debug)]
struct Created {
    rs: Rs,
    /// The Create got AlreadyExists and the existing set is this Deployment's (upstream's
    /// `alreadyExists`).
    already_existed: bool,
}

/// A write decided by a sync.
#[derive(Debug)]
enum Write {
    CreateRs(ReplicaSet),
    UpdateRs(ReplicaSet),
    UpdateStatus(Deployment),
    DeleteRs { namespace: String, name: String },
}

#[derive(Debug)]
struct Outgoing {
    write: Write,
    /// Whether a failure fails the sync (upstream returns the error).
    counts: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteKind {
    Create,
    Update,
    Status,
    Delete,
}

/// A write sent and not yet answered.
#[derive(Debug)]
struct Pending {
    key: String,
    generation: u64,
    kind: WriteKind,
    counts: bool,
}

/// A key being processed: its sync's writes are in flight.
#[derive(Debug)]
struct InFlight {
    generation: u64,
    outstanding: usize,
    failed: bool,
    timeout: Option<(u64, TimerId)>,
}

#[derive(Clone, Debug)]
enum TimerPurpose {
    /// `AddAfter` fired.
    Requeue(String),
    /// The writes of this processing generation took too long.
    Timeout(String, u64),
}

/// A requeue a sync asked for (progress.go requeueStuckDeployment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Requeue {
    RateLimited,
    After(SimDuration),
}

/// The deployment-controller actor.
pub struct DeploymentController {
    config: DeploymentConfig,
    client: ApiClient,
    deployments: Informer,
    sets: Informer,
    pods: Informer,
    /// ReplicaSets by the uid of their controller.
    sets_by_owner: BTreeMap<String, BTreeSet<CacheKey>>,
    /// Pods (active or not) by the uid of their controller.
    pods_by_owner: BTreeMap<String, BTreeSet<CacheKey>>,
    queue: VecDeque<String>,
    dirty: BTreeSet<String>,
    processing: BTreeMap<String, InFlight>,
    sync_timer_set: bool,
    /// Rate-limiter failures per key (`NumRequeues`).
    failures: BTreeMap<String, u32>,
    retry_bucket: RateLimiter,
    /// Keys waiting for an `AddAfter`: (ready at, timer tag, timer).
    waiting: BTreeMap<String, (SimTime, u64, TimerId)>,
    timers: BTreeMap<u64, TimerPurpose>,
    next_tag: u64,
    next_generation: u64,
    pending: BTreeMap<u64, Pending>,
    // What one sync builds up.
    now: SimTime,
    outbox: Vec<Outgoing>,
    hint: Option<Created>,
    requeue: Option<Requeue>,
}

fn deployment_key(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}

fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').expect("keys are namespace/name")
}

fn cache_key(o: &Object) -> CacheKey {
    (o.meta().namespace.clone(), o.meta().name.clone())
}

impl DeploymentController {
    pub fn new(client: ApiClient, config: DeploymentConfig) -> Self {
        DeploymentController {
            retry_bucket: RateLimiter::new(config.retry_bucket),
            config,
            client,
            deployments: Informer::new(Kind::Deployment, ListOptions::default()),
            sets: Informer::new(Kind::ReplicaSet, ListOptions::default()),
            pods: Informer::new(Kind::Pod, ListOptions::default()),
            sets_by_owner: BTreeMap::new(),
            pods_by_owner: BTreeMap::new(),
            queue: VecDeque::new(),
            dirty: BTreeSet::new(),
            processing: BTreeMap::new(),
            sync_timer_set: false,
            failures: BTreeMap::new(),
            waiting: BTreeMap::new(),
            timers: BTreeMap::new(),
            next_tag: FIRST_TAG,
            next_generation: 1,
            pending: BTreeMap::new(),
            now: SimTime::ZERO,
            outbox: Vec::new(),
            hint: None,
            requeue: None,
        }
    }

    // -----------------------------------------------------------------------------------------
    // The work queue (client-go util/workqueue: dirty set, processing set, delaying and
    // rate-limited adds).

    /// `queue.Add`.
    fn add(&mut self, key: String, cx: &mut Context<'_, Msg>) {
        if self.dirty.insert(key.clone()) && !self.processing.contains_key(&key) {
            self.queue.push_back(key);
        }
        self.kick(cx);
    }

    /// Arms the zero-delay sync timer when there is work and every cache has synced.
    fn kick(&mut self, cx: &mut Context<'_, Msg>) {
        let synced =
            self.deployments.has_synced() && self.sets.has_synced() && self.pods.has_synced();
        if synced && !self.sync_timer_set && !self.queue.is_empty() {
            self.sync_timer_set = true;
            cx.set_timer(SimDuration::ZERO, TIMER_SYNC);
        }
    }

    fn new_tag(&mut self, purpose: TimerPurpose) -> u64 {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.timers.insert(tag, purpose);
        tag
    }

    /// `queue.AddAfter`: an earlier pending time wins.
    fn add_after(&mut self, key: String, delay: SimDuration, cx: &mut Context<'_, Msg>) {
        if delay == SimDuration::ZERO {
            return self.add(key, cx);
        }
        let ready = cx.now() + delay;
        if let Some(&(at, tag, id)) = self.waiting.get(&key) {
            if at <= ready {
                return;
            }
            self.timers.remove(&tag);
            cx.cancel_timer(id);
        }
        let tag = self.new_tag(TimerPurpose::Requeue(key.clone()));
        let id = cx.set_timer(delay, tag);
        self.waiting.insert(key, (ready, tag, id));
    }

    /// `queue.AddRateLimited` (`DefaultControllerRateLimiter`): the longer of the per-key
    /// exponential back-off and the overall bucket.
    fn add_rate_limited(&mut self, key: String, cx: &mut Context<'_, Msg>) {
        let n = self.failures.entry(key.clone()).or_insert(0);
        let factor = 1u64.checked_shl(*n).unwrap_or(u64::MAX);
        *n += 1;
        let per_key = SimDuration(
            self.config
                .retry_base_delay
                .0
                .saturating_mul(factor)
                .min(self.config.retry_max_delay.0),
        );
        let delay = per_key.max(self.retry_bucket.reserve(cx.now()));
        self.add_after(key, delay, cx);
    }

    /// `handleErr` for a failed sync: retry with back-off, or drop after `max_retries`.
    fn handle_err(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        if self.failures.get(key).copied().unwrap_or(0) < self.config.max_retries {
            self.add_rate_limited(key.to_string(), cx);
        } else {
            self.failures.remove(key);
        }
    }

    fn on_timer(&mut self, tag: u64, cx: &mut Context<'_, Msg>) {
        if tag == TIMER_SYNC {
            self.sync_timer_set = false;
            return self.drain(cx);
        }
        match self.timers.remove(&tag) {
            Some(TimerPurpose::Requeue(key)) => {
                self.waiting.remove(&key);
                self.add(key, cx);
            }
            Some(TimerPurpose::Timeout(key, generation)) => {
                let Some(inf) = self.processing.get_mut(&key) else {
                    return;
                };
                if inf.generation == generation {
                    inf.failed = true;
                    inf.timeout = None;
                    self.pending.retain(|_, p| p.generation != generation);
                    self.finish(&key, cx);
                }
            }
            None => {}
        }
    }

    /// Syncs the keys queued when the timer fired (`processNextWorkItem` for each).
    fn drain(&mut self, cx: &mut Context<'_, Msg>) {
        for _ in 0..self.queue.len() {
            let Some(key) = self.queue.pop_front() else {
                break;
            };
            self.dirty.remove(&key);
            let generation = self.next_generation;
            self.next_generation += 1;
            self.processing.insert(
                key.clone(),
                InFlight {
                    generation,
                    outstanding: 0,
                    failed: false,
                    timeout: None,
                },
            );
            self.run_sync(&key, None, cx);
        }
        self.kick(cx);
    }

    /// Runs (or replays) the sync of `key` and sends what it decided.
    fn run_sync(&mut self, key: &str, hint: Option<Created>, cx: &mut Context<'_, Msg>) {
        self.now = cx.now();
        self.hint = hint.filter(|h| self.hint_applies(key, h));
        let result = self.sync_deployment(key);
        self.hint = None;
        self.flush(key, cx);
        if let Some(r) = self.requeue.take() {
            match r {
                Requeue::RateLimited => self.add_rate_limited(key.to_string(), cx),
                Requeue::After(d) => self.add_after(key.to_string(), d, cx),
            }
        }
        let Some(inf) = self.processing.get_mut(key) else {
            return;
        };
        inf.failed |= result == Err(Stop::Error);
        if inf.outstanding == 0 {
            return self.finish(key, cx);
        }
        if inf.timeout.is_none() {
            let generation = inf.generation;
            let tag = self.new_tag(TimerPurpose::Timeout(key.to_string(), generation));
            let id = cx.set_timer(self.config.request_timeout, tag);
            if let Some(inf) = self.processing.get_mut(key) {
                inf.timeout = Some((tag, id));
            }
        }
    }

    /// `queue.Done` after `handleErr`.
    fn finish(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let Some(inf) = self.processing.remove(key) else {
            return;
        };
        if let Some((tag, id)) = inf.timeout {
            self.timers.remove(&tag);
            cx.cancel_timer(id);
        }
        if inf.failed {
            self.handle_err(key, cx);
        } else {
            self.failures.remove(key);
        }
        if self.dirty.contains(key) {
            self.queue.push_back(key.to_string());
            self.kick(cx);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Writes.

    /// Queues an Update of a ReplicaSet and returns what upstream's call would return. A
    /// ReplicaSet with resourceVersion 0 is the answer to an earlier write of this sync: that
    /// write is merged with this one.
    fn update_rs(&mut self, rs: ReplicaSet) -> Rs {
        let mut answer = rs.clone();
        answer.metadata.resource_version = 0;
        if rs.metadata.resource_version == 0 {
            let earlier = self
                .outbox
                .iter_mut()
                .rev()
                .find_map(|o| match &mut o.write {
                    Write::UpdateRs(w) if w.metadata.name == rs.metadata.name => Some(w),
                    _ => None,
                });
            if let Some(w) = earlier {
                let rv = w.metadata.resource_version;
                *w = rs;
                w.metadata.resource_version = rv;
                return Arc::new(answer);
            }
        }
        self.outbox.push(Outgoing {
            write: Write::UpdateRs(rs),
            counts: true,
        });
        Arc::new(answer)
    }

    /// Queues an UpdateStatus of the Deployment as it is now (metadata included, as the status
    /// strategy keeps all metadata but labels).
    fn update_status(&mut self, d: &Deployment, counts: bool) {
        self.outbox.push(Outgoing {
            write: Write::UpdateStatus(d.clone()),
            counts,
        });
    }

    fn delete_rs(&mut self, rs: &ReplicaSet) {
        self.outbox.push(Outgoing {
            write: Write::DeleteRs {
                namespace: rs.metadata.namespace.clone(),
                name: rs.metadata.name.clone(),
            },
            counts: true,
        });
    }

    /// Sends the collected writes.
    fn flush(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let outbox = std::mem::take(&mut self.outbox);
        let Some(generation) = self.processing.get(key).map(|i| i.generation) else {
            return;
        };
        for o in outbox {
            let (id, kind) = match o.write {
                Write::CreateRs(rs) => (
                    self.client.create(cx, Object::ReplicaSet(rs)),
                    WriteKind::Create,
                ),
                Write::UpdateRs(rs) => (
                    self.client.update(cx, Object::ReplicaSet(rs)),
                    WriteKind::Update,
                ),
                Write::UpdateStatus(d) => (
                    self.client.update_status(cx, Object::Deployment(d)),
                    WriteKind::Status,
                ),
                Write::DeleteRs { namespace, name } => (
                    self.client
                        .delete(cx, Kind::ReplicaSet, &namespace, &name, None),
                    WriteKind::Delete,
                ),
            };
            self.pending.insert(
                id,
                Pending {
                    key: key.to_string(),
                    generation,
                    kind,
                    counts: o.counts,
                },
            );
            if let Some(inf) = self.processing.get_mut(key) {
                inf.outstanding += 1;
            }
        }
    }

    fn on_write_answer(
        &mut self,
        p: Pending,
        result: Result<Reply, ApiError>,
        cx: &mut Context<'_, Msg>,
    ) {
        let Some(inf) = self.processing.get_mut(&p.key) else {
            return;
        };
        if inf.generation != p.generation {
            return;
        }
        inf.outstanding -= 1;
        match (p.kind, result) {
            (WriteKind::Create, Ok(Reply::Object(o))) => {
                if let Object::ReplicaSet(rs) = o.as_ref() {
                    let hint = Created {
                        rs: Arc::new(rs.clone()),
                        already_existed: false,
                    };
                    return self.run_sync(&p.key, Some(hint), cx);
                }
            }
            (WriteKind::Create, Err(e)) => return self.create_failed(&p.key, &e, cx),
            (WriteKind::Delete, Err(e)) if e.code == 404 => {}
            (_, Err(_)) if p.counts => inf.failed = true,
            _ => {}
        }
        if self
            .processing
            .get(&p.key)
            .is_some_and(|i| i.outstanding == 0)
        {
            self.finish(&p.key, cx);
        }
    }

    /// The error branches of `getNewReplicaSet`'s Create: an AlreadyExists for this
    /// Deployment's own set replays the sync with it; another AlreadyExists is a hash collision
    /// (collisionCount + 1); any other error sets Progressing=False ReplicaSetCreateError.
    fn create_failed(&mut self, key: &str, err: &ApiError, cx: &mut Context<'_, Msg>) {
        let (ns, name) = split_key(key);
        let Some(mut d) = self.cached_deployment(ns, name) else {
            return self.fail(key, cx);
        };
        let rs_name = new_rs_name(&d);
        if err.reason == "AlreadyExists" {
            let Some(rs) = self.cached_replica_set(ns, &rs_name) else {
                return self.fail(key, cx);
            };
            let owned = rs.metadata.controller_ref().map(|r| &r.uid) == Some(&d.metadata.uid);
            if owned && util::equal_ignore_hash(&d.spec.template, &rs.spec.template) {
                let hint = Created {
                    rs,
                    already_existed: true,
                };
                return self.run_sync(key, Some(hint), cx);
            }
            *d.status.collision_count.get_or_insert(0) += 1;
            self.update_status(&d, false);
        } else if util::has_progress_deadline(&d) {
            let msg = format!(
                "Failed to create new replica set {rs_name:?}: {}",
                err.message
            );
            let c = util::new_condition(
                util::PROGRESSING,
                "False",
                util::FAILED_RS_CREATE_REASON,
                msg,
                util::now_seconds(cx.now()),
            );
            util::set_condition(&mut d.status, c);
            self.update_status(&d, false);
        }
        self.flush(key, cx);
        self.fail(key, cx);
    }

    /// Marks the sync of `key` failed; finishes it when nothing is in flight.
    fn fail(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        if let Some(inf) = self.processing.get_mut(key) {
            inf.failed = true;
            if inf.outstanding == 0 {
                self.finish(key, cx);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Reading the caches.

    fn cached_deployment(&self, ns: &str, name: &str) -> Option<Deployment> {
        match self.deployments.get(ns, name).map(|o| o.as_ref()) {
            Some(Object::Deployment(d)) => Some(d.clone()),
            _ => None,
        }
    }

    fn cached_replica_set(&self, ns: &str, name: &str) -> Option<Rs> {
        match self.sets.get(ns, name).map(|o| o.as_ref()) {
            Some(Object::ReplicaSet(rs)) => Some(Arc::new(rs.clone())),
            _ => None,
        }
    }

    /// `getReplicaSetsForDeployment` without adoption or release: the sets controlled by `d`
    /// that its selector matches, oldest first. A replayed sync leaves out the set it created.
    fn replica_sets_for(&self, d: &Deployment) -> Vec<Rs> {
        let Some(keys) = self.sets_by_owner.get(&d.metadata.uid) else {
            return Vec::new();
        };
        let skip = self.hint.as_ref().map(|h| h.rs.metadata.name.as_str());
        let mut list: Vec<Rs> = keys
            .iter()
            .filter(|(_, name)| Some(name.as_str()) != skip)
            .filter_map(|(ns, name)| self.cached_replica_set(ns, name))
            .filter(|rs| d.spec.selector.matches(&rs.metadata.labels))
            .collect();
        util::sort_by_creation(&mut list);
        list
    }

    /// The pods of `getPodMapForDeployment`: those matching `d`'s selector whose controller is
    /// one of `rs_list`, by ReplicaSet uid.
    fn pods_of<'a>(
        &'a self,
        d: &'a Deployment,
        rs: &ReplicaSet,
    ) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods_by_owner
            .get(&rs.metadata.uid)
            .into_iter()
            .flatten()
            .filter_map(
                |(ns, name)| match self.pods.get(ns, name).map(|o| o.as_ref()) {
                    Some(Object::Pod(p)) => Some(p),
                    _ => None,
                },
            )
            .filter(move |p| d.spec.selector.matches(&p.metadata.labels))
    }

    /// A replayed sync uses its Create's answer only while the Deployment still wants that set.
    fn hint_applies(&self, key: &str, h: &Created) -> bool {
        let (ns, name) = split_key(key);
        self.cached_deployment(ns, name)
            .is_some_and(|d| new_rs_name(&d) == h.rs.metadata.name)
    }

    /// The Create's answer, when this sync is a replay for the set named `name`.
    fn take_hint(&mut self, name: &str) -> Option<Created> {
        if self.hint.as_ref()?.rs.metadata.name == name {
            return self.hint.take();
        }
        None
    }

    // -----------------------------------------------------------------------------------------
    // syncDeployment.

    /// `syncDeployment`: deleted, selecting everything, being deleted, paused, scaling, then the
    /// strategy's rollout.
    fn sync_deployment(&mut self, key: &str) -> Step<()> {
        let (ns, name) = split_key(key);
        let Some(mut d) = self.cached_deployment(ns, name) else {
            return Ok(());
        };
        if d.spec.selector.is_empty() {
            if d.status.observed_generation < d.metadata.generation {
                d.status.observed_generation = d.metadata.generation;
                self.update_status(&d, false);
            }
            return Ok(());
        }
        let rs_list = self.replica_sets_for(&d);
        if d.metadata.deletion_timestamp.is_some() {
            return self.sync_status_only(&mut d, &rs_list);
        }
        self.check_paused_conditions(&mut d);
        if d.spec.paused {
            return self.sync(&mut d, &rs_list);
        }
        if self.is_scaling_event(&mut d, &rs_list)? {
            return self.sync(&mut d, &rs_list);
        }
        match d.spec.strategy.type_.as_str() {
            util::RECREATE => self.rollout_recreate(&mut d, &rs_list),
            util::ROLLING_UPDATE => self.rollout_rolling(&mut d, &rs_list),
            _ => Err(Stop::Error),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Event handlers.

    /// The Deployment a controllerRef points at, if it exists with that uid
    /// (`resolveControllerRef`).
    fn resolve_controller_ref(&self, ns: &str, r: &OwnerReference) -> Option<String> {
        if r.kind != "Deployment" {
            return None;
        }
        let d = self.deployments.get(ns, &r.name)?;
        (d.meta().uid == r.uid).then(|| deployment_key(ns, &r.name))
    }

    fn enqueue_owner(&mut self, o: &Object, cx: &mut Context<'_, Msg>) {
        let ns = &o.meta().namespace;
        if let Some(key) = o
            .meta()
            .controller_ref()
            .and_then(|r| self.resolve_controller_ref(ns, r))
        {
            self.add(key, cx);
        }
    }

    /// addDeployment, updateDeployment, deleteDeployment: enqueue.
    fn on_deployment_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let m = d.object().meta();
        let key = deployment_key(&m.namespace, &m.name);
        self.add(key, cx);
    }

    fn index_set(&mut self, o: &ObjectRef, present: bool) {
        index(&mut self.sets_by_owner, o, present);
    }

    /// addReplicaSet, updateReplicaSet, deleteReplicaSet for controlled sets (orphans would be
    /// offered for adoption upstream; kubesim does not adopt).
    fn on_rs_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        match &d {
            Delta::Added(o) => {
                self.index_set(o, true);
                self.enqueue_owner(o, cx);
            }
            Delta::Updated { old, new } => {
                self.index_set(old, false);
                self.index_set(new, true);
                if old.meta().resource_version == new.meta().resource_version {
                    return;
                }
                let (old_ref, new_ref) = (old.meta().controller_ref(), new.meta().controller_ref());
                if old_ref != new_ref && old_ref.is_some() {
                    self.enqueue_owner(old, cx);
                }
                self.enqueue_owner(new, cx);
            }
            Delta::Deleted(o) => {
                self.index_set(o, false);
                self.enqueue_owner(o, cx);
            }
        }
    }

    /// Keeps the pod index; `deletePod` wakes a Recreate Deployment whose last pod is gone.
    fn on_pod_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        match &d {
            Delta::Added(o) => index(&mut self.pods_by_owner, o, true),
            Delta::Updated { old, new } => {
                index(&mut self.pods_by_owner, old, false);
                index(&mut self.pods_by_owner, new, true);
            }
            Delta::Deleted(o) => {
                index(&mut self.pods_by_owner, o, false);
                self.delete_pod(o, cx);
            }
        }
    }

    /// `deletePod`: the owning Recreate Deployment is synced once it has no pods left. (Upstream
    /// lists the ReplicaSets from the API server here; kubesim reads its cache.)
    fn delete_pod(&mut self, o: &ObjectRef, cx: &mut Context<'_, Msg>) {
        let Some(key) = self.deployment_for_pod(o) else {
            return;
        };
        let (ns, name) = split_key(&key);
        let Some(d) = self.cached_deployment(ns, name) else {
            return;
        };
        if d.spec.strategy.type_ != util::RECREATE {
            return;
        }
        let rs_list = self.replica_sets_for(&d);
        if rs_list
            .iter()
            .all(|rs| self.pods_of(&d, rs).next().is_none())
        {
            self.add(key, cx);
        }
    }

    /// `getDeploymentForPod`: pod -> controlling ReplicaSet (same uid) -> its Deployment.
    fn deployment_for_pod(&self, o: &Object) -> Option<String> {
        let r = o.meta().controller_ref()?;
        if r.kind != "ReplicaSet" {
            return None;
        }
        let rs = self.sets.get(&o.meta().namespace, &r.name)?;
        if rs.meta().uid != r.uid {
            return None;
        }
        self.resolve_controller_ref(&rs.meta().namespace, rs.meta().controller_ref()?)
    }

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.deployments.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_deployment_delta(d, cx));
        } else if let Some(ds) = self.sets.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_rs_delta(d, cx));
        } else if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
        } else if let Some(p) = self.pending.remove(&resp.id) {
            return self.on_write_answer(p, resp.result, cx);
        }
        self.kick(cx);
    }

    fn on_watch(&mut self, w: &crate::api::WatchMsg, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.deployments.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_deployment_delta(d, cx));
        } else if let Some(ds) = self.sets.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_rs_delta(d, cx));
        } else if let Some(ds) = self.pods.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
        }
    }
}

/// The name `getNewReplicaSet` gives the Deployment's new ReplicaSet.
fn new_rs_name(d: &Deployment) -> String {
    let hash = util::compute_hash(&d.spec.template, d.status.collision_count);
    format!("{}-{hash}", d.metadata.name)
}

/// Adds (`present`) or removes an object in an index by controller uid.
fn index(by_owner: &mut BTreeMap<String, BTreeSet<CacheKey>>, o: &Object, present: bool) {
    let Some(r) = o.meta().controller_ref() else {
        return;
    };
    if present {
        by_owner
            .entry(r.uid.clone())
            .or_default()
            .insert(cache_key(o));
    } else if let Some(set) = by_owner.get_mut(&r.uid) {
        set.remove(&cache_key(o));
        if set.is_empty() {
            by_owner.remove(&r.uid);
        }
    }
}

impl Actor<Msg> for DeploymentController {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.deployments.start(&mut self.client, cx);
                self.sets.start(&mut self.client, cx);
                self.pods.start(&mut self.client, cx);
            }
            Input::Timer { tag, .. } => self.on_timer(tag, cx),
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => self.on_watch(&w, cx),
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}
