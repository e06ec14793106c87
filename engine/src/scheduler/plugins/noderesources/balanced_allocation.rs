//! NodeResourcesBalancedAllocation: favour nodes whose resource fractions stay close to each
//! other once the pod is placed. Models
//! pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go as of v1.35 (std-dev
//! formula on actual requests; v1.36 scores the change the pod makes instead). DRA-backed
//! extended resources are not modelled.

use super::args::{self, NodeResourcesBalancedAllocationArgs};
use super::resource_allocation::{ResourceAllocationScorer, Strategy};
use crate::scheduler::framework::{
    CycleState, NodeInfo, Plugin, PodInfo, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::scheduler::snapshot::Snapshot;

pub const NAME: &str = "NodeResourcesBalancedAllocation";
/// `balancedAllocationPreScoreStateKey`.
const PRE_SCORE_STATE_KEY: &str = "PreScoreNodeResourcesBalancedAllocation";

/// The NodeResourcesBalancedAllocation plugin.
#[derive(Clone, Debug)]
pub struct BalancedAllocation {
    scorer: ResourceAllocationScorer,
}

/// `balancedAllocationPreScoreState`: the pod's actual request per resource.
#[derive(Clone, Debug)]
struct PreScoreState(Vec<i64>);

impl Default for BalancedAllocation {
    /// With the defaulted args (cpu and memory).
    fn default() -> Self {
        let mut a = NodeResourcesBalancedAllocationArgs::default();
        args::set_defaults_balanced(&mut a);
        BalancedAllocation::from_args(a).expect("default args are valid")
    }
}

impl BalancedAllocation {
    /// `NewBalancedAllocation` on defaulted args.
    pub fn from_args(a: NodeResourcesBalancedAllocationArgs) -> Result<Self, String> {
        args::validate_balanced(&a)?;
        Ok(BalancedAllocation {
            scorer: ResourceAllocationScorer {
                strategy: Strategy::BalancedAllocation,
                use_requested: true,
                resources: a.resources,
            },
        })
    }
}

/// Builds the plugin from its `NodeResourcesBalancedAllocationArgs` (defaulted, then validated).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    let mut a =
        crate::scheduler::registry::parse_args::<NodeResourcesBalancedAllocationArgs>(args)?;
    args::set_defaults_balanced(&mut a);
    Ok(Box::new(BalancedAllocation::from_args(a)?))
}

