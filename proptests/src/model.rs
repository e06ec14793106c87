//! The fuzzing model: a random cluster and a growing list of timed actions (workloads, scaling,
//! template updates, deletions, faults), as a proptest-state-machine reference machine. Each
//! transition adds one action; [`Case::scenario`] turns the model into a scenario.
//!
//! Scenarios are built as JSON and deserialized into [`Scenario`], so schema fields no generator
//! sets yet take their defaults: to fuzz a new pod field, add it to [`Template`] (scheduling
//! constraints: [`Placement`]), draw it in [`template`] and write it in [`Template::json`]; a new
//! workload or fault is a variant of [`Act`] or [`FaultPlan`] with its arm in [`transitions`].

use crate::constraints::{classes, placement, pool_taints, Context, TAINT_VALUES};
pub use crate::constraints::{PClass, Placement, PoolTaint, LABELS, ZONES};
use kubesim::scenario::Scenario;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use proptest_state_machine::ReferenceStateMachine;
use serde_json::{json, Map, Value};

/// At most this many nodes in a cluster.
pub const MAX_NODES: u32 = 50;
/// Actions are at most this far apart (milliseconds).
pub const MAX_GAP_MS: u64 = 90_000;
/// Virtual time simulated after the last action or fault ends, so the cluster settles.
pub const QUIET_MS: u64 = 300_000;

/// Images workloads run and nodes may have already.
pub const IMAGES: [&str; 3] = ["nginx:1.27", "nginx:1.28", "agent:1"];
/// Actions start this late when the case creates PriorityClasses (at 0s), so pods never
/// name a class before it exists.
pub const CLASSES_FIRST_MS: u64 = 1_000;

/// One node pool (`pool-<i>`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub count: u32,
    pub cpu_milli: u32,
    pub memory_mi: u32,
    pub pods: u32,
    /// Index into the zone names.
    pub zone: Option<usize>,
    /// (label, value) indices into [`LABELS`].
    pub labels: Vec<(usize, usize)>,
    pub images: Vec<usize>,
    pub taints: Vec<PoolTaint>,
}

/// A toleration; `seconds` only with effect NoExecute (as validation requires).
#[derive(Clone, Debug, PartialEq)]
pub struct Tol {
    /// Empty: every key (operator Exists).
    pub key: &'static str,
    pub exists: bool,
    /// With operator Equal.
    pub value: &'static str,
    pub effect: &'static str,
    pub seconds: Option<i64>,
}

/// The pod template of a workload (or a bare pod).
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub image: usize,
    pub cpu_milli: Option<u32>,
    pub memory_mi: Option<u32>,
    pub tolerations: Vec<Tol>,
    /// A readiness probe that passes this many seconds after start.
    pub ready_after_s: Option<u32>,
    pub placement: Box<Placement>,
}

/// What kind of object a workload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WKind {
    ReplicaSet,
    Deployment,
    DaemonSet,
    Pod,
}

impl WKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WKind::ReplicaSet => "ReplicaSet",
            WKind::Deployment => "Deployment",
            WKind::DaemonSet => "DaemonSet",
            WKind::Pod => "Pod",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            WKind::ReplicaSet => "rs",
            WKind::Deployment => "deploy",
            WKind::DaemonSet => "ds",
            WKind::Pod => "pod",
        }
    }

    pub fn scalable(self) -> bool {
        matches!(self, WKind::ReplicaSet | WKind::Deployment)
    }
}

/// A Deployment's strategy: RollingUpdate (maxSurge, maxUnavailable; None keeps 25%) or
/// Recreate.
#[derive(Clone, Debug, PartialEq)]
pub enum Rollout {
    Rolling {
        max_surge: Option<IntOrPct>,
        max_unavailable: Option<IntOrPct>,
    },
    Recreate,
}

/// An `IntOrString` value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IntOrPct {
    Int(u32),
    Pct(u32),
}

impl IntOrPct {
    fn json(self) -> Value {
        match self {
            IntOrPct::Int(i) => json!(i),
            IntOrPct::Pct(p) => json!(format!("{p}%")),
        }
    }
}

