//! The ReplicaSet controller: keeps the number of active pods owned by each ReplicaSet equal to
//! its replicas, and reports status. Models pkg/controller/replicaset/replica_set.go:
//! expectations, at most `burstReplicas` (500) creations or deletions per sync, creation in
//! slow-start batches (1, 2, 4, ...) that stop after a batch with a failure, scale-down by rank.

use super::controller_utils::{
    controlled_by, pod_from_template, sort_for_deletion, SLOW_START_INITIAL_BATCH_SIZE,
};
use super::expectations::Expectations;
use crate::api::{Kind, ListOptions, Msg, Object, ObjectRef, Pod, ReplicaSet, Response};
use crate::client::{ApiClient, Delta, Informer, WorkQueue};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const TIMER_SYNC: u64 = 1;

/// ReplicaSet controller settings.
#[derive(Clone, Debug)]
pub struct ReplicaSetConfig {
    /// `BurstReplicas`: creations or deletions per sync.
    pub burst_replicas: usize,
}

impl Default for ReplicaSetConfig {
    fn default() -> Self {
        ReplicaSetConfig {
            burst_replicas: 500,
        }
    }
}

/// Creations of one ReplicaSet in progress, in slow-start batches.
struct SlowStart {
    rs: Arc<ReplicaSet>,
    remaining: usize,
    batch: usize,
    in_flight: usize,
    failed: bool,
}

enum Pending {
    Create(String),
    Delete(String),
    Status(String),
}

/// The replicaset-controller actor.
pub struct ReplicaSetController {
    config: ReplicaSetConfig,
    client: ApiClient,
    sets: Informer,
    pods: Informer,
    /// Active pods by the uid of their controller, with running counts (an index over the
    /// pod cache, so a sync costs O(1) unless it scales down).
    owned: BTreeMap<String, OwnedPods>,
    expectations: Expectations,
    queue: WorkQueue,
    sync_timer_set: bool,
    creating: BTreeMap<String, SlowStart>,
    pending: BTreeMap<u64, Pending>,
    /// Keys whose status write is unanswered, and keys that changed meanwhile.
    status_in_flight: BTreeSet<String>,
    dirty: BTreeSet<String>,
}

/// What the status counts need to know of one owned pod.
#[derive(Clone, Copy, Debug, Default)]
struct PodFlags {
    ready: bool,
    labeled: bool,
}

/// The active pods of one ReplicaSet, with counts kept up to date.
#[derive(Debug, Default)]
struct OwnedPods {
    pods: BTreeMap<(String, String), PodFlags>,
    ready: usize,
    labeled: usize,
}

impl OwnedPods {
    fn insert(&mut self, key: (String, String), f: PodFlags) {
        self.remove(&key);
        self.ready += usize::from(f.ready);
        self.labeled += usize::from(f.labeled);
        self.pods.insert(key, f);
    }

    fn remove(&mut self, key: &(String, String)) {
        if let Some(f) = self.pods.remove(key) {
            self.ready -= usize::from(f.ready);
            self.labeled -= usize::from(f.labeled);
        }
    }
}

fn template_labels(o: &Object) -> Option<&BTreeMap<String, String>> {
    match o {
        Object::ReplicaSet(rs) => Some(&rs.spec.template.metadata.labels),
        _ => None,
    }
}

/// The pod carries every label of the ReplicaSet's template (fullyLabeledReplicas).
fn fully_labeled(rs: &Object, p: &Pod) -> bool {
    template_labels(rs).is_some_and(|t| t.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v)))
}

fn rs_key(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}

/// The key of the ReplicaSet controlling `o`, if any.
fn owner_key(o: &Object) -> Option<String> {
    let r = o.meta().controller_ref()?;
    (r.kind == "ReplicaSet").then(|| rs_key(&o.meta().namespace, &r.name))
}

impl ReplicaSetController {
    pub fn new(client: ApiClient, config: ReplicaSetConfig) -> Self {
        ReplicaSetController {
            config,
            client,
            sets: Informer::new(Kind::ReplicaSet, ListOptions::default()),
            pods: Informer::new(Kind::Pod, ListOptions::default()),
            owned: BTreeMap::new(),
            expectations: Expectations::default(),
            queue: WorkQueue::default(),
            sync_timer_set: false,
            creating: BTreeMap::new(),
            pending: BTreeMap::new(),
            status_in_flight: BTreeSet::new(),
            dirty: BTreeSet::new(),
        }
    }

