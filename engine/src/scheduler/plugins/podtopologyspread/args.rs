//! `PodTopologySpreadArgs`: its defaults (pkg/scheduler/apis/config/v1/defaults.go
//! SetDefaults_PodTopologySpreadArgs) and validation
//! (pkg/scheduler/apis/config/validation/validation_pluginargs.go ValidatePodTopologySpreadArgs),
//! with upstream's error messages (field.Error, aggregated).

use crate::api::affinity::TopologySpreadConstraint;
use crate::api::LabelSelector;
use serde::{Deserialize, Serialize};

/// `config.SystemDefaulting`.
pub const SYSTEM_DEFAULTING: &str = "System";
/// `config.ListDefaulting`.
pub const LIST_DEFAULTING: &str = "List";

/// One entry of `defaultConstraints` (a `v1.TopologySpreadConstraint`, strictly decoded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DefaultConstraint {
    #[serde(default)]
    pub max_skew: i32,
    #[serde(default)]
    pub topology_key: String,
    #[serde(default)]
    pub when_unsatisfiable: String,
    #[serde(default)]
    pub label_selector: Option<LabelSelector>,
    #[serde(default)]
    pub min_domains: Option<i32>,
    #[serde(default)]
    pub node_affinity_policy: Option<String>,
    #[serde(default)]
    pub node_taints_policy: Option<String>,
    #[serde(default)]
    pub match_label_keys: Vec<String>,
}

impl From<&DefaultConstraint> for TopologySpreadConstraint {
    fn from(c: &DefaultConstraint) -> Self {
        TopologySpreadConstraint {
            max_skew: c.max_skew,
            topology_key: c.topology_key.clone(),
            when_unsatisfiable: c.when_unsatisfiable.clone(),
            label_selector: c.label_selector.clone(),
            min_domains: c.min_domains,
            node_affinity_policy: c.node_affinity_policy.clone(),
            node_taints_policy: c.node_taints_policy.clone(),
            match_label_keys: c.match_label_keys.clone(),
        }
    }
}

/// `PodTopologySpreadArgs`: `defaultingType` System (the default) uses the system default
/// constraints and needs `defaultConstraints` empty; List uses `defaultConstraints`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodTopologySpreadArgs {
    #[serde(default)]
    pub default_constraints: Vec<DefaultConstraint>,
    #[serde(default)]
    pub defaulting_type: String,
}

impl PodTopologySpreadArgs {
    /// SetDefaults_PodTopologySpreadArgs: an empty defaultingType becomes System.
    pub fn set_defaults(&mut self) {
        if self.defaulting_type.is_empty() {
            self.defaulting_type = SYSTEM_DEFAULTING.into();
        }
    }

    /// ValidatePodTopologySpreadArgs with a nil path: every problem, aggregated as
    /// `errors.NewAggregate` prints them.
    pub fn validate(&self) -> Result<(), String> {
        let mut errs: Vec<String> = Vec::new();
        let dt = &self.defaulting_type;
        if dt != SYSTEM_DEFAULTING && dt != LIST_DEFAULTING {
            errs.push(format!(
                "defaultingType: Unsupported value: \"{dt}\": supported values: \"System\", \"List\""
            ));
        } else if dt == SYSTEM_DEFAULTING && !self.default_constraints.is_empty() {
            errs.push(format!(
                "defaultingType: Invalid value: \"{dt}\": when .defaultConstraints are not empty"
            ));
        }
        for (i, c) in self.default_constraints.iter().enumerate() {
            let p = format!("defaultConstraints[{i}]");
            if c.max_skew <= 0 {
                errs.push(format!(
                    "{p}.maxSkew: Invalid value: {}: not in valid range (0, inf)",
                    c.max_skew
                ));
            }
            if c.topology_key.is_empty() {
                errs.push(format!("{p}.topologyKey: Required value: can not be empty"));
            } else {
                for msg in label_key_errors(&c.topology_key) {
                    errs.push(format!(
                        "{p}.topologyKey: Invalid value: \"{}\": {msg}",
                        c.topology_key
                    ));
                }
            }
            let w = &c.when_unsatisfiable;
            if w.is_empty() {
                errs.push(format!(
                    "{p}.whenUnsatisfiable: Required value: can not be empty"
                ));
            } else if w != "DoNotSchedule" && w != "ScheduleAnyway" {
                errs.push(format!("{p}.whenUnsatisfiable: Unsupported value: \"{w}\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\""));
            }
            if c.label_selector.is_some() {
                errs.push(format!("{p}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod"));
            }
            if self.default_constraints[..i].iter().any(|o| {
                o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable
            }) {
                errs.push(format!(
                    "{p}: Duplicate value: \"{{{}, {}}}\"",
                    c.topology_key, c.when_unsatisfiable
                ));
            }
        }
        aggregate(errs)
    }
}

/// `errors.NewAggregate(...).Error()`: one message alone, several in brackets, repeats once.
fn aggregate(errs: Vec<String>) -> Result<(), String> {
    let mut seen: Vec<String> = Vec::new();
    for e in errs {
        if !seen.contains(&e) {
            seen.push(e);
        }
    }
    match seen.len() {
        0 => Ok(()),
        1 => Err(seen.remove(0)),
        _ => Err(format!("[{}]", seen.join(", "))),
    }
}

