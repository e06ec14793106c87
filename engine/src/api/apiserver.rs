//! The API server actor: the only component that touches the store. Validates, admits and
//! stores writes, answers reads, and fans watch events out to watchers.
//!
//! Models k8s.io/apiserver/pkg/registry/generic/registry/store.go (create, update with
//! optimistic concurrency, delete), pkg/registry/core/pod/storage/storage.go (binding), the
//! watch cache's filtered watch semantics (an object entering a filter is ADDED, leaving it is
//! DELETED), and the etcd compactor (k8s.io/apiserver/pkg/storage/etcd3/compact.go).

use super::admission::{admit_create, admit_priority};
use super::meta::Time;
use super::msg::{
    ApiError, Control, DeleteOptions, ListOptions, Msg, Op, Reply, Request, Response, WatchEvent,
    WatchMsg,
};
use super::object::{Kind, Object, ObjectRef};
use super::store::{EventType, Store, StoreError, StoreEvent};
use super::validation::validate;
use crate::sim::{Actor, ActorId, Context, Input, Latency, SimDuration, SimTime};
use std::collections::{BTreeMap, VecDeque};

/// Characters of generated names (k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Tries at a generated name before giving up (RetryGenerateName).
const GENERATE_NAME_TRIES: usize = 8;

const TIMER_COMPACT: u64 = 1;
/// Commit timers are `TIMER_COMMIT + epoch`; an outage starts a new epoch, so timers of writes
/// it discarded do nothing.
const TIMER_COMMIT: u64 = 1 << 32;

/// The garbage collector's finalizers (metav1.FinalizerOrphanDependents, FinalizerDeleteDependents).
pub const FINALIZER_ORPHAN: &str = "orphan";
pub const FINALIZER_FOREGROUND: &str = "foregroundDeletion";

/// The grace period of a deletion: only pods have one (pkg/registry/core/pod/strategy.go
/// CheckGracefulDelete): the request's, else terminationGracePeriodSeconds; 0 for a pod that
/// is not bound or already terminated.
fn deletion_grace(obj: &Object, requested: Option<i64>) -> i64 {
    let Object::Pod(p) = obj else { return 0 };
    if p.spec.node_name.is_empty() || p.is_terminal() {
        return 0;
    }
    requested
        .or(p.spec.termination_grace_period_seconds)
        .unwrap_or(30)
        .max(0)
}

/// API server settings.
#[derive(Clone, Debug)]
pub struct ApiServerConfig {
    /// `--etcd-compaction-interval`, default 5 m.
    pub compaction_interval: SimDuration,
    /// Time for a write to commit in the store (etcd), drawn per write; writes commit in
    /// arrival order. Default 1 ms to 3 ms.
    pub write_latency: Latency,
}

impl Default for ApiServerConfig {
    fn default() -> Self {
        ApiServerConfig {
            compaction_interval: SimDuration::from_secs(300),
            write_latency: Latency {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(3),
            },
        }
    }
}

struct Watcher {
    client: ActorId,
    watch_id: u64,
    opts: ListOptions,
}

/// The kube-apiserver actor.
pub struct ApiServer {
    store: Store,
    config: ApiServerConfig,
    watchers: Vec<Option<Watcher>>,
    /// Watchers without a node filter, per kind.
    by_kind: [Vec<usize>; Kind::ALL.len()],
    /// Pod watchers with a `spec.nodeName` field selector, per node.
    pods_by_node: BTreeMap<String, Vec<usize>>,
    /// Revision seen at the last compaction tick; compacted to at the next one.
    compact_next: u64,
    /// Writes waiting to commit, in arrival order.
    commits: VecDeque<(ActorId, Request)>,
    last_commit: SimTime,
    /// Down until then (fault).
    down_until: SimTime,
    /// Raised write latency and until when (fault).
    slow_writes: Option<(Latency, SimTime)>,
    /// Watches refused with 410 Gone (their resourceVersion was compacted).
    watches_expired: u64,
    commit_epoch: u64,
}

impl ApiServer {
    pub fn new(config: ApiServerConfig) -> Self {
        ApiServer {
            store: Store::new(),
            config,
            watchers: Vec::new(),
            by_kind: Default::default(),
            pods_by_node: BTreeMap::new(),
            compact_next: 0,
            commits: VecDeque::new(),
            last_commit: SimTime::ZERO,
            down_until: SimTime::ZERO,
            slow_writes: None,
            watches_expired: 0,
            commit_epoch: 0,
        }
    }

