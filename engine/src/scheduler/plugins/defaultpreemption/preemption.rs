//! The preemption evaluator: which nodes might help, the dry run that finds candidates, and
//! the choice among them. Models pkg/scheduler/framework/preemption/preemption.go (Preempt,
//! findCandidates, DryRunPreemption, SelectCandidate, pickOneNodeForPreemption) and
//! pkg/scheduler/util/utils.go GetEarliestPodStartTime.
//!
//! Deterministic where upstream is not: nodes are tried in node-tree order from offset 0
//! (upstream draws a random offset), one at a time (upstream runs them in parallel), and ties
//! left after every criterion go to the first candidate in that order (upstream: map order).

use super::{pod_priority, pod_start_time, DefaultPreemption};
use crate::scheduler::framework::{Code, CycleState, NodeInfo, PodInfo, PostFilterResult, Status};
use crate::scheduler::profile::Profile;
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The reason counted for nodes the dry run did not report on.
pub const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";

/// A node where the pod fits once `victims` are evicted (`preemption.Candidate` with its
/// `extenderv1.Victims`).
#[derive(Clone, Debug)]
pub struct Candidate {
    pub name: String,
    /// Most important first.
    pub victims: Vec<Arc<PodInfo>>,
    pub num_pdb_violations: i64,
}

/// What DryRunPreemption returns: candidates (non-violating first), the statuses of the nodes
/// that are not candidates, and the error messages met.
#[derive(Clone, Debug, Default)]
pub struct DryRun {
    pub candidates: Vec<Candidate>,
    pub node_statuses: BTreeMap<String, Status>,
    pub errors: Vec<String>,
}

/// `utilerrors.NewAggregate(errs).Error()`: one message alone, several deduplicated as `[a, b]`.
fn aggregate(errs: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in errs {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    if seen.len() == 1 {
        seen[0].to_string()
    } else {
        format!("[{}]", seen.join(", "))
    }
}

/// FitError.Error() for the nodes preemption could not help: `0/N nodes are available:
/// <count> <reason>, ... .` with nodes missing from `node_statuses` counted under
/// "Preemption is not helpful for scheduling"; the reasons sorted as strings.
pub fn fit_error_message(num_all_nodes: usize, node_statuses: &BTreeMap<String, Status>) -> String {
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for st in node_statuses.values() {
        for r in &st.reasons {
            *reasons.entry(r.as_str()).or_default() += 1;
        }
    }
    if node_statuses.len() < num_all_nodes {
        *reasons.entry(PREEMPTION_NOT_HELPFUL).or_default() += num_all_nodes - node_statuses.len();
    }
    let mut parts: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
    parts.sort();
    let mut msg = format!("0/{num_all_nodes} nodes are available:");
    if !parts.is_empty() {
        msg.push_str(&format!(" {}.", parts.join(", ")));
    }
    msg
}

/// GetEarliestPodStartTime: the earliest start among the highest-priority victims.
fn earliest_start_of_highest_priority(victims: &[Arc<PodInfo>]) -> Option<u64> {
    let first = victims.first()?.pod();
    let mut earliest = pod_start_time(first);
    let mut max_priority = pod_priority(first);
    for v in victims {
        let p = pod_priority(v.pod());
        if p == max_priority {
            earliest = earliest.min(pod_start_time(v.pod()));
        } else if p > max_priority {
            max_priority = p;
            earliest = pod_start_time(v.pod());
        }
    }
    Some(earliest)
}

/// pickOneNodeForPreemption: the index of the candidate with, in order of precedence, the
/// fewest PDB violations, the lowest highest-priority victim, the smallest sum of victim
/// priorities (each shifted by MaxInt32+1), the fewest victims, the latest earliest start
/// among its highest-priority victims; then the first. Victims must be most important first.
pub fn pick_one_node_for_preemption(candidates: &[Candidate]) -> Option<usize> {
    if candidates.is_empty() {
        return None;
    }
    let score_funcs: [&dyn Fn(&Candidate) -> i64; 5] = [
        &|c| -c.num_pdb_violations,
        &|c| -i64::from(pod_priority(c.victims[0].pod())),
        &|c| {
            -c.victims
                .iter()
                .map(|v| i64::from(pod_priority(v.pod())) + i64::from(i32::MAX) + 1)
                .sum::<i64>()
        },
        &|c| -(c.victims.len() as i64),
        &|c| {
            earliest_start_of_highest_priority(&c.victims)
                .map_or(i64::MIN, |t| i64::try_from(t).unwrap_or(i64::MAX))
        },
    ];
    let mut all: Vec<usize> = (0..candidates.len()).collect();
    for f in score_funcs {
        let mut selected = Vec::new();
        let mut max = i64::MIN;
        for &i in &all {
            let s = f(&candidates[i]);
            if s > max {
                max = s;
                selected.clear();
            }
            if s == max {
                selected.push(i);
            }
        }
        if selected.len() == 1 {
            return Some(selected[0]);
        }
        all = selected;
    }
    all.first().copied()
}

/// NodesForStatusCode(Unschedulable): the nodes (in the given order) whose filter status is
/// Unschedulable; a node missing from `statuses` counts as UnschedulableAndUnresolvable.
pub fn nodes_where_preemption_might_help<'a>(
    nodes: impl Iterator<Item = &'a NodeInfo>,
    statuses: &BTreeMap<String, Status>,
) -> Vec<&'a NodeInfo> {
    nodes
        .filter(|n| {
            statuses
                .get(&n.name)
                .is_some_and(|s| s.code == Code::Unschedulable)
        })
        .collect()
}

