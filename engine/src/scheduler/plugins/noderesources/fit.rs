//! NodeResourcesFit: does the node have room for the pod's requests, and how good a fit is it
//! under the configured scoring strategy? Models
//! pkg/scheduler/framework/plugins/noderesources/fit.go (v1.35; DRA-backed extended resources,
//! pod-level resources and queueing hints are not modelled).

use super::args::{
    self, NodeResourcesFitArgs, LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO,
};
use super::requested_to_capacity_ratio::scaled_shape;
use super::resource_allocation::{ResourceAllocationScorer, Strategy};
use crate::scheduler::framework::{
    Code, CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, Resources, ScorePlugin, Status,
};
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeSet;

pub const NAME: &str = "NodeResourcesFit";
/// `preFilterStateKey`.
const PRE_FILTER_STATE_KEY: &str = "PreFilterNodeResourcesFit";
/// `preScoreStateKey`.
const PRE_SCORE_STATE_KEY: &str = "PreScoreNodeResourcesFit";

/// The NodeResourcesFit plugin.
#[derive(Clone, Debug)]
pub struct Fit {
    ignored_resources: BTreeSet<String>,
    ignored_resource_groups: BTreeSet<String>,
    scorer: ResourceAllocationScorer,
}

/// `preFilterState`: the pod's requests.
#[derive(Clone, Debug)]
struct PreFilterState(Resources);

/// `preScoreState`: the pod's request for each scored resource.
#[derive(Clone, Debug)]
struct PreScoreState(Vec<i64>);

impl Default for Fit {
    /// With the defaulted args (LeastAllocated, cpu and memory weight 1).
    fn default() -> Self {
        let mut a = NodeResourcesFitArgs::default();
        args::set_defaults_fit(&mut a);
        Fit::from_args(a).expect("default args are valid")
    }
}

impl Fit {
    /// `NewFit` on args that are already defaulted: validation, then the strategy's scorer.
    pub fn from_args(a: NodeResourcesFitArgs) -> Result<Fit, String> {
        args::validate_fit(&a)?;
        let s = a
            .scoring_strategy
            .ok_or_else(|| "scoring strategy not specified".to_string())?;
        let strategy = match s.type_.as_str() {
            LEAST_ALLOCATED => Strategy::LeastAllocated,
            MOST_ALLOCATED => Strategy::MostAllocated,
            REQUESTED_TO_CAPACITY_RATIO => Strategy::RequestedToCapacityRatio(scaled_shape(
                &s.requested_to_capacity_ratio.unwrap_or_default().shape,
            )),
            other => return Err(format!("scoring strategy {other} is not supported")),
        };
        Ok(Fit {
            ignored_resources: a.ignored_resources.into_iter().collect(),
            ignored_resource_groups: a.ignored_resource_groups.into_iter().collect(),
            scorer: ResourceAllocationScorer {
                strategy,
                use_requested: false,
                resources: s.resources,
            },
        })
    }
}

/// Builds the plugin from its `NodeResourcesFitArgs` (defaulted, then validated).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    let mut a = crate::scheduler::registry::parse_args::<NodeResourcesFitArgs>(args)?;
    args::set_defaults_fit(&mut a);
    Ok(Box::new(Fit::from_args(a)?))
}

/// `InsufficientResource`: one resource the pod does not fit in, and whether it never can on
/// this node (the request alone exceeds allocatable, so preemption cannot help).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientResource {
    pub resource_name: String,
    pub reason: String,
    pub requested: i64,
    pub used: i64,
    pub capacity: i64,
    pub unresolvable: bool,
}

/// `Fits`: [`fits_request_ignoring`] with the pod's requests and nothing ignored.
pub fn fits_request(info: &PodInfo, node: &NodeInfo) -> Vec<InsufficientResource> {
    fits_request_ignoring(&info.request, node, &BTreeSet::new(), &BTreeSet::new())
}

