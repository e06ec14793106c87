//! The kubelet of one node: registers the Node, renews its Lease (the heartbeat), reports node
//! status, and runs the pods bound to it through the container runtime, reporting their status.
//! Models pkg/kubelet/kubelet.go (registration, syncPod), pkg/kubelet/kubelet_node_status.go
//! (setters, nodeStatusUpdateFrequency / nodeStatusReportFrequency),
//! k8s.io/component-helpers/apimachinery/lease/controller.go (renew every 10 s, jitter 0.04),
//! and pkg/kubelet/status/status_manager.go (pod status patches).

use super::runtime::{ContainerRuntime, RuntimeConfig};
use crate::api::msg::DeleteOptions;
use crate::api::node::{ContainerImage, NodeAddress, NodeCondition, ResourceList};
use crate::api::pod::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus,
};
use crate::api::{
    ApiError, Control, Kind, Lease, ListOptions, MicroTime, Msg, Node, Object, ObjectRef,
    OwnerReference, Pod, Reply, Response, Time,
};
use crate::client::{ApiClient, CacheKey, Delta, Informer};
use crate::sim::{Actor, Context, Input, SimDuration, SimTime, TimerId};
use std::collections::BTreeMap;

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

/// Back-off of the registration and lease retries: 100 ms doubling, at most 7 s
/// (kubelet_node_status.go registerWithAPIServer; lease controller backoffEnsureLease).
fn retry_backoff(failures: u32) -> SimDuration {
    SimDuration((100_000u64 << failures.min(10)).min(7_000_000))
}

/// What the kubelet runs for one pod.
struct PodWorker {
    uid: String,
    /// The pending runtime operation (start or stop) and its timer tag.
    timer: Option<(TimerId, u64)>,
    ip: String,
    running_since: Option<SimTime>,
    /// The pod is being deleted: its containers are stopping.
    terminating: bool,
}

