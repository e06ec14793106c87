//! The scheduling framework: node and pod state that plugins read, filter verdicts, and the
//! plugin traits. Models pkg/scheduler/framework/types.go (NodeInfo, Resource),
//! pkg/scheduler/framework/interface.go (Code, Status, FilterPlugin, ScorePlugin).

use crate::api::{Node, Pod};

/// `MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;
/// `DefaultMilliCPURequest`: what a container without a cpu request counts for scoring.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// `DefaultMemoryRequest` (200 MiB): what a container without a memory request counts for scoring.
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Amounts of the resources the scheduler tracks: cpu in millicores, memory and ephemeral
/// storage in bytes, allowed pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub pods: i64,
}

impl Resources {
    pub fn add(&mut self, o: &Resources) {
        self.milli_cpu += o.milli_cpu;
        self.memory += o.memory;
        self.ephemeral_storage += o.ephemeral_storage;
        self.pods += o.pods;
    }

    pub fn sub(&mut self, o: &Resources) {
        self.milli_cpu -= o.milli_cpu;
        self.memory -= o.memory;
        self.ephemeral_storage -= o.ephemeral_storage;
        self.pods -= o.pods;
    }

    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0 && self.memory == 0 && self.ephemeral_storage == 0
    }
}

/// A pod's requests, computed once per scheduling cycle (PreFilter state).
#[derive(Clone, Debug)]
pub struct PodInfo {
    /// Effective requests (max of sum of containers and max of init containers, + overhead).
    pub request: Resources,
    /// The same with the scoring defaults for missing cpu and memory requests.
    pub non_zero_request: Resources,
}

/// Request of one resource with the non-zero default applied per container where the key is
/// missing (pkg/scheduler/util/pod_resources.go GetNonzeroRequests).
/// `default_milli` is in milli-units; so is the result.
fn non_zero(pod: &Pod, resource: &str, default_milli: i64) -> i64 {
    let per = |c: &crate::api::Container| match c.resources.requests.get(resource) {
        Some(q) => q.milli_value(),
        None => default_milli,
    };
    let sum: i64 = pod.spec.containers.iter().map(per).sum();
    let init = pod.spec.init_containers.iter().map(per).max().unwrap_or(0);
    let overhead = pod
        .spec
        .overhead
        .get(resource)
        .map_or(0, |q| q.milli_value());
    sum.max(init) + overhead
}

impl PodInfo {
    pub fn new(pod: &Pod) -> Self {
        let request = Resources {
            milli_cpu: pod.request_milli("cpu"),
            memory: pod.request_milli("memory") / 1000,
            ephemeral_storage: pod.request_milli("ephemeral-storage") / 1000,
            pods: 1,
        };
        let non_zero_request = Resources {
            milli_cpu: non_zero(pod, "cpu", DEFAULT_MILLI_CPU_REQUEST),
            memory: non_zero(pod, "memory", DEFAULT_MEMORY_REQUEST * 1000) / 1000,
            ephemeral_storage: request.ephemeral_storage,
            pods: 1,
        };
        PodInfo {
            request,
            non_zero_request,
        }
    }
}

/// What the scheduler knows of one node: allocatable, and the sums of its pods' requests.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub name: String,
    pub node: Node,
    pub allocatable: Resources,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    /// Pods on the node (assumed ones included).
    pub pod_count: i64,
}

impl NodeInfo {
    pub fn new(node: Node) -> Self {
        let allocatable = Resources {
            milli_cpu: node.allocatable("cpu"),
            memory: node.allocatable("memory") / 1000,
            ephemeral_storage: node.allocatable("ephemeral-storage") / 1000,
            pods: node.allocatable("pods") / 1000,
        };
        NodeInfo {
            name: node.metadata.name.clone(),
            node,
            allocatable,
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            pod_count: 0,
        }
    }

    pub fn set_node(&mut self, node: Node) {
        let fresh = NodeInfo::new(node);
        self.allocatable = fresh.allocatable;
        self.node = fresh.node;
    }

    pub fn add_pod(&mut self, p: &PodInfo) {
        self.requested.add(&p.request);
        self.non_zero_requested.add(&p.non_zero_request);
        self.pod_count += 1;
    }

    pub fn remove_pod(&mut self, p: &PodInfo) {
        self.requested.sub(&p.request);
        self.non_zero_requested.sub(&p.non_zero_request);
        self.pod_count -= 1;
    }
}

/// Filter verdict codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Success,
    Unschedulable,
    UnschedulableAndUnresolvable,
    Skip,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Skip => "Skip",
        }
    }
}

/// A plugin's verdict with its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl Status {
    pub fn success() -> Self {
        Status {
            code: Code::Success,
            reasons: vec![],
        }
    }

    pub fn new(code: Code, reasons: Vec<String>) -> Self {
        Status { code, reasons }
    }

    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }
}

/// A Filter plugin: can this pod run on this node?
pub trait FilterPlugin {
    fn name(&self) -> &'static str;
    fn filter(&self, pod: &Pod, info: &PodInfo, node: &NodeInfo) -> Status;
}

/// A Score plugin: how good is this node for this pod (0..=100 after normalizing)?
pub trait ScorePlugin {
    fn name(&self) -> &'static str;
    fn score(&self, pod: &Pod, info: &PodInfo, node: &NodeInfo) -> i64;
    /// NormalizeScore over the scores of all feasible nodes; default leaves them as they are.
    fn normalize(&self, _scores: &mut [i64]) {}
}
