//! PreFilter (matching pods per topology value of each DoNotSchedule constraint and the two
//! smallest, its critical paths), the AddPod/RemovePod extensions preemption uses, and Filter
//! (matching + self - global minimum <= maxSkew). Models
//! pkg/scheduler/framework/plugins/podtopologyspread/filtering.go.
//!
//! Topology values are visited in sorted order where upstream walks a Go map; only which of two
//! equal minima a critical path names can depend on that.

use super::common::{
    build_default_constraints, filter_topology_spread_constraints,
    node_labels_match_spread_constraints, topology_keys, Constraint, DO_NOT_SCHEDULE,
};
use super::{PodTopologySpread, ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH};
use crate::api::{Node, Pod};
use crate::scheduler::framework::{
    Code, CycleState, FilterPlugin, NodeInfo, PodInfo, PreFilterPlugin, PreFilterResult, Status,
};
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `preFilterStateKey`.
pub const PRE_FILTER_STATE_KEY: &str = "PreFilterPodTopologySpread";

/// `math.MaxInt32`, the match number of an unset critical path.
const MAX_INT32: i64 = i32::MAX as i64;

/// One of the two critical paths: a topology value and its matching pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalPath {
    pub topology_value: String,
    pub match_num: i64,
}

/// `criticalPaths`: `[0]` always holds the minimum match number, `[1]` one at least as large
/// (not necessarily the second smallest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalPaths(pub [CriticalPath; 2]);

impl Default for CriticalPaths {
    /// `newCriticalPaths`.
    fn default() -> Self {
        let unset = CriticalPath {
            topology_value: String::new(),
            match_num: MAX_INT32,
        };
        CriticalPaths([unset.clone(), unset])
    }
}

impl CriticalPaths {
    /// `criticalPaths.update`.
    pub fn update(&mut self, tp_val: &str, num: i64) {
        let p = &mut self.0;
        let i = if tp_val == p[0].topology_value {
            Some(0)
        } else if tp_val == p[1].topology_value {
            Some(1)
        } else {
            None
        };
        match i {
            Some(i) => {
                p[i].match_num = num;
                if p[0].match_num > p[1].match_num {
                    p.swap(0, 1);
                }
            }
            None => {
                if num < p[0].match_num {
                    p[1] = p[0].clone();
                    p[0] = CriticalPath {
                        topology_value: tp_val.to_string(),
                        match_num: num,
                    };
                } else if num < p[1].match_num {
                    p[1] = CriticalPath {
                        topology_value: tp_val.to_string(),
                        match_num: num,
                    };
                }
            }
        }
    }
}

/// `preFilterState`: per DoNotSchedule constraint, matching pods per topology value and the
/// critical paths. Constraints are shared between clones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreFilterState {
    pub constraints: Arc<Vec<Constraint>>,
    pub critical_paths: Vec<CriticalPaths>,
    pub tp_value_to_match_num: Vec<BTreeMap<String, i64>>,
}

impl PreFilterState {
    /// `minMatchNum`: the global minimum, 0 with fewer eligible domains than minDomains.
    pub fn min_match_num(&self, i: usize, min_domains: i32) -> i64 {
        let domains = self.tp_value_to_match_num[i].len() as i64;
        if domains < i64::from(min_domains) {
            0
        } else {
            self.critical_paths[i].0[0].match_num
        }
    }

    /// `updateWithPod`: counts `updated` (delta +1 or -1) on `node` for every constraint whose
    /// selector matches it and whose inclusion policies admit the node.
    fn update_with_pod(&mut self, updated: &Pod, preemptor: &Pod, node: &Node, delta: i64) {
        if updated.metadata.namespace != preemptor.metadata.namespace {
            return;
        }
        let labels = &node.metadata.labels;
        if !node_labels_match_spread_constraints(labels, &self.constraints) {
            return;
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if !c.selector.matches(&updated.metadata.labels) {
                continue;
            }
            if !c.match_node_inclusion_policies(preemptor, node) {
                continue;
            }
            let v = labels.get(&c.topology_key).cloned().unwrap_or_default();
            let n = self.tp_value_to_match_num[i].entry(v.clone()).or_insert(0);
            *n += delta;
            let n = *n;
            self.critical_paths[i].update(&v, n);
        }
    }
}

/// The error upstream gives when the state was never written.
fn state_not_found(key: &str) -> Status {
    Status::new(
        Code::Error,
        vec![format!("reading \"{key}\" from cycleState: not found")],
    )
}

