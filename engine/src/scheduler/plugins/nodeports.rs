//! NodePorts: skeleton, to be written (models pkg/scheduler/framework/plugins/nodeports/node_ports.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "NodePorts";

/// The NodePorts plugin.
#[derive(Clone, Debug, Default)]
pub struct NodePorts;

impl Plugin for NodePorts {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(NodePorts))
}
