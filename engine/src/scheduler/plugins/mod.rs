//! Scheduler plugins, one file (or folder) per upstream plugin
//! (pkg/scheduler/framework/plugins/).

pub mod defaultbinder;
pub mod defaultpreemption;
pub mod imagelocality;
pub mod interpodaffinity;
pub mod nodeaffinity;
pub mod nodename;
pub mod nodeports;
pub mod noderesources;
pub mod nodeunschedulable;
pub mod podtopologyspread;
pub mod queuesort;
pub mod schedulinggates;
pub mod tainttoleration;
pub mod volumes;

use super::framework::Plugin;

/// A plugin constructor taking the plugin's args.
pub type NewPlugin = fn(Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String>;

/// The in-tree plugins by name.
pub fn in_tree() -> Vec<(&'static str, NewPlugin)> {
    vec![
        (schedulinggates::NAME, schedulinggates::new),
        (queuesort::NAME, queuesort::new),
        (nodeunschedulable::NAME, nodeunschedulable::new),
        (nodename::NAME, nodename::new),
        (tainttoleration::NAME, tainttoleration::new),
        (nodeaffinity::NAME, nodeaffinity::new),
        (nodeports::NAME, nodeports::new),
        (noderesources::fit::NAME, noderesources::fit::new),
        (
            noderesources::balanced_allocation::NAME,
            noderesources::balanced_allocation::new,
        ),
        (podtopologyspread::NAME, podtopologyspread::new),
        (interpodaffinity::NAME, interpodaffinity::new),
        (defaultpreemption::NAME, defaultpreemption::new),
        (imagelocality::NAME, imagelocality::new),
        (defaultbinder::NAME, defaultbinder::new),
        (
            volumes::VOLUME_RESTRICTIONS,
            volumes::new_volume_restrictions,
        ),
        (volumes::NODE_VOLUME_LIMITS, volumes::new_node_volume_limits),
        (volumes::VOLUME_BINDING, volumes::new_volume_binding),
        (volumes::VOLUME_ZONE, volumes::new_volume_zone),
        (volumes::DYNAMIC_RESOURCES, volumes::new_dynamic_resources),
    ]
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders for plugin tests.
    use crate::api::{Container, Node, Pod, Quantity};
    use crate::scheduler::framework::{NodeInfo, PodInfo};
    use std::sync::Arc;

    /// A node with `cpu` millicores, `memory` bytes and room for `pods` pods.
    pub fn node_info(name: &str, cpu: i64, memory: i64, pods: i64) -> NodeInfo {
        let mut n = Node::default();
        n.metadata.name = name.into();
        let a = &mut n.status.allocatable;
        a.insert("cpu".into(), Quantity::from_milli(cpu));
        a.insert("memory".into(), Quantity::from_bytes(memory));
        a.insert("pods".into(), Quantity::from_units(pods));
        NodeInfo::new(n)
    }

    /// A pod with one container requesting `cpu` millicores and `memory` bytes (none if 0).
    pub fn pod(cpu: i64, memory: i64) -> Pod {
        let mut c = Container {
            name: "c".into(),
            image: "i".into(),
            ..Default::default()
        };
        if cpu > 0 {
            c.resources
                .requests
                .insert("cpu".into(), Quantity::from_milli(cpu));
        }
        if memory > 0 {
            c.resources
                .requests
                .insert("memory".into(), Quantity::from_bytes(memory));
        }
        let mut p = Pod::default();
        p.metadata.namespace = "default".into();
        p.spec.containers.push(c);
        p
    }

    /// [`pod`] with its PodInfo.
    pub fn pod_info(cpu: i64, memory: i64) -> PodInfo {
        PodInfo::from_pod(pod(cpu, memory))
    }

    /// Adds a pod named `name` with these requests to `node`.
    pub fn add_pod(node: &mut NodeInfo, name: &str, cpu: i64, memory: i64) {
        let mut p = pod(cpu, memory);
        p.metadata.name = name.into();
        p.spec.node_name = node.name.clone();
        node.add_pod(Arc::new(PodInfo::from_pod(p)));
    }
}