impl PodTopologySpread {
    /// `getConstraints`: the pod's DoNotSchedule constraints, or the default ones when it has
    /// none at all.
    pub fn get_constraints(
        &self,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> Result<Vec<Constraint>, String> {
        if !pod.spec.topology_spread_constraints.is_empty() {
            filter_topology_spread_constraints(
                &pod.spec.topology_spread_constraints,
                &pod.metadata.labels,
                DO_NOT_SCHEDULE,
            )
            .map_err(|e| format!("obtaining pod's hard topology spread constraints: {e}"))
        } else {
            build_default_constraints(&self.default_constraints, pod, snapshot, DO_NOT_SCHEDULE)
                .map_err(|e| format!("setting default hard topology spread constraints: {e}"))
        }
    }

    /// `calPreFilterState` over every node of the snapshot, as upstream counts: every pod of
    /// every node matched against each constraint's selector (the reference for the cached
    /// counting).
    #[cfg(test)]
    pub(crate) fn cal_pre_filter_state_reference(
        &self,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> Result<PreFilterState, String> {
        use super::common::count_pods_match_selector;
        let constraints = self
            .get_constraints(pod, snapshot)
            .map_err(|e| format!("get constraints from pod: {e}"))?;
        if constraints.is_empty() {
            return Ok(PreFilterState::default());
        }
        let mut tp = vec![BTreeMap::<String, i64>::new(); constraints.len()];
        for node_info in snapshot.list() {
            let node = &node_info.node;
            if !node_labels_match_spread_constraints(&node.metadata.labels, &constraints) {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if !c.match_node_inclusion_policies(pod, node) {
                    continue;
                }
                let value = &node.metadata.labels[&c.topology_key];
                let count = count_pods_match_selector(
                    &node_info.pods,
                    &c.selector,
                    &pod.metadata.namespace,
                );
                match tp[i].get_mut(value) {
                    Some(n) => *n += count,
                    None => {
                        tp[i].insert(value.clone(), count);
                    }
                }
            }
        }
        Ok(Self::with_critical_paths(constraints, tp))
    }

    /// `calPreFilterState` over every node of the snapshot, from the cache: a constraint that
    /// admits every node takes its domains (nodes with every topology key) as they are;
    /// otherwise the nodes are walked with their cached counts.
    pub fn cal_pre_filter_state(
        &self,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> Result<PreFilterState, String> {
        let constraints = self
            .get_constraints(pod, snapshot)
            .map_err(|e| format!("get constraints from pod: {e}"))?;
        if constraints.is_empty() {
            return Ok(PreFilterState::default());
        }
        let required = topology_keys(&constraints);
        let mut cache = self.cache.lock();
        let ns = &pod.metadata.namespace;
        let mut tp = vec![BTreeMap::<String, i64>::new(); constraints.len()];
        for (i, c) in constraints.iter().enumerate() {
            let e = cache.entry(snapshot, ns, &c.selector);
            if c.includes_every_node(pod) {
                tp[i] = e
                    .domains(snapshot, &c.topology_key, &required)
                    .iter()
                    .filter(|(_, d)| d.nodes > 0)
                    .map(|(v, d)| (v.clone(), d.pods))
                    .collect();
                continue;
            }
            for (slot, node_info) in snapshot.slots().iter().enumerate() {
                let node = &node_info.node;
                if !node_labels_match_spread_constraints(&node.metadata.labels, &constraints)
                    || !c.match_node_inclusion_policies(pod, node)
                {
                    continue;
                }
                let value = &node.metadata.labels[&c.topology_key];
                let count = e.count(slot);
                // Looked up first: the value is copied only when new.
                match tp[i].get_mut(value) {
                    Some(n) => *n += count,
                    None => {
                        tp[i].insert(value.clone(), count);
                    }
                }
            }
        }
        Ok(Self::with_critical_paths(constraints, tp))
    }

    /// The state with each constraint's critical paths, topology values in sorted order.
    fn with_critical_paths(
        constraints: Vec<Constraint>,
        tp: Vec<BTreeMap<String, i64>>,
    ) -> PreFilterState {
        let critical_paths = tp
            .iter()
            .map(|m| {
                let mut p = CriticalPaths::default();
                for (v, n) in m {
                    p.update(v, *n);
                }
                p
            })
            .collect();
        PreFilterState {
            constraints: Arc::new(constraints),
            critical_paths,
            tp_value_to_match_num: tp,
        }
    }
}

impl PreFilterPlugin for PodTopologySpread {
    /// Skip when the pod has no DoNotSchedule constraint (its own or default).
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        match self.cal_pre_filter_state(pod.pod(), snapshot) {
            Err(e) => (None, Status::new(Code::Error, vec![e])),
            Ok(s) if s.constraints.is_empty() => (None, Status::skip()),
            Ok(s) => {
                state.write(PRE_FILTER_STATE_KEY, s);
                (None, Status::success())
            }
        }
    }

    fn add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        pod_to_add: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return state_not_found(PRE_FILTER_STATE_KEY);
        };
        s.update_with_pod(pod_to_add.pod(), pod.pod(), &node.node, 1);
        Status::success()
    }

    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        pod_to_remove: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return state_not_found(PRE_FILTER_STATE_KEY);
        };
        s.update_with_pod(pod_to_remove.pod(), pod.pod(), &node.node, -1);
        Status::success()
    }
}

impl FilterPlugin for PodTopologySpread {
    /// UnschedulableAndUnresolvable when the node lacks a topology key; Unschedulable when
    /// placing the pod would make some constraint's skew exceed maxSkew.
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return state_not_found(PRE_FILTER_STATE_KEY);
        };
        let pod_labels = &pod.pod().metadata.labels;
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(tp_val) = node.node.metadata.labels.get(&c.topology_key) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let min_match_num = s.min_match_num(i, c.min_domains);
            let self_match_num = i64::from(c.selector.matches(pod_labels));
            let match_num = s.tp_value_to_match_num[i].get(tp_val).copied().unwrap_or(0);
            let skew = match_num + self_match_num - min_match_num;
            if skew > i64::from(c.max_skew) {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

#[cfg(test)]
#[path = "filtering_tests.rs"]
mod tests;
