//! NodeResourcesFit scoring with the LeastAllocated strategy: favour nodes with more room left.
//! Models pkg/scheduler/framework/plugins/noderesources/least_allocated.go and the scorer in
//! resource_allocation.go (cpu and memory, weight 1 each, non-zero requests).

use crate::scheduler::framework::{NodeInfo, PodInfo, MAX_NODE_SCORE};

/// NodeResourcesFit's score under LeastAllocated.
#[derive(Clone, Debug)]
pub struct LeastAllocated {
    /// (resource, weight); upstream default cpu 1, memory 1.
    pub resources: Vec<(String, i64)>,
}

impl Default for LeastAllocated {
    fn default() -> Self {
        LeastAllocated {
            resources: vec![("cpu".into(), 1), ("memory".into(), 1)],
        }
    }
}

/// leastRequestedScore: (capacity - requested) * 100 / capacity, 0 when over capacity.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl LeastAllocated {
    pub fn score(&self, info: &PodInfo, node: &NodeInfo) -> i64 {
        let (mut total, mut weights) = (0i64, 0i64);
        for (res, w) in &self.resources {
            let (alloc, req) = match res.as_str() {
                "cpu" => (
                    node.allocatable.milli_cpu,
                    node.non_zero_requested.milli_cpu + info.non_zero_request.milli_cpu,
                ),
                "memory" => (
                    node.allocatable.memory,
                    node.non_zero_requested.memory + info.non_zero_request.memory,
                ),
                "ephemeral-storage" => (
                    node.allocatable.ephemeral_storage,
                    node.requested.ephemeral_storage + info.request.ephemeral_storage,
                ),
                _ => continue,
            };
            if alloc == 0 {
                continue;
            }
            total += least_requested_score(req, alloc) * w;
            weights += w;
        }
        if weights == 0 {
            return 0;
        }
        total / weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::{node_info, pod_info};

    /// Cases from least_allocated_test.go TestLeastAllocatedScoringStrategy.
    #[test]
    fn least_allocated_table() {
        // (name, node (cpu m, mem), used (cpu m, mem), pod (cpu m, mem), want)
        type Case = (&'static str, (i64, i64), (i64, i64), (i64, i64), i64);
        let cases: Vec<Case> = vec![
            // nothing scheduled, nothing requested: 4000/10000 node: defaults count 100m, 200Mi
            (
                "nothing scheduled, resources requested, differently sized nodes",
                (4000, 10000),
                (0, 0),
                (3000, 5000),
                (25 + 50) / 2,
            ),
            (
                "nothing scheduled, resources requested, 6000/10000",
                (6000, 10000),
                (0, 0),
                (3000, 5000),
                (50 + 50) / 2,
            ),
            (
                "resources requested, pods scheduled with resources",
                (10000, 20000),
                (3000, 0),
                (3000, 5000),
                (40 + 75) / 2,
            ),
            (
                "requested resources exceed node capacity",
                (4000, 10000),
                (0, 0),
                (8000, 5000),
                25,
            ),
        ];
        for (name, (ncpu, nmem), (ucpu, umem), (pcpu, pmem), want) in cases {
            let mut node = node_info("n", 0, 0, 110);
            node.allocatable.milli_cpu = ncpu;
            node.allocatable.memory = nmem;
            node.non_zero_requested.milli_cpu = ucpu;
            node.non_zero_requested.memory = umem;
            let mut info = pod_info(0, 0);
            info.non_zero_request.milli_cpu = pcpu;
            info.non_zero_request.memory = pmem;
            assert_eq!(
                LeastAllocated::default().score(&info, &node),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn score_formula_table() {
        for (req, cap, want) in [
            (0, 100, 100),
            (25, 100, 75),
            (100, 100, 0),
            (150, 100, 0),
            (1, 0, 0),
            (1, 3, 66),
        ] {
            assert_eq!(least_requested_score(req, cap), want, "{req}/{cap}");
        }
    }
}
