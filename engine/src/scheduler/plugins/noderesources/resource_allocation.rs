//! The scorer shared by NodeResourcesFit's strategies and NodeResourcesBalancedAllocation.
//! Models pkg/scheduler/framework/plugins/noderesources/resource_allocation.go (v1.35, without
//! the DRA-backed extended resources).

use super::args::ResourceSpec;
use super::requested_to_capacity_ratio::FunctionShapePoint;
use crate::scheduler::framework::{
    is_scalar_resource, NodeInfo, PodInfo, Resources, MAX_NODE_SCORE,
};

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
/// Resources scored without a heap allocation.
const INLINE: usize = 8;

/// Where a resource's amounts are read from a node (resolved from its name once per pod).
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A scalar resource the pod does not request: (0, 0).
    Zero,
    Cpu,
    Memory,
    EphemeralStorage,
    Scalar(&'a str),
}

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

    /// Where `calculateResourceAllocatableRequest` reads resource `name` from, for a pod
    /// requesting `pod_request` of it.
    fn source<'a>(name: &'a str, pod_request: i64) -> Source<'a> {
        if pod_request == 0 && is_scalar_resource(name) {
            return Source::Zero;
        }
        match name {
            "cpu" => Source::Cpu,
            "memory" => Source::Memory,
            "ephemeral-storage" => Source::EphemeralStorage,
            n => Source::Scalar(n),
        }
    }

    /// `calculateResourceAllocatableRequest`: (allocatable, node requests + pod request); (0, 0)
    /// for a scalar resource the pod does not request or the node does not list.
    #[inline]
    fn allocatable_request(
        &self,
        node: &NodeInfo,
        src: Source<'_>,
        pod_request: i64,
    ) -> (i64, i64) {
        let requested = if self.use_requested {
            &node.requested
        } else {
            &node.non_zero_requested
        };
        match src {
            Source::Zero => (0, 0),
            Source::Cpu => (
                node.allocatable.milli_cpu,
                requested.milli_cpu + pod_request,
            ),
            Source::Memory => (node.allocatable.memory, requested.memory + pod_request),
            Source::EphemeralStorage => (
                node.allocatable.ephemeral_storage,
                node.requested.ephemeral_storage + pod_request,
            ),
            Source::Scalar(n) => match node.allocatable.scalar.get(n) {
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
        let mut out = Vec::with_capacity(1);
        self.score_nodes(&[node], pod_requests, &mut out);
        out[0]
    }

    /// [`ResourceAllocationScorer::score`] of each node in order, appended to `out`; the
    /// resource names are resolved once.
    pub fn score_nodes(&self, nodes: &[&NodeInfo], pod_requests: &[i64], out: &mut Vec<i64>) {
        if self.resources.is_empty() {
            out.extend(nodes.iter().map(|_| 0));
            return;
        }
        let n = self.resources.len();
        let sources: Vec<(Source<'_>, i64)> = self
            .resources
            .iter()
            .zip(pod_requests)
            .map(|(spec, &r)| (Self::source(&spec.name, r), r))
            .collect();
        out.reserve(nodes.len());
        match &self.strategy {
            Strategy::LeastAllocated => return self.least_allocated_nodes(nodes, &sources, out),
            Strategy::BalancedAllocation if n <= 2 => {
                return self.balanced_allocation_nodes(nodes, &sources, out)
            }
            _ => {}
        }
        if n <= INLINE {
            // On the stack for the usual few resources (the scores do not depend on where).
            let (mut requested, mut allocatable) = ([0i64; INLINE], [0i64; INLINE]);
            for node in nodes {
                self.fill(node, &sources, &mut requested, &mut allocatable);
                out.push(self.strategy_score(&requested[..n], &allocatable[..n]));
            }
        } else {
            let (mut requested, mut allocatable) = (vec![0i64; n], vec![0i64; n]);
            for node in nodes {
                self.fill(node, &sources, &mut requested, &mut allocatable);
                out.push(self.strategy_score(&requested, &allocatable));
            }
        }
    }

    /// Calls `f(j, allocatable, requested)` for each node `j`: one resource's
    /// `calculateResourceAllocatableRequest` over the nodes.
    #[inline]
    fn column(
        &self,
        nodes: &[&NodeInfo],
        src: Source<'_>,
        pr: i64,
        mut f: impl FnMut(usize, i64, i64),
    ) {
        let use_requested = self.use_requested;
        fn used_of(n: &NodeInfo, use_requested: bool) -> &Resources {
            if use_requested {
                &n.requested
            } else {
                &n.non_zero_requested
            }
        }
        let used = |n| used_of(n, use_requested);
        match src {
            Source::Cpu => {
                for (j, n) in nodes.iter().enumerate() {
                    f(j, n.allocatable.milli_cpu, used(n).milli_cpu + pr);
                }
            }
            Source::Memory => {
                for (j, n) in nodes.iter().enumerate() {
                    f(j, n.allocatable.memory, used(n).memory + pr);
                }
            }
            _ => {
                for (j, n) in nodes.iter().enumerate() {
                    let (a, r) = self.allocatable_request(n, src, pr);
                    f(j, a, r);
                }
            }
        }
    }

    /// LeastAllocated over the nodes resource by resource (`leastResourceScorer`: the same
    /// sums in the same order per node).
    fn least_allocated_nodes(
        &self,
        nodes: &[&NodeInfo],
        sources: &[(Source<'_>, i64)],
        out: &mut Vec<i64>,
    ) {
        let mut sums = vec![(0i64, 0i64); nodes.len()];
        for (spec, &(src, pr)) in self.resources.iter().zip(sources) {
            let weight = spec.weight;
            self.column(nodes, src, pr, |j, alloc, req| {
                if alloc != 0 {
                    let (score, weight_sum) = &mut sums[j];
                    *score = score.wrapping_add(
                        super::least_allocated::least_requested_score(req, alloc)
                            .wrapping_mul(weight),
                    );
                    *weight_sum += weight;
                }
            });
        }
        // The default weights sum to 2: divided by the constant, the same quotient sooner.
        out.extend(sums.iter().map(|&(score, weight_sum)| match weight_sum {
            0 => 0,
            2 => score / 2,
            w => score / w,
        }));
    }

    /// BalancedAllocation over the nodes for at most two resources: the fractions of the
    /// resources with allocatable, then `balancedResourceScorer`.
    fn balanced_allocation_nodes(
        &self,
        nodes: &[&NodeInfo],
        sources: &[(Source<'_>, i64)],
        out: &mut Vec<i64>,
    ) {
        let mut fractions = vec![([0.0f64; 2], 0usize); nodes.len()];
        for &(src, pr) in sources {
            self.column(nodes, src, pr, |j, alloc, req| {
                if alloc != 0 {
                    let (f, len) = &mut fractions[j];
                    f[*len] = (req as f64 / alloc as f64).min(1.0);
                    *len += 1;
                }
            });
        }
        out.extend(fractions.iter().map(|&(f, len)| {
            let std = if len == 2 {
                ((f[0] - f[1]) / 2.0).abs()
            } else {
                0.0
            };
            ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
        }));
    }

    /// Each resource's (requested, allocatable) on `node`; (0, 0) where allocatable is 0.
    #[inline]
    fn fill(
        &self,
        node: &NodeInfo,
        sources: &[(Source<'_>, i64)],
        requested: &mut [i64],
        allocatable: &mut [i64],
    ) {
        for ((&(src, pod_request), req), alloc) in sources
            .iter()
            .zip(requested.iter_mut())
            .zip(allocatable.iter_mut())
        {
            let (a, r) = self.allocatable_request(node, src, pod_request);
            (*alloc, *req) = if a == 0 { (0, 0) } else { (a, r) };
        }
    }

    fn strategy_score(&self, requested: &[i64], allocatable: &[i64]) -> i64 {
        match &self.strategy {
            Strategy::LeastAllocated => super::least_allocated::least_resource_scorer(
                &self.resources,
                requested,
                allocatable,
            ),
            Strategy::MostAllocated => {
                super::most_allocated::most_resource_scorer(&self.resources, requested, allocatable)
            }
            Strategy::RequestedToCapacityRatio(shape) => {
                super::requested_to_capacity_ratio::requested_to_capacity_ratio_scorer(
                    shape,
                    &self.resources,
                    requested,
                    allocatable,
                )
            }
            Strategy::BalancedAllocation => {
                super::balanced_allocation::balanced_resource_scorer(requested, allocatable)
            }
        }
    }

    /// `isBestEffortPod`: every configured request is 0.
    pub fn is_best_effort(pod_requests: &[i64]) -> bool {
        pod_requests.iter().all(|&r| r == 0)
    }
}
