//! PodTopologySpread: skeleton, to be written (models pkg/scheduler/framework/plugins/podtopologyspread/).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "PodTopologySpread";

/// The PodTopologySpread plugin.
#[derive(Clone, Debug, Default)]
pub struct PodTopologySpread;

impl Plugin for PodTopologySpread {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(PodTopologySpread))
}
