//! NodeAffinity: skeleton, to be written (models pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "NodeAffinity";

/// The NodeAffinity plugin.
#[derive(Clone, Debug, Default)]
pub struct NodeAffinity;

impl Plugin for NodeAffinity {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(NodeAffinity))
}
