//! NodeName filter: a pod with `spec.nodeName` set fits only that node. Models
//! pkg/scheduler/framework/plugins/nodename/node_name.go.

use crate::api::Pod;
use crate::scheduler::framework::{CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, Status};

pub const NAME: &str = "NodeName";

/// `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// The NodeName plugin.
#[derive(Clone, Debug, Default)]
pub struct NodeName;

impl Plugin for NodeName {
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
    Ok(Box::new(NodeName))
}

/// `Fits`: the pod names no node, or names this one.
pub fn fits(pod: &Pod, node: &NodeInfo) -> bool {
    pod.spec.node_name.is_empty() || pod.spec.node_name == node.node.metadata.name
}

impl FilterPlugin for NodeName {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if !fits(pod.pod(), node) {
            return Status::unresolvable(ERR_REASON);
        }
        Status::success()
    }

    fn passes(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> bool {
        fits(pod.pod(), node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Node;
    use crate::scheduler::framework::Code;

    /// node_name_test.go TestNodeName.
    #[test]
    fn node_name_table() {
        let cases = [
            ("no host specified", "", "", true),
            ("host matches", "foo", "foo", true),
            ("host doesn't match", "bar", "foo", false),
        ];
        for (name, pod_node, node_name, fits) in cases {
            let mut pod = Pod::default();
            pod.spec.node_name = pod_node.into();
            let mut node = Node::default();
            node.metadata.name = node_name.into();
            let got = NodeName.filter(
                &CycleState::default(),
                &PodInfo::from_pod(pod),
                &NodeInfo::new(node),
            );
            let want = if fits {
                Status::success()
            } else {
                Status::new(Code::UnschedulableAndUnresolvable, vec![ERR_REASON.into()])
            };
            assert_eq!(got, want, "{name}");
        }
    }
}
