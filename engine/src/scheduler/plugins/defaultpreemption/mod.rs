//! DefaultPreemption PostFilter: when no node fits, find a node where evicting lower-priority
//! pods lets the pod fit, and nominate it with those victims. Models
//! pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go (this file) and
//! pkg/scheduler/framework/preemption/preemption.go (preemption.rs).
//!
//! Not modelled: PodDisruptionBudgets (every victim counts as non-violating), extenders,
//! nominated pods in the filters (RunFilterPluginsWithNominatedPods runs the plain filters),
//! async preemption (PreEnqueue) and pod-group preemption. The candidate search starts at
//! offset 0 instead of a random one. Evicting the victims is the scheduler's (prepareCandidate).

mod args;
mod preemption;
#[cfg(test)]
mod tests;

pub use args::{DefaultPreemptionArgs, DefaultPreemptionArgsConfig};
pub use preemption::{
    fit_error_message, nodes_where_preemption_might_help, pick_one_node_for_preemption,
    select_candidate, Candidate, DryRun, PREEMPTION_NOT_HELPFUL,
};

use crate::api::Pod;
use crate::scheduler::framework::{
    Code, CycleState, NodeInfo, Plugin, PodInfo, PostFilterPlugin, PostFilterResult, Status,
};
use crate::scheduler::profile::Profile;
use crate::scheduler::snapshot::Snapshot;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const NAME: &str = "DefaultPreemption";

/// The reason when SelectVictimsOnNode finds no lower-priority pod on a node.
pub const NO_VICTIMS_REASON: &str = "No preemption victims found for incoming pod";
/// PodEligibleToPreemptOthers' reason for preemptionPolicy Never.
pub const NOT_ELIGIBLE_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
/// PodEligibleToPreemptOthers' reason while an earlier victim is still terminating.
pub const NOT_ELIGIBLE_TERMINATING: &str =
    "not eligible due to a terminating pod on the nominated node.";

/// `IsEligiblePodFunc`: may `victim` on `node` be preempted by `preemptor` (beyond the
/// lower-priority rule)?
pub type IsEligiblePodFn = Arc<dyn Fn(&NodeInfo, &PodInfo, &Pod) -> bool>;
/// `MoreImportantPodFunc`: is the first pod more important (reprieved first)?
pub type MoreImportantPodFn = Arc<dyn Fn(&Pod, &Pod) -> bool>;

/// The DefaultPreemption plugin. The two hooks are public as upstream's are.
#[derive(Clone)]
pub struct DefaultPreemption {
    pub args: DefaultPreemptionArgs,
    /// Default: every pod (only the priority rule applies).
    pub is_eligible_pod: IsEligiblePodFn,
    /// Default: [`more_important_pod`].
    pub more_important_pod: MoreImportantPodFn,
}

impl std::fmt::Debug for DefaultPreemption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultPreemption")
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl Default for DefaultPreemption {
    fn default() -> Self {
        Self::with_args(DefaultPreemptionArgs::default())
    }
}

/// Builds the plugin from its args (defaults for unset fields), validated as upstream's New.
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    let config = crate::scheduler::registry::parse_args::<DefaultPreemptionArgsConfig>(args)?;
    let args = DefaultPreemptionArgs::from(config);
    args.validate()?;
    Ok(Box::new(DefaultPreemption::with_args(args)))
}

/// `corev1helpers.PodPriority`: the spec priority, 0 when unset.
pub fn pod_priority(pod: &Pod) -> i32 {
    pod.spec.priority.unwrap_or(0)
}

/// `util.GetPodStartTime` as an orderable instant: the start time, or the latest possible
/// instant for a pod that has not started (upstream reads the wall clock: "now").
pub fn pod_start_time(pod: &Pod) -> u64 {
    pod.status.start_time.map_or(u64::MAX, |t| t.0 .0)
}

/// `util.MoreImportantPod`: higher priority, then the earlier start time.
pub fn more_important_pod(p1: &Pod, p2: &Pod) -> bool {
    let (a, b) = (pod_priority(p1), pod_priority(p2));
    if a != b {
        return a > b;
    }
    pod_start_time(p1) < pod_start_time(p2)
}

/// podTerminatingByPreemption: being deleted, with DisruptionTarget=True for
/// PreemptionByScheduler (the first DisruptionTarget condition decides).
fn pod_terminating_by_preemption(p: &Pod) -> bool {
    if p.metadata.deletion_timestamp.is_none() {
        return false;
    }
    p.status
        .conditions
        .iter()
        .find(|c| c.type_ == "DisruptionTarget")
        .is_some_and(|c| c.status == "True" && c.reason == "PreemptionByScheduler")
}

/// Wraps a failed PreFilter extension as the framework does
/// (`running <op> on PreFilter plugin "<name>": <err>`), as an Error status.
fn extension_error(op: &str, st: &Status) -> Status {
    Status::new(
        Code::Error,
        vec![format!(
            "running {op} on PreFilter plugin {:?}: {}",
            st.plugin,
            st.message()
        )],
    )
}

impl DefaultPreemption {
    pub fn with_args(args: DefaultPreemptionArgs) -> Self {
        DefaultPreemption {
            args,
            is_eligible_pod: Arc::new(|_, _, _| true),
            more_important_pod: Arc::new(more_important_pod),
        }
    }

