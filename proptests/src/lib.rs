//! Property tests for kubesim (see `tests/` and docs/fuzzing.md): random small clusters and the
//! config they run under, and the invariant fuzzer ([`model`] generates cases with
//! [`constraints`], [`machine`] runs and shrinks them, [`invariants`] checks each run, with the
//! scheduler's filters in [`filters`] and its view at a decision in [`view`]). Case count:
//! `PROPTEST_CASES`, default [`DEFAULT_CASES`].

pub mod auditor;
pub mod constraints;
pub mod filters;
pub mod invariants;
pub mod machine;
pub mod model;
pub mod render;
pub mod run;
pub mod view;

use kubesim::scenario::{
    Action, ClusterSpec, Create, Dur, Loc, NodePool, Qty, ReplicaSetSpec, Scenario,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Cases per property when `PROPTEST_CASES` is unset.
pub const DEFAULT_CASES: u32 = 16;

/// Cases per property: `PROPTEST_CASES` if set to a number, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// The config every property runs under.
pub fn config() -> ProptestConfig {
    ProptestConfig::with_cases(cases())
}

/// One node pool: `count` identical nodes.
#[derive(Clone, Debug)]
pub struct PoolParams {
    pub count: u32,
    pub cpu_cores: u32,
    pub memory_gi: u32,
    pub pods: u32,
}

/// One ReplicaSet; `None` leaves the request out.
#[derive(Clone, Debug)]
pub struct ReplicaSetParams {
    pub replicas: u32,
    pub cpu_milli: Option<u32>,
    pub memory_mi: Option<u32>,
    pub at_secs: u64,
}

/// A random small cluster with a few ReplicaSets.
#[derive(Clone, Debug)]
pub struct ClusterParams {
    pub seed: u64,
    pub pools: Vec<PoolParams>,
    pub replica_sets: Vec<ReplicaSetParams>,
}

/// Latest creation time of a ReplicaSet, in seconds.
pub const LAST_CREATE_SECS: u64 = 20;

fn qty(s: &str) -> Qty {
    Qty::parse(s).expect("a valid quantity")
}

impl ClusterParams {
    /// The scenario: pools `pool-<i>`, ReplicaSets `rs-<i>` (image `nginx:1.27`), no
    /// expectations, running for `run_for_secs` (at least [`LAST_CREATE_SECS`]).
    pub fn scenario(&self, run_for_secs: u64) -> Scenario {
        let node_pools = self
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| NodePool {
                name: Loc::new(format!("pool-{i}")),
                count: p.count,
                cpu: qty(&p.cpu_cores.to_string()),
                memory: qty(&format!("{}Gi", p.memory_gi)),
                pods: p.pods,
                ephemeral_storage: None,
                zone: None,
                labels: BTreeMap::new(),
                images: Vec::new(),
                taints: Vec::new(),
            })
            .collect();
        let actions = self
            .replica_sets
            .iter()
            .enumerate()
            .map(|(i, r)| Action {
                at: Loc::new(Dur::secs(r.at_secs)),
                create: Some(Create::ReplicaSet(ReplicaSetSpec {
                    name: Loc::new(format!("rs-{i}")),
                    namespace: None,
                    replicas: r.replicas,
                    image: "nginx:1.27".to_string(),
                    cpu: r.cpu_milli.map(|m| qty(&format!("{m}m"))),
                    memory: r.memory_mi.map(|m| qty(&format!("{m}Mi"))),
                    labels: BTreeMap::new(),
                    tolerations: Vec::new(),
                    annotations: BTreeMap::new(),
                    restart_policy: None,
                    ready_after: None,
                    ..Default::default()
                })),
                ..Default::default()
            })
            .collect();
        Scenario {
            name: "proptest".to_string(),
            description: String::new(),
            seed: self.seed,
            run_for: Dur::secs(run_for_secs.max(LAST_CREATE_SECS)),
            cluster: ClusterSpec {
                node_pools,
                ..Default::default()
            },
            actions,
            expect: Vec::new(),
        }
    }
}

/// 1-5 nodes of 1-8 cores, 1-32 Gi, 5-110 pods.
pub fn pool() -> impl Strategy<Value = PoolParams> {
    (1u32..=5, 1u32..=8, 1u32..=32, 5u32..=110).prop_map(|(count, cpu_cores, memory_gi, pods)| {
        PoolParams {
            count,
            cpu_cores,
            memory_gi,
            pods,
        }
    })
}

/// 0-60 replicas requesting 0-2000m cpu and 0-4Gi memory (each maybe left out), created at
/// 0-[`LAST_CREATE_SECS`] s.
pub fn replica_set() -> impl Strategy<Value = ReplicaSetParams> {
    (
        0u32..=60,
        prop::option::of(0u32..=2000),
        prop::option::of(0u32..=4096),
        0u64..=LAST_CREATE_SECS,
    )
        .prop_map(
            |(replicas, cpu_milli, memory_mi, at_secs)| ReplicaSetParams {
                replicas,
                cpu_milli,
                memory_mi,
                at_secs,
            },
        )
}

/// A seed, 1-6 pools and 1-4 ReplicaSets.
pub fn cluster_params() -> impl Strategy<Value = ClusterParams> {
    (
        any::<u64>(),
        prop::collection::vec(pool(), 1..=6),
        prop::collection::vec(replica_set(), 1..=4),
    )
        .prop_map(|(seed, pools, replica_sets)| ClusterParams {
            seed,
            pools,
            replica_sets,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn generated_scenarios_are_valid() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..64 {
            let p = cluster_params().new_tree(&mut runner).unwrap().current();
            kubesim::scenario::validate(&p.scenario(120)).expect("a valid scenario");
        }
    }
}