    fn enqueue(&mut self, key: String, cx: &mut Context<'_, Msg>) {
        self.queue.add(key);
        self.kick(cx);
    }

    /// A sync failed: try the key again after its back-off (AddRateLimited).
    fn requeue_after_failure(&mut self, key: String, cx: &mut Context<'_, Msg>) {
        let due = self.queue.add_rate_limited(key, cx.now());
        cx.set_timer(due.since(cx.now()), TIMER_SYNC);
    }

    /// Arms the zero-delay sync timer when there is work and the caches have synced.
    fn kick(&mut self, cx: &mut Context<'_, Msg>) {
        let ready = self.sets.has_synced() && self.pods.has_synced();
        if ready && !self.sync_timer_set && !self.queue.is_empty() {
            self.sync_timer_set = true;
            cx.set_timer(SimDuration::ZERO, TIMER_SYNC);
        }
    }

    /// Adds (`present`) or removes one pod in the ownership index.
    fn index_pod(&mut self, o: &ObjectRef, present: bool) {
        let Object::Pod(p) = o.as_ref() else { return };
        let Some(owner) = p.metadata.controller_ref() else {
            return;
        };
        let key = (p.metadata.namespace.clone(), p.metadata.name.clone());
        if present {
            if !p.is_active() {
                return;
            }
            let labeled = match self.sets.get(&p.metadata.namespace, &owner.name) {
                Some(rs) => fully_labeled(rs, p),
                None => false,
            };
            let flags = PodFlags {
                ready: p.is_ready(),
                labeled,
            };
            self.owned
                .entry(owner.uid.clone())
                .or_default()
                .insert(key, flags);
        } else if let Some(set) = self.owned.get_mut(&owner.uid) {
            set.remove(&key);
            if set.pods.is_empty() {
                self.owned.remove(&owner.uid);
            }
        }
    }

    /// Recounts fully-labeled pods of a ReplicaSet (its template labels may have changed).
    fn relabel(&mut self, rs: &ObjectRef) {
        let Some(set) = self.owned.get_mut(&rs.meta().uid) else {
            return;
        };
        let mut labeled = 0;
        for (k, f) in set.pods.iter_mut() {
            f.labeled = match self.pods.get(&k.0, &k.1).map(|o| o.as_ref()) {
                Some(Object::Pod(p)) => fully_labeled(rs, p),
                _ => false,
            };
            labeled += usize::from(f.labeled);
        }
        set.labeled = labeled;
    }