    /// isPreemptionAllowed: lower priority than the preemptor, and eligible.
    pub fn is_preemption_allowed(
        &self,
        node: &NodeInfo,
        victim: &PodInfo,
        preemptor: &Pod,
    ) -> bool {
        pod_priority(victim.pod()) < pod_priority(preemptor)
            && (self.is_eligible_pod)(node, victim, preemptor)
    }

    /// An ordering from `more_important_pod` (more important first; ties keep their order).
    fn importance(&self, a: &PodInfo, b: &PodInfo) -> Ordering {
        if (self.more_important_pod)(a.pod(), b.pod()) {
            Ordering::Less
        } else if (self.more_important_pod)(b.pod(), a.pod()) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }

    /// PodEligibleToPreemptOthers: Err(reason) when the pod should not preempt. A pod with
    /// preemptionPolicy Never never does; a pod whose nominated node still has a victim
    /// terminating by preemption waits, unless the filters found that node
    /// UnschedulableAndUnresolvable (`nominated_node_code`; Success stands for a nil status).
    pub fn pod_eligible_to_preempt_others(
        &self,
        pod: &Pod,
        snapshot: &Snapshot,
        nominated_node_code: Code,
    ) -> Result<(), String> {
        if pod.spec.preemption_policy.as_deref() == Some("Never") {
            return Err(NOT_ELIGIBLE_NEVER.into());
        }
        let nominated = &pod.status.nominated_node_name;
        if !nominated.is_empty() {
            if nominated_node_code == Code::UnschedulableAndUnresolvable {
                return Ok(());
            }
            if let Some(node) = snapshot.get(nominated) {
                let terminating = node.pods.iter().any(|p| {
                    self.is_preemption_allowed(node, p, pod)
                        && pod_terminating_by_preemption(p.pod())
                });
                if terminating {
                    return Err(NOT_ELIGIBLE_TERMINATING.into());
                }
            }
        }
        Ok(())
    }

    /// SelectVictimsOnNode on a copy of the node and cycle state: remove every pod the pod may
    /// preempt, check the pod fits, then reprieve the most important ones while it still fits.
    /// Returns the victims (most important first), the number of PDB-violating victims (always
    /// 0: PDBs are not modelled) and the status.
    /// `snapshot` gives the pods nominated to the node (counted by the filters).
    pub fn select_victims_on_node(
        &self,
        profile: &Profile,
        state: &mut CycleState,
        pod: &PodInfo,
        node: &mut NodeInfo,
        snapshot: &Snapshot,
    ) -> (Vec<Arc<PodInfo>>, i64, Status) {
        let remove = |state: &mut CycleState, node: &mut NodeInfo, pi: &Arc<PodInfo>| {
            let (ns, name) = pi.key();
            node.remove_pod(&ns, &name);
            let st = profile.run_pre_filter_remove_pod(state, pod, pi, node);
            if st.is_success() {
                Ok(())
            } else {
                Err(extension_error("RemovePod", &st))
            }
        };
        let add = |state: &mut CycleState, node: &mut NodeInfo, pi: &Arc<PodInfo>| {
            node.add_pod(pi.clone());
            let st = profile.run_pre_filter_add_pod(state, pod, pi, node);
            if st.is_success() {
                Ok(())
            } else {
                Err(extension_error("AddPod", &st))
            }
        };
        let mut potential: Vec<Arc<PodInfo>> = node
            .pods
            .iter()
            .filter(|p| self.is_preemption_allowed(node, p, pod.pod()))
            .cloned()
            .collect();
        for pi in &potential {
            if let Err(st) = remove(state, node, pi) {
                return (vec![], 0, st);
            }
        }
        if potential.is_empty() {
            return (vec![], 0, Status::unresolvable(NO_VICTIMS_REASON));
        }
        let st = profile.run_filter_with_nominated(state, pod, node, snapshot);
        if !st.is_success() {
            return (vec![], 0, st);
        }
        // Stable; upstream's sort.Slice is stable only for short lists (insertion sort).
        potential.sort_by(|a, b| self.importance(a, b));
        // Without PDBs every potential victim is non-violating.
        let mut victims = Vec::new();
        for pi in potential {
            if let Err(st) = add(state, node, &pi) {
                return (vec![], 0, st);
            }
            if !profile
                .run_filter_with_nominated(state, pod, node, snapshot)
                .is_success()
            {
                if let Err(st) = remove(state, node, &pi) {
                    return (vec![], 0, st);
                }
                victims.push(pi);
            }
        }
        (victims, 0, Status::success())
    }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &str {
        NAME
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        Some(self)
    }
}

impl PostFilterPlugin for DefaultPreemption {
    /// PostFilter: Evaluator.Preempt, its message prefixed with "preemption: ".
    fn post_filter(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &BTreeMap<String, Status>,
        profile: &Profile,
    ) -> (Option<PostFilterResult>, Status) {
        let (result, st) = self.preempt(profile, state, pod, snapshot, statuses);
        let msg = st.message();
        if msg.is_empty() {
            return (result, st);
        }
        (
            result,
            Status::new(st.code, vec![format!("preemption: {msg}")]),
        )
    }
}
