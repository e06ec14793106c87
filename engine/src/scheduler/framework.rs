//! The scheduling framework: the pod and node state plugins read, verdicts, the per-cycle state,
//! and one trait per extension point. Models pkg/scheduler/framework/types.go (NodeInfo,
//! Resource, PodInfo), pkg/scheduler/framework/interface.go (Code, Status, the plugin
//! interfaces) and pkg/scheduler/framework/cycle_state.go.
//!
//! A plugin is one value implementing [`Plugin`]; it takes part in an extension point by
//! returning itself from the matching `as_*` method, as a Go plugin does by implementing the
//! interface. Plugins are `&self`: per-cycle data goes in [`CycleState`].

use super::node_images::NodeImages;
use super::snapshot::Snapshot;
use crate::api::affinity::ContainerPort;
use crate::api::{Node, Object, ObjectRef, Pod};
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// `MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;
/// `MinNodeScore`.
pub const MIN_NODE_SCORE: i64 = 0;
/// `DefaultMilliCPURequest`: what a container without a cpu request counts for scoring.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// `DefaultMemoryRequest` (200 MiB): what a container without a memory request counts for scoring.
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Amounts of resources (`framework.Resource`): cpu in millicores, memory and ephemeral storage
/// in bytes, allowed pods, and scalar (extended, hugepages) resources in units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub pods: i64,
    pub scalar: BTreeMap<String, i64>,
}

/// Whether a resource name is a scalar resource: extended or prefixed native (`domain/name`),
/// hugepages-*, or attachable-volumes-* (pkg/apis/core/v1/helper IsScalarResourceName).
pub fn is_scalar_resource(name: &str) -> bool {
    name.starts_with("hugepages-")
        || name.starts_with("attachable-volumes-")
        || (name.contains('/') && !name.starts_with("requests."))
}

impl Resources {
    /// From a resource list: cpu in milli, the rest in units; unknown non-scalar names ignored.
    pub fn from_list(list: &crate::api::node::ResourceList) -> Self {
        let mut r = Resources::default();
        for (name, q) in list {
            r.set(name, q);
        }
        r
    }

    fn set(&mut self, name: &str, q: &crate::api::Quantity) {
        match name {
            "cpu" => self.milli_cpu = q.milli_value(),
            "memory" => self.memory = q.value(),
            "ephemeral-storage" => self.ephemeral_storage = q.value(),
            "pods" => self.pods = q.value(),
            n if is_scalar_resource(n) => {
                self.scalar.insert(n.to_string(), q.value());
            }
            _ => {}
        }
    }

    /// The amount of a named resource (cpu in millicores).
    pub fn get(&self, name: &str) -> i64 {
        match name {
            "cpu" => self.milli_cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral_storage,
            "pods" => self.pods,
            n => self.scalar.get(n).copied().unwrap_or(0),
        }
    }

    pub fn add(&mut self, o: &Resources) {
        self.milli_cpu += o.milli_cpu;
        self.memory += o.memory;
        self.ephemeral_storage += o.ephemeral_storage;
        self.pods += o.pods;
        for (k, v) in &o.scalar {
            *self.scalar.entry(k.clone()).or_default() += v;
        }
    }

    pub fn sub(&mut self, o: &Resources) {
        self.milli_cpu -= o.milli_cpu;
        self.memory -= o.memory;
        self.ephemeral_storage -= o.ephemeral_storage;
        self.pods -= o.pods;
        for (k, v) in &o.scalar {
            *self.scalar.entry(k.clone()).or_default() -= v;
        }
    }

    /// Requests nothing (cpu, memory, ephemeral storage and every scalar resource zero).
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.values().all(|v| *v == 0)
    }
}

/// A pod with what the scheduler computes from it once (`framework.PodInfo`).
#[derive(Clone, Debug)]
pub struct PodInfo {
    obj: ObjectRef,
    /// Effective requests: max(sum of containers, max of init containers) + overhead
    /// (pkg/api/v1/resource PodRequests).
    pub request: Resources,
    /// The same with the scoring defaults where a container has no cpu or memory request
    /// (pkg/scheduler/util GetNonzeroRequests).
    pub non_zero_request: Resources,
}

