//! NodeUnschedulable: skeleton, to be written (models pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "NodeUnschedulable";

/// The NodeUnschedulable plugin.
#[derive(Clone, Debug, Default)]
pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(NodeUnschedulable))
}
