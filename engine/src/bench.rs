//! Scheduler throughput workloads for `kubesim bench scheduler` and the criterion bench:
//! N nodes in a [`Snapshot`], then M pods scheduled one after another with [`schedule_pod`]
//! and assumed on the chosen node ([`Snapshot::add_pod`]), as the scheduler actor does.
//! Models test/integration/scheduler_perf's SchedulingBasic workload
//! (templates/node-default.yaml, templates/pod-default.yaml) and, for `spread-affinity`, its
//! topology spreading and preferred anti-affinity pods (config/pod-with-topology-spreading.yaml,
//! config/pod-with-preferred-pod-anti-affinity.yaml). No clock here: callers time [`Bench::run`].

use crate::api::affinity::{
    Affinity, ContainerPort, PodAffinity, PodAffinityTerm, TopologySpreadConstraint,
    WeightedPodAffinityTerm,
};
use crate::api::selector::LabelSelector;
use crate::api::{Container, Node, Object, ObjectRef, Pod, Quantity};
use crate::scheduler::framework::PodInfo;
use crate::scheduler::schedule_one::schedule_pod;
use crate::scheduler::{Profile, Snapshot};
use crate::sim::rng::{actor_stream, SimRng};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Zones the nodes are spread over, round-robin.
pub const ZONES: [&str; 3] = ["zone-1", "zone-2", "zone-3"];
/// The namespace of the measured pods (scheduler_perf's `sched-test`).
pub const NAMESPACE: &str = "sched-test";
/// Node allocatable: 32 cpu, 128Gi, 110 pods (node-default.yaml has 4 cpu and 32Gi; larger
/// here so that 50,000 pods of 100m/500Mi fit on 500 nodes, limited by the pod count).
pub const NODE_CPU_MILLI: i64 = 32_000;
pub const NODE_MEMORY: i64 = 128 << 30;
pub const NODE_PODS: i64 = 110;

/// The built-in workloads: name and what it schedules.
pub const WORKLOADS: &[(&str, &str)] = &[
    (
        "default",
        "SchedulingBasic: pods requesting 100m cpu and 500Mi, default profile",
    ),
    (
        "spread-affinity",
        "the same pods labelled color=blue, with a zone topology spread constraint (maxSkew 5, \
         DoNotSchedule) and a preferred hostname anti-affinity (weight 1) on color=blue",
    ),
];

/// Which pods a run schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Default,
    SpreadAffinity,
}

impl Workload {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "default" => Some(Workload::Default),
            "spread-affinity" => Some(Workload::SpreadAffinity),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Workload::Default => "default",
            Workload::SpreadAffinity => "spread-affinity",
        }
    }
}

/// Node `i`: `node-<i>` in zone `ZONES[i % 3]`, with hostname and zone labels, Ready.
pub fn node(i: usize) -> Node {
    let mut n = Node::default();
    n.metadata.name = format!("node-{i}");
    let labels = &mut n.metadata.labels;
    labels.insert("kubernetes.io/hostname".into(), n.metadata.name.clone());
    labels.insert(
        "topology.kubernetes.io/zone".into(),
        ZONES[i % ZONES.len()].into(),
    );
    let a = &mut n.status.allocatable;
    a.insert("cpu".into(), Quantity::from_milli(NODE_CPU_MILLI));
    a.insert("memory".into(), Quantity::from_bytes(NODE_MEMORY));
    a.insert("pods".into(), Quantity::from_units(NODE_PODS));
    n.status.capacity = n.status.allocatable.clone();
    n.status.conditions.push(crate::api::node::NodeCondition {
        type_: "Ready".into(),
        status: "True".into(),
        ..Default::default()
    });
    n
}

