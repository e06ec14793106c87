//! PreScore, Score and NormalizeScore. Models
//! pkg/scheduler/framework/plugins/interpodaffinity/scoring.go.

use super::{
    preferred_affinity_terms, preferred_anti_affinity_terms, required_affinity_terms, AffinityTerm,
    InterPodAffinity, WeightedAffinityTerm,
};
use crate::api::{Node, Pod};
use crate::scheduler::framework::{
    CycleState, NodeInfo, PodInfo, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeMap;

/// `preScoreStateKey`.
pub(super) const PRE_SCORE_STATE_KEY: &str = "PreScoreInterPodAffinity";

/// `scoreMap`: topology key -> topology value -> summed weights. An entry exists once a term
/// matched there, even when its weights add up to zero.
pub(super) type ScoreMap = BTreeMap<String, BTreeMap<String, i64>>;

/// `preScoreState`.
#[derive(Clone, Debug, Default)]
pub(super) struct PreScoreState {
    pub topology_score: ScoreMap,
}

/// `processTerm`: when `pod` matches the term and `node` has its topology key, adds
/// weight x multiplier to that pair.
fn process_term(
    m: &mut ScoreMap,
    term: &AffinityTerm<'_>,
    weight: i32,
    pod: &Pod,
    node: &Node,
    multiplier: i32,
) {
    if term.matches(pod) {
        if let Some(tv) = node.metadata.labels.get(term.topology_key.as_ref()) {
            // Looked up before inserting, so keys are copied only when new.
            let key: &str = term.topology_key.as_ref();
            if !m.contains_key(key) {
                m.insert(key.to_string(), BTreeMap::new());
            }
            let values = m.get_mut(key).expect("inserted");
            if !values.contains_key(tv) {
                values.insert(tv.clone(), 0);
            }
            *values.get_mut(tv).expect("inserted") += i64::from(weight * multiplier);
        }
    }
}

/// `processTerms`.
fn process_terms(
    m: &mut ScoreMap,
    terms: &[WeightedAffinityTerm<'_>],
    pod: &Pod,
    node: &Node,
    multiplier: i32,
) {
    for t in terms {
        process_term(m, &t.term, t.weight, pod, node, multiplier);
    }
}

impl InterPodAffinity {
    /// `processExistingPod`: the incoming pod's preferred terms against `existing`, and
    /// `existing`'s required (at hardPodAffinityWeight) and preferred terms against the
    /// incoming pod, in the topology of `node` (where `existing` runs).
    fn process_existing_pod(
        &self,
        affinity: &[WeightedAffinityTerm<'_>],
        anti_affinity: &[WeightedAffinityTerm<'_>],
        existing: &Pod,
        node: &Node,
        incoming: &Pod,
        m: &mut ScoreMap,
    ) {
        if node.metadata.labels.is_empty() {
            return;
        }
        process_terms(m, affinity, existing, node, 1);
        process_terms(m, anti_affinity, existing, node, -1);
        let w = self.args.hard_pod_affinity_weight;
        if w > 0 {
            for t in required_affinity_terms(existing) {
                process_term(m, &t, w, incoming, node, 1);
            }
        }
        // The existing pod's preferred terms, without collecting them (most pods have none).
        if let Some(a) = &existing.spec.affinity {
            for (terms, multiplier) in [(&a.pod_affinity, 1), (&a.pod_anti_affinity, -1)] {
                for t in terms.iter().flat_map(|pa| &pa.preferred) {
                    let term = AffinityTerm::new(existing, &t.pod_affinity_term);
                    process_term(m, &term, t.weight, incoming, node, multiplier);
                }
            }
        }
    }
}

impl PreScorePlugin for InterPodAffinity {
    /// Sums matching weights per topology pair over the nodes with pods with affinity (all
    /// nodes when the incoming pod has preferred terms); Skip when nothing matched, or when
    /// ignorePreferredTermsOfExistingPods is set and the pod has no preferred terms.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Status {
        let incoming = pod.pod();
        let affinity = preferred_affinity_terms(incoming);
        let anti_affinity = preferred_anti_affinity_terms(incoming);
        let has_constraints = !affinity.is_empty() || !anti_affinity.is_empty();
        if self.args.ignore_preferred_terms_of_existing_pods && !has_constraints {
            return Status::skip();
        }
        let nodes: Box<dyn Iterator<Item = &NodeInfo>> = if has_constraints {
            Box::new(snapshot.list())
        } else {
            Box::new(snapshot.have_pods_with_affinity())
        };
        let mut topology_score = ScoreMap::new();
        let mut any = false;
        for node in nodes {
            let pods = if has_constraints {
                &node.pods
            } else {
                &node.pods_with_affinity
            };
            let mut m = ScoreMap::new();
            for existing in pods {
                self.process_existing_pod(
                    &affinity,
                    &anti_affinity,
                    existing.pod(),
                    &node.node,
                    incoming,
                    &mut m,
                );
            }
            if !m.is_empty() {
                any = true;
                for (k, values) in m {
                    let scores = topology_score.entry(k).or_default();
                    for (v, s) in values {
                        *scores.entry(v).or_default() += s;
                    }
                }
            }
        }
        if !any {
            return Status::skip();
        }
        state.write(PRE_SCORE_STATE_KEY, PreScoreState { topology_score });
        Status::success()
    }
}

impl ScorePlugin for InterPodAffinity {
    /// The sum over the node's topology labels of the pair's weights (positive for affinity,
    /// negative for anti-affinity).
    fn score(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return 0;
        };
        let labels = &node.node.metadata.labels;
        s.topology_score
            .iter()
            .filter_map(|(k, values)| labels.get(k).map(|v| values.get(v).copied().unwrap_or(0)))
            .sum()
    }

    /// 100 x (s - min) / (max - min) in float64, truncated; all 0 when max == min; unchanged
    /// when nothing matched.
    fn normalize(&self, state: &CycleState, _pod: &PodInfo, _: &[&NodeInfo], scores: &mut [i64]) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return;
        };
        if s.topology_score.is_empty() {
            return;
        }
        let mut min = i64::MAX;
        let mut max = i64::MIN;
        for &score in scores.iter() {
            max = max.max(score);
            min = min.min(score);
        }
        let diff = max.wrapping_sub(min);
        for score in scores.iter_mut() {
            let mut f = 0f64;
            if diff > 0 {
                f = MAX_NODE_SCORE as f64 * ((*score - min) as f64 / diff as f64);
            }
            *score = f as i64;
        }
    }
}