/// A workload to create.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub kind: WKind,
    /// Unique in the case: `<prefix>-<n>`.
    pub name: String,
    pub replicas: u32,
    pub template: Template,
    pub rollout: Option<Rollout>,
    pub min_ready_seconds: Option<u32>,
}

/// A fault and how long it lasts; every fault ends, so the cluster can recover.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultPlan {
    /// StopKubelet, then StartKubelet after `down_ms`.
    KubeletRestart {
        node: String,
        down_ms: u64,
    },
    /// LoseNode, then StartKubelet (an empty machine) after `down_ms`.
    NodeLoss {
        node: String,
        down_ms: u64,
    },
    Partition {
        nodes: Vec<String>,
        ms: u64,
    },
    ZoneOutage {
        zone: usize,
        ms: u64,
    },
    ApiServerDown {
        ms: u64,
    },
    /// Compact the store's history now (watchers behind get 410 Gone).
    Compact,
}

impl FaultPlan {
    /// How long the fault lasts.
    pub fn duration_ms(&self) -> u64 {
        match self {
            FaultPlan::KubeletRestart { down_ms, .. } | FaultPlan::NodeLoss { down_ms, .. } => {
                *down_ms
            }
            FaultPlan::Partition { ms, .. }
            | FaultPlan::ZoneOutage { ms, .. }
            | FaultPlan::ApiServerDown { ms } => *ms,
            FaultPlan::Compact => 0,
        }
    }
}

/// One action of a case.
#[derive(Clone, Debug, PartialEq)]
pub enum Act {
    Create(Workload),
    Scale {
        kind: WKind,
        name: String,
        replicas: u32,
    },
    /// A new image and cpu request (a rollout for a Deployment).
    Update {
        kind: WKind,
        name: String,
        image: usize,
        cpu_milli: Option<u32>,
    },
    Delete {
        kind: WKind,
        name: String,
    },
    Fault(FaultPlan),
}

/// An action at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at_ms: u64,
    pub act: Act,
}

/// A whole case: the cluster and the actions so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Case {
    pub seed: u64,
    pub pools: Vec<Pool>,
    pub steps: Vec<Step>,
    /// Workloads created so far (names stay unique when steps are removed).
    pub created: u32,
    /// PriorityClasses `prio-<i>`, created at 0s.
    pub classes: Vec<PClass>,
}

/// A workload alive at the end of a case.
#[derive(Clone, Debug, PartialEq)]
pub struct Live {
    pub kind: WKind,
    pub name: String,
    pub replicas: u32,
    pub template: Template,
}

fn ms(v: u64) -> String {
    kubesim::sim::format_duration(v * 1000)
}

fn qty_milli(m: u32) -> String {
    if m.is_multiple_of(1000) {
        format!("{}", m / 1000)
    } else {
        format!("{m}m")
    }
}

impl Template {
    /// The pod fields of a short-form workload named `own`, in a case with `classes`
    /// PriorityClasses.
    fn json(&self, own: &str, classes: usize, into: &mut Map<String, Value>) {
        into.insert("image".into(), json!(IMAGES[self.image]));
        self.placement.json(own, classes, into);
        if let Some(c) = self.cpu_milli {
            into.insert("cpu".into(), json!(qty_milli(c)));
        }
        if let Some(m) = self.memory_mi {
            into.insert("memory".into(), json!(format!("{m}Mi")));
        }
        if !self.tolerations.is_empty() {
            let tols: Vec<Value> = self.tolerations.iter().map(Tol::json).collect();
            into.insert("tolerations".into(), Value::Array(tols));
        }
        if let Some(s) = self.ready_after_s {
            into.insert("ready_after".into(), json!(format!("{s}s")));
        }
    }
}

impl Tol {
    fn json(&self) -> Value {
        let mut m = Map::new();
        if !self.key.is_empty() {
            m.insert("key".into(), json!(self.key));
        }
        if self.exists {
            m.insert("operator".into(), json!("Exists"));
        } else {
            m.insert("value".into(), json!(self.value));
        }
        if !self.effect.is_empty() {
            m.insert("effect".into(), json!(self.effect));
        }
        if let Some(s) = self.seconds {
            m.insert("toleration_seconds".into(), json!(s));
        }
        Value::Object(m)
    }
}