const LABEL_KEY_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_label_key_name(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            alnum(f)
                && alnum(l)
                && b.iter()
                    .all(|c| alnum(c) || *c == b'-' || *c == b'_' || *c == b'.')
        }
        _ => false,
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`.
fn is_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(|label| {
        let b = label.as_bytes();
        let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) => ok(f) && ok(l) && b.iter().all(|c| ok(c) || *c == b'-'),
            _ => false,
        }
    })
}

/// `content.IsLabelKey` (what ValidateLabelName checks): an optional DNS subdomain prefix and
/// '/', then a name of at most 63 bytes.
pub fn label_key_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                if prefix.len() > 253 {
                    errs.push("prefix part must be no more than 253 bytes".to_string());
                }
                if !is_dns1123_subdomain(prefix) {
                    errs.push(format!("prefix part {DNS1123_SUBDOMAIN_ERR_MSG}"));
                }
            }
            *name
        }
        _ => {
            return vec![format!("a valid label key {LABEL_KEY_ERR_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")];
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 bytes".to_string());
    }
    if !is_label_key_name(name) {
        errs.push(format!("name part {LABEL_KEY_ERR_MSG}"));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(max_skew: i32, key: &str, when: &str) -> DefaultConstraint {
        DefaultConstraint {
            max_skew,
            topology_key: key.into(),
            when_unsatisfiable: when.into(),
            ..Default::default()
        }
    }

    fn args(constraints: Vec<DefaultConstraint>, defaulting: &str) -> PodTopologySpreadArgs {
        PodTopologySpreadArgs {
            default_constraints: constraints,
            defaulting_type: defaulting.into(),
        }
    }

    /// validation_pluginargs_test.go TestValidatePodTopologySpreadArgs (upstream compares
    /// field and type; the full messages are checked here).
    #[test]
    fn validate_pod_topology_spread_args() {
        let with_selector = DefaultConstraint {
            label_selector: Some(LabelSelector::from_labels(
                &[("a".to_string(), "b".to_string())].into(),
            )),
            ..c(1, "key", "DoNotSchedule")
        };
        let cases: Vec<(&str, PodTopologySpreadArgs, Option<&str>)> = vec![
            ("valid config", args(vec![c(1, "node", "DoNotSchedule"), c(2, "zone", "ScheduleAnyway")], "List"), None),
            ("maxSkew less than zero", args(vec![c(-1, "node", "DoNotSchedule")], "List"),
                Some("defaultConstraints[0].maxSkew: Invalid value: -1: not in valid range (0, inf)")),
            ("empty topology key", args(vec![c(1, "", "DoNotSchedule")], "List"),
                Some("defaultConstraints[0].topologyKey: Required value: can not be empty")),
            ("whenUnsatisfiable is empty", args(vec![c(1, "node", "")], "List"),
                Some("defaultConstraints[0].whenUnsatisfiable: Required value: can not be empty")),
            ("whenUnsatisfiable contains unsupported action", args(vec![c(1, "node", "unknown action")], "List"),
                Some("defaultConstraints[0].whenUnsatisfiable: Unsupported value: \"unknown action\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"")),
            ("duplicated constraints", args(vec![c(1, "node", "DoNotSchedule"), c(2, "node", "DoNotSchedule")], "List"),
                Some("defaultConstraints[1]: Duplicate value: \"{node, DoNotSchedule}\"")),
            ("label selector present", args(vec![with_selector], "List"),
                Some("defaultConstraints[0].labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod")),
            ("list default constraints, no constraints", args(vec![], "List"), None),
            ("system default constraints", args(vec![], "System"), None),
            ("wrong constraints", args(vec![], "unknown"),
                Some("defaultingType: Unsupported value: \"unknown\": supported values: \"System\", \"List\"")),
            ("system default constraints, but has constraints", args(vec![c(1, "key", "DoNotSchedule")], "System"),
                Some("defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty")),
        ];
        for (name, a, want) in cases {
            assert_eq!(a.validate().err().as_deref(), want, "{name}");
        }
    }

    #[test]
    fn several_errors_aggregate_in_brackets_and_keys_are_label_names() {
        let a = args(vec![c(0, "a/b/c", "")], "List");
        assert_eq!(
            a.validate().unwrap_err(),
            format!("[defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf), defaultConstraints[0].topologyKey: Invalid value: \"a/b/c\": a valid label key {LABEL_KEY_ERR_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName'), defaultConstraints[0].whenUnsatisfiable: Required value: can not be empty]")
        );
        assert!(label_key_errors("topology.kubernetes.io/zone").is_empty());
        assert!(label_key_errors("kubernetes.io/hostname").is_empty());
        assert_eq!(
            label_key_errors("Bad_Prefix/-x"),
            vec![
                format!("prefix part {DNS1123_SUBDOMAIN_ERR_MSG}"),
                format!("name part {LABEL_KEY_ERR_MSG}")
            ]
        );
    }

    #[test]
    fn defaulting_type_defaults_to_system_and_unknown_fields_are_errors() {
        let mut a: PodTopologySpreadArgs = serde_json::from_str("{}").unwrap();
        a.set_defaults();
        assert_eq!(a.defaulting_type, SYSTEM_DEFAULTING);
        // Constraints without a defaulting type default to System, which then rejects them.
        let mut a: PodTopologySpreadArgs = serde_json::from_str(
            r#"{"defaultConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"ScheduleAnyway"}]}"#,
        )
        .unwrap();
        a.set_defaults();
        assert!(a.validate().is_err());
        assert!(serde_json::from_str::<PodTopologySpreadArgs>(r#"{"bogus":1}"#).is_err());
        assert!(serde_json::from_str::<PodTopologySpreadArgs>(
            r#"{"defaultConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"ScheduleAnyway","typo":2}]}"#
        )
        .is_err());
    }
}
