//! RequestedToCapacityRatio: score each resource's utilization with a piecewise-linear shape.
//! Models pkg/scheduler/framework/plugins/noderesources/requested_to_capacity_ratio.go and
//! pkg/scheduler/framework/plugins/helper/shape_score.go (BuildBrokenLinearFunction).

use super::args::{ResourceSpec, UtilizationShapePoint, MAX_CUSTOM_PRIORITY_SCORE};
use crate::scheduler::framework::MAX_NODE_SCORE;

/// `maxUtilization`.
const MAX_UTILIZATION: i64 = 100;

/// `helper.FunctionShapePoint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionShapePoint {
    pub utilization: i64,
    pub score: i64,
}

/// The configured shape with scores scaled from 0..=10 to 0..=MaxNodeScore.
pub fn scaled_shape(shape: &[UtilizationShapePoint]) -> Vec<FunctionShapePoint> {
    shape
        .iter()
        .map(|p| FunctionShapePoint {
            utilization: i64::from(p.utilization),
            score: i64::from(p.score) * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE),
        })
        .collect()
}

/// `BuildBrokenLinearFunction` at `p`: the first point's score below it, the last one's above,
/// linear in between (integer division truncating toward zero).
pub fn broken_linear_function(shape: &[FunctionShapePoint], p: i64) -> i64 {
    for i in 0..shape.len() {
        if p <= shape[i].utilization {
            if i == 0 {
                return shape[0].score;
            }
            let (a, b) = (shape[i - 1], shape[i]);
            return a.score
                + (b.score - a.score) * (p - a.utilization) / (b.utilization - a.utilization);
        }
    }
    shape.last().map_or(0, |s| s.score)
}

/// The per-resource score: the shape at requested x 100 / capacity, at 100 when over capacity.
fn resource_scoring_function(shape: &[FunctionShapePoint], requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return broken_linear_function(shape, MAX_UTILIZATION);
    }
    broken_linear_function(shape, requested.wrapping_mul(MAX_UTILIZATION) / capacity)
}

/// `buildRequestedToCapacityRatioScorerFunction`: resources scoring 0 leave the weight sum;
/// the node score is math.Round(sum / weightSum) in float64.
pub fn requested_to_capacity_ratio_scorer(
    shape: &[FunctionShapePoint],
    resources: &[ResourceSpec],
    requested: &[i64],
    allocatable: &[i64],
) -> i64 {
    let (mut node_score, mut weight_sum) = (0i64, 0i64);
    for i in 0..requested.len() {
        if allocatable[i] == 0 {
            continue;
        }
        let weight = resources[i].weight;
        let s = resource_scoring_function(shape, requested[i], allocatable[i]);
        if s > 0 {
            node_score = node_score.wrapping_add(s.wrapping_mul(weight));
            weight_sum += weight;
        }
    }
    if weight_sum == 0 {
        return 0;
    }
    (node_score as f64 / weight_sum as f64).round() as i64
}

#[cfg(test)]
mod tests {
    use super::super::args::{default_resource_spec, REQUESTED_TO_CAPACITY_RATIO};
    use super::super::test_util::{fit_scores, make_node, st_node, st_pod};
    use super::*;

    fn pt(utilization: i64, score: i64) -> FunctionShapePoint {
        FunctionShapePoint { utilization, score }
    }

    fn up(utilization: i32, score: i32) -> UtilizationShapePoint {
        UtilizationShapePoint { utilization, score }
    }

    /// requested_to_capacity_ratio_test.go TestRequestedToCapacityRatioScoringStrategy.
    #[test]
    fn requested_to_capacity_ratio_scoring_strategy() {
        let shape = vec![up(0, 10), up(100, 0)];
        let n = |name: &str, cpu: &str| st_node(name, &[("cpu", cpu), ("memory", "10000")]);
        let cases = vec![
            (
                "nothing scheduled, nothing requested (default - least requested nodes have priority)",
                st_pod(),
                vec![n("node1", "4000"), n("node2", "4000")],
                vec![st_pod().node("node1").obj(), st_pod().node("node1").obj()],
                vec![MAX_NODE_SCORE, MAX_NODE_SCORE],
            ),
            (
                "nothing scheduled, resources requested, differently sized nodes (default - least requested nodes have priority)",
                st_pod()
                    .req(&[("cpu", "1000"), ("memory", "2000")])
                    .req(&[("cpu", "2000"), ("memory", "3000")]),
                vec![n("node1", "4000"), n("node2", "6000")],
                vec![st_pod().node("node1").obj(), st_pod().node("node1").obj()],
                vec![38, 50],
            ),
            (
                "no resources requested, pods scheduled with resources (default - least requested nodes have priority)",
                st_pod(),
                vec![n("node1", "4000"), n("node2", "6000")],
                vec![
                    st_pod().node("node1").req(&[("cpu", "3000"), ("memory", "5000")]).obj(),
                    st_pod().node("node2").req(&[("cpu", "3000"), ("memory", "5000")]).obj(),
                ],
                vec![38, 50],
            ),
        ];
        for (name, pod, nodes, existing, want) in cases {
            let got = fit_scores(
                REQUESTED_TO_CAPACITY_RATIO,
                default_resource_spec(),
                Some(shape.clone()),
                pod.obj(),
                nodes,
                existing,
                true,
            );
            assert_eq!(got, Ok(want), "{name}");
        }
    }

