//! The scenario schema: what a RON scenario file holds. Documented in docs/scenarios.md.
//!
//! Every struct rejects unknown fields. Values checked after parsing are wrapped in [`Loc`] so
//! errors about them carry the file position.

use super::loc::Loc;
use super::values::{Decimal, Dur, Qty};
use crate::api::{IntOrString, Kind};
use crate::faults::Fault;
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apiserver: Option<ApiServerSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_manager: Option<ControllerManagerSpec>,
    /// A cluster dump to start from (`kubectl get ... -o json` or YAML manifests), relative to
    /// the scenario file: each Node gets a kubelet that registers it as it was; the other
    /// objects are in the store at time zero with their names, uids and owners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects: Option<Loc<String>>,
    /// The objects read from `objects` (filled in when the scenario is loaded from a file).
    #[serde(skip)]
    pub imported: Vec<crate::api::Object>,
    /// A KubeSchedulerConfiguration file (YAML or JSON, `kubescheduler.config.k8s.io/v1`),
    /// relative to the scenario file; without it the scheduler runs upstream's default profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_config: Option<Loc<String>>,
    /// The configuration read from `scheduler_config` (or given with `kubesim run
    /// --scheduler-config`).
    #[serde(skip)]
    pub scheduler: Option<crate::scheduler::config::LoadedConfig>,
}

/// kube-controller-manager flags; each left out keeps upstream's default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerManagerSpec {
    /// `--kube-api-qps` of each controller's client (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_api_qps: Option<std::num::NonZeroU32>,
    /// `--kube-api-burst` (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_api_burst: Option<u32>,
    /// `--node-monitor-period` (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_monitor_period: Option<Dur>,
    /// `--node-monitor-grace-period` (default 50s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_monitor_grace_period: Option<Dur>,
    /// `--node-startup-grace-period` (default 1m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_startup_grace_period: Option<Dur>,
    /// `--node-eviction-rate`, nodes per second as a decimal string (default "0.1").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_eviction_rate: Option<Decimal>,
    /// `--secondary-node-eviction-rate` (default "0.01").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_node_eviction_rate: Option<Decimal>,
    /// `--unhealthy-zone-threshold` (default "0.55").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_zone_threshold: Option<Decimal>,
    /// `--large-cluster-size-threshold` (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_cluster_size_threshold: Option<u32>,
}

/// API server settings; each left out keeps its default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiServerSpec {
    /// `--etcd-compaction-interval` (default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compaction_interval: Option<Dur>,
    /// Time for a write to commit in the store (default 1ms..3ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_latency: Option<LatencySpec>,
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
    /// Bytes per second each node downloads images at ("50Mi"); needed by `image_sizes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_bandwidth: Option<Qty>,
    /// Image sizes ("nginx:1.27": "70Mi"): a pull also takes size / `pull_bandwidth`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub image_sizes: BTreeMap<String, Qty>,
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
    /// Taints the nodes register with (kubelet `--register-with-taints`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<TaintSpec>,
}

/// A node taint (`v1.Taint`): effect NoSchedule, PreferNoSchedule or NoExecute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintSpec {
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    pub effect: TaintEffect,
}

/// A taint's effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintSpec {
    pub fn to_taint(&self) -> crate::api::Taint {
        crate::api::Taint {
            key: self.key.clone(),
            value: self.value.clone(),
            effect: format!("{:?}", self.effect),
            time_added: None,
        }
    }
}

impl NodePool {
    pub fn node_names(&self) -> impl Iterator<Item = String> + '_ {
        (1..=self.count).map(move |i| format!("{}-{i}", self.name.value))
    }
}

/// Something done at a time: exactly one of `create`, `update`, `scale`, `delete`, `pause`,
/// `resume`, `fault`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub at: Loc<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<Create>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Delete>,
    /// Pause a Deployment's rollout (`kubectl rollout pause`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<Loc<Target>>,
    /// Resume a Deployment's rollout (`kubectl rollout resume`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Loc<Target>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

impl Action {
    /// How many of the alternatives are set (exactly one is valid).
    pub fn alternatives(&self) -> usize {
        [
            self.create.is_some(),
            self.update.is_some(),
            self.scale.is_some(),
            self.delete.is_some(),
            self.pause.is_some(),
            self.resume.is_some(),
            self.fault.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

/// Change a workload's pod template (a rollout for a Deployment): its container's image and
/// requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub target: Loc<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Qty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Qty>,
}

/// An object to create, in short form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Create {
    ReplicaSet(ReplicaSetSpec),
    Deployment(DeploymentSpec),
    DaemonSet(DaemonSetSpec),
    Pod(PodSpec),
    Service(ServiceSpec),
    PriorityClass(PriorityClassSpec),
}

/// A PriorityClass (`scheduling.k8s.io/v1`): pods naming it get its value as priority.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityClassSpec {
    pub name: Loc<String>,
    pub value: i32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub global_default: bool,
    /// PreemptLowerPriority (default) or Never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
}

