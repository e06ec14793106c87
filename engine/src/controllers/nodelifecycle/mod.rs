//! The node lifecycle controller: watches node heartbeats (the Ready condition's
//! lastHeartbeatTime and the node Lease's renewTime), marks silent nodes Unknown and their pods
//! not Ready, taints nodes by condition, and adds the NoExecute not-ready / unreachable taints
//! through a rate-limited queue per zone whose rate follows the zone's health. Models
//! pkg/controller/nodelifecycle/node_lifecycle_controller.go (monitorNodeHealth,
//! tryUpdateNodeHealth, processTaintBaseEviction, handleDisruption, ComputeZoneState,
//! doNoScheduleTaintingPass, doNoExecuteTaintingPass, processPod), with
//! pkg/controller/util/node/controller_utils.go (MarkPodsNotReady, SwapNodeControllerTaint),
//! pkg/controller/controller_utils.go (AddOrUpdateTaintOnNode, RemoveTaintOffNode),
//! pkg/util/taints/taints.go and component-helpers/node/topology (GetZoneKey). Defaults from
//! cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go (v1.35: grace period 50 s).
//!
//! Since v1.34 (kubernetes#120816) processTaintBaseEviction takes the node's current Ready
//! condition, so the NoExecute taint is queued by the same check that marks the node Unknown.
//!
//! Modelling choices:
//! - requests are asynchronous: a node status update, a pod status update or a taint change is
//!   sent and the pass goes on as if it succeeded; a failed node status update is retried with a
//!   fresh GET (at most 5 attempts), a failed pod update puts the node back in `nodesToRetry`
//!   (or the pod back in the pod queue), a failed NoExecute taint puts the node back in its
//!   zone's queue;
//! - a taint change is GET then Update with the read resourceVersion (upstream: GET then a
//!   strategic-merge patch carrying the resourceVersion), retried on 409 five times, 100-200 ms
//!   apart (UpdateTaintBackoff); adding and removing are two steps, as upstream;
//! - nodes are processed in name order, queued nodes with equal due time in insertion order
//!   (upstream: parallel workers, Go map order, wall-clock order);
//! - eviction rates are exact ([`Millionths`]); upstream's float32 0.01 is a little less than
//!   0.01, so its 100 s spacing slips to 100.1 s on the 100 ms grid;
//! - the 100 ms tainting pass only runs while some zone queue holds a node and its limiter can
//!   grant a token (the skipped passes would do nothing); ticks keep upstream's phase;
//! - not modelled: Events, metrics other than evictions per zone, the beta OS/arch label
//!   reconciliation (reconcileNodeLabels), the DaemonSet informer (unused by these paths).

pub mod ratelimited_queue;

pub use ratelimited_queue::{Limiter, Millionths, RateLimitedTimedQueue, TimedValue, TokenBucket};

use crate::api::node::NodeCondition;
use crate::api::{Kind, ListOptions, Msg, Node, Object, ObjectRef, Op, Pod, Reply, Response};
use crate::api::{Taint, Time};
use crate::client::{ApiClient, CacheKey, Delta, Informer, WorkQueue};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The actor's name in the trace.
pub const NAME: &str = "node-lifecycle-controller";
/// `v1.NamespaceNodeLease`.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

pub const TAINT_NODE_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_NODE_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
pub const TAINT_NODE_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
pub const TAINT_NODE_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
pub const TAINT_NODE_NETWORK_UNAVAILABLE: &str = "node.kubernetes.io/network-unavailable";
pub const TAINT_NODE_PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
pub const NO_SCHEDULE: &str = "NoSchedule";
pub const NO_EXECUTE: &str = "NoExecute";

/// `labelNodeDisruptionExclusion`: nodes with this label do not count in zone health.
pub const LABEL_NODE_DISRUPTION_EXCLUSION: &str = "node.kubernetes.io/exclude-disruption";
const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";
const LABEL_TOPOLOGY_REGION: &str = "topology.kubernetes.io/region";
const LABEL_FAILURE_DOMAIN_BETA_ZONE: &str = "failure-domain.beta.kubernetes.io/zone";
const LABEL_FAILURE_DOMAIN_BETA_REGION: &str = "failure-domain.beta.kubernetes.io/region";

/// `scheduler.NodeEvictionPeriod`: how often the NoExecute tainting pass runs.
pub const NODE_EVICTION_PERIOD: SimDuration = SimDuration::from_millis(100);
/// `NodeHealthUpdateRetry`: attempts at a node status update.
const NODE_HEALTH_UPDATE_RETRY: u32 = 5;
/// `retrySleepTime` between node status update attempts.
const RETRY_SLEEP_TIME: SimDuration = SimDuration::from_millis(20);
/// `UpdateTaintBackoff`: 5 steps of 100 ms with jitter 1.0.
const UPDATE_TAINT_STEPS: u32 = 5;
const UPDATE_TAINT_BACKOFF_US: u64 = 100_000;
/// Wait before retrying a queued node whose Ready condition is missing.
const NO_READY_CONDITION_RETRY: SimDuration = SimDuration::from_millis(50);

const TIMER_MONITOR: u64 = 1;
const TIMER_TAINT: u64 = 2;
const TIMER_PODS: u64 = 3;

/// Node lifecycle controller settings (NodeLifecycleControllerConfiguration and
/// KubeCloudSharedConfiguration.NodeMonitorPeriod).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeLifecycleConfig {
    /// `--node-monitor-period`: how often node health is checked.
    pub node_monitor_period: SimDuration,
    /// `--node-monitor-grace-period`: silence after which a node is marked Unknown.
    pub node_monitor_grace_period: SimDuration,
    /// `--node-startup-grace-period`: the same for a node that never posted Ready.
    pub node_startup_grace_period: SimDuration,
    /// `--node-eviction-rate`: nodes tainted NoExecute per second in a healthy zone.
    pub node_eviction_rate: Millionths,
    /// `--secondary-node-eviction-rate`: the same in an unhealthy zone of a large cluster.
    pub secondary_node_eviction_rate: Millionths,
    /// `--large-cluster-size-threshold`: zones with more nodes are large.
    pub large_cluster_size_threshold: u32,
    /// `--unhealthy-zone-threshold`: not-ready share (with at least 3 not ready) of an
    /// unhealthy zone.
    pub unhealthy_zone_threshold: Millionths,
}

impl Default for NodeLifecycleConfig {
    fn default() -> Self {
        NodeLifecycleConfig {
            node_monitor_period: SimDuration::from_secs(5),
            node_monitor_grace_period: SimDuration::from_secs(50),
            node_startup_grace_period: SimDuration::from_secs(60),
            node_eviction_rate: Millionths(100_000),
            secondary_node_eviction_rate: Millionths(10_000),
            large_cluster_size_threshold: 50,
            unhealthy_zone_threshold: Millionths(550_000),
        }
    }
}

