//! TaintToleration: a node with a NoSchedule or NoExecute taint the pod does not tolerate is
//! not feasible (Filter); nodes with fewer untolerated PreferNoSchedule taints score higher
//! (PreScore, Score, reversed NormalizeScore). Models
//! pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go.

use crate::api::pod::Toleration;
use crate::api::tolerations::{
    find_matching_untolerated_taint, tolerations_tolerate_taint, TAINT_EFFECT_NO_EXECUTE,
    TAINT_EFFECT_NO_SCHEDULE, TAINT_EFFECT_PREFER_NO_SCHEDULE,
};
use crate::api::Taint;
use crate::scheduler::framework::{
    default_normalize_score, Code, CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo,
    PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::scheduler::snapshot::Snapshot;

pub const NAME: &str = "TaintToleration";

/// The reason upstream reports (v1.35 no longer names the taint).
pub const ERR_REASON_NOT_MATCH: &str = "node(s) had untolerated taint(s)";

/// `preScoreStateKey`.
const PRE_SCORE_STATE_KEY: &str = "PreScoreTaintToleration";

/// The pod's tolerations that can tolerate a PreferNoSchedule taint, written at PreScore.
#[derive(Clone, Debug)]
struct PreScoreState {
    tolerations_prefer_no_schedule: Vec<Toleration>,
}

/// The TaintToleration filter.
#[derive(Clone, Debug, Default)]
pub struct TaintToleration;

/// DoNotScheduleTaintsFilterFunc: taints that keep pods off a node.
fn do_not_schedule(t: &Taint) -> bool {
    t.effect == TAINT_EFFECT_NO_SCHEDULE || t.effect == TAINT_EFFECT_NO_EXECUTE
}

impl Plugin for TaintToleration {
    fn name(&self) -> &str {
        NAME
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

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(TaintToleration))
}

impl FilterPlugin for TaintToleration {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let pod = pod.pod();
        let taints = &node.node.spec.taints;
        match find_matching_untolerated_taint(taints, &pod.spec.tolerations, Some(&do_not_schedule))
        {
            None => Status::success(),
            Some(_) => Status::new(
                Code::UnschedulableAndUnresolvable,
                vec![ERR_REASON_NOT_MATCH.into()],
            ),
        }
    }

    fn passes(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> bool {
        let tolerations = &pod.pod().spec.tolerations;
        find_matching_untolerated_taint(&node.node.spec.taints, tolerations, Some(&do_not_schedule))
            .is_none()
    }
}

/// `getAllTolerationPreferNoSchedule`: tolerations with effect PreferNoSchedule or empty
/// (which matches every effect).
fn tolerations_prefer_no_schedule(tolerations: &[Toleration]) -> Vec<Toleration> {
    tolerations
        .iter()
        .filter(|t| t.effect.is_empty() || t.effect == TAINT_EFFECT_PREFER_NO_SCHEDULE)
        .cloned()
        .collect()
}

/// `countIntolerableTaintsPreferNoSchedule`.
fn count_intolerable_taints_prefer_no_schedule(
    taints: &[Taint],
    tolerations: &[Toleration],
) -> i64 {
    taints
        .iter()
        .filter(|t| t.effect == TAINT_EFFECT_PREFER_NO_SCHEDULE)
        .filter(|t| !tolerations_tolerate_taint(tolerations, t))
        .count() as i64
}

impl PreScorePlugin for TaintToleration {
    /// Never Skip: a pod without tolerations still prefers nodes without PreferNoSchedule taints.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[&NodeInfo],
        _: &Snapshot,
    ) -> Status {
        let tolerations = tolerations_prefer_no_schedule(&pod.pod().spec.tolerations);
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState {
                tolerations_prefer_no_schedule: tolerations,
            },
        );
        Status::success()
    }
}

