//! The DaemonSet controller: one daemon pod on every eligible node, rolling updates, status.
//! Models pkg/controller/daemon/daemon_controller.go (event handlers, syncDaemonSet, manage,
//! podsShouldBeOnNode, syncNodes, updateDaemonSetStatus, storeDaemonSetStatus) and update.go
//! (rollingUpdate, in `update.rs`): expectations, at most `burstReplicas` (250) creations and
//! deletions per sync, creations in slow-start batches 1, 2, 4, ... stopped by a failure, then
//! the deletions, then the status; a failed sync is retried with the work queue's back-off, and
//! failed daemon pods are deleted under a per-node back-off (1 s doubling to 15 min).
//!
//! Modelling choices (see also `util.rs`):
//! - daemon pods are created bound (`spec.nodeName`), not with a node affinity for the scheduler
//!   (util::new_daemon_pod): the scheduler's filters (resources, ports) are skipped for them, no
//!   pod waits unscheduled, and getUnscheduledPodsWithoutNode has nothing to delete;
//! - ControllerRevisions are not modelled: the revision is the template hash, and
//!   revisionHistoryLimit has no effect;
//! - pods are claimed by controllerRef and selector only (no adoption of orphans, no release
//!   patch for owned pods that stop matching: they are ignored);
//! - no Events; the status write is not retried with a fresh GET (a failed write fails the sync).

mod update;
pub mod util;

use crate::api::daemonset::DaemonSet;
use crate::api::{
    Kind, ListOptions, Msg, Node, Object, ObjectRef, Pod, PodTemplateSpec, Resource, Response,
};
use crate::client::{ApiClient, CacheKey, Delta, Informer, WorkQueue};
use crate::controllers::controller_utils::SLOW_START_INITIAL_BATCH_SIZE;
use crate::controllers::expectations::Expectations;
use crate::sim::{Actor, Context, Input, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use update::{Actions, View};
use util::{
    allows_surge, compute_hash, create_pod_template, creation_order, is_pod_available,
    is_pod_updated, new_daemon_pod, template_generation, FailedPodsBackoff, Placement,
    CONTROLLER_REVISION_HASH_LABEL,
};

/// Drains the work queue (zero delay).
const TIMER_SYNC: u64 = 1;
/// Moves delayed and backed-off keys into the work queue.
const TIMER_WAKE: u64 = 2;

/// DaemonSet controller settings (NewDaemonSetsController; cmd/kube-controller-manager/app/apps.go).
#[derive(Clone, Debug)]
pub struct DaemonSetConfig {
    /// `BurstReplicas`: creations or deletions per sync.
    pub burst_replicas: usize,
    /// First delay before a failed daemon pod on the same node is deleted again.
    pub failed_pods_backoff_initial: SimDuration,
    /// Largest such delay.
    pub failed_pods_backoff_max: SimDuration,
}

impl Default for DaemonSetConfig {
    fn default() -> Self {
        DaemonSetConfig {
            burst_replicas: 250,
            failed_pods_backoff_initial: SimDuration::from_secs(1),
            failed_pods_backoff_max: SimDuration::from_secs(15 * 60),
        }
    }
}

/// The writes of one sync in flight: creations in slow-start batches, then deletions, then the
/// status. The key is not synced again until they are all answered (a workqueue key is never
/// processed twice at once).
struct Round {
    ds: Arc<DaemonSet>,
    hash: String,
    template: PodTemplateSpec,
    to_create: VecDeque<String>,
    batch: usize,
    creating: usize,
    create_failed: bool,
    to_delete: Vec<String>,
    deletes_sent: bool,
    status_sent: bool,
    update_observed_gen: bool,
    outstanding: usize,
    failed: bool,
}

enum Pending {
    Create(String),
    Delete(String),
    Status(String),
}

/// The counts of DaemonSetStatus that updateDaemonSetStatus computes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    desired: i32,
    current: i32,
    misscheduled: i32,
    ready: i32,
    updated: i32,
    available: i32,
}

