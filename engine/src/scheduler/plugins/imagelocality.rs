//! ImageLocality: skeleton, to be written (models pkg/scheduler/framework/plugins/imagelocality/image_locality.go).

use crate::scheduler::framework::Plugin;

pub const NAME: &str = "ImageLocality";

/// The ImageLocality plugin.
#[derive(Clone, Debug, Default)]
pub struct ImageLocality;

impl Plugin for ImageLocality {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(ImageLocality))
}
