//! The kubelet of one node: registers the Node, renews its Lease (the heartbeat), reports node
//! status, and runs the pods bound to it through the container runtime, reporting their status.
//! Models pkg/kubelet/kubelet.go (registration, syncPod), pkg/kubelet/kubelet_node_status.go
//! (setters, nodeStatusUpdateFrequency / nodeStatusReportFrequency),
//! k8s.io/component-helpers/apimachinery/lease/controller.go (renew every 10 s, jitter 0.04),
//! and pkg/kubelet/status/status_manager.go (pod status patches).
//!
//! Containers and restarts (pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions
//! and doBackOff, pkg/kubelet/kubelet_pods.go getPhase, pkg/kubelet/images/image_manager.go,
//! k8s.io/client-go/util/flowcontrol/backoff.go). What a container does is kubesim's modelling
//! choice, read from the pod's annotations (applying to every container of the pod):
//! - `kubesim.io/exit-after`: a Go duration; the container process exits that long after it
//!   starts (each time it starts);
//! - `kubesim.io/exit-code`: its exit code (default 0);
//! - `kubesim.io/image-pull-error: "true"`: every pull of the pod's images fails (ErrImagePull,
//!   then ImagePullBackOff, retried after the image back-off, 10 s doubling to 300 s).
//!
//! Readiness probes (`readinessProbe` on a container) always succeed: the container becomes
//! Ready at the first probe, `initialDelaySeconds` after it started. The pod's containers are
//! modelled as one group: they start, exit and restart together (one restartCount).

use super::runtime::{ContainerRuntime, RuntimeConfig};
use crate::api::msg::DeleteOptions;
use crate::api::node::{ContainerImage, NodeAddress, NodeCondition, ResourceList};
use crate::api::pod::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus,
};
use crate::api::Taint;
use crate::api::{
    ApiError, Control, Kind, Lease, ListOptions, MicroTime, Msg, Node, Object, ObjectRef,
    OwnerReference, Pod, Reply, Response, Time,
};
use crate::client::{ApiClient, CacheKey, Delta, Informer};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime, TimerId};
use std::collections::{BTreeMap, BTreeSet};

const TIMER_LEASE: u64 = 1;
const TIMER_NODE_STATUS: u64 = 2;
const TIMER_REGISTER: u64 = 3;
/// The status manager's syncBatch: resend statuses and deletions that failed.
const TIMER_STATUS_SYNC: u64 = 4;
/// `syncPeriod` of the status manager.
const STATUS_SYNC_PERIOD: SimDuration = SimDuration::from_secs(10);
/// Tags at or above this are pod start timers.
const TIMER_POD_BASE: u64 = 1 << 32;

/// The namespace of node Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// Kubelet settings (pkg/kubelet/apis/config/v1beta1/defaults.go).
#[derive(Clone, Debug)]
pub struct KubeletConfig {
    pub node_name: String,
    /// Labels of the Node (pool labels; zone and hostname added by the kubelet).
    pub labels: BTreeMap<String, String>,
    pub zone: Option<String>,
    /// Capacity: cpu, memory, pods, ephemeral-storage. Allocatable is the same (no reservations).
    pub capacity: ResourceList,
    /// Images already on the node.
    pub images: Vec<String>,
    /// `--register-with-taints`: taints the Node is registered with.
    pub taints: Vec<Taint>,
    /// Register the Node cordoned (`spec.unschedulable`).
    pub unschedulable: bool,
    /// `nodeLeaseDurationSeconds` (40); renewal every quarter of it.
    pub node_lease_duration_seconds: i32,
    /// `nodeStatusUpdateFrequency` (10 s).
    pub node_status_update_frequency: SimDuration,
    /// `nodeStatusReportFrequency` (5 m).
    pub node_status_report_frequency: SimDuration,
    pub runtime: RuntimeConfig,
    /// Index of the node in the cluster, for its addresses.
    pub index: u32,
}

impl KubeletConfig {
    pub fn new(node_name: impl Into<String>, capacity: ResourceList, index: u32) -> Self {
        KubeletConfig {
            node_name: node_name.into(),
            labels: BTreeMap::new(),
            zone: None,
            capacity,
            images: Vec::new(),
            taints: Vec::new(),
            unschedulable: false,
            node_lease_duration_seconds: 40,
            node_status_update_frequency: SimDuration::from_secs(10),
            node_status_report_frequency: SimDuration::from_secs(300),
            runtime: RuntimeConfig::default(),
            index,
        }
    }

    /// Lease renew interval: duration x 0.25 (`NodeLeaseRenewIntervalFraction`).
    pub fn lease_renew_interval(&self) -> SimDuration {
        SimDuration::from_micros(self.node_lease_duration_seconds as u64 * 250_000)
    }

    fn node_ip(&self) -> String {
        let i = self.index + 1;
        format!("10.0.{}.{}", (i >> 8) & 0xff, i & 0xff)
    }

    fn pod_ip(&self, n: u32) -> String {
        let i = self.index;
        format!("10.{}.{}.{}", 64 + ((i >> 8) & 0x3f), i & 0xff, 2 + n % 252)
    }
}

enum Pending {
    RegisterNode,
    CreateLease,
    GetLease,
    UpdateLease,
    NodeStatus,
    NodeGet,
    PodStatus(CacheKey, Box<Pod>),
    FinalDelete(CacheKey, Box<Pod>),
}

/// Pod annotation: the containers exit this long (a Go duration) after each start.
pub const ANNOTATION_EXIT_AFTER: &str = "kubesim.io/exit-after";
/// Pod annotation: the containers' exit code (default 0).
pub const ANNOTATION_EXIT_CODE: &str = "kubesim.io/exit-code";
/// Pod annotation: "true" makes every image pull of the pod fail.
pub const ANNOTATION_IMAGE_PULL_ERROR: &str = "kubesim.io/image-pull-error";

/// `backOffPeriod` (pkg/kubelet/kubelet.go): the first container and image back-off.
pub const BACKOFF_PERIOD: SimDuration = SimDuration::from_secs(10);
/// `MaxContainerBackOff` (pkg/kubelet/kubelet.go).
pub const MAX_CONTAINER_BACKOFF: SimDuration = SimDuration::from_secs(300);
/// How long after a container exits the kubelet notices (PLEG relist period, 1 s) and syncs.
const PLEG_RELIST: SimDuration = SimDuration::from_secs(1);

/// One key of a `flowcontrol.Backoff` (client-go util/flowcontrol/backoff.go) with initial
/// `BACKOFF_PERIOD` and max `MAX_CONTAINER_BACKOFF`. An entry expires (and the back-off starts
/// over at the initial value) when an event comes more than 2 x max (10 min) after the last
/// update (`hasExpired`), which is also when `GC` drops it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackOff {
    /// (current back-off, last update).
    entry: Option<(SimDuration, SimTime)>,
}

impl BackOff {
    fn expired(event: SimTime, last_update: SimTime) -> bool {
        event.since(last_update).as_micros() > 2 * MAX_CONTAINER_BACKOFF.as_micros()
    }

    fn live(&self, event: SimTime) -> Option<(SimDuration, SimTime)> {
        self.entry.filter(|(_, last)| !Self::expired(event, *last))
    }

    /// `Next(id, eventTime)`: initial on a new or expired entry, else doubled up to the max.
    pub fn next(&mut self, event: SimTime) -> SimDuration {
        let b = match self.live(event) {
            None => BACKOFF_PERIOD,
            Some((b, _)) => SimDuration((b.as_micros() * 2).min(MAX_CONTAINER_BACKOFF.as_micros())),
        };
        self.entry = Some((b, event));
        b
    }

    /// `Get(id)`: the current back-off (zero without an entry).
    pub fn get(&self) -> SimDuration {
        self.entry.map_or(SimDuration::ZERO, |(b, _)| b)
    }

    /// `IsInBackOffSince(id, eventTime)`: a live entry and less than its back-off since `event`.
    pub fn in_backoff_since(&self, event: SimTime, now: SimTime) -> bool {
        self.live(event).is_some_and(|(b, _)| now.since(event) < b)
    }

    /// `IsInBackOffSinceUpdate(id, eventTime)`: less than the back-off since the last update.
    pub fn in_backoff_since_update(&self, now: SimTime) -> bool {
        self.live(now).is_some_and(|(b, last)| now.since(last) < b)
    }
}

/// What the pod's annotations and probes say its containers do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Behaviour {
    exit_after: Option<SimDuration>,
    exit_code: i32,
    pull_error: bool,
    /// The latest first readiness probe (initialDelaySeconds), if any container has a probe.
    ready_after: Option<SimDuration>,
}

fn behaviour(pod: &Pod) -> Behaviour {
    let a = &pod.metadata.annotations;
    Behaviour {
        exit_after: a
            .get(ANNOTATION_EXIT_AFTER)
            .and_then(|d| crate::sim::parse_duration(d).ok()),
        exit_code: a
            .get(ANNOTATION_EXIT_CODE)
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(0),
        pull_error: a
            .get(ANNOTATION_IMAGE_PULL_ERROR)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        ready_after: pod
            .spec
            .containers
            .iter()
            .filter_map(|c| c.readiness_probe.as_ref())
            .map(|p| {
                // Probes at start + initialDelay, then every period; Ready after
                // successThreshold consecutive successes (every probe succeeds).
                let extra =
                    (p.success_threshold.max(1) - 1) as u64 * p.period_seconds.max(1) as u64;
                SimDuration::from_secs(p.initial_delay_seconds.max(0) as u64 + extra)
            })
            .max(),
    }
}