/// The daemonset-controller actor.
pub struct DaemonSetController {
    config: DaemonSetConfig,
    client: ApiClient,
    sets: Informer,
    pods: Informer,
    nodes: Informer,
    /// Pods by the uid of the DaemonSet that controls them (all phases).
    owned: BTreeMap<String, BTreeSet<CacheKey>>,
    expectations: Expectations,
    queue: WorkQueue,
    /// Keys due later (AddAfter), by when, and the due time per key.
    delayed: BTreeSet<(SimTime, String)>,
    delayed_at: BTreeMap<String, SimTime>,
    /// Keys added while their round was in flight: synced again when it ends.
    dirty: BTreeSet<String>,
    rounds: BTreeMap<String, Round>,
    pending: BTreeMap<u64, Pending>,
    backoff: FailedPodsBackoff,
    sync_timer_set: bool,
}

fn ds_key(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}

fn as_pod(o: &ObjectRef) -> Option<&Pod> {
    match o.as_ref() {
        Object::Pod(p) => Some(p),
        _ => None,
    }
}

fn as_node(o: &ObjectRef) -> Option<&Node> {
    match o.as_ref() {
        Object::Node(n) => Some(n),
        _ => None,
    }
}

/// getNodesToDaemonPods: the DaemonSet's pods that match its selector, by node, oldest first,
/// leaving out terminal pods that are being deleted.
fn node_to_daemon_pods<'a>(
    owned: &'a BTreeMap<String, BTreeSet<CacheKey>>,
    pods: &'a Informer,
    ds: &DaemonSet,
) -> BTreeMap<&'a str, Vec<&'a Pod>> {
    let mut out: BTreeMap<&str, Vec<&Pod>> = BTreeMap::new();
    let Some(keys) = owned.get(&ds.metadata.uid) else {
        return out;
    };
    let claimed = keys
        .iter()
        .filter_map(|(ns, n)| pods.get(ns, n).and_then(as_pod))
        .filter(|p| {
            p.metadata
                .controller_ref()
                .is_some_and(|r| r.uid == ds.metadata.uid)
        })
        .filter(|p| ds.spec.selector.matches(&p.metadata.labels))
        .filter(|p| !(p.is_terminal() && p.metadata.deletion_timestamp.is_some()))
        .filter(|p| !p.spec.node_name.is_empty());
    for p in claimed {
        out.entry(p.spec.node_name.as_str()).or_default().push(p);
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| creation_order(a, b));
    }
    out
}

/// `failedPodsBackoffKey`.
fn failed_pods_backoff_key(ds: &DaemonSet, node: &str) -> String {
    format!(
        "{}/{}/{}",
        ds.metadata.uid, ds.status.observed_generation, node
    )
}

impl DaemonSetController {
    pub fn new(client: ApiClient, config: DaemonSetConfig) -> Self {
        let backoff = FailedPodsBackoff::new(
            config.failed_pods_backoff_initial,
            config.failed_pods_backoff_max,
        );
        DaemonSetController {
            config,
            client,
            sets: Informer::new(Kind::DaemonSet, ListOptions::default()),
            pods: Informer::new(Kind::Pod, ListOptions::default()),
            nodes: Informer::new(Kind::Node, ListOptions::default()),
            owned: BTreeMap::new(),
            expectations: Expectations::default(),
            queue: WorkQueue::default(),
            delayed: BTreeSet::new(),
            delayed_at: BTreeMap::new(),
            dirty: BTreeSet::new(),
            rounds: BTreeMap::new(),
            pending: BTreeMap::new(),
            backoff,
            sync_timer_set: false,
        }
    }

    fn synced(&self) -> bool {
        self.sets.has_synced() && self.pods.has_synced() && self.nodes.has_synced()
    }

    fn enqueue(&mut self, key: String, cx: &mut Context<'_, Msg>) {
        if self.rounds.contains_key(&key) {
            self.dirty.insert(key);
        } else {
            self.queue.add(key);
            self.kick(cx);
        }
    }

    /// AddAfter: the key comes back after `after`; an earlier pending time wins.
    fn enqueue_after(&mut self, key: String, after: SimDuration, cx: &mut Context<'_, Msg>) {
        let due = cx.now() + after;
        if let Some(&at) = self.delayed_at.get(&key) {
            if at <= due {
                return;
            }
            self.delayed.remove(&(at, key.clone()));
        }
        self.delayed.insert((due, key.clone()));
        self.delayed_at.insert(key, due);
        cx.set_timer(after, TIMER_WAKE);
    }