    /// Puts an object in the store before the cluster starts, as an etcd restore would: its
    /// name, uid, owners and spec kept; a pod's status starts over as Pending (its kubelet
    /// reports the rest). Not a trace line. An object that exists already is left as it is.
    pub fn restore(&mut self, mut obj: Object) {
        obj.set_type_meta();
        if let Object::Pod(p) = &mut obj {
            p.status = super::pod::PodStatus {
                phase: "Pending".into(),
                qos_class: p.status.qos_class.clone(),
                ..Default::default()
            };
            p.metadata.deletion_timestamp = None;
        }
        let _ = self.store.create(obj);
    }

    /// Watches refused with 410 Gone so far.
    pub fn watches_expired(&self) -> u64 {
        self.watches_expired
    }

    /// A request arrives: reads are answered from the current state at once, writes queue to
    /// commit after the store's write latency.
    fn on_request(&mut self, from: ActorId, req: Request, cx: &mut Context<'_, Msg>) {
        if cx.now() < self.down_until {
            Self::reply(cx, from, req.id, Err(ApiError::unavailable()));
            return;
        }
        if matches!(req.op, Op::Get { .. } | Op::List { .. } | Op::Watch { .. }) {
            self.handle_request(from, req, cx);
            return;
        }
        let latency = match self.slow_writes {
            Some((l, until)) if cx.now() < until => l,
            _ => self.config.write_latency,
        };
        let delay = SimDuration(
            cx.rng()
                .uniform(latency.min.as_micros(), latency.max.as_micros()),
        );
        if delay == SimDuration::ZERO && self.commits.is_empty() {
            self.handle_request(from, req, cx);
            return;
        }
        let at = (cx.now() + delay).max(self.last_commit);
        self.last_commit = at;
        self.commits.push_back((from, req));
        cx.set_timer(at.since(cx.now()), TIMER_COMMIT + self.commit_epoch);
    }

