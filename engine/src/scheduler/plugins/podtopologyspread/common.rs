//! What filtering and scoring share: label selectors as the plugin evaluates them, the parsed
//! constraint, node inclusion policies, default constraints and their selector, and pod counting.
//! Models pkg/scheduler/framework/plugins/podtopologyspread/common.go,
//! pkg/scheduler/framework/plugins/helper/spread.go (DefaultSelector) and
//! k8s.io/apimachinery/pkg/labels/selector.go with metav1.LabelSelectorAsSelector.

use crate::api::affinity::{required_node_affinity_matches, TopologySpreadConstraint};
use crate::api::tolerations::{
    find_matching_untolerated_taint, TAINT_EFFECT_NO_EXECUTE, TAINT_EFFECT_NO_SCHEDULE,
};
use crate::api::{LabelSelector, Node, Pod, Taint};
use crate::scheduler::framework::PodInfo;
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `v1.LabelHostname`.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `v1.LabelTopologyZone`.
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";
/// `v1.DoNotSchedule`.
pub const DO_NOT_SCHEDULE: &str = "DoNotSchedule";
/// `v1.ScheduleAnyway`.
pub const SCHEDULE_ANYWAY: &str = "ScheduleAnyway";

/// `selection.Operator` as label selectors use it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operator {
    Equals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// `labels.Requirement`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let have = labels.get(&self.key);
        match self.operator {
            Operator::Equals | Operator::In => have.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => have.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => have.is_some(),
            Operator::DoesNotExist => have.is_none(),
        }
    }
}

/// `labels.Selector`: `Nothing` (from a nil `LabelSelector`) matches no labels; otherwise all
/// requirements must hold, so no requirement (`Everything`) matches every label set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Selector {
    Nothing,
    Requirements(Vec<Requirement>),
}

impl Selector {
    /// `labels.SelectorFromSet`: one Equals requirement per label.
    pub fn from_set(set: &BTreeMap<String, String>) -> Self {
        Selector::Requirements(
            set.iter()
                .map(|(k, v)| Requirement {
                    key: k.clone(),
                    operator: Operator::Equals,
                    values: vec![v.clone()],
                })
                .collect(),
        )
    }

    /// `metav1.LabelSelectorAsSelector`. Label key and value syntax are not checked (the API
    /// server validates them).
    pub fn from_label_selector(ls: Option<&LabelSelector>) -> Result<Self, String> {
        let Some(ls) = ls else {
            return Ok(Selector::Nothing);
        };
        let mut reqs = Vec::new();
        for (k, v) in &ls.match_labels {
            reqs.push(Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: vec![v.clone()],
            });
        }
        for e in &ls.match_expressions {
            let operator = match e.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                op => return Err(format!("\"{op}\" is not a valid label selector operator")),
            };
            match operator {
                Operator::In | Operator::NotIn if e.values.is_empty() => {
                    return Err("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty".into());
                }
                Operator::Exists | Operator::DoesNotExist if !e.values.is_empty() => {
                    let vals: Vec<String> = e.values.iter().map(|v| format!("\"{v}\"")).collect();
                    return Err(format!(
                        "values: Invalid value: []string{{{}}}: values set must be empty for exists and does not exist",
                        vals.join(", ")
                    ));
                }
                _ => {}
            }
            let mut values = e.values.clone();
            values.sort();
            reqs.push(Requirement {
                key: e.key.clone(),
                operator,
                values,
            });
        }
        let mut s = Selector::Requirements(Vec::new());
        s.add(reqs);
        Ok(s)
    }

    /// `Selector.Add`: the requirements, kept sorted; Nothing stays Nothing.
    pub fn add(&mut self, more: Vec<Requirement>) {
        if let Selector::Requirements(reqs) = self {
            reqs.extend(more);
            reqs.sort();
        }
    }

    /// `Selector.Requirements`: None for Nothing.
    pub fn requirements(&self) -> Option<&[Requirement]> {
        match self {
            Selector::Nothing => None,
            Selector::Requirements(r) => Some(r),
        }
    }

    /// `Selector.Empty`: no requirement (Nothing is not empty).
    pub fn is_empty(&self) -> bool {
        matches!(self, Selector::Requirements(r) if r.is_empty())
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Requirements(reqs) => reqs.iter().all(|r| r.matches(labels)),
        }
    }
}

