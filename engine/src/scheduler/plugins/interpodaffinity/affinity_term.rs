//! Processed pod affinity terms: `framework.AffinityTerm` and `framework.WeightedAffinityTerm`
//! with `AffinityTerm.Matches` and the `GetAffinityTerms` helpers (pkg/scheduler/framework/types.go),
//! and the namespace labels a namespaceSelector is matched against.

use crate::api::affinity::{PodAffinityTerm, WeightedPodAffinityTerm};
use crate::api::selector::{LabelSelector, LabelSelectorRequirement};
use crate::api::Pod;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The label every namespace carries upstream (`kubernetes.io/metadata.name: <name>`); kubesim
/// has no Namespace objects, so it is the only label a namespaceSelector can match.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A processed `v1.PodAffinityTerm` (`framework.AffinityTerm`), borrowing from the pod it
/// came from where it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AffinityTerm<'a> {
    /// The namespaces listed, or the pod's own when none are listed and there is no
    /// namespaceSelector.
    pub namespaces: Cow<'a, [String]>,
    /// None: the term had no labelSelector, which matches no pod (`labels.Nothing()`).
    pub selector: Option<Cow<'a, LabelSelector>>,
    pub topology_key: Cow<'a, str>,
    /// None: matches no namespace; an empty selector matches every namespace.
    pub namespace_selector: Option<Cow<'a, LabelSelector>>,
}

/// A processed `v1.WeightedPodAffinityTerm` (`framework.WeightedAffinityTerm`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WeightedAffinityTerm<'a> {
    pub term: AffinityTerm<'a>,
    pub weight: i32,
}

impl<'a> AffinityTerm<'a> {
    /// `newAffinityTerm`, with the term's matchLabelKeys / mismatchLabelKeys merged into its
    /// labelSelector as `key In (value)` / `key NotIn (value)` for the keys the pod has
    /// (upstream the API server does this when the pod is created, 1.33+; kubesim does it here,
    /// and merging twice gives the same selector meaning).
    pub fn new(pod: &'a Pod, term: &'a PodAffinityTerm) -> Self {
        let namespaces = if term.namespaces.is_empty() && term.namespace_selector.is_none() {
            Cow::Borrowed(std::slice::from_ref(&pod.metadata.namespace))
        } else {
            Cow::Borrowed(term.namespaces.as_slice())
        };
        let selector = term.label_selector.as_ref().map(|sel| {
            if term.match_label_keys.is_empty() && term.mismatch_label_keys.is_empty() {
                return Cow::Borrowed(sel);
            }
            let mut sel = sel.clone();
            let labels = &pod.metadata.labels;
            for (keys, op) in [
                (&term.match_label_keys, "In"),
                (&term.mismatch_label_keys, "NotIn"),
            ] {
                for key in keys {
                    if let Some(value) = labels.get(key) {
                        sel.match_expressions.push(LabelSelectorRequirement {
                            key: key.clone(),
                            operator: op.to_string(),
                            values: vec![value.clone()],
                        });
                    }
                }
            }
            Cow::Owned(sel)
        });
        AffinityTerm {
            namespaces,
            selector,
            topology_key: Cow::Borrowed(term.topology_key.as_str()),
            namespace_selector: term.namespace_selector.as_ref().map(Cow::Borrowed),
        }
    }

    /// A copy that owns its data, to keep in the cycle state.
    pub fn into_owned(self) -> AffinityTerm<'static> {
        AffinityTerm {
            namespaces: Cow::Owned(self.namespaces.into_owned()),
            selector: self.selector.map(|s| Cow::Owned(s.into_owned())),
            topology_key: Cow::Owned(self.topology_key.into_owned()),
            namespace_selector: self.namespace_selector.map(|s| Cow::Owned(s.into_owned())),
        }
    }

    /// `AffinityTerm.Matches`: the pod is in one of the namespaces, or its namespace's labels
    /// match the namespaceSelector, and its labels match the selector. Upstream resolves the
    /// incoming pod's namespaceSelector into namespaces through the Namespace lister and
    /// matches an existing pod's against the incoming pod's namespace labels; both come to
    /// matching the selector against the labels of the namespace of the pod checked, which
    /// kubesim takes to be `kubernetes.io/metadata.name: <namespace>`.
    pub fn matches(&self, pod: &Pod) -> bool {
        let ns = &pod.metadata.namespace;
        let in_namespace = self.namespaces.iter().any(|n| n == ns)
            || self
                .namespace_selector
                .as_ref()
                .is_some_and(|sel| namespace_selector_matches(sel, ns));
        in_namespace
            && self
                .selector
                .as_ref()
                .is_some_and(|sel| sel.matches(&pod.metadata.labels))
    }
}

