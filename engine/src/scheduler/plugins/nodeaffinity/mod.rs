//! NodeAffinity: the pod's `nodeSelector` and required node affinity (and the profile's
//! `addedAffinity`) decide which nodes are feasible; preferred terms score them. Models
//! pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go.

pub mod selector;

use crate::api::affinity::NodeAffinity as NodeAffinitySpec;
use crate::api::Pod;
use crate::scheduler::framework::{
    default_normalize_score, Code, CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo,
    PreFilterPlugin, PreFilterResult, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::scheduler::registry::parse_args;
use crate::scheduler::snapshot::Snapshot;
use selector::{
    aggregate, ParsedNodeSelector, PreferredSchedulingTerms, RequiredNodeAffinity,
    OBJECT_NAME_FIELD,
};
use serde::Deserialize;
use std::collections::BTreeSet;

pub const NAME: &str = "NodeAffinity";

/// `ErrReasonPod`.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// `errReasonEnforced`: the node does not match the profile's addedAffinity.
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
/// `errReasonConflict`: the pod's node-name requirements exclude every node.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

const PRE_FILTER_STATE_KEY: &str = "PreFilterNodeAffinity";
const PRE_SCORE_STATE_KEY: &str = "PreScoreNodeAffinity";

/// `NodeAffinityArgs` (kubescheduler.config.k8s.io/v1). `apiVersion` and `kind` are
/// accepted as upstream's inline TypeMeta is.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeAffinityArgs {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub added_affinity: Option<NodeAffinitySpec>,
}

/// The NodeAffinity plugin with the parsed addedAffinity.
#[derive(Clone, Debug, Default)]
pub struct NodeAffinity {
    added_node_selector: Option<ParsedNodeSelector>,
    added_pref_sched_terms: Option<PreferredSchedulingTerms>,
}

impl Plugin for NodeAffinity {
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

/// `ValidateNodeAffinityArgs`: every addedAffinity term parses.
fn validate_args(args: &NodeAffinityArgs) -> Result<(), String> {
    let Some(a) = &args.added_affinity else {
        return Ok(());
    };
    let mut errs = Vec::new();
    if let Some(ns) = &a.required {
        let path = "addedAffinity.requiredDuringSchedulingIgnoredDuringExecution";
        if let Err(e) = ParsedNodeSelector::new(ns, path) {
            errs.push(e);
        }
    }
    if !a.preferred.is_empty() {
        let path = "addedAffinity.preferredDuringSchedulingIgnoredDuringExecution";
        if let Err(e) = PreferredSchedulingTerms::new(&a.preferred, path) {
            errs.push(e);
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(aggregate(&errs))
    }
}

impl NodeAffinity {
    /// `New`: validates and parses the args.
    pub fn from_args(args: &NodeAffinityArgs) -> Result<Self, String> {
        validate_args(args)?;
        let mut pl = NodeAffinity::default();
        if let Some(a) = &args.added_affinity {
            if let Some(ns) = &a.required {
                pl.added_node_selector = Some(ParsedNodeSelector::new(ns, "").map_err(|e| {
                    format!(
                        "parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: {e}"
                    )
                })?);
            }
            if !a.preferred.is_empty() {
                pl.added_pref_sched_terms =
                    Some(PreferredSchedulingTerms::new(&a.preferred, "").map_err(|e| {
                        format!("parsing addedAffinity.preferredDuringSchedulingIgnoredDuringExecution: {e}")
                    })?);
            }
        }
        Ok(pl)
    }
}

/// Builds the plugin from its NodeAffinityArgs.
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    let args: NodeAffinityArgs = parse_args(args)?;
    Ok(Box::new(NodeAffinity::from_args(&args)?))
}

/// `getPodPreferredNodeAffinity`: None without preferred terms.
fn pod_preferred_node_affinity(pod: &Pod) -> Result<Option<PreferredSchedulingTerms>, String> {
    match pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
    {
        Some(na) if !na.preferred.is_empty() => {
            PreferredSchedulingTerms::new(&na.preferred, "").map(Some)
        }
        _ => Ok(None),
    }
}

impl PreFilterPlugin for NodeAffinity {
    /// Skip when nothing constrains the pod; narrows to the node names of `metadata.name In`
    /// field requirements when every required term has one (intersected within a term,
    /// united across terms), and rejects the pod when that leaves no name.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let pod = pod.pod();
        let required = pod
            .spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.required.as_ref());
        if required.is_none()
            && self.added_node_selector.is_none()
            && pod.spec.node_selector.is_empty()
        {
            return (None, Status::skip());
        }
        state.write(PRE_FILTER_STATE_KEY, RequiredNodeAffinity::from_pod(pod));
        let Some(required) = required else {
            return (None, Status::success());
        };
        let mut node_names: Option<BTreeSet<String>> = None;
        for t in &required.node_selector_terms {
            let mut term_names: Option<BTreeSet<String>> = None;
            for r in &t.match_fields {
                if r.key == OBJECT_NAME_FIELD && r.operator == "In" {
                    let s: BTreeSet<String> = r.values.iter().cloned().collect();
                    term_names = Some(match term_names {
                        None => s,
                        Some(prev) => prev.intersection(&s).cloned().collect(),
                    });
                }
            }
            let Some(term_names) = term_names else {
                // A term without node-name affinity: every node may match.
                return (None, Status::success());
            };
            node_names
                .get_or_insert_with(BTreeSet::new)
                .extend(term_names);
        }
        match node_names {
            Some(names) if names.is_empty() => (None, Status::unresolvable(ERR_REASON_CONFLICT)),
            Some(names) => (Some(names), Status::success()),
            None => (None, Status::success()),
        }
    }
}

