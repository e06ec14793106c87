//! The EndpointSlice object (k8s.io/api/discovery/v1/types.go), the fields kubesim models.
//!
//! An EndpointSlice has no `spec`: `addressType`, `endpoints` and `ports` sit at the top level.
//! kubesim keeps them in a flattened `spec` so the kind table can compare and copy them like
//! any other kind's spec; the JSON is upstream's.

use super::meta::ObjectMeta;
use serde::{Deserialize, Serialize};

/// `kubernetes.io/service-name`: the Service a slice belongs to.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// `endpointslice.kubernetes.io/managed-by`.
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// The value of `LABEL_MANAGED_BY` the EndpointSlice controller sets.
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";

/// `discovery/v1.EndpointConditions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EndpointConditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating: Option<bool>,
}

/// `v1.ObjectReference`, the fields a slice's targetRef uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ObjectReference {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
}

/// `discovery/v1.Endpoint`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default)]
    pub conditions: EndpointConditions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<ObjectReference>,
}

impl Endpoint {
    /// Ready, with nil meaning ready (upstream: "nil should be interpreted as true").
    pub fn is_ready(&self) -> bool {
        self.conditions.ready.unwrap_or(true)
    }
}

/// `discovery/v1.EndpointPort`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EndpointPort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

/// The top-level data of a slice (upstream has no `spec`; flattened into the object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSliceSpec {
    #[serde(default)]
    pub address_type: String,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    #[serde(default)]
    pub ports: Vec<EndpointPort>,
}

/// `discovery.k8s.io/v1.EndpointSlice`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSlice {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(flatten)]
    pub spec: EndpointSliceSpec,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_flat() {
        let mut s = EndpointSlice::default();
        s.spec.address_type = "IPv4".into();
        s.spec.endpoints.push(Endpoint {
            addresses: vec!["10.244.0.5".into()],
            conditions: EndpointConditions {
                ready: Some(true),
                serving: Some(true),
                terminating: Some(false),
            },
            node_name: Some("n1".into()),
            target_ref: Some(ObjectReference {
                kind: "Pod".into(),
                name: "p".into(),
                ..Default::default()
            }),
        });
        let j = serde_json::to_string(&s).unwrap();
        assert!(j.contains(r#""addressType":"IPv4""#), "{j}");
        assert!(j.contains(r#""nodeName":"n1""#), "{j}");
        assert!(
            j.contains(r#""targetRef":{"kind":"Pod","name":"p"}"#),
            "{j}"
        );
        assert!(!j.contains("spec"), "{j}");
        let back: EndpointSlice = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
    }
}
