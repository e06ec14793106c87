//! MostAllocated: favour nodes with the most requested already (bin packing).
//! Models pkg/scheduler/framework/plugins/noderesources/most_allocated.go.

use super::args::ResourceSpec;
use crate::scheduler::framework::MAX_NODE_SCORE;

/// `mostResourceScorer`: sum(score x weight) / sum(weight) over resources with allocatable > 0.
pub fn most_resource_scorer(
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
        node_score = node_score
            .wrapping_add(most_requested_score(requested[i], allocatable[i]).wrapping_mul(weight));
        weight_sum += weight;
    }
    if weight_sum == 0 {
        return 0;
    }
    node_score / weight_sum
}

/// `mostRequestedScore`: min(requested, capacity) x 100 / capacity.
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity).wrapping_mul(MAX_NODE_SCORE) / capacity
}

#[cfg(test)]
mod tests {
    use super::super::args::{default_resource_spec, ResourceSpec, MOST_ALLOCATED};
    use super::super::test_util::{
        extended_resource_set, fit_scores, st_node, st_pod, PodBuilder, EXTENDED_RES,
    };
    use super::*;

    /// most_allocated_test.go TestMostAllocatedScoringStrategy.
    #[test]
    fn most_allocated_scoring_strategy() {
        let n = |name: &str, cpu: &str, mem: &str| st_node(name, &[("cpu", cpu), ("memory", mem)]);
        let two_req = || {
            st_pod()
                .req(&[("cpu", "1000"), ("memory", "2000")])
                .req(&[("cpu", "2000"), ("memory", "3000")])
        };
        struct Case {
            name: &'static str,
            pod: PodBuilder,
            nodes: Vec<crate::api::Node>,
            existing: Vec<crate::api::Pod>,
            want: Result<Vec<i64>, &'static str>,
            resources: Vec<ResourceSpec>,
        }
        let cases = vec![
            Case {
                name: "nothing scheduled, nothing requested",
                pod: st_pod(),
                nodes: vec![n("node1", "4000", "10000"), n("node2", "4000", "10000")],
                existing: vec![],
                want: Ok(vec![0, 0]),
                resources: default_resource_spec(),
            },
            Case {
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: two_req(),
                nodes: vec![n("node1", "4000", "10000"), n("node2", "6000", "10000")],
                existing: vec![],
                want: Ok(vec![62, 50]),
                resources: default_resource_spec(),
            },
            Case {
                name: "Resources not set, pods scheduled with error",
                pod: two_req(),
                nodes: vec![n("node1", "4000", "10000"), n("node2", "6000", "10000")],
                existing: vec![],
                want: Ok(vec![0, 0]),
                resources: vec![],
            },
            Case {
                name: "no resources requested, pods scheduled with resources",
                pod: st_pod(),
                nodes: vec![n("node1", "10000", "20000"), n("node2", "10000", "20000")],
                existing: vec![
                    st_pod().node("node1").req(&[("cpu", "3000"), ("memory", "0")]).obj(),
                    st_pod().node("node1").req(&[("cpu", "3000"), ("memory", "0")]).obj(),
                    st_pod().node("node2").req(&[("cpu", "3000"), ("memory", "0")]).obj(),
                    st_pod().node("node2").req(&[("cpu", "3000"), ("memory", "5000")]).obj(),
                ],
                want: Ok(vec![30, 42]),
                resources: default_resource_spec(),
            },
            Case {
                name: "resources requested, pods scheduled with resources",
                pod: two_req(),
                nodes: vec![n("node1", "10000", "20000"), n("node2", "10000", "20000")],
                existing: vec![
                    st_pod().node("node1").req(&[("cpu", "3000"), ("memory", "0")]).obj(),
                    st_pod().node("node2").req(&[("cpu", "3000"), ("memory", "5000")]).obj(),
                ],
                want: Ok(vec![42, 55]),
                resources: default_resource_spec(),
            },
            Case {
                name: "resources requested equal node capacity",
                pod: st_pod()
                    .req(&[("cpu", "2000"), ("memory", "4000")])
                    .req(&[("cpu", "3000"), ("memory", "5000")]),
                nodes: vec![n("node1", "5000", "10000"), n("node2", "10000", "9000")],
                existing: vec![],
                want: Ok(vec![95, 75]),
                resources: default_resource_spec(),
            },
            Case {
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: two_req(),
                nodes: vec![n("node1", "4000", "10000"), n("node2", "6000", "10000")],
                existing: vec![],
                want: Ok(vec![58, 50]),
                resources: vec![ResourceSpec::new("memory", 2), ResourceSpec::new("cpu", 1)],
            },
            Case {
                name: "no resources requested, pods scheduled, nonzero request for resource",
                pod: st_pod().container("container"),
                nodes: vec![n("node1", "250m", "1000Mi"), n("node2", "250m", "1000Mi")],
                existing: vec![
                    st_pod().node("node1").container("container").obj(),
                    st_pod().node("node1").container("container").obj(),
                ],
                want: Ok(vec![80, 30]),
                resources: default_resource_spec(),
            },
            Case {
                name: "resource with negative weight",
                pod: two_req(),
                nodes: vec![n("node2", "4000", "10000")],
                existing: vec![],
                want: Err("scoringStrategy.resources[0].weight: Invalid value: -1: resource weight of memory not in valid range (0, 100]"),
                resources: vec![ResourceSpec::new("memory", -1), ResourceSpec::new("cpu", 1)],
            },
            Case {
                name: "resource with zero weight",
                pod: two_req(),
                nodes: vec![n("node2", "4000", "10000")],
                existing: vec![],
                want: Err("scoringStrategy.resources[1].weight: Invalid value: 0: resource weight of cpu not in valid range (0, 100]"),
                resources: vec![ResourceSpec::new("memory", 1), ResourceSpec::new("cpu", 0)],
            },
            Case {
                name: "resource weight larger than MaxNodeScore",
                pod: two_req(),
                nodes: vec![n("node2", "4000", "10000")],
                existing: vec![],
                want: Err("scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of memory not in valid range (0, 100]"),
                resources: vec![ResourceSpec::new("memory", 101)],
            },
            Case {
                name: "bypass extended resource if the pod does not request",
                pod: two_req(),
                nodes: vec![
                    n("node1", "6000", "10000"),
                    st_node("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED_RES, "4")]),
                ],
                existing: vec![],
                want: Ok(vec![50, 50]),
                resources: extended_resource_set(),
            },
            Case {
                name: "honor extended resource if the pod request",
                pod: st_pod()
                    .node("node1")
                    .req(&[("cpu", "3000"), ("memory", "5000"), (EXTENDED_RES, "2")]),
                nodes: vec![
                    st_node("node1", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED_RES, "4")]),
                    st_node("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED_RES, "10")]),
                ],
                existing: vec![],
                want: Ok(vec![50, 40]),
                resources: extended_resource_set(),
            },
            Case {
                name: "if the node doesn't have a resource",
                pod: st_pod().node("node1").req(&[("cpu", "3000"), ("memory", "4000")]),
                nodes: vec![
                    n("node1", "6000", "10000"),
                    st_node("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED_RES, "4")]),
                ],
                existing: vec![],
                want: Ok(vec![45, 45]),
                resources: vec![
                    ResourceSpec::new(EXTENDED_RES, 2),
                    ResourceSpec::new("cpu", 1),
                    ResourceSpec::new("memory", 1),
                ],
            },
        ];
        for c in cases {
            let got = fit_scores(
                MOST_ALLOCATED,
                c.resources,
                None,
                c.pod.obj(),
                c.nodes,
                c.existing,
                true,
            );
            assert_eq!(got, c.want.map_err(String::from), "{}", c.name);
        }
    }

    #[test]
    fn most_requested_score_table() {
        for (req, cap, want) in [
            (0, 100, 0),
            (25, 100, 25),
            (100, 100, 100),
            (150, 100, 100),
            (1, 0, 0),
            (2, 3, 66),
        ] {
            assert_eq!(most_requested_score(req, cap), want, "{req}/{cap}");
        }
    }
}