    fn on_control(&mut self, c: Control, cx: &mut Context<'_, Msg>) {
        match c {
            Control::ApiServerDown { until } => {
                self.down_until = until;
                // Writes not yet committed fail; every watch connection breaks.
                self.commit_epoch += 1;
                for (from, req) in std::mem::take(&mut self.commits) {
                    Self::reply(cx, from, req.id, Err(ApiError::unavailable()));
                }
                for w in std::mem::take(&mut self.watchers).into_iter().flatten() {
                    let event = WatchEvent::Error(ApiError::unavailable());
                    let msg = WatchMsg {
                        watch_id: w.watch_id,
                        event,
                    };
                    cx.send(w.client, Msg::Watch(Box::new(msg)));
                }
                self.by_kind = Default::default();
                self.pods_by_node.clear();
            }
            Control::StoreLatency { latency, until } => self.slow_writes = Some((latency, until)),
            Control::ClientGone { client } => {
                for w in self.watchers.iter_mut() {
                    if w.as_ref().is_some_and(|w| w.client == client) {
                        *w = None;
                    }
                }
            }
            Control::ConnectionLost | Control::CrashPod { .. } | Control::FailImagePull { .. } => {}
            Control::CompactNow => {
                let rev = self.store.revision();
                self.store.compact(rev);
                self.compact_next = rev;
            }
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn reply(cx: &mut Context<'_, Msg>, to: ActorId, id: u64, result: Result<Reply, ApiError>) {
        cx.send(to, Msg::Response(Box::new(Response { id, result })));
    }

    fn handle_request(&mut self, from: ActorId, req: Request, cx: &mut Context<'_, Msg>) {
        let verb = req.op.verb();
        let revision = self.store.revision();
        let result = match req.op {
            Op::Get {
                kind,
                namespace,
                name,
            } => self
                .store
                .get(kind, &namespace, &name)
                .cloned()
                .map(Reply::Object)
                .ok_or_else(|| ApiError::not_found(kind, &name)),
            Op::List { kind, opts } => {
                let items = self
                    .store
                    .list(kind, opts.namespace.as_deref())
                    .filter(|o| opts.matches(o))
                    .cloned()
                    .collect();
                Ok(Reply::List {
                    items,
                    resource_version: self.store.revision(),
                })
            }
            Op::Watch {
                watch_id,
                kind,
                opts,
                resource_version,
            } => {
                self.start_watch(from, watch_id, kind, opts, resource_version, cx);
                return;
            }
            Op::Create(obj) => self.create(obj, cx).map(Reply::Object),
            Op::Update(obj) => self.update(obj, cx).map(Reply::Object),
            Op::UpdateStatus(obj) => self.update_status(obj, true).map(Reply::Object),
            Op::PatchStatus(obj) => self.update_status(obj, false).map(Reply::Object),
            Op::Delete {
                kind,
                namespace,
                name,
                options,
            } => self
                .delete(kind, &namespace, &name, options, cx)
                .map(Reply::Object),
            Op::Bind {
                namespace,
                name,
                uid,
                node,
            } => self
                .bind(&namespace, &name, &uid, &node, cx)
                .map(Reply::Object),
        };
        if let Ok(Reply::Object(obj)) = &result {
            // A write that changed nothing (a DELETE of an object already being deleted) is
            // neither traced nor sent to watchers.
            if !matches!(verb, "get") && self.store.revision() != revision {
                self.committed(from, verb, obj, cx);
            }
        }
        Self::reply(cx, from, req.id, result);
    }

    /// Traces the write that just happened and fans it out to watchers. The trace verb is the
    /// request's, except that a removal from the store is always `delete` and a delete that
    /// only marks the object (graceful deletion, finalizers) is an `update`.
    fn committed(&mut self, from: ActorId, verb: &str, obj: &ObjectRef, cx: &mut Context<'_, Msg>) {
        let Some(ev) = self.store.last_event().cloned() else {
            return;
        };
        let verb = match (ev.type_, verb) {
            (EventType::Deleted, _) => "delete",
            (_, "delete") => "update",
            (_, v) => v,
        };
        let m = obj.meta();
        let actor = cx.name_of(from).to_string();
        cx.trace(
            &actor,
            verb,
            obj.kind().as_str(),
            &m.namespace,
            &m.name,
            m.resource_version,
            &obj.to_json(),
        );
        self.fan_out(&ev, cx);
    }

    fn fan_out(&self, ev: &StoreEvent, cx: &mut Context<'_, Msg>) {
        let kind = ev.object.kind();
        let mut targets: Vec<usize> = self.by_kind[kind.index()].clone();
        if kind == Kind::Pod {
            let mut nodes: Vec<&str> = Vec::with_capacity(2);
            for o in std::iter::once(&ev.object).chain(ev.prev.iter()) {
                if let Object::Pod(p) = o.as_ref() {
                    if !p.spec.node_name.is_empty() && !nodes.contains(&p.spec.node_name.as_str()) {
                        nodes.push(&p.spec.node_name);
                    }
                }
            }
            for n in nodes {
                if let Some(ws) = self.pods_by_node.get(n) {
                    targets.extend_from_slice(ws);
                }
            }
        }
        for i in targets {
            if let Some(w) = &self.watchers[i] {
                if let Some(event) = watch_event_for(&w.opts, ev) {
                    cx.send(
                        w.client,
                        Msg::Watch(Box::new(WatchMsg {
                            watch_id: w.watch_id,
                            event,
                        })),
                    );
                }
            }
        }
    }

    fn start_watch(
        &mut self,
        client: ActorId,
        watch_id: u64,
        kind: Kind,
        opts: ListOptions,
        rv: u64,
        cx: &mut Context<'_, Msg>,
    ) {
        let send = |cx: &mut Context<'_, Msg>, event| {
            cx.send(client, Msg::Watch(Box::new(WatchMsg { watch_id, event })));
        };
        let replay: Vec<WatchEvent> = match self.store.events_since(rv) {
            Ok(events) => events
                .filter(|e| e.object.kind() == kind)
                .filter_map(|e| watch_event_for(&opts, e))
                .collect(),
            Err(_) => {
                self.watches_expired += 1;
                send(
                    cx,
                    WatchEvent::Error(ApiError::gone(rv, self.store.compacted())),
                );
                return;
            }
        };
        for e in replay {
            send(cx, e);
        }
        let idx = self.watchers.len();
        match (&opts.node_name, kind) {
            (Some(node), Kind::Pod) => self.pods_by_node.entry(node.clone()).or_default().push(idx),
            _ => self.by_kind[kind.index()].push(idx),
        }
        self.watchers.push(Some(Watcher {
            client,
            watch_id,
            opts,
        }));
    }

    fn create(
        &mut self,
        mut obj: Object,
        cx: &mut Context<'_, Msg>,
    ) -> Result<ObjectRef, ApiError> {
        let kind = obj.kind();
        obj.set_type_meta();
        let now = Time(cx.now());
        {
            let m = obj.meta_mut();
            if kind.namespaced() && m.namespace.is_empty() {
                m.namespace = "default".into();
            }
            m.uid = new_uid(cx);
            m.creation_timestamp = Some(now);
            m.resource_version = 0;
            m.deletion_timestamp = None;
            if matches!(kind, Kind::ReplicaSet | Kind::Deployment | Kind::DaemonSet) {
                m.generation = 1;
            }
        }
        admit_create(&mut obj);
        if let Object::Pod(p) = &mut obj {
            let store = &self.store;
            let class =
                |name: &str| match store.get(Kind::PriorityClass, "", name).map(|o| o.as_ref()) {
                    Some(Object::PriorityClass(pc)) => Some(pc.spec.clone()),
                    _ => None,
                };
            let global_default =
                store
                    .list(Kind::PriorityClass, None)
                    .find_map(|o| match o.as_ref() {
                        Object::PriorityClass(pc) if pc.spec.global_default => {
                            Some((pc.metadata.name.clone(), pc.spec.clone()))
                        }
                        _ => None,
                    });
            admit_priority(&mut p.spec, &p.metadata.name, &class, global_default)?;
        }
        let generated = obj.meta().name.is_empty() && !obj.meta().generate_name.is_empty();
        let tries = if generated { GENERATE_NAME_TRIES } else { 1 };
        for _ in 0..tries {
            if generated {
                let prefix = obj.meta().generate_name.clone();
                obj.meta_mut().name = format!("{prefix}{}", random_suffix(cx));
            }
            let errs = validate(&obj);
            if !errs.is_empty() {
                return Err(ApiError::invalid(kind, &obj.meta().name, &errs));
            }
            match self.store.create(obj.clone()) {
                Ok(o) => return Ok(o),
                Err(StoreError::AlreadyExists) if generated => continue,
                Err(_) => return Err(ApiError::already_exists(kind, &obj.meta().name)),
            }
        }
        Err(ApiError::already_exists(kind, &obj.meta().name))
    }

    fn current(&self, obj: &Object) -> Result<ObjectRef, ApiError> {
        let m = obj.meta();
        let ns = if obj.kind().namespaced() && m.namespace.is_empty() {
            "default"
        } else {
            &m.namespace
        };
        self.store
            .get(obj.kind(), ns, &m.name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(obj.kind(), &m.name))
    }

    fn update(
        &mut self,
        mut obj: Object,
        _cx: &mut Context<'_, Msg>,
    ) -> Result<ObjectRef, ApiError> {
        let kind = obj.kind();
        let cur = self.current(&obj)?;
        let expected = Some(obj.meta().resource_version).filter(|rv| *rv != 0);
        obj.set_type_meta();
        if kind.has_status() {
            obj.copy_status_from(&cur);
        }
        let spec_changed = obj.spec_differs(&cur);
        {
            let (c, m) = (cur.meta(), obj.meta_mut());
            m.namespace = c.namespace.clone();
            m.uid = c.uid.clone();
            m.creation_timestamp = c.creation_timestamp;
            m.deletion_timestamp = c.deletion_timestamp;
            m.deletion_grace_period_seconds = c.deletion_grace_period_seconds;
            m.generation = c.generation + i64::from(spec_changed && c.generation > 0);
        }
        let mut errs = validate(&obj);
        let (c, m) = (cur.meta(), obj.meta());
        if c.deletion_timestamp.is_some() && m.finalizers.iter().any(|f| !c.finalizers.contains(f))
        {
            errs.push("metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted".into());
        }
        if !errs.is_empty() {
            return Err(ApiError::invalid(kind, &obj.meta().name, &errs));
        }
        // shouldDeleteDuringUpdate: the last finalizer of an object deleted without grace is gone.
        if m.finalizers.is_empty() && c.deletion_grace_period_seconds == Some(0) {
            let (ns, name) = (c.namespace.clone(), c.name.clone());
            return self
                .store
                .delete_as(kind, &ns, &name, expected, Some(obj))
                .map_err(|e| store_error(e, kind, &name));
        }
        self.store
            .update(obj, expected)
            .map_err(|e| store_error(e, kind, &cur.meta().name))
    }

    /// The status subresource. An update (`check_rv`) takes the request's object with the
    /// stored spec and server-managed metadata (the status strategies' PrepareForUpdate:
    /// pkg/registry/*/strategy.go; apps kinds also keep their stored labels); a patch (the
    /// kubelet's) changes only `.status`.
    fn update_status(&mut self, obj: Object, check_rv: bool) -> Result<ObjectRef, ApiError> {
        let kind = obj.kind();
        let cur = self.current(&obj)?;
        let expected = Some(obj.meta().resource_version).filter(|rv| check_rv && *rv != 0);
        let new = if check_rv {
            let mut new = obj;
            new.set_type_meta();
            new.copy_spec_from(&cur);
            let (c, m) = (cur.meta(), new.meta_mut());
            m.namespace = c.namespace.clone();
            m.uid = c.uid.clone();
            m.creation_timestamp = c.creation_timestamp;
            m.deletion_timestamp = c.deletion_timestamp;
            m.deletion_grace_period_seconds = c.deletion_grace_period_seconds;
            m.generation = c.generation;
            m.owner_references = c.owner_references.clone();
            if matches!(kind, Kind::ReplicaSet | Kind::Deployment | Kind::DaemonSet) {
                m.labels = c.labels.clone();
            }
            new
        } else {
            let mut new = (*cur).clone();
            new.copy_status_from(&obj);
            new
        };
        self.store
            .update(new, expected)
            .map_err(|e| store_error(e, kind, &cur.meta().name))
    }

    /// Delete (registry/generic/registry/store.go Delete): graceful deletion for pods, GC
    /// finalizers from the propagation policy; the object stays, marked with
    /// deletionTimestamp, while it has a grace period or finalizers.
    fn delete(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        options: DeleteOptions,
        cx: &mut Context<'_, Msg>,
    ) -> Result<ObjectRef, ApiError> {
        let cur = self
            .store
            .get(kind, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        if let Some(uid) = &options.uid {
            if *uid != cur.meta().uid {
                return Err(ApiError::conflict(
                    kind,
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        cur.meta().uid
                    ),
                ));
            }
        }
        let mut obj = (*cur).clone();
        let grace = deletion_grace(&obj, options.grace_period_seconds);
        let m = obj.meta_mut();
        let mut changed = false;
        // Graceful deletion: set, or only shorten, the deadline.
        if grace > 0 {
            let shorter = m.deletion_grace_period_seconds.is_none_or(|g| grace < g);
            if shorter {
                m.deletion_timestamp = Some(Time(cx.now() + SimDuration::from_secs(grace as u64)));
                m.deletion_grace_period_seconds = Some(grace);
                changed = true;
            }
        } else if m.deletion_grace_period_seconds.is_some_and(|g| g > 0) {
            m.deletion_grace_period_seconds = Some(0);
            changed = true;
        }
        // deletionFinalizersForGarbageCollection.
        if let Some(policy) = options.propagation_policy.as_deref() {
            let (add, drop) = match policy {
                "Orphan" => (Some(FINALIZER_ORPHAN), FINALIZER_FOREGROUND),
                "Foreground" => (Some(FINALIZER_FOREGROUND), FINALIZER_ORPHAN),
                _ => (None, FINALIZER_ORPHAN),
            };
            let before = m.finalizers.clone();
            m.finalizers
                .retain(|f| f != drop && (add.is_some() || f != FINALIZER_FOREGROUND));
            if let Some(a) = add {
                if !m.finalizers.iter().any(|f| f == a) {
                    m.finalizers.push(a.into());
                }
            }
            changed |= before != m.finalizers;
        }
        if m.finalizers.is_empty() && grace == 0 {
            return self
                .store
                .delete(kind, ns, name, None)
                .map_err(|e| store_error(e, kind, name));
        }
        if m.deletion_timestamp.is_none() {
            m.deletion_timestamp = Some(Time(cx.now()));
            m.deletion_grace_period_seconds = Some(0);
            changed = true;
        }
        if !changed {
            // Already being deleted: nothing to do (upstream answers 202 with the object).
            return Ok(cur);
        }
        self.store
            .update(obj, Some(cur.meta().resource_version))
            .map_err(|e| store_error(e, kind, name))
    }

    fn bind(
        &mut self,
        ns: &str,
        name: &str,
        uid: &str,
        node: &str,
        cx: &mut Context<'_, Msg>,
    ) -> Result<ObjectRef, ApiError> {
        let cur = self
            .store
            .get(Kind::Pod, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(Kind::Pod, name))?;
        let Object::Pod(pod) = cur.as_ref() else {
            unreachable!("pods are stored as Pod")
        };
        let binding_conflict = |detail: String| ApiError {
            code: 409,
            reason: "Conflict",
            message: format!("Operation cannot be fulfilled on pods/binding \"{name}\": {detail}"),
        };
        if !uid.is_empty() && pod.metadata.uid != uid {
            return Err(binding_conflict(format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                pod.metadata.uid
            )));
        }
        if pod.metadata.deletion_timestamp.is_some() {
            return Err(binding_conflict(format!(
                "pod {name} is being deleted, cannot be assigned to a host"
            )));
        }
        if !pod.spec.node_name.is_empty() {
            return Err(binding_conflict(format!(
                "pod {name} is already assigned to node \"{}\"",
                pod.spec.node_name
            )));
        }
        let mut p = pod.clone();
        p.spec.node_name = node.to_string();
        p.set_condition("PodScheduled", "True", Time(cx.now()));
        self.store
            .update(Object::Pod(p), None)
            .map_err(|e| store_error(e, Kind::Pod, name))
    }
}

