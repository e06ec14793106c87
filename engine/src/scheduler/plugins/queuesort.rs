//! PrioritySort: skeleton, to be written (models pkg/scheduler/framework/plugins/queuesort/priority_sort.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "PrioritySort";

/// The PrioritySort plugin.
#[derive(Clone, Debug, Default)]
pub struct PrioritySort;

impl Plugin for PrioritySort {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(PrioritySort))
}