/// `ZoneState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ZoneState {
    Initial,
    Normal,
    FullDisruption,
    PartialDisruption,
    /// Go's zero value "": stored by handleDisruption for a zone that lost all its nodes while
    /// the loop forgetting such zones stopped before reaching it.
    Unset,
}

impl ZoneState {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneState::Initial => "Initial",
            ZoneState::Normal => "Normal",
            ZoneState::FullDisruption => "FullDisruption",
            ZoneState::PartialDisruption => "PartialDisruption",
            ZoneState::Unset => "",
        }
    }
}

/// `GetZoneKey`: region and zone (beta failure-domain labels first), "" when both are empty.
pub fn zone_key(node: &Node) -> String {
    let l = &node.metadata.labels;
    let pick = |beta: &str, stable: &str| {
        l.get(beta)
            .or_else(|| l.get(stable))
            .cloned()
            .unwrap_or_default()
    };
    let zone = pick(LABEL_FAILURE_DOMAIN_BETA_ZONE, LABEL_TOPOLOGY_ZONE);
    let region = pick(LABEL_FAILURE_DOMAIN_BETA_REGION, LABEL_TOPOLOGY_REGION);
    zone_id(&region, &zone)
}

/// The zone key of `region` and `zone` (testutil.CreateZoneID).
pub fn zone_id(region: &str, zone: &str) -> String {
    if region.is_empty() && zone.is_empty() {
        return String::new();
    }
    format!("{region}:\u{0}:{zone}")
}

/// `UnreachableTaintTemplate`.
pub fn unreachable_taint() -> Taint {
    taint(TAINT_NODE_UNREACHABLE, NO_EXECUTE)
}

/// `NotReadyTaintTemplate`.
pub fn not_ready_taint() -> Taint {
    taint(TAINT_NODE_NOT_READY, NO_EXECUTE)
}

fn taint(key: &str, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        effect: effect.into(),
        ..Default::default()
    }
}

/// `nodeConditionToTaintKeyStatusMap`.
fn condition_taint_key(type_: &str, status: &str) -> Option<&'static str> {
    match (type_, status) {
        ("Ready", "False") => Some(TAINT_NODE_NOT_READY),
        ("Ready", "Unknown") => Some(TAINT_NODE_UNREACHABLE),
        ("MemoryPressure", "True") => Some(TAINT_NODE_MEMORY_PRESSURE),
        ("DiskPressure", "True") => Some(TAINT_NODE_DISK_PRESSURE),
        ("NetworkUnavailable", "True") => Some(TAINT_NODE_NETWORK_UNAVAILABLE),
        ("PIDPressure", "True") => Some(TAINT_NODE_PID_PRESSURE),
        _ => None,
    }
}

/// Keys of `taintKeyToNodeConditionMap`.
fn is_condition_taint_key(key: &str) -> bool {
    [
        TAINT_NODE_NOT_READY,
        TAINT_NODE_UNREACHABLE,
        TAINT_NODE_NETWORK_UNAVAILABLE,
        TAINT_NODE_MEMORY_PRESSURE,
        TAINT_NODE_DISK_PRESSURE,
        TAINT_NODE_PID_PRESSURE,
    ]
    .contains(&key)
}

/// `Taint.MatchTaint`: same key and effect.
fn match_taint(a: &Taint, b: &Taint) -> bool {
    a.key == b.key && a.effect == b.effect
}

/// `TaintExists`.
pub fn taint_exists(taints: &[Taint], t: &Taint) -> bool {
    taints.iter().any(|x| match_taint(x, t))
}

/// `TaintSetDiff`: taints of `new` missing from `old`, and of `old` missing from `new`.
fn taint_set_diff(new: &[Taint], old: &[Taint]) -> (Vec<Taint>, Vec<Taint>) {
    let missing = |a: &[Taint], b: &[Taint]| {
        a.iter()
            .filter(|t| !taint_exists(b, t))
            .cloned()
            .collect::<Vec<_>>()
    };
    (missing(new, old), missing(old, new))
}

/// `AddOrUpdateTaint`: replaces a matching taint unless identical, else appends.
fn add_or_update_taint(taints: &mut Vec<Taint>, t: &Taint) -> bool {
    match taints.iter_mut().find(|x| match_taint(x, t)) {
        Some(x) if x == t => false,
        Some(x) => {
            *x = t.clone();
            true
        }
        None => {
            taints.push(t.clone());
            true
        }
    }
}

/// `RemoveTaint`: drops every matching taint.
fn remove_taint(taints: &mut Vec<Taint>, t: &Taint) -> bool {
    let before = taints.len();
    taints.retain(|x| !match_taint(x, t));
    taints.len() != before
}

fn is_excluded_from_disruption_checks(node: &Node) -> bool {
    node.metadata
        .labels
        .contains_key(LABEL_NODE_DISRUPTION_EXCLUSION)
}

/// MarkPodsNotReady for one pod: its Ready condition set False (transition time `now`), or
/// `None` when it has no Ready condition or it is False already (UpdatePodCondition).
fn pod_marked_not_ready(pod: &Pod, now: SimTime) -> Option<Pod> {
    let c = pod.condition("Ready")?;
    if c.status == "False" {
        return None;
    }
    let mut p = pod.clone();
    let c = p
        .status
        .conditions
        .iter_mut()
        .find(|c| c.type_ == "Ready")?;
    c.status = "False".into();
    c.last_transition_time = Some(Time(now));
    Some(p)
}

/// `nodeHealthData`: what was last seen of a node, and when.
#[derive(Clone, Debug, PartialEq)]
struct NodeHealth {
    /// Local time of the last observed change of heartbeat or lease.
    probe_timestamp: SimTime,
    ready_transition_timestamp: SimTime,
    /// The Ready condition of the saved status.
    ready: Option<NodeCondition>,
    /// The saved Lease's renewTime; `None` when no Lease is saved.
    lease: Option<Option<SimTime>>,
}

impl NodeHealth {
    fn new(ready: Option<NodeCondition>, at: SimTime) -> Self {
        NodeHealth {
            probe_timestamp: at,
            ready_transition_timestamp: at,
            ready,
            lease: None,
        }
    }
}

/// What tryUpdateNodeHealth found, and the status it wants written.
struct HealthCheck {
    /// The Ready condition seen (or the fake one of a node that never posted) was True.
    observed_ready: bool,
    /// The Ready condition's status after the check (Unknown once the grace expired).
    current: Option<Status>,
    update: Option<Node>,
}

/// A condition status as the controller tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    True,
    False,
    Unknown,
    Other,
}

impl Status {
    fn of(s: &str) -> Status {
        match s {
            "True" => Status::True,
            "False" => Status::False,
            "Unknown" => Status::Unknown,
            _ => Status::Other,
        }
    }
}