/// Sum over containers, max with each init container, plus overhead, per resource
/// (pkg/api/v1/resource/helpers.go PodRequests without sidecars). `defaults` stands in for a
/// missing cpu or memory request per container.
fn pod_requests(pod: &Pod, defaults: bool) -> Resources {
    let container = |c: &crate::api::Container| {
        let mut r = Resources::from_list(&c.resources.requests);
        if defaults {
            if !c.resources.requests.contains_key("cpu") {
                r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
            }
            if !c.resources.requests.contains_key("memory") {
                r.memory = DEFAULT_MEMORY_REQUEST;
            }
        }
        r
    };
    let mut sum = Resources::default();
    for c in &pod.spec.containers {
        sum.add(&container(c));
    }
    for c in &pod.spec.init_containers {
        let r = container(c);
        sum.milli_cpu = sum.milli_cpu.max(r.milli_cpu);
        sum.memory = sum.memory.max(r.memory);
        sum.ephemeral_storage = sum.ephemeral_storage.max(r.ephemeral_storage);
        for (k, v) in r.scalar {
            let e = sum.scalar.entry(k).or_default();
            *e = (*e).max(v);
        }
    }
    sum.add(&Resources::from_list(&pod.spec.overhead));
    sum.pods = 1;
    sum
}

impl PodInfo {
    /// From a stored pod object (shared, not copied).
    pub fn new(obj: ObjectRef) -> Self {
        let Object::Pod(pod) = obj.as_ref() else {
            panic!("PodInfo::new takes a Pod, got a {}", obj.kind());
        };
        let request = pod_requests(pod, false);
        let non_zero_request = pod_requests(pod, true);
        PodInfo {
            obj,
            request,
            non_zero_request,
        }
    }

    pub fn from_pod(pod: Pod) -> Self {
        Self::new(Arc::new(Object::Pod(pod)))
    }

    pub fn pod(&self) -> &Pod {
        match self.obj.as_ref() {
            Object::Pod(p) => p,
            _ => unreachable!("PodInfo holds a Pod"),
        }
    }

    pub fn object(&self) -> &ObjectRef {
        &self.obj
    }

    /// The pod has pod affinity or anti-affinity terms.
    pub fn has_affinity(&self) -> bool {
        self.pod()
            .spec
            .affinity
            .as_ref()
            .is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some())
    }

    /// The pod has required anti-affinity terms.
    pub fn has_required_anti_affinity(&self) -> bool {
        self.pod()
            .spec
            .affinity
            .as_ref()
            .and_then(|a| a.pod_anti_affinity.as_ref())
            .is_some_and(|aa| !aa.required.is_empty())
    }

    /// (namespace, name).
    pub fn key(&self) -> (String, String) {
        let m = &self.pod().metadata;
        (m.namespace.clone(), m.name.clone())
    }
}

/// A host port in use: (hostIP, protocol, port); hostIP "0.0.0.0" when unset, protocol TCP
/// when unset (framework.HostPortInfo).
pub type HostPort = (String, String, i32);

/// The host ports a container asks for (those with hostPort > 0), defaulted.
pub fn host_ports(ports: &[ContainerPort]) -> impl Iterator<Item = HostPort> + '_ {
    ports.iter().filter(|p| p.host_port > 0).map(|p| {
        let ip = if p.host_ip.is_empty() {
            "0.0.0.0".to_string()
        } else {
            p.host_ip.clone()
        };
        let proto = if p.protocol.is_empty() {
            "TCP".to_string()
        } else {
            p.protocol.clone()
        };
        (ip, proto, p.host_port)
    })
}

/// What the scheduler knows of one node (`framework.NodeInfo`): the node, its pods (bound and
/// assumed), and sums of their requests, kept up to date on every add and remove.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub name: String,
    pub node: Node,
    pub allocatable: Resources,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    pub pods: Vec<Arc<PodInfo>>,
    /// Pods with pod affinity or anti-affinity terms (`PodsWithAffinity`).
    pub pods_with_affinity: Vec<Arc<PodInfo>>,
    /// Pods with required anti-affinity terms (`PodsWithRequiredAntiAffinity`).
    pub pods_with_required_anti_affinity: Vec<Arc<PodInfo>>,
    /// Host ports in use (`UsedPorts`), one entry per use.
    pub used_ports: Vec<HostPort>,
    /// Images on the node by normalized name, with their size in bytes.
    pub images: NodeImages,
}