/// What a pod timer means when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PodStep {
    Started,
    Stopped,
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
                        timer: None,
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
        let c = |t: &str, s: &str, reason: &str, message: &str| NodeCondition {
            type_: t.into(),
            status: s.into(),
            last_heartbeat_time: Some(now),
            last_transition_time: Some(now),
            reason: reason.into(),
            message: message.into(),
        };
        vec![
            c(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            c(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            ),
            c(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            c(
                "Ready",
                "True",
                "KubeletReady",
                "kubelet is posting ready status",
            ),
        ]
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
                size_bytes: 0,
            })
            .collect()
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
            .workers
            .iter()
            .filter(|(_, w)| w.running_since.is_some() && !w.terminating)
            .filter(|(k, w)| {
                matches!(self.pods.get(&k.0, &k.1).map(|o| o.as_ref()),
                    Some(Object::Pod(p)) if p.metadata.uid == w.uid
                        && (!p.is_ready() || p.status.phase != "Running"))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            if !self.unsynced.contains_key(&key) {
                self.report_running(key, cx);
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
        let mut next = node.clone();
        let mut conds = self.node_conditions(Time(now));
        for c in conds.iter_mut() {
            if let Some(old) = node.condition(&c.type_) {
                if old.status == c.status {
                    c.last_transition_time = old.last_transition_time;
                }
            }
        }
        next.status.conditions = conds;
        next.status.images = self.images_status();
        let changed = {
            let strip = |n: &Node| {
                let mut s = n.status.clone();
                for c in s.conditions.iter_mut() {
                    c.last_heartbeat_time = None;
                }
                s
            };
            strip(&next) != strip(node)
        };
        if changed || now.since(self.last_status_report) >= self.config.node_status_report_frequency
        {
            self.last_status_report = now;
            let id = self.client.patch_status(cx, Object::Node(next));
            self.track(id, Pending::NodeStatus);
        }
    }

    // --- Pods ---

    fn on_pod(&mut self, d: Delta, cx: &mut Context<'_, Msg>) {
        let o = d.object().clone();
        let Object::Pod(p) = o.as_ref() else { return };
        let key: CacheKey = (p.metadata.namespace.clone(), p.metadata.name.clone());
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
                        self.report_running(key, cx);
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
        let now = cx.now();
        let delay = self.runtime.start_pod(pod, now, cx.rng());
        let timer = self.pod_timer(&key, PodStep::Started, delay, cx);
        self.workers.insert(
            key,
            PodWorker {
                uid: pod.metadata.uid.clone(),
                timer: Some(timer),
                ip,
                running_since: None,
                terminating: false,
            },
        );
    }

    fn pod_timer(
        &mut self,
        key: &CacheKey,
        step: PodStep,
        after: SimDuration,
        cx: &mut Context<'_, Msg>,
    ) -> (TimerId, u64) {
        let tag = self.next_pod_tag;
        self.next_pod_tag += 1;
        self.pod_timers.insert(tag, (key.clone(), step));
        (cx.set_timer(after, tag), tag)
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
        if let Some((t, tag)) = w.timer.take() {
            cx.cancel_timer(t);
            self.pod_timers.remove(&tag);
        }
        let grace = pod
            .metadata
            .deletion_grace_period_seconds
            .unwrap_or(0)
            .max(0) as u64;
        let stop = self
            .runtime
            .stop_pod(pod, cx.rng())
            .min(SimDuration::from_secs(grace));
        let timer = self.pod_timer(&key, PodStep::Stopped, stop, cx);
        if let Some(w) = self.workers.get_mut(&key) {
            w.timer = Some(timer);
        }
    }

    /// Containers stopped: report them terminated, then delete the pod for good (the status
    /// manager's final delete with grace 0 and a uid precondition).
    fn containers_stopped(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timer = None;
        w.running_since = None;
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
                    started_at: cur
                        .status
                        .container_statuses
                        .first()
                        .and_then(|c| c.state.running.as_ref())
                        .and_then(|r| r.started_at),
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

    /// Every container of the pod is running: report Running and Ready.
    fn containers_started(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let Some(w) = self.workers.get_mut(&key) else {
            return;
        };
        w.timer = None;
        w.running_since = Some(cx.now());
        self.report_running(key, cx);
    }

    /// Reports the pod Running and Ready, its containers started when the worker says.
    fn report_running(&mut self, key: CacheKey, cx: &mut Context<'_, Msg>) {
        let now = Time(cx.now());
        let Some(w) = self.workers.get(&key) else {
            return;
        };
        let started = Time(w.running_since.unwrap_or(cx.now()));
        let ip = w.ip.clone();
        let uid = w.uid.clone();
        let Some(Object::Pod(cur)) = self.pods.get(&key.0, &key.1).map(|o| o.as_ref()) else {
            return;
        };
        if cur.metadata.uid != uid {
            return;
        }
        let mut p = cur.clone();
        p.status.phase = "Running".into();
        p.status.pod_ip = ip;
        p.status.host_ip = self.config.node_ip();
        if p.status.start_time.is_none() {
            p.status.start_time = Some(now);
        }
        for t in [
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        ] {
            p.set_condition(t, "True", now);
        }
        for c in p.status.conditions.iter_mut() {
            c.reason.clear();
            c.message.clear();
        }
        p.status.container_statuses = container_statuses(
            cur,
            ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(started),
                }),
                ..Default::default()
            },
            true,
        );
        self.send_pod_status(key.clone(), p, cx);
    }

    /// Stops the pod's containers (or cancels their start).
    fn kill(&mut self, key: &CacheKey, cx: &mut Context<'_, Msg>) {
        if let Some(w) = self.workers.remove(key) {
            if let Some((t, tag)) = w.timer {
                cx.cancel_timer(t);
                self.pod_timers.remove(&tag);
            }
        }
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

    fn registered(&mut self, cx: &mut Context<'_, Msg>) {
        self.pods.start(&mut self.client, cx);
        self.sync_lease(cx);
        cx.set_timer(self.config.node_status_update_frequency, TIMER_NODE_STATUS);
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
            restart_count: 0,
            started: Some(running),
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
                t if t >= TIMER_POD_BASE => match self.pod_timers.remove(&t) {
                    Some((key, PodStep::Started)) => self.containers_started(key, cx),
                    Some((key, PodStep::Stopped)) => self.containers_stopped(key, cx),
                    None => {}
                },
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
            };
            Bench {
                h: Harness::new(&["kube-apiserver", "kubelet/n1"], ME, 1),
                k: Kubelet::new(cfg, ApiClient::new(API)),
                reqs: Vec::new(),
                timers: Vec::new(),
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
}