/// Ready nodes and all nodes of one zone, for ComputeZoneState.
#[derive(Clone, Copy, Debug, Default)]
struct ZoneTally {
    ready: usize,
    total: usize,
}

/// One step of a taint change.
#[derive(Clone, Debug)]
enum TaintStep {
    /// AddOrUpdateTaintOnNode.
    Add(Vec<Taint>),
    /// RemoveTaintOffNode.
    Remove(Vec<Taint>),
}

/// Why a taint change was made.
#[derive(Clone, Debug)]
enum Origin {
    NoSchedule,
    NoExecute { zone: String, uid: String },
    Other,
}

/// A taint change in progress: its steps, each a GET then an Update retried on conflict.
#[derive(Clone, Debug)]
struct TaintOp {
    node: String,
    /// The node's taints when the change was asked (RemoveTaintOffNode's short cut).
    snapshot: Vec<Taint>,
    steps: VecDeque<TaintStep>,
    attempt: u32,
    origin: Origin,
}

/// Requests in flight.
enum Pending {
    NodeStatus {
        node: String,
        attempt: u32,
    },
    NodeGet {
        attempt: u32,
    },
    PodStatus {
        node: String,
        pod: String,
        queued: bool,
    },
    TaintGet(u64),
    TaintWrite(u64),
}

/// The node-lifecycle-controller actor.
pub struct NodeLifecycleController {
    config: NodeLifecycleConfig,
    client: ApiClient,
    nodes: Informer,
    leases: Informer,
    pods: Informer,
    /// Pods by `spec.nodeName` (the nodeNameKeyIndex).
    pods_by_node: BTreeMap<String, BTreeSet<CacheKey>>,
    /// Caches synced and loops started, at `started_at`.
    running: bool,
    started_at: SimTime,
    known_nodes: BTreeSet<String>,
    health: BTreeMap<String, NodeHealth>,
    tainters: BTreeMap<String, RateLimitedTimedQueue>,
    zone_states: BTreeMap<String, ZoneState>,
    zone_history: Vec<(SimTime, String, ZoneState)>,
    nodes_to_retry: BTreeSet<String>,
    evictions: BTreeMap<String, u64>,
    /// nodeUpdateQueue: nodes waiting for the NoSchedule pass before the caches synced.
    node_queue: BTreeSet<String>,
    /// Nodes whose NoSchedule taint change is in flight; true when changed meanwhile.
    node_busy: BTreeMap<String, bool>,
    /// podUpdateQueue.
    pod_queue: WorkQueue,
    pod_timer_at: Option<SimTime>,
    taint_tick_armed: bool,
    ops: BTreeMap<u64, TaintOp>,
    next_op: u64,
    pending: BTreeMap<u64, Pending>,
}