/// Whether a namespaceSelector matches the labels of namespace `ns`.
fn namespace_selector_matches(sel: &LabelSelector, ns: &str) -> bool {
    if sel.is_empty() {
        return true;
    }
    sel.matches(&namespace_labels(ns))
}

/// The labels kubesim gives namespace `ns`.
pub fn namespace_labels(ns: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ns.to_string())])
}

/// `GetAffinityTerms(pod, GetPodAffinityTerms(pod.Spec.Affinity))`: the required affinity terms.
pub(crate) fn required_affinity_terms(pod: &Pod) -> Vec<AffinityTerm<'_>> {
    let terms = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_affinity.as_ref())
        .map_or(&[][..], |pa| pa.required.as_slice());
    terms.iter().map(|t| AffinityTerm::new(pod, t)).collect()
}

/// The required anti-affinity terms (`GetPodAntiAffinityTerms`).
pub(crate) fn required_anti_affinity_terms(pod: &Pod) -> Vec<AffinityTerm<'_>> {
    let terms = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .map_or(&[][..], |pa| pa.required.as_slice());
    terms.iter().map(|t| AffinityTerm::new(pod, t)).collect()
}

fn weighted_terms<'a>(
    pod: &'a Pod,
    terms: &'a [WeightedPodAffinityTerm],
) -> Vec<WeightedAffinityTerm<'a>> {
    terms
        .iter()
        .map(|t| WeightedAffinityTerm {
            term: AffinityTerm::new(pod, &t.pod_affinity_term),
            weight: t.weight,
        })
        .collect()
}

/// The preferred affinity terms (`PodInfo.PreferredAffinityTerms`).
pub(crate) fn preferred_affinity_terms(pod: &Pod) -> Vec<WeightedAffinityTerm<'_>> {
    let terms = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_affinity.as_ref())
        .map_or(&[][..], |pa| pa.preferred.as_slice());
    weighted_terms(pod, terms)
}

/// The preferred anti-affinity terms (`PodInfo.PreferredAntiAffinityTerms`).
pub(crate) fn preferred_anti_affinity_terms(pod: &Pod) -> Vec<WeightedAffinityTerm<'_>> {
    let terms = pod
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .map_or(&[][..], |pa| pa.preferred.as_slice());
    weighted_terms(pod, terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_selector_uses_the_metadata_name_label() {
        let mut p = Pod::default();
        p.metadata.namespace = "team-a".into();
        p.metadata.labels.insert("app".into(), "x".into());
        let mut t = PodAffinityTerm {
            label_selector: Some(LabelSelector::default()),
            topology_key: "zone".into(),
            namespaces: vec!["other".into()],
            ..Default::default()
        };
        assert!(!AffinityTerm::new(&p, &t).matches(&p));
        t.namespace_selector = Some(LabelSelector::from_labels(&namespace_labels("team-a")));
        assert!(AffinityTerm::new(&p, &t).matches(&p));
        t.namespace_selector = Some(LabelSelector::from_labels(&namespace_labels("team-b")));
        assert!(!AffinityTerm::new(&p, &t).matches(&p));
        // No namespaces and no selector: the pod's own namespace.
        t.namespaces.clear();
        t.namespace_selector = None;
        let mut q = p.clone();
        assert!(AffinityTerm::new(&p, &t).matches(&q));
        q.metadata.namespace = "elsewhere".into();
        assert!(!AffinityTerm::new(&p, &t).matches(&q));
    }
}