    /// Arms the zero-delay sync timer when there is work and the caches have synced.
    fn kick(&mut self, cx: &mut Context<'_, Msg>) {
        if self.synced() && !self.sync_timer_set && !self.queue.is_empty() {
            self.sync_timer_set = true;
            cx.set_timer(SimDuration::ZERO, TIMER_SYNC);
        }
    }

    fn wake(&mut self, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        self.queue.promote(now);
        while let Some((due, _)) = self.delayed.first() {
            if *due > now {
                break;
            }
            let (_, key) = self.delayed.pop_first().expect("checked");
            self.delayed_at.remove(&key);
            self.enqueue(key, cx);
        }
        self.kick(cx);
    }

    fn drain(&mut self, cx: &mut Context<'_, Msg>) {
        self.sync_timer_set = false;
        while let Some(key) = self.queue.pop() {
            if self.rounds.contains_key(&key) {
                self.dirty.insert(key);
            } else {
                self.sync(&key, cx);
            }
        }
    }

    fn cached(&self, key: &str) -> Option<&DaemonSet> {
        let (ns, name) = key.split_once('/').expect("keys are namespace/name");
        self.sets
            .get(ns, name)
            .and_then(|o| DaemonSet::from_object(o))
    }

    /// resolveControllerRef: the key of the cached DaemonSet that controls `pod`.
    fn resolve(&self, pod: &Pod) -> Option<String> {
        let r = pod.metadata.controller_ref()?;
        if r.kind != "DaemonSet" {
            return None;
        }
        let ds = self.sets.get(&pod.metadata.namespace, &r.name)?;
        (ds.meta().uid == r.uid).then(|| ds_key(&pod.metadata.namespace, &r.name))
    }

    fn index_pod(&mut self, o: &ObjectRef, present: bool) {
        let Some(p) = as_pod(o) else { return };
        let Some(r) = p
            .metadata
            .controller_ref()
            .filter(|r| r.kind == "DaemonSet")
        else {
            return;
        };
        let key = (p.metadata.namespace.clone(), p.metadata.name.clone());
        if present {
            self.owned.entry(r.uid.clone()).or_default().insert(key);
        } else if let Some(set) = self.owned.get_mut(&r.uid) {
            set.remove(&key);
            if set.is_empty() {
                self.owned.remove(&r.uid);
            }
        }
    }