/// getPhase (pkg/kubelet/kubelet_pods.go), for regular containers (no init containers).
pub fn get_phase(pod: &Pod, statuses: &[ContainerStatus], pod_is_terminal: bool) -> &'static str {
    let (mut unknown, mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0, 0);
    for c in &pod.spec.containers {
        let Some(st) = statuses.iter().find(|s| s.name == c.name) else {
            unknown += 1;
            continue;
        };
        if st.state.running.is_some() {
            running += 1;
        } else if let Some(t) = &st.state.terminated {
            stopped += 1;
            if t.exit_code == 0 {
                succeeded += 1;
            }
        } else if st.state.waiting.is_some() {
            if st.last_state.terminated.is_some() {
                stopped += 1;
            } else {
                waiting += 1;
            }
        } else {
            unknown += 1;
        }
    }
    let policy = pod.spec.restart_policy.as_str();
    if waiting > 0 {
        "Pending"
    } else if running > 0 && unknown == 0 {
        "Running"
    } else if running == 0 && stopped > 0 && unknown == 0 {
        if pod_is_terminal {
            if stopped == succeeded {
                "Succeeded"
            } else {
                "Failed"
            }
        } else if policy == "Always" || policy.is_empty() {
            "Running"
        } else if stopped == succeeded {
            "Succeeded"
        } else if policy == "Never" {
            "Failed"
        } else {
            "Running"
        }
    } else {
        "Pending"
    }
}

/// Back-off of the registration and lease retries: 100 ms doubling, at most 7 s
/// (kubelet_node_status.go registerWithAPIServer; lease controller backoffEnsureLease).
fn retry_backoff(failures: u32) -> SimDuration {
    SimDuration((100_000u64 << failures.min(10)).min(7_000_000))
}

/// The state of the pod's containers (one group).
#[derive(Clone, Debug, PartialEq)]
enum CState {
    Creating,
    Running { started: SimTime },
    Exited(ContainerStateTerminated),
    Waiting { reason: String, message: String },
}

/// The node conditions the kubelet reports: type, status, reason, message.
const NODE_CONDITIONS: [(&str, &str, &str, &str); 4] = [
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    ),
];

/// Timer slots of a pod worker.
const SLOT_MAIN: usize = 0;
const SLOT_EXIT: usize = 1;
const SLOT_PROBE: usize = 2;
const SLOT_NOTE: usize = 3;

/// What the kubelet runs for one pod.
struct PodWorker {
    uid: String,
    /// Pending timers by slot: the runtime operation (start, stop, restart, pull), the
    /// container exit, the readiness probe, a delayed status note.
    timers: [Option<(TimerId, u64)>; 4],
    ip: String,
    running_since: Option<SimTime>,
    /// The pod is being deleted: its containers are stopping.
    terminating: bool,
    state: CState,
    last_terminated: Option<ContainerStateTerminated>,
    restart_count: i32,
    /// Every readiness probe succeeded (or there are none).
    ready: bool,
    /// When the containers last exited.
    last_exit: SimTime,
    crash_backoff: BackOff,
    image_backoff: BackOff,
}

impl PodWorker {
    fn new(uid: String, ip: String) -> Self {
        PodWorker {
            uid,
            timers: [None; 4],
            ip,
            running_since: None,
            terminating: false,
            state: CState::Creating,
            last_terminated: None,
            restart_count: 0,
            ready: false,
            last_exit: SimTime::ZERO,
            crash_backoff: BackOff::default(),
            image_backoff: BackOff::default(),
        }
    }
}

/// What a pod timer means when it fires.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PodStep {
    Started,
    Stopped,
    Exited(i32),
    ProbeReady,
    Restart,
    CrashLoop,
    PullFailed(String),
    PullBackOff(String),
    PullRetry,
}

/// The kubelet actor of one node.
pub struct Kubelet {
    config: KubeletConfig,
    client: ApiClient,
    runtime: ContainerRuntime,
    pods: Informer,
    node: Option<ObjectRef>,
    lease: Option<ObjectRef>,
    workers: BTreeMap<CacheKey, PodWorker>,
    pod_timers: BTreeMap<u64, (CacheKey, PodStep)>,
    next_pod_tag: u64,
    next_ip: u32,
    pending: BTreeMap<u64, Pending>,
    last_status_report: SimTime,
    /// Consecutive failures of registration or lease renewal.
    failures: u32,
    /// Pod statuses and final deletions that failed, to send again.
    unsynced: BTreeMap<CacheKey, Pending>,
    status_sync_armed: bool,
    /// After a restart: containers still running from before, by pod uid, until the first
    /// list of pods says which to keep.
    surviving: BTreeMap<String, PodWorker>,
    /// Containers stopped because their pod was gone when the kubelet came back.
    orphans_killed: u64,
    /// Pods in the informer's cache whose stored status is not Running and Ready: the only
    /// ones `reconcile_pod_statuses` can find stale.
    not_running_ready: BTreeSet<CacheKey>,
}

impl Kubelet {
    pub fn new(config: KubeletConfig, client: ApiClient) -> Self {
        let runtime = ContainerRuntime::new(config.runtime.clone(), config.images.clone());
        let pods = Informer::new(
            Kind::Pod,
            ListOptions {
                node_name: Some(config.node_name.clone()),
                ..Default::default()
            },
        );
        Kubelet {
            config,
            client,
            runtime,
            pods,
            node: None,
            lease: None,
            workers: BTreeMap::new(),
            pod_timers: BTreeMap::new(),
            next_pod_tag: TIMER_POD_BASE,
            next_ip: 0,
            pending: BTreeMap::new(),
            last_status_report: SimTime::ZERO,
            failures: 0,
            unsynced: BTreeMap::new(),
            status_sync_armed: false,
            surviving: BTreeMap::new(),
            orphans_killed: 0,
            not_running_ready: BTreeSet::new(),
        }
    }

    /// The kubelet process started again on the same machine (after `StopKubelet`): a fresh
    /// kubelet that finds the containers still running in the runtime. With `machine_lost`
    /// the machine came back empty (no containers, only the configured images).
    pub fn restarted(self, machine_lost: bool) -> Kubelet {
        let mut k = Kubelet::new(self.config.clone(), self.client);
        if !machine_lost {
            k.runtime = self.runtime;
            k.next_ip = self.next_ip;
            k.surviving = self
                .workers
                .into_values()
                .filter(|w| w.running_since.is_some())
                .map(|w| {
                    let w = PodWorker {
                        timers: [None; 4],
                        terminating: false,
                        ..w
                    };
                    (w.uid.clone(), w)
                })
                .collect();
        }
        k
    }

    /// Containers stopped after a restart because their pod had been deleted meanwhile.
    pub fn orphans_killed(&self) -> u64 {
        self.orphans_killed
    }

    pub fn node_name(&self) -> &str {
        &self.config.node_name
    }

    /// Pods whose containers run on this node now.
    pub fn running_pods(&self) -> usize {
        self.workers
            .values()
            .filter(|w| w.running_since.is_some())
            .count()
    }

    fn node_conditions(&self, now: Time) -> Vec<NodeCondition> {
        NODE_CONDITIONS
            .iter()
            .map(|&(t, s, reason, message)| NodeCondition {
                type_: t.into(),
                status: s.into(),
                last_heartbeat_time: Some(now),
                last_transition_time: Some(now),
                reason: reason.into(),
                message: message.into(),
            })
            .collect()
    }

    fn initial_node(&self, now: Time) -> Node {
        let cfg = &self.config;
        let mut n = Node::default();
        n.metadata.name = cfg.node_name.clone();
        n.metadata.labels = cfg.labels.clone();
        let l = &mut n.metadata.labels;
        l.insert("kubernetes.io/arch".into(), "amd64".into());
        l.insert("kubernetes.io/os".into(), "linux".into());
        l.insert("kubernetes.io/hostname".into(), cfg.node_name.clone());
        if let Some(z) = &cfg.zone {
            l.insert("topology.kubernetes.io/zone".into(), z.clone());
        }
        n.spec.taints = cfg.taints.clone();
        n.spec.unschedulable = cfg.unschedulable;
        n.status.capacity = cfg.capacity.clone();
        n.status.allocatable = cfg.capacity.clone();
        n.status.conditions = self.node_conditions(now);
        n.status.addresses = vec![
            NodeAddress {
                type_: "InternalIP".into(),
                address: cfg.node_ip(),
            },
            NodeAddress {
                type_: "Hostname".into(),
                address: cfg.node_name.clone(),
            },
        ];
        n.status.images = self.images_status();
        n
    }

    fn images_status(&self) -> Vec<ContainerImage> {
        self.runtime
            .images()
            .map(|i| ContainerImage {
                names: vec![i.clone()],
                size_bytes: self.image_size(i),
            })
            .collect()
    }

    fn image_size(&self, image: &str) -> i64 {
        self.config
            .runtime
            .image_sizes
            .get(image)
            .map_or(0, |&b| i64::try_from(b).unwrap_or(i64::MAX))
    }

    /// Whether `have` is what `images_status` would say.
    fn images_match(&self, have: &[ContainerImage]) -> bool {
        have.len() == self.runtime.images().count()
            && self.runtime.images().zip(have).all(|(i, c)| {
                c.names.len() == 1 && c.names[0] == *i && c.size_bytes == self.image_size(i)
            })
    }

    fn track(&mut self, id: u64, p: Pending) {
        self.pending.insert(id, p);
    }