/// Adds ":latest" to an image name without a tag or digest (ImageLocality normalizedImageName).
pub fn normalized_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

impl NodeInfo {
    pub fn new(node: Node) -> Self {
        let mut info = NodeInfo {
            name: node.metadata.name.clone(),
            node: Node::default(),
            allocatable: Resources::default(),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            pods: Vec::new(),
            pods_with_affinity: Vec::new(),
            pods_with_required_anti_affinity: Vec::new(),
            used_ports: Vec::new(),
            images: NodeImages::default(),
        };
        info.set_node(node);
        info
    }

    /// Replaces the node object (allocatable and images follow it; pods stay).
    pub fn set_node(&mut self, node: Node) {
        self.allocatable = Resources::from_list(&node.status.allocatable);
        self.images = node
            .status
            .images
            .iter()
            .flat_map(|i| {
                i.names
                    .iter()
                    .map(move |n| (normalized_image_name(n), i.size_bytes))
            })
            .collect();
        self.node = node;
    }

    /// Number of pods on the node.
    pub fn pod_count(&self) -> i64 {
        self.pods.len() as i64
    }

    pub fn add_pod(&mut self, p: Arc<PodInfo>) {
        self.requested.add(&p.request);
        self.non_zero_requested.add(&p.non_zero_request);
        let spec = &p.pod().spec;
        for c in spec.containers.iter().chain(&spec.init_containers) {
            self.used_ports.extend(host_ports(&c.ports));
        }
        if p.has_affinity() {
            self.pods_with_affinity.push(p.clone());
        }
        if p.has_required_anti_affinity() {
            self.pods_with_required_anti_affinity.push(p.clone());
        }
        self.pods.push(p);
    }

    /// Removes the pod with this (namespace, name); returns it if it was here.
    pub fn remove_pod(&mut self, namespace: &str, name: &str) -> Option<Arc<PodInfo>> {
        let is = |p: &Arc<PodInfo>| {
            let m = &p.pod().metadata;
            m.namespace == namespace && m.name == name
        };
        let i = self.pods.iter().position(is)?;
        let p = self.pods.swap_remove(i);
        self.pods_with_affinity.retain(|q| !is(q));
        self.pods_with_required_anti_affinity.retain(|q| !is(q));
        self.requested.sub(&p.request);
        self.non_zero_requested.sub(&p.non_zero_request);
        let spec = &p.pod().spec;
        for c in spec.containers.iter().chain(&spec.init_containers) {
            for hp in host_ports(&c.ports) {
                if let Some(j) = self.used_ports.iter().position(|u| *u == hp) {
                    self.used_ports.swap_remove(j);
                }
            }
        }
        Some(p)
    }
}

/// Verdict codes (`framework.Code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    Error,
    Unschedulable,
    UnschedulableAndUnresolvable,
    Wait,
    Skip,
    Pending,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Error => "Error",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Wait => "Wait",
            Code::Skip => "Skip",
            Code::Pending => "Pending",
        }
    }
}

/// A plugin's verdict with its reasons (`framework.Status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
    /// The plugin that gave this verdict, filled in by the framework.
    pub plugin: String,
}

impl Status {
    pub fn success() -> Self {
        Status::new(Code::Success, vec![])
    }

    pub fn skip() -> Self {
        Status::new(Code::Skip, vec![])
    }

    pub fn new(code: Code, reasons: Vec<String>) -> Self {
        Status {
            code,
            reasons,
            plugin: String::new(),
        }
    }

    pub fn unschedulable(reason: &str) -> Self {
        Status::new(Code::Unschedulable, vec![reason.to_string()])
    }