impl Create {
    pub fn kind(&self) -> Kind {
        match self {
            Create::ReplicaSet(_) => Kind::ReplicaSet,
            Create::Deployment(_) => Kind::Deployment,
            Create::DaemonSet(_) => Kind::DaemonSet,
            Create::Pod(_) => Kind::Pod,
            Create::Service(_) => Kind::Service,
            Create::PriorityClass(_) => Kind::PriorityClass,
        }
    }

    pub fn name(&self) -> &Loc<String> {
        match self {
            Create::ReplicaSet(r) => &r.name,
            Create::Deployment(d) => &d.name,
            Create::DaemonSet(d) => &d.name,
            Create::Pod(p) => &p.name,
            Create::Service(v) => &v.name,
            Create::PriorityClass(v) => &v.name,
        }
    }

    pub fn namespace(&self) -> &str {
        match self {
            Create::ReplicaSet(r) => r.namespace.as_deref(),
            Create::Deployment(d) => d.namespace.as_deref(),
            Create::DaemonSet(d) => d.namespace.as_deref(),
            Create::Pod(p) => p.namespace.as_deref(),
            Create::Service(v) => v.namespace.as_deref(),
            Create::PriorityClass(_) => return "",
        }
        .unwrap_or("default")
    }

    /// The container image (None for a Service).
    pub fn image(&self) -> Option<&str> {
        match self {
            Create::ReplicaSet(r) => Some(&r.image),
            Create::Deployment(d) => Some(&d.image),
            Create::DaemonSet(d) => Some(&d.image),
            Create::Pod(p) => Some(&p.image),
            Create::Service(_) | Create::PriorityClass(_) => None,
        }
    }
}

/// A Deployment in short form: one container named after it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentSpec {
    pub name: Loc<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub replicas: u32,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Qty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Qty>,
    /// Pod labels and selector (default `app: <name>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Default RollingUpdate with maxSurge and maxUnavailable 25%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// Tolerations of the pod (the API server adds the default not-ready/unreachable ones
    /// with 300s unless the pod tolerates those taints already).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<TolerationSpec>,
    /// Pod annotations; `kubesim.io/exit-after`, `kubesim.io/exit-code` and
    /// `kubesim.io/image-pull-error` describe what the container does (docs/scenarios.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// `restartPolicy`: Always (default), OnFailure or Never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// `nodeSelector`: labels a node must have.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// `affinity` in Kubernetes field names, e.g. `(nodeAffinity: (requiredDuringSchedulingIgnoredDuringExecution: (nodeSelectorTerms: [(matchExpressions: [(key: "zone", operator: "In", values: ["a"])])])))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<crate::api::affinity::Affinity>,
    /// `topologySpreadConstraints` in Kubernetes field names, e.g. `[(maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: (matchLabels: {"app": "web"}))]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<crate::api::affinity::TopologySpreadConstraint>,
    /// `priorityClassName` (a PriorityClass created earlier, or system-cluster-critical /
    /// system-node-critical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// `schedulerName` (default `default-scheduler`): the scheduler profile that places the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// A `hostPort` the container asks for (TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    /// A readiness probe that succeeds from this long after the container starts
    /// (`initialDelaySeconds`, whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after: Option<Dur>,
}

/// A Deployment's strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Strategy {
    RollingUpdate {
        /// An integer or a percentage ("25%").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_surge: Option<IntOrString>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_unavailable: Option<IntOrString>,
    },
    Recreate,
}

/// A DaemonSet in short form: one container named after it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSetSpec {
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
    /// Pod annotations; `kubesim.io/exit-after`, `kubesim.io/exit-code` and
    /// `kubesim.io/image-pull-error` describe what the container does (docs/scenarios.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// `restartPolicy`: Always (default), OnFailure or Never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// `nodeSelector`: labels a node must have.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// `affinity` in Kubernetes field names, e.g. `(nodeAffinity: (requiredDuringSchedulingIgnoredDuringExecution: (nodeSelectorTerms: [(matchExpressions: [(key: "zone", operator: "In", values: ["a"])])])))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<crate::api::affinity::Affinity>,
    /// `topologySpreadConstraints` in Kubernetes field names, e.g. `[(maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: (matchLabels: {"app": "web"}))]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<crate::api::affinity::TopologySpreadConstraint>,
    /// `priorityClassName` (a PriorityClass created earlier, or system-cluster-critical /
    /// system-node-critical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// `schedulerName` (default `default-scheduler`): the scheduler profile that places the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// A `hostPort` the container asks for (TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    /// A readiness probe that succeeds from this long after the container starts
    /// (`initialDelaySeconds`, whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after: Option<Dur>,
    /// Tolerations besides the daemon ones the daemonset-controller adds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<TolerationSpec>,
}

