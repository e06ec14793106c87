//! PreScore (matching pods per topology value of each ScheduleAnyway constraint, over all nodes,
//! for the values the feasible nodes have), Score (sum of count x ln(domains + 2) + maxSkew - 1,
//! rounded) and NormalizeScore (fewer matching pods score higher). Models
//! pkg/scheduler/framework/plugins/podtopologyspread/scoring.go; float64 as Go computes it.

use super::common::{
    build_default_constraints, count_pods_match_selector, filter_topology_spread_constraints,
    node_labels_match_spread_constraints, topology_keys, Constraint, LABEL_HOSTNAME,
    SCHEDULE_ANYWAY,
};
use super::PodTopologySpread;
use crate::api::Pod;
use crate::scheduler::framework::{
    Code, CycleState, NodeInfo, PodInfo, PreScorePlugin, ScorePlugin, Status, MAX_NODE_SCORE,
};
use crate::scheduler::snapshot::Snapshot;
use std::collections::{BTreeMap, BTreeSet};

/// `preScoreStateKey`.
pub const PRE_SCORE_STATE_KEY: &str = "PreScorePodTopologySpread";
/// `invalidScore`.
const INVALID_SCORE: i64 = -1;

/// `preScoreState`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreScoreState {
    pub constraints: Vec<Constraint>,
    /// Feasible nodes missing some constraint's topology key (only when every key is required).
    pub ignored_nodes: BTreeSet<String>,
    /// Per constraint, matching pods per topology value of a feasible node (hostname
    /// constraints are counted per node at Score instead).
    pub topology_value_to_pod_counts: Vec<BTreeMap<String, i64>>,
    /// Per constraint, ln(number of its topology values among the feasible nodes + 2).
    pub topology_normalizing_weight: Vec<f64>,
}

/// Go's `math.Log` (src/math/log.go, FreeBSD's e_log.c; log_amd64.s does the same operations)
/// for positive normal `x`, so weights round exactly as upstream's.
pub fn go_log(x: f64) -> f64 {
    // The constants by their bits, as upstream lists them.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const L1: f64 = f64::from_bits(0x3fe5_5555_5555_5593);
    const L2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04);
    const L3: f64 = f64::from_bits(0x3fd2_4924_9422_9359);
    const L4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af);
    const L5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de);
    const L6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f);
    const L7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244);
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    // Frexp: x = f1 * 2^ki with f1 in [0.5, 1).
    let bits = x.to_bits();
    let mut ki = ((bits >> 52) & 0x7ff) as i64 - 1022;
    let mut f1 = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    if f1 < std::f64::consts::FRAC_1_SQRT_2 {
        f1 *= 2.0;
        ki -= 1;
    }
    let f = f1 - 1.0;
    let k = ki as f64;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// `topologyNormalizingWeight`: ln(size + 2).
pub fn topology_normalizing_weight(size: usize) -> f64 {
    go_log((size + 2) as f64)
}

/// round(sum over the constraints of score_for_count), `count(i, c)` giving constraint `i`'s
/// matching pods for the node, None when the node lacks its topology key.
fn score_from(s: &PreScoreState, mut count: impl FnMut(usize, &Constraint) -> Option<i64>) -> i64 {
    let mut score = 0.0f64;
    for (i, c) in s.constraints.iter().enumerate() {
        if let Some(cnt) = count(i, c) {
            score += score_for_count(cnt, c.max_skew, s.topology_normalizing_weight[i]);
        }
    }
    score.round() as i64
}

/// `scoreForCount`: cnt x weight + maxSkew - 1.
fn score_for_count(cnt: i64, max_skew: i32, tp_weight: f64) -> f64 {
    cnt as f64 * tp_weight + f64::from(max_skew - 1)
}

