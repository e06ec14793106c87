//! Scheduler plugins, one folder per upstream plugin.

pub mod noderesources;
pub mod tainttoleration;

#[cfg(test)]
pub(crate) mod testing {
    //! Builders for plugin tests.
    use crate::api::{Container, Node, Pod, Quantity};
    use crate::scheduler::framework::{NodeInfo, PodInfo};

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
    pub fn pod_info(cpu: i64, memory: i64) -> (Pod, PodInfo) {
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
        p.spec.containers.push(c);
        let info = PodInfo::new(&p);
        (p, info)
    }
}
