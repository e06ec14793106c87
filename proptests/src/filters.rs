//! The scheduler's hard filters on a pod and a node, written again from upstream for the
//! invariants (not with the engine's helpers): label selectors
//! (k8s.io/apimachinery/pkg/labels/selector.go), required node affinity and nodeSelector
//! (k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go), host ports
//! (pkg/scheduler/framework/types.go HostPortInfo.CheckConflict), pod affinity term matching
//! (pkg/scheduler/framework/types.go AffinityTerm.Matches) and topology spread constraints as
//! the filter takes them (pkg/scheduler/framework/plugins/podtopologyspread/common.go).

use kubesim::api::affinity::{NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm};
use kubesim::api::pod::Toleration;
use kubesim::api::{LabelSelector, Node, Pod, Taint};
use std::collections::BTreeMap;

type Labels = BTreeMap<String, String>;

/// `metav1.LabelSelectorAsSelector(sel).Matches(labels)`: a nil selector matches nothing, an
/// empty one everything; matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist)
/// are ANDed.
pub fn selector_matches(sel: Option<&LabelSelector>, labels: &Labels) -> bool {
    let Some(sel) = sel else { return false };
    sel.match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
        && sel.match_expressions.iter().all(|r| {
            let have = labels.get(&r.key);
            match r.operator.as_str() {
                "In" => have.is_some_and(|v| r.values.contains(v)),
                "NotIn" => have.is_none_or(|v| !r.values.contains(v)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
}

/// A node selector requirement on a value (None: no such label): Gt and Lt compare integers
/// and need one integer value.
fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&String>) -> bool {
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| r.values.contains(v)),
        "NotIn" => value.is_none_or(|v| !r.values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), [bound]) = (value, r.values.as_slice()) else {
                return false;
            };
            match (v.parse::<i64>(), bound.parse::<i64>()) {
                (Ok(v), Ok(b)) => {
                    if r.operator == "Gt" {
                        v > b
                    } else {
                        v < b
                    }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// A node selector term: its matchExpressions (on labels) and matchFields (`metadata.name`)
/// all hold; a term without requirements matches nothing.
pub fn node_term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    if term.match_expressions.is_empty() && term.match_fields.is_empty() {
        return false;
    }
    let labels = &node.metadata.labels;
    term.match_expressions
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key)))
        && term
            .match_fields
            .iter()
            .all(|r| r.key == "metadata.name" && requirement_matches(r, Some(&node.metadata.name)))
}

/// `GetRequiredNodeAffinity(pod).Match(node)`: every nodeSelector label, and one term of the
/// required node affinity (if any).
pub fn required_node_affinity(pod: &Pod, node: &Node) -> Result<(), String> {
    let labels = &node.metadata.labels;
    for (k, v) in &pod.spec.node_selector {
        if labels.get(k) != Some(v) {
            return Err(format!("nodeSelector: the node has no label {k}={v}"));
        }
    }
    let required = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| na.required.as_ref());
    if let Some(sel) = required {
        if !sel
            .node_selector_terms
            .iter()
            .any(|t| node_term_matches(t, node))
        {
            return Err("NodeAffinity: no required node selector term matches the node".into());
        }
    }
    Ok(())
}

/// `v1.Toleration.ToleratesTaint` (k8s.io/api/core/v1/toleration.go): effect and key match
/// when set; Exists matches any value, Equal (or empty) the same value.
pub fn tolerates(tol: &Toleration, taint: &Taint) -> bool {
    if !tol.effect.is_empty() && tol.effect != taint.effect {
        return false;
    }
    if !tol.key.is_empty() && tol.key != taint.key {
        return false;
    }
    match tol.operator.as_str() {
        "Exists" => true,
        "" | "Equal" => tol.value == taint.value,
        _ => false,
    }
}

/// The first taint with one of `effects` that no toleration tolerates
/// (FindMatchingUntoleratedTaint).
pub fn untolerated<'a>(
    taints: &'a [Taint],
    tols: &[Toleration],
    effects: &[&str],
) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| effects.contains(&t.effect.as_str()))
        .find(|t| !tols.iter().any(|tol| tolerates(tol, t)))
}