    // --- Lease (the heartbeat) ---

    fn sync_lease(&mut self, cx: &mut Context<'_, Msg>) {
        let now = MicroTime(cx.now());
        match &self.lease {
            Some(l) => {
                let Object::Lease(mut lease) = (**l).clone() else {
                    return;
                };
                lease.spec.renew_time = Some(now);
                let id = self.client.update(cx, Object::Lease(lease));
                self.track(id, Pending::UpdateLease);
            }
            None => {
                let Some(node) = &self.node else { return };
                let mut lease = Lease::default();
                lease.metadata.name = self.config.node_name.clone();
                lease.metadata.namespace = NODE_LEASE_NAMESPACE.into();
                lease.metadata.owner_references = vec![OwnerReference {
                    api_version: "v1".into(),
                    kind: "Node".into(),
                    name: self.config.node_name.clone(),
                    uid: node.meta().uid.clone(),
                    ..Default::default()
                }];
                lease.spec.holder_identity = Some(self.config.node_name.clone());
                lease.spec.lease_duration_seconds = Some(self.config.node_lease_duration_seconds);
                lease.spec.renew_time = Some(now);
                let id = self.client.create(cx, Object::Lease(lease));
                self.track(id, Pending::CreateLease);
            }
        }
    }

    /// The next renewal: wait.JitterUntil(sync, renewInterval, 0.04, sliding=true).
    fn next_renewal(&mut self, cx: &mut Context<'_, Msg>) {
        self.failures = 0;
        let base = self.config.lease_renew_interval().as_micros();
        let jitter = cx.rng().uniform(0, base * 4 / 100 - 1);
        cx.set_timer(SimDuration(base + jitter), TIMER_LEASE);
    }

    /// A request to the API server failed: try `tag` again after the back-off.
    fn retry_later(&mut self, tag: u64, cx: &mut Context<'_, Msg>) {
        self.failures += 1;
        cx.set_timer(retry_backoff(self.failures), tag);
    }

    fn send_pod_status(&mut self, key: CacheKey, pod: Pod, cx: &mut Context<'_, Msg>) {
        let id = self.client.patch_status(cx, Object::Pod(pod.clone()));
        self.track(id, Pending::PodStatus(key, Box::new(pod)));
    }

    /// Keeps a failed status write or deletion for the next status sync.
    fn unsynced(&mut self, key: CacheKey, what: Pending, cx: &mut Context<'_, Msg>) {
        self.unsynced.insert(key, what);
        if !self.status_sync_armed {
            self.status_sync_armed = true;
            cx.set_timer(STATUS_SYNC_PERIOD, TIMER_STATUS_SYNC);
        }
    }

    fn status_sync(&mut self, cx: &mut Context<'_, Msg>) {
        self.status_sync_armed = false;
        for (key, what) in std::mem::take(&mut self.unsynced) {
            match what {
                Pending::PodStatus(_, pod) => self.send_pod_status(key, *pod, cx),
                Pending::FinalDelete(_, pod) => self.finish_deletion(&pod, cx),
                _ => {}
            }
        }
    }

    // --- Node status ---

    /// Every nodeStatusUpdateFrequency: read the Node as the API server has it (a GET served
    /// from its cache, as tryUpdateNodeStatus does), then compare and maybe write. The same
    /// tick reconciles pod statuses others changed (the status manager's syncBatch).
    fn sync_node_status(&mut self, cx: &mut Context<'_, Msg>) {
        cx.set_timer(self.config.node_status_update_frequency, TIMER_NODE_STATUS);
        let name = self.config.node_name.clone();
        let id = self.client.get(cx, Kind::Node, "", &name);
        self.track(id, Pending::NodeGet);
        self.reconcile_pod_statuses(cx);
    }

    /// needsReconcile: a running pod whose stored status is not Running and Ready (the node
    /// lifecycle controller marked it not ready while the kubelet was away) is reported again.
    fn reconcile_pod_statuses(&mut self, cx: &mut Context<'_, Msg>) {
        let stale: Vec<CacheKey> = self
            .not_running_ready
            .iter()
            .filter_map(|k| self.workers.get_key_value(k))
            .filter(|(_, w)| w.running_since.is_some() && w.ready && !w.terminating)
            .filter(|(k, w)| {
                matches!(self.pods.get(&k.0, &k.1).map(|o| o.as_ref()),
                    Some(Object::Pod(p)) if p.metadata.uid == w.uid
                        && (!p.is_ready() || p.status.phase != "Running"))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            if !self.unsynced.contains_key(&key) {
                self.report(key, cx);
            }
        }
    }

    /// Writes the node status if it differs from the API server's, or every
    /// nodeStatusReportFrequency.
    fn write_node_status(&mut self, server: ObjectRef, cx: &mut Context<'_, Msg>) {
        let Object::Node(node) = server.as_ref() else {
            return;
        };
        let now = cx.now();
        // A condition keeps its transition time while its status is the same.
        let transition = |t: &str, s: &str| match node.condition(t) {
            Some(old) if old.status == s => old.last_transition_time,
            _ => Some(Time(now)),
        };
        // Compared without the heartbeat times.
        let same_conditions = node.status.conditions.len() == NODE_CONDITIONS.len()
            && NODE_CONDITIONS.iter().zip(&node.status.conditions).all(
                |(&(t, s, reason, message), c)| {
                    c.type_ == t
                        && c.status == s
                        && c.reason == reason
                        && c.message == message
                        && c.last_transition_time == transition(t, s)
                },
            );
        let changed = !same_conditions || !self.images_match(&node.status.images);
        if changed || now.since(self.last_status_report) >= self.config.node_status_report_frequency
        {
            self.last_status_report = now;
            let mut next = node.clone();
            next.status.conditions = NODE_CONDITIONS
                .iter()
                .map(|&(t, s, reason, message)| NodeCondition {
                    type_: t.into(),
                    status: s.into(),
                    last_heartbeat_time: Some(Time(now)),
                    last_transition_time: transition(t, s),
                    reason: reason.into(),
                    message: message.into(),
                })
                .collect();
            next.status.images = self.images_status();
            let id = self.client.patch_status(cx, Object::Node(next));
            self.track(id, Pending::NodeStatus);
        }
    }

    // --- Pods ---

    fn on_pod(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let o = d.object().clone();
        let Object::Pod(p) = o.as_ref() else { return };
        let key: CacheKey = (p.metadata.namespace.clone(), p.metadata.name.clone());
        // The cache now holds `p`, or nothing for a deletion.
        let running_ready = p.is_ready() && p.status.phase == "Running";
        if matches!(d, Delta::Deleted(_)) || running_ready {
            self.not_running_ready.remove(&key);
        } else {
            self.not_running_ready.insert(key.clone());
        }
        match d {
            Delta::Deleted(_) => self.kill(&key, cx),
            Delta::Added(_) | Delta::Updated { .. } => {
                let known = self
                    .workers
                    .get(&key)
                    .is_some_and(|w| w.uid == p.metadata.uid);
                if let Some(w) = self.surviving.remove(&p.metadata.uid) {
                    // Its containers outlived the kubelet: adopt them.
                    self.workers.insert(key.clone(), w);
                    if p.metadata.deletion_timestamp.is_some() {
                        self.terminate(key, p, cx);
                    } else {
                        let started = self.workers[&key].running_since.unwrap_or(cx.now());
                        self.arm_running_timers(&key, p, started, cx);
                        self.report(key, cx);
                    }
                } else if !known {
                    self.kill(&key, cx);
                    if p.metadata.deletion_timestamp.is_some() {
                        // Nothing runs for it here: confirm the deletion at once.
                        self.finish_deletion(p, cx);
                    } else if !p.is_terminal() {
                        self.admit(key, p, cx);
                    }
                } else if p.metadata.deletion_timestamp.is_some() {
                    self.terminate(key, p, cx);
                }
            }
        }
    }

    /// HandlePodAdditions + the first syncPod: report ContainerCreating, then ask the runtime.
    fn admit(&mut self, key: CacheKey, pod: &Pod, cx: &mut Context<'_, Msg>) {
        let now = Time(cx.now());
        let ip = self.config.pod_ip(self.next_ip);
        self.next_ip += 1;
        let mut p = pod.clone();
        p.status.phase = "Pending".into();
        p.status.host_ip = self.config.node_ip();
        p.status.start_time = Some(now);
        p.set_condition("PodReadyToStartContainers", "False", now);
        p.set_condition("Initialized", "True", now);
        p.set_condition("Ready", "False", now);
        p.set_condition("ContainersReady", "False", now);
        p.set_condition("PodScheduled", "True", now);
        for c in p.status.conditions.iter_mut() {
            if c.type_ == "Ready" || c.type_ == "ContainersReady" {
                c.reason = "ContainersNotReady".into();
                c.message = format!(
                    "containers with unready status: [{}]",
                    pod.spec
                        .containers
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
        }
        p.status.container_statuses = container_statuses(
            pod,
            ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: "ContainerCreating".into(),
                    message: String::new(),
                }),
                ..Default::default()
            },
            false,
        );
        self.send_pod_status(key.clone(), p, cx);
        self.workers
            .insert(key.clone(), PodWorker::new(pod.metadata.uid.clone(), ip));
        self.start_attempt(&key, pod, true, cx);
    }

