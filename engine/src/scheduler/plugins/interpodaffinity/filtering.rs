//! PreFilter, its AddPod/RemovePod extensions and Filter. Models
//! pkg/scheduler/framework/plugins/interpodaffinity/filtering.go.

use super::{
    required_affinity_terms, required_anti_affinity_terms, AffinityTerm, InterPodAffinity,
};
use crate::api::{Node, Pod};
use crate::scheduler::framework::{
    Code, CycleState, FilterPlugin, NodeInfo, PodInfo, PreFilterPlugin, PreFilterResult, Status,
};
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeMap;

/// `preFilterStateKey`.
pub(super) const PRE_FILTER_STATE_KEY: &str = "PreFilterInterPodAffinity";

/// `ErrReasonExistingAntiAffinityRulesNotMatch`.
pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// `ErrReasonAffinityRulesNotMatch`.
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
/// `ErrReasonAntiAffinityRulesNotMatch`.
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't match pod anti-affinity rules";

/// `topologyToMatchedTermCount`: matched-term counts by topology pair (key, value), kept as
/// key -> value -> count; a pair whose count comes back to zero is removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct TopologyCounts(BTreeMap<String, BTreeMap<String, i64>>);

impl TopologyCounts {
    /// The count of a pair (0 when absent).
    pub fn get(&self, key: &str, value: &str) -> i64 {
        self.0
            .get(key)
            .and_then(|m| m.get(value))
            .copied()
            .unwrap_or(0)
    }

    /// No pair has a count.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (key, value, count), ordered.
    #[cfg(test)]
    pub fn pairs(&self) -> Vec<(String, String, i64)> {
        self.0
            .iter()
            .flat_map(|(k, m)| m.iter().map(move |(v, c)| (k.clone(), v.clone(), *c)))
            .collect()
    }

    /// `update`: adds `delta` to (tk, the node's value for tk) when the node has the label.
    fn update(&mut self, node: &Node, tk: &str, delta: i64) {
        let Some(tv) = node.metadata.labels.get(tk) else {
            return;
        };
        let values = self.0.entry(tk.to_string()).or_default();
        let count = values.entry(tv.clone()).or_default();
        *count += delta;
        if *count == 0 {
            values.remove(tv);
            if values.is_empty() {
                self.0.remove(tk);
            }
        }
    }