impl Workload {
    fn json(&self, classes: usize) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        if self.kind.scalable() {
            m.insert("replicas".into(), json!(self.replicas));
        }
        self.template.json(&self.name, classes, &mut m);
        if let Some(r) = &self.rollout {
            let s = match r {
                Rollout::Recreate => json!("Recreate"),
                Rollout::Rolling {
                    max_surge,
                    max_unavailable,
                } => {
                    let mut f = Map::new();
                    if let Some(v) = max_surge {
                        f.insert("max_surge".into(), v.json());
                    }
                    if let Some(v) = max_unavailable {
                        f.insert("max_unavailable".into(), v.json());
                    }
                    json!({ "RollingUpdate": f })
                }
            };
            m.insert("strategy".into(), s);
        }
        if let Some(s) = self.min_ready_seconds {
            m.insert("min_ready_seconds".into(), json!(s));
        }
        json!({ self.kind.as_str(): m })
    }
}

impl Pool {
    pub fn name(i: usize) -> String {
        format!("pool-{i}")
    }
}

impl Case {
    /// Every node name, pool by pool.
    pub fn node_names(&self) -> Vec<String> {
        self.pools
            .iter()
            .enumerate()
            .flat_map(|(i, p)| (1..=p.count).map(move |n| format!("{}-{n}", Pool::name(i))))
            .collect()
    }

    /// Zones that have nodes.
    pub fn zones(&self) -> Vec<usize> {
        let mut z: Vec<usize> = self.pools.iter().filter_map(|p| p.zone).collect();
        z.sort_unstable();
        z.dedup();
        z
    }

    /// The labels the case's nodes carry (pool labels, zones, hostnames), for constraints.
    pub fn context(&self) -> Context {
        let mut labels: Vec<(&'static str, Vec<String>)> = LABELS
            .iter()
            .enumerate()
            .map(|(k, (key, values))| {
                let mut vs: Vec<String> = self
                    .pools
                    .iter()
                    .flat_map(|p| &p.labels)
                    .filter(|(pk, _)| *pk == k)
                    .map(|(_, v)| values[*v].to_string())
                    .collect();
                vs.sort();
                vs.dedup();
                (*key, vs)
            })
            .collect();
        let zones = self.zones().iter().map(|z| ZONES[*z].to_string()).collect();
        labels.push(("topology.kubernetes.io/zone", zones));
        labels.push(("kubernetes.io/hostname", self.node_names()));
        labels.push(("metadata.name", self.node_names()));
        Context {
            labels,
            created: self.created,
        }
    }

    /// The time of the last action.
    pub fn last_at(&self) -> u64 {
        self.steps.last().map_or(0, |s| s.at_ms)
    }

    /// When the last action or fault is over.
    pub fn settled_at(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| match &s.act {
                Act::Fault(f) => s.at_ms + f.duration_ms(),
                _ => s.at_ms,
            })
            .max()
            .unwrap_or(0)
    }

    /// Run length: [`QUIET_MS`] after everything has happened.
    pub fn run_for_ms(&self) -> u64 {
        self.settled_at() + QUIET_MS
    }

    /// Workloads alive after every step, with their last replicas and template.
    pub fn live(&self) -> Vec<Live> {
        let mut live: Vec<Live> = Vec::new();
        for s in &self.steps {
            match &s.act {
                Act::Create(w) => live.push(Live {
                    kind: w.kind,
                    name: w.name.clone(),
                    replicas: w.replicas,
                    template: w.template.clone(),
                }),
                Act::Scale {
                    kind,
                    name,
                    replicas,
                } => {
                    if let Some(l) = live.iter_mut().find(|l| l.kind == *kind && l.name == *name) {
                        l.replicas = *replicas;
                    }
                }
                Act::Update {
                    kind,
                    name,
                    image,
                    cpu_milli,
                } => {
                    if let Some(l) = live.iter_mut().find(|l| l.kind == *kind && l.name == *name) {
                        l.template.image = *image;
                        l.template.cpu_milli = *cpu_milli;
                    }
                }
                Act::Delete { kind, name } => {
                    live.retain(|l| !(l.kind == *kind && l.name == *name))
                }
                Act::Fault(_) => {}
            }
        }
        live
    }

