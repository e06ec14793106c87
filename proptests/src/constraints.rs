//! Scheduling constraints for the fuzzing model: node pool labels and taints, PriorityClasses,
//! and a pod template's nodeSelector, node affinity, pod (anti-)affinity, topology spread
//! constraints, priority class and hostPort. Each is a small value that shrinks, written as
//! the scenario's JSON (Kubernetes field names inside `affinity` and
//! `topology_spread_constraints`).

use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Zones pools may be in.
pub const ZONES: [&str; 3] = ["zone-a", "zone-b", "zone-c"];
/// Node label keys pools may carry, with their values (`rank` is numeric, for Gt and Lt).
pub const LABELS: [(&str, [&str; 3]); 3] = [
    ("disk", ["ssd", "hdd", "nvme"]),
    ("tier", ["web", "db", "batch"]),
    ("rank", ["1", "2", "3"]),
];
/// Values of the `dedicated` taint pools may carry.
pub const TAINT_VALUES: [&str; 2] = ["infra", "gpu"];
/// Taint effects.
pub const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
/// The `group` label values a template may carry (pod (anti-)affinity and spread select them).
pub const GROUPS: [&str; 3] = ["a", "b", "c"];
/// Topology keys of pod (anti-)affinity terms and spread constraints.
pub const TOPOLOGY_KEYS: [&str; 3] = [
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "disk",
];
/// Host ports templates may ask for (few, so pods collide).
pub const HOST_PORTS: [u16; 2] = [8080, 9090];
/// Node names an expression on `kubernetes.io/hostname` or `metadata.name` may name besides
/// the cluster's own.
const HOSTNAMES: [&str; 2] = ["pool-0-1", "pool-2-9"];

/// A pool's taint `dedicated=<value>:<effect>`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolTaint {
    pub value: usize,
    pub effect: usize,
}

impl PoolTaint {
    pub fn json(&self) -> Value {
        json!({"key": "dedicated", "value": TAINT_VALUES[self.value], "effect": EFFECTS[self.effect]})
    }
}

/// A PriorityClass `prio-<i>`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PClass {
    pub value: i32,
    pub global_default: bool,
    /// preemptionPolicy Never (else the default PreemptLowerPriority).
    pub never: bool,
}

impl PClass {
    pub fn name(i: usize) -> String {
        format!("prio-{i}")
    }

    pub fn json(&self, i: usize) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(PClass::name(i)));
        m.insert("value".into(), json!(self.value));
        if self.global_default {
            m.insert("global_default".into(), json!(true));
        }
        if self.never {
            m.insert("preemption_policy".into(), json!("Never"));
        }
        json!({ "PriorityClass": m })
    }
}

/// A node selector requirement: `key` is a node label, or `metadata.name` (a matchFields
/// requirement).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub key: &'static str,
    pub op: &'static str,
    pub values: Vec<String>,
}

impl Expr {
    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("key".into(), json!(self.key));
        m.insert("operator".into(), json!(self.op));
        if !self.values.is_empty() {
            m.insert("values".into(), json!(self.values));
        }
        Value::Object(m)
    }
}

/// A node selector term: its requirements are ANDed.
fn term_json(exprs: &[Expr]) -> Value {
    let (fields, labels): (Vec<&Expr>, Vec<&Expr>) =
        exprs.iter().partition(|e| e.key == "metadata.name");
    let mut m = Map::new();
    if !labels.is_empty() {
        let v: Vec<Value> = labels.iter().map(|e| e.json()).collect();
        m.insert("matchExpressions".into(), Value::Array(v));
    }
    if !fields.is_empty() {
        let v: Vec<Value> = fields.iter().map(|e| e.json()).collect();
        m.insert("matchFields".into(), Value::Array(v));
    }
    Value::Object(m)
}

/// Which pods a pod affinity term or spread constraint selects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sel {
    /// `app: <the workload's name>`: its own pods.
    Own,
    /// `group In [<g>]`.
    Group(usize),
    /// `group Exists`.
    AnyGroup,
}

impl Sel {
    fn json(&self, own: &str) -> Value {
        match self {
            Sel::Own => json!({"matchLabels": {"app": own}}),
            Sel::Group(g) => json!({"matchExpressions": [
                {"key": "group", "operator": "In", "values": [GROUPS[*g]]}]}),
            Sel::AnyGroup => json!({"matchExpressions": [{"key": "group", "operator": "Exists"}]}),
        }
    }
}