impl FilterPlugin for NodeAffinity {
    /// The addedAffinity first, then the pod's nodeSelector and required affinity (terms that
    /// do not parse match nothing).
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let node = &node.node;
        if let Some(sel) = &self.added_node_selector {
            if !sel.matches(node) {
                return Status::unresolvable(ERR_REASON_ENFORCED);
            }
        }
        let computed;
        let required = match state.read::<RequiredNodeAffinity>(PRE_FILTER_STATE_KEY) {
            Some(r) => r,
            None => {
                computed = RequiredNodeAffinity::from_pod(pod.pod());
                &computed
            }
        };
        if !required.matches(node).unwrap_or(false) {
            return Status::unresolvable(ERR_REASON_POD);
        }
        Status::success()
    }
}

/// The pod's parsed preferred terms, written at PreScore.
#[derive(Clone, Debug)]
struct PreScoreState {
    preferred: Option<PreferredSchedulingTerms>,
}

impl PreScorePlugin for NodeAffinity {
    /// Skip without preferred terms (the pod's or the addedAffinity's); an error when the
    /// pod's do not parse.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[&NodeInfo],
        _: &Snapshot,
    ) -> Status {
        let preferred = match pod_preferred_node_affinity(pod.pod()) {
            Ok(p) => p,
            Err(e) => return Status::new(Code::Error, vec![e]),
        };
        if preferred.is_none() && self.added_pref_sched_terms.is_none() {
            return Status::skip();
        }
        state.write(PRE_SCORE_STATE_KEY, PreScoreState { preferred });
        Status::success()
    }
}

impl ScorePlugin for NodeAffinity {
    /// The sum of the weights of the matching preferred terms (addedAffinity and pod). Without
    /// PreScore state the pod's terms are parsed here; upstream's parse error scores 0 here.
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        let node = &node.node;
        let mut count = 0;
        if let Some(added) = &self.added_pref_sched_terms {
            count += added.score(node);
        }
        match state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) {
            Some(s) => {
                if let Some(p) = &s.preferred {
                    count += p.score(node);
                }
            }
            None => match pod_preferred_node_affinity(pod.pod()) {
                Ok(Some(p)) => count += p.score(node),
                Ok(None) => {}
                Err(_) => return 0,
            },
        }
        count
    }

    /// The default normalizer, not reversed.
    fn normalize(&self, _: &CycleState, _: &PodInfo, _: &[&NodeInfo], scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
    }
}

#[cfg(test)]
mod tests;