impl PodTopologySpread {
    /// `initPreScoreState`: the pod's ScheduleAnyway constraints (or the default ones), the
    /// ignored nodes, a zero count for each topology value of a feasible node, and weights.
    fn init_pre_score_state(
        &self,
        pod: &Pod,
        filtered: &[&NodeInfo],
        snapshot: &Snapshot,
        require_all_topologies: bool,
        cached_values: bool,
    ) -> Result<PreScoreState, String> {
        let constraints = if !pod.spec.topology_spread_constraints.is_empty() {
            filter_topology_spread_constraints(
                &pod.spec.topology_spread_constraints,
                &pod.metadata.labels,
                SCHEDULE_ANYWAY,
            )
            .map_err(|e| format!("obtaining pod's soft topology spread constraints: {e}"))?
        } else {
            build_default_constraints(&self.default_constraints, pod, snapshot, SCHEDULE_ANYWAY)
                .map_err(|e| format!("setting default soft topology spread constraints: {e}"))?
        };
        let mut s = PreScoreState {
            constraints,
            ..Default::default()
        };
        if s.constraints.is_empty() {
            return Ok(s);
        }
        s.topology_value_to_pod_counts = vec![BTreeMap::new(); s.constraints.len()];
        let mut topo_size = vec![0usize; s.constraints.len()];
        let counted: Vec<&NodeInfo> = if require_all_topologies {
            let mut counted = Vec::with_capacity(filtered.len());
            for node in filtered {
                if node_labels_match_spread_constraints(&node.node.metadata.labels, &s.constraints)
                {
                    counted.push(*node);
                } else {
                    s.ignored_nodes.insert(node.name.clone());
                }
            }
            counted
        } else {
            filtered.to_vec()
        };
        let mut cache = self.cache.lock();
        for (i, c) in s.constraints.iter().enumerate() {
            if c.topology_key == LABEL_HOSTNAME {
                continue;
            }
            // Each value of a counted node, "" for a node without the label; the snapshot's
            // own nodes by their cached value index (unless `cached_values` is false: the
            // reference for tests).
            let tp_counts = &mut s.topology_value_to_pod_counts[i];
            let values = cached_values.then(|| cache.node_values(snapshot, &c.topology_key));
            let mut seen = vec![false; values.map_or(0, |v| v.values.len())];
            for node in &counted {
                let cached = values.and_then(|v| Some((v, snapshot.slot_of(node)?)));
                let value = match cached {
                    Some((values, slot)) => match values.by_slot[slot] {
                        Some(id) if seen[id as usize] => continue,
                        Some(id) => {
                            seen[id as usize] = true;
                            values.values[id as usize].as_str()
                        }
                        None => "",
                    },
                    None => node
                        .node
                        .metadata
                        .labels
                        .get(&c.topology_key)
                        .map_or("", String::as_str),
                };
                if !tp_counts.contains_key(value) {
                    tp_counts.insert(value.to_string(), 0);
                }
            }
            topo_size[i] = tp_counts.len();
        }
        drop(cache);
        s.topology_normalizing_weight = s
            .constraints
            .iter()
            .zip(&topo_size)
            .map(|(c, &sz)| {
                let sz = if c.topology_key == LABEL_HOSTNAME {
                    filtered.len() - s.ignored_nodes.len()
                } else {
                    sz
                };
                topology_normalizing_weight(sz)
            })
            .collect();
        Ok(s)
    }
}

impl PodTopologySpread {
    /// `PreScore` up to the counting: None for Skip.
    fn pre_score_init(
        &self,
        pod: &Pod,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
        cached_values: bool,
    ) -> Result<Option<(PreScoreState, bool)>, Status> {
        if snapshot.is_empty() {
            return Ok(None);
        }
        let require_all_topologies =
            !pod.spec.topology_spread_constraints.is_empty() || !self.system_defaulted;
        let s = self
            .init_pre_score_state(pod, nodes, snapshot, require_all_topologies, cached_values)
            .map_err(|e| {
                Status::new(Code::Error, vec![format!("calculating preScoreState: {e}")])
            })?;
        if s.constraints.is_empty() {
            return Ok(None);
        }
        Ok(Some((s, require_all_topologies)))
    }