    /// How much later than their `at_ms` the steps happen: [`CLASSES_FIRST_MS`] when the
    /// case creates PriorityClasses.
    pub fn offset_ms(&self) -> u64 {
        if self.classes.is_empty() {
            0
        } else {
            CLASSES_FIRST_MS
        }
    }

    /// Whether `kind/name` exists after the steps so far.
    fn alive(&self, kind: WKind, name: &str) -> bool {
        self.live().iter().any(|l| l.kind == kind && l.name == name)
    }

    /// Whether a step may come next: in time order, on an object that exists, on nodes and
    /// zones the cluster has.
    pub fn allows(&self, s: &Step) -> bool {
        if s.at_ms < self.last_at() {
            return false;
        }
        match &s.act {
            Act::Create(w) => !self
                .steps
                .iter()
                .any(|p| matches!(&p.act, Act::Create(o) if o.kind == w.kind && o.name == w.name)),
            Act::Scale { kind, name, .. } => kind.scalable() && self.alive(*kind, name),
            Act::Update { kind, name, .. } => *kind != WKind::Pod && self.alive(*kind, name),
            Act::Delete { kind, name } => self.alive(*kind, name),
            Act::Fault(f) => {
                let nodes = self.node_names();
                match f {
                    FaultPlan::KubeletRestart { node, .. } | FaultPlan::NodeLoss { node, .. } => {
                        nodes.contains(node)
                    }
                    FaultPlan::Partition { nodes: ns, .. } => {
                        !ns.is_empty() && ns.iter().all(|n| nodes.contains(n))
                    }
                    FaultPlan::ZoneOutage { zone, .. } => self.zones().contains(zone),
                    FaultPlan::ApiServerDown { .. } | FaultPlan::Compact => true,
                }
            }
        }
    }