/// A pod affinity or anti-affinity term; `weight` None is a required term.
#[derive(Clone, Debug, PartialEq)]
pub struct PodTerm {
    pub sel: Sel,
    pub topology: usize,
    pub weight: Option<i32>,
}

impl PodTerm {
    fn term_json(&self, own: &str) -> Value {
        json!({"labelSelector": self.sel.json(own), "topologyKey": TOPOLOGY_KEYS[self.topology]})
    }
}

/// `(required, preferred)` of pod terms in Kubernetes field names.
fn pod_affinity_json(terms: &[PodTerm], own: &str) -> Value {
    let required: Vec<Value> = terms
        .iter()
        .filter(|t| t.weight.is_none())
        .map(|t| t.term_json(own))
        .collect();
    let preferred: Vec<Value> = terms
        .iter()
        .filter_map(|t| {
            t.weight
                .map(|w| json!({"weight": w, "podAffinityTerm": t.term_json(own)}))
        })
        .collect();
    let mut m = Map::new();
    if !required.is_empty() {
        m.insert(
            "requiredDuringSchedulingIgnoredDuringExecution".into(),
            Value::Array(required),
        );
    }
    if !preferred.is_empty() {
        m.insert(
            "preferredDuringSchedulingIgnoredDuringExecution".into(),
            Value::Array(preferred),
        );
    }
    Value::Object(m)
}

/// A topology spread constraint.
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    pub max_skew: i32,
    pub topology: usize,
    /// DoNotSchedule (else ScheduleAnyway).
    pub hard: bool,
    pub sel: Sel,
    /// Only with `hard` (validation requires it).
    pub min_domains: Option<i32>,
    pub node_affinity_policy: Option<&'static str>,
    pub node_taints_policy: Option<&'static str>,
    /// `matchLabelKeys: [pod-template-hash]` (Deployments only).
    pub match_hash: bool,
}

impl Spread {
    fn json(&self, own: &str) -> Value {
        let mut m = Map::new();
        m.insert("maxSkew".into(), json!(self.max_skew));
        m.insert("topologyKey".into(), json!(TOPOLOGY_KEYS[self.topology]));
        let when = if self.hard {
            "DoNotSchedule"
        } else {
            "ScheduleAnyway"
        };
        m.insert("whenUnsatisfiable".into(), json!(when));
        m.insert("labelSelector".into(), self.sel.json(own));
        if let Some(d) = self.min_domains {
            m.insert("minDomains".into(), json!(d));
        }
        if let Some(p) = self.node_affinity_policy {
            m.insert("nodeAffinityPolicy".into(), json!(p));
        }
        if let Some(p) = self.node_taints_policy {
            m.insert("nodeTaintsPolicy".into(), json!(p));
        }
        if self.match_hash {
            m.insert("matchLabelKeys".into(), json!(["pod-template-hash"]));
        }
        Value::Object(m)
    }
}

/// The scheduling constraints of a pod template.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placement {
    /// A `group` pod label besides `app`.
    pub group: Option<usize>,
    /// nodeSelector: (label, value) indices into [`LABELS`].
    pub node_selector: Vec<(usize, usize)>,
    /// Required node affinity: terms (ORed) of requirements (ANDed); empty: none.
    pub required: Vec<Vec<Expr>>,
    /// Preferred node affinity: (weight, term).
    pub preferred: Vec<(i32, Vec<Expr>)>,
    pub pod_affinity: Vec<PodTerm>,
    pub anti_affinity: Vec<PodTerm>,
    pub spread: Vec<Spread>,
    /// Index of a PriorityClass (the last one if the case has fewer; classes are in increasing
    /// value).
    pub priority: Option<usize>,
    pub host_port: Option<u16>,
}