/// The host ports a pod uses: (hostIP, protocol, port), with upstream's defaults (0.0.0.0,
/// TCP).
pub fn host_ports(pod: &Pod) -> Vec<(String, String, i32)> {
    pod.spec
        .init_containers
        .iter()
        .chain(&pod.spec.containers)
        .flat_map(|c| &c.ports)
        .filter(|p| p.host_port > 0)
        .map(|p| {
            let ip = if p.host_ip.is_empty() {
                "0.0.0.0".to_string()
            } else {
                p.host_ip.clone()
            };
            let proto = if p.protocol.is_empty() {
                "TCP".to_string()
            } else {
                p.protocol.clone()
            };
            (ip, proto, p.host_port)
        })
        .collect()
}

/// `HostPortInfo.CheckConflict`: the same protocol and port, and the same IP or either is
/// 0.0.0.0.
pub fn ports_conflict(a: &(String, String, i32), b: &(String, String, i32)) -> bool {
    a.1 == b.1 && a.2 == b.2 && (a.0 == b.0 || a.0 == "0.0.0.0" || b.0 == "0.0.0.0")
}

/// The required anti-affinity terms of a pod.
pub fn required_anti_affinity(pod: &Pod) -> &[PodAffinityTerm] {
    pod.spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .map_or(&[], |a| a.required.as_slice())
}

/// `AffinityTerm.Matches(target)`: the term of `owner` selects `target`, by namespace (the
/// term's namespaces, else the owner's) and label selector. Namespace selectors are not
/// generated; a term with one is taken to match no other namespace.
pub fn term_matches(term: &PodAffinityTerm, owner: &Pod, target: &Pod) -> bool {
    let ns = &target.metadata.namespace;
    let in_ns = if term.namespaces.is_empty() {
        *ns == owner.metadata.namespace
    } else {
        term.namespaces.contains(ns)
    };
    in_ns && selector_matches(term.label_selector.as_ref(), &target.metadata.labels)
}

/// A DoNotSchedule topology spread constraint as the filter takes it
/// (filterTopologySpreadConstraints): the selector with matchLabelKeys merged in from the
/// pod's labels, minDomains default 1, nodeAffinityPolicy default Honor, nodeTaintsPolicy
/// default Ignore.
pub struct HardSpread {
    pub max_skew: i64,
    pub topology_key: String,
    pub selector: Option<LabelSelector>,
    /// key = value requirements from matchLabelKeys.
    pub match_labels: Labels,
    pub min_domains: i64,
    pub honor_affinity: bool,
    pub honor_taints: bool,
}

impl HardSpread {
    /// The pod's DoNotSchedule constraints.
    pub fn of(pod: &Pod) -> Vec<HardSpread> {
        pod.spec
            .topology_spread_constraints
            .iter()
            .filter(|c| c.when_unsatisfiable == "DoNotSchedule")
            .map(|c| HardSpread {
                max_skew: i64::from(c.max_skew),
                topology_key: c.topology_key.clone(),
                selector: c.label_selector.clone(),
                match_labels: c
                    .match_label_keys
                    .iter()
                    .filter_map(|k| pod.metadata.labels.get(k).map(|v| (k.clone(), v.clone())))
                    .collect(),
                min_domains: i64::from(c.min_domains.unwrap_or(1)),
                honor_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
                honor_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            })
            .collect()
    }

    /// The constraint counts `target` (countPodsMatchSelector, terminating pods aside): the
    /// same namespace as `pod`, and the selector matches.
    pub fn counts(&self, pod: &Pod, target: &Pod) -> bool {
        target.metadata.namespace == pod.metadata.namespace
            && self
                .match_labels
                .iter()
                .all(|(k, v)| target.metadata.labels.get(k) == Some(v))
            && selector_matches(self.selector.as_ref(), &target.metadata.labels)
    }