    /// The scenario: pools `pool-<i>`, the steps as actions, no expectations, running
    /// [`Case::run_for_ms`].
    pub fn scenario(&self) -> Scenario {
        let pools: Vec<Value> = self
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut m = Map::new();
                m.insert("name".into(), json!(Pool::name(i)));
                m.insert("count".into(), json!(p.count));
                m.insert("cpu".into(), json!(qty_milli(p.cpu_milli)));
                m.insert("memory".into(), json!(format!("{}Mi", p.memory_mi)));
                m.insert("pods".into(), json!(p.pods));
                if let Some(z) = p.zone {
                    m.insert("zone".into(), json!(ZONES[z]));
                }
                if !p.labels.is_empty() {
                    let labels: Map<String, Value> = p
                        .labels
                        .iter()
                        .map(|(k, v)| (LABELS[*k].0.to_string(), json!(LABELS[*k].1[*v])))
                        .collect();
                    m.insert("labels".into(), Value::Object(labels));
                }
                if !p.images.is_empty() {
                    let images: Vec<Value> = p.images.iter().map(|i| json!(IMAGES[*i])).collect();
                    m.insert("images".into(), Value::Array(images));
                }
                if !p.taints.is_empty() {
                    let taints: Vec<Value> = p.taints.iter().map(PoolTaint::json).collect();
                    m.insert("taints".into(), Value::Array(taints));
                }
                Value::Object(m)
            })
            .collect();
        let mut actions: Vec<Value> = Vec::new();
        for (i, c) in self.classes.iter().enumerate() {
            actions.push(json!({"at": "0s", "create": c.json(i)}));
        }
        let offset = self.offset_ms();
        let classes = self.classes.len();
        for s in &self.steps {
            let at_ms = s.at_ms + offset;
            let at = json!(ms(at_ms));
            let target = |k: &WKind, n: &str| json!(format!("{}/{n}", k.as_str()));
            match &s.act {
                Act::Create(w) => actions.push(json!({"at": at, "create": w.json(classes)})),
                Act::Scale {
                    kind,
                    name,
                    replicas,
                } => actions.push(json!({"at": at, "scale": {
                    "target": target(kind, name), "replicas": replicas}})),
                Act::Update {
                    kind,
                    name,
                    image,
                    cpu_milli,
                } => {
                    let mut u = Map::new();
                    u.insert("target".into(), target(kind, name));
                    u.insert("image".into(), json!(IMAGES[*image]));
                    if let Some(c) = cpu_milli {
                        u.insert("cpu".into(), json!(qty_milli(*c)));
                    }
                    actions.push(json!({"at": at, "update": u}));
                }
                Act::Delete { kind, name } => {
                    actions.push(json!({"at": at, "delete": {"target": target(kind, name)}}))
                }
                Act::Fault(f) => {
                    let end = json!(ms(at_ms + f.duration_ms()));
                    let (begin, finish) = match f {
                        FaultPlan::KubeletRestart { node, .. } => (
                            json!({"StopKubelet": {"node": node}}),
                            Some(json!({"StartKubelet": {"node": node}})),
                        ),
                        FaultPlan::NodeLoss { node, .. } => (
                            json!({"LoseNode": {"node": node}}),
                            Some(json!({"StartKubelet": {"node": node}})),
                        ),
                        FaultPlan::Partition { nodes, ms: d } => (
                            json!({"Partition": {"nodes": nodes, "duration": ms(*d)}}),
                            None,
                        ),
                        FaultPlan::ZoneOutage { zone, ms: d } => (
                            json!({"ZoneOutage": {"zone": ZONES[*zone], "duration": ms(*d)}}),
                            None,
                        ),
                        FaultPlan::ApiServerDown { ms: d } => {
                            (json!({"ApiServerDown": {"duration": ms(*d)}}), None)
                        }
                        FaultPlan::Compact => (json!("Compact"), None),
                    };
                    actions.push(json!({"at": at, "fault": begin}));
                    if let Some(f) = finish {
                        actions.push(json!({"at": end, "fault": f}));
                    }
                }
            }
        }
        let v = json!({
            "name": "fuzz",
            "seed": self.seed,
            "run_for": ms(self.run_for_ms() + offset),
            "cluster": {"node_pools": pools},
            "actions": actions,
        });
        serde_json::from_value(v).expect("the model builds a well-formed scenario")
    }
}

// ----- strategies -----

/// 1-3 pools of 1-50 nodes in all, mostly small: 1-4 nodes each, now and then up to 16.
pub fn pools() -> impl Strategy<Value = Vec<Pool>> {
    let count = prop_oneof![4 => 1u32..=4, 1 => 5u32..=16];
    let pool = (
        count,
        prop::sample::select(vec![1000u32, 2000, 4000, 8000, 1500]),
        prop::sample::select(vec![1024u32, 4096, 16384, 32768]),
        prop_oneof![1 => 3u32..=10, 3 => Just(110u32)],
        prop::option::weighted(0.7, 0usize..ZONES.len()),
        prop::collection::vec((0usize..LABELS.len(), 0usize..3), 0..=3),
        prop::collection::vec(0usize..IMAGES.len(), 0..=2),
        pool_taints(),
    )
        .prop_map(
            |(count, cpu_milli, memory_mi, pods, zone, mut labels, mut images, taints)| {
                labels.sort_unstable();
                labels.dedup_by_key(|(k, _)| *k);
                images.sort_unstable();
                images.dedup();
                Pool {
                    count,
                    cpu_milli,
                    memory_mi,
                    pods,
                    zone,
                    labels,
                    images,
                    taints,
                }
            },
        );
    prop::collection::vec(pool, 1..=3).prop_map(|mut pools| {
        // At most MAX_NODES in all.
        let mut left = MAX_NODES;
        for p in pools.iter_mut() {
            p.count = p.count.min(left);
            left -= p.count;
        }
        pools.retain(|p| p.count > 0);
        pools
    })
}