    pub fn unresolvable(reason: &str) -> Self {
        Status::new(Code::UnschedulableAndUnresolvable, vec![reason.to_string()])
    }

    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }

    /// Unschedulable or UnschedulableAndUnresolvable (`IsRejected`).
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable | Code::Pending
        )
    }

    pub fn with_plugin(mut self, plugin: &str) -> Self {
        self.plugin = plugin.to_string();
        self
    }

    /// The reasons joined as upstream's `Status.Message()`.
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

/// Data a plugin keeps for one scheduling cycle; cloned when preemption tries node changes.
pub trait StateData: Any {
    fn clone_data(&self) -> Box<dyn StateData>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + Clone> StateData for T {
    fn clone_data(&self) -> Box<dyn StateData> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Per-cycle storage shared by the plugins of one scheduling attempt (`framework.CycleState`).
#[derive(Default)]
pub struct CycleState {
    data: Vec<(String, Box<dyn StateData>)>,
    /// Plugins whose PreFilter returned Skip: their Filter does not run.
    pub skip_filter_plugins: BTreeSet<String>,
    /// Plugins whose PreScore returned Skip: their Score does not run.
    pub skip_score_plugins: BTreeSet<String>,
}

impl Clone for CycleState {
    fn clone(&self) -> Self {
        CycleState {
            data: self
                .data
                .iter()
                .map(|(k, v)| (k.clone(), (**v).clone_data()))
                .collect(),
            skip_filter_plugins: self.skip_filter_plugins.clone(),
            skip_score_plugins: self.skip_score_plugins.clone(),
        }
    }
}

impl CycleState {
    pub fn write<T: Any + Clone>(&mut self, key: &str, value: T) {
        match self.data.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = Box::new(value),
            None => self.data.push((key.to_string(), Box::new(value))),
        }
    }

    pub fn read<T: Any>(&self, key: &str) -> Option<&T> {
        self.data
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| (**v).as_any().downcast_ref())
    }

    pub fn read_mut<T: Any>(&mut self, key: &str) -> Option<&mut T> {
        self.data
            .iter_mut()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| (**v).as_any_mut().downcast_mut())
    }
}

/// A scheduler plugin. Implement the extension-point traits it takes part in and return
/// `Some(self)` from the matching `as_*` methods.
pub trait Plugin {
    fn name(&self) -> &str;
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        None
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        None
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        None
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        None
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        None
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        None
    }
    fn as_reserve(&self) -> Option<&dyn ReservePlugin> {
        None
    }
    fn as_permit(&self) -> Option<&dyn PermitPlugin> {
        None
    }
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        None
    }
}

/// PreEnqueue: may the pod enter the active queue at all (SchedulingGates)?
pub trait PreEnqueuePlugin {
    fn pre_enqueue(&self, pod: &Pod) -> Status;
}

/// What PreFilter may narrow the candidate nodes to (`PreFilterResult.NodeNames`; None: all).
pub type PreFilterResult = Option<BTreeSet<String>>;

/// PreFilter: per-cycle precomputation; Skip turns the plugin's Filter off for this pod; a
/// rejection fails every node.
pub trait PreFilterPlugin {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Status);

    /// PreFilterExtensions.AddPod: `pod_to_add` is now counted on `node` (preemption, nominated pods).
    fn add_pod(
        &self,
        _state: &mut CycleState,
        _pod: &PodInfo,
        _pod_to_add: &PodInfo,
        _node: &NodeInfo,
    ) -> Status {
        Status::success()
    }

    /// PreFilterExtensions.RemovePod: `pod_to_remove` no longer counts on `node`.
    fn remove_pod(
        &self,
        _state: &mut CycleState,
        _pod: &PodInfo,
        _pod_to_remove: &PodInfo,
        _node: &NodeInfo,
    ) -> Status {
        Status::success()
    }
}

