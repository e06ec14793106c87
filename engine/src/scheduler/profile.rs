//! Scheduling profiles: the plugins a profile runs, with score weights.
//! Models pkg/scheduler/apis/config/v1/default_plugins.go (weights) and
//! pkg/scheduler/schedule_one.go numFeasibleNodesToFind.

use super::framework::{FilterPlugin, ScorePlugin};
use super::plugins::noderesources::{Fit, LeastAllocated};
use super::plugins::tainttoleration::TaintToleration;
use crate::api::admission::DEFAULT_SCHEDULER_NAME;

/// `minFeasibleNodesToFind`.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;

/// A profile: the schedulerName it serves and its plugins.
pub struct Profile {
    pub scheduler_name: String,
    pub filters: Vec<Box<dyn FilterPlugin>>,
    /// Score plugins with their weights.
    pub scorers: Vec<(Box<dyn ScorePlugin>, i64)>,
    /// `percentageOfNodesToScore`; 0 means adaptive.
    pub percentage_of_nodes_to_score: usize,
}

impl Profile {
    /// The default profile, with the plugins modelled so far, in upstream's order: filters
    /// TaintToleration and NodeResourcesFit; NodeResourcesFit's LeastAllocated score, weight 1.
    pub fn default_profile() -> Self {
        Profile {
            scheduler_name: DEFAULT_SCHEDULER_NAME.into(),
            filters: vec![Box::new(TaintToleration), Box::new(Fit)],
            scorers: vec![(Box::new(LeastAllocated::default()), 1)],
            percentage_of_nodes_to_score: 0,
        }
    }

    /// numFeasibleNodesToFind: how many feasible nodes to find before scoring.
    pub fn num_feasible_nodes_to_find(&self, all_nodes: usize) -> usize {
        if all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
            return all_nodes;
        }
        let mut pct = self.percentage_of_nodes_to_score;
        if pct == 0 {
            pct = (50usize.saturating_sub(all_nodes / 125))
                .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
        }
        let n = all_nodes * pct.min(100) / 100;
        n.max(MIN_FEASIBLE_NODES_TO_FIND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// schedule_one_test.go TestNumFeasibleNodesToFind, with the adaptive default.
    #[test]
    fn num_feasible_nodes_to_find_table() {
        let p = Profile::default_profile();
        for (nodes, want) in [
            (10, 10),
            (50, 50),
            (100, 100),
            (1000, 420),
            (5000, 500),
            (10000, 500),
            (6000, 300),
        ] {
            assert_eq!(p.num_feasible_nodes_to_find(nodes), want, "{nodes} nodes");
        }
        let fixed = Profile {
            percentage_of_nodes_to_score: 40,
            ..Profile::default_profile()
        };
        assert_eq!(fixed.num_feasible_nodes_to_find(1000), 400);
        assert_eq!(fixed.num_feasible_nodes_to_find(200), 100);
    }
}