/// `mergeLabelSetWithSelector`: the pod's values for matchLabelKeys ANDed with the selector
/// (Nothing stays Nothing).
fn merge_label_set_with_selector(set: &BTreeMap<String, String>, s: Selector) -> Selector {
    let Some(reqs) = s.requirements() else {
        return s;
    };
    let mut merged = Selector::from_set(set);
    merged.add(reqs.to_vec());
    merged
}

/// `v1.NodeInclusionPolicy`: any value other than Honor counts as Ignore, as upstream only
/// compares with Honor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeInclusionPolicy {
    Honor,
    Ignore,
}

impl NodeInclusionPolicy {
    fn parse(v: Option<&String>, default: NodeInclusionPolicy) -> Self {
        match v.map(String::as_str) {
            None => default,
            Some("Honor") => NodeInclusionPolicy::Honor,
            Some(_) => NodeInclusionPolicy::Ignore,
        }
    }
}

/// `topologySpreadConstraint`: a pod's constraint with its selector parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    pub max_skew: i32,
    pub topology_key: String,
    pub selector: Selector,
    pub min_domains: i32,
    pub node_affinity_policy: NodeInclusionPolicy,
    pub node_taints_policy: NodeInclusionPolicy,
}

/// `helper.DoNotScheduleTaintsFilterFunc`.
fn do_not_schedule(t: &Taint) -> bool {
    t.effect == TAINT_EFFECT_NO_SCHEDULE || t.effect == TAINT_EFFECT_NO_EXECUTE
}

impl Constraint {
    /// Whether [`Constraint::match_node_inclusion_policies`] admits every node for `pod`: the
    /// taints policy is Ignore and, under Honor, the pod has no nodeSelector and no required
    /// node affinity.
    pub fn includes_every_node(&self, pod: &Pod) -> bool {
        let affinity_free = pod.spec.node_selector.is_empty()
            && pod
                .spec
                .affinity
                .as_ref()
                .and_then(|a| a.node_affinity.as_ref())
                .and_then(|na| na.required.as_ref())
                .is_none();
        (self.node_affinity_policy == NodeInclusionPolicy::Ignore || affinity_free)
            && self.node_taints_policy == NodeInclusionPolicy::Ignore
    }

    /// `matchNodeInclusionPolicies`: Honor of node affinity needs the pod's nodeSelector and
    /// required node affinity to match the node; Honor of taints needs every NoSchedule and
    /// NoExecute taint tolerated.
    pub fn match_node_inclusion_policies(&self, pod: &Pod, node: &Node) -> bool {
        if self.node_affinity_policy == NodeInclusionPolicy::Honor
            && !required_node_affinity_matches(
                &pod.spec.node_selector,
                pod.spec.affinity.as_ref(),
                node,
            )
        {
            return false;
        }
        if self.node_taints_policy == NodeInclusionPolicy::Honor
            && find_matching_untolerated_taint(
                &node.spec.taints,
                &pod.spec.tolerations,
                Some(&do_not_schedule),
            )
            .is_some()
        {
            return false;
        }
        true
    }
}