/// Tolerations a pod may carry: of the taints faults bring (unreachable, not-ready), of the
/// pools' `dedicated` taint (Exists, or Equal to one of its values), any key; with or without
/// tolerationSeconds.
pub fn toleration() -> impl Strategy<Value = Tol> {
    let key = prop::sample::select(vec![
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/not-ready",
        "dedicated",
        "dedicated",
        "",
    ]);
    let effect = prop::sample::select(vec!["NoExecute", "NoSchedule", "PreferNoSchedule", ""]);
    let seconds = prop::option::of(prop::sample::select(vec![0i64, 5, 30, 60, 120, 400]));
    let equal = prop::option::weighted(0.5, prop::sample::select(TAINT_VALUES.to_vec()));
    (key, effect, seconds, equal).prop_map(|(key, effect, seconds, equal)| {
        // An empty key needs operator Exists; the fault taints have no value, so Exists.
        let value = equal.filter(|_| key == "dedicated");
        Tol {
            key,
            exists: value.is_none(),
            value: value.unwrap_or(""),
            effect,
            seconds: seconds.filter(|_| effect == "NoExecute"),
        }
    })
}

/// A pod template: an image, requests (each maybe left out), 0-2 tolerations, maybe a
/// readiness delay, and scheduling constraints now and then.
pub fn template() -> impl Strategy<Value = Template> {
    template_for(WKind::ReplicaSet, &Context::default())
}

/// [`template`] for a workload of `kind` (spread constraints with `matchLabelKeys:
/// [pod-template-hash]` only for Deployments) in a cluster described by `ctx`.
pub fn template_for(kind: WKind, ctx: &Context) -> impl Strategy<Value = Template> {
    (
        0usize..IMAGES.len(),
        prop::option::weighted(
            0.8,
            prop::sample::select(vec![50u32, 100, 250, 500, 1000, 2000]),
        ),
        prop::option::weighted(0.6, prop::sample::select(vec![64u32, 256, 1024, 4096])),
        prop::collection::vec(toleration(), 0..=2),
        prop::option::weighted(0.2, 1u32..=20),
        placement(kind == WKind::Deployment, ctx),
    )
        .prop_map(
            |(image, cpu_milli, memory_mi, tolerations, ready_after_s, placement)| Template {
                image,
                cpu_milli,
                memory_mi,
                tolerations,
                ready_after_s,
                placement: Box::new(placement),
            },
        )
}

fn int_or_pct() -> impl Strategy<Value = IntOrPct> {
    prop_oneof![
        (0u32..=3).prop_map(IntOrPct::Int),
        prop::sample::select(vec![0u32, 10, 25, 50, 100]).prop_map(IntOrPct::Pct),
    ]
}

fn rollout() -> impl Strategy<Value = Rollout> {
    prop_oneof![
        4 => (prop::option::of(int_or_pct()), prop::option::of(int_or_pct())).prop_map(
            |(max_surge, max_unavailable)| {
                // Both zero is invalid (validation rejects it).
                let zero = |v: Option<IntOrPct>| matches!(v, Some(IntOrPct::Int(0) | IntOrPct::Pct(0)));
                let max_unavailable = if zero(max_surge) && zero(max_unavailable) {
                    Some(IntOrPct::Int(1))
                } else {
                    max_unavailable
                };
                Rollout::Rolling { max_surge, max_unavailable }
            }
        ),
        1 => Just(Rollout::Recreate),
    ]
}

/// A workload of `kind` named `<prefix>-<n>`.
fn workload(kind: WKind, n: u32, ctx: &Context) -> impl Strategy<Value = Workload> {
    let name = format!("{}-{n}", kind.prefix());
    let rollout = if kind == WKind::Deployment {
        prop::option::weighted(0.7, rollout()).boxed()
    } else {
        Just(None).boxed()
    };
    let min_ready = if kind == WKind::Deployment {
        prop::option::weighted(0.2, 1u32..=10).boxed()
    } else {
        Just(None).boxed()
    };
    (
        prop_oneof![1 => Just(0u32), 4 => 1u32..=8, 1 => 9u32..=25],
        template_for(kind, ctx),
        rollout,
        min_ready,
    )
        .prop_map(
            move |(replicas, template, rollout, min_ready_seconds)| Workload {
                kind,
                name: name.clone(),
                replicas: if kind.scalable() { replicas } else { 1 },
                template,
                rollout,
                min_ready_seconds,
            },
        )
}

