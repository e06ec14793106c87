//! Criterion benchmarks for kubesim (see `benches/`), and the scenarios they run.

use kubesim::scenario::{
    Action, ClusterSpec, Create, Dur, Expectation, Loc, NodePool, PodCount, Qty, ReplicaSetSpec,
    Scenario, Target,
};
use std::collections::BTreeMap;

/// The ReplicaSet flow at scale: `nodes` nodes (4 cpu, 16Gi, 110 pods) in one pool, and a
/// ReplicaSet `web` of `replicas` pods (250m, 128Mi) created at 1s; runs 60s. Expects every
/// replica Running at the end (checked once, at the end, so it costs nothing during the run).
pub fn replicaset_flow(nodes: u32, replicas: u32) -> Scenario {
    let qty = |s: &str| Qty::parse(s).expect("a valid quantity");
    Scenario {
        name: format!("replicaset-flow-{nodes}"),
        description: String::new(),
        seed: 1,
        run_for: Dur::secs(60),
        cluster: ClusterSpec {
            node_pools: vec![NodePool {
                name: Loc::new("worker".to_string()),
                count: nodes,
                cpu: qty("4"),
                memory: qty("16Gi"),
                pods: 110,
                ephemeral_storage: None,
                zone: Some("zone-a".to_string()),
                labels: BTreeMap::new(),
                images: Vec::new(),
                taints: Vec::new(),
            }],
            api_latency: None,
            ..Default::default()
        },
        actions: vec![Action {
            at: Loc::new(Dur::secs(1)),
            create: Some(Create::ReplicaSet(ReplicaSetSpec {
                name: Loc::new("web".to_string()),
                namespace: None,
                replicas,
                image: "nginx:1.27".to_string(),
                cpu: Some(qty("250m")),
                memory: Some(qty("128Mi")),
                labels: BTreeMap::new(),
                tolerations: Vec::new(),
                annotations: BTreeMap::new(),
                restart_policy: None,
                ready_after: None,
                ..Default::default()
            })),
            ..Default::default()
        }],
        expect: vec![Expectation {
            running: Some(PodCount {
                owner: Some(Loc::new(
                    Target::parse("ReplicaSet/web").expect("a valid target"),
                )),
                count: Some(replicas),
                ..Default::default()
            }),
            ..Default::default()
        }],
    }
}

/// One scheduler throughput case: `pods` pods of `workload` onto `nodes` nodes.
#[derive(Clone, Copy, Debug)]
pub struct SchedulerCase {
    pub workload: kubesim::bench::Workload,
    pub nodes: usize,
    pub pods: usize,
}

/// The scheduler bench's cases: 50,000 SchedulingBasic pods onto 500, 1,000 and 5,000 nodes,
/// and 2,000 spread-affinity pods onto the same node counts (their InterPodAffinity PreScore
/// visits every pod already placed, so a run grows with the square of the pods).
pub fn scheduler_cases() -> Vec<SchedulerCase> {
    use kubesim::bench::Workload;
    let mut cases = Vec::new();
    for (workload, pods) in [
        (Workload::Default, 50_000),
        (Workload::SpreadAffinity, 2_000),
    ] {
        for nodes in [500, 1_000, 5_000] {
            cases.push(SchedulerCase {
                workload,
                nodes,
                pods,
            });
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_cases_fit_their_nodes() {
        let cases = scheduler_cases();
        assert_eq!(cases.len(), 6);
        for c in cases {
            // Every pod has a place: 110 pods a node (100m cpu, 500Mi each fit more).
            assert!(
                c.pods <= c.nodes * kubesim::bench::NODE_PODS as usize,
                "{c:?}"
            );
        }
    }

    #[test]
    fn flow_scenario_is_valid() {
        kubesim::scenario::validate(&replicaset_flow(1000, 3000)).expect("valid scenario");
    }
}
