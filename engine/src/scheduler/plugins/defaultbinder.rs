//! DefaultBinder: binds the pod to its node. Models
//! pkg/scheduler/framework/plugins/defaultbinder/default_binder.go; the scheduler actor posts
//! the Binding to the API server when this plugin returns Success.

use crate::scheduler::framework::{BindPlugin, CycleState, Plugin, PodInfo, Status};

pub const NAME: &str = "DefaultBinder";

/// The DefaultBinder plugin.
#[derive(Clone, Debug, Default)]
pub struct DefaultBinder;

impl Plugin for DefaultBinder {
    fn name(&self) -> &str {
        NAME
    }
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        Some(self)
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(DefaultBinder))
}

impl BindPlugin for DefaultBinder {
    fn bind(&self, _: &mut CycleState, _: &PodInfo, _: &str) -> Status {
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Pod;

    #[test]
    fn is_a_bind_plugin_that_binds() {
        let p = new(None).unwrap();
        assert_eq!(p.name(), NAME);
        assert!(p.as_filter().is_none() && p.as_score().is_none());
        let st = p.as_bind().expect("bind plugin").bind(
            &mut CycleState::default(),
            &PodInfo::from_pod(Pod::default()),
            "n1",
        );
        assert!(st.is_success());
    }
}