impl NodeLifecycleController {
    pub fn new(client: ApiClient, config: NodeLifecycleConfig) -> Self {
        let lease_opts = ListOptions {
            namespace: Some(NODE_LEASE_NAMESPACE.into()),
            ..Default::default()
        };
        NodeLifecycleController {
            config,
            client,
            nodes: Informer::new(Kind::Node, ListOptions::default()),
            leases: Informer::new(Kind::Lease, lease_opts),
            pods: Informer::new(Kind::Pod, ListOptions::default()),
            pods_by_node: BTreeMap::new(),
            running: false,
            started_at: SimTime::ZERO,
            known_nodes: BTreeSet::new(),
            health: BTreeMap::new(),
            tainters: BTreeMap::new(),
            zone_states: BTreeMap::new(),
            zone_history: Vec::new(),
            nodes_to_retry: BTreeSet::new(),
            evictions: BTreeMap::new(),
            node_queue: BTreeSet::new(),
            node_busy: BTreeMap::new(),
            pod_queue: WorkQueue::default(),
            pod_timer_at: None,
            taint_tick_armed: false,
            ops: BTreeMap::new(),
            next_op: 1,
            pending: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &NodeLifecycleConfig {
        &self.config
    }

    /// The state of every zone (`zoneStates`), by zone key.
    pub fn zone_states(&self) -> &BTreeMap<String, ZoneState> {
        &self.zone_states
    }

    /// Every change of a zone's state: (when, zone key, new state).
    pub fn zone_history(&self) -> &[(SimTime, String, ZoneState)] {
        &self.zone_history
    }

    /// NoExecute taints applied per zone (the `evictions_total` metric).
    pub fn evictions_total(&self) -> &BTreeMap<String, u64> {
        &self.evictions
    }

    /// The NoExecute tainting queue of a zone.
    pub fn tainter(&self, zone: &str) -> Option<&RateLimitedTimedQueue> {
        self.tainters.get(zone)
    }

    /// Whether the caches have synced and the loops run.
    pub fn is_running(&self) -> bool {
        self.running
    }

    fn node(&self, name: &str) -> Option<ObjectRef> {
        self.nodes.get("", name).cloned()
    }

    // --- Informers and their handlers ---

    fn on_node_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let name = d.object().meta().name.clone();
        match d {
            Delta::Added(_) | Delta::Updated { .. } => self.enqueue_node(name, cx),
            Delta::Deleted(_) => {
                self.nodes_to_retry.remove(&name);
            }
        }
    }

    fn on_pod_delta(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let (old, new) = match &d {
            Delta::Added(o) => (None, Some(o)),
            Delta::Updated { old, new } => (Some(old), Some(new)),
            Delta::Deleted(o) => (Some(o), None),
        };
        if let Some(Object::Pod(p)) = old.map(|o| o.as_ref()) {
            self.index_pod(p, false);
        }
        let Some(Object::Pod(p)) = new.map(|o| o.as_ref()) else {
            return;
        };
        self.index_pod(p, true);
        let old_node = match old.map(|o| o.as_ref()) {
            Some(Object::Pod(o)) => Some(o.spec.node_name.as_str()),
            _ => None,
        };
        // podUpdated: a pod newly assigned to a node.
        if !p.spec.node_name.is_empty() && old_node != Some(p.spec.node_name.as_str()) {
            let key = format!("{}/{}", p.metadata.namespace, p.metadata.name);
            self.pod_queue.add(key);
            self.drain_pods(cx);
        }
    }

    fn index_pod(&mut self, p: &Pod, present: bool) {
        if p.spec.node_name.is_empty() {
            return;
        }
        let key = (p.metadata.namespace.clone(), p.metadata.name.clone());
        if present {
            self.pods_by_node
                .entry(p.spec.node_name.clone())
                .or_default()
                .insert(key);
        } else if let Some(set) = self.pods_by_node.get_mut(&p.spec.node_name) {
            set.remove(&key);
            if set.is_empty() {
                self.pods_by_node.remove(&p.spec.node_name);
            }
        }
    }

    /// Starts the loops once every cache has synced (Run after WaitForNamedCacheSync).
    fn maybe_start(&mut self, cx: &mut Context<'_, Msg>) {
        let synced = self.nodes.has_synced() && self.leases.has_synced() && self.pods.has_synced();
        if self.running || !synced {
            return;
        }
        self.running = true;
        self.started_at = cx.now();
        for name in std::mem::take(&mut self.node_queue) {
            self.enqueue_node(name, cx);
        }
        self.drain_pods(cx);
        cx.set_timer(SimDuration::ZERO, TIMER_MONITOR);
    }

    // --- NoSchedule taints (doNodeProcessingPassWorker) ---

    fn enqueue_node(&mut self, name: String, cx: &mut Context<'_, Msg>) {
        if !self.running {
            self.node_queue.insert(name);
            return;
        }
        match self.node_busy.get_mut(&name) {
            Some(dirty) => *dirty = true,
            None => self.do_no_schedule_tainting_pass(&name, cx),
        }
    }

    /// doNoScheduleTaintingPass: NoSchedule taints follow the node's conditions at once.
    fn do_no_schedule_tainting_pass(&mut self, name: &str, cx: &mut Context<'_, Msg>) {
        let Some(o) = self.node(name) else { return };
        let Object::Node(node) = o.as_ref() else {
            return;
        };
        let mut taints: Vec<Taint> = node
            .status
            .conditions
            .iter()
            .filter_map(|c| condition_taint_key(&c.type_, &c.status))
            .map(|k| taint(k, NO_SCHEDULE))
            .collect();
        if node.spec.unschedulable {
            taints.push(taint(TAINT_NODE_UNSCHEDULABLE, NO_SCHEDULE));
        }
        let node_taints: Vec<Taint> = node
            .spec
            .taints
            .iter()
            .filter(|t| t.effect == NO_SCHEDULE)
            .filter(|t| t.key == TAINT_NODE_UNSCHEDULABLE || is_condition_taint_key(&t.key))
            .cloned()
            .collect();
        let (add, del) = taint_set_diff(&taints, &node_taints);
        if add.is_empty() && del.is_empty() {
            return;
        }
        self.node_busy.insert(name.to_string(), false);
        self.swap_node_controller_taint(add, del, node, Origin::NoSchedule, cx);
    }

    fn no_schedule_pass_done(&mut self, name: &str, cx: &mut Context<'_, Msg>) {
        if self.node_busy.remove(name) == Some(true) {
            self.enqueue_node(name.to_string(), cx);
        }
    }

    // --- Taint changes (SwapNodeControllerTaint, RemoveTaintOffNode) ---

    /// SwapNodeControllerTaint: adds `add` (timeAdded now), then removes `remove`.
    fn swap_node_controller_taint(
        &mut self,
        mut add: Vec<Taint>,
        remove: Vec<Taint>,
        node: &Node,
        origin: Origin,
        cx: &mut Context<'_, Msg>,
    ) {
        for t in add.iter_mut() {
            t.time_added = Some(Time(cx.now()));
        }
        let steps = VecDeque::from([TaintStep::Add(add), TaintStep::Remove(remove)]);
        self.start_op(node, steps, origin, cx);
    }

    fn start_op(
        &mut self,
        node: &Node,
        steps: VecDeque<TaintStep>,
        origin: Origin,
        cx: &mut Context<'_, Msg>,
    ) {
        let id = self.next_op;
        self.next_op += 1;
        let op = TaintOp {
            node: node.metadata.name.clone(),
            snapshot: node.spec.taints.clone(),
            steps,
            attempt: 0,
            origin,
        };
        self.ops.insert(id, op);
        self.advance_op(id, cx);
    }

    /// Skips steps with nothing to do, then reads the node for the next one.
    fn advance_op(&mut self, id: u64, cx: &mut Context<'_, Msg>) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        while let Some(step) = op.steps.front() {
            let idle = match step {
                TaintStep::Add(t) => t.is_empty(),
                TaintStep::Remove(t) => !t.iter().any(|x| taint_exists(&op.snapshot, x)),
            };
            if !idle {
                op.attempt = 0;
                let node = op.node.clone();
                let req = self.client.get(cx, Kind::Node, "", &node);
                self.pending.insert(req, Pending::TaintGet(id));
                return;
            }
            op.steps.pop_front();
        }
        self.finish_op(id, true, cx);
    }

    /// The node was read: applies the current step and writes it if anything changed.
    fn on_taint_get(&mut self, id: u64, result: Option<Node>, cx: &mut Context<'_, Msg>) {
        let Some(mut node) = result else {
            self.finish_op(id, false, cx);
            return;
        };
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        let changed = match op.steps.front() {
            Some(TaintStep::Add(ts)) => ts.iter().fold(false, |ch, t| {
                add_or_update_taint(&mut node.spec.taints, t) | ch
            }),
            Some(TaintStep::Remove(ts)) => ts
                .iter()
                .fold(false, |ch, t| remove_taint(&mut node.spec.taints, t) | ch),
            None => false,
        };
        if !changed {
            op.steps.pop_front();
            self.advance_op(id, cx);
            return;
        }
        let req = self.client.update(cx, Object::Node(node));
        self.pending.insert(req, Pending::TaintWrite(id));
    }