    fn on_ds_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let m = d.object().meta();
        let key = ds_key(&m.namespace, &m.name);
        match &d {
            Delta::Added(_) => {}
            Delta::Updated { old, new } => {
                if old.meta().uid != new.meta().uid {
                    self.expectations.forget(&key);
                }
            }
            Delta::Deleted(_) => self.expectations.forget(&key),
        }
        self.enqueue(key, cx);
    }

    /// deletePod: a deletion (or a deletionTimestamp) of a daemon pod was observed.
    fn pod_gone(&mut self, pod: &Pod, cx: &mut Context<'_, Msg>) {
        if let Some(key) = self.resolve(pod) {
            self.expectations.deletion_observed(&key);
            self.enqueue(key, cx);
        }
    }

    fn on_pod_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        match &d {
            Delta::Added(o) => {
                self.index_pod(o, true);
                let Some(p) = as_pod(o) else { return };
                if p.metadata.deletion_timestamp.is_some() {
                    self.pod_gone(p, cx);
                } else if let Some(key) = self.resolve(p) {
                    self.expectations.creation_observed(&key);
                    self.enqueue(key, cx);
                }
            }
            Delta::Updated { old, new } => {
                self.index_pod(old, false);
                self.index_pod(new, true);
                if let (Some(o), Some(n)) = (as_pod(old), as_pod(new)) {
                    self.pod_updated(o, n, cx);
                }
            }
            Delta::Deleted(o) => {
                self.index_pod(o, false);
                if let Some(p) = as_pod(o) {
                    self.pod_gone(p, cx);
                }
            }
        }
    }

    /// updatePod.
    fn pod_updated(&mut self, old: &Pod, new: &Pod, cx: &mut Context<'_, Msg>) {
        if old.metadata.resource_version == new.metadata.resource_version {
            return;
        }
        if new.metadata.deletion_timestamp.is_some() {
            self.pod_gone(new, cx);
            return;
        }
        let (ro, rn) = (old.metadata.controller_ref(), new.metadata.controller_ref());
        if ro.is_some() && ro != rn {
            if let Some(key) = self.resolve(old) {
                self.enqueue(key, cx);
            }
        }
        let Some(key) = self.resolve(new) else { return };
        let min_ready = self.cached(&key).map_or(0, |ds| ds.spec.min_ready_seconds);
        self.enqueue(key.clone(), cx);
        if !old.is_ready() && new.is_ready() && min_ready > 0 {
            let after = SimDuration::from_secs(min_ready as u64 + 1);
            self.enqueue_after(key, after, cx);
        }
    }

    /// addNode / updateNode: enqueue the DaemonSets whose placement on this node changed.
    fn on_node_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let keys: Vec<String> = match &d {
            Delta::Added(o) => {
                let Some(n) = as_node(o) else { return };
                self.daemonsets_where(|p| p.should_run(n).0)
            }
            Delta::Updated { old, new } => {
                let (Some(o), Some(n)) = (as_node(old), as_node(new)) else {
                    return;
                };
                // shouldIgnoreNodeUpdate: only labels and taints matter.
                if o.metadata.labels == n.metadata.labels && o.spec.taints == n.spec.taints {
                    return;
                }
                self.daemonsets_where(|p| p.should_run(o) != p.should_run(n))
            }
            Delta::Deleted(_) => return,
        };
        for key in keys {
            self.enqueue(key, cx);
        }
    }

    fn daemonsets_where(&self, f: impl Fn(&Placement) -> bool) -> Vec<String> {
        self.sets
            .typed::<DaemonSet>()
            .filter(|ds| f(&Placement::of(ds)))
            .map(|ds| ds_key(&ds.metadata.namespace, &ds.metadata.name))
            .collect()
    }

    /// The sync's view: shouldRun per cached node and the daemon pods per node.
    fn view<'a>(&'a self, ds: &'a DaemonSet, hash: &'a str, now: SimTime) -> View<'a> {
        let place = Placement::of(ds);
        View {
            ds,
            hash,
            generation: template_generation(ds),
            now,
            should_run: self
                .nodes
                .typed::<Node>()
                .map(|n| (n.metadata.name.as_str(), place.should_run(n).0))
                .collect(),
            pods: node_to_daemon_pods(&self.owned, &self.pods, ds),
        }
    }

    /// syncDaemonSet.
    fn sync(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let Some(ds) = self.cached(key) else {
            self.expectations.forget(key);
            self.queue.forget(key);
            return;
        };
        // An empty selector selects every pod: upstream refuses (SelectingAll event). A
        // DaemonSet being deleted is left alone, status included.
        if ds.spec.selector.is_empty() || ds.metadata.deletion_timestamp.is_some() {
            self.queue.forget(key);
            return;
        }
        let ds = Arc::new(ds.clone());
        let hash = compute_hash(&ds.spec.template);
        let mut round = Round {
            template: create_pod_template(&ds.spec.template, template_generation(&ds), &hash),
            ds: ds.clone(),
            hash,
            to_create: VecDeque::new(),
            batch: SLOW_START_INITIAL_BATCH_SIZE,
            creating: 0,
            create_failed: false,
            to_delete: Vec::new(),
            deletes_sent: false,
            status_sent: false,
            update_observed_gen: false,
            outstanding: 0,
            failed: false,
        };
        if self.expectations.satisfied(key, cx.now()) {
            round.update_observed_gen = true;
            self.update_daemonset(key, &mut round, cx);
        }
        self.rounds.insert(key.to_string(), round);
        self.advance(key, cx);
    }

    /// updateDaemonSet: manage, then the rolling update if manage had nothing to do.
    fn update_daemonset(&mut self, key: &str, round: &mut Round, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let (actions, requeue) = self.manage(&round.ds, &round.hash, now);
        if let Some(after) = requeue {
            self.enqueue_after(key.to_string(), after, cx);
        }
        self.set_actions(key, round, actions, now);
        let rolling = round.ds.spec.update_strategy.type_ == "RollingUpdate";
        if rolling && self.expectations.satisfied(key, now) {
            let result = self.view(&round.ds, &round.hash, now).rolling_update();
            match result {
                Ok(actions) => self.set_actions(key, round, actions, now),
                Err(_) => round.failed = true,
            }
        }
    }

    /// syncNodes' bookkeeping: at most burstReplicas of each, expectations set before any write.
    fn set_actions(&mut self, key: &str, round: &mut Round, mut a: Actions, now: SimTime) {
        a.create.truncate(self.config.burst_replicas);
        a.delete.truncate(self.config.burst_replicas);
        self.expectations
            .expect(key, a.create.len() as i64, a.delete.len() as i64, now);
        round.to_create = a.create.into();
        round.to_delete = a.delete;
    }

    /// manage: podsShouldBeOnNode over every node. Also returns the shortest failed-pod
    /// back-off still running, after which the DaemonSet should be synced again.
    fn manage(
        &mut self,
        ds: &DaemonSet,
        hash: &str,
        now: SimTime,
    ) -> (Actions, Option<SimDuration>) {
        let place = Placement::of(ds);
        let surge = allows_surge(ds);
        let node_pods = node_to_daemon_pods(&self.owned, &self.pods, ds);
        let mut actions = Actions::default();
        let mut requeue: Option<SimDuration> = None;
        for node in self.nodes.typed::<Node>() {
            let name = node.metadata.name.as_str();
            let (should_run, keep) = place.should_run(node);
            let pods = node_pods.get(name).map_or(&[][..], Vec::as_slice);
            let d = pods_should_be_on_node(
                ds,
                name,
                pods,
                (should_run, keep),
                surge,
                hash,
                now,
                &mut self.backoff,
            );
            if d.create {
                actions.create.push(name.to_string());
            }
            actions.delete.extend(d.delete);
            if let Some(after) = d.requeue_after {
                requeue = Some(requeue.map_or(after, |r| r.min(after)));
            }
        }
        (actions, requeue)
    }

    /// Sends what the round can send next (creations, then deletions, then status), or ends it.
    fn advance(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let Some(r) = self.rounds.get_mut(key) else {
            return;
        };
        if r.creating > 0 || r.outstanding > 0 {
            return;
        }
        if !r.to_create.is_empty() && !r.create_failed {
            self.send_batch(key, cx);
            return;
        }
        // Slow-start failure: the creations never attempted will not be observed.
        let skipped = std::mem::take(&mut r.to_create).len();
        let (deletes_sent, status_sent) = (r.deletes_sent, r.status_sent);
        for _ in 0..skipped {
            self.expectations.creation_observed(key);
        }
        if !deletes_sent && self.send_deletes(key, cx) {
            return;
        }
        if !status_sent && self.update_status(key, cx) {
            return;
        }
        self.finish(key, cx);
    }

    /// Sends the round's deletions; returns whether there were any.
    fn send_deletes(&mut self, key: &str, cx: &mut Context<'_, Msg>) -> bool {
        let r = self.rounds.get_mut(key).expect("present");
        r.deletes_sent = true;
        let names = std::mem::take(&mut r.to_delete);
        let ns = r.ds.metadata.namespace.clone();
        r.outstanding = names.len();
        for name in &names {
            let id = self.client.delete(cx, Kind::Pod, &ns, name, None);
            self.pending.insert(id, Pending::Delete(key.to_string()));
        }
        !names.is_empty()
    }

    /// Sends the next slow-start batch of creations.
    fn send_batch(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let r = self.rounds.get_mut(key).expect("present");
        let n = r.batch.min(r.to_create.len());
        r.batch = n * 2;
        r.creating = n;
        let pods: Vec<Pod> = r
            .to_create
            .drain(..n)
            .map(|node| new_daemon_pod(&r.ds, &r.template, &node))
            .collect();
        for pod in pods {
            let id = self.client.create(cx, Object::Pod(pod));
            self.pending.insert(id, Pending::Create(key.to_string()));
        }
    }

    /// The round is over: a failed sync comes back with the queue's back-off (AddRateLimited),
    /// a good one resets it (Forget); a key added meanwhile is synced again.
    fn finish(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let Some(r) = self.rounds.remove(key) else {
            return;
        };
        if r.failed {
            let due = self.queue.add_rate_limited(key.to_string(), cx.now());
            cx.set_timer(due.since(cx.now()), TIMER_WAKE);
        } else {
            self.queue.forget(key);
        }
        if self.dirty.remove(key) {
            self.enqueue(key.to_string(), cx);
        }
    }

    /// updateDaemonSetStatus: the counts over the cached nodes and pods.
    fn counts(&self, ds: &DaemonSet, hash: &str, now: SimTime) -> Counts {
        let view = self.view(ds, hash, now);
        let mut c = Counts::default();
        for (node, should_run) in &view.should_run {
            let oldest = view.pods.get(node).and_then(|ps| ps.first());
            match (should_run, oldest) {
                (true, None) => c.desired += 1,
                (true, Some(p)) => {
                    c.desired += 1;
                    c.current += 1;
                    if p.is_ready() {
                        c.ready += 1;
                        c.available +=
                            i32::from(is_pod_available(p, ds.spec.min_ready_seconds, now));
                    }
                    c.updated += i32::from(is_pod_updated(p, hash, view.generation));
                }
                (false, Some(_)) => c.misscheduled += 1,
                (false, None) => {}
            }
        }
        c
    }

    /// updateDaemonSetStatus + storeDaemonSetStatus: writes the status when a count changed or
    /// observedGeneration lags and may be raised; returns whether a write was sent. Upstream also
    /// writes an unchanged status it may not raise observedGeneration in, which its API server
    /// turns into a no-op; kubesim's would store it and wake this controller again.
    fn update_status(&mut self, key: &str, cx: &mut Context<'_, Msg>) -> bool {
        let r = self.rounds.get_mut(key).expect("present");
        r.status_sent = true;
        let (ds, hash, now) = (r.ds.clone(), r.hash.clone(), cx.now());
        let c = self.counts(&ds, &hash, now);
        let min_ready = ds.spec.min_ready_seconds;
        if min_ready > 0 && c.ready != c.available {
            self.enqueue_after(
                key.to_string(),
                SimDuration::from_secs(min_ready as u64),
                cx,
            );
        }
        let r = self.rounds.get_mut(key).expect("present");
        let mut status = ds.status.clone();
        status.desired_number_scheduled = c.desired;
        status.current_number_scheduled = c.current;
        status.number_misscheduled = c.misscheduled;
        status.number_ready = c.ready;
        status.updated_number_scheduled = c.updated;
        status.number_available = c.available;
        status.number_unavailable = c.desired - c.available;
        let current = ds.status.observed_generation >= ds.metadata.generation;
        if status == ds.status && (current || !r.update_observed_gen) {
            return false;
        }
        if r.update_observed_gen {
            status.observed_generation = ds.metadata.generation;
        }
        let mut new = (*ds).clone();
        new.status = status;
        r.outstanding += 1;
        let id = self.client.update_status(cx, Object::DaemonSet(new));
        self.pending.insert(id, Pending::Status(key.to_string()));
        true
    }

    fn on_write_result(&mut self, resp: &Response, cx: &mut Context<'_, Msg>) {
        let Some(p) = self.pending.remove(&resp.id) else {
            return;
        };
        let err = resp.result.as_ref().err();
        let key = match p {
            Pending::Create(key) => {
                let r = self
                    .rounds
                    .get_mut(&key)
                    .expect("round of a pending create");
                r.creating -= 1;
                if err.is_some() {
                    r.create_failed = true;
                    r.failed = true;
                    self.expectations.creation_observed(&key);
                }
                key
            }
            Pending::Delete(key) => {
                let r = self
                    .rounds
                    .get_mut(&key)
                    .expect("round of a pending delete");
                r.outstanding -= 1;
                if let Some(e) = err {
                    r.failed |= e.code != 404;
                    self.expectations.deletion_observed(&key);
                }
                key
            }
            Pending::Status(key) => {
                let r = self
                    .rounds
                    .get_mut(&key)
                    .expect("round of a pending status");
                r.outstanding -= 1;
                r.failed |= err.is_some();
                key
            }
        };
        self.advance(&key, cx);
    }

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.sets.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_ds_delta(d, cx));
        } else if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
        } else if let Some(ds) = self.nodes.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_node_delta(d, cx));
        } else {
            self.on_write_result(&resp, cx);
            return;
        }
        self.kick(cx);
    }

    fn on_watch(&mut self, w: &crate::api::WatchMsg, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.sets.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_ds_delta(d, cx));
        } else if let Some(ds) = self.pods.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
        } else if let Some(ds) = self.nodes.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_node_delta(d, cx));
        }
    }
}