    /// SyncPod's start: sandbox (if `sandbox`), pulls, create, start; or a failed pull.
    fn start_attempt(
        &mut self,
        key: &CacheKey,
        pod: &Pod,
        sandbox: bool,
        cx: &mut Context<'_, Msg>,
    ) {
        let now = cx.now();
        let always_fail = behaviour(pod).pull_error;
        match self
            .runtime
            .try_start_pod(pod, now, sandbox, always_fail, cx.rng())
        {
            Ok(d) => self.pod_timer(key, SLOT_MAIN, PodStep::Started, d, cx),
            Err(f) => self.pod_timer(key, SLOT_MAIN, PodStep::PullFailed(f.image), f.after, cx),
        }
    }

    /// Sets the worker's timer in `slot` (replacing the one there).
    fn pod_timer(
        &mut self,
        key: &CacheKey,
        slot: usize,
        step: PodStep,
        after: SimDuration,
        cx: &mut Context<'_, Msg>,
    ) {
        self.cancel_slot(key, slot, cx);
        let tag = self.next_pod_tag;
        self.next_pod_tag += 1;
        self.pod_timers.insert(tag, (key.clone(), step));
        let id = cx.set_timer(after, tag);
        if let Some(w) = self.workers.get_mut(key) {
            w.timers[slot] = Some((id, tag));
        }
    }

    fn cancel_slot(&mut self, key: &CacheKey, slot: usize, cx: &mut Context<'_, Msg>) {
        if let Some((t, tag)) = self
            .workers
            .get_mut(key)
            .and_then(|w| w.timers[slot].take())
        {
            cx.cancel_timer(t);
            self.pod_timers.remove(&tag);
        }
    }

    fn cancel_all(&mut self, key: &CacheKey, cx: &mut Context<'_, Msg>) {
        for slot in 0..4 {
            self.cancel_slot(key, slot, cx);
        }
    }

    /// The pod object the worker runs (same uid), as the informer has it.
    fn current(&self, key: &CacheKey) -> Option<Pod> {
        let w = self.workers.get(key)?;
        match self.pods.get(&key.0, &key.1).map(|o| o.as_ref()) {
            Some(Object::Pod(p)) if p.metadata.uid == w.uid => Some(p.clone()),
            _ => None,
        }
    }

    /// The pod got a deletionTimestamp: stop its containers (killPod), within the grace period.
    fn terminate(&mut self, key: CacheKey, pod: &Pod, cx: &mut Context<'_, Msg>) {
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        if w.terminating {
            return;
        }
        w.terminating = true;
        self.cancel_all(&key, cx);
        let grace = pod
            .metadata
            .deletion_grace_period_seconds
            .unwrap_or(0)
            .max(0) as u64;
        let stop = self
            .runtime
            .stop_pod(pod, cx.rng())
            .min(SimDuration::from_secs(grace));
        self.pod_timer(&key, SLOT_MAIN, PodStep::Stopped, stop, cx);
    }