    /// The write was answered: next step, or a retry after a conflict (RetryOnConflict).
    fn on_taint_write(&mut self, id: u64, resp: &Response, cx: &mut Context<'_, Msg>) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        match &resp.result {
            Ok(_) => {
                op.steps.pop_front();
                self.advance_op(id, cx);
            }
            Err(e) if e.is_conflict() && op.attempt + 1 < UPDATE_TAINT_STEPS => {
                op.attempt += 1;
                let node = op.node.clone();
                let jitter = cx.rng().uniform(0, UPDATE_TAINT_BACKOFF_US);
                let delay = SimDuration(UPDATE_TAINT_BACKOFF_US + jitter);
                let get = Op::Get {
                    kind: Kind::Node,
                    namespace: String::new(),
                    name: node,
                };
                let req = self.client.send_after(cx, delay, get);
                self.pending.insert(req, Pending::TaintGet(id));
            }
            Err(_) => self.finish_op(id, false, cx),
        }
    }

    fn finish_op(&mut self, id: u64, ok: bool, cx: &mut Context<'_, Msg>) {
        let Some(op) = self.ops.remove(&id) else {
            return;
        };
        match op.origin {
            Origin::NoSchedule => self.no_schedule_pass_done(&op.node, cx),
            Origin::NoExecute { zone, .. } if ok => {
                *self.evictions.entry(zone).or_default() += 1;
            }
            Origin::NoExecute { zone, uid } => {
                // The action failed: the node is tried again (Try's retry).
                if let Some(q) = self.tainters.get_mut(&zone) {
                    q.remove(&op.node);
                    q.add(&op.node, &uid, cx.now());
                }
                self.arm_taint_tick(cx);
            }
            Origin::Other => {}
        }
    }

    // --- monitorNodeHealth ---

    /// monitorNodeHealth: checks every node's heartbeat, marks silent ones Unknown and their
    /// pods not Ready, queues NoExecute taints, and sets each zone's tainting rate.
    fn monitor_node_health(&mut self, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let nodes: Vec<ObjectRef> = self.nodes.iter().cloned().collect();
        let zones: Vec<String> = nodes
            .iter()
            .map(|o| match o.as_ref() {
                Object::Node(n) => zone_key(n),
                _ => String::new(),
            })
            .collect();
        let (added, deleted, new_zone_representatives) = self.classify_nodes(&nodes, &zones);
        for n in &new_zone_representatives {
            self.add_pod_evictor_for_new_zone(n, now);
        }
        for n in &added {
            self.known_nodes.insert(n.metadata.name.clone());
            self.add_pod_evictor_for_new_zone(n, now);
            self.mark_node_as_reachable(n, cx);
        }
        for name in deleted {
            self.known_nodes.remove(&name);
        }
        let mut zone_tally: BTreeMap<String, ZoneTally> = BTreeMap::new();
        for (o, zone) in nodes.iter().zip(&zones) {
            if let Object::Node(n) = o.as_ref() {
                self.update_node(n, zone, &mut zone_tally, cx);
            }
        }
        let before = self.zone_states.clone();
        self.handle_disruption(&zone_tally, &nodes, cx);
        for (zone, state) in &self.zone_states {
            if before.get(zone) != Some(state) {
                self.zone_history.push((cx.now(), zone.clone(), *state));
            }
        }
    }

    /// classifyNodes: nodes new to the controller, nodes gone, and known nodes of unseen zones.
    /// `zones` are the nodes' zone keys.
    fn classify_nodes<'a>(
        &self,
        nodes: &'a [ObjectRef],
        zones: &[String],
    ) -> (Vec<&'a Node>, Vec<String>, Vec<&'a Node>) {
        let (mut added, mut reps) = (Vec::new(), Vec::new());
        let mut known_present = 0;
        for (o, zone) in nodes.iter().zip(zones) {
            let Object::Node(n) = o.as_ref() else {
                continue;
            };
            if !self.known_nodes.contains(&n.metadata.name) {
                added.push(n);
            } else {
                known_present += 1;
                if !self.zone_states.contains_key(zone) {
                    reps.push(n);
                }
            }
        }
        // Node names are unique: every known node is present when as many are.
        if known_present == self.known_nodes.len() {
            return (added, Vec::new(), reps);
        }
        let present: BTreeSet<&str> = nodes.iter().map(|o| o.meta().name.as_str()).collect();
        let deleted = self
            .known_nodes
            .iter()
            .filter(|k| !present.contains(k.as_str()))
            .cloned()
            .collect();
        (added, deleted, reps)
    }

    /// addPodEvictorForNewZone: a zone seen for the first time gets a queue at the eviction rate.
    fn add_pod_evictor_for_new_zone(&mut self, node: &Node, now: SimTime) {
        let zone = zone_key(node);
        if self.zone_states.contains_key(&zone) {
            return;
        }
        self.zone_states.insert(zone.clone(), ZoneState::Initial);
        let limiter = Limiter::token_bucket(self.config.node_eviction_rate, now);
        self.tainters
            .insert(zone.clone(), RateLimitedTimedQueue::new(limiter));
        self.evictions.entry(zone).or_default();
    }

    /// updateNodeFunc: one node's health, its zone's tally, taints and pods.
    /// `zone` is the node's zone key.
    fn update_node(
        &mut self,
        node: &Node,
        zone: &str,
        zone_tally: &mut BTreeMap<String, ZoneTally>,
        cx: &mut Context<'_, Msg>,
    ) {
        let name = node.metadata.name.as_str();
        let check = self.try_update_node_health(node, cx.now());
        if let Some(update) = check.update {
            self.send_node_status(update, 0, cx);
        }
        if !is_excluded_from_disruption_checks(node) {
            let tally = match zone_tally.get_mut(zone) {
                Some(t) => t,
                None => zone_tally.entry(zone.to_string()).or_default(),
            };
            tally.total += 1;
            tally.ready += usize::from(check.current == Some(Status::True));
        }
        if let Some(current) = check.current {
            // The current condition, not the observed one, since v1.34 (kubernetes#120816).
            self.process_taint_base_eviction(node, current, zone, cx);
            let needs_retry = self.nodes_to_retry.contains(name);
            let observed_ready = check.observed_ready;
            if (current != Status::True && observed_ready) || (needs_retry && !observed_ready) {
                self.mark_pods_not_ready(name, None, cx);
            }
        }
        self.nodes_to_retry.remove(name);
    }

    /// tryUpdateNodeHealth: updates the saved health of `node` at `now` and, when nothing was
    /// heard within the grace period, returns the node with Ready and the pressure conditions
    /// Unknown to write.
    fn try_update_node_health(&mut self, node: &Node, now: SimTime) -> HealthCheck {
        let name = &node.metadata.name;
        // The common case, done in place: the Ready heartbeat is the saved one and the node
        // stays within its grace period (the general path below gives the same result).
        let observed_lease = self.observed_lease(name);
        if let (Some(c), Some(h)) = (node.condition("Ready"), self.health.get_mut(name.as_str())) {
            let grace = self.config.node_monitor_grace_period;
            let same_heartbeat = h
                .ready
                .as_ref()
                .is_some_and(|s| s.last_heartbeat_time == c.last_heartbeat_time);
            let newer = lease_is_newer(h.lease, observed_lease);
            if same_heartbeat && (newer || now <= h.probe_timestamp + grace) {
                if let (true, Some(renew)) = (newer, observed_lease) {
                    h.lease = Some(renew);
                    h.probe_timestamp = now;
                }
                let s = Status::of(&c.status);
                return HealthCheck {
                    observed_ready: s == Status::True,
                    current: Some(s),
                    update: None,
                };
            }
        }
        let created = node.metadata.creation_timestamp.unwrap_or_default();
        let mut health = self.health.get(name).cloned();
        let current = node.condition("Ready").cloned();
        let (observed, grace) = match &current {
            None => {
                // The kubelet never posted: a fake Unknown condition dated at creation.
                match health.as_mut() {
                    Some(h) => h.ready = None,
                    None => health = Some(NodeHealth::new(None, created.0)),
                }
                let fake = NodeCondition {
                    type_: "Ready".into(),
                    status: "Unknown".into(),
                    last_heartbeat_time: Some(created),
                    last_transition_time: Some(created),
                    ..Default::default()
                };
                (fake, self.config.node_startup_grace_period)
            }
            Some(c) => (c.clone(), self.config.node_monitor_grace_period),
        };
        let saved = health.as_ref().and_then(|h| h.ready.clone());
        let saved_lease = health.as_ref().and_then(|h| h.lease);
        let mut health = match (health, &saved, &current) {
            (None, _, _) | (Some(_), None, Some(_)) | (Some(_), Some(_), None) => {
                NodeHealth::new(current.clone(), now)
            }
            (Some(h), Some(s), Some(c)) if s.last_heartbeat_time != c.last_heartbeat_time => {
                let transition = if s.last_transition_time != c.last_transition_time {
                    now
                } else {
                    h.ready_transition_timestamp
                };
                NodeHealth {
                    probe_timestamp: now,
                    ready_transition_timestamp: transition,
                    ready: current.clone(),
                    lease: None,
                }
            }
            (Some(h), _, _) => h,
        };
        // Always update the probe time if the node lease is renewed.
        if let (true, Some(renew)) = (lease_is_newer(saved_lease, observed_lease), observed_lease) {
            health.lease = Some(renew);
            health.probe_timestamp = now;
        }
        let mut current = current;
        let mut update = None;
        if now > health.probe_timestamp + grace {
            let mut n = node.clone();
            mark_conditions_unknown(&mut n, created, now);
            current = n.condition("Ready").cloned();
            if current.as_ref() != Some(&observed) {
                health = NodeHealth {
                    probe_timestamp: health.probe_timestamp,
                    ready_transition_timestamp: now,
                    ready: current.clone(),
                    lease: observed_lease,
                };
                update = Some(n);
            }
        }
        self.health.insert(name.clone(), health);
        HealthCheck {
            observed_ready: observed.status == "True",
            current: current.map(|c| Status::of(&c.status)),
            update,
        }
    }

    /// The renewTime of the node's Lease in the cache: `None` without a Lease.
    fn observed_lease(&self, node: &str) -> Option<Option<SimTime>> {
        match self
            .leases
            .get(NODE_LEASE_NAMESPACE, node)
            .map(|o| o.as_ref())
        {
            Some(Object::Lease(l)) => Some(l.spec.renew_time.map(|t| t.0)),
            _ => None,
        }
    }

    fn send_node_status(&mut self, node: Node, attempt: u32, cx: &mut Context<'_, Msg>) {
        let name = node.metadata.name.clone();
        let req = self.client.update_status(cx, Object::Node(node));
        self.pending.insert(
            req,
            Pending::NodeStatus {
                node: name,
                attempt,
            },
        );
    }

    /// A failed node status update: read the node again and retry (PollImmediate).
    fn retry_node_status(&mut self, node: String, attempt: u32, cx: &mut Context<'_, Msg>) {
        if attempt + 1 >= NODE_HEALTH_UPDATE_RETRY {
            return;
        }
        let get = Op::Get {
            kind: Kind::Node,
            namespace: String::new(),
            name: node,
        };
        let req = self.client.send_after(cx, RETRY_SLEEP_TIME, get);
        let attempt = attempt + 1;
        self.pending.insert(req, Pending::NodeGet { attempt });
    }

    fn on_node_get(&mut self, attempt: u32, node: &Node, cx: &mut Context<'_, Msg>) {
        let check = self.try_update_node_health(node, cx.now());
        if let Some(update) = check.update {
            self.send_node_status(update, attempt, cx);
        }
    }

    /// processTaintBaseEviction: queues a not-ready or unreachable node for its NoExecute taint
    /// (swapping the opposite one at once), or clears a ready node's.
    /// `ready` is the status of the node's Ready condition, `zone` its zone key.
    fn process_taint_base_eviction(
        &mut self,
        node: &Node,
        ready: Status,
        zone: &str,
        cx: &mut Context<'_, Msg>,
    ) {
        let taints = &node.spec.taints;
        let has = |key: &str| {
            taints
                .iter()
                .any(|t| t.key == key && t.effect == NO_EXECUTE)
        };
        match ready {
            Status::False if has(TAINT_NODE_UNREACHABLE) => {
                let (add, del) = (vec![not_ready_taint()], vec![unreachable_taint()]);
                self.swap_node_controller_taint(add, del, node, Origin::Other, cx);
            }
            Status::Unknown if has(TAINT_NODE_NOT_READY) => {
                let (add, del) = (vec![unreachable_taint()], vec![not_ready_taint()]);
                self.swap_node_controller_taint(add, del, node, Origin::Other, cx);
            }
            Status::False => {
                self.mark_node_for_tainting(node, "False", cx.now());
            }
            Status::Unknown => {
                self.mark_node_for_tainting(node, "Unknown", cx.now());
            }
            Status::True => {
                self.mark_node_as_reachable_in(node, zone, cx);
            }
            Status::Other => {}
        }
    }

    /// markNodeForTainting: (re)queues the node in its zone's queue.
    fn mark_node_for_tainting(&mut self, node: &Node, status: &str, now: SimTime) -> bool {
        let Some(q) = self.tainters.get_mut(&zone_key(node)) else {
            return false;
        };
        let name = &node.metadata.name;
        let taints = &node.spec.taints;
        if status == "False" && !taint_exists(taints, &not_ready_taint()) {
            q.remove(name);
        }
        if status == "Unknown" && !taint_exists(taints, &unreachable_taint()) {
            q.remove(name);
        }
        q.add(name, &node.metadata.uid, now)
    }

    /// markNodeAsReachable: removes the NoExecute taints and drops the node from its queue.
    fn mark_node_as_reachable(&mut self, node: &Node, cx: &mut Context<'_, Msg>) -> bool {
        self.mark_node_as_reachable_in(node, &zone_key(node), cx)
    }

    /// `mark_node_as_reachable` with the node's zone key at hand.
    fn mark_node_as_reachable_in(
        &mut self,
        node: &Node,
        zone: &str,
        cx: &mut Context<'_, Msg>,
    ) -> bool {
        let taints = &node.spec.taints;
        let has = |key: &str| {
            taints
                .iter()
                .any(|t| t.key == key && t.effect == NO_EXECUTE)
        };
        if has(TAINT_NODE_UNREACHABLE) || has(TAINT_NODE_NOT_READY) {
            let steps = VecDeque::from([
                TaintStep::Remove(vec![unreachable_taint()]),
                TaintStep::Remove(vec![not_ready_taint()]),
            ]);
            self.start_op(node, steps, Origin::Other, cx);
        }
        match self.tainters.get_mut(zone) {
            Some(q) => q.remove(&node.metadata.name),
            None => false,
        }
    }

    /// MarkPodsNotReady on the node's pods (all of them, or the one `only`).
    fn mark_pods_not_ready(
        &mut self,
        node: &str,
        only: Option<&CacheKey>,
        cx: &mut Context<'_, Msg>,
    ) {
        let keys: Vec<CacheKey> = match only {
            Some(k) => vec![k.clone()],
            None => self
                .pods_by_node
                .get(node)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
        };
        for key in keys {
            let Some(Object::Pod(p)) = self.pods.get(&key.0, &key.1).map(|o| o.as_ref()) else {
                continue;
            };
            if p.spec.node_name != node {
                continue;
            }
            let Some(p) = pod_marked_not_ready(p, cx.now()) else {
                continue;
            };
            let req = self.client.update_status(cx, Object::Pod(p));
            let pending = Pending::PodStatus {
                node: node.to_string(),
                pod: format!("{}/{}", key.0, key.1),
                queued: only.is_some(),
            };
            self.pending.insert(req, pending);
        }
    }

    // --- handleDisruption ---

    /// ComputeZoneState: the number of not-ready nodes and the zone's state.
    pub fn compute_zone_state(&self, conditions: &[Option<NodeCondition>]) -> (usize, ZoneState) {
        let ready = conditions
            .iter()
            .filter(|c| c.as_ref().is_some_and(|c| c.status == "True"))
            .count();
        self.zone_state_of(ZoneTally {
            ready,
            total: conditions.len(),
        })
    }

    /// `compute_zone_state` from the counts.
    fn zone_state_of(&self, tally: ZoneTally) -> (usize, ZoneState) {
        let ready = tally.ready;
        let not_ready = tally.total - ready;
        let share_reached = || {
            let threshold = u128::from(self.config.unhealthy_zone_threshold.0);
            not_ready as u128 * 1_000_000 >= threshold * (not_ready + ready) as u128
        };
        let state = if ready == 0 && not_ready > 0 {
            ZoneState::FullDisruption
        } else if not_ready > 2 && share_reached() {
            ZoneState::PartialDisruption
        } else {
            ZoneState::Normal
        };
        (not_ready, state)
    }

    /// handleDisruption: sets each zone's tainting rate from its new state; stops all tainting
    /// when every zone is fully disrupted, and resumes it when one recovers.
    fn handle_disruption(
        &mut self,
        zone_conditions: &BTreeMap<String, ZoneTally>,
        nodes: &[ObjectRef],
        cx: &mut Context<'_, Msg>,
    ) {
        let now = cx.now();
        let mut new_states = BTreeMap::new();
        let mut all_are_fully_disrupted = true;
        for (k, v) in zone_conditions {
            let (_, state) = self.zone_state_of(*v);
            all_are_fully_disrupted &= state == ZoneState::FullDisruption;
            new_states.insert(k.clone(), state);
            self.zone_states
                .entry(k.clone())
                .or_insert(ZoneState::Initial);
        }
        let mut all_was_fully_disrupted = true;
        let zones: Vec<String> = self.zone_states.keys().cloned().collect();
        for k in &zones {
            if !zone_conditions.contains_key(k) {
                self.zone_states.remove(k);
                continue;
            }
            if self.zone_states[k] != ZoneState::FullDisruption {
                all_was_fully_disrupted = false;
                break;
            }
        }
        if all_are_fully_disrupted && all_was_fully_disrupted {
            return;
        }
        let size = |k: &str| zone_conditions.get(k).map_or(0, |v| v.total);
        let new_state = |k: &str| new_states.get(k).copied().unwrap_or(ZoneState::Unset);
        let zones: Vec<String> = self.zone_states.keys().cloned().collect();
        if all_are_fully_disrupted {
            // Entering master disruption mode: no evictions at all.
            for o in nodes {
                if let Object::Node(n) = o.as_ref() {
                    self.mark_node_as_reachable(n, cx);
                }
            }
            for k in &zones {
                if let Some(q) = self.tainters.get_mut(k) {
                    q.swap_limiter(Millionths::ZERO, now);
                }
            }
            for v in self.zone_states.values_mut() {
                *v = ZoneState::FullDisruption;
            }
            return;
        }
        if all_was_fully_disrupted {
            // Exiting master disruption mode: every node starts a fresh grace period.
            for o in nodes {
                if let Some(h) = self.health.get_mut(&o.meta().name) {
                    h.probe_timestamp = now;
                    h.ready_transition_timestamp = now;
                }
            }
            for k in &zones {
                self.set_limiter_in_zone(k, size(k), new_state(k), now);
                self.zone_states.insert(k.clone(), new_state(k));
            }
            return;
        }
        for k in &zones {
            let state = new_state(k);
            if self.zone_states[k] == state {
                continue;
            }
            self.set_limiter_in_zone(k, size(k), state, now);
            self.zone_states.insert(k.clone(), state);
        }
    }

    /// setLimiterInZone.
    fn set_limiter_in_zone(&mut self, zone: &str, size: usize, state: ZoneState, now: SimTime) {
        let qps = match state {
            ZoneState::Normal => self.config.node_eviction_rate,
            ZoneState::PartialDisruption => self.reduced_qps(size),
            ZoneState::FullDisruption => self.healthy_qps(size),
            ZoneState::Initial | ZoneState::Unset => return,
        };
        if let Some(q) = self.tainters.get_mut(zone) {
            q.swap_limiter(qps, now);
        }
    }

    /// HealthyQPSFunc.
    fn healthy_qps(&self, _size: usize) -> Millionths {
        self.config.node_eviction_rate
    }

    /// ReducedQPSFunc: the secondary rate for large zones, none for small ones.
    fn reduced_qps(&self, size: usize) -> Millionths {
        if size > self.config.large_cluster_size_threshold as usize {
            self.config.secondary_node_eviction_rate
        } else {
            Millionths::ZERO
        }
    }

    // --- doNoExecuteTaintingPass ---

    /// doNoExecuteTaintingPass: each zone's queue adds NoExecute taints at its rate.
    fn do_no_execute_tainting_pass(&mut self, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let zones: Vec<String> = self.tainters.keys().cloned().collect();
        for zone in zones {
            let Some(mut q) = self.tainters.remove(&zone) else {
                continue;
            };
            q.try_process(now, |v| self.taint_no_execute(v, &zone, cx));
            self.tainters.insert(zone, q);
        }
    }

    /// The action of the tainting pass: the taint matching the node's Ready condition replaces
    /// the opposite one.
    fn taint_no_execute(
        &mut self,
        v: &TimedValue,
        zone: &str,
        cx: &mut Context<'_, Msg>,
    ) -> (bool, SimDuration) {
        let Some(o) = self.node(&v.value) else {
            return (true, SimDuration::ZERO);
        };
        let Object::Node(node) = o.as_ref() else {
            return (true, SimDuration::ZERO);
        };
        let Some(ready) = node.condition("Ready") else {
            return (false, NO_READY_CONDITION_RETRY);
        };
        let (add, opposite) = match ready.status.as_str() {
            "False" => (not_ready_taint(), unreachable_taint()),
            "Unknown" => (unreachable_taint(), not_ready_taint()),
            _ => return (true, SimDuration::ZERO),
        };
        let origin = Origin::NoExecute {
            zone: zone.to_string(),
            uid: v.uid.clone(),
        };
        self.swap_node_controller_taint(vec![add], vec![opposite], node, origin, cx);
        (true, SimDuration::ZERO)
    }

    /// Whether a tainting pass could do anything: a queue holds a node and may get a token.
    fn taint_pass_can_act(&self) -> bool {
        self.tainters
            .values()
            .any(|q| !q.is_empty() && !matches!(q.limiter(), Limiter::Never))
    }

    /// Sets the next tainting tick, on upstream's 100 ms grid from the start, if it can act.
    fn arm_taint_tick(&mut self, cx: &mut Context<'_, Msg>) {
        if !self.running || self.taint_tick_armed || !self.taint_pass_can_act() {
            return;
        }
        let period = NODE_EVICTION_PERIOD.as_micros();
        let elapsed = cx.now().since(self.started_at).as_micros();
        let next = self.started_at + SimDuration((elapsed / period + 1) * period);
        self.taint_tick_armed = true;
        cx.set_timer(next.since(cx.now()), TIMER_TAINT);
    }

    // --- processPod (podUpdateQueue) ---

    fn drain_pods(&mut self, cx: &mut Context<'_, Msg>) {
        if !self.running {
            return;
        }
        self.pod_queue.promote(cx.now());
        while let Some(key) = self.pod_queue.pop() {
            self.process_pod(&key, cx);
        }
        self.arm_pod_timer(cx);
    }

    fn arm_pod_timer(&mut self, cx: &mut Context<'_, Msg>) {
        let Some(due) = self.pod_queue.next_due() else {
            return;
        };
        if self.pod_timer_at.is_some_and(|t| t <= due) {
            return;
        }
        self.pod_timer_at = Some(due);
        cx.set_timer(due.since(cx.now()), TIMER_PODS);
    }

    /// processPod: a pod newly on a node that is not Ready is marked not Ready.
    fn process_pod(&mut self, key: &str, cx: &mut Context<'_, Msg>) {
        let (ns, name) = key.split_once('/').unwrap_or(("", key));
        let Some(Object::Pod(pod)) = self.pods.get(ns, name).map(|o| o.as_ref()) else {
            return;
        };
        let node = pod.spec.node_name.clone();
        let Some(health) = self.health.get(&node) else {
            return;
        };
        let ready_status = health.ready.as_ref().map(|c| c.status.clone());
        if self.node(&node).is_none() {
            self.pod_queue.add_rate_limited(key.to_string(), cx.now());
            return;
        }
        if ready_status.is_some_and(|s| s != "True") {
            let key = (ns.to_string(), name.to_string());
            self.mark_pods_not_ready(&node, Some(&key), cx);
        }
    }

    // --- Responses ---

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.nodes.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_node_delta(d, cx));
        } else if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
        } else if self
            .leases
            .on_response(&resp, &mut self.client, cx)
            .is_none()
        {
            self.on_request_done(&resp, cx);
            return;
        }
        self.maybe_start(cx);
    }

    fn on_request_done(&mut self, resp: &Response, cx: &mut Context<'_, Msg>) {
        let Some(p) = self.pending.remove(&resp.id) else {
            return;
        };
        let node_of = |r: &Response| match &r.result {
            Ok(Reply::Object(o)) => match o.as_ref() {
                Object::Node(n) => Some(n.clone()),
                _ => None,
            },
            _ => None,
        };
        match p {
            Pending::NodeStatus { node, attempt } if resp.result.is_err() => {
                self.retry_node_status(node, attempt, cx)
            }
            Pending::NodeGet { attempt, .. } => {
                if let Some(n) = node_of(resp) {
                    self.on_node_get(attempt, &n, cx);
                }
            }
            Pending::PodStatus { node, pod, queued } => match &resp.result {
                Err(e) if e.code != 404 && queued => {
                    self.pod_queue.add_rate_limited(pod, cx.now());
                    self.arm_pod_timer(cx);
                }
                Err(e) if e.code != 404 => {
                    self.nodes_to_retry.insert(node);
                }
                _ => {}
            },
            Pending::TaintGet(id) => self.on_taint_get(id, node_of(resp), cx),
            Pending::TaintWrite(id) => self.on_taint_write(id, resp, cx),
            Pending::NodeStatus { .. } => {}
        }
    }

    fn on_watch(&mut self, w: &crate::api::WatchMsg, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.nodes.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_node_delta(d, cx));
        } else if let Some(ds) = self.pods.on_watch(w, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod_delta(d, cx));
        } else {
            self.leases.on_watch(w, &mut self.client, cx);
        }
    }
}