    /// `updateWithAffinityTerms`: when `pod` matches all the terms, each term's pair counts.
    fn update_with_affinity_terms(
        &mut self,
        terms: &[AffinityTerm<'_>],
        pod: &Pod,
        node: &Node,
        delta: i64,
    ) {
        if pod_matches_all_affinity_terms(terms, pod) {
            for t in terms {
                self.update(node, &t.topology_key, delta);
            }
        }
    }

    /// `updateWithAntiAffinityTerms`: each term `pod` matches counts.
    fn update_with_anti_affinity_terms(
        &mut self,
        terms: &[AffinityTerm<'_>],
        pod: &Pod,
        node: &Node,
        delta: i64,
    ) {
        for t in terms {
            if t.matches(pod) {
                self.update(node, &t.topology_key, delta);
            }
        }
    }
}

/// `podMatchesAllAffinityTerms`: false without terms.
fn pod_matches_all_affinity_terms(terms: &[AffinityTerm<'_>], pod: &Pod) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.matches(pod))
}

/// `preFilterState`.
#[derive(Clone, Debug)]
pub(super) struct PreFilterState {
    /// Existing pods' required anti-affinity terms the incoming pod matches.
    pub existing_anti_affinity_counts: TopologyCounts,
    /// Existing pods matching all the incoming pod's required affinity terms.
    pub affinity_counts: TopologyCounts,
    /// Existing pods matching the incoming pod's required anti-affinity terms.
    pub anti_affinity_counts: TopologyCounts,
    /// The incoming pod and its required terms.
    pub pod: PodInfo,
    pub affinity_terms: Vec<AffinityTerm<'static>>,
    pub anti_affinity_terms: Vec<AffinityTerm<'static>>,
}

impl PreFilterState {
    /// `updateWithPod`: counts (`multiplier` 1) or uncounts (-1) `p` on `node`.
    fn update_with_pod(&mut self, p: &Pod, node: &Node, multiplier: i64) {
        let incoming = self.pod.pod();
        self.existing_anti_affinity_counts
            .update_with_anti_affinity_terms(
                &required_anti_affinity_terms(p),
                incoming,
                node,
                multiplier,
            );
        self.affinity_counts
            .update_with_affinity_terms(&self.affinity_terms, p, node, multiplier);
        self.anti_affinity_counts.update_with_anti_affinity_terms(
            &self.anti_affinity_terms,
            p,
            node,
            multiplier,
        );
    }
}

/// `getExistingAntiAffinityCounts`: over the nodes with pods with required anti-affinity.
pub(super) fn existing_anti_affinity_counts<'n>(
    pod: &Pod,
    nodes: impl Iterator<Item = &'n NodeInfo>,
) -> TopologyCounts {
    let mut counts = TopologyCounts::default();
    for node in nodes {
        for existing in &node.pods_with_required_anti_affinity {
            counts.update_with_anti_affinity_terms(
                &required_anti_affinity_terms(existing.pod()),
                pod,
                &node.node,
                1,
            );
        }
    }
    counts
}

/// `getIncomingAffinityAntiAffinityCounts`: over all nodes, the existing pods matching the
/// incoming pod's required affinity (all terms) and anti-affinity (each term) terms.
pub(super) fn incoming_affinity_anti_affinity_counts<'n>(
    affinity_terms: &[AffinityTerm<'_>],
    anti_affinity_terms: &[AffinityTerm<'_>],
    nodes: impl Iterator<Item = &'n NodeInfo>,
) -> (TopologyCounts, TopologyCounts) {
    let mut affinity = TopologyCounts::default();
    let mut anti_affinity = TopologyCounts::default();
    if affinity_terms.is_empty() && anti_affinity_terms.is_empty() {
        return (affinity, anti_affinity);
    }
    for node in nodes {
        for existing in &node.pods {
            affinity.update_with_affinity_terms(affinity_terms, existing.pod(), &node.node, 1);
            anti_affinity.update_with_anti_affinity_terms(
                anti_affinity_terms,
                existing.pod(),
                &node.node,
                1,
            );
        }
    }
    (affinity, anti_affinity)
}

fn missing_state() -> Status {
    Status::new(
        Code::Error,
        vec![format!(
            "error reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
        )],
    )
}

impl PreFilterPlugin for InterPodAffinity {
    /// Counts the matching terms per topology pair; Skip when the incoming pod has no required
    /// terms and no existing pod's required anti-affinity matches it.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let p = pod.pod();
        let affinity_terms: Vec<_> = required_affinity_terms(p)
            .into_iter()
            .map(AffinityTerm::into_owned)
            .collect();
        let anti_affinity_terms: Vec<_> = required_anti_affinity_terms(p)
            .into_iter()
            .map(AffinityTerm::into_owned)
            .collect();
        let existing =
            existing_anti_affinity_counts(p, snapshot.have_pods_with_required_anti_affinity());
        let (affinity, anti_affinity) = incoming_affinity_anti_affinity_counts(
            &affinity_terms,
            &anti_affinity_terms,
            snapshot.list(),
        );
        if existing.is_empty() && affinity_terms.is_empty() && anti_affinity_terms.is_empty() {
            return (None, Status::skip());
        }
        state.write(
            PRE_FILTER_STATE_KEY,
            PreFilterState {
                existing_anti_affinity_counts: existing,
                affinity_counts: affinity,
                anti_affinity_counts: anti_affinity,
                pod: pod.clone(),
                affinity_terms,
                anti_affinity_terms,
            },
        );
        (None, Status::success())
    }

    fn add_pod(
        &self,
        state: &mut CycleState,
        _pod: &PodInfo,
        pod_to_add: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        s.update_with_pod(pod_to_add.pod(), &node.node, 1);
        Status::success()
    }

    fn remove_pod(
        &self,
        state: &mut CycleState,
        _pod: &PodInfo,
        pod_to_remove: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        s.update_with_pod(pod_to_remove.pod(), &node.node, -1);
        Status::success()
    }
}

/// `satisfyExistingPodsAntiAffinity`: no existing pod's anti-affinity term that matches the
/// incoming pod counts in any of the node's topology pairs.
fn satisfy_existing_pods_anti_affinity(s: &PreFilterState, node: &Node) -> bool {
    if s.existing_anti_affinity_counts.is_empty() {
        return true;
    }
    !node
        .metadata
        .labels
        .iter()
        .any(|(k, v)| s.existing_anti_affinity_counts.get(k, v) > 0)
}

/// `satisfyPodAntiAffinity`.
fn satisfy_pod_anti_affinity(s: &PreFilterState, node: &Node) -> bool {
    if s.anti_affinity_counts.is_empty() {
        return true;
    }
    !s.anti_affinity_terms.iter().any(|t| {
        node.metadata
            .labels
            .get(t.topology_key.as_ref())
            .is_some_and(|v| s.anti_affinity_counts.get(&t.topology_key, v) > 0)
    })
}

/// `satisfyPodAffinity`: the node has every term's topology key and a matching pod in each
/// term's pair; or no pod anywhere matches and the pod matches its own terms (the first pod of
/// a group with affinity to itself).
fn satisfy_pod_affinity(s: &PreFilterState, node: &Node) -> bool {
    let mut pods_exist = true;
    for t in &s.affinity_terms {
        match node.metadata.labels.get(t.topology_key.as_ref()) {
            Some(v) => {
                if s.affinity_counts.get(&t.topology_key, v) <= 0 {
                    pods_exist = false;
                }
            }
            None => return false,
        }
    }
    pods_exist
        || (s.affinity_counts.is_empty()
            && pod_matches_all_affinity_terms(&s.affinity_terms, s.pod.pod()))
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        if !satisfy_pod_affinity(s, &node.node) {
            return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
        }
        if !satisfy_pod_anti_affinity(s, &node.node) {
            return Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        if !satisfy_existing_pods_anti_affinity(s, &node.node) {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        Status::success()
    }
}
