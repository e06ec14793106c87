//! PodTopologySpread: spreads pods matching a selector evenly over topology domains. Filter
//! enforces the DoNotSchedule constraints (maxSkew, minDomains), Score prefers nodes in domains
//! with fewer matching pods for the ScheduleAnyway ones; pods without constraints get the
//! default constraints. Models pkg/scheduler/framework/plugins/podtopologyspread/plugin.go
//! (the queueing hints are not modelled). Feature gates are as in v1.35: minDomains, node
//! inclusion policies and matchLabelKeys are always on.

pub mod args;
pub mod cache;
pub mod common;
pub mod filtering;
pub mod scoring;

use crate::api::affinity::TopologySpreadConstraint;
use crate::scheduler::framework::{
    FilterPlugin, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin,
};
use args::{PodTopologySpreadArgs, SYSTEM_DEFAULTING};
use common::{LABEL_HOSTNAME, LABEL_TOPOLOGY_ZONE, SCHEDULE_ANYWAY};

pub const NAME: &str = "PodTopologySpread";

/// `ErrReasonConstraintsNotMatch`.
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
/// `ErrReasonNodeLabelNotMatch`.
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// `systemDefaultConstraints`: hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway.
pub fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    [(LABEL_HOSTNAME, 3), (LABEL_TOPOLOGY_ZONE, 5)]
        .into_iter()
        .map(|(key, max_skew)| TopologySpreadConstraint {
            max_skew,
            topology_key: key.into(),
            when_unsatisfiable: SCHEDULE_ANYWAY.into(),
            ..Default::default()
        })
        .collect()
}

/// The PodTopologySpread plugin.
#[derive(Clone, Debug, Default)]
pub struct PodTopologySpread {
    /// Constraints for pods that have none of their own.
    pub default_constraints: Vec<TopologySpreadConstraint>,
    /// The defaults are the system ones (nodes then need not have every topology key to be
    /// scored).
    pub system_defaulted: bool,
    /// Matching pods per node and topology value, followed from the snapshot's change log.
    pub cache: cache::CacheCell,
}

impl PodTopologySpread {
    /// From defaulted, validated args.
    pub fn from_args(args: &PodTopologySpreadArgs) -> Self {
        if args.defaulting_type == SYSTEM_DEFAULTING {
            PodTopologySpread {
                default_constraints: system_default_constraints(),
                system_defaulted: true,
                cache: Default::default(),
            }
        } else {
            PodTopologySpread {
                default_constraints: args.default_constraints.iter().map(Into::into).collect(),
                system_defaulted: false,
                cache: Default::default(),
            }
        }
    }
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

/// Builds the plugin from `PodTopologySpreadArgs` (defaults applied, then validated).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    let mut a = crate::scheduler::registry::parse_args::<PodTopologySpreadArgs>(args)?;
    a.set_defaults();
    a.validate()?;
    Ok(Box::new(PodTopologySpread::from_args(&a)))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders for the PodTopologySpread tests, after pkg/scheduler/testing/wrappers.go.
    use super::*;
    use crate::api::affinity::{
        Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    };
    use crate::api::pod::Toleration;
    use crate::api::selector::LabelSelectorRequirement;
    use crate::api::{
        LabelSelector, Node, Object, ObjectRef, OwnerReference, Pod, ReplicaSet, Service, Taint,
        Time,
    };
    use crate::scheduler::snapshot::Snapshot;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    pub const DNS: &str = "DoNotSchedule";
    pub const SA: &str = "ScheduleAnyway";
    pub const HOST: &str = LABEL_HOSTNAME;
    pub const ZONE: &str = LABEL_TOPOLOGY_ZONE;

    /// `st.MakeLabelSelector().Exists(key)`.
    pub fn exists(key: &str) -> Option<LabelSelector> {
        Some(LabelSelector {
            match_labels: BTreeMap::new(),
            match_expressions: vec![LabelSelectorRequirement {
                key: key.into(),
                operator: "Exists".into(),
                values: vec![],
            }],
        })
    }

