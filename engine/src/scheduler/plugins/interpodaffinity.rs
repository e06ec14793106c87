//! InterPodAffinity: skeleton, to be written (models pkg/scheduler/framework/plugins/interpodaffinity/).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "InterPodAffinity";

/// The InterPodAffinity plugin.
#[derive(Clone, Debug, Default)]
pub struct InterPodAffinity;

impl Plugin for InterPodAffinity {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(InterPodAffinity))
}