impl Placement {
    /// Writes the fields of a short-form workload named `own` into `into`; `classes` is how
    /// many PriorityClasses the case creates.
    pub fn json(&self, own: &str, classes: usize, into: &mut Map<String, Value>) {
        let mut labels = Map::new();
        labels.insert("app".into(), json!(own));
        if let Some(g) = self.group {
            labels.insert("group".into(), json!(GROUPS[g]));
        }
        into.insert("labels".into(), Value::Object(labels));
        if !self.node_selector.is_empty() {
            let m: Map<String, Value> = self
                .node_selector
                .iter()
                .map(|(k, v)| (LABELS[*k].0.to_string(), json!(LABELS[*k].1[*v])))
                .collect();
            into.insert("node_selector".into(), Value::Object(m));
        }
        let mut affinity = Map::new();
        if !self.required.is_empty() || !self.preferred.is_empty() {
            let mut na = Map::new();
            if !self.required.is_empty() {
                let terms: Vec<Value> = self.required.iter().map(|t| term_json(t)).collect();
                na.insert(
                    "requiredDuringSchedulingIgnoredDuringExecution".into(),
                    json!({ "nodeSelectorTerms": terms }),
                );
            }
            if !self.preferred.is_empty() {
                let p: Vec<Value> = self
                    .preferred
                    .iter()
                    .map(|(w, t)| json!({"weight": w, "preference": term_json(t)}))
                    .collect();
                na.insert(
                    "preferredDuringSchedulingIgnoredDuringExecution".into(),
                    Value::Array(p),
                );
            }
            affinity.insert("nodeAffinity".into(), Value::Object(na));
        }
        if !self.pod_affinity.is_empty() {
            affinity.insert(
                "podAffinity".into(),
                pod_affinity_json(&self.pod_affinity, own),
            );
        }
        if !self.anti_affinity.is_empty() {
            affinity.insert(
                "podAntiAffinity".into(),
                pod_affinity_json(&self.anti_affinity, own),
            );
        }
        if !affinity.is_empty() {
            into.insert("affinity".into(), Value::Object(affinity));
        }
        if !self.spread.is_empty() {
            let s: Vec<Value> = self.spread.iter().map(|s| s.json(own)).collect();
            into.insert("topology_spread_constraints".into(), Value::Array(s));
        }
        if let Some(p) = self.priority.filter(|_| classes > 0) {
            into.insert(
                "priority_class_name".into(),
                json!(PClass::name(p.min(classes - 1))),
            );
        }
        if let Some(p) = self.host_port {
            into.insert("host_port".into(), json!(p));
        }
    }
}

// ----- strategies -----

/// 0-3 PriorityClasses in increasing value (0-100000), at most one global default, some with
/// preemptionPolicy Never.
pub fn classes() -> impl Strategy<Value = Vec<PClass>> {
    let class = (
        prop::sample::select(vec![0i32, 10, 100, 1000, 100_000]),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(value, global_default, never)| PClass {
            value,
            global_default,
            never,
        });
    prop_oneof![1 => Just(Vec::new()), 3 => prop::collection::vec(class, 1..=3)].prop_map(
        |mut cs| {
            cs.sort_by_key(|c| c.value);
            cs.dedup_by_key(|c| c.value);
            let mut seen = false;
            for c in cs.iter_mut() {
                c.global_default &= !seen;
                seen |= c.global_default;
            }
            cs
        },
    )
}

/// A pool's taint, a quarter of the time.
pub fn pool_taints() -> impl Strategy<Value = Vec<PoolTaint>> {
    prop::option::weighted(
        0.25,
        (0..TAINT_VALUES.len(), 0..EFFECTS.len())
            .prop_map(|(value, effect)| PoolTaint { value, effect }),
    )
    .prop_map(|t| t.into_iter().collect())
}

/// What a case's nodes carry, so constraints mostly name labels that exist: (key, values) of
/// pool labels, zones and hostnames; and how many workloads exist before this one.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub labels: Vec<(&'static str, Vec<String>)>,
    pub created: u32,
}