/// A fault on the case's cluster.
fn fault(case: &Case) -> BoxedStrategy<FaultPlan> {
    let nodes = case.node_names();
    let zones = case.zones();
    let down = prop_oneof![2 => 5_000u64..=60_000, 1 => 60_000u64..=420_000];
    let node = prop::sample::select(nodes.clone());
    let mut arms: Vec<(u32, BoxedStrategy<FaultPlan>)> = vec![
        (
            3,
            (node.clone(), down.clone())
                .prop_map(|(node, down_ms)| FaultPlan::KubeletRestart { node, down_ms })
                .boxed(),
        ),
        (
            2,
            (node, down.clone())
                .prop_map(|(node, down_ms)| FaultPlan::NodeLoss { node, down_ms })
                .boxed(),
        ),
        (
            2,
            (
                prop::sample::subsequence(nodes.clone(), 1..=nodes.len().min(4)),
                down.clone(),
            )
                .prop_map(|(nodes, ms)| FaultPlan::Partition { nodes, ms })
                .boxed(),
        ),
        (
            2,
            (1_000u64..=90_000)
                .prop_map(|ms| FaultPlan::ApiServerDown { ms })
                .boxed(),
        ),
        (1, Just(FaultPlan::Compact).boxed()),
    ];
    if !zones.is_empty() {
        arms.push((
            1,
            (prop::sample::select(zones), down)
                .prop_map(|(zone, ms)| FaultPlan::ZoneOutage { zone, ms })
                .boxed(),
        ));
    }
    Union::new_weighted(arms).boxed()
}

/// The next action for a case: creations most often, then faults, then changes to live
/// workloads; at most [`MAX_GAP_MS`] after the last action.
pub fn transitions(case: &Case) -> BoxedStrategy<Step> {
    let last = case.last_at();
    let at = last..=last + MAX_GAP_MS;
    let n = case.created + 1;
    let ctx = case.context();
    let create = prop_oneof![
        3 => workload(WKind::ReplicaSet, n, &ctx),
        3 => workload(WKind::Deployment, n, &ctx),
        1 => workload(WKind::DaemonSet, n, &ctx),
        2 => workload(WKind::Pod, n, &ctx),
    ]
    .prop_map(Act::Create);
    let mut arms: Vec<(u32, BoxedStrategy<Act>)> = vec![
        (5, create.boxed()),
        (3, fault(case).prop_map(Act::Fault).boxed()),
    ];
    let live = case.live();
    let scalable: Vec<(WKind, String)> = live
        .iter()
        .filter(|l| l.kind.scalable())
        .map(|l| (l.kind, l.name.clone()))
        .collect();
    let updatable: Vec<(WKind, String)> = live
        .iter()
        .filter(|l| l.kind != WKind::Pod)
        .map(|l| (l.kind, l.name.clone()))
        .collect();
    let all: Vec<(WKind, String)> = live.iter().map(|l| (l.kind, l.name.clone())).collect();
    if !scalable.is_empty() {
        arms.push((
            2,
            (prop::sample::select(scalable), 0u32..=16)
                .prop_map(|((kind, name), replicas)| Act::Scale {
                    kind,
                    name,
                    replicas,
                })
                .boxed(),
        ));
    }
    if !updatable.is_empty() {
        let cpu = prop::option::weighted(0.8, prop::sample::select(vec![50u32, 100, 250, 500]));
        arms.push((
            3,
            (prop::sample::select(updatable), 0usize..IMAGES.len(), cpu)
                .prop_map(|((kind, name), image, cpu_milli)| Act::Update {
                    kind,
                    name,
                    image,
                    cpu_milli,
                })
                .boxed(),
        ));
    }
    if !all.is_empty() {
        arms.push((
            1,
            prop::sample::select(all)
                .prop_map(|(kind, name)| Act::Delete { kind, name })
                .boxed(),
        ));
    }
    (at, Union::new_weighted(arms))
        .prop_map(|(at_ms, act)| Step { at_ms, act })
        .boxed()
}