fn store_error(e: StoreError, kind: Kind, name: &str) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found(kind, name),
        StoreError::AlreadyExists => ApiError::already_exists(kind, name),
        StoreError::Conflict => ApiError::stale(kind, name),
        StoreError::Compacted(c) => ApiError::gone(0, c),
    }
}

/// What a watcher with `opts` sees of a write: entering the filter is ADDED, leaving it DELETED.
fn watch_event_for(opts: &ListOptions, ev: &StoreEvent) -> Option<WatchEvent> {
    let now = ev.type_ != EventType::Deleted && opts.matches(&ev.object);
    let before = ev.prev.as_ref().is_some_and(|p| opts.matches(p));
    match (before, now) {
        (false, true) => Some(WatchEvent::Added(ev.object.clone())),
        (true, true) => Some(WatchEvent::Modified(ev.object.clone())),
        (true, false) => Some(WatchEvent::Deleted(ev.object.clone())),
        (false, false) => None,
    }
}

/// A random RFC 4122 version 4 UUID from the API server's stream.
fn new_uid(cx: &mut Context<'_, Msg>) -> String {
    let a = cx.rng().next_u64();
    let b = cx.rng().next_u64();
    let a = (a & !0xf000) | 0x4000; // version 4
    let b = (b & !(0xc000 << 48)) | (0x8000 << 48); // variant 10
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn random_suffix(cx: &mut Context<'_, Msg>) -> String {
    (0..5)
        .map(|_| NAME_ALPHABET[cx.rng().index(NAME_ALPHABET.len())] as char)
        .collect()
}

impl Actor<Msg> for ApiServer {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                cx.set_timer(self.config.compaction_interval, TIMER_COMPACT);
            }
            Input::Timer {
                tag: TIMER_COMPACT, ..
            } => {
                self.store.compact(self.compact_next);
                self.compact_next = self.store.revision();
                cx.set_timer(self.config.compaction_interval, TIMER_COMPACT);
            }
            Input::Timer { tag, .. } if tag == TIMER_COMMIT + self.commit_epoch => {
                if let Some((from, req)) = self.commits.pop_front() {
                    self.handle_request(from, req, cx);
                }
            }
            Input::Timer { .. } => {}
            Input::Message {
                from,
                msg: Msg::Request(req),
            } => self.on_request(from, *req, cx),
            Input::Message {
                msg: Msg::Control(c),
                ..
            } => self.on_control(c, cx),
            Input::Message { .. } => {}
        }
    }
}

#[cfg(test)]
#[path = "apiserver_tests.rs"]
mod tests;
