//! Test builders for the noderesources plugins, after upstream's
//! pkg/scheduler/framework/plugins/noderesources/test_util.go and the pod/node wrappers of
//! pkg/scheduler/testing (st.MakePod, st.MakeNode).

use super::args::{
    NodeResourcesFitArgs, RequestedToCapacityRatioParam, ResourceSpec, ScoringStrategy,
    UtilizationShapePoint,
};
use super::fit::Fit;
use crate::api::{Container, Node, Pod, Quantity};
use crate::scheduler::framework::{CycleState, NodeInfo, PodInfo, PreScorePlugin, ScorePlugin};
use crate::scheduler::snapshot::Snapshot;
use std::sync::Arc;

/// `extendedRes`.
pub const EXTENDED_RES: &str = "abc.com/xyz";

/// `extendedResourceSet`: cpu, memory and `abc.com/xyz`, weight 1 each.
pub fn extended_resource_set() -> Vec<ResourceSpec> {
    vec![
        ResourceSpec::new("cpu", 1),
        ResourceSpec::new("memory", 1),
        ResourceSpec::new(EXTENDED_RES, 1),
    ]
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).expect("test quantity")
}

/// `st.MakeNode().Name(name).Capacity(res)`: capacity and allocatable alike (no default pods).
pub fn st_node(name: &str, res: &[(&str, &str)]) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    for (k, v) in res {
        n.status.capacity.insert(k.to_string(), q(v));
        n.status.allocatable.insert(k.to_string(), q(v));
    }
    n
}

/// `makeNode`: cpu in millicores, memory in bytes, extended resources in units.
pub fn make_node(name: &str, milli_cpu: i64, memory: i64, extended: &[(&str, i64)]) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    let mut list = crate::api::node::ResourceList::new();
    list.insert("cpu".into(), Quantity::from_milli(milli_cpu));
    list.insert("memory".into(), Quantity::from_bytes(memory));
    for (k, v) in extended {
        list.insert(k.to_string(), Quantity::from_units(*v));
    }
    n.status.capacity = list.clone();
    n.status.allocatable = list;
    n
}

/// `st.MakePod()`: no containers until `req` or `container` adds one.
#[derive(Clone, Debug, Default)]
pub struct PodBuilder(Pod);

pub fn st_pod() -> PodBuilder {
    PodBuilder::default()
}

impl PodBuilder {
    /// `Req`: one more container requesting these quantities.
    pub fn req(mut self, res: &[(&str, &str)]) -> Self {
        if res.is_empty() {
            return self;
        }
        let mut c = Container {
            name: format!("con{}", self.0.spec.containers.len()),
            ..Default::default()
        };
        for (k, v) in res {
            c.resources.requests.insert(k.to_string(), q(v));
        }
        self.0.spec.containers.push(c);
        self
    }

    /// `Container`: one more container without requests.
    pub fn container(mut self, name: &str) -> Self {
        self.0.spec.containers.push(Container {
            name: name.into(),
            ..Default::default()
        });
        self
    }

    pub fn node(mut self, name: &str) -> Self {
        self.0.spec.node_name = name.into();
        self
    }

    pub fn obj(self) -> Pod {
        self.0
    }
}

/// `cache.NewSnapshot(pods, nodes)`: each node with the pods bound to it.
pub fn node_infos(nodes: Vec<Node>, pods: &[Pod]) -> Vec<NodeInfo> {
    nodes
        .into_iter()
        .map(|n| {
            let mut info = NodeInfo::new(n);
            let name = info.name.clone();
            for p in pods.iter().filter(|p| p.spec.node_name == name) {
                info.add_pod(Arc::new(PodInfo::from_pod(p.clone())));
            }
            info
        })
        .collect()
}

/// NodeResourcesFit args with this strategy, not defaulted (as the upstream tests pass them).
pub fn fit_args(
    type_: &str,
    resources: Vec<ResourceSpec>,
    shape: Option<Vec<UtilizationShapePoint>>,
) -> NodeResourcesFitArgs {
    NodeResourcesFitArgs {
        scoring_strategy: Some(ScoringStrategy {
            type_: type_.into(),
            resources,
            requested_to_capacity_ratio: shape.map(|shape| RequestedToCapacityRatioParam { shape }),
        }),
        ..Default::default()
    }
}

/// NodeResourcesFit's scores for `pod` on each node, or the plugin's construction error.
pub fn fit_scores(
    type_: &str,
    resources: Vec<ResourceSpec>,
    shape: Option<Vec<UtilizationShapePoint>>,
    pod: Pod,
    nodes: Vec<Node>,
    existing: Vec<Pod>,
    run_pre_score: bool,
) -> Result<Vec<i64>, String> {
    let fit = Fit::from_args(fit_args(type_, resources, shape))?;
    let infos = node_infos(nodes, &existing);
    let refs: Vec<&NodeInfo> = infos.iter().collect();
    let info = PodInfo::from_pod(pod);
    let snapshot = Snapshot::new();
    let mut state = CycleState::default();
    if run_pre_score {
        let st = fit.pre_score(&mut state, &info, &refs, &snapshot);
        assert!(st.is_success(), "PreScore: {st:?}");
    }
    Ok(infos
        .iter()
        .map(|n| fit.score(&state, &info, n, &snapshot))
        .collect())
}
