//! Exact replay: a random scenario run twice with its seed gives the same digest, whether or
//! not the trace lines are kept.

use kubesim::cluster::{Cluster, RunOptions};
use kubesim::sim::Trace;
use proptest::prelude::*;
use proptests::{cluster_params, config};

/// Virtual seconds each run lasts (every ReplicaSet is created by then).
const RUN_FOR_SECS: u64 = 30;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn same_seed_same_digest(params in cluster_params()) {
        let scenario = params.scenario(RUN_FOR_SECS);
        let run = |trace: Trace| {
            let r = Cluster::new(&scenario, RunOptions { seed: None, trace, ..Default::default() }).run(None);
            (r.digest, r.events, r.trace_records)
        };
        let first = run(Trace::new());
        let second = run(Trace::new().keeping_lines());
        prop_assert_eq!(first, second);
    }
}
