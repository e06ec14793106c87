//! The scorer shared by NodeResourcesFit's strategies and NodeResourcesBalancedAllocation.
//! Models pkg/scheduler/framework/plugins/noderesources/resource_allocation.go (v1.35, without
//! the DRA-backed extended resources).

use super::args::ResourceSpec;
use super::requested_to_capacity_ratio::FunctionShapePoint;
use crate::scheduler::framework::{is_scalar_resource, NodeInfo, PodInfo, Resources};

/// Which formula turns (requested, allocatable) per resource into a node score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    LeastAllocated,
    MostAllocated,
    /// The shape with scores already scaled to MaxNodeScore.
    RequestedToCapacityRatio(Vec<FunctionShapePoint>),
    BalancedAllocation,
}

/// `resourceAllocationScorer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceAllocationScorer {
    pub strategy: Strategy,
    /// Actual requests (BalancedAllocation) rather than the non-zero ones with the cpu and
    /// memory defaults (NodeResourcesFit).
    pub use_requested: bool,
    pub resources: Vec<ResourceSpec>,
}

/// A named amount: cpu in millicores, memory and ephemeral storage, or a scalar resource; 0 for
/// anything else ("pods" included, which pod requests never carry).
fn amount(r: &Resources, name: &str) -> i64 {
    match name {
        "cpu" => r.milli_cpu,
        "memory" => r.memory,
        "ephemeral-storage" => r.ephemeral_storage,
        n => r.scalar.get(n).copied().unwrap_or(0),
    }
}

impl ResourceAllocationScorer {
    /// `calculatePodResourceRequestList`: the pod's request for each configured resource.
    pub fn pod_requests(&self, pod: &PodInfo) -> Vec<i64> {
        let r = if self.use_requested {
            &pod.request
        } else {
            &pod.non_zero_request
        };
        self.resources.iter().map(|s| amount(r, &s.name)).collect()
    }

    /// `calculateResourceAllocatableRequest`: (allocatable, node requests + pod request); (0, 0)
    /// for a scalar resource the pod does not request or the node does not list.
    fn allocatable_request(&self, node: &NodeInfo, name: &str, pod_request: i64) -> (i64, i64) {
        let requested = if self.use_requested {
            &node.requested
        } else {
            &node.non_zero_requested
        };
        if pod_request == 0 && is_scalar_resource(name) {
            return (0, 0);
        }
        match name {
            "cpu" => (
                node.allocatable.milli_cpu,
                requested.milli_cpu + pod_request,
            ),
            "memory" => (node.allocatable.memory, requested.memory + pod_request),
            "ephemeral-storage" => (
                node.allocatable.ephemeral_storage,
                node.requested.ephemeral_storage + pod_request,
            ),
            n => match node.allocatable.scalar.get(n) {
                Some(&alloc) => (
                    alloc,
                    node.requested.scalar.get(n).copied().unwrap_or(0) + pod_request,
                ),
                None => (0, 0),
            },
        }
    }

    /// `score`: resources with allocatable 0 are left at (0, 0) for the strategy to skip. Without
    /// resources upstream returns an Error status; here the score is 0.
    pub fn score(&self, node: &NodeInfo, pod_requests: &[i64]) -> i64 {
        if self.resources.is_empty() {
            return 0;
        }
        let n = self.resources.len();
        let mut requested = vec![0i64; n];
        let mut allocatable = vec![0i64; n];
        for (i, spec) in self.resources.iter().enumerate() {
            let (alloc, req) = self.allocatable_request(node, &spec.name, pod_requests[i]);
            if alloc == 0 {
                continue;
            }
            allocatable[i] = alloc;
            requested[i] = req;
        }
        match &self.strategy {
            Strategy::LeastAllocated => super::least_allocated::least_resource_scorer(
                &self.resources,
                &requested,
                &allocatable,
            ),
            Strategy::MostAllocated => super::most_allocated::most_resource_scorer(
                &self.resources,
                &requested,
                &allocatable,
            ),
            Strategy::RequestedToCapacityRatio(shape) => {
                super::requested_to_capacity_ratio::requested_to_capacity_ratio_scorer(
                    shape,
                    &self.resources,
                    &requested,
                    &allocatable,
                )
            }
            Strategy::BalancedAllocation => {
                super::balanced_allocation::balanced_resource_scorer(&requested, &allocatable)
            }
        }
    }

    /// `isBestEffortPod`: every configured request is 0.
    pub fn is_best_effort(pod_requests: &[i64]) -> bool {
        pod_requests.iter().all(|&r| r == 0)
    }
}
