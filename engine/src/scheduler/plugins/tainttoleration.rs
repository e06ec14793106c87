//! TaintToleration filter: a node with a NoSchedule or NoExecute taint the pod does not
//! tolerate is not feasible. Models pkg/scheduler/framework/plugins/tainttoleration/
//! taint_toleration.go (Filter; the PreferNoSchedule score comes with the scheduler issue).

use crate::api::tolerations::{
    find_matching_untolerated_taint, TAINT_EFFECT_NO_EXECUTE, TAINT_EFFECT_NO_SCHEDULE,
};
use crate::api::Taint;
use crate::scheduler::framework::{
    Code, CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, Status,
};

pub const NAME: &str = "TaintToleration";

/// The reason upstream reports (v1.35 no longer names the taint).
pub const ERR_REASON_NOT_MATCH: &str = "node(s) had untolerated taint(s)";

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Toleration;
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