/// `balancedResourceScorer`: fractions min(1, requested / allocatable) in float64 over the
/// resources with allocatable > 0; std = |f0 - f1| / 2 for two, the population standard
/// deviation for more, 0 otherwise; score = int64((1 - std) x MaxNodeScore).
pub fn balanced_resource_scorer(requested: &[i64], allocatable: &[i64]) -> i64 {
    if requested.len() <= 2 {
        // At most two fractions: the same arithmetic without the general bookkeeping.
        let mut f = [0.0f64; 2];
        let mut len = 0;
        for (&req, &alloc) in requested.iter().zip(allocatable) {
            if alloc != 0 {
                f[len] = (req as f64 / alloc as f64).min(1.0);
                len += 1;
            }
        }
        let std = if len == 2 {
            ((f[0] - f[1]) / 2.0).abs()
        } else {
            0.0
        };
        return ((1.0 - std) * MAX_NODE_SCORE as f64) as i64;
    }
    // On the stack for up to 8 resources.
    let mut buf = [0.0f64; 8];
    let mut heap = Vec::new();
    let mut len = 0;
    let mut total = 0.0f64;
    for i in 0..requested.len() {
        if allocatable[i] == 0 {
            continue;
        }
        let mut f = requested[i] as f64 / allocatable[i] as f64;
        if f > 1.0 {
            f = 1.0;
        }
        total += f;
        if len < buf.len() {
            buf[len] = f;
        } else {
            if heap.is_empty() {
                heap.extend_from_slice(&buf);
            }
            heap.push(f);
        }
        len += 1;
    }
    let fractions: &[f64] = if len <= buf.len() { &buf[..len] } else { &heap };
    let mut std = 0.0f64;
    if fractions.len() == 2 {
        std = ((fractions[0] - fractions[1]) / 2.0).abs();
    } else if fractions.len() > 2 {
        let n = fractions.len() as f64;
        let mean = total / n;
        let mut sum = 0.0f64;
        for f in fractions {
            sum += (f - mean) * (f - mean);
        }
        std = (sum / n).sqrt();
    }
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

impl Plugin for BalancedAllocation {
    fn name(&self) -> &str {
        NAME
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreScorePlugin for BalancedAllocation {
    /// Skip for a pod requesting none of the resources (best effort, kubernetes#129138).
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[&NodeInfo],
        _: &Snapshot,
    ) -> Status {
        let reqs = self.scorer.pod_requests(pod);
        if ResourceAllocationScorer::is_best_effort(&reqs) {
            return Status::skip();
        }
        state.write(PRE_SCORE_STATE_KEY, PreScoreState(reqs));
        Status::success()
    }
}

impl ScorePlugin for BalancedAllocation {
    /// Without PreScore state the requests are computed here, and a best-effort pod scores 0.
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        if let Some(PreScoreState(reqs)) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) {
            return self.scorer.score(node, reqs);
        }
        let reqs = self.scorer.pod_requests(pod);
        if ResourceAllocationScorer::is_best_effort(&reqs) {
            return 0;
        }
        self.scorer.score(node, &reqs)
    }

    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        _: &Snapshot,
        out: &mut Vec<i64>,
    ) {
        if let Some(PreScoreState(reqs)) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) {
            return self.scorer.score_nodes(nodes, reqs, out);
        }
        let reqs = self.scorer.pod_requests(pod);
        if ResourceAllocationScorer::is_best_effort(&reqs) {
            out.extend(nodes.iter().map(|_| 0));
            return;
        }
        self.scorer.score_nodes(nodes, &reqs, out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::args::ResourceSpec;
    use super::super::test_util::{make_node, node_infos, st_pod};
    use super::*;
    use crate::api::{Container, Pod, Quantity};
    use crate::scheduler::framework::Code;

    /// A pod on `node` with one container per (cpu, memory[, extra]) request list.
    fn spec_pod(node: &str, containers: &[&[(&str, &str)]]) -> Pod {
        let mut p = Pod::default();
        p.spec.node_name = node.into();
        for reqs in containers {
            let mut c = Container::default();
            for (k, v) in *reqs {
                c.resources
                    .requests
                    .insert(k.to_string(), Quantity::parse(v).unwrap());
            }
            p.spec.containers.push(c);
        }
        p
    }

    fn cpu_only(node: &str) -> Pod {
        spec_pod(
            node,
            &[
                &[("cpu", "1000m"), ("memory", "0")],
                &[("cpu", "2000m"), ("memory", "0")],
            ],
        )
    }

    fn cpu_and_memory(node: &str) -> Pod {
        spec_pod(
            node,
            &[
                &[("cpu", "1000m"), ("memory", "2000")],
                &[("cpu", "2000m"), ("memory", "3000")],
            ],
        )
    }

    fn cpu_and_memory_and_gpu() -> Pod {
        spec_pod(
            "node1",
            &[
                &[("cpu", "1000m"), ("memory", "2000")],
                &[
                    ("cpu", "2000m"),
                    ("memory", "3000"),
                    ("nvidia.com/gpu", "3"),
                ],
            ],
        )
    }

    fn gpu_set() -> Vec<ResourceSpec> {
        vec![
            ResourceSpec::new("cpu", 1),
            ResourceSpec::new("memory", 1),
            ResourceSpec::new("nvidia.com/gpu", 1),
        ]
    }

    /// balanced_allocation_test.go TestNodeResourcesBalancedAllocation (v1.35; the DRA cases are
    /// not modelled).
    #[test]
    fn node_resources_balanced_allocation() {
        let gpu8: &[(&str, i64)] = &[("nvidia.com/gpu", 8)];
        struct Case {
            name: &'static str,
            pod: Pod,
            pods: Vec<Pod>,
            nodes: Vec<crate::api::Node>,
            resources: Vec<ResourceSpec>,
            run_pre_score: bool,
            want_pre_score: Code,
            want: Vec<i64>,
        }
        let defaults = args::default_resource_spec;
        let cases = vec![
            Case {
                name: "nothing scheduled, nothing requested, skip in PreScore",
                pod: st_pod().obj(),
                pods: vec![],
                nodes: vec![
                    make_node("node1", 4000, 10000, &[]),
                    make_node("node2", 4000, 10000, &[]),
                ],
                resources: defaults(),
                run_pre_score: true,
                want_pre_score: Code::Skip,
                want: vec![],
            },
            Case {
                name: "nothing scheduled, resources requested, differently sized nodes",
                pod: cpu_and_memory("node2"),
                pods: vec![],
                nodes: vec![
                    make_node("node1", 4000, 10000, &[]),
                    make_node("node2", 6000, 10000, &[]),
                ],
                resources: defaults(),
                run_pre_score: true,
                want_pre_score: Code::Success,
                want: vec![87, MAX_NODE_SCORE],
            },
            Case {
                name: "resources requested, pods scheduled with resources",
                pod: cpu_and_memory("node2"),
                pods: vec![cpu_only("node1"), cpu_and_memory("node2")],
                nodes: vec![
                    make_node("node1", 10000, 20000, &[]),
                    make_node("node2", 10000, 20000, &[]),
                ],
                resources: defaults(),
                run_pre_score: true,
                want_pre_score: Code::Success,
                want: vec![82, 95],
            },
            Case {
                name: "resources requested, pods scheduled with resources, differently sized nodes",
                pod: cpu_and_memory("node2"),
                pods: vec![cpu_only("node1"), cpu_and_memory("node2")],
                nodes: vec![
                    make_node("node1", 10000, 20000, &[]),
                    make_node("node2", 10000, 50000, &[]),
                ],
                resources: defaults(),
                run_pre_score: true,
                want_pre_score: Code::Success,
                want: vec![82, 80],
            },
            Case {
                name: "requested resources at node capacity",
                pod: cpu_only("node1"),
                pods: vec![cpu_only("node1"), cpu_and_memory("node2")],
                nodes: vec![
                    make_node("node1", 6000, 10000, &[]),
                    make_node("node2", 6000, 10000, &[]),
                ],
                resources: defaults(),
                run_pre_score: true,
                want_pre_score: Code::Success,
                want: vec![50, 75],
            },
            Case {
                name: "include scalar resource on a node for balanced resource allocation",
                pod: st_pod()
                    .req(&[("memory", "0"), ("nvidia.com/gpu", "1")])
                    .obj(),
                pods: vec![cpu_and_memory("node2"), cpu_and_memory_and_gpu()],
                nodes: vec![
                    make_node("node1", 3500, 40000, gpu8),
                    make_node("node2", 3500, 40000, gpu8),
                ],
                resources: gpu_set(),
                run_pre_score: true,
                want_pre_score: Code::Success,
                want: vec![70, 65],
            },
            Case {
                name: "node without the scalar resource should skip the scalar resource",
                pod: cpu_and_memory("node2"),
                pods: vec![],
                nodes: vec![
                    make_node("node1", 3500, 40000, gpu8),
                    make_node("node2", 3500, 40000, &[]),
                ],
                resources: gpu_set(),
                run_pre_score: true,
                want_pre_score: Code::Success,
                want: vec![63, 63],
            },
            Case {
                name: "resources requested, pods scheduled with resources if PreScore not called",
                pod: cpu_and_memory("node2"),
                pods: vec![cpu_only("node1"), cpu_and_memory("node2")],
                nodes: vec![
                    make_node("node1", 10000, 20000, &[]),
                    make_node("node2", 10000, 20000, &[]),
                ],
                resources: defaults(),
                run_pre_score: false,
                want_pre_score: Code::Success,
                want: vec![82, 95],
            },
        ];
        for c in cases {
            let p = BalancedAllocation::from_args(NodeResourcesBalancedAllocationArgs {
                resources: c.resources,
                ..Default::default()
            })
            .unwrap();
            let infos = node_infos(c.nodes, &c.pods);
            let refs: Vec<&NodeInfo> = infos.iter().collect();
            let pod = PodInfo::from_pod(c.pod);
            let snapshot = Snapshot::new();
            let mut state = CycleState::default();
            if c.run_pre_score {
                let st = p.pre_score(&mut state, &pod, &refs, &snapshot);
                assert_eq!(st.code, c.want_pre_score, "{}", c.name);
                if st.is_skip() {
                    continue;
                }
            }
            let got: Vec<i64> = infos
                .iter()
                .map(|n| p.score(&state, &pod, n, &snapshot))
                .collect();
            assert_eq!(got, c.want, "{}", c.name);
        }
    }

    #[test]
    fn best_effort_scores_zero_without_pre_score() {
        let p = BalancedAllocation::default();
        let infos = node_infos(vec![make_node("node1", 4000, 10000, &[])], &[]);
        let pod = PodInfo::from_pod(st_pod().container("c").obj());
        assert_eq!(
            p.score(&CycleState::default(), &pod, &infos[0], &Snapshot::new()),
            0
        );
    }

    #[test]
    fn scorer_formula() {
        assert_eq!(balanced_resource_scorer(&[3, 5], &[4, 10]), 87);
        assert_eq!(balanced_resource_scorer(&[0, 0], &[0, 0]), MAX_NODE_SCORE);
        assert_eq!(balanced_resource_scorer(&[1], &[2]), MAX_NODE_SCORE);
        // Fractions 0.857142..., 0.125, 0.5: population std 0.2990... -> 70.
        assert_eq!(
            balanced_resource_scorer(&[3000, 5000, 4], &[3500, 40000, 8]),
            70
        );
    }

    #[test]
    fn new_defaults_and_validates_args() {
        assert!(new(None).is_ok());
        assert!(new(Some(&serde_json::json!({"resources": [{"name": "cpu"}]}))).is_ok());
        assert_eq!(
            new(Some(
                &serde_json::json!({"resources": [{"name": "cpu", "weight": 2}]})
            ))
            .err()
            .unwrap(),
            "resources[0].weight: Invalid value: 2: must be 1"
        );
        assert!(new(Some(&serde_json::json!({"resource": []})))
            .err()
            .unwrap()
            .contains("unknown field"));
    }
}