/// Pod `i` of a workload: `sched-test/pod-<i>`, one pause container requesting (and limited
/// to) 100m cpu and 500Mi, with container port 80, for `scheduler_name`.
pub fn pod(i: usize, workload: Workload, scheduler_name: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.namespace = NAMESPACE.into();
    p.metadata.name = format!("pod-{i}");
    p.metadata.uid = format!("uid-pod-{i}");
    p.spec.scheduler_name = scheduler_name.into();
    let mut c = Container {
        name: "pause".into(),
        image: "registry.k8s.io/pause:3.10.1".into(),
        ports: vec![ContainerPort {
            container_port: 80,
            ..Default::default()
        }],
        ..Default::default()
    };
    for list in [&mut c.resources.requests, &mut c.resources.limits] {
        list.insert("cpu".into(), Quantity::from_milli(100));
        list.insert("memory".into(), Quantity::from_bytes(500 << 20));
    }
    p.spec.containers.push(c);
    if workload == Workload::SpreadAffinity {
        let labels = BTreeMap::from([("color".to_string(), "blue".to_string())]);
        let selector = LabelSelector::from_labels(&labels);
        p.metadata.labels = labels;
        p.spec.topology_spread_constraints = vec![TopologySpreadConstraint {
            max_skew: 5,
            topology_key: "topology.kubernetes.io/zone".into(),
            when_unsatisfiable: "DoNotSchedule".into(),
            label_selector: Some(selector.clone()),
            ..Default::default()
        }];
        p.spec.affinity = Some(Affinity {
            pod_anti_affinity: Some(PodAffinity {
                preferred: vec![WeightedPodAffinityTerm {
                    weight: 1,
                    pod_affinity_term: PodAffinityTerm {
                        label_selector: Some(selector),
                        namespaces: vec![NAMESPACE.into()],
                        topology_key: "kubernetes.io/hostname".into(),
                        ..Default::default()
                    },
                }],
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    p
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub scheduled: usize,
    /// Pods no node fit (PostFilter is not run).
    pub unschedulable: usize,
    /// Nodes whose filters ran, summed over the pods.
    pub evaluated: usize,
    /// blake3 over each pod's chosen node (or "-"), in order: equal digests, equal placements.
    pub digest: String,
}

/// One prepared run: the nodes in a snapshot and the pods to schedule.
#[derive(Clone)]
pub struct Bench {
    pub snapshot: Snapshot,
    pub pods: Vec<ObjectRef>,
}

impl Bench {
    /// `nodes` nodes and `pods` pods of `workload` for the profile `scheduler_name`.
    pub fn new(workload: Workload, nodes: usize, pods: usize, scheduler_name: &str) -> Self {
        let mut snapshot = Snapshot::new();
        for i in 0..nodes {
            snapshot.set_node(node(i));
        }
        let pods = (0..pods)
            .map(|i| Arc::new(Object::Pod(pod(i, workload, scheduler_name))))
            .collect();
        Bench { snapshot, pods }
    }

    /// Schedules every pod in order with `profile`, assuming each on its node: the measured
    /// work. Ties are broken by a seeded stream, as the scheduler actor's.
    pub fn run(&mut self, profile: &Profile) -> Outcome {
        let mut rng = SimRng::new(1, actor_stream("kube-scheduler"));
        let mut hasher = blake3::Hasher::new();
        let mut out = Outcome {
            scheduled: 0,
            unschedulable: 0,
            evaluated: 0,
            digest: String::new(),
        };
        let mut next_start = 0;
        for obj in &self.pods {
            let info = PodInfo::new(obj.clone());
            let cycle = {
                let mut pick = |n: usize| rng.index(n);
                schedule_pod(profile, &info, &self.snapshot, next_start, &mut pick)
            };
            if !self.snapshot.is_empty() {
                next_start = (next_start + cycle.filtered.processed) % self.snapshot.len();
            }
            out.evaluated += cycle.filtered.processed;
            match cycle.decision.selected {
                Some(node) => {
                    hasher.update(node.as_bytes());
                    self.snapshot.add_pod(Arc::new(info), &node);
                    out.scheduled += 1;
                }
                None => {
                    hasher.update(b"-");
                    out.unschedulable += 1;
                }
            }
            hasher.update(b"\n");
        }
        out.digest = hasher.finalize().to_hex().to_string();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_workload_fills_nodes_evenly() {
        let profile = Profile::default_profile();
        let mut b = Bench::new(Workload::Default, 6, 60, &profile.scheduler_name);
        let out = b.run(&profile);
        assert_eq!((out.scheduled, out.unschedulable), (60, 0));
        // LeastAllocated and BalancedAllocation spread identical pods evenly.
        for n in b.snapshot.list() {
            assert_eq!(n.pod_count(), 10, "{}", n.name);
        }
    }

    #[test]
    fn spread_affinity_workload_spreads_over_hosts_and_zones() {
        let profile = Profile::default_profile();
        let mut b = Bench::new(Workload::SpreadAffinity, 9, 27, &profile.scheduler_name);
        let out = b.run(&profile);
        assert_eq!(out.scheduled, 27);
        for n in b.snapshot.list() {
            assert_eq!(n.pod_count(), 3, "{}", n.name);
        }
    }

    #[test]
    fn pods_beyond_capacity_are_unschedulable_and_runs_repeat() {
        let profile = Profile::default_profile();
        let b = Bench::new(
            Workload::Default,
            1,
            NODE_PODS as usize + 5,
            "default-scheduler",
        );
        let out = b.clone().run(&profile);
        assert_eq!((out.scheduled, out.unschedulable), (110, 5));
        assert_eq!(b.clone().run(&profile), out);
        assert_eq!(
            Workload::parse("spread-affinity"),
            Some(Workload::SpreadAffinity)
        );
        assert_eq!(Workload::parse("nope"), None);
    }
}
