//! NodeResourcesBalancedAllocation: skeleton, to be written (models
//! pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "NodeResourcesBalancedAllocation";

/// The NodeResourcesBalancedAllocation plugin.
#[derive(Clone, Debug, Default)]
pub struct BalancedAllocation;

impl Plugin for BalancedAllocation {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin from its args.
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(BalancedAllocation))
}
