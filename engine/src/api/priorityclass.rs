//! The PriorityClass object (k8s.io/api/scheduling/v1/types.go): a named pod priority.

use super::meta::{is_false, ObjectMeta};
use serde::{Deserialize, Serialize};

/// The value fields of a PriorityClass. Upstream has them at the top level of the object;
/// they are flattened there in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PriorityClassSpec {
    pub value: i32,
    #[serde(default, skip_serializing_if = "is_false")]
    pub global_default: bool,
    /// PreemptLowerPriority (default) or Never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// `scheduling.k8s.io/v1.PriorityClass`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PriorityClass {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(flatten)]
    pub spec: PriorityClassSpec,
}

/// `scheduling.SystemCriticalPriority` (2000000000): system-cluster-critical; node-critical is 1000 more.
pub const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// The built-in classes every cluster has (pkg/apis/scheduling/types.go SystemPriorityClasses).
pub fn system_priority_class(name: &str) -> Option<i32> {
    match name {
        "system-cluster-critical" => Some(SYSTEM_CRITICAL_PRIORITY),
        "system-node-critical" => Some(SYSTEM_CRITICAL_PRIORITY + 1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_fields_are_top_level_in_json() {
        let j = r#"{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"high"},"value":1000,"globalDefault":true,"preemptionPolicy":"Never"}"#;
        let pc: PriorityClass = serde_json::from_str(j).unwrap();
        assert_eq!(pc.spec.value, 1000);
        assert!(pc.spec.global_default);
        assert_eq!(serde_json::to_string(&pc).unwrap(), j);
    }
}
