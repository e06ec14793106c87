//! DefaultPreemption: skeleton, to be written (models pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "DefaultPreemption";

/// The DefaultPreemption plugin.
#[derive(Clone, Debug, Default)]
pub struct DefaultPreemption;

impl Plugin for DefaultPreemption {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(DefaultPreemption))
}