    /// requested_to_capacity_ratio_test.go TestBrokenLinearFunction.
    #[test]
    fn test_broken_linear_function() {
        type Case = (Vec<FunctionShapePoint>, Vec<(i64, i64)>);
        let cases: Vec<Case> = vec![
            (
                vec![pt(10, 1), pt(90, 9)],
                vec![
                    (-10, 1),
                    (0, 1),
                    (9, 1),
                    (10, 1),
                    (15, 1),
                    (19, 1),
                    (20, 2),
                    (89, 8),
                    (90, 9),
                    (99, 9),
                    (100, 9),
                    (110, 9),
                ],
            ),
            (
                vec![pt(0, 2), pt(40, 10), pt(100, 0)],
                vec![
                    (-10, 2),
                    (0, 2),
                    (20, 6),
                    (30, 8),
                    (40, 10),
                    (70, 5),
                    (100, 0),
                    (110, 0),
                ],
            ),
            (
                vec![pt(0, 2), pt(40, 2), pt(100, 2)],
                vec![
                    (-10, 2),
                    (0, 2),
                    (20, 2),
                    (30, 2),
                    (40, 2),
                    (70, 2),
                    (100, 2),
                    (110, 2),
                ],
            ),
        ];
        for (i, (points, assertions)) in cases.into_iter().enumerate() {
            for (p, want) in assertions {
                assert_eq!(broken_linear_function(&points, p), want, "case_{i} p={p}");
            }
        }
    }

    fn bin_packing(
        resources: Vec<ResourceSpec>,
        pod: crate::api::Pod,
        pods: Vec<crate::api::Pod>,
        nodes: Vec<crate::api::Node>,
    ) -> Vec<i64> {
        fit_scores(
            REQUESTED_TO_CAPACITY_RATIO,
            resources,
            Some(vec![up(0, 0), up(100, 1)]),
            pod,
            nodes,
            pods,
            true,
        )
        .unwrap()
    }

    /// requested_to_capacity_ratio_test.go TestResourceBinPackingSingleExtended.
    #[test]
    fn resource_bin_packing_single_extended() {
        let nodes = || {
            vec![
                make_node("node1", 4000, 10000 * 1024 * 1024, &[("intel.com/foo", 8)]),
                make_node("node2", 4000, 10000 * 1024 * 1024, &[("intel.com/foo", 4)]),
            ]
        };
        let r3 = [("intel.com/foo", "2")];
        let r4 = [("intel.com/foo", "4")];
        let res = || vec![ResourceSpec::new("intel.com/foo", 1)];
        let cases = vec![
            ("nothing scheduled, nothing requested", st_pod(), vec![], vec![0, 0]),
            (
                "resources requested, pods scheduled with less resources",
                st_pod().req(&r3),
                vec![st_pod().obj()],
                vec![2, 5],
            ),
            (
                "resources requested, pods scheduled with resources, on node with existing pod running ",
                st_pod().req(&r3),
                vec![st_pod().req(&r3).node("node2").obj()],
                vec![2, 10],
            ),
            (
                "resources requested, pods scheduled with more resources",
                st_pod().req(&r4),
                vec![st_pod().obj()],
                vec![5, 10],
            ),
        ];
        for (name, pod, pods, want) in cases {
            assert_eq!(bin_packing(res(), pod.obj(), pods, nodes()), want, "{name}");
        }
    }

    /// requested_to_capacity_ratio_test.go TestResourceBinPackingMultipleExtended.
    #[test]
    fn resource_bin_packing_multiple_extended() {
        let nodes = || {
            vec![
                make_node(
                    "node1",
                    4000,
                    10000 * 1024 * 1024,
                    &[("intel.com/foo", 8), ("intel.com/bar", 4)],
                ),
                make_node(
                    "node2",
                    4000,
                    10000 * 1024 * 1024,
                    &[("intel.com/foo", 4), ("intel.com/bar", 8)],
                ),
            ]
        };
        let p1 = [("intel.com/foo", "2"), ("intel.com/bar", "2")];
        let p2 = [("intel.com/foo", "4"), ("intel.com/bar", "2")];
        let res = || {
            vec![
                ResourceSpec::new("intel.com/foo", 3),
                ResourceSpec::new("intel.com/bar", 5),
            ]
        };
        let cases = vec![
            ("nothing scheduled, nothing requested", st_pod(), vec![], vec![0, 0]),
            (
                "resources requested, pods scheduled with less resources",
                st_pod().req(&p1),
                vec![st_pod().obj()],
                vec![4, 3],
            ),
            (
                "resources requested, pods scheduled with resources, on node with existing pod running ",
                st_pod().req(&p1),
                vec![st_pod().req(&p2).node("node2").obj()],
                vec![4, 7],
            ),
            (
                "resources requested, pods scheduled with more resources",
                st_pod().req(&p2),
                vec![st_pod().obj()],
                vec![5, 5],
            ),
        ];
        for (name, pod, pods, want) in cases {
            assert_eq!(bin_packing(res(), pod.obj(), pods, nodes()), want, "{name}");
        }
    }

    #[test]
    fn shape_scores_scale_by_ten() {
        assert_eq!(
            scaled_shape(&[up(0, 10), up(100, 0)]),
            vec![pt(0, 100), pt(100, 0)]
        );
    }
}
