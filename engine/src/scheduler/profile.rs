//! A scheduling profile: the plugins of one `schedulerName`, which extension points each runs
//! at, score weights, and the framework's runners for each point.
//! Models pkg/scheduler/framework/runtime/framework.go (RunPreFilterPlugins, RunFilterPlugins,
//! RunPreScorePlugins, RunScorePlugins, ...) and pkg/scheduler/schedule_one.go
//! numFeasibleNodesToFind.

use super::framework::{
    Code, CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PostFilterResult, PreFilterPlugin,
    PreFilterResult, Status, MAX_NODE_SCORE,
};
use super::registry::Registry;
use super::snapshot::Snapshot;
use crate::api::admission::DEFAULT_SCHEDULER_NAME;
use crate::api::Pod;
use std::collections::BTreeMap;

/// `minFeasibleNodesToFind`.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;

/// The default profile's plugins in upstream's order, with score weights
/// (pkg/scheduler/apis/config/v1/default_plugins.go; weight 0: no Score).
pub const DEFAULT_PLUGINS: &[(&str, i64)] = &[
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
];

/// One score plugin's results over the feasible nodes, in their order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginScores {
    pub plugin: String,
    pub weight: i64,
    /// None when the plugin skipped at PreScore.
    pub scores: Option<(Vec<i64>, Vec<i64>)>,
}

/// A profile: its plugins and where each runs.
pub struct Profile {
    pub scheduler_name: String,
    pub plugins: Vec<Box<dyn Plugin>>,
    pub pre_enqueue: Vec<usize>,
    pub pre_filter: Vec<usize>,
    pub filter: Vec<usize>,
    pub post_filter: Vec<usize>,
    pub pre_score: Vec<usize>,
    /// Score plugins with their weights.
    pub score: Vec<(usize, i64)>,
    pub reserve: Vec<usize>,
    pub permit: Vec<usize>,
    pub bind: Vec<usize>,
    /// `percentageOfNodesToScore`; 0 means adaptive.
    pub percentage_of_nodes_to_score: usize,
}

impl Profile {
    /// A profile running `plugins` (name, weight) at every extension point each implements,
    /// in the given order (MultiPoint expansion without overrides).
    pub fn multi_point(
        scheduler_name: &str,
        registry: &Registry,
        plugins: &[(&str, i64)],
    ) -> Result<Self, String> {
        let mut p = Profile {
            scheduler_name: scheduler_name.to_string(),
            plugins: Vec::new(),
            pre_enqueue: vec![],
            pre_filter: vec![],
            filter: vec![],
            post_filter: vec![],
            pre_score: vec![],
            score: vec![],
            reserve: vec![],
            permit: vec![],
            bind: vec![],
            percentage_of_nodes_to_score: 0,
        };
        for &(name, weight) in plugins {
            let plugin = registry.new_plugin(name, None)?;
            let i = p.plugins.len();
            p.plugins.push(plugin);
            p.enable_everywhere(i, weight.max(1));
        }
        Ok(p)
    }

    /// Adds plugin `i` to every extension point it implements.
    pub fn enable_everywhere(&mut self, i: usize, weight: i64) {
        let pl = &self.plugins[i];
        let points: [(bool, &mut Vec<usize>); 8] = [
            (pl.as_pre_enqueue().is_some(), &mut self.pre_enqueue),
            (pl.as_pre_filter().is_some(), &mut self.pre_filter),
            (pl.as_filter().is_some(), &mut self.filter),
            (pl.as_post_filter().is_some(), &mut self.post_filter),
            (pl.as_pre_score().is_some(), &mut self.pre_score),
            (pl.as_reserve().is_some(), &mut self.reserve),
            (pl.as_permit().is_some(), &mut self.permit),
            (pl.as_bind().is_some(), &mut self.bind),
        ];
        for (has, list) in points {
            if has {
                list.push(i);
            }
        }
        if pl.as_score().is_some() {
            self.score.push((i, weight));
        }
    }

    /// The default profile (`default-scheduler`) with upstream's default plugins.
    pub fn default_profile() -> Self {
        Self::multi_point(
            DEFAULT_SCHEDULER_NAME,
            &Registry::in_tree(),
            DEFAULT_PLUGINS,
        )
        .expect("the in-tree registry has every default plugin")
    }

    /// The plugin at index `i`'s name.
    pub fn plugin_name(&self, i: usize) -> &str {
        self.plugins[i].name()
    }