/// Filter: can the pod run on this node?
pub trait FilterPlugin {
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status;
    /// Whether [`FilterPlugin::filter`] returns Success, without building the verdict: the
    /// framework asks this first and calls `filter` for nodes that do not pass. An override
    /// must give the same answer.
    fn passes(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> bool {
        self.filter(state, pod, node).is_success()
    }
}

/// The outcome of PostFilter: the node the pod is nominated to, and the pods to evict there.
#[derive(Clone, Debug, Default)]
pub struct PostFilterResult {
    pub nominated_node: String,
    pub victims: Vec<Arc<PodInfo>>,
}

/// PostFilter: runs when no node fits (DefaultPreemption). `statuses` holds each rejected
/// node's filter verdict by node name.
pub trait PostFilterPlugin {
    fn post_filter(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &BTreeMap<String, Status>,
        profile: &super::profile::Profile,
    ) -> (Option<PostFilterResult>, Status);
}

/// PreScore: per-cycle precomputation over the feasible nodes; Skip turns the plugin's Score
/// off for this pod.
pub trait PreScorePlugin {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Status;
}

/// Score: how good the node is for the pod; NormalizeScore then maps all feasible nodes' scores
/// into 0..=MaxNodeScore (in place, in the order of `nodes`).
pub trait ScorePlugin {
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo, snapshot: &Snapshot)
        -> i64;
    /// [`ScorePlugin::score`] of each node in order, appended to `out` (what the framework
    /// calls; a plugin may override it to read its cycle state once, with the same scores).
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
        out: &mut Vec<i64>,
    ) {
        out.extend(nodes.iter().map(|n| self.score(state, pod, n, snapshot)));
    }
    fn normalize(
        &self,
        _state: &CycleState,
        _pod: &PodInfo,
        _nodes: &[&NodeInfo],
        _scores: &mut [i64],
    ) {
    }
}

/// Reserve: the pod is assumed on the node; Unreserve undoes it when a later step fails.
pub trait ReservePlugin {
    fn reserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status;
    fn unreserve(&self, _state: &mut CycleState, _pod: &PodInfo, _node: &str) {}
}

/// Permit: the last word before binding: Success, or a rejection (Wait is not modelled).
pub trait PermitPlugin {
    fn permit(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status;
}

/// Bind: Skip passes to the next bind plugin; Success means the Binding is posted to the API
/// server (what DefaultBinder does).
pub trait BindPlugin {
    fn bind(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status;
}

/// The default normalizer (pkg/scheduler/framework/plugins/helper/normalize_score.go
/// DefaultNormalizeScore): scale to `max_priority` by the highest score; reversed gives
/// `max_priority - score`.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = max_priority * *s / max;
        if reverse {
            *s = max_priority - *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// normalize_score_test.go TestDefaultNormalizeScore.
    #[test]
    fn default_normalize_score_table() {
        let cases: [(bool, &[i64], &[i64]); 6] = [
            (false, &[10, 20, 30], &[33, 66, 100]),
            (true, &[10, 20, 30], &[67, 34, 0]),
            (false, &[0, 0, 0], &[0, 0, 0]),
            (true, &[0, 0, 0], &[100, 100, 100]),
            (false, &[1000, 10, 20, 30], &[100, 1, 2, 3]),
            (true, &[1000, 10, 20, 30], &[0, 99, 98, 97]),
        ];
        for (reverse, input, want) in cases {
            let mut s = input.to_vec();
            default_normalize_score(MAX_NODE_SCORE, reverse, &mut s);
            assert_eq!(s, want, "reverse {reverse} {input:?}");
        }
    }

    #[test]
    fn requests_take_the_max_of_init_containers_and_add_overhead() {
        let mut p = Pod::default();
        let c = |cpu: &str| {
            let mut c = crate::api::Container::default();
            c.resources
                .requests
                .insert("cpu".into(), crate::api::Quantity::parse(cpu).unwrap());
            c
        };
        p.spec.containers = vec![c("100m"), c("200m")];
        p.spec.init_containers = vec![c("500m")];
        p.spec
            .overhead
            .insert("cpu".into(), crate::api::Quantity::parse("10m").unwrap());
        let info = PodInfo::from_pod(p);
        assert_eq!(info.request.milli_cpu, 510);
        // Memory is missing in every container: 200 MiB each for scoring, max with init.
        assert_eq!(info.non_zero_request.memory, 2 * DEFAULT_MEMORY_REQUEST);
        assert_eq!(info.request.memory, 0);
    }
}