    fn on_rs_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let m = d.object().meta();
        let key = rs_key(&m.namespace, &m.name);
        match &d {
            Delta::Deleted(_) => self.expectations.forget(&key),
            Delta::Added(o) => self.relabel(o),
            Delta::Updated { old, new } => {
                if template_labels(old) != template_labels(new) {
                    self.relabel(new);
                }
            }
        }
        self.enqueue(key, cx);
    }

    fn on_pod_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        match &d {
            Delta::Added(o) => {
                self.index_pod(o, true);
                if let Some(key) = owner_key(o) {
                    if o.meta().deletion_timestamp.is_some() {
                        self.expectations.deletion_observed(&key);
                    } else {
                        self.expectations.creation_observed(&key);
                    }
                    self.enqueue(key, cx);
                }
            }
            Delta::Updated { old, new } => {
                self.index_pod(old, false);
                self.index_pod(new, true);
                let (ko, kn) = (owner_key(old), owner_key(new));
                if ko != kn {
                    if let Some(k) = ko {
                        self.enqueue(k, cx);
                    }
                }
                if let Some(k) = kn {
                    if old.meta().deletion_timestamp.is_none()
                        && new.meta().deletion_timestamp.is_some()
                    {
                        self.expectations.deletion_observed(&k);
                    }
                    self.enqueue(k, cx);
                }
            }
            Delta::Deleted(o) => {
                self.index_pod(o, false);
                if let Some(key) = owner_key(o) {
                    self.expectations.deletion_observed(&key);
                    self.enqueue(key, cx);
                }
            }
        }
    }

    /// IsPodAvailable over the owned pods: ready for at least minReadySeconds (all ready pods
    /// when it is 0).
    fn available(&self, rs: &ReplicaSet, ready: usize, now: SimTime) -> usize {
        let min = rs.spec.min_ready_seconds.max(0) as u64;
        if min == 0 {
            return ready;
        }
        self.owned_pods(rs)
            .into_iter()
            .filter(|p| {
                p.condition("Ready")
                    .filter(|c| c.status == "True")
                    .and_then(|c| c.last_transition_time)
                    .is_some_and(|t| t.0 + SimDuration::from_secs(min) <= now)
            })
            .count()
    }

    /// Active pods of `rs` and of the ReplicaSets that share its controller.
    fn related_pods(&self, rs: &ReplicaSet) -> Vec<&Pod> {
        let Some(owner) = rs.metadata.controller_ref() else {
            return self.owned_pods(rs);
        };
        self.sets
            .typed::<ReplicaSet>()
            .filter(|r| {
                r.metadata.namespace == rs.metadata.namespace
                    && r.metadata
                        .controller_ref()
                        .is_some_and(|o| o.uid == owner.uid)
            })
            .flat_map(|r| self.owned_pods(r))
            .collect()
    }

    /// Active pods controlled by `rs`, in cache order.
    fn owned_pods(&self, rs: &ReplicaSet) -> Vec<&Pod> {
        let Some(set) = self.owned.get(&rs.metadata.uid) else {
            return Vec::new();
        };
        set.pods
            .keys()
            .filter_map(|(ns, n)| self.pods.get(ns, n))
            .filter(|o| controlled_by(o, &rs.metadata.uid))
            .filter_map(|o| match o.as_ref() {
                Object::Pod(p) if p.is_active() => Some(p),
                _ => None,
            })
            .collect()
    }

    fn sync(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        // A sync blocks on its status write upstream (the worker waits for the API call and
        // the work queue never runs one key twice at once): events meanwhile mark the key
        // dirty and it syncs again once the write is answered.
        if self.status_in_flight.contains(key) {
            self.dirty.insert(key.to_string());
            return;
        }
        let (ns, name) = key.split_once('/').expect("keys are namespace/name");
        let Some(Object::ReplicaSet(rs)) = self.sets.get(ns, name).map(|o| o.as_ref()) else {
            self.expectations.forget(key);
            return;
        };
        let rs = Arc::new(rs.clone());
        let counts = self
            .owned
            .get(&rs.metadata.uid)
            .map_or((0, 0, 0), |s| (s.pods.len(), s.ready, s.labeled));
        let idle = !self.creating.contains_key(key);
        if idle
            && self.expectations.satisfied(key, cx.now())
            && rs.metadata.deletion_timestamp.is_none()
        {
            self.manage_replicas(key, &rs, counts.0, cx);
        }
        self.update_status(key, &rs, counts, cx);
    }

    fn manage_replicas(
        &mut self,
        key: &str,
        rs: &Arc<ReplicaSet>,
        active: usize,
        cx: &mut Context<'_, Msg>,
    ) {
        let want = rs.replicas().max(0) as usize;
        if active < want {
            let diff = (want - active).min(self.config.burst_replicas);
            self.expectations.expect(key, diff as i64, 0, cx.now());
            let batch = diff.min(SLOW_START_INITIAL_BATCH_SIZE);
            self.creating.insert(
                key.to_string(),
                SlowStart {
                    rs: rs.clone(),
                    remaining: diff,
                    batch,
                    in_flight: 0,
                    failed: false,
                },
            );
            self.send_batch(key, cx);
        } else if active > want {
            let pods = self.owned_pods(rs);
            let diff = (pods.len().saturating_sub(want)).min(self.config.burst_replicas);
            // getPodsRankedByRelatedPodsOnSameNode over getIndirectlyRelatedPods: the active
            // pods of every ReplicaSet with the same controller (a Deployment's), per node.
            let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
            for p in self.related_pods(rs) {
                *per_node.entry(&p.spec.node_name).or_default() += 1;
            }
            let rank = |p: &Pod| {
                per_node
                    .get(p.spec.node_name.as_str())
                    .copied()
                    .unwrap_or(0)
            };
            let mut ranked: Vec<(&Pod, usize)> = pods.iter().map(|p| (*p, rank(p))).collect();
            // The insertion sort by ActivePodsWithRanks.Less (see `sort_for_deletion`).
            sort_for_deletion(&mut ranked, cx.now());
            let victims: Vec<(String, String, String)> = ranked[..diff]
                .iter()
                .map(|(p, _)| {
                    (
                        p.metadata.namespace.clone(),
                        p.metadata.name.clone(),
                        p.metadata.uid.clone(),
                    )
                })
                .collect();
            self.expectations.expect(key, 0, diff as i64, cx.now());
            for (ns, name, uid) in victims {
                let id = self.client.delete(cx, Kind::Pod, &ns, &name, Some(uid));
                self.pending.insert(id, Pending::Delete(key.to_string()));
            }
        }
    }

    /// Sends the next slow-start batch of creations for `key`.
    fn send_batch(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let Some(s) = self.creating.get_mut(key) else {
            return;
        };
        let n = s.batch.min(s.remaining);
        s.remaining -= n;
        s.in_flight = n;
        let pod = pod_from_template(&s.rs);
        for _ in 0..n {
            let id = self.client.create(cx, Object::Pod(pod.clone()));
            self.pending.insert(id, Pending::Create(key.to_string()));
        }
    }

    fn on_create_result(&mut self, key: String, ok: bool, cx: &mut Context<'_, Msg>) {
        if !ok {
            self.expectations.creation_observed(&key);
        }
        let Some(s) = self.creating.get_mut(&key) else {
            return;
        };
        s.in_flight -= 1;
        s.failed |= !ok;
        if s.in_flight > 0 {
            return;
        }
        if s.failed || s.remaining == 0 {
            // Creations skipped after a failed batch will not be observed.
            let skipped = if s.failed { s.remaining } else { 0 };
            let failed = s.failed;
            self.creating.remove(&key);
            for _ in 0..skipped {
                self.expectations.creation_observed(&key);
            }
            if failed {
                self.requeue_after_failure(key, cx);
            } else {
                self.queue.forget(&key);
                self.enqueue(key, cx);
            }
        } else {
            s.batch = (s.batch * 2).min(s.remaining);
            self.send_batch(&key, cx);
        }
    }

    /// calculateStatus + updateReplicaSetStatus: write status when it changed.
    fn update_status(
        &mut self,
        key: &str,
        rs: &ReplicaSet,
        (active, ready, labeled): (usize, usize, usize),
        cx: &mut Context<'_, Msg>,
    ) {
        let mut status = rs.status.clone();
        status.replicas = active as i32;
        status.fully_labeled_replicas = labeled as i32;
        status.ready_replicas = ready as i32;
        status.available_replicas = self.available(rs, ready, cx.now()) as i32;
        status.observed_generation = rs.metadata.generation;
        // Pods become available minReadySeconds after they are ready: look again then.
        let want = rs.replicas();
        if rs.spec.min_ready_seconds > 0
            && status.ready_replicas == want
            && status.available_replicas != want
        {
            let due = cx.now() + SimDuration::from_secs(rs.spec.min_ready_seconds as u64);
            let k = key.to_string();
            self.queue.add_after(k, due);
            cx.set_timer(due.since(cx.now()), TIMER_SYNC);
        }
        if status == rs.status {
            return;
        }
        let mut new = rs.clone();
        new.status = status;
        let id = self.client.update_status(cx, Object::ReplicaSet(new));
        self.pending.insert(id, Pending::Status(key.to_string()));
        self.status_in_flight.insert(key.to_string());
    }

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.sets.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_rs_delta(d, cx));
            self.kick(cx);
            return;
        }
        if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
            self.kick(cx);
            return;
        }
        match self.pending.remove(&resp.id) {
            Some(Pending::Create(key)) => self.on_create_result(key, resp.result.is_ok(), cx),
            Some(Pending::Delete(key)) if resp.result.is_err() => {
                self.expectations.deletion_observed(&key);
                self.requeue_after_failure(key, cx);
            }
            Some(Pending::Status(key)) if resp.result.is_err() => {
                self.status_in_flight.remove(&key);
                self.dirty.remove(&key);
                self.requeue_after_failure(key, cx)
            }
            Some(Pending::Status(key)) => {
                self.status_in_flight.remove(&key);
                if self.dirty.remove(&key) {
                    self.enqueue(key, cx);
                }
            }
            Some(Pending::Delete(_)) | None => {}
        }
    }
}

impl Actor<Msg> for ReplicaSetController {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.sets.start(&mut self.client, cx);
                self.pods.start(&mut self.client, cx);
            }
            Input::Timer {
                tag: TIMER_SYNC, ..
            } => {
                self.sync_timer_set = false;
                self.queue.promote(cx.now());
                if !(self.sets.has_synced() && self.pods.has_synced()) {
                    return;
                }
                while let Some(key) = self.queue.pop() {
                    self.sync(&key, cx);
                }
            }
            Input::Timer { .. } => {}
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => {
                    if let Some(ds) = self.sets.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_rs_delta(d, cx));
                    } else if let Some(ds) = self.pods.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
                    }
                }
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}

#[cfg(test)]
#[path = "replicaset_tests.rs"]
mod tests;