/// SelectCandidate: the only candidate, or pickOneNodeForPreemption's.
pub fn select_candidate(candidates: &[Candidate]) -> Option<&Candidate> {
    match candidates.len() {
        0 => None,
        1 => Some(&candidates[0]),
        _ => pick_one_node_for_preemption(candidates).map(|i| &candidates[i]),
    }
}

impl DefaultPreemption {
    /// DryRunPreemption, one node at a time from `offset` (wrapping): SelectVictimsOnNode on
    /// copies of each node and the cycle state, until at least one non-violating candidate is
    /// found and `num_candidates` in all. Each list keeps at most `num_candidates`.
    #[allow(clippy::too_many_arguments)] // upstream's DryRunPreemption arguments, and the snapshot
    pub fn dry_run_preemption(
        &self,
        profile: &Profile,
        state: &CycleState,
        pod: &PodInfo,
        potential_nodes: &[&NodeInfo],
        offset: usize,
        num_candidates: usize,
        snapshot: &Snapshot,
    ) -> DryRun {
        let mut out = DryRun::default();
        let mut non_violating = Vec::new();
        let mut violating = Vec::new();
        let n = potential_nodes.len();
        for i in 0..n {
            let mut node = potential_nodes[(offset + i) % n].clone();
            let mut state_copy = state.clone();
            let (victims, num_pdb_violations, mut st) =
                self.select_victims_on_node(profile, &mut state_copy, pod, &mut node, snapshot);
            if st.is_success() && !victims.is_empty() {
                let list = if num_pdb_violations == 0 {
                    &mut non_violating
                } else {
                    &mut violating
                };
                if list.len() < num_candidates {
                    list.push(Candidate {
                        name: node.name.clone(),
                        victims,
                        num_pdb_violations,
                    });
                }
                if !non_violating.is_empty()
                    && non_violating.len() + violating.len() >= num_candidates
                {
                    break;
                }
                continue;
            }
            if st.is_success() {
                st = Status::new(
                    Code::Error,
                    vec![format!(
                        "expected at least one victim pod on node {:?}",
                        node.name
                    )],
                );
            }
            if st.code == Code::Error {
                out.errors.push(st.message());
            }
            out.node_statuses.insert(node.name.clone(), st);
        }
        non_violating.extend(violating);
        out.candidates = non_violating;
        out
    }

    /// Evaluator.Preempt without extenders: eligibility, candidates among the nodes whose
    /// filter status is Unschedulable (nodesWherePreemptionMightHelp), then the best one.
    /// Evicting the victims is left to the caller.
    pub fn preempt(
        &self,
        profile: &Profile,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &BTreeMap<String, Status>,
    ) -> (Option<PostFilterResult>, Status) {
        let p = pod.pod();
        // A node missing from the statuses counts as UnschedulableAndUnresolvable.
        let nominated_code = statuses
            .get(&p.status.nominated_node_name)
            .map_or(Code::UnschedulableAndUnresolvable, |s| s.code);
        if let Err(msg) = self.pod_eligible_to_preempt_others(p, snapshot, nominated_code) {
            return (None, Status::unschedulable(&msg));
        }
        let all = snapshot.len();
        if all == 0 {
            return (
                None,
                Status::new(Code::Error, vec!["no nodes available".into()]),
            );
        }
        let potential = nodes_where_preemption_might_help(snapshot.list(), statuses);
        let dry = if potential.is_empty() {
            DryRun::default()
        } else {
            let num = self.args.calculate_num_candidates(potential.len() as i32);
            self.dry_run_preemption(
                profile,
                state,
                pod,
                &potential,
                0,
                num.max(0) as usize,
                snapshot,
            )
        };
        if !dry.errors.is_empty() && dry.candidates.is_empty() {
            return (None, Status::new(Code::Error, vec![aggregate(&dry.errors)]));
        }
        let Some(best) = select_candidate(&dry.candidates) else {
            return (
                Some(PostFilterResult::default()),
                Status::unschedulable(&fit_error_message(all, &dry.node_statuses)),
            );
        };
        (
            Some(PostFilterResult {
                nominated_node: best.name.clone(),
                victims: best.victims.clone(),
            }),
            Status::success(),
        )
    }
}
