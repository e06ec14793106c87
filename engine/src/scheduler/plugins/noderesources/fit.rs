//! NodeResourcesFit filter: does the node have room for the pod's requests?
//! Models pkg/scheduler/framework/plugins/noderesources/fit.go (fitsRequest).

use super::least_allocated::LeastAllocated;
use crate::scheduler::framework::{
    Code, CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, ScorePlugin, Status,
};
use crate::scheduler::snapshot::Snapshot;

pub const NAME: &str = "NodeResourcesFit";

/// The NodeResourcesFit plugin: Filter, and Score with the LeastAllocated strategy.
#[derive(Clone, Debug, Default)]
pub struct Fit {
    pub scorer: LeastAllocated,
}

/// Builds the plugin from its args.
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(Fit::default()))
}

/// One resource that does not fit, and whether it never can (request above allocatable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientResource {
    pub reason: String,
    pub unresolvable: bool,
}

/// fitsRequest: the resources the pod does not fit on the node, in upstream's order.
pub fn fits_request(info: &PodInfo, node: &NodeInfo) -> Vec<InsufficientResource> {
    let mut out = Vec::new();
    if node.pod_count() + 1 > node.allocatable.pods {
        out.push(InsufficientResource {
            reason: "Too many pods".into(),
            unresolvable: false,
        });
    }
    let req = &info.request;
    if req.is_zero() {
        return out;
    }
    let checks = [
        (
            "cpu",
            req.milli_cpu,
            node.allocatable.milli_cpu,
            node.requested.milli_cpu,
        ),
        (
            "memory",
            req.memory,
            node.allocatable.memory,
            node.requested.memory,
        ),
        (
            "ephemeral-storage",
            req.ephemeral_storage,
            node.allocatable.ephemeral_storage,
            node.requested.ephemeral_storage,
        ),
    ];
    for (name, want, alloc, used) in checks {
        if want > 0 && want > alloc - used {
            out.push(InsufficientResource {
                reason: format!("Insufficient {name}"),
                unresolvable: want > alloc,
            });
        }
    }
    out
}

impl Plugin for Fit {
    fn name(&self) -> &str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl ScorePlugin for Fit {
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        self.scorer.score(pod, node)
    }
}

impl FilterPlugin for Fit {
    fn filter(&self, _: &CycleState, info: &PodInfo, node: &NodeInfo) -> Status {
        let insufficient = fits_request(info, node);
        if insufficient.is_empty() {
            return Status::success();
        }
        let code = if insufficient.iter().any(|r| r.unresolvable) {
            Code::UnschedulableAndUnresolvable
        } else {
            Code::Unschedulable
        };
        Status::new(code, insufficient.into_iter().map(|r| r.reason).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Resources;
    use crate::scheduler::plugins::testing::{add_pod, node_info, pod_info};

    /// Shaped after fit_test.go TestEnoughRequests, in its units (cpu millicores, memory bytes,
    /// node allocatable 10 cpu / 20 memory / 32 pods).
    #[test]
    fn enough_requests_table() {
        type Case = (
            &'static str,
            (i64, i64),
            (i64, i64),
            Vec<&'static str>,
            Code,
        );
        let cases: Vec<Case> = vec![
            (
                "no resources requested always fits",
                (0, 0),
                (10, 20),
                vec![],
                Code::Success,
            ),
            (
                "too many resources fails",
                (1, 1),
                (10, 20),
                vec!["Insufficient cpu", "Insufficient memory"],
                Code::Unschedulable,
            ),
            (
                "cpu just over, memory exactly fits",
                (3, 1),
                (8, 19),
                vec!["Insufficient cpu"],
                Code::Unschedulable,
            ),
            ("both resources fit", (1, 1), (5, 5), vec![], Code::Success),
            ("equal edge case", (5, 5), (5, 15), vec![], Code::Success),
            (
                "one resource memory fits",
                (2, 1),
                (9, 5),
                vec!["Insufficient cpu"],
                Code::Unschedulable,
            ),
            (
                "one resource cpu fits",
                (1, 2),
                (5, 19),
                vec!["Insufficient memory"],
                Code::Unschedulable,
            ),
            (
                "requests above allocatable are unresolvable",
                (11, 1),
                (0, 0),
                vec!["Insufficient cpu"],
                Code::UnschedulableAndUnresolvable,
            ),
        ];
        for (name, (cpu, mem), (used_cpu, used_mem), reasons, code) in cases {
            let mut node = node_info("n", 10, 20, 32);
            node.requested = Resources {
                milli_cpu: used_cpu,
                memory: used_mem,
                ..Default::default()
            };
            let info = pod_info(cpu, mem);
            let st = Fit::default().filter(&CycleState::default(), &info, &node);
            assert_eq!(st.reasons, reasons, "{name}");
            assert_eq!(st.code, code, "{name}");
        }
    }

    #[test]
    fn too_many_pods() {
        let mut node = node_info("n", 10, 20, 1);
        add_pod(&mut node, "existing", 0, 0);
        let info = pod_info(0, 0);
        let st = Fit::default().filter(&CycleState::default(), &info, &node);
        assert_eq!(st.reasons, ["Too many pods"]);
        assert_eq!(st.code, Code::Unschedulable);
    }
}
