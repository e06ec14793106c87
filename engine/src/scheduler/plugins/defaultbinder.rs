//! DefaultBinder: skeleton, to be written (models pkg/scheduler/framework/plugins/defaultbinder/default_binder.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "DefaultBinder";

/// The DefaultBinder plugin.
#[derive(Clone, Debug, Default)]
pub struct DefaultBinder;

impl Plugin for DefaultBinder {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(DefaultBinder))
}
