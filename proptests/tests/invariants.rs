//! The invariant fuzzer: one property per invariant (docs/fuzzing.md). Each runs the model's
//! state machine over `PROPTEST_CASES` cases (default 16) of random clusters, workloads and
//! faults, checks its invariant after every step, and on failure writes the shrunk scenario to
//! proptests/regressions/. The cases are the same for every property (a fixed RNG seed) and
//! each run is shared between them.

use proptests::machine::{
    assert_property, config, fuzz_with, invariant_names, regressions_dir, steps, Property,
};
use proptests::model::PreemptionMachine;

macro_rules! invariant {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                assert_property(&Property::Invariant(stringify!($name)));
            }
        )*

        /// Every invariant has its property here.
        #[test]
        fn every_invariant_is_a_property() {
            let here = [$(stringify!($name)),*];
            assert_eq!(here.to_vec(), invariant_names());
        }
    };
}

invariant!(
    engine_does_not_panic,
    no_pod_bound_twice,
    binds_pass_hard_filters,
    no_overcommit,
    resource_versions_increase,
    watch_streams_in_order,
    taint_evictions_respect_toleration_seconds,
    rollouts_within_surge_and_unavailable,
    replicas_running_after_quiet_period,
    trace_replays_to_final_store,
    preemption_only_evicts_lower_priority,
);

/// Same scenario and seed twice: the same digest (with faults, and with or without the watch
/// auditor and kept trace lines).
#[test]
fn same_seed_same_digest() {
    assert_property(&Property::Determinism);
}

/// Every invariant on the preemption-heavy machine (`model::PreemptionMachine`: a small
/// cluster, three PriorityClasses, workloads of higher classes arriving later), over half as
/// many cases.
#[test]
fn invariants_under_preemption() {
    let mut c = config();
    c.cases = c.cases.div_ceil(2);
    for name in invariant_names() {
        let prop = Property::Invariant(name);
        if let Err(f) =
            fuzz_with::<PreemptionMachine>(&prop, &regressions_dir(), c.clone(), steps())
        {
            panic!("{f}");
        }
    }
}
