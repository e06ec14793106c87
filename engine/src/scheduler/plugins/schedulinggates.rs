//! SchedulingGates: skeleton, to be written (models pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "SchedulingGates";

/// The SchedulingGates plugin.
#[derive(Clone, Debug, Default)]
pub struct SchedulingGates;

impl Plugin for SchedulingGates {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(SchedulingGates))
}