/// The reference state machine of the fuzzing model.
pub struct Machine;

impl ReferenceStateMachine for Machine {
    type State = Case;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Case> {
        (any::<u64>(), pools(), classes())
            .prop_map(|(seed, pools, classes)| Case {
                seed,
                pools,
                steps: Vec::new(),
                created: 0,
                classes,
            })
            .boxed()
    }

    fn transitions(state: &Case) -> BoxedStrategy<Step> {
        transitions(state)
    }

    fn apply(mut state: Case, t: &Step) -> Case {
        if matches!(t.act, Act::Create(_)) {
            state.created += 1;
        }
        state.steps.push(t.clone());
        state
    }

    fn preconditions(state: &Case, t: &Step) -> bool {
        state.allows(t)
    }
}

/// A narrower machine where preemption is common: one pool of 1-3 nodes with 2 or 4 cores,
/// three PriorityClasses (100, 1000, 10000; the middle one maybe Never), and [`Machine`]'s
/// transitions plus, twice as often, ReplicaSets and Deployments of 2-6 pods requesting 500m
/// or 1 cpu without node constraints (later ones lean to higher classes).
pub struct PreemptionMachine;

impl ReferenceStateMachine for PreemptionMachine {
    type State = Case;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Case> {
        (
            any::<u64>(),
            1u32..=3,
            prop::sample::select(vec![2000u32, 4000]),
            prop::option::weighted(0.5, 0usize..ZONES.len()),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(seed, count, cpu_milli, zone, never)| Case {
                seed,
                pools: vec![Pool {
                    count,
                    cpu_milli,
                    memory_mi: 8192,
                    pods: 110,
                    zone,
                    labels: vec![(0, 0)],
                    images: Vec::new(),
                    taints: Vec::new(),
                }],
                steps: Vec::new(),
                created: 0,
                classes: [100, 1000, 10_000]
                    .iter()
                    .enumerate()
                    .map(|(i, v)| PClass {
                        value: *v,
                        global_default: false,
                        never: never && i == 1,
                    })
                    .collect(),
            })
            .boxed()
    }

    fn transitions(state: &Case) -> BoxedStrategy<Step> {
        let last = state.last_at();
        let n = state.created + 1;
        let ctx = state.context();
        let kind = prop_oneof![Just(WKind::ReplicaSet), Just(WKind::Deployment)];
        let heavy = (kind, 2u32..=6, prop::sample::select(vec![500u32, 1000])).prop_flat_map(
            move |(kind, replicas, cpu)| {
                workload(kind, n, &ctx).prop_map(move |mut w| {
                    w.replicas = replicas;
                    w.template.cpu_milli = Some(cpu);
                    let p = &mut w.template.placement;
                    p.node_selector.clear();
                    p.required.clear();
                    p.host_port = None;
                    Act::Create(w)
                })
            },
        );
        let heavy = (last..=last + MAX_GAP_MS, heavy).prop_map(|(at_ms, act)| Step { at_ms, act });
        Union::new_weighted(vec![(2, heavy.boxed()), (1, transitions(state))]).boxed()
    }

    fn apply(state: Case, t: &Step) -> Case {
        Machine::apply(state, t)
    }

    fn preconditions(state: &Case, t: &Step) -> bool {
        state.allows(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    /// Scenarios of random cases pass the loader's checks.
    #[test]
    fn generated_cases_are_valid_scenarios() {
        let mut runner = TestRunner::deterministic();
        let strategy = Machine::sequential_strategy(1..=8);
        for _ in 0..64 {
            let (init, steps, _) = strategy.new_tree(&mut runner).unwrap().current();
            let mut case = init;
            for s in &steps {
                assert!(case.allows(s), "{s:?}");
                case = Machine::apply(case, s);
            }
            kubesim::scenario::validate(&case.scenario()).expect("a valid scenario");
        }
    }
}