    /// Containers stopped: report them terminated, then delete the pod for good (the status
    /// manager's final delete with grace 0 and a uid precondition).
    fn containers_stopped(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timers[SLOT_MAIN] = None;
        w.running_since = None;
        let started_at = match &w.state {
            CState::Running { started } => Some(Time(*started)),
            CState::Exited(t) => t.started_at,
            _ => None,
        };
        let uid = w.uid.clone();
        let Some(Object::Pod(cur)) = self.pods.get(&key.0, &key.1).map(|o| o.as_ref()) else {
            return;
        };
        if cur.metadata.uid != uid {
            return;
        }
        let now = Time(cx.now());
        let mut p = cur.clone();
        p.set_condition("Ready", "False", now);
        p.set_condition("ContainersReady", "False", now);
        p.status.container_statuses = container_statuses(
            cur,
            ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: 0,
                    reason: "Completed".into(),
                    started_at,
                    finished_at: Some(now),
                }),
                ..Default::default()
            },
            false,
        );
        self.send_pod_status(key.clone(), p.clone(), cx);
        self.finish_deletion(&p, cx);
    }

    fn finish_deletion(&mut self, pod: &Pod, cx: &mut Context<'_, Msg>) {
        let options = DeleteOptions {
            grace_period_seconds: Some(0),
            uid: Some(pod.metadata.uid.clone()),
            ..Default::default()
        };
        let (ns, name) = (pod.metadata.namespace.clone(), pod.metadata.name.clone());
        let id = self.client.delete_with(cx, Kind::Pod, &ns, &name, options);
        self.track(id, Pending::FinalDelete((ns, name), Box::new(pod.clone())));
    }

    /// Every container of the pod is running: report Running (and Ready without probes).
    fn containers_started(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let Some(pod) = self.current(&key) else {
            return;
        };
        let now = cx.now();
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timers[SLOT_MAIN] = None;
        w.running_since = Some(now);
        w.state = CState::Running { started: now };
        w.ready = false;
        self.arm_running_timers(&key, &pod, now, cx);
        self.report(key, cx);
    }

    /// The exit and readiness probe timers of containers running since `started`.
    fn arm_running_timers(
        &mut self,
        key: &CacheKey,
        pod: &Pod,
        started: SimTime,
        cx: &mut Context<'_, Msg>,
    ) {
        let b = behaviour(pod);
        let now = cx.now();
        if let Some(d) = b.exit_after {
            let left = (started + d).since(now);
            self.pod_timer(key, SLOT_EXIT, PodStep::Exited(b.exit_code), left, cx);
        }
        let ready = self.workers.get(key).is_some_and(|w| w.ready);
        match b.ready_after {
            Some(d) if !ready && started + d > now => {
                let left = (started + d).since(now);
                self.pod_timer(key, SLOT_PROBE, PodStep::ProbeReady, left, cx);
            }
            _ => {
                if let Some(w) = self.workers.get_mut(key) {
                    w.ready = true;
                }
            }
        }
    }

    /// The first readiness probe succeeded.
    fn probe_ready(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timers[SLOT_PROBE] = None;
        if matches!(w.state, CState::Running { .. }) && !w.ready {
            w.ready = true;
            self.report(key, cx);
        }
    }

    /// The containers exited with `code`: report them terminated, then (computePodActions)
    /// restart them per the restart policy, after the crash back-off (doBackOff).
    fn containers_exited(&mut self, key: CacheKey, code: i32, cx: &mut Context<'_, Msg>) {
        let Some(pod) = self.current(&key) else {
            return;
        };
        let now = cx.now();
        let started = match self.workers.get(&key).map(|w| &w.state) {
            Some(CState::Running { started }) if !self.workers[&key].terminating => *started,
            _ => return,
        };
        self.cancel_slot(&key, SLOT_EXIT, cx);
        self.cancel_slot(&key, SLOT_PROBE, cx);
        let w = self.workers.get_mut(&key).expect("worker");
        w.state = CState::Exited(ContainerStateTerminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            started_at: Some(Time(started)),
            finished_at: Some(Time(now)),
        });
        w.running_since = None;
        w.ready = false;
        w.last_exit = now;
        let in_backoff = w.crash_backoff.in_backoff_since(now, now);
        let delay = w.crash_backoff.get();
        self.report(key.clone(), cx);
        let restart = match pod.spec.restart_policy.as_str() {
            "Never" => false,
            "OnFailure" => code != 0,
            _ => true,
        };
        if !restart {
            return;
        }
        if in_backoff {
            self.pod_timer(&key, SLOT_NOTE, PodStep::CrashLoop, PLEG_RELIST, cx);
            self.pod_timer(&key, SLOT_MAIN, PodStep::Restart, delay, cx);
        } else {
            self.pod_timer(&key, SLOT_MAIN, PodStep::Restart, PLEG_RELIST, cx);
        }
    }

    /// The container is in its crash back-off: Waiting CrashLoopBackOff.
    fn crash_loop(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let Some(pod) = self.current(&key) else {
            return;
        };
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timers[SLOT_NOTE] = None;
        let CState::Exited(t) = &w.state else {
            return;
        };
        w.last_terminated = Some(t.clone());
        let name = pod.spec.containers.first().map_or("", |c| c.name.as_str());
        w.state = CState::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: format!(
                "back-off {} restarting failed container={} pod={}_{}({})",
                w.crash_backoff.get(),
                name,
                pod.metadata.name,
                pod.metadata.namespace,
                pod.metadata.uid
            ),
        };
        self.report(key, cx);
    }

    /// The back-off is over: create and start the containers again.
    fn restart_containers(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let Some(pod) = self.current(&key) else {
            return;
        };
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timers[SLOT_MAIN] = None;
        if let CState::Exited(t) = &w.state {
            w.last_terminated = Some(t.clone());
        }
        let last_exit = w.last_exit;
        w.crash_backoff.next(last_exit);
        w.restart_count += 1;
        let d = self.runtime.restart_containers(&pod, cx.rng());
        self.pod_timer(&key, SLOT_MAIN, PodStep::Started, d, cx);
    }

    /// A pull failed: ErrImagePull now, ImagePullBackOff at the next sync, a new pull after the
    /// image back-off.
    fn pull_failed(&mut self, key: CacheKey, image: String, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timers[SLOT_MAIN] = None;
        let b = w.image_backoff.next(now);
        w.state = CState::Waiting {
            reason: "ErrImagePull".into(),
            message: format!("Failed to pull image \"{image}\": kubesim: pull failed"),
        };
        self.report(key.clone(), cx);
        self.pod_timer(
            &key,
            SLOT_NOTE,
            PodStep::PullBackOff(image),
            PLEG_RELIST,
            cx,
        );
        self.pod_timer(&key, SLOT_MAIN, PodStep::PullRetry, b, cx);
    }

    fn pull_backoff(&mut self, key: CacheKey, image: String, cx: &mut Context<'_, Msg>) {
        let now = cx.now();
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timers[SLOT_NOTE] = None;
        if w.image_backoff.in_backoff_since_update(now) {
            w.state = CState::Waiting {
                reason: "ImagePullBackOff".into(),
                message: format!("Back-off pulling image \"{image}\""),
            };
            self.report(key, cx);
        }
    }

    fn pull_retry(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        if let Some(w) = self.workers.get_mut(&key) {
            w.timers[SLOT_MAIN] = None;
        }
        if let Some(pod) = self.current(&key) {
            self.start_attempt(&key, &pod, false, cx);
        }
    }

    /// `Control::CrashPod`: the running containers exit now with code 1.
    fn crash(&mut self, namespace: String, name: String, cx: &mut Context<'_, Msg>) {
        self.containers_exited((namespace, name), 1, cx);
    }

    /// Reports the pod's status as its worker has it (generateAPIPodStatus + getPhase).
    fn report(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let now = Time(cx.now());
        let Some(cur) = self.current(&key) else {
            return;
        };
        let w = &self.workers[&key];
        let running = matches!(w.state, CState::Running { .. });
        let state = match &w.state {
            CState::Creating => ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: "ContainerCreating".into(),
                    message: String::new(),
                }),
                ..Default::default()
            },
            CState::Running { started } => ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(Time(*started)),
                }),
                ..Default::default()
            },
            CState::Exited(t) => ContainerState {
                terminated: Some(t.clone()),
                ..Default::default()
            },
            CState::Waiting { reason, message } => ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: reason.clone(),
                    message: message.clone(),
                }),
                ..Default::default()
            },
        };
        let last_state = ContainerState {
            terminated: w.last_terminated.clone(),
            ..Default::default()
        };
        let statuses: Vec<ContainerStatus> = cur
            .spec
            .containers
            .iter()
            .map(|c| ContainerStatus {
                name: c.name.clone(),
                image: c.image.clone(),
                state: state.clone(),
                last_state: last_state.clone(),
                ready: running && (w.ready || c.readiness_probe.is_none()),
                restart_count: w.restart_count,
                started: Some(running),
            })
            .collect();
        let mut p = cur.clone();
        p.status.phase = get_phase(&cur, &statuses, false).into();
        p.status.pod_ip = w.ip.clone();
        p.status.host_ip = self.config.node_ip();
        if p.status.start_time.is_none() {
            p.status.start_time = Some(now);
        }
        let unready: Vec<&str> = statuses
            .iter()
            .filter(|s| !s.ready)
            .map(|s| s.name.as_str())
            .collect();
        let ready = if unready.is_empty() { "True" } else { "False" };
        let sandbox = if w.state == CState::Creating {
            "False"
        } else {
            "True"
        };
        for (t, st) in [
            ("PodReadyToStartContainers", sandbox),
            ("Initialized", "True"),
            ("Ready", ready),
            ("ContainersReady", ready),
            ("PodScheduled", "True"),
        ] {
            p.set_condition(t, st, now);
        }
        let terminal = matches!(p.status.phase.as_str(), "Succeeded" | "Failed");
        for c in p.status.conditions.iter_mut() {
            c.reason.clear();
            c.message.clear();
            if (c.type_ == "Ready" || c.type_ == "ContainersReady") && c.status == "False" {
                c.reason = if terminal {
                    "PodCompleted"
                } else {
                    "ContainersNotReady"
                }
                .into();
                if !terminal {
                    c.message = format!("containers with unready status: [{}]", unready.join(" "));
                }
            }
        }
        p.status.container_statuses = statuses;
        self.send_pod_status(key, p, cx);
    }

    /// Stops the pod's containers (or cancels their start).
    fn kill(&mut self, key: &CacheKey, cx: &mut Context<'_, Msg>) {
        self.cancel_all(key, cx);
        self.workers.remove(key);
    }

    fn on_response(&mut self, resp: Box<Response>, cx: &mut Context<'_, Msg>) {
        if let Some(ds) = self.pods.on_response(&resp, &mut self.client, cx) {
            ds.into_iter().for_each(|d| self.on_pod(d, cx));
            if self.pods.has_synced() {
                // Containers of pods that are gone (deleted while the kubelet was away) are
                // stopped: housekeeping of orphaned pods.
                self.orphans_killed += self.surviving.len() as u64;
                self.surviving.clear();
            }
            return;
        }
        let Some(what) = self.pending.remove(&resp.id) else {
            return;
        };
        match (what, resp.result) {
            (Pending::RegisterNode, Ok(Reply::Object(n))) => {
                self.node = Some(n);
                self.last_status_report = cx.now();
                self.registered(cx);
            }
            (Pending::RegisterNode, Err(e)) if e.reason == "AlreadyExists" => {
                let id = self
                    .client
                    .get(cx, Kind::Node, "", &self.config.node_name.clone());
                self.track(id, Pending::RegisterNode);
            }
            (Pending::RegisterNode, Err(_)) => self.retry_later(TIMER_REGISTER, cx),
            (Pending::CreateLease | Pending::UpdateLease, Ok(Reply::Object(l))) => {
                self.lease = Some(l);
                self.next_renewal(cx);
            }
            (Pending::GetLease, Ok(Reply::Object(l))) => {
                self.lease = Some(l);
                self.sync_lease(cx);
            }
            (Pending::CreateLease, Err(e)) if e.reason == "AlreadyExists" => self.get_lease(cx),
            (Pending::UpdateLease, Err(ApiError { code: 409, .. })) => self.get_lease(cx),
            (Pending::CreateLease | Pending::UpdateLease | Pending::GetLease, _) => {
                self.retry_later(TIMER_LEASE, cx)
            }
            (Pending::NodeStatus, Ok(Reply::Object(n))) => self.node = Some(n),
            (Pending::NodeGet, Ok(Reply::Object(n))) => self.write_node_status(n, cx),
            // Sent again at the next status update.
            (Pending::NodeStatus, _) => self.last_status_report = SimTime::ZERO,
            (Pending::PodStatus(key, pod), Err(e)) if e.code != 404 => {
                self.unsynced(key, Pending::PodStatus(key2(&pod), pod), cx)
            }
            (Pending::FinalDelete(key, pod), Err(e)) if e.code != 404 && e.code != 409 => {
                self.unsynced(key, Pending::FinalDelete(key2(&pod), pod), cx)
            }
            _ => {}
        }
    }

    fn get_lease(&mut self, cx: &mut Context<'_, Msg>) {
        let name = self.config.node_name.clone();
        let id = self
            .client
            .get(cx, Kind::Lease, NODE_LEASE_NAMESPACE, &name);
        self.track(id, Pending::GetLease);
    }

    fn register(&mut self, cx: &mut Context<'_, Msg>) {
        let node = self.initial_node(Time(cx.now()));
        let id = self.client.create(cx, Object::Node(node));
        self.track(id, Pending::RegisterNode);
    }

    /// After registration: pods, the Lease, and node status at once (syncNodeStatus runs at
    /// start-up, then every nodeStatusUpdateFrequency).
    fn registered(&mut self, cx: &mut Context<'_, Msg>) {
        self.pods.start(&mut self.client, cx);
        self.sync_lease(cx);
        self.sync_node_status(cx);
    }
}

impl Kubelet {
    fn pod_step(&mut self, key: CacheKey, step: PodStep, cx: &mut Context<'_, Msg>) {
        if let Some(w) = self.workers.get_mut(&key) {
            // The fired timer is no longer pending in its slot.
            for slot in w.timers.iter_mut() {
                if slot.is_some_and(|(_, tag)| !self.pod_timers.contains_key(&tag)) {
                    *slot = None;
                }
            }
        }
        match step {
            PodStep::Started => self.containers_started(key, cx),
            PodStep::Stopped => self.containers_stopped(key, cx),
            PodStep::Exited(code) => self.containers_exited(key, code, cx),
            PodStep::ProbeReady => self.probe_ready(key, cx),
            PodStep::Restart => self.restart_containers(key, cx),
            PodStep::CrashLoop => self.crash_loop(key, cx),
            PodStep::PullFailed(image) => self.pull_failed(key, image, cx),
            PodStep::PullBackOff(image) => self.pull_backoff(key, image, cx),
            PodStep::PullRetry => self.pull_retry(key, cx),
        }
    }
}

fn key2(p: &Pod) -> CacheKey {
    (p.metadata.namespace.clone(), p.metadata.name.clone())
}

/// One status per container of `pod`, all in `state`; `running` sets ready and started.
fn container_statuses(pod: &Pod, state: ContainerState, running: bool) -> Vec<ContainerStatus> {
    pod.spec
        .containers
        .iter()
        .map(|c| ContainerStatus {
            name: c.name.clone(),
            image: c.image.clone(),
            state: state.clone(),
            ready: running,
            started: Some(running),
            ..Default::default()
        })
        .collect()
}