/// The container of a short-form workload: one container named after the workload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Tolerations of the pod (the API server adds the default not-ready/unreachable ones
    /// with 300s unless the pod tolerates those taints already).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<TolerationSpec>,
    /// Pod annotations; `kubesim.io/exit-after`, `kubesim.io/exit-code` and
    /// `kubesim.io/image-pull-error` describe what the container does (docs/scenarios.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// `restartPolicy`: Always (default), OnFailure or Never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// `nodeSelector`: labels a node must have.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// `affinity` in Kubernetes field names, e.g. `(nodeAffinity: (requiredDuringSchedulingIgnoredDuringExecution: (nodeSelectorTerms: [(matchExpressions: [(key: "zone", operator: "In", values: ["a"])])])))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<crate::api::affinity::Affinity>,
    /// `topologySpreadConstraints` in Kubernetes field names, e.g. `[(maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: (matchLabels: {"app": "web"}))]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<crate::api::affinity::TopologySpreadConstraint>,
    /// `priorityClassName` (a PriorityClass created earlier, or system-cluster-critical /
    /// system-node-critical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// `schedulerName` (default `default-scheduler`): the scheduler profile that places the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// A `hostPort` the container asks for (TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    /// A readiness probe that succeeds from this long after the container starts
    /// (`initialDelaySeconds`, whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after: Option<Dur>,
}

/// A bare pod.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Tolerations of the pod (the API server adds the default not-ready/unreachable ones
    /// with 300s unless the pod tolerates those taints already).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<TolerationSpec>,
    /// Pod annotations; `kubesim.io/exit-after`, `kubesim.io/exit-code` and
    /// `kubesim.io/image-pull-error` describe what the container does (docs/scenarios.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// `restartPolicy`: Always (default), OnFailure or Never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// `nodeSelector`: labels a node must have.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// `affinity` in Kubernetes field names, e.g. `(nodeAffinity: (requiredDuringSchedulingIgnoredDuringExecution: (nodeSelectorTerms: [(matchExpressions: [(key: "zone", operator: "In", values: ["a"])])])))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<crate::api::affinity::Affinity>,
    /// `topologySpreadConstraints` in Kubernetes field names, e.g. `[(maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: (matchLabels: {"app": "web"}))]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<crate::api::affinity::TopologySpreadConstraint>,
    /// `priorityClassName` (a PriorityClass created earlier, or system-cluster-critical /
    /// system-node-critical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// `schedulerName` (default `default-scheduler`): the scheduler profile that places the pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// A `hostPort` the container asks for (TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    /// A readiness probe that succeeds from this long after the container starts
    /// (`initialDelaySeconds`, whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after: Option<Dur>,
}

/// A pod's `restartPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

/// A Service in short form: a ClusterIP Service selecting pods by labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub name: Loc<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Pods with these labels back the Service.
    pub selector: BTreeMap<String, String>,
    /// The Service port (target port the same), default 80.
    #[serde(default = "default_port")]
    pub port: u16,
}

fn default_port() -> u16 {
    80
}

/// A toleration (`v1.Toleration`): `operator` is "Equal" (default) or "Exists"; an empty
/// `effect` matches every effect; `toleration_seconds` only applies to NoExecute taints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TolerationSpec {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub effect: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// Set a ReplicaSet's or Deployment's replicas.
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
    /// What happens to its dependents (default Background, as for `kubectl delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagation: Option<Propagation>,
}

/// `propagationPolicy` of a deletion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

impl Propagation {
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Background => "Background",
            Propagation::Foreground => "Foreground",
            Propagation::Orphan => "Orphan",
        }
    }
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
/// it), or at the end of the run when neither is given; an `always` count must hold at every
/// moment from `from` (default 0s) to `until` (default the end).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Loc<Dur>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Loc<Dur>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Loc<Dur>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Loc<Dur>>,
    /// Count pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<PodCount>,
    /// Count pods in phase Running (shorthand for `pods` with `phase: Running`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<PodCount>,
    /// A pod count that holds at every moment of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub always: Option<PodCount>,
    /// The Deployment's rollout is complete, as `kubectl rollout status` decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Loc<Target>>,
    /// Count nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<NodeCount>,
}

/// The status of a node condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

/// Counts the Node objects that pass every filter given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeCount {
    /// Only these nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<Loc<String>>,
    /// The Ready condition's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<ConditionStatus>,
    /// Only nodes with a taint of this key ("node.kubernetes.io/unreachable") and, when given
    /// as "key:Effect", this effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
}

/// Counts pods that match every given filter (pods being deleted are not counted unless
/// `terminating: true`). The owner may be a ReplicaSet, a DaemonSet, or a Deployment (through
/// its ReplicaSets).
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
    /// Only pods with a container running this image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Only pods with all these labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Only pods with (true) or without (false) a controller (ownerReference controller: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled: Option<bool>,
    /// Only pods bound to one of these nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<Loc<String>>,
    /// Only pods not bound to any of these nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_on: Vec<Loc<String>>,
    /// Count pods being deleted too (they still occupy their node).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminating: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
}
