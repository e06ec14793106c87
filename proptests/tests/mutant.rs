//! A deliberately injected bug is caught: "the taint-eviction controller skips the toleration
//! check" (it evicts every pod as soon as its node gets a NoExecute taint, tolerationSeconds or
//! not). The engine is not changed: the bug is simulated by post-processing each run's trace
//! (every taint eviction is moved to the moment the node was tainted), and the real invariant
//! checker runs on the result. The fuzzer must flag it, shrink it, and write a regression
//! scenario that loads, and replays the failure with the mutant (and passes without it).

use kubesim::scenario::load_file;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use proptest::test_runner::Config;
use proptest_state_machine::ReferenceStateMachine;
use proptests::invariants::{taint_evictions_respect_toleration_seconds, TAINT_EVICTION};
use proptests::machine::{fuzz_with, Property};
use proptests::model::{template, Act, Case, FaultPlan, Machine, Pool, Step, WKind, Workload};
use proptests::run::Run;
use std::collections::BTreeMap;

/// The mutant: each pod's taint-eviction writes happen when its node's NoExecute taints
/// appeared (as if tolerations were not checked).
fn skip_toleration_check(run: &Run) -> Run {
    let mut out = run.clone();
    // Node -> when its current run of NoExecute taints began (None: untainted).
    let mut tainted_since: BTreeMap<String, Option<u64>> = BTreeMap::new();
    let mut moved: BTreeMap<String, u64> = BTreeMap::new();
    for l in out.lines.iter_mut() {
        if let Some(n) = l.node() {
            let has = l.verb != "delete" && n.spec.taints.iter().any(|t| t.effect == "NoExecute");
            let name = n.metadata.name.clone();
            let since = tainted_since.entry(name).or_insert(None);
            *since = match (has, *since) {
                (true, None) => Some(l.t_us),
                (true, s) => s,
                (false, _) => None,
            };
            continue;
        }
        let Some(p) = l.pod() else { continue };
        if l.actor != TAINT_EVICTION {
            continue;
        }
        let uid = p.metadata.uid.clone();
        let node = p.spec.node_name.clone();
        let at = *moved.entry(uid).or_insert_with(|| {
            tainted_since
                .get(&node)
                .copied()
                .flatten()
                .unwrap_or(l.t_us)
        });
        l.t_us = at;
    }
    out
}

fn mutant_check(run: &Run) -> Result<(), String> {
    taint_evictions_respect_toleration_seconds(&skip_toleration_check(run))
}

/// A narrower generator: one or two big nodes, workloads with the default tolerations (300s),
/// and long kubelet outages of the first node, so taint evictions happen.
struct EvictionMachine;

impl ReferenceStateMachine for EvictionMachine {
    type State = Case;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Case> {
        (any::<u64>(), 1u32..=2)
            .prop_map(|(seed, count)| Case {
                seed,
                pools: vec![Pool {
                    count,
                    cpu_milli: 8000,
                    memory_mi: 32768,
                    pods: 110,
                    zone: Some(0),
                    labels: Vec::new(),
                    images: Vec::new(),
                    taints: Vec::new(),
                }],
                steps: Vec::new(),
                created: 0,
                classes: Vec::new(),
            })
            .boxed()
    }

    fn transitions(state: &Case) -> BoxedStrategy<Step> {
        let last = state.last_at();
        let n = state.created + 1;
        let create = (1u32..=4, template()).prop_map(move |(replicas, mut t)| {
            t.tolerations.clear();
            t.placement = Box::default();
            Act::Create(Workload {
                kind: WKind::ReplicaSet,
                name: format!("rs-{n}"),
                replicas,
                template: t,
                rollout: None,
                min_ready_seconds: None,
            })
        });
        let outage = (400_000u64..=420_000).prop_map(|down_ms| {
            Act::Fault(FaultPlan::KubeletRestart {
                node: "pool-0-1".into(),
                down_ms,
            })
        });
        let act = Union::new_weighted(vec![(1, create.boxed()), (1, outage.boxed())]);
        (last..=last + 30_000, act)
            .prop_map(|(at_ms, act)| Step { at_ms, act })
            .boxed()
    }

    fn apply(state: Case, t: &Step) -> Case {
        Machine::apply(state, t)
    }

    fn preconditions(state: &Case, t: &Step) -> bool {
        state.allows(t)
    }
}

#[test]
fn skipped_toleration_check_is_caught_and_written_as_a_regression() {
    let dir = std::env::temp_dir().join(format!("kubesim-mutant-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let prop = Property::Custom("mutant_skip_toleration_check", mutant_check);
    let config = Config {
        cases: 32,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        ..Config::default()
    };
    let failure = fuzz_with::<EvictionMachine>(&prop, &dir, config, 4)
        .expect_err("the mutant must be caught");
    assert!(
        failure.message.contains("evicted") && failure.message.contains("tolerates for"),
        "{}",
        failure.message
    );
    let file = failure.file.clone().expect("a regression file");
    assert!(file.starts_with(&dir), "{}", file.display());
    // The file is a scenario `kubesim check` accepts, with the failure in its header.
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with(
            "// Minimal failing case of the fuzzing property `mutant_skip_toleration_check`"
        ),
        "{text}"
    );
    println!("{text}");
    let scenario = load_file(&file).unwrap_or_else(|e| panic!("{e}"));
    // Shrunk: the outage and one workload.
    assert!(scenario.actions.len() <= 3, "not shrunk: {text}");
    // Replaying the file reproduces the failure with the mutant, and the real engine passes.
    let run = proptests::run::execute(&scenario);
    assert!(mutant_check(&run).is_err());
    taint_evictions_respect_toleration_seconds(&run).expect("the engine itself is correct");
    std::fs::remove_dir_all(&dir).unwrap();
}