    /// `st.MakeLabelSelector().Label(k, v)...`.
    pub fn labels(pairs: &[(&str, &str)]) -> Option<LabelSelector> {
        Some(LabelSelector::from_labels(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ))
    }

    pub fn foo() -> Option<LabelSelector> {
        exists("foo")
    }

    pub fn bar() -> Option<LabelSelector> {
        exists("bar")
    }

    /// `st.MakeNode()`.
    pub struct NodeW(pub Node);

    pub fn node(name: &str) -> NodeW {
        let mut n = Node::default();
        n.metadata.name = name.into();
        NodeW(n)
    }

    impl NodeW {
        pub fn label(mut self, k: &str, v: &str) -> Self {
            self.0.metadata.labels.insert(k.into(), v.into());
            self
        }
        /// The `taints` of filtering_test.go: node.kubernetes.io/unschedulable:NoSchedule.
        pub fn unschedulable_taint(mut self) -> Self {
            self.0.spec.taints.push(Taint {
                key: "node.kubernetes.io/unschedulable".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
                time_added: None,
            });
            self
        }
        pub fn obj(self) -> Node {
            self.0
        }
    }

    /// A node with the labels `zone` and `node` (the usual filtering_test.go node).
    pub fn zn(name: &str, zone: &str) -> NodeW {
        node(name).label("zone", zone).label("node", name)
    }

    /// `st.MakePod()` in namespace "default".
    pub struct PodW(pub Pod);

    pub fn pod(name: &str) -> PodW {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        PodW(p)
    }

    /// A pod on `node` labelled foo="" (the usual existing pod).
    pub fn foo_on(name: &str, node: &str) -> Pod {
        pod(name).node(node).label("foo", "").obj()
    }

    impl PodW {
        pub fn ns(mut self, ns: &str) -> Self {
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
        pub fn terminating(mut self) -> Self {
            self.0.metadata.deletion_timestamp = Some(Time::default());
            self
        }
        pub fn node_selector(mut self, k: &str, v: &str) -> Self {
            self.0.spec.node_selector.insert(k.into(), v.into());
            self
        }
        fn node_affinity(mut self, key: &str, op: &str, vals: &[&str]) -> Self {
            self.0.spec.affinity = Some(Affinity {
                node_affinity: Some(NodeAffinity {
                    required: Some(NodeSelector {
                        node_selector_terms: vec![NodeSelectorTerm {
                            match_expressions: vec![NodeSelectorRequirement {
                                key: key.into(),
                                operator: op.into(),
                                values: vals.iter().map(|s| s.to_string()).collect(),
                            }],
                            match_fields: vec![],
                        }],
                    }),
                    preferred: vec![],
                }),
                ..Default::default()
            });
            self
        }
        pub fn node_affinity_in(self, key: &str, vals: &[&str]) -> Self {
            self.node_affinity(key, "In", vals)
        }
        pub fn node_affinity_not_in(self, key: &str, vals: &[&str]) -> Self {
            self.node_affinity(key, "NotIn", vals)
        }
        /// `Toleration(key)`: Exists, NoSchedule.
        pub fn toleration(mut self, key: &str) -> Self {
            self.0.spec.tolerations.push(Toleration {
                key: key.into(),
                operator: "Exists".into(),
                value: String::new(),
                effect: "NoSchedule".into(),
                toleration_seconds: None,
            });
            self
        }
        /// `OwnerReference(name, apps/v1 ReplicaSet)` (controller).
        pub fn owner_rs(mut self, name: &str) -> Self {
            self.0.metadata.owner_references.push(OwnerReference {
                api_version: "apps/v1".into(),
                kind: "ReplicaSet".into(),
                name: name.into(),
                uid: String::new(),
                controller: Some(true),
                block_owner_deletion: None,
            });
            self
        }
        /// `SpreadConstraint(maxSkew, key, mode, selector, minDomains, nodeAffinityPolicy,
        /// nodeTaintsPolicy, matchLabelKeys)`.
        #[allow(clippy::too_many_arguments)]
        pub fn spread(
            mut self,
            max_skew: i32,
            key: &str,
            mode: &str,
            selector: Option<LabelSelector>,
            min_domains: Option<i32>,
            affinity_policy: Option<&str>,
            taints_policy: Option<&str>,
            match_label_keys: &[&str],
        ) -> Self {
            self.0
                .spec
                .topology_spread_constraints
                .push(TopologySpreadConstraint {
                    max_skew,
                    topology_key: key.into(),
                    when_unsatisfiable: mode.into(),
                    label_selector: selector,
                    min_domains,
                    node_affinity_policy: affinity_policy.map(Into::into),
                    node_taints_policy: taints_policy.map(Into::into),
                    match_label_keys: match_label_keys.iter().map(|s| s.to_string()).collect(),
                });
            self
        }
        /// `SpreadConstraint(maxSkew, key, mode, selector, nil, nil, nil, nil)`.
        pub fn sc(self, max_skew: i32, key: &str, mode: &str, sel: Option<LabelSelector>) -> Self {
            self.spread(max_skew, key, mode, sel, None, None, None, &[])
        }
        pub fn obj(self) -> Pod {
            self.0
        }
    }