impl ScorePlugin for TaintToleration {
    /// The number of PreferNoSchedule taints the pod does not tolerate. Upstream fails with an
    /// error without the PreScore state; here that scores 0.
    fn score(&self, state: &CycleState, _: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return 0;
        };
        count_intolerable_taints_prefer_no_schedule(
            &node.node.spec.taints,
            &s.tolerations_prefer_no_schedule,
        )
    }

    fn score_nodes(
        &self,
        state: &CycleState,
        _: &PodInfo,
        nodes: &[&NodeInfo],
        _: &Snapshot,
        out: &mut Vec<i64>,
    ) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            out.extend(nodes.iter().map(|_| 0));
            return;
        };
        out.extend(nodes.iter().map(|n| {
            count_intolerable_taints_prefer_no_schedule(
                &n.node.spec.taints,
                &s.tolerations_prefer_no_schedule,
            )
        }));
    }

    /// The default normalizer, reversed: fewer untolerated taints, higher score.
    fn normalize(&self, _: &CycleState, _: &PodInfo, _: &[&NodeInfo], scores: &mut [i64]) {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::{node_info, pod};

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn toleration(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    /// Cases from taint_toleration_test.go TestTaintTolerationFilter.
    #[test]
    fn taint_toleration_filter_table() {
        let cases: Vec<(&str, Vec<Toleration>, Vec<Taint>, bool)> = vec![
            ("A pod having no tolerations can't be scheduled onto a node with nonempty taints", vec![], vec![taint("dedicated", "user1", "NoSchedule")], false),
            ("A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule", vec![toleration("dedicated", "Equal", "user1", "NoSchedule")], vec![taint("dedicated", "user1", "NoSchedule")], true),
            ("A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule", vec![toleration("dedicated", "Equal", "user2", "NoSchedule")], vec![taint("dedicated", "user1", "NoSchedule")], false),
            ("A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node", vec![toleration("foo", "Exists", "", "NoSchedule")], vec![taint("foo", "bar", "NoSchedule")], true),
            ("A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node", vec![toleration("dedicated", "Equal", "user2", "NoSchedule"), toleration("foo", "Exists", "", "NoSchedule")], vec![taint("dedicated", "user2", "NoSchedule"), taint("foo", "bar", "NoSchedule")], true),
            ("A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, can't be scheduled onto the node", vec![toleration("foo", "Equal", "bar", "PreferNoSchedule")], vec![taint("foo", "bar", "NoSchedule")], false),
            ("The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node", vec![toleration("foo", "Equal", "bar", "")], vec![taint("foo", "bar", "NoSchedule")], true),
            ("The pod has a toleration that key and value don't match the taint on the node, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node", vec![toleration("dedicated", "Equal", "user2", "NoSchedule")], vec![taint("dedicated", "user1", "PreferNoSchedule")], true),
            ("The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node", vec![], vec![taint("dedicated", "user1", "PreferNoSchedule")], true),
        ];
        for (name, tolerations, taints, fits) in cases {
            let mut node = node_info("n", 1000, 1 << 30, 110);
            node.node.spec.taints = taints;
            let mut p = pod(0, 0);
            p.spec.tolerations = tolerations;
            let info = PodInfo::from_pod(p);
            let st = TaintToleration.filter(&CycleState::default(), &info, &node);
            assert_eq!(st.is_success(), fits, "{name}");
            if !fits {
                assert_eq!(st.code, Code::UnschedulableAndUnresolvable, "{name}");
                assert_eq!(st.reasons, [ERR_REASON_NOT_MATCH], "{name}");
            }
        }
    }
}

#[cfg(test)]
mod score_tests {
    use super::*;
    use crate::api::{Node, Pod};

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn equal(key: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: "Equal".into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    fn node(name: &str, taints: Vec<Taint>) -> NodeInfo {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.spec.taints = taints;
        NodeInfo::new(n)
    }

    /// (name, pod tolerations, nodes, normalized scores).
    type ScoreCase = (&'static str, Vec<Toleration>, Vec<NodeInfo>, Vec<i64>);

    /// taint_toleration_test.go TestTaintTolerationScore.
    #[test]
    fn taint_toleration_score_table() {
        let pns = TAINT_EFFECT_PREFER_NO_SCHEDULE;
        let ns = TAINT_EFFECT_NO_SCHEDULE;
        let cases: Vec<ScoreCase> = vec![
            (
                "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
                vec![equal("foo", "bar", pns)],
                vec![
                    node("nodeA", vec![taint("foo", "bar", pns)]),
                    node("nodeB", vec![taint("foo", "blah", pns)]),
                ],
                vec![MAX_NODE_SCORE, 0],
            ),
            (
                "the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has",
                vec![equal("cpu-type", "arm64", pns), equal("disk-type", "ssd", pns)],
                vec![
                    node("nodeA", vec![]),
                    node("nodeB", vec![taint("cpu-type", "arm64", pns)]),
                    node(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", pns), taint("disk-type", "ssd", pns)],
                    ),
                ],
                vec![MAX_NODE_SCORE, MAX_NODE_SCORE, MAX_NODE_SCORE],
            ),
            (
                "the more intolerable taints a node has, the lower score it gets.",
                vec![equal("foo", "bar", pns)],
                vec![
                    node("nodeA", vec![]),
                    node("nodeB", vec![taint("cpu-type", "arm64", pns)]),
                    node(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", pns), taint("disk-type", "ssd", pns)],
                    ),
                ],
                vec![MAX_NODE_SCORE, 50, 0],
            ),
            (
                "only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
                vec![equal("cpu-type", "arm64", ns), equal("disk-type", "ssd", ns)],
                vec![
                    node("nodeA", vec![]),
                    node("nodeB", vec![taint("cpu-type", "arm64", ns)]),
                    node(
                        "nodeC",
                        vec![taint("cpu-type", "arm64", pns), taint("disk-type", "ssd", pns)],
                    ),
                ],
                vec![MAX_NODE_SCORE, MAX_NODE_SCORE, 0],
            ),
            (
                "Default behaviour No taints and tolerations, lands on node with no taints",
                vec![],
                vec![
                    node("nodeA", vec![]),
                    node("nodeB", vec![taint("cpu-type", "arm64", pns)]),
                ],
                vec![MAX_NODE_SCORE, 0],
            ),
        ];
        for (name, tolerations, nodes, want) in cases {
            let mut p = Pod::default();
            p.metadata.name = "pod1".into();
            p.spec.tolerations = tolerations;
            let pod = PodInfo::from_pod(p);
            let refs: Vec<&NodeInfo> = nodes.iter().collect();
            let snapshot = Snapshot::new();
            let mut state = CycleState::default();
            let st = TaintToleration.pre_score(&mut state, &pod, &refs, &snapshot);
            assert!(st.is_success(), "{name}: {st:?}");
            let mut got: Vec<i64> = refs
                .iter()
                .map(|n| TaintToleration.score(&state, &pod, n, &snapshot))
                .collect();
            TaintToleration.normalize(&state, &pod, &refs, &mut got);
            assert_eq!(got, want, "{name}");
        }
    }

    /// An empty toleration effect counts for PreferNoSchedule (getAllTolerationPreferNoSchedule).
    #[test]
    fn empty_effect_toleration_tolerates_prefer_no_schedule() {
        let mut p = Pod::default();
        p.spec.tolerations = vec![equal("foo", "bar", "")];
        let pod = PodInfo::from_pod(p);
        let n = node(
            "n",
            vec![taint("foo", "bar", TAINT_EFFECT_PREFER_NO_SCHEDULE)],
        );
        let mut state = CycleState::default();
        TaintToleration.pre_score(&mut state, &pod, &[&n], &Snapshot::new());
        assert_eq!(TaintToleration.score(&state, &pod, &n, &Snapshot::new()), 0);
    }
}