    /// `PreScore`'s counting as upstream does it: every pod of every node matched against
    /// each constraint's selector (the reference for the cached counting).
    #[cfg(test)]
    pub(crate) fn pre_score_reference(
        &self,
        pod: &Pod,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Result<Option<PreScoreState>, Status> {
        let Some((mut s, require_all_topologies)) =
            self.pre_score_init(pod, nodes, snapshot, false)?
        else {
            return Ok(None);
        };
        for node_info in snapshot.list() {
            let node = &node_info.node;
            let labels = &node.metadata.labels;
            if require_all_topologies
                && !node_labels_match_spread_constraints(labels, &s.constraints)
            {
                continue;
            }
            for (i, c) in s.constraints.iter().enumerate() {
                if !c.match_node_inclusion_policies(pod, node) {
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                // Only values of feasible nodes; never hostname (counted at Score).
                let Some(tp_count) = s.topology_value_to_pod_counts[i].get_mut(value) else {
                    continue;
                };
                *tp_count += count_pods_match_selector(
                    &node_info.pods,
                    &c.selector,
                    &pod.metadata.namespace,
                );
            }
        }
        Ok(Some(s))
    }

    /// `PreScore`'s counting from the cache: a constraint that admits every node takes its
    /// domains' totals; otherwise the nodes are walked with their cached counts.
    fn pre_score_cached(
        &self,
        pod: &Pod,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Result<Option<PreScoreState>, Status> {
        let Some((mut s, require_all_topologies)) =
            self.pre_score_init(pod, nodes, snapshot, true)?
        else {
            return Ok(None);
        };
        let required = if require_all_topologies {
            topology_keys(&s.constraints)
        } else {
            Vec::new()
        };
        let mut cache = self.cache.lock();
        let ns = &pod.metadata.namespace;
        for (i, c) in s.constraints.iter().enumerate() {
            let tp_counts = &mut s.topology_value_to_pod_counts[i];
            // Only values of feasible nodes; never hostname (counted at Score).
            if tp_counts.is_empty() {
                continue;
            }
            let e = cache.entry(snapshot, ns, &c.selector);
            if c.includes_every_node(pod) {
                let domains = e.domains(snapshot, &c.topology_key, &required);
                for (value, n) in tp_counts.iter_mut() {
                    *n = domains.get(value).map_or(0, |d| d.pods);
                }
                continue;
            }
            for (slot, node_info) in snapshot.slots().iter().enumerate() {
                let node = &node_info.node;
                let labels = &node.metadata.labels;
                if required.iter().any(|k| !labels.contains_key(k))
                    || !c.match_node_inclusion_policies(pod, node)
                {
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                if let Some(n) = tp_counts.get_mut(value) {
                    *n += e.count(slot);
                }
            }
        }
        Ok(Some(s))
    }
}

impl PreScorePlugin for PodTopologySpread {
    /// Skip when the cluster has no node or the pod has no ScheduleAnyway constraint. Nodes must
    /// have every topology key unless the constraints are the system defaults.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
    ) -> Status {
        match self.pre_score_cached(pod.pod(), nodes, snapshot) {
            Err(st) => st,
            Ok(None) => Status::skip(),
            Ok(Some(s)) => {
                state.write(PRE_SCORE_STATE_KEY, s);
                Status::success()
            }
        }
    }
}

impl PodTopologySpread {
    /// `Score` of one node; `hostname_count` gives a hostname constraint's matching pods on
    /// the node.
    fn score_with(
        s: &PreScoreState,
        node: &NodeInfo,
        mut hostname_count: impl FnMut(usize, &Constraint) -> i64,
    ) -> i64 {
        if s.ignored_nodes.contains(&node.name) {
            return 0;
        }
        score_from(s, |i, c| {
            let tp_val = node.node.metadata.labels.get(&c.topology_key)?;
            Some(if c.topology_key == LABEL_HOSTNAME {
                hostname_count(i, c)
            } else {
                s.topology_value_to_pod_counts[i]
                    .get(tp_val)
                    .copied()
                    .unwrap_or(0)
            })
        })
    }

    /// `Score` counting a hostname constraint's pods on the node itself (the reference).
    pub fn score_reference(s: &PreScoreState, pod: &Pod, node: &NodeInfo) -> i64 {
        Self::score_with(s, node, |_, c| {
            count_pods_match_selector(&node.pods, &c.selector, &pod.metadata.namespace)
        })
    }
}

impl ScorePlugin for PodTopologySpread {
    /// round(sum over the constraints whose key the node has of count x weight + maxSkew - 1);
    /// 0 for an ignored node.
    fn score(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        snapshot: &Snapshot,
    ) -> i64 {
        let mut out = Vec::with_capacity(1);
        self.score_nodes(state, pod, &[node], snapshot, &mut out);
        out[0]
    }

    /// [`ScorePlugin::score`] of each node; hostname counts come from the cache for the
    /// snapshot's own nodes.
    fn score_nodes(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
        out: &mut Vec<i64>,
    ) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            out.extend(nodes.iter().map(|_| 0));
            return;
        };
        let pod = pod.pod();
        let ns = &pod.metadata.namespace;
        let slots: Vec<Option<usize>> = nodes.iter().map(|n| snapshot.slot_of(n)).collect();
        // Per constraint, each node's matching pods (None: the node lacks the key), for the
        // snapshot's own nodes from the cache.
        let mut counts: Vec<Vec<Option<i64>>> = Vec::with_capacity(s.constraints.len());
        let mut cache = self.cache.lock();
        for (i, c) in s.constraints.iter().enumerate() {
            let values = cache.node_values(snapshot, &c.topology_key);
            let ids: Vec<Option<u32>> = slots
                .iter()
                .map(|slot| slot.and_then(|k| values.by_slot[k]))
                .collect();
            if c.topology_key == LABEL_HOSTNAME {
                let e = cache.entry(snapshot, ns, &c.selector);
                counts.push(
                    slots
                        .iter()
                        .zip(&ids)
                        .map(|(slot, id)| id.and(slot.map(|k| e.count(k))))
                        .collect(),
                );
            } else {
                let tp = &s.topology_value_to_pod_counts[i];
                let by_value: Vec<i64> = values
                    .values
                    .iter()
                    .map(|v| tp.get(v).copied().unwrap_or(0))
                    .collect();
                counts.push(
                    ids.iter()
                        .map(|id| id.map(|id| by_value[id as usize]))
                        .collect(),
                );
            }
        }
        drop(cache);
        for (j, node) in nodes.iter().enumerate() {
            let score = match slots[j] {
                Some(_) if s.ignored_nodes.contains(&node.name) => 0,
                Some(_) => score_from(s, |i, _| counts[i][j]),
                None => Self::score_reference(s, pod, node),
            };
            out.push(score);
        }
    }

    /// Ignored nodes 0; all 100 when the highest is 0; else 100 x (max + min - s) / max.
    fn normalize(
        &self,
        state: &CycleState,
        _pod: &PodInfo,
        nodes: &[&NodeInfo],
        scores: &mut [i64],
    ) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return;
        };
        let mut min_score = i64::MAX;
        let mut max_score = 0i64;
        for (node, score) in nodes.iter().zip(scores.iter_mut()) {
            if s.ignored_nodes.contains(&node.name) {
                *score = INVALID_SCORE;
                continue;
            }
            min_score = min_score.min(*score);
            max_score = max_score.max(*score);
        }
        for score in scores.iter_mut() {
            if *score == INVALID_SCORE {
                *score = 0;
                continue;
            }
            if max_score == 0 {
                *score = MAX_NODE_SCORE;
                continue;
            }
            *score = MAX_NODE_SCORE * (max_score + min_score - *score) / max_score;
        }
    }
}

#[cfg(test)]
#[path = "scoring_tests.rs"]
mod tests;