impl Context {
    /// Keys and values the expressions draw from: the cluster's (twice as likely) and the
    /// whole universe (labels no node has, names of nodes that do not exist).
    fn keys(&self) -> Vec<(&'static str, Vec<String>)> {
        let strings = |vs: &[&str]| vs.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        let mut keys: Vec<(&'static str, Vec<String>)> =
            LABELS.iter().map(|(k, vs)| (*k, strings(vs))).collect();
        keys.push(("topology.kubernetes.io/zone", strings(&ZONES)));
        keys.push(("kubernetes.io/hostname", strings(&HOSTNAMES)));
        keys.push(("metadata.name", strings(&HOSTNAMES)));
        for (k, vs) in self.labels.iter().filter(|(_, vs)| !vs.is_empty()) {
            keys.push((k, vs.clone()));
            keys.push((k, vs.clone()));
        }
        keys
    }
}

/// A node selector requirement on a pool label, the zone or the hostname (In, NotIn, Exists,
/// DoesNotExist; Gt and Lt on `rank`), or on the node's name (matchFields: In or NotIn with one
/// value).
fn expr(ctx: &Context) -> impl Strategy<Value = Expr> {
    let ops = prop::sample::select(vec![
        "In",
        "In",
        "In",
        "NotIn",
        "Exists",
        "DoesNotExist",
        "Gt",
        "Lt",
    ]);
    (
        prop::sample::select(ctx.keys()),
        ops,
        prop::sample::subsequence((0..4).collect::<Vec<usize>>(), 1..=2),
        0..=3usize,
    )
        .prop_map(|((key, values), op, picks, bound)| {
            let field = key == "metadata.name";
            let op = match op {
                "Gt" | "Lt" if key != "rank" => "In",
                "Exists" | "DoesNotExist" if field => "NotIn",
                o => o,
            };
            let mut values: Vec<String> = match op {
                "Exists" | "DoesNotExist" => Vec::new(),
                "Gt" | "Lt" => vec![bound.to_string()],
                // A node field selector takes exactly one value (validation).
                _ if field => vec![values[picks[0] % values.len()].clone()],
                _ => picks
                    .iter()
                    .map(|i| values[*i % values.len()].clone())
                    .collect(),
            };
            values.dedup();
            Expr { key, op, values }
        })
}

fn node_term(ctx: &Context) -> impl Strategy<Value = Vec<Expr>> {
    prop::collection::vec(expr(ctx), 1..=2)
}

fn sel() -> impl Strategy<Value = Sel> {
    prop_oneof![
        3 => Just(Sel::Own),
        2 => (0..GROUPS.len()).prop_map(Sel::Group),
        1 => Just(Sel::AnyGroup),
    ]
}

fn pod_term() -> impl Strategy<Value = PodTerm> {
    (
        sel(),
        prop_oneof![3 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)],
        prop::option::weighted(0.4, 1i32..=100),
    )
        .prop_map(|(sel, topology, weight)| PodTerm {
            sel,
            topology,
            weight,
        })
}

fn spread(deployment: bool) -> impl Strategy<Value = Spread> {
    let policy = || prop::option::weighted(0.3, prop::sample::select(vec!["Honor", "Ignore"]));
    (
        1i32..=3,
        prop_oneof![2 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)],
        prop::bool::weighted(0.6),
        sel(),
        prop::option::weighted(0.2, 1i32..=4),
        policy(),
        policy(),
        prop::bool::weighted(if deployment { 0.3 } else { 0.0 }),
    )
        .prop_map(
            |(max_skew, topology, hard, sel, min_domains, na, nt, match_hash)| Spread {
                max_skew,
                topology,
                hard,
                sel,
                min_domains: min_domains.filter(|_| hard),
                node_affinity_policy: na,
                node_taints_policy: nt,
                match_hash,
            },
        )
}

/// A template's constraints: each kind now and then, so most cases mix constrained and free
/// pods. Later workloads lean to higher PriorityClasses, so that they preempt earlier ones.
pub fn placement(deployment: bool, ctx: &Context) -> impl Strategy<Value = Placement> {
    let later = (ctx.created as usize).min(2);
    let node = (
        prop::option::weighted(0.5, 0..GROUPS.len()),
        prop::option::weighted(0.12, (0..LABELS.len(), 0..3usize).prop_map(|kv| vec![kv])),
        prop::option::weighted(0.15, prop::collection::vec(node_term(ctx), 1..=2)),
        prop::option::weighted(
            0.15,
            prop::collection::vec((1i32..=100, node_term(ctx)), 1..=2),
        ),
    );
    let pods = (
        prop::option::weighted(0.1, prop::collection::vec(pod_term(), 1..=2)),
        prop::option::weighted(0.2, prop::collection::vec(pod_term(), 1..=2)),
        prop::option::weighted(0.25, prop::collection::vec(spread(deployment), 1..=2)),
        prop::option::weighted(0.7, prop_oneof![2 => Just(later), 1 => 0..3usize]),
        prop::option::weighted(0.1, prop::sample::select(HOST_PORTS.to_vec())),
    );
    (node, pods).prop_map(
        |(
            (group, node_selector, required, preferred),
            (pod_affinity, anti_affinity, spread, priority, host_port),
        )| {
            let mut spread = spread.unwrap_or_default();
            // A (topologyKey, whenUnsatisfiable) pair may appear once (validation).
            let mut seen = Vec::new();
            spread.retain(|s| {
                let k = (s.topology, s.hard);
                !seen.contains(&k) && {
                    seen.push(k);
                    true
                }
            });
            Placement {
                group,
                node_selector: node_selector.unwrap_or_default(),
                required: required.unwrap_or_default(),
                preferred: preferred.unwrap_or_default(),
                pod_affinity: pod_affinity.unwrap_or_default(),
                anti_affinity: anti_affinity.unwrap_or_default(),
                spread,
                priority,
                host_port,
            }
        },
    )
}
