//! SchedulingGates PreEnqueue: a pod with `spec.schedulingGates` does not enter the active
//! queue until they are all removed. Models
//! pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go.

use crate::api::Pod;
use crate::scheduler::framework::{Plugin, PreEnqueuePlugin, Status};

pub const NAME: &str = "SchedulingGates";

/// The SchedulingGates plugin.
#[derive(Clone, Debug, Default)]
pub struct SchedulingGates;

impl Plugin for SchedulingGates {
    fn name(&self) -> &str {
        NAME
    }
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        Some(self)
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(SchedulingGates))
}

impl PreEnqueuePlugin for SchedulingGates {
    /// UnschedulableAndUnresolvable with the gate names as Go prints a `[]string` (`%v`).
    fn pre_enqueue(&self, pod: &Pod) -> Status {
        let gates = &pod.spec.scheduling_gates;
        if gates.is_empty() {
            return Status::success();
        }
        let names: Vec<&str> = gates.iter().map(|g| g.name.as_str()).collect();
        Status::unresolvable(&format!(
            "waiting for scheduling gates: [{}]",
            names.join(" ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::affinity::PodSchedulingGate;
    use crate::scheduler::framework::Code;

    /// scheduling_gates_test.go TestPreEnqueue.
    #[test]
    fn pre_enqueue_table() {
        let cases: [(&str, &[&str], Status); 2] = [
            (
                "pod does not carry scheduling gates",
                &[],
                Status::success(),
            ),
            (
                "pod carries scheduling gates",
                &["foo", "bar"],
                Status::new(
                    Code::UnschedulableAndUnresolvable,
                    vec!["waiting for scheduling gates: [foo bar]".into()],
                ),
            ),
        ];
        for (name, gates, want) in cases {
            let mut pod = Pod::default();
            pod.metadata.name = "p".into();
            pod.spec.scheduling_gates = gates
                .iter()
                .map(|g| PodSchedulingGate {
                    name: g.to_string(),
                })
                .collect();
            assert_eq!(SchedulingGates.pre_enqueue(&pod), want, "{name}");
        }
    }
}
