//! NodeName: skeleton, to be written (models pkg/scheduler/framework/plugins/nodename/node_name.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "NodeName";

/// The NodeName plugin.
#[derive(Clone, Debug, Default)]
pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(NodeName))
}
