//! The scenario schema: what a RON scenario file holds. Documented in docs/scenarios.md.
//!
//! Every struct rejects unknown fields. Values checked after parsing are wrapped in [`Loc`] so
//! errors about them carry the file position.

use super::loc::Loc;
use super::values::{Dur, Qty};
use crate::api::Kind;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A whole scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Seed of every random stream; `kubesim run --seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// How much virtual time to simulate.
    pub run_for: Dur,
    pub cluster: ClusterSpec,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// The cluster at time zero.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    #[serde(default)]
    pub node_pools: Vec<NodePool>,
    /// One-way latency of every component's link to the API server (default 1ms..5ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_latency: Option<LatencySpec>,
    /// Container runtime latencies on every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeSpec>,
}

/// A latency drawn uniformly from `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub min: Dur,
    pub max: Dur,
}

/// Container runtime latencies; each left out keeps its default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<LatencySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull: Option<LatencySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<LatencySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<LatencySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<LatencySpec>,
}

fn default_pods() -> u32 {
    110
}

/// `count` identical nodes named `<name>-1` .. `<name>-<count>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePool {
    pub name: Loc<String>,
    pub count: u32,
    pub cpu: Qty,
    pub memory: Qty,
    /// Allocatable pods (kubelet `maxPods`, default 110).
    #[serde(default = "default_pods")]
    pub pods: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<Qty>,
    /// Sets the `topology.kubernetes.io/zone` label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Images already present on the nodes (no pull needed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

impl NodePool {
    pub fn node_names(&self) -> impl Iterator<Item = String> + '_ {
        (1..=self.count).map(move |i| format!("{}-{i}", self.name.value))
    }
}

/// Something done at a time: exactly one of `create`, `scale`, `delete`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub at: Loc<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<Create>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Delete>,
}

/// An object to create, in short form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Create {
    ReplicaSet(ReplicaSetSpec),
    Pod(PodSpec),
}

impl Create {
    pub fn kind(&self) -> Kind {
        match self {
            Create::ReplicaSet(_) => Kind::ReplicaSet,
            Create::Pod(_) => Kind::Pod,
        }
    }

    pub fn name(&self) -> &Loc<String> {
        match self {
            Create::ReplicaSet(r) => &r.name,
            Create::Pod(p) => &p.name,
        }
    }

    pub fn namespace(&self) -> &str {
        match self {
            Create::ReplicaSet(r) => r.namespace.as_deref(),
            Create::Pod(p) => p.namespace.as_deref(),
        }
        .unwrap_or("default")
    }
}

/// The container of a short-form workload: one container named after the workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaSetSpec {
    pub name: Loc<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub replicas: u32,
    pub image: String,
    /// cpu request of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Qty>,
    /// memory request of the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Qty>,
    /// Pod labels and selector (default `app: <name>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A bare pod.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodSpec {
    pub name: Loc<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Qty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Qty>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Bind directly to this node, bypassing the scheduler (`spec.nodeName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<Loc<String>>,
}

/// Set a ReplicaSet's replicas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub target: Loc<Target>,
    pub replicas: u32,
}

/// Delete an object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delete {
    pub target: Loc<Target>,
}

/// An object named as "Kind/name" or "Kind/namespace/name" (namespace "default" if left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let (kind, namespace, name) = match parts.as_slice() {
            [k, n] => (*k, "default", *n),
            [k, ns, n] => (*k, *ns, *n),
            _ => {
                return Err(format!(
                    "expected an object reference \"Kind/name\" or \"Kind/namespace/name\", found {s:?}"
                ))
            }
        };
        if kind.is_empty() || namespace.is_empty() || name.is_empty() {
            return Err(format!(
                "expected an object reference \"Kind/name\" or \"Kind/namespace/name\", found {s:?}"
            ));
        }
        Ok(Target {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace == "default" {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Target::parse(&s).map_err(de::Error::custom)
    }
}

/// A pod phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Unknown => "Unknown",
        }
    }
}

/// A condition on the cluster, checked `at` a time, `by` a time (holds at some moment up to
/// it), or at the end of the run when neither is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Loc<Dur>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Loc<Dur>>,
    /// Count pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<PodCount>,
    /// Count pods in phase Running (shorthand for `pods` with `phase: Running`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<PodCount>,
}

/// Counts pods that match every given filter (pods being deleted are not counted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodCount {
    /// Pods controlled by this object ("ReplicaSet/web").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Loc<Target>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Ready condition True (true) or not (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// Only pods bound to one of these nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<Loc<String>>,
    /// Only pods not bound to any of these nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_on: Vec<Loc<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
}