    /// numFeasibleNodesToFind: how many feasible nodes to find before scoring.
    pub fn num_feasible_nodes_to_find(&self, all_nodes: usize) -> usize {
        if all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
            return all_nodes;
        }
        let mut pct = self.percentage_of_nodes_to_score;
        if pct == 0 {
            pct = (50usize.saturating_sub(all_nodes / 125))
                .max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
        }
        let n = all_nodes * pct.min(100) / 100;
        n.max(MIN_FEASIBLE_NODES_TO_FIND)
    }

    /// RunPreEnqueuePlugins: the first rejection, or Success.
    pub fn run_pre_enqueue(&self, pod: &Pod) -> Status {
        for &i in &self.pre_enqueue {
            let pl = &self.plugins[i];
            let st = pl.as_pre_enqueue().expect("listed").pre_enqueue(pod);
            if !st.is_success() {
                return st.with_plugin(pl.name());
            }
        }
        Status::success()
    }

    /// RunPreFilterPlugins: Skip marks the plugin's Filter off; the first rejection ends the
    /// cycle; node-name results are intersected (with the plugins that narrowed them).
    pub fn run_pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Vec<String>, Status) {
        let mut result: PreFilterResult = None;
        let mut narrowed_by = Vec::new();
        for &i in &self.pre_filter {
            let pl = &self.plugins[i];
            let (r, st) = pl
                .as_pre_filter()
                .expect("listed")
                .pre_filter(state, pod, snapshot);
            if st.is_skip() {
                state.skip_filter_plugins.insert(pl.name().to_string());
                continue;
            }
            if !st.is_success() {
                return (None, narrowed_by, st.with_plugin(pl.name()));
            }
            if let Some(names) = r {
                narrowed_by.push(pl.name().to_string());
                result = Some(match result {
                    None => names,
                    Some(prev) => prev.intersection(&names).cloned().collect(),
                });
            }
        }
        (result, narrowed_by, Status::success())
    }

    /// RunFilterPlugins: the first plugin that does not pass, or Success.
    pub fn run_filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        for &i in &self.filter {
            let pl = &self.plugins[i];
            if state.skip_filter_plugins.contains(pl.name()) {
                continue;
            }
            let st = pl.as_filter().expect("listed").filter(state, pod, node);
            if !st.is_success() {
                return st.with_plugin(pl.name());
            }
        }
        Status::success()
    }

    /// RunFilterPluginsWithNominatedPods: with the pods nominated to the node that have at
    /// least the pod's priority counted there (and their PreFilter AddPod extensions run),
    /// then, if that passes and some were added, once more without them.
    pub fn run_filter_with_nominated(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        snapshot: &Snapshot,
    ) -> Status {
        let nominated = snapshot.nominated_for(&node.name, pod);
        if nominated.is_empty() {
            return self.run_filter(state, pod, node);
        }
        let mut with = node.clone();
        let mut state_with = state.clone();
        for p in nominated {
            with.add_pod(p.clone());
            let st = self.run_pre_filter_add_pod(&mut state_with, pod, &p, &with);
            if !st.is_success() {
                return st;
            }
        }
        let st = self.run_filter(&state_with, pod, &with);
        if !st.is_success() {
            return st;
        }
        self.run_filter(state, pod, node)
    }

    /// Runs `ext` (AddPod or RemovePod) on each PreFilter plugin that did not Skip; the first
    /// failure, named after its plugin, or Success.
    fn run_pre_filter_extension(
        &self,
        state: &mut CycleState,
        ext: &dyn Fn(&dyn PreFilterPlugin, &mut CycleState) -> Status,
    ) -> Status {
        for &i in &self.pre_filter {
            let pl = &self.plugins[i];
            if state.skip_filter_plugins.contains(pl.name()) {
                continue;
            }
            let st = ext(pl.as_pre_filter().expect("listed"), state);
            if !st.is_success() {
                return st.with_plugin(pl.name());
            }
        }
        Status::success()
    }

    /// The Filter plugins that run this cycle (those whose PreFilter did not Skip), in order.
    pub fn active_filters(&self, state: &CycleState) -> Vec<(&str, &dyn FilterPlugin)> {
        self.filter
            .iter()
            .map(|&i| &self.plugins[i])
            .filter(|pl| !state.skip_filter_plugins.contains(pl.name()))
            .map(|pl| (pl.name(), pl.as_filter().expect("listed")))
            .collect()
    }

    /// [`Profile::run_filter`] over the plugins [`Profile::active_filters`] listed: None when
    /// every one passes, else the first rejection.
    pub fn run_active_filters(
        active: &[(&str, &dyn FilterPlugin)],
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
    ) -> Option<Status> {
        for (name, pl) in active {
            if pl.passes(state, pod, node) {
                continue;
            }
            let st = pl.filter(state, pod, node);
            if !st.is_success() {
                return Some(st.with_plugin(name));
            }
        }
        None
    }

    /// RunPreFilterExtensionAddPod over the PreFilter plugins that ran.
    pub fn run_pre_filter_add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_add: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        self.run_pre_filter_extension(state, &|pl, st| pl.add_pod(st, pod, to_add, node))
    }

    /// RunPreFilterExtensionRemovePod over the PreFilter plugins that ran.
    pub fn run_pre_filter_remove_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_remove: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        self.run_pre_filter_extension(state, &|pl, st| pl.remove_pod(st, pod, to_remove, node))
    }

    /// RunPostFilterPlugins: the first plugin that finds a result, or the rejection.
    pub fn run_post_filter(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &BTreeMap<String, Status>,
    ) -> (Option<PostFilterResult>, Status) {
        let mut last = Status::new(Code::Unschedulable, vec![]);
        for &i in &self.post_filter {
            let pl = &self.plugins[i];
            let (r, st) = pl
                .as_post_filter()
                .expect("listed")
                .post_filter(state, pod, snapshot, statuses, self);
            if st.is_success() {
                return (r, st.with_plugin(pl.name()));
            }
            last = st.with_plugin(pl.name());
        }
        (None, last)
    }

    /// RunPreScorePlugins: Skip marks the plugin's Score off; an error fails the cycle.
    pub fn run_pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Status {
        for &i in &self.pre_score {
            let pl = &self.plugins[i];
            let st = pl
                .as_pre_score()
                .expect("listed")
                .pre_score(state, pod, nodes, snapshot);
            if st.is_skip() {
                state.skip_score_plugins.insert(pl.name().to_string());
            } else if !st.is_success() {
                return st.with_plugin(pl.name());
            }
        }
        Status::success()
    }

    /// RunScorePlugins: raw scores, then NormalizeScore, per plugin (weights are applied by the
    /// caller: total = sum of weight x normalized).
    pub fn run_score(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Vec<PluginScores> {
        self.score
            .iter()
            .map(|&(i, weight)| {
                let pl = &self.plugins[i];
                let scores = (!state.skip_score_plugins.contains(pl.name())).then(|| {
                    let sp = pl.as_score().expect("listed");
                    let mut raw = Vec::with_capacity(nodes.len());
                    sp.score_nodes(state, pod, nodes, snapshot, &mut raw);
                    let mut norm = raw.clone();
                    sp.normalize(state, pod, nodes, &mut norm);
                    debug_assert!(
                        norm.iter().all(|s| (0..=MAX_NODE_SCORE).contains(s)),
                        "{} normalized out of range: {norm:?}",
                        pl.name()
                    );
                    (raw, norm)
                });
                PluginScores {
                    plugin: pl.name().to_string(),
                    weight,
                    scores,
                }
            })
            .collect()
    }

    /// [`Profile::run_score`] summed: each node's total of weight x normalized score, without
    /// keeping each plugin's scores.
    pub fn run_score_totals(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Vec<i64> {
        let mut totals = vec![0i64; nodes.len()];
        let mut scores = Vec::with_capacity(nodes.len());
        for &(i, weight) in &self.score {
            let pl = &self.plugins[i];
            if state.skip_score_plugins.contains(pl.name()) {
                continue;
            }
            let sp = pl.as_score().expect("listed");
            scores.clear();
            sp.score_nodes(state, pod, nodes, snapshot, &mut scores);
            sp.normalize(state, pod, nodes, &mut scores);
            debug_assert!(
                scores.iter().all(|s| (0..=MAX_NODE_SCORE).contains(s)),
                "{} normalized out of range: {scores:?}",
                pl.name()
            );
            for (t, s) in totals.iter_mut().zip(&scores) {
                *t += weight * s;
            }
        }
        totals
    }

    /// RunReservePluginsReserve; on a failure the ones that ran are unreserved.
    pub fn run_reserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status {
        for (k, &i) in self.reserve.iter().enumerate() {
            let pl = &self.plugins[i];
            let st = pl.as_reserve().expect("listed").reserve(state, pod, node);
            if !st.is_success() {
                for &j in self.reserve[..k].iter().rev() {
                    self.plugins[j]
                        .as_reserve()
                        .expect("listed")
                        .unreserve(state, pod, node);
                }
                return st.with_plugin(pl.name());
            }
        }
        Status::success()
    }

    /// RunPermitPlugins: the first rejection, or Success.
    pub fn run_permit(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status {
        for &i in &self.permit {
            let pl = &self.plugins[i];
            let st = pl.as_permit().expect("listed").permit(state, pod, node);
            if !st.is_success() {
                return st.with_plugin(pl.name());
            }
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// schedule_one_test.go TestNumFeasibleNodesToFind, with the adaptive default.
    #[test]
    fn num_feasible_nodes_to_find_table() {
        let p = Profile::default_profile();
        for (nodes, want) in [
            (10, 10),
            (50, 50),
            (100, 100),
            (1000, 420),
            (5000, 500),
            (10000, 500),
            (6000, 300),
        ] {
            assert_eq!(p.num_feasible_nodes_to_find(nodes), want, "{nodes} nodes");
        }
        let mut fixed = Profile::default_profile();
        fixed.percentage_of_nodes_to_score = 40;
        assert_eq!(fixed.num_feasible_nodes_to_find(1000), 400);
        assert_eq!(fixed.num_feasible_nodes_to_find(200), 100);
    }
}
