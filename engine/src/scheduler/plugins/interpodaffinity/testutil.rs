//! Test builders mirroring upstream's pkg/scheduler/testing wrappers (st.MakePod and its
//! PodAffinity* / PodAntiAffinity* helpers).

use super::NAMESPACE_NAME_LABEL;
use crate::api::affinity::{Affinity, PodAffinity, PodAffinityTerm, WeightedPodAffinityTerm};
use crate::api::selector::{LabelSelector, LabelSelectorRequirement};
use crate::api::{Node, Object, Pod};
use crate::scheduler::framework::{Code, Status};
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `st.PodAffinityKind`, without the required-and-preferred kinds.
#[derive(Clone, Copy)]
pub enum Kind {
    Required,
    Preferred,
}
pub use Kind::{Preferred, Required};

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.into(),
        operator: op.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

pub fn sel(reqs: Vec<LabelSelectorRequirement>) -> LabelSelector {
    LabelSelector {
        match_labels: BTreeMap::new(),
        match_expressions: reqs,
    }
}

/// A term with this label selector and topology key.
pub fn term(reqs: Vec<LabelSelectorRequirement>, topology_key: &str) -> PodAffinityTerm {
    PodAffinityTerm {
        label_selector: Some(sel(reqs)),
        topology_key: topology_key.into(),
        ..Default::default()
    }
}

pub fn weighted(weight: i32, t: PodAffinityTerm) -> WeightedPodAffinityTerm {
    WeightedPodAffinityTerm {
        weight,
        pod_affinity_term: t,
    }
}

/// Upstream's namespaces labelled `team: team1` (subteam1.team1 and subteam2.team1), selected
/// by the only namespace label kubesim has.
pub fn team1_selector() -> LabelSelector {
    sel(vec![req(
        NAMESPACE_NAME_LABEL,
        "In",
        &["subteam1.team1", "subteam2.team1"],
    )])
}

pub fn node(name: &str, l: &[(&str, &str)]) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n.metadata.labels = labels(l);
    n
}

/// `st.MakePod()`: a pod in namespace "".
pub struct PodBuilder(Pod);

pub fn make_pod() -> PodBuilder {
    PodBuilder(Pod::default())
}

impl PodBuilder {
    pub fn name(mut self, n: &str) -> Self {
        self.0.metadata.name = n.into();
        self
    }
    pub fn namespace(mut self, ns: &str) -> Self {
        self.0.metadata.namespace = ns.into();
        self
    }
    pub fn node(mut self, n: &str) -> Self {
        self.0.spec.node_name = n.into();
        self
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0.metadata.labels.insert(k.into(), v.into());
        self
    }
    pub fn labels(mut self, l: &[(&str, &str)]) -> Self {
        self.0.metadata.labels.extend(labels(l));
        self
    }
    pub fn affinity(mut self, a: Affinity) -> Self {
        self.0.spec.affinity = Some(a);
        self
    }

    fn add(mut self, anti: bool, kind: Kind, t: PodAffinityTerm) -> Self {
        let a = self.0.spec.affinity.get_or_insert_with(Default::default);
        let pa = if anti {
            a.pod_anti_affinity.get_or_insert_with(Default::default)
        } else {
            a.pod_affinity.get_or_insert_with(Default::default)
        };
        match kind {
            Required => pa.required.push(t),
            Preferred => pa.preferred.push(weighted(1, t)),
        }
        self
    }

    /// `PodAffinityIn(labelKey, topologyKey, values, kind)`.
    pub fn pod_affinity_in(self, key: &str, tk: &str, values: &[&str], kind: Kind) -> Self {
        self.add(false, kind, term(vec![req(key, "In", values)], tk))
    }
    pub fn pod_affinity_not_in(self, key: &str, tk: &str, values: &[&str], kind: Kind) -> Self {
        self.add(false, kind, term(vec![req(key, "NotIn", values)], tk))
    }
    pub fn pod_affinity_exists(self, key: &str, tk: &str, kind: Kind) -> Self {
        self.add(false, kind, term(vec![req(key, "Exists", &[])], tk))
    }
    pub fn pod_anti_affinity_in(self, key: &str, tk: &str, values: &[&str], kind: Kind) -> Self {
        self.add(true, kind, term(vec![req(key, "In", values)], tk))
    }
    pub fn pod_anti_affinity_not_in(
        self,
        key: &str,
        tk: &str,
        values: &[&str],
        kind: Kind,
    ) -> Self {
        self.add(true, kind, term(vec![req(key, "NotIn", values)], tk))
    }
    pub fn pod_anti_affinity_exists(self, key: &str, tk: &str, kind: Kind) -> Self {
        self.add(true, kind, term(vec![req(key, "Exists", &[])], tk))
    }

    pub fn obj(self) -> Pod {
        self.0
    }
}

/// filtering_test.go createPodWithAffinityTerms: both PodAffinity and PodAntiAffinity set.
pub fn create_pod_with_affinity_terms(
    namespace: &str,
    node_name: &str,
    l: &[(&str, &str)],
    affinity: Vec<PodAffinityTerm>,
    anti_affinity: Vec<PodAffinityTerm>,
) -> Pod {
    make_pod()
        .namespace(namespace)
        .node(node_name)
        .labels(l)
        .affinity(Affinity {
            node_affinity: None,
            pod_affinity: Some(PodAffinity {
                required: affinity,
                preferred: vec![],
            }),
            pod_anti_affinity: Some(PodAffinity {
                required: anti_affinity,
                preferred: vec![],
            }),
        })
        .obj()
}

/// `cache.NewSnapshot(pods, nodes)`. kubesim keys pods by (namespace, name), so unnamed pods
/// get distinct names.
pub fn snapshot(pods: &[Pod], nodes: &[Node]) -> Snapshot {
    let objects: Vec<_> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut p = p.clone();
            if p.metadata.name.is_empty() {
                p.metadata.name = format!("pod-{i}");
            }
            Arc::new(Object::Pod(p))
        })
        .collect();
    Snapshot::from_objects(nodes.to_vec(), &objects)
}

/// A rejection with one reason.
pub fn status(code: Code, reason: &str) -> Status {
    Status::new(code, vec![reason.to_string()])
}