/// What podsShouldBeOnNode decided for one node.
#[derive(Debug, Default)]
struct NodeDecision {
    create: bool,
    delete: Vec<String>,
    /// A failed pod waits out its back-off: sync again after this.
    requeue_after: Option<SimDuration>,
}

/// podsShouldBeOnNode: create a pod where one should run and none exists; where pods may keep
/// running, delete failed (under back-off) and succeeded ones and, without surge, all but the
/// oldest; with surge keep the oldest new pod and the oldest old one while the new one is not
/// yet available; where pods may not run, delete them all. `pods` are oldest first.
#[allow(clippy::too_many_arguments)]
fn pods_should_be_on_node(
    ds: &DaemonSet,
    node: &str,
    pods: &[&Pod],
    (should_run, keep): (bool, bool),
    surge: bool,
    hash: &str,
    now: SimTime,
    backoff: &mut FailedPodsBackoff,
) -> NodeDecision {
    let mut d = NodeDecision::default();
    let live = pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none());
    if should_run && pods.is_empty() {
        d.create = true;
    } else if keep {
        let mut running: Vec<&Pod> = Vec::new();
        for p in live {
            match p.status.phase.as_str() {
                "Failed" => {
                    let id = failed_pods_backoff_key(ds, node);
                    if backoff.is_in_backoff_since_update(&id, now) {
                        d.requeue_after = Some(backoff.get(&id));
                        continue;
                    }
                    backoff.next(&id, now);
                    d.delete.push(p.metadata.name.clone());
                }
                "Succeeded" => d.delete.push(p.metadata.name.clone()),
                _ => running.push(p),
            }
        }
        if !surge {
            d.delete
                .extend(running.iter().skip(1).map(|p| p.metadata.name.clone()));
        } else if running.len() <= 1 {
            d.create = running.is_empty() && should_run;
        } else {
            surge_trim(
                &running,
                hash,
                ds.spec.min_ready_seconds,
                now,
                &mut d.delete,
            );
        }
    } else if !pods.is_empty() {
        d.delete.extend(live.map(|p| p.metadata.name.clone()));
    }
    d
}

