//! Label selectors (k8s.io/apimachinery/pkg/apis/meta/v1/types.go LabelSelector; matching as in
//! k8s.io/apimachinery/pkg/labels/selector.go).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `metav1.LabelSelectorRequirement`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    pub key: String,
    /// In, NotIn, Exists, DoesNotExist.
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// `metav1.LabelSelector`: all of matchLabels and matchExpressions must hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    pub fn from_labels(labels: &BTreeMap<String, String>) -> Self {
        LabelSelector {
            match_labels: labels.clone(),
            match_expressions: vec![],
        }
    }

    /// An empty selector matches everything (as `LabelSelectorAsSelector` makes it).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
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

    /// Checks operators and values as upstream's validation does; returns the first problem.
    pub fn validate(&self) -> Result<(), String> {
        for (i, r) in self.match_expressions.iter().enumerate() {
            let path = format!("matchExpressions[{i}]");
            match r.operator.as_str() {
                "In" | "NotIn" if r.values.is_empty() => {
                    return Err(format!(
                        "{path}.values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                    ))
                }
                "Exists" | "DoesNotExist" if !r.values.is_empty() => {
                    return Err(format!(
                        "{path}.values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    ))
                }
                "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
                other => {
                    return Err(format!(
                        "{path}.operator: Invalid value: \"{other}\": not a valid selector operator"
                    ))
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn matches_table() {
        let pod = labels(&[("app", "web"), ("tier", "front")]);
        let cases: Vec<(&str, LabelSelector, bool)> = vec![
            ("empty matches all", LabelSelector::default(), true),
            (
                "equal",
                LabelSelector::from_labels(&labels(&[("app", "web")])),
                true,
            ),
            (
                "not equal",
                LabelSelector::from_labels(&labels(&[("app", "db")])),
                false,
            ),
            (
                "missing key",
                LabelSelector::from_labels(&labels(&[("x", "y")])),
                false,
            ),
            ("in", sel(req("tier", "In", &["front", "back"])), true),
            ("in miss", sel(req("tier", "In", &["back"])), false),
            ("notin absent key", sel(req("zone", "NotIn", &["a"])), true),
            ("notin hit", sel(req("app", "NotIn", &["web"])), false),
            ("exists", sel(req("app", "Exists", &[])), true),
            ("doesnotexist", sel(req("app", "DoesNotExist", &[])), false),
        ];
        for (name, s, want) in cases {
            assert_eq!(s.matches(&pod), want, "{name}");
        }
    }

    fn sel(r: LabelSelectorRequirement) -> LabelSelector {
        LabelSelector {
            match_labels: BTreeMap::new(),
            match_expressions: vec![r],
        }
    }

    #[test]
    fn validate_operators() {
        assert!(sel(req("a", "In", &[])).validate().is_err());
        assert!(sel(req("a", "Exists", &["x"])).validate().is_err());
        assert!(sel(req("a", "Near", &["x"])).validate().is_err());
        assert!(sel(req("a", "In", &["x"])).validate().is_ok());
    }
}