/// `fitsRequest`: too many pods, then cpu, memory, ephemeral-storage, then scalar resources in
/// name order (a resource the node does not list has allocatable 0). Extended resources named
/// in `ignored` or whose prefix before '/' is in `ignored_groups` are not checked.
pub fn fits_request_ignoring(
    req: &Resources,
    node: &NodeInfo,
    ignored: &BTreeSet<String>,
    ignored_groups: &BTreeSet<String>,
) -> Vec<InsufficientResource> {
    let mut out = Vec::new();
    let allowed = node.allocatable.pods;
    let pods = node.pod_count();
    if pods + 1 > allowed {
        out.push(InsufficientResource {
            resource_name: "pods".into(),
            reason: "Too many pods".into(),
            requested: 1,
            used: pods,
            capacity: allowed,
            unresolvable: false,
        });
    }
    if req.milli_cpu == 0 && req.memory == 0 && req.ephemeral_storage == 0 && req.scalar.is_empty()
    {
        return out;
    }
    let (alloc, used) = (&node.allocatable, &node.requested);
    let mut check = |name: &str, want: i64, cap: i64, in_use: i64| {
        if want > 0 && want > cap - in_use {
            out.push(InsufficientResource {
                resource_name: name.to_string(),
                reason: format!("Insufficient {name}"),
                requested: want,
                used: in_use,
                capacity: cap,
                unresolvable: want > cap,
            });
        }
    };
    check("cpu", req.milli_cpu, alloc.milli_cpu, used.milli_cpu);
    check("memory", req.memory, alloc.memory, used.memory);
    check(
        "ephemeral-storage",
        req.ephemeral_storage,
        alloc.ephemeral_storage,
        used.ephemeral_storage,
    );
    for (name, &want) in &req.scalar {
        if want == 0 {
            continue;
        }
        if is_extended_resource_name(name) {
            let prefix = name.split('/').next().unwrap_or("");
            if ignored.contains(name) || ignored_groups.contains(prefix) {
                continue;
            }
        }
        let cap = alloc.scalar.get(name).copied().unwrap_or(0);
        let in_use = used.scalar.get(name).copied().unwrap_or(0);
        if want > cap - in_use {
            out.push(InsufficientResource {
                resource_name: name.clone(),
                reason: format!("Insufficient {name}"),
                requested: want,
                used: in_use,
                capacity: cap,
                unresolvable: want > cap,
            });
        }
    }
    out
}

/// `v1helper.IsExtendedResourceName`: domain-qualified, outside `kubernetes.io`, not a quota
/// `requests.` name, and a valid label key once prefixed with `requests.`.
/// A quick yes for [`fits_request_ignoring`] finding nothing insufficient: room for one more
/// pod and for each of cpu, memory and ephemeral storage, and no scalar resources requested.
/// False means "check fully", not "does not fit".
fn fits_plainly(req: &Resources, node: &NodeInfo) -> bool {
    let (alloc, used) = (&node.allocatable, &node.requested);
    let fits = |want: i64, cap: i64, in_use: i64| want <= 0 || want <= cap - in_use;
    req.scalar.is_empty()
        && node.pod_count() < alloc.pods
        && fits(req.milli_cpu, alloc.milli_cpu, used.milli_cpu)
        && fits(req.memory, alloc.memory, used.memory)
        && fits(
            req.ephemeral_storage,
            alloc.ephemeral_storage,
            used.ephemeral_storage,
        )
}

pub fn is_extended_resource_name(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    if native || name.starts_with("requests.") {
        return false;
    }
    super::validation::is_label_key(&format!("requests.{name}")).is_empty()
}

/// The status for a non-empty list of insufficient resources: Unschedulable, or
/// UnschedulableAndUnresolvable when any request exceeds the node's allocatable.
pub fn insufficient_status(insufficient: Vec<InsufficientResource>) -> Status {
    let code = if insufficient.iter().any(|r| r.unresolvable) {
        Code::UnschedulableAndUnresolvable
    } else {
        Code::Unschedulable
    };
    Status::new(code, insufficient.into_iter().map(|r| r.reason).collect())
}

impl Plugin for Fit {
    fn name(&self) -> &str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreFilterPlugin for Fit {
    /// Records the pod's requests; never Skip.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &Snapshot,
    ) -> (PreFilterResult, Status) {
        state.write(PRE_FILTER_STATE_KEY, PreFilterState(pod.request.clone()));
        (None, Status::success())
    }
}