/// With surge: keep the oldest pod of the current hash and the oldest other one; delete the
/// other one too once it is not ready or the new one is available; delete everything else.
fn surge_trim(
    running: &[&Pod],
    hash: &str,
    min_ready: i32,
    now: SimTime,
    delete: &mut Vec<String>,
) {
    let (mut oldest_new, mut oldest_old): (Option<&Pod>, Option<&Pod>) = (None, None);
    for p in running {
        let is_new = p
            .metadata
            .labels
            .get(CONTROLLER_REVISION_HASH_LABEL)
            .map(String::as_str)
            == Some(hash);
        let slot = if is_new {
            &mut oldest_new
        } else {
            &mut oldest_old
        };
        if slot.is_none() {
            *slot = Some(p);
        } else {
            delete.push(p.metadata.name.clone());
        }
    }
    if let (Some(new), Some(old)) = (oldest_new, oldest_old) {
        if !old.is_ready() || is_pod_available(new, min_ready, now) {
            delete.push(old.metadata.name.clone());
        }
    }
}

impl Actor<Msg> for DaemonSetController {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.sets.start(&mut self.client, cx);
                self.pods.start(&mut self.client, cx);
                self.nodes.start(&mut self.client, cx);
            }
            Input::Timer {
                tag: TIMER_SYNC, ..
            } => self.drain(cx),
            Input::Timer {
                tag: TIMER_WAKE, ..
            } => self.wake(cx),
            Input::Timer { .. } => {}
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => {
                    self.on_watch(&w, cx);
                    self.kick(cx);
                }
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests;