impl Actor<Msg> for Kubelet {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => self.register(cx),
            Input::Timer { tag, .. } => match tag {
                TIMER_LEASE => self.sync_lease(cx),
                TIMER_NODE_STATUS => self.sync_node_status(cx),
                TIMER_REGISTER => self.register(cx),
                TIMER_STATUS_SYNC => self.status_sync(cx),
                t if t >= TIMER_POD_BASE => {
                    if let Some((key, step)) = self.pod_timers.remove(&t) {
                        self.pod_step(key, step, cx)
                    }
                }
                _ => {}
            },
            Input::Message { msg, .. } => match msg {
                Msg::Response(r) => self.on_response(r, cx),
                Msg::Watch(w) => {
                    if let Some(ds) = self.pods.on_watch(&w, &mut self.client, cx) {
                        ds.into_iter().for_each(|d| self.on_pod(d, cx));
                    }
                }
                Msg::Control(Control::ConnectionLost) => self.client.connection_lost(cx),
                Msg::Control(Control::CrashPod { namespace, name }) => {
                    self.crash(namespace, name, cx)
                }
                Msg::Control(Control::FailImagePull { image, until }) => {
                    self.runtime.fail_pulls(&image, until)
                }
                Msg::Request(_) | Msg::Control(_) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Container, Op, Quantity, Request, WatchEvent, WatchMsg};
    use crate::sim::testing::{Harness, Sent};
    use crate::sim::{ActorId, EventId, Latency};
    use std::sync::Arc;

    const API: ActorId = ActorId(0);
    const ME: ActorId = ActorId(1);

    struct Bench {
        h: Harness<Msg>,
        k: Kubelet,
        reqs: Vec<Request>,
        timers: Vec<(SimTime, u64)>,
        watch_id: u64,
    }

    impl Bench {
        fn new() -> Self {
            let mut cap = BTreeMap::new();
            cap.insert("cpu".to_string(), Quantity::from_units(4));
            cap.insert("memory".to_string(), Quantity::from_bytes(8 << 30));
            cap.insert("pods".to_string(), Quantity::from_units(110));
            let mut cfg = KubeletConfig::new("n1", cap, 0);
            cfg.zone = Some("zone-a".into());
            let fixed = |ms| Latency::fixed(SimDuration::from_millis(ms));
            cfg.runtime = RuntimeConfig {
                sandbox: fixed(500),
                image_pull: fixed(2000),
                create: fixed(50),
                start: fixed(50),
                stop: fixed(200),
                ..RuntimeConfig::default()
            };
            Bench {
                h: Harness::new(&["kube-apiserver", "kubelet/n1"], ME, 1),
                k: Kubelet::new(cfg, ApiClient::new(API)),
                reqs: Vec::new(),
                timers: Vec::new(),
                watch_id: 0,
            }
        }

        fn feed(&mut self, input: Input<Msg>) {
            for s in self.h.feed(&mut self.k, input) {
                match s {
                    Sent::Message {
                        msg: Msg::Request(r),
                        ..
                    } => self.reqs.push(*r),
                    Sent::Timer { at, tag } => self.timers.push((at, tag)),
                    _ => {}
                }
            }
        }

        fn ok(&mut self, id: u64, o: Object) {
            let resp = Response {
                id,
                result: Ok(Reply::Object(Arc::new(o))),
            };
            self.feed(Input::Message {
                from: API,
                msg: Msg::Response(Box::new(resp)),
            });
        }

        fn take(&mut self) -> Vec<Request> {
            std::mem::take(&mut self.reqs)
        }

        fn fire(&mut self, tag: u64) -> SimTime {
            let i = self
                .timers
                .iter()
                .position(|(_, t)| *t == tag)
                .expect("timer set");
            let (at, _) = self.timers.remove(i);
            self.h.set_now(at);
            self.feed(Input::Timer {
                id: EventId(0),
                tag,
            });
            at
        }
    }

    #[test]
    fn registers_node_then_heartbeats_every_ten_seconds() {
        let mut b = Bench::new();
        b.feed(Input::Start);
        let reqs = b.take();
        let Op::Create(Object::Node(n)) = &reqs[0].op else {
            panic!("registers the node first")
        };
        assert_eq!(n.metadata.labels["topology.kubernetes.io/zone"], "zone-a");
        assert_eq!(n.metadata.labels["kubernetes.io/hostname"], "n1");
        assert!(n.is_ready());
        let mut stored = n.clone();
        stored.metadata.uid = "node-uid".into();
        b.ok(reqs[0].id, Object::Node(stored));
        let reqs = b.take();
        assert!(matches!(
            reqs[0].op,
            Op::List {
                kind: Kind::Pod,
                ..
            }
        ));
        let Op::Create(Object::Lease(l)) = &reqs[1].op else {
            panic!("creates its lease")
        };
        assert_eq!(l.metadata.namespace, "kube-node-lease");
        assert_eq!(l.spec.lease_duration_seconds, Some(40));
        assert_eq!(l.metadata.owner_references[0].uid, "node-uid");
        b.ok(reqs[1].id, Object::Lease(l.clone()));
        // Renewals: every 10 s plus up to 4 % jitter, each an update of the lease.
        let mut last = SimTime::ZERO;
        for _ in 0..5 {
            let at = b.fire(TIMER_LEASE);
            let gap = at.since(last).as_micros();
            assert!((10_000_000..10_400_000).contains(&gap), "renewal gap {gap}");
            last = at;
            let reqs = b.take();
            let Op::Update(Object::Lease(l)) = &reqs[0].op else {
                panic!("renews the lease")
            };
            assert_eq!(l.spec.renew_time, Some(MicroTime(at)));
            b.ok(reqs[0].id, Object::Lease(l.clone()));
        }
    }

    #[test]
    fn runs_a_bound_pod_and_reports_running_and_ready() {
        let mut b = Bench::new();
        b.feed(Input::Start);
        let r = b.take();
        let Op::Create(node) = &r[0].op else { panic!() };
        b.ok(r[0].id, node.clone());
        let r = b.take();
        let list_id = r[0].id;
        let resp = Response {
            id: list_id,
            result: Ok(Reply::List {
                items: vec![],
                resource_version: 3,
            }),
        };
        b.feed(Input::Message {
            from: API,
            msg: Msg::Response(Box::new(resp)),
        });
        let watch_id = match &b.take()[0].op {
            Op::Watch { watch_id, opts, .. } => {
                assert_eq!(
                    opts.node_name.as_deref(),
                    Some("n1"),
                    "watches its own pods only"
                );
                *watch_id
            }
            other => panic!("expected a watch, got {other:?}"),
        };
        let mut p = Pod::default();
        p.metadata.name = "web-1".into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = "u1".into();
        p.spec.node_name = "n1".into();
        p.spec.containers.push(Container {
            name: "web".into(),
            image: "nginx:1.27".into(),
            ..Default::default()
        });
        b.h.set_now(SimTime(1_000_000));
        b.feed(Input::Message {
            from: API,
            msg: Msg::Watch(Box::new(WatchMsg {
                watch_id,
                event: WatchEvent::Added(Arc::new(Object::Pod(p))),
            })),
        });
        let r = b.take();
        let Op::PatchStatus(Object::Pod(creating)) = &r[0].op else {
            panic!("reports ContainerCreating")
        };
        assert_eq!(creating.status.phase, "Pending");
        let waiting = creating.status.container_statuses[0]
            .state
            .waiting
            .as_ref()
            .unwrap();
        assert_eq!(waiting.reason, "ContainerCreating");
        // sandbox 500 + pull 2000 + create 50 + start 50 ms.
        let (at, tag) = *b.timers.iter().find(|(_, t)| *t >= TIMER_POD_BASE).unwrap();
        assert_eq!(at, SimTime(1_000_000 + 2_600_000));
        b.fire(tag);
        let r = b.take();
        let Op::PatchStatus(Object::Pod(running)) = &r[0].op else {
            panic!("reports Running")
        };
        assert_eq!(running.status.phase, "Running");
        assert!(running.is_ready());
        assert_eq!(running.status.pod_ip, "10.64.0.2");
        assert_eq!(b.k.running_pods(), 1);
    }

    // --- Containers, restarts, probes, pulls ---

    fn at(secs: u64) -> SimTime {
        SimTime(secs * 1_000_000)
    }

    fn secs(t: SimTime) -> f64 {
        t.as_micros() as f64 / 1e6
    }

    /// A pod "app" (uid u1) with one container "c", these annotations and restart policy.
    fn app(annotations: &[(&str, &str)], policy: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "app".into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = "u1".into();
        for (k, v) in annotations {
            p.metadata.annotations.insert(k.to_string(), v.to_string());
        }
        p.spec.node_name = "n1".into();
        p.spec.restart_policy = policy.into();
        p.spec.containers.push(Container {
            name: "c".into(),
            image: "img:1".into(),
            ..Default::default()
        });
        p
    }

    impl Bench {
        /// Registers, lists nothing, and gets `pod` on the watch at t = 1 s.
        fn with_pod(pod: Pod) -> Bench {
            let mut b = Bench::new();
            b.feed(Input::Start);
            let r = b.take();
            let Op::Create(node) = &r[0].op else { panic!() };
            b.ok(r[0].id, node.clone());
            let r = b.take();
            let resp = Response {
                id: r[0].id,
                result: Ok(Reply::List {
                    items: vec![],
                    resource_version: 3,
                }),
            };
            b.feed(Input::Message {
                from: API,
                msg: Msg::Response(Box::new(resp)),
            });
            let Op::Watch { watch_id, .. } = b.take()[0].op else {
                panic!("watch")
            };
            b.watch_id = watch_id;
            b.h.set_now(SimTime(1_000_000));
            b.add(pod);
            b
        }

        fn add(&mut self, pod: Pod) {
            self.feed(Input::Message {
                from: API,
                msg: Msg::Watch(Box::new(WatchMsg {
                    watch_id: self.watch_id,
                    event: WatchEvent::Added(Arc::new(Object::Pod(pod))),
                })),
            });
        }