impl FilterPlugin for Fit {
    fn filter(&self, state: &CycleState, _: &PodInfo, node: &NodeInfo) -> Status {
        let Some(PreFilterState(req)) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return Status::new(
                Code::Error,
                vec![format!(
                    "error reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
                )],
            );
        };
        if fits_plainly(req, node) {
            return Status::success();
        }
        let insufficient = fits_request_ignoring(
            req,
            node,
            &self.ignored_resources,
            &self.ignored_resource_groups,
        );
        if insufficient.is_empty() {
            return Status::success();
        }
        insufficient_status(insufficient)
    }

    fn passes(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> bool {
        match state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) {
            Some(PreFilterState(req)) if fits_plainly(req, node) => true,
            _ => self.filter_passes(state, pod, node),
        }
    }
}

impl Fit {
    /// The full Filter's answer, out of line from the quick check.
    #[cold]
    #[inline(never)]
    fn filter_passes(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> bool {
        self.filter(state, pod, node).is_success()
    }
}

impl PreScorePlugin for Fit {
    /// Records the pod's request per scored resource; never Skip.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &[&NodeInfo],
        _: &Snapshot,
    ) -> Status {
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState(self.scorer.pod_requests(pod)),
        );
        Status::success()
    }
}

impl ScorePlugin for Fit {
    /// The strategy's score, already 0..=MaxNodeScore (no normalization).
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        match state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) {
            Some(PreScoreState(reqs)) => self.scorer.score(node, reqs),
            None => self.scorer.score(node, &self.scorer.pod_requests(pod)),
        }
    }

    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        _: &Snapshot,
        out: &mut Vec<i64>,
    ) {
        match state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) {
            Some(PreScoreState(reqs)) => self.scorer.score_nodes(nodes, reqs, out),
            None => self
                .scorer
                .score_nodes(nodes, &self.scorer.pod_requests(pod), out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::args::{default_resource_spec, UtilizationShapePoint};
    use super::super::test_util::{fit_args, fit_scores, node_infos, st_node, st_pod};
    use super::*;
    use crate::api::{Container, Node, Pod, Quantity};
    use std::sync::Arc;

    const EXT_A: &str = "example.com/aaa";
    const EXT_B: &str = "example.com/bbb";
    const K8S_IO_A: &str = "kubernetes.io/something";
    const K8S_IO_B: &str = "subdomain.kubernetes.io/something";
    const HUGE_A: &str = "hugepages-2Mi";

    /// `framework.Resource` as the upstream tests write requests.
    #[derive(Clone, Copy, Default)]
    struct Usage {
        cpu: i64,
        mem: i64,
        eph: i64,
        scalar: &'static [(&'static str, i64)],
    }

    fn u(cpu: i64, mem: i64) -> Usage {
        Usage {
            cpu,
            mem,
            ..Default::default()
        }
    }

    fn us(cpu: i64, mem: i64, scalar: &'static [(&'static str, i64)]) -> Usage {
        Usage {
            cpu,
            mem,
            eph: 0,
            scalar,
        }
    }

    /// `newResourcePod`: one container per usage, every native key present (zero included).
    fn resource_pod(usages: &[Usage]) -> Pod {
        let mut p = Pod::default();
        for x in usages {
            let mut c = Container::default();
            let r = &mut c.resources.requests;
            r.insert("cpu".into(), Quantity::from_milli(x.cpu));
            r.insert("memory".into(), Quantity::from_bytes(x.mem));
            r.insert("pods".into(), Quantity::from_units(0));
            r.insert("ephemeral-storage".into(), Quantity::from_bytes(x.eph));
            for (k, v) in x.scalar {
                r.insert(k.to_string(), Quantity::from_units(*v));
            }
            p.spec.containers.push(c);
        }
        p
    }

    /// `newResourceInitPod`.
    fn init_pod(mut p: Pod, usages: &[Usage]) -> Pod {
        p.spec.init_containers = resource_pod(usages).spec.containers;
        p
    }

    /// `makeAllocatableResources`.
    fn allocatable(cpu: i64, mem: i64, pods: i64, ext_a: i64, storage: i64, huge_a: i64) -> Node {
        let mut n = Node::default();
        n.metadata.name = "node".into();
        let a = &mut n.status.allocatable;
        a.insert("cpu".into(), Quantity::from_milli(cpu));
        a.insert("memory".into(), Quantity::from_bytes(mem));
        a.insert("pods".into(), Quantity::from_units(pods));
        a.insert(EXT_A.into(), Quantity::from_units(ext_a));
        a.insert("ephemeral-storage".into(), Quantity::from_bytes(storage));
        a.insert(HUGE_A.into(), Quantity::from_bytes(huge_a));
        n
    }

    /// `framework.NewNodeInfo(pods...)` then `SetNode(node)`.
    fn node_with(node: Node, existing: Pod) -> NodeInfo {
        let mut info = NodeInfo::new(node);
        info.add_pod(Arc::new(PodInfo::from_pod(existing)));
        info
    }

    fn ir(
        name: &str,
        requested: i64,
        used: i64,
        capacity: i64,
        unresolvable: bool,
    ) -> InsufficientResource {
        InsufficientResource {
            resource_name: name.into(),
            reason: format!("Insufficient {name}"),
            requested,
            used,
            capacity,
            unresolvable,
        }
    }

    fn run_filter(fit: &Fit, pod: &Pod, node: &NodeInfo) -> Status {
        let info = PodInfo::from_pod(pod.clone());
        let mut state = CycleState::default();
        let (_, st) = fit.pre_filter(&mut state, &info, &Snapshot::new());
        assert!(st.is_success());
        fit.filter(&state, &info, node)
    }

    /// fit_test.go TestEnoughRequests (node: 10m cpu, 20 memory, 32 pods, 5 example.com/aaa,
    /// 20 ephemeral-storage, 5 hugepages-2Mi). Pod-level-resources and DRA cases are not
    /// modelled.
    #[test]
    fn enough_requests() {
        type Case = (
            &'static str,
            Pod,
            Usage,
            (&'static [&'static str], &'static [&'static str]),
            Vec<InsufficientResource>,
        );
        let none: (&[&str], &[&str]) = (&[], &[]);
        let cases: Vec<Case> = vec![
            ("no resources requested always fits", Pod::default(), u(10, 20), none, vec![]),
            (
                "too many resources fails",
                resource_pod(&[u(1, 1)]),
                u(10, 20),
                none,
                vec![ir("cpu", 1, 10, 10, false), ir("memory", 1, 20, 20, false)],
            ),
            (
                "too many resources fails due to init container cpu",
                init_pod(resource_pod(&[u(1, 1)]), &[u(3, 1)]),
                u(8, 19),
                none,
                vec![ir("cpu", 3, 8, 10, false)],
            ),
            (
                "too many resources fails due to highest init container cpu",
                init_pod(resource_pod(&[u(1, 1)]), &[u(3, 1), u(2, 1)]),
                u(8, 19),
                none,
                vec![ir("cpu", 3, 8, 10, false)],
            ),
            (
                "too many resources fails due to init container memory",
                init_pod(resource_pod(&[u(1, 1)]), &[u(1, 3)]),
                u(9, 19),
                none,
                vec![ir("memory", 3, 19, 20, false)],
            ),
            (
                "too many resources fails due to highest init container memory",
                init_pod(resource_pod(&[u(1, 1)]), &[u(1, 3), u(1, 2)]),
                u(9, 19),
                none,
                vec![ir("memory", 3, 19, 20, false)],
            ),
            (
                "init container fits because it's the max, not sum, of containers and init containers",
                init_pod(resource_pod(&[u(1, 1)]), &[u(1, 1)]),
                u(9, 19),
                none,
                vec![],
            ),
            (
                "multiple init containers fit because it's the max, not sum, of containers and init containers",
                init_pod(resource_pod(&[u(1, 1)]), &[u(1, 1), u(1, 1)]),
                u(9, 19),
                none,
                vec![],
            ),
            ("both resources fit", resource_pod(&[u(1, 1)]), u(5, 5), none, vec![]),
            (
                "one resource memory fits",
                resource_pod(&[u(2, 1)]),
                u(9, 5),
                none,
                vec![ir("cpu", 2, 9, 10, false)],
            ),
            (
                "one resource cpu fits",
                resource_pod(&[u(1, 2)]),
                u(5, 19),
                none,
                vec![ir("memory", 2, 19, 20, false)],
            ),
            ("equal edge case", resource_pod(&[u(5, 1)]), u(5, 19), none, vec![]),
            (
                "equal edge case for init container",
                init_pod(resource_pod(&[u(4, 1)]), &[u(5, 1)]),
                u(5, 19),
                none,
                vec![],
            ),
            (
                "extended resource fits",
                resource_pod(&[us(0, 0, &[(EXT_A, 1)])]),
                u(0, 0),
                none,
                vec![],
            ),
            (
                "extended resource fits for init container",
                init_pod(resource_pod(&[u(0, 0)]), &[us(0, 0, &[(EXT_A, 1)])]),
                u(0, 0),
                none,
                vec![],
            ),
            (
                "extended resource capacity enforced",
                resource_pod(&[us(1, 1, &[(EXT_A, 10)])]),
                us(0, 0, &[(EXT_A, 0)]),
                none,
                vec![ir(EXT_A, 10, 0, 5, true)],
            ),
            (
                "extended resource capacity enforced for init container",
                init_pod(resource_pod(&[u(0, 0)]), &[us(1, 1, &[(EXT_A, 10)])]),
                us(0, 0, &[(EXT_A, 0)]),
                none,
                vec![ir(EXT_A, 10, 0, 5, true)],
            ),
            (
                "extended resource allocatable enforced",
                resource_pod(&[us(1, 1, &[(EXT_A, 1)])]),
                us(0, 0, &[(EXT_A, 5)]),
                none,
                vec![ir(EXT_A, 1, 5, 5, false)],
            ),
            (
                "extended resource allocatable enforced for init container",
                init_pod(resource_pod(&[u(0, 0)]), &[us(1, 1, &[(EXT_A, 1)])]),
                us(0, 0, &[(EXT_A, 5)]),
                none,
                vec![ir(EXT_A, 1, 5, 5, false)],
            ),
            (
                "extended resource allocatable enforced for multiple containers",
                resource_pod(&[us(1, 1, &[(EXT_A, 3)]), us(1, 1, &[(EXT_A, 3)])]),
                us(0, 0, &[(EXT_A, 2)]),
                none,
                vec![ir(EXT_A, 6, 2, 5, true)],
            ),
            (
                "extended resource allocatable admits multiple init containers",
                init_pod(
                    resource_pod(&[u(0, 0)]),
                    &[us(1, 1, &[(EXT_A, 3)]), us(1, 1, &[(EXT_A, 3)])],
                ),
                us(0, 0, &[(EXT_A, 2)]),
                none,
                vec![],
            ),
            (
                "extended resource allocatable enforced for multiple init containers",
                init_pod(
                    resource_pod(&[u(0, 0)]),
                    &[us(1, 1, &[(EXT_A, 6)]), us(1, 1, &[(EXT_A, 3)])],
                ),
                us(0, 0, &[(EXT_A, 2)]),
                none,
                vec![ir(EXT_A, 6, 2, 5, true)],
            ),
            (
                "extended resource allocatable enforced for unknown resource",
                resource_pod(&[us(1, 1, &[(EXT_B, 1)])]),
                u(0, 0),
                none,
                vec![ir(EXT_B, 1, 0, 0, true)],
            ),
            (
                "extended resource allocatable enforced for unknown resource for init container",
                init_pod(resource_pod(&[u(0, 0)]), &[us(1, 1, &[(EXT_B, 1)])]),
                u(0, 0),
                none,
                vec![ir(EXT_B, 1, 0, 0, true)],
            ),
            (
                "kubernetes.io resource capacity enforced",
                resource_pod(&[us(1, 1, &[(K8S_IO_A, 10)])]),
                u(0, 0),
                none,
                vec![ir(K8S_IO_A, 10, 0, 0, true)],
            ),
            (
                "kubernetes.io resource capacity enforced for init container",
                init_pod(resource_pod(&[u(0, 0)]), &[us(1, 1, &[(K8S_IO_B, 10)])]),
                u(0, 0),
                none,
                vec![ir(K8S_IO_B, 10, 0, 0, true)],
            ),
            (
                "hugepages resource capacity enforced",
                resource_pod(&[us(1, 1, &[(HUGE_A, 10)])]),
                us(0, 0, &[(HUGE_A, 0)]),
                none,
                vec![ir(HUGE_A, 10, 0, 5, true)],
            ),
            (
                "hugepages resource capacity enforced for init container",
                init_pod(resource_pod(&[u(0, 0)]), &[us(1, 1, &[(HUGE_A, 10)])]),
                us(0, 0, &[(HUGE_A, 0)]),
                none,
                vec![ir(HUGE_A, 10, 0, 5, true)],
            ),
            (
                "hugepages resource allocatable enforced for multiple containers",
                resource_pod(&[us(1, 1, &[(HUGE_A, 3)]), us(1, 1, &[(HUGE_A, 3)])]),
                us(0, 0, &[(HUGE_A, 2)]),
                none,
                vec![ir(HUGE_A, 6, 2, 5, true)],
            ),
            (
                "skip checking ignored extended resource",
                resource_pod(&[us(1, 1, &[(EXT_B, 1)])]),
                u(0, 0),
                (&["example.com/bbb"], &[]),
                vec![],
            ),
            (
                "resources + pod overhead fits",
                overhead(resource_pod(&[u(1, 1)]), "3m", "13"),
                u(5, 5),
                none,
                vec![],
            ),
            (
                "requests + overhead does not fit for memory",
                overhead(resource_pod(&[u(1, 1)]), "1m", "15"),
                u(5, 5),
                none,
                vec![ir("memory", 16, 5, 20, false)],
            ),
            (
                "skip checking ignored extended resource via resource groups",
                resource_pod(&[us(1, 1, &[(EXT_B, 1), (K8S_IO_A, 1)])]),
                u(0, 0),
                (&[], &["example.com"]),
                vec![ir(K8S_IO_A, 1, 0, 0, true)],
            ),
            (
                "skip checking extended resource request with quantity zero via resource groups",
                resource_pod(&[us(1, 1, &[(EXT_A, 0)])]),
                us(0, 0, &[(EXT_A, 6)]),
                none,
                vec![],
            ),
        ];
        for (name, pod, existing, (ignored, groups), want) in cases {
            let mut a = fit_args(LEAST_ALLOCATED, default_resource_spec(), None);
            a.ignored_resources = ignored.iter().map(|s| s.to_string()).collect();
            a.ignored_resource_groups = groups.iter().map(|s| s.to_string()).collect();
            let fit = Fit::from_args(a).unwrap();
            let node = node_with(allocatable(10, 20, 32, 5, 20, 5), resource_pod(&[existing]));
            let got = run_filter(&fit, &pod, &node);
            let want_status = if want.is_empty() {
                Status::success()
            } else {
                insufficient_status(want.clone())
            };
            assert_eq!(got, want_status, "{name}");
            let info = PodInfo::from_pod(pod);
            let got = fits_request_ignoring(
                &info.request,
                &node,
                &fit.ignored_resources,
                &fit.ignored_resource_groups,
            );
            assert_eq!(got, want, "{name}");
        }
    }

    /// `newResourceOverheadPod` with cpu and memory overhead.
    fn overhead(mut p: Pod, cpu: &str, mem: &str) -> Pod {
        p.spec
            .overhead
            .insert("cpu".into(), Quantity::parse(cpu).unwrap());
        p.spec
            .overhead
            .insert("memory".into(), Quantity::parse(mem).unwrap());
        p
    }

    /// fit_test.go TestPreFilterDisabled: Filter without PreFilter state is an Error.
    #[test]
    fn pre_filter_disabled() {
        let fit = Fit::default();
        let node = NodeInfo::new(Node::default());
        let st = fit.filter(
            &CycleState::default(),
            &PodInfo::from_pod(Pod::default()),
            &node,
        );
        assert_eq!(st.code, Code::Error);
    }

    /// fit_test.go TestNotEnoughRequests (node allows 1 pod and already has one).
    #[test]
    fn not_enough_requests() {
        let cases = vec![
            (
                "even without specified resources, predicate fails when there's no space for additional pod",
                Pod::default(),
                u(10, 20),
            ),
            (
                "even if both resources fit, predicate fails when there's no space for additional pod",
                resource_pod(&[u(1, 1)]),
                u(5, 5),
            ),
            (
                "even for equal edge case, predicate fails when there's no space for additional pod",
                resource_pod(&[u(5, 1)]),
                u(5, 19),
            ),
            (
                "even for equal edge case, predicate fails when there's no space for additional pod due to init container",
                init_pod(resource_pod(&[u(5, 1)]), &[u(5, 1)]),
                u(5, 19),
            ),
        ];
        for (name, pod, existing) in cases {
            let node = node_with(allocatable(10, 20, 1, 0, 0, 0), resource_pod(&[existing]));
            let st = run_filter(&Fit::default(), &pod, &node);
            assert_eq!(st, Status::unschedulable("Too many pods"), "{name}");
        }
    }

    /// fit_test.go TestStorageRequests.
    #[test]
    fn storage_requests() {
        let eph = |e: i64| Usage {
            eph: e,
            ..Default::default()
        };
        let cases = vec![
            (
                "empty storage requested, and pod fits",
                resource_pod(&[u(1, 1)]),
                u(2, 10),
                Status::success(),
            ),
            (
                "storage ephemeral local storage request exceeds allocatable",
                resource_pod(&[eph(25)]),
                u(2, 2),
                Status::unresolvable("Insufficient ephemeral-storage"),
            ),
            (
                "ephemeral local storage is sufficient",
                init_pod(resource_pod(&[eph(5)]), &[]),
                Usage {
                    cpu: 2,
                    mem: 2,
                    eph: 10,
                    scalar: &[],
                },
                Status::success(),
            ),
            (
                "pod fits",
                resource_pod(&[eph(10)]),
                u(2, 2),
                Status::success(),
            ),
        ];
        for (name, pod, existing, want) in cases {
            let node = node_with(allocatable(10, 20, 32, 5, 20, 5), resource_pod(&[existing]));
            assert_eq!(run_filter(&Fit::default(), &pod, &node), want, "{name}");
        }
    }

    /// fit_test.go TestFitScore (the sidecar and DRA cases are not modelled).
    #[test]
    fn fit_score() {
        let nodes = || {
            vec![
                st_node("node1", &[("cpu", "4000"), ("memory", "10000")]),
                st_node("node2", &[("cpu", "6000"), ("memory", "10000")]),
            ]
        };
        let existing = || {
            vec![
                st_pod()
                    .node("node1")
                    .req(&[("cpu", "2000"), ("memory", "4000")])
                    .obj(),
                st_pod()
                    .node("node2")
                    .req(&[("cpu", "1000"), ("memory", "2000")])
                    .obj(),
            ]
        };
        let p = |utilization, score| UtilizationShapePoint { utilization, score };
        let big = || st_pod().req(&[("cpu", "3000"), ("memory", "5000")]).obj();
        let small = || st_pod().req(&[("cpu", "1000"), ("memory", "2000")]).obj();
        type Case = (
            &'static str,
            Pod,
            &'static str,
            Option<Vec<UtilizationShapePoint>>,
            bool,
            Vec<i64>,
        );
        let cases: Vec<Case> = vec![
            (
                "test case for ScoringStrategy RequestedToCapacityRatio case1",
                big(),
                REQUESTED_TO_CAPACITY_RATIO,
                Some(vec![p(0, 10), p(100, 0)]),
                true,
                vec![10, 32],
            ),
            (
                "test case for ScoringStrategy RequestedToCapacityRatio case2",
                big(),
                REQUESTED_TO_CAPACITY_RATIO,
                Some(vec![p(0, 0), p(100, 10)]),
                true,
                vec![95, 68],
            ),
            (
                "test case for ScoringStrategy MostAllocated",
                small(),
                MOST_ALLOCATED,
                None,
                true,
                vec![67, 36],
            ),
            (
                "test case for ScoringStrategy LeastAllocated",
                small(),
                LEAST_ALLOCATED,
                None,
                true,
                vec![32, 63],
            ),
            (
                "test case for ScoringStrategy RequestedToCapacityRatio case1 if PreScore is not called",
                big(),
                REQUESTED_TO_CAPACITY_RATIO,
                Some(vec![p(0, 10), p(100, 0)]),
                false,
                vec![10, 32],
            ),
            (
                "test case for ScoringStrategy MostAllocated if PreScore is not called",
                small(),
                MOST_ALLOCATED,
                None,
                false,
                vec![67, 36],
            ),
            (
                "test case for ScoringStrategy LeastAllocated if PreScore is not called",
                small(),
                LEAST_ALLOCATED,
                None,
                false,
                vec![32, 63],
            ),
        ];
        for (name, pod, type_, shape, pre_score, want) in cases {
            let got = fit_scores(
                type_,
                default_resource_spec(),
                shape,
                pod,
                nodes(),
                existing(),
                pre_score,
            );
            assert_eq!(got, Ok(want), "{name}");
        }
    }

    #[test]
    fn new_defaults_and_validates_args() {
        let p = new(None).unwrap();
        assert_eq!(p.name(), NAME);
        assert!(p.as_pre_filter().is_some() && p.as_score().is_some());
        // Weight 0 defaults to 1; an empty resource list to cpu and memory.
        assert!(new(Some(&serde_json::json!({
            "scoringStrategy": {"type": "MostAllocated", "resources": [{"name": "cpu"}]}
        })))
        .is_ok());
        let err = |v: serde_json::Value| new(Some(&v)).err().unwrap();
        assert_eq!(
            err(serde_json::json!({"scoringStrategy": {"resources": []}})),
            "scoringStrategy.type: Unsupported value: \"\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""
        );
        assert_eq!(
            err(serde_json::json!({"scoringStrategy": {"type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 200}]}})),
            "scoringStrategy.resources[0].weight: Invalid value: 200: resource weight of cpu not in valid range (0, 100]"
        );
        assert!(err(serde_json::json!({"ignoredResource": []})).contains("unknown field"));
    }

    #[test]
    fn most_allocated_from_json_scores_bin_packing() {
        let p = new(Some(&serde_json::json!({
            "scoringStrategy": {"type": "MostAllocated"}
        })))
        .unwrap();
        let infos = node_infos(
            vec![
                st_node("node1", &[("cpu", "4000"), ("memory", "10000")]),
                st_node("node2", &[("cpu", "6000"), ("memory", "10000")]),
            ],
            &[
                st_pod()
                    .node("node1")
                    .req(&[("cpu", "2000"), ("memory", "4000")])
                    .obj(),
                st_pod()
                    .node("node2")
                    .req(&[("cpu", "1000"), ("memory", "2000")])
                    .obj(),
            ],
        );
        let pod = PodInfo::from_pod(st_pod().req(&[("cpu", "1000"), ("memory", "2000")]).obj());
        let s = p.as_score().unwrap();
        let scores: Vec<i64> = infos
            .iter()
            .map(|n| s.score(&CycleState::default(), &pod, n, &Snapshot::new()))
            .collect();
        assert_eq!(scores, vec![67, 36]);
    }

    /// The shared builders: a full node rejects even a pod requesting nothing.
    #[test]
    fn too_many_pods() {
        use crate::scheduler::plugins::testing::{add_pod, node_info, pod_info};
        let mut node = node_info("n", 10, 20, 1);
        add_pod(&mut node, "existing", 0, 0);
        let info = pod_info(0, 0);
        let mut state = CycleState::default();
        Fit::default().pre_filter(&mut state, &info, &Snapshot::new());
        let st = Fit::default().filter(&state, &info, &node);
        assert_eq!(st, Status::unschedulable("Too many pods"));
        assert_eq!(
            fits_request(&info, &node),
            vec![InsufficientResource {
                resource_name: "pods".into(),
                reason: "Too many pods".into(),
                requested: 1,
                used: 1,
                capacity: 1,
                unresolvable: false,
            }]
        );
    }

    /// A request equal to allocatable is resolvable by preemption; one above it is not.
    #[test]
    fn unresolvable_only_above_allocatable() {
        let node = node_with(allocatable(10, 20, 32, 5, 20, 5), resource_pod(&[u(1, 0)]));
        assert_eq!(
            run_filter(&Fit::default(), &resource_pod(&[u(10, 0)]), &node),
            Status::unschedulable("Insufficient cpu")
        );
        assert_eq!(
            run_filter(&Fit::default(), &resource_pod(&[u(11, 0)]), &node),
            Status::unresolvable("Insufficient cpu")
        );
    }

    #[test]
    fn extended_resource_names() {
        assert!(is_extended_resource_name("example.com/aaa"));
        assert!(!is_extended_resource_name("kubernetes.io/something"));
        assert!(!is_extended_resource_name(
            "subdomain.kubernetes.io/something"
        ));
        assert!(!is_extended_resource_name("hugepages-2Mi"));
        assert!(!is_extended_resource_name("cpu"));
        assert!(!is_extended_resource_name("requests.example.com/aaa"));
    }
}
