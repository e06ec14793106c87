//! NodeUnschedulable filter: a node with `spec.unschedulable` is not feasible unless the pod
//! tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint. Models
//! pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go.

use crate::api::tolerations::{tolerations_tolerate_taint, TAINT_EFFECT_NO_SCHEDULE};
use crate::api::Taint;
use crate::scheduler::framework::{CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, Status};

pub const NAME: &str = "NodeUnschedulable";

/// `v1.TaintNodeUnschedulable`.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// `ErrReasonUnschedulable`.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";

/// The NodeUnschedulable plugin.
#[derive(Clone, Debug, Default)]
pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
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
    Ok(Box::new(NodeUnschedulable))
}

impl FilterPlugin for NodeUnschedulable {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if !node.node.spec.unschedulable {
            return Status::success();
        }
        let unschedulable_taint = Taint {
            key: TAINT_NODE_UNSCHEDULABLE.into(),
            value: String::new(),
            effect: TAINT_EFFECT_NO_SCHEDULE.into(),
            time_added: None,
        };
        let tolerates =
            tolerations_tolerate_taint(&pod.pod().spec.tolerations, &unschedulable_taint);
        if !tolerates {
            return Status::unresolvable(ERR_REASON_UNSCHEDULABLE);
        }
        Status::success()
    }

    fn passes(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> bool {
        !node.node.spec.unschedulable || filter_passes(self, state, pod, node)
    }
}

/// The full Filter's answer, out of line from the quick check.
#[cold]
#[inline(never)]
fn filter_passes(
    p: &NodeUnschedulable,
    state: &CycleState,
    pod: &PodInfo,
    node: &NodeInfo,
) -> bool {
    p.filter(state, pod, node).is_success()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Toleration;
    use crate::api::{Node, Pod};
    use crate::scheduler::framework::Code;

    /// node_unschedulable_test.go TestNodeUnschedulable.
    #[test]
    fn node_unschedulable_table() {
        let tolerating = Toleration {
            key: TAINT_NODE_UNSCHEDULABLE.into(),
            effect: TAINT_EFFECT_NO_SCHEDULE.into(),
            ..Default::default()
        };
        let cases: [(&str, Vec<Toleration>, bool, Option<Status>); 3] = [
            (
                "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
                vec![],
                true,
                Some(Status::new(
                    Code::UnschedulableAndUnresolvable,
                    vec![ERR_REASON_UNSCHEDULABLE.into()],
                )),
            ),
            ("Schedule pod to normal node", vec![], false, None),
            (
                "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
                vec![tolerating],
                true,
                None,
            ),
        ];
        for (name, tolerations, unschedulable, want) in cases {
            let mut node = Node::default();
            node.spec.unschedulable = unschedulable;
            let mut pod = Pod::default();
            pod.spec.tolerations = tolerations;
            let got = NodeUnschedulable.filter(
                &CycleState::default(),
                &PodInfo::from_pod(pod),
                &NodeInfo::new(node),
            );
            assert_eq!(got, want.unwrap_or_else(Status::success), "{name}");
        }
    }
}