        /// Fires pod timers in time order up to `until`; returns the pod statuses written.
        fn drive(&mut self, until: SimTime) -> Vec<(SimTime, Pod)> {
            self.drive_requests(until)
                .into_iter()
                .filter_map(|(at, r)| match r.op {
                    Op::PatchStatus(Object::Pod(p)) => Some((at, p)),
                    _ => None,
                })
                .collect()
        }

        /// Fires pod timers in time order up to `until`; returns every request sent, timed.
        fn drive_requests(&mut self, until: SimTime) -> Vec<(SimTime, Request)> {
            let now = self.h.now();
            let mut out: Vec<(SimTime, Request)> =
                self.take().into_iter().map(|r| (now, r)).collect();
            loop {
                let next = self
                    .timers
                    .iter()
                    .enumerate()
                    .filter(|(_, (at, tag))| *at <= until && self.k.pod_timers.contains_key(tag))
                    .min_by_key(|(_, (at, tag))| (*at, *tag))
                    .map(|(i, _)| i);
                let Some(i) = next else { break };
                let (at, tag) = self.timers.remove(i);
                self.h.set_now(at);
                self.feed(Input::Timer {
                    id: EventId(0),
                    tag,
                });
                out.extend(self.take().into_iter().map(|r| (at, r)));
            }
            self.h.set_now(until);
            out
        }

        fn control(&mut self, c: Control) {
            self.feed(Input::Message {
                from: ME,
                msg: Msg::Control(c),
            });
        }
    }

    fn state_of(p: &Pod) -> String {
        let c = &p.status.container_statuses[0];
        let s = &c.state;
        if s.running.is_some() {
            "Running".into()
        } else if let Some(t) = &s.terminated {
            format!("Terminated({})", t.exit_code)
        } else if let Some(w) = &s.waiting {
            w.reason.clone()
        } else {
            "?".into()
        }
    }

    /// client-go util/flowcontrol/backoff_test.go TestSlowBackoff, TestBackoffHighWaterMark,
    /// TestBackoffReset (reset after 2 x max without an event), TestIsInBackOffSinceUpdate.
    #[test]
    fn flowcontrol_backoff() {
        let s = |x: u64| SimTime(x * 1_000_000);
        let d = SimDuration::from_secs;
        // Events 1 s apart: 10, 20, 40, 80, 160, 300, 300 (capped at MaxContainerBackOff).
        let mut b = BackOff::default();
        let got: Vec<SimDuration> = (0..8).map(|i| b.next(s(i))).collect();
        let want = [10, 20, 40, 80, 160, 300, 300, 300].map(d);
        assert_eq!(got, want);
        // (name, last event, next event, backoff after it)
        let cases = [
            ("within 2 x max: stays at max", 100, 650, 300),
            ("exactly 2 x max: still live", 100, 700, 300),
            ("more than 2 x max: reset", 100, 701, 10),
        ];
        for (name, last, next, want) in cases {
            let mut b = BackOff::default();
            for _ in 0..6 {
                b.next(s(last));
            }
            assert_eq!(b.get(), d(300), "{name}");
            assert_eq!(b.next(s(next)), d(want), "{name}");
        }
        // IsInBackOffSince(event, now): a live entry and now - event < backoff.
        let mut b = BackOff::default();
        assert!(!b.in_backoff_since(s(0), s(0)), "no entry: not in back-off");
        b.next(s(0));
        let cases = [
            (s(0), s(5), true),
            (s(0), s(9), true),
            (s(0), s(10), false),
            (s(601), s(601), false),
        ];
        for (event, now, want) in cases {
            assert_eq!(b.in_backoff_since(event, now), want, "{event:?} {now:?}");
        }
        // IsInBackOffSinceUpdate(now): now - last update < backoff.
        assert!(b.in_backoff_since_update(s(9)));
        assert!(!b.in_backoff_since_update(s(10)));
    }

