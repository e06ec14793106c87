//! DefaultPreemptionArgs: how many preemption candidates to look for. Models
//! pkg/scheduler/apis/config/types_pluginargs.go (DefaultPreemptionArgs),
//! pkg/scheduler/apis/config/v1/defaults.go (SetDefaults_DefaultPreemptionArgs) and
//! pkg/scheduler/apis/config/validation/validation_pluginargs.go (ValidateDefaultPreemptionArgs).

use serde::Deserialize;

/// Default `minCandidateNodesPercentage`.
pub const DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE: i32 = 10;
/// Default `minCandidateNodesAbsolute`.
pub const DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE: i32 = 100;

/// The args as written in `pluginConfig` (unset fields take the defaults).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DefaultPreemptionArgsConfig {
    #[serde(default)]
    pub min_candidate_nodes_percentage: Option<i32>,
    #[serde(default)]
    pub min_candidate_nodes_absolute: Option<i32>,
}

/// Defaulted args (`config.DefaultPreemptionArgs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultPreemptionArgs {
    pub min_candidate_nodes_percentage: i32,
    pub min_candidate_nodes_absolute: i32,
}

impl Default for DefaultPreemptionArgs {
    fn default() -> Self {
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE,
            min_candidate_nodes_absolute: DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE,
        }
    }
}

impl From<DefaultPreemptionArgsConfig> for DefaultPreemptionArgs {
    fn from(c: DefaultPreemptionArgsConfig) -> Self {
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: c
                .min_candidate_nodes_percentage
                .unwrap_or(DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE),
            min_candidate_nodes_absolute: c
                .min_candidate_nodes_absolute
                .unwrap_or(DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE),
        }
    }
}

impl DefaultPreemptionArgs {
    /// ValidateDefaultPreemptionArgs (nil path): the field errors, joined as an aggregate error
    /// (one message alone, several as `[a, b]`).
    pub fn validate(&self) -> Result<(), String> {
        const PCT: &str = "minCandidateNodesPercentage";
        const ABS: &str = "minCandidateNodesAbsolute";
        let (pct, abs) = (
            self.min_candidate_nodes_percentage,
            self.min_candidate_nodes_absolute,
        );
        let mut errs = Vec::new();
        if !(0..=100).contains(&pct) {
            errs.push(format!(
                "{PCT}: Invalid value: {pct}: not in valid range [0, 100]"
            ));
        }
        if abs < 0 {
            errs.push(format!(
                "{ABS}: Invalid value: {abs}: not in valid range [0, inf)"
            ));
        }
        if pct == 0 && abs == 0 {
            errs.push(format!(
                "{PCT}: Invalid value: {pct}: cannot be zero at the same time as {ABS}"
            ));
            errs.push(format!(
                "{ABS}: Invalid value: {abs}: cannot be zero at the same time as {PCT}"
            ));
        }
        match errs.len() {
            0 => Ok(()),
            1 => Err(errs.remove(0)),
            _ => Err(format!("[{}]", errs.join(", "))),
        }
    }

    /// calculateNumCandidates: `numNodes * percentage / 100` (int32), at least the absolute
    /// minimum, at most `num_nodes`.
    pub fn calculate_num_candidates(&self, num_nodes: i32) -> i32 {
        let mut n = num_nodes.wrapping_mul(self.min_candidate_nodes_percentage) / 100;
        if n < self.min_candidate_nodes_absolute {
            n = self.min_candidate_nodes_absolute;
        }
        if n > num_nodes {
            n = num_nodes;
        }
        n
    }
}
