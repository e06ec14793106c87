//! InterPodAffinity: required pod affinity and anti-affinity (both the incoming pod's and the
//! existing pods') as a filter, preferred terms as a score. Models
//! pkg/scheduler/framework/plugins/interpodaffinity/plugin.go, the args
//! (pkg/scheduler/apis/config/types_pluginargs.go InterPodAffinityArgs, defaults in
//! pkg/scheduler/apis/config/v1/defaults.go, validation in
//! pkg/scheduler/apis/config/validation/validation_pluginargs.go).

mod affinity_term;
mod filtering;
mod scoring;
#[cfg(test)]
mod testutil;

pub use affinity_term::{namespace_labels, NAMESPACE_NAME_LABEL};
pub(crate) use affinity_term::{
    preferred_affinity_terms, preferred_anti_affinity_terms, required_affinity_terms,
    required_anti_affinity_terms, AffinityTerm, WeightedAffinityTerm,
};
pub use filtering::{
    ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
};

use crate::scheduler::framework::{
    FilterPlugin, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin,
};
use serde::Deserialize;

pub const NAME: &str = "InterPodAffinity";

/// `DefaultHardPodAffinityWeight`.
pub const DEFAULT_HARD_POD_AFFINITY_WEIGHT: i32 = 1;

/// `InterPodAffinityArgs`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InterPodAffinityArgs {
    /// Score weight of an existing pod's required affinity term the incoming pod matches
    /// (0..=100, default 1; 0 turns it off).
    #[serde(default = "default_hard_pod_affinity_weight")]
    pub hard_pod_affinity_weight: i32,
    /// When the incoming pod has no preferred terms, skip scoring instead of counting the
    /// existing pods' terms (default false).
    #[serde(default)]
    pub ignore_preferred_terms_of_existing_pods: bool,
}

fn default_hard_pod_affinity_weight() -> i32 {
    DEFAULT_HARD_POD_AFFINITY_WEIGHT
}

impl Default for InterPodAffinityArgs {
    fn default() -> Self {
        InterPodAffinityArgs {
            hard_pod_affinity_weight: DEFAULT_HARD_POD_AFFINITY_WEIGHT,
            ignore_preferred_terms_of_existing_pods: false,
        }
    }
}

/// `ValidateInterPodAffinityArgs`: hardPodAffinityWeight in [0, 100].
pub fn validate_args(args: &InterPodAffinityArgs) -> Result<(), String> {
    let w = args.hard_pod_affinity_weight;
    if !(0..=100).contains(&w) {
        return Err(format!(
            "hardPodAffinityWeight: Invalid value: {w}: not in valid range [0, 100]"
        ));
    }
    Ok(())
}

/// The InterPodAffinity plugin.
#[derive(Clone, Debug, Default)]
pub struct InterPodAffinity {
    pub args: InterPodAffinityArgs,
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

/// Builds the plugin from its `InterPodAffinityArgs` (None: the defaults).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    let args = crate::scheduler::registry::parse_args::<InterPodAffinityArgs>(args)?;
    validate_args(&args)?;
    Ok(Box::new(InterPodAffinity { args }))
}

#[cfg(test)]
mod filtering_tests;
#[cfg(test)]
mod scoring_tests;

#[cfg(test)]
mod tests {
    use super::*;

    /// validation_pluginargs_test.go TestValidateInterPodAffinityArgs.
    #[test]
    fn validate_inter_pod_affinity_args() {
        let cases = [
            ("valid args", 10, None),
            (
                "hardPodAffinityWeight less than min",
                -1,
                Some("hardPodAffinityWeight: Invalid value: -1: not in valid range [0, 100]"),
            ),
            (
                "hardPodAffinityWeight more than max",
                101,
                Some("hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]"),
            ),
        ];
        for (name, w, want) in cases {
            let args = InterPodAffinityArgs {
                hard_pod_affinity_weight: w,
                ..Default::default()
            };
            assert_eq!(validate_args(&args).err().as_deref(), want, "{name}");
        }
    }

    /// Defaults (v1 SetDefaults_InterPodAffinityArgs) and decoding.
    #[test]
    fn args_defaults_and_decoding() {
        let parse = |v: serde_json::Value| {
            crate::scheduler::registry::parse_args::<InterPodAffinityArgs>(Some(&v))
        };
        assert_eq!(
            InterPodAffinityArgs::default(),
            InterPodAffinityArgs {
                hard_pod_affinity_weight: 1,
                ignore_preferred_terms_of_existing_pods: false
            }
        );
        assert_eq!(
            parse(serde_json::json!({})).unwrap(),
            InterPodAffinityArgs::default()
        );
        assert_eq!(
            parse(serde_json::json!({"hardPodAffinityWeight": 0, "ignorePreferredTermsOfExistingPods": true}))
                .unwrap(),
            InterPodAffinityArgs {
                hard_pod_affinity_weight: 0,
                ignore_preferred_terms_of_existing_pods: true
            }
        );
        assert!(parse(serde_json::json!({"hardPodAffinityWeights": 2})).is_err());
        assert!(new(None).is_ok());
        assert_eq!(
            new(Some(&serde_json::json!({"hardPodAffinityWeight": 101}))).err(),
            Some("hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]".into())
        );
    }
}