    /// pkg/kubelet/kubelet_pods_test.go TestPodPhaseWithRestartAlways, ...Never, ...OnFailure.
    #[test]
    fn pod_phase_by_restart_policy() {
        let running = ContainerState {
            running: Some(ContainerStateRunning::default()),
            ..Default::default()
        };
        let term = |code| ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: code,
                ..Default::default()
            }),
            ..Default::default()
        };
        let waiting = ContainerState {
            waiting: Some(ContainerStateWaiting::default()),
            ..Default::default()
        };
        let st =
            |name: &str, state: &ContainerState, last: Option<ContainerState>| ContainerStatus {
                name: name.into(),
                state: state.clone(),
                last_state: last.unwrap_or_default(),
                ..Default::default()
            };
        let mut pod = Pod::default();
        for n in ["c1", "c2"] {
            pod.spec.containers.push(Container {
                name: n.into(),
                ..Default::default()
            });
        }
        let r = || st("c1", &running, None);
        let r2 = || st("c2", &running, None);
        let t1 = |c| st("c2", &term(c), None);
        let w2 = || st("c2", &waiting, None);
        let crash2 = || st("c2", &waiting, Some(term(42)));
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<ContainerStatus>, &str, &str)> = vec![
            // Always
            ("Always", vec![r(), r2()], "Running", "all running"),
            ("Always", vec![st("c1", &term(0), None), t1(0)], "Running", "all stopped"),
            ("Always", vec![r(), t1(1)], "Running", "mixed state"),
            ("Always", vec![r()], "Pending", "one missing status"),
            ("Always", vec![r(), crash2()], "Running", "backoff crashloop container"),
            ("Always", vec![r(), w2()], "Pending", "one waiting"),
            // Never
            ("Never", vec![r(), r2()], "Running", "all running"),
            ("Never", vec![st("c1", &term(0), None), t1(0)], "Succeeded", "all succeeded"),
            ("Never", vec![st("c1", &term(0), None), t1(1)], "Failed", "one failed"),
            ("Never", vec![r(), t1(0)], "Running", "mixed state"),
            ("Never", vec![r()], "Pending", "one missing status"),
            // OnFailure
            ("OnFailure", vec![r(), r2()], "Running", "all running"),
            ("OnFailure", vec![st("c1", &term(0), None), t1(0)], "Succeeded", "all succeeded"),
            ("OnFailure", vec![st("c1", &term(0), None), t1(1)], "Running", "one failed, restarting"),
            ("OnFailure", vec![r(), t1(0)], "Running", "mixed state"),
            ("OnFailure", vec![r()], "Pending", "one missing status"),
            ("OnFailure", vec![r(), crash2()], "Running", "backoff crashloop container"),
        ];
        for (policy, statuses, want, name) in cases {
            pod.spec.restart_policy = policy.into();
            assert_eq!(get_phase(&pod, &statuses, false), want, "{policy}: {name}");
        }
        // A terminal pod: by exit codes whatever the policy.
        pod.spec.restart_policy = "Always".into();
        let all = vec![st("c1", &term(0), None), t1(2)];
        assert_eq!(get_phase(&pod, &all, true), "Failed");
    }

    /// exit-after 5 s, restartPolicy Always: restarts after the crash back-off, the first at
    /// once (doBackOff: no back-off entry yet), then 10, 20, 40, 80, 160, 300, 300 s.
    #[test]
    fn crash_loop_back_off_timeline() {
        let mut b = Bench::with_pod(app(&[(ANNOTATION_EXIT_AFTER, "5s")], "Always"));
        let st = b.drive(at(1300));
        let mut exits = Vec::new();
        let mut starts = Vec::new();
        let mut backoffs = Vec::new();
        for (t, p) in &st {
            let c = &p.status.container_statuses[0];
            match state_of(p).as_str() {
                "Running" => {
                    starts.push((*t, c.restart_count));
                    assert_eq!(p.status.phase, "Running");
                    assert!(p.is_ready());
                }
                "Terminated(0)" => {
                    exits.push(*t);
                    assert_eq!(p.status.phase, "Running", "Always: still Running");
                    assert!(!p.is_ready());
                }
                "CrashLoopBackOff" => {
                    let w = c.state.waiting.as_ref().unwrap();
                    backoffs.push(w.message.clone());
                    let last = c.last_state.terminated.as_ref().unwrap();
                    assert_eq!((last.exit_code, last.reason.as_str()), (0, "Completed"));
                    assert_eq!(p.status.phase, "Running");
                }
                "ContainerCreating" => {}
                other => panic!("unexpected state {other}"),
            }
        }
        // Gap between an exit and the next start: back-off (or the 1 s relist) + 100 ms.
        let gaps_ms: Vec<u64> = exits
            .iter()
            .zip(starts.iter().skip(1))
            .map(|(e, (s, _))| s.since(*e).as_micros() / 1000)
            .take(8)
            .collect();
        let want = [
            1_100, 10_100, 20_100, 40_100, 80_100, 160_100, 300_100, 300_100,
        ];
        assert_eq!(gaps_ms, want);
        let counts: Vec<i32> = starts.iter().map(|(_, n)| *n).take(9).collect();
        assert_eq!(counts, (0..=8).collect::<Vec<_>>());
        let want: Vec<String> = ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]
            .iter()
            .map(|d| format!("back-off {d} restarting failed container=c pod=app_default(u1)"))
            .collect();
        assert_eq!(backoffs[..7], want[..]);
        // Each run lasts 5 s.
        for (e, (s, _)) in exits.iter().zip(&starts) {
            assert_eq!(e.since(*s), SimDuration::from_secs(5));
        }
    }

    /// restartPolicy Never and OnFailure, exit codes 0 and 1.
    #[test]
    fn exit_by_restart_policy() {
        // (policy, exit code, final phase, restarts within 60 s)
        let cases = [
            ("Never", "1", "Failed", 0),
            ("Never", "0", "Succeeded", 0),
            ("OnFailure", "0", "Succeeded", 0),
            ("OnFailure", "1", "Running", 3),
            ("Always", "0", "Running", 3),
        ];
        for (policy, code, phase, restarts) in cases {
            let ann = [(ANNOTATION_EXIT_AFTER, "5s"), (ANNOTATION_EXIT_CODE, code)];
            let mut b = Bench::with_pod(app(&ann, policy));
            let st = b.drive(at(60));
            let (_, last) = st.last().unwrap();
            assert_eq!(last.status.phase, phase, "{policy} {code}");
            let c = &last.status.container_statuses[0];
            assert_eq!(c.restart_count, restarts, "{policy} {code}");
            if restarts == 0 {
                let t = c.state.terminated.as_ref().expect("terminated");
                let reason = if code == "0" { "Completed" } else { "Error" };
                assert_eq!(
                    (t.exit_code.to_string().as_str(), t.reason.as_str()),
                    (code, reason)
                );
                assert_eq!(b.k.running_pods(), 0);
            }
        }
    }

    /// initialDelaySeconds 30: Running at once, Ready at the first probe 30 s after the start.
    #[test]
    fn readiness_probe_initial_delay() {
        let mut p = app(&[], "Always");
        p.spec.containers[0].readiness_probe = Some(crate::api::pod::Probe {
            initial_delay_seconds: 30,
            ..Default::default()
        });
        let mut b = Bench::with_pod(p);
        let st = b.drive(at(100));
        let running: Vec<(f64, bool, bool)> = st
            .iter()
            .filter(|(_, p)| p.status.phase == "Running")
            .map(|(t, p)| (secs(*t), p.is_ready(), p.status.container_statuses[0].ready))
            .collect();
        assert_eq!(running, vec![(3.6, false, false), (33.6, true, true)]);
        // successThreshold 2, period 5: the second probe, 35 s after the start.
        let mut p = app(&[], "Always");
        p.spec.containers[0].readiness_probe = Some(crate::api::pod::Probe {
            initial_delay_seconds: 30,
            period_seconds: 5,
            success_threshold: 2,
            ..Default::default()
        });
        let mut b = Bench::with_pod(p);
        let st = b.drive(at(100));
        let (t, _) = st.iter().find(|(_, p)| p.is_ready()).unwrap();
        assert_eq!(*t, SimTime(38_600_000));
    }

    /// image-pull-error: ErrImagePull, ImagePullBackOff, pulls again after 10, 20, 40 ... s;
    /// never Running.
    #[test]
    fn image_pull_error_backs_off() {
        let mut b = Bench::with_pod(app(&[(ANNOTATION_IMAGE_PULL_ERROR, "true")], "Always"));
        let st = b.drive(at(200));
        let seq: Vec<(f64, String)> = st.iter().map(|(t, p)| (secs(*t), state_of(p))).collect();
        assert!(st.iter().all(|(_, p)| p.status.phase == "Pending"));
        let errs: Vec<f64> = seq
            .iter()
            .filter(|(_, s)| s == "ErrImagePull")
            .map(|(t, _)| *t)
            .collect();
        // Pull fails 2.5 s after admission (sandbox + pull); then each retry pulls for 2 s.
        assert_eq!(errs, vec![3.5, 15.5, 37.5, 79.5, 161.5]);
        let (_, p) = st
            .iter()
            .find(|(_, p)| state_of(p) == "ImagePullBackOff")
            .unwrap();
        let w = p.status.container_statuses[0]
            .state
            .waiting
            .as_ref()
            .unwrap();
        assert_eq!(w.message, "Back-off pulling image \"img:1\"");
        assert_eq!(seq[1], (3.5, "ErrImagePull".into()));
        assert_eq!(seq[2], (4.5, "ImagePullBackOff".into()));
    }

    /// FailImagePull for 30 s: pulls fail inside the window, the first retry after it works.
    #[test]
    fn fail_image_pull_window() {
        let mut b2 = Bench::with_pod(app(&[], "Always"));
        b2.control(Control::FailImagePull {
            image: "img:1".into(),
            until: at(30),
        });
        // The first pod's pull started before the fault; a second pod pulls the same image
        // while it is cached already (no pull, no failure) so use another image.
        let mut p = app(&[], "Always");
        p.metadata.name = "app2".into();
        p.metadata.uid = "u2".into();
        p.spec.containers[0].image = "img:2".into();
        b2.control(Control::FailImagePull {
            image: "img:2".into(),
            until: at(30),
        });
        b2.add(p);
        let st = b2.drive(at(100));
        let app2: Vec<(f64, String)> = st
            .iter()
            .filter(|(_, p)| p.metadata.name == "app2")
            .map(|(t, p)| (secs(*t), state_of(p)))
            .collect();
        assert!(app2.iter().any(|(_, s)| s == "ErrImagePull"), "{app2:?}");
        let (t, last) = app2.last().unwrap();
        assert_eq!(last, "Running");
        assert!(*t >= 30.0, "running only after the window: {t}");
    }

    /// Graceful termination (kuberuntime killPod): containers stop after the runtime's stop
    /// latency (200 ms here) capped by the pod's deletion grace period; then the kubelet deletes
    /// the pod for good with grace 0 and a uid precondition.
    #[test]
    fn termination_honours_the_grace_period() {
        // (grace period seconds, ms from the deletion to the final delete)
        let cases = [(30, 200), (1, 200), (0, 0)];
        for (grace, ms) in cases {
            let mut b = Bench::with_pod(app(&[], "Always"));
            let running = b.drive(at(10));
            assert!(running.iter().any(|(_, p)| p.status.phase == "Running"));
            let mut p = running.last().unwrap().1.clone();
            p.metadata.deletion_timestamp = Some(Time(at(10)));
            p.metadata.deletion_grace_period_seconds = Some(grace);
            b.feed(Input::Message {
                from: API,
                msg: Msg::Watch(Box::new(WatchMsg {
                    watch_id: b.watch_id,
                    event: WatchEvent::Modified(Arc::new(Object::Pod(p))),
                })),
            });
            let reqs = b.drive_requests(at(60));
            let deletes: Vec<(SimTime, &DeleteOptions)> = reqs
                .iter()
                .filter_map(|(t, r)| match &r.op {
                    Op::Delete { options, .. } => Some((*t, options)),
                    _ => None,
                })
                .collect();
            assert_eq!(deletes.len(), 1, "grace {grace}: {reqs:?}");
            let (t, options) = deletes[0];
            assert_eq!(t.since(at(10)).as_micros(), ms * 1000, "grace {grace}");
            assert_eq!(options.grace_period_seconds, Some(0));
            assert_eq!(options.uid.as_deref(), Some("u1"));
            let stopped = reqs.iter().any(|(_, r)| match &r.op {
                Op::PatchStatus(Object::Pod(p)) => {
                    p.status.container_statuses[0].state.terminated.is_some()
                }
                _ => false,
            });
            assert!(stopped, "grace {grace}: containers reported terminated");
            assert_eq!(b.k.running_pods(), 0, "grace {grace}");
        }
    }

    /// The crash back-off resets when the container ran more than 10 min (2 x 300 s) since the
    /// exit that set it: the next crash restarts at once again.
    #[test]
    fn crash_back_off_resets_after_ten_minutes() {
        let mut b = Bench::with_pod(app(&[], "Always"));
        b.drive(at(10));
        let crash = |b: &mut Bench| {
            b.control(Control::CrashPod {
                namespace: "default".into(),
                name: "app".into(),
            })
        };
        // Crash at 10 s: restart at once (1 s relist). Crash again at 20 s: back-off 10 s.
        crash(&mut b);
        let st = b.drive(at(20));
        let (t, p) = st.last().unwrap();
        assert_eq!((secs(*t), state_of(p).as_str()), (11.1, "Running"));
        let last = p.status.container_statuses[0]
            .last_state
            .terminated
            .clone()
            .unwrap();
        assert_eq!((last.exit_code, last.reason.as_str()), (1, "Error"));
        crash(&mut b);
        let st = b.drive(at(40));
        let runs: Vec<f64> = st
            .iter()
            .filter(|(_, p)| state_of(p) == "Running")
            .map(|(t, _)| secs(*t))
            .collect();
        assert_eq!(runs, vec![30.1]);
        // Crash at 9 min after that exit: still in the back-off window (20 s now).
        b.drive(at(20 + 540));
        crash(&mut b);
        let st = b.drive(at(700));
        let runs: Vec<f64> = st
            .iter()
            .filter(|(_, p)| state_of(p) == "Running")
            .map(|(t, _)| secs(*t))
            .collect();
        assert_eq!(runs, vec![580.1]);
        // Now runs 11 min, then crashes: the entry expired, restart at once, back-off 10 s.
        b.drive(at(560 + 660));
        crash(&mut b);
        let st = b.drive(at(1300));
        let runs: Vec<(f64, i32)> = st
            .iter()
            .filter(|(_, p)| state_of(p) == "Running")
            .map(|(t, p)| (secs(*t), p.status.container_statuses[0].restart_count))
            .collect();
        assert_eq!(runs, vec![(1221.1, 4)]);
        assert_eq!(
            b.k.workers[&("default".into(), "app".into())]
                .crash_backoff
                .get(),
            SimDuration::from_secs(10)
        );
    }
}