    /// The node's domains count for this constraint of `pod` (matchNodeInclusionPolicies; the
    /// node has every hard constraint's key is checked by the caller).
    pub fn includes(&self, pod: &Pod, node: &Node) -> bool {
        if self.honor_affinity && required_node_affinity(pod, node).is_err() {
            return false;
        }
        if self.honor_taints
            && untolerated(
                &node.spec.taints,
                &pod.spec.tolerations,
                &["NoSchedule", "NoExecute"],
            )
            .is_some()
        {
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubesim::api::affinity::{Affinity, NodeAffinity, NodeSelector};

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn node(name: &str, labels: &[(&str, &str)]) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.metadata.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        n
    }

    fn pod_with_terms(terms: Vec<NodeSelectorTerm>) -> Pod {
        let mut p = Pod::default();
        p.spec.affinity = Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required: Some(NodeSelector {
                    node_selector_terms: terms,
                }),
                preferred: Vec::new(),
            }),
            ..Default::default()
        });
        p
    }

    /// nodeaffinity_test.go TestNodeSelectorMatch / TestPodMatchesNodeSelectorAndAffinityTerms
    /// (the operator cases kubesim generates).
    #[test]
    fn required_node_affinity_table() {
        let term = |reqs: Vec<NodeSelectorRequirement>| NodeSelectorTerm {
            match_expressions: reqs,
            match_fields: Vec::new(),
        };
        let n = node("n1", &[("foo", "bar"), ("rank", "2")]);
        let cases: Vec<(&str, Vec<NodeSelectorTerm>, bool)> = vec![
            ("no terms", vec![], false),
            ("empty term", vec![NodeSelectorTerm::default()], false),
            (
                "In",
                vec![term(vec![req("foo", "In", &["bar", "x"])])],
                true,
            ),
            (
                "NotIn",
                vec![term(vec![req("foo", "NotIn", &["bar"])])],
                false,
            ),
            (
                "NotIn absent key",
                vec![term(vec![req("k", "NotIn", &["v"])])],
                true,
            ),
            ("Exists", vec![term(vec![req("foo", "Exists", &[])])], true),
            (
                "DoesNotExist",
                vec![term(vec![req("foo", "DoesNotExist", &[])])],
                false,
            ),
            ("Gt", vec![term(vec![req("rank", "Gt", &["1"])])], true),
            ("Lt", vec![term(vec![req("rank", "Lt", &["2"])])], false),
            (
                "Gt on a word",
                vec![term(vec![req("foo", "Gt", &["1"])])],
                false,
            ),
            (
                "terms are ORed",
                vec![
                    term(vec![req("foo", "In", &["x"])]),
                    term(vec![req("rank", "In", &["2"])]),
                ],
                true,
            ),
            (
                "requirements are ANDed",
                vec![term(vec![
                    req("foo", "In", &["bar"]),
                    req("rank", "In", &["3"]),
                ])],
                false,
            ),
            (
                "matchFields metadata.name",
                vec![NodeSelectorTerm {
                    match_expressions: vec![],
                    match_fields: vec![req("metadata.name", "In", &["n1"])],
                }],
                true,
            ),
        ];
        for (name, terms, want) in cases {
            let p = pod_with_terms(terms);
            assert_eq!(required_node_affinity(&p, &n).is_ok(), want, "{name}");
        }
        let mut p = Pod::default();
        p.spec.node_selector.insert("foo".into(), "baz".into());
        assert!(required_node_affinity(&p, &n).is_err(), "nodeSelector");
    }

    /// types_test.go TestHostPortInfo_Check (the wildcard and protocol cases).
    #[test]
    fn host_port_conflicts() {
        let p = |ip: &str, proto: &str, port: i32| (ip.to_string(), proto.to_string(), port);
        assert!(ports_conflict(
            &p("0.0.0.0", "TCP", 80),
            &p("127.0.0.1", "TCP", 80)
        ));
        assert!(!ports_conflict(
            &p("0.0.0.0", "TCP", 80),
            &p("0.0.0.0", "UDP", 80)
        ));
        assert!(!ports_conflict(
            &p("127.0.0.1", "TCP", 80),
            &p("127.0.0.2", "TCP", 80)
        ));
        assert!(!ports_conflict(
            &p("0.0.0.0", "TCP", 80),
            &p("0.0.0.0", "TCP", 81)
        ));
    }

    #[test]
    fn nil_selector_matches_nothing_and_empty_everything() {
        let labels = Labels::from([("app".to_string(), "web".to_string())]);
        assert!(!selector_matches(None, &labels));
        assert!(selector_matches(Some(&LabelSelector::default()), &labels));
    }
}