/// `filterTopologySpreadConstraints`: the constraints with `action` as whenUnsatisfiable,
/// parsed. matchLabelKeys found in the pod's labels are ANDed into the selector
/// (MatchLabelKeysInPodTopologySpread, on by default; since v1.34 the API server also merges
/// them into labelSelector at creation, which gives the same selector). minDomains defaults to
/// 1, nodeAffinityPolicy to Honor, nodeTaintsPolicy to Ignore.
pub fn filter_topology_spread_constraints(
    constraints: &[TopologySpreadConstraint],
    pod_labels: &BTreeMap<String, String>,
    action: &str,
) -> Result<Vec<Constraint>, String> {
    let mut result = Vec::new();
    for c in constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == action)
    {
        let mut selector = Selector::from_label_selector(c.label_selector.as_ref())?;
        if !c.match_label_keys.is_empty() {
            let set: BTreeMap<String, String> = c
                .match_label_keys
                .iter()
                .filter_map(|k| pod_labels.get(k).map(|v| (k.clone(), v.clone())))
                .collect();
            if !set.is_empty() {
                selector = merge_label_set_with_selector(&set, selector);
            }
        }
        result.push(Constraint {
            max_skew: c.max_skew,
            topology_key: c.topology_key.clone(),
            selector,
            min_domains: c.min_domains.unwrap_or(1),
            node_affinity_policy: NodeInclusionPolicy::parse(
                c.node_affinity_policy.as_ref(),
                NodeInclusionPolicy::Honor,
            ),
            node_taints_policy: NodeInclusionPolicy::parse(
                c.node_taints_policy.as_ref(),
                NodeInclusionPolicy::Ignore,
            ),
        });
    }
    Ok(result)
}

/// `helper.DefaultSelector`: the selectors of the Services selecting the pod merged (a
/// Service without selector selects nothing), plus the selector of the ReplicaSet controlling
/// the pod (owner reference apps/v1 ReplicaSet). ReplicationControllers and StatefulSets are
/// not modelled, so pods they own get only their Services' selectors.
pub fn default_selector(pod: &Pod, snapshot: &Snapshot) -> Selector {
    let ns = &pod.metadata.namespace;
    let labels = &pod.metadata.labels;
    let mut set = BTreeMap::new();
    for svc in snapshot.services(ns) {
        let sel = &svc.spec.selector;
        if sel.is_empty() {
            // A nil selector selects nothing; an empty one adds no label either way.
            continue;
        }
        if sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            set.extend(sel.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let mut selector = Selector::from_set(&set);
    let Some(owner) = pod.metadata.controller_ref() else {
        return selector;
    };
    if owner.api_version == "apps/v1" && owner.kind == "ReplicaSet" {
        if let Some(rs) = snapshot
            .replica_sets(ns)
            .find(|rs| rs.metadata.name == owner.name)
        {
            if let Ok(other) = Selector::from_label_selector(Some(&rs.spec.selector)) {
                if let Some(r) = other.requirements() {
                    selector.add(r.to_vec());
                }
            }
        }
    }
    selector
}

/// `buildDefaultConstraints`: the default constraints with `action`, all with the pod's
/// default selector; none when that selector is empty.
pub fn build_default_constraints(
    defaults: &[TopologySpreadConstraint],
    pod: &Pod,
    snapshot: &Snapshot,
    action: &str,
) -> Result<Vec<Constraint>, String> {
    let mut constraints =
        filter_topology_spread_constraints(defaults, &pod.metadata.labels, action)?;
    if constraints.is_empty() {
        return Ok(constraints);
    }
    let selector = default_selector(pod, snapshot);
    if selector.is_empty() {
        return Ok(Vec::new());
    }
    for c in &mut constraints {
        c.selector = selector.clone();
    }
    Ok(constraints)
}

/// The constraints' topology keys, sorted, without repeats.
pub fn topology_keys(constraints: &[Constraint]) -> Vec<String> {
    let mut keys: Vec<String> = constraints.iter().map(|c| c.topology_key.clone()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// `nodeLabelsMatchSpreadConstraints`: the node has every constraint's topology key.
pub fn node_labels_match_spread_constraints(
    node_labels: &BTreeMap<String, String>,
    constraints: &[Constraint],
) -> bool {
    constraints
        .iter()
        .all(|c| node_labels.contains_key(&c.topology_key))
}

/// `countPodsMatchSelector`: pods in namespace `ns`, not terminating, that the selector
/// matches; 0 for an empty selector.
pub fn count_pods_match_selector(pods: &[Arc<PodInfo>], selector: &Selector, ns: &str) -> i64 {
    if selector.is_empty() {
        return 0;
    }
    pods.iter()
        .map(|p| p.pod())
        .filter(|p| p.metadata.deletion_timestamp.is_none() && p.metadata.namespace == ns)
        .filter(|p| selector.matches(&p.metadata.labels))
        .count() as i64
}