    /// A Service in "default" selecting these labels.
    pub fn service(selector: &[(&str, &str)]) -> ObjectRef {
        let mut s = Service::default();
        s.metadata.name = "svc".into();
        s.metadata.namespace = "default".into();
        s.spec.selector = selector
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Arc::new(Object::Service(s))
    }

    /// A ReplicaSet in "default" with this selector.
    pub fn replica_set(name: &str, selector: Option<LabelSelector>) -> ObjectRef {
        let mut rs = ReplicaSet::default();
        rs.metadata.name = name.into();
        rs.metadata.namespace = "default".into();
        rs.spec.selector = selector.unwrap_or_default();
        Arc::new(Object::ReplicaSet(rs))
    }

    /// `cache.NewSnapshot(existingPods, nodes)` plus the informer objects.
    pub fn snapshot(nodes: Vec<Node>, pods: Vec<Pod>, objs: Vec<ObjectRef>) -> Snapshot {
        let mut all: Vec<ObjectRef> = pods.into_iter().map(|p| Arc::new(Object::Pod(p))).collect();
        all.extend(objs);
        Snapshot::from_objects(nodes, &all)
    }

    /// A plugin with `DefaultingType: List` and these default constraints.
    pub fn list_plugin(defaults: Vec<TopologySpreadConstraint>) -> PodTopologySpread {
        PodTopologySpread {
            default_constraints: defaults,
            system_defaulted: false,
            cache: Default::default(),
        }
    }

    /// A plugin with `DefaultingType: System`.
    pub fn system_plugin() -> PodTopologySpread {
        PodTopologySpread {
            default_constraints: system_default_constraints(),
            system_defaulted: true,
            cache: Default::default(),
        }
    }

    /// A default constraint (no selector).
    pub fn dc(max_skew: i32, key: &str, mode: &str) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew,
            topology_key: key.into(),
            when_unsatisfiable: mode.into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_applies_system_defaults_and_rejects_bad_args() {
        let p = PodTopologySpread::from_args(&{
            let mut a = PodTopologySpreadArgs::default();
            a.set_defaults();
            a
        });
        assert!(p.system_defaulted);
        assert_eq!(
            p.default_constraints
                .iter()
                .map(|c| (
                    c.topology_key.as_str(),
                    c.max_skew,
                    c.when_unsatisfiable.as_str()
                ))
                .collect::<Vec<_>>(),
            [
                ("kubernetes.io/hostname", 3, "ScheduleAnyway"),
                ("topology.kubernetes.io/zone", 5, "ScheduleAnyway")
            ]
        );
        assert!(new(None).is_ok());
        let list = serde_json::json!({"defaultingType": "List", "defaultConstraints": [
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]});
        assert!(new(Some(&list)).is_ok());
        let bad = serde_json::json!({"defaultingType": "Other"});
        assert_eq!(
            new(Some(&bad)).err().unwrap(),
            "defaultingType: Unsupported value: \"Other\": supported values: \"System\", \"List\""
        );
        assert!(new(Some(&serde_json::json!({"unknown": true}))).is_err());
    }
}