/// Whether the Lease renewal seen (`observed`) is newer than the one saved: any Lease when none
/// was saved, else a later renewTime.
fn lease_is_newer(saved: Option<Option<SimTime>>, observed: Option<Option<SimTime>>) -> bool {
    match (saved, observed) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(s), Some(r)) => matches!((s, r), (Some(s), Some(r)) if s < r),
    }
}

/// The grace period expired: Ready and the pressure conditions become Unknown (added as never
/// updated when missing); NetworkUnavailable is left alone.
fn mark_conditions_unknown(node: &mut Node, created: Time, now: SimTime) {
    for t in ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] {
        let conds = &mut node.status.conditions;
        match conds.iter_mut().find(|c| c.type_ == t) {
            None => conds.push(NodeCondition {
                type_: t.into(),
                status: "Unknown".into(),
                reason: "NodeStatusNeverUpdated".into(),
                message: "Kubelet never posted node status.".into(),
                last_heartbeat_time: Some(created),
                last_transition_time: Some(Time(now)),
            }),
            Some(c) if c.status != "Unknown" => {
                c.status = "Unknown".into();
                c.reason = "NodeStatusUnknown".into();
                c.message = "Kubelet stopped posting node status.".into();
                c.last_transition_time = Some(Time(now));
            }
            Some(_) => {}
        }
    }
}

impl Actor<Msg> for NodeLifecycleController {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                self.nodes.start(&mut self.client, cx);
                self.leases.start(&mut self.client, cx);
                self.pods.start(&mut self.client, cx);
            }
            Input::Timer {
                tag: TIMER_MONITOR, ..
            } => {
                self.monitor_node_health(cx);
                cx.set_timer(self.config.node_monitor_period, TIMER_MONITOR);
            }
            Input::Timer {
                tag: TIMER_TAINT, ..
            } => {
                self.taint_tick_armed = false;
                self.do_no_execute_tainting_pass(cx);
            }
            Input::Timer {
                tag: TIMER_PODS, ..
            } => {
                self.pod_timer_at = None;
                self.drain_pods(cx);
            }
            Input::Timer { .. } => {}
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => self.on_watch(&w, cx),
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
        self.arm_taint_tick(cx);
    }
}

#[cfg(test)]
mod tests;
