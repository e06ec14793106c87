//! Running a scenario for the invariants: the trace parsed line by line, the watch auditor's
//! streams, the final store's objects, and an engine panic caught as a result.

use crate::auditor::{self, Auditor, Filter, Stream};
use kubesim::api::{DaemonSet, Deployment, Kind, Node, Object, ObjectRef, Pod, ReplicaSet};
use kubesim::cluster::{Cluster, RunOptions, APISERVER};
use kubesim::scenario::Scenario;
use kubesim::sim::{ActorId, SimTime, Trace};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A trace line's object, typed for the kinds the invariants read.
#[derive(Clone, Debug)]
pub enum Obj {
    Pod(Box<Pod>),
    Node(Box<Node>),
    ReplicaSet(Box<ReplicaSet>),
    Deployment(Box<Deployment>),
    DaemonSet(Box<DaemonSet>),
    /// Other kinds, faults and scheduling decisions: the JSON.
    Json(serde_json::Value),
}

/// One trace line.
#[derive(Clone, Debug)]
pub struct Line {
    pub t_us: u64,
    pub seq: u64,
    pub actor: String,
    pub verb: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub rv: u64,
    pub object: Obj,
}

/// Verbs of API writes (the other lines are faults and scheduling decisions).
pub const WRITE_VERBS: [&str; 5] = ["create", "update", "patch", "delete", "bind"];

impl Line {
    pub fn is_write(&self) -> bool {
        WRITE_VERBS.contains(&self.verb.as_str())
    }

    pub fn pod(&self) -> Option<&Pod> {
        match &self.object {
            Obj::Pod(p) => Some(p),
            _ => None,
        }
    }

    pub fn node(&self) -> Option<&Node> {
        match &self.object {
            Obj::Node(n) => Some(n),
            _ => None,
        }
    }

    /// Parses one JSON line of the trace.
    pub fn parse(line: &str) -> Result<Line, String> {
        #[derive(serde::Deserialize)]
        struct Head {
            t_us: u64,
            seq: u64,
            actor: String,
            verb: String,
            kind: String,
            namespace: String,
            name: String,
            rv: u64,
            #[allow(dead_code)]
            object: serde::de::IgnoredAny,
        }
        let h: Head = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        // The object is the last field: `,"object":{...}}`.
        let at = line
            .find(",\"object\":")
            .ok_or_else(|| format!("no object: {line}"))?;
        let text = &line[at + 10..line.len() - 1];
        let typed = |e: serde_json::Error| format!("bad {} object: {e}: {line}", h.kind);
        let object = match (h.verb.as_str(), h.kind.as_str()) {
            ("fault" | "schedule", _) => Obj::Json(serde_json::from_str(text).map_err(typed)?),
            (_, "Pod") => Obj::Pod(serde_json::from_str(text).map_err(typed)?),
            (_, "Node") => Obj::Node(serde_json::from_str(text).map_err(typed)?),
            (_, "ReplicaSet") => Obj::ReplicaSet(serde_json::from_str(text).map_err(typed)?),
            (_, "Deployment") => Obj::Deployment(serde_json::from_str(text).map_err(typed)?),
            (_, "DaemonSet") => Obj::DaemonSet(serde_json::from_str(text).map_err(typed)?),
            _ => Obj::Json(serde_json::from_str(text).map_err(typed)?),
        };
        Ok(Line {
            t_us: h.t_us,
            seq: h.seq,
            actor: h.actor,
            verb: h.verb,
            kind: h.kind,
            namespace: h.namespace,
            name: h.name,
            rv: h.rv,
            object,
        })
    }
}

/// Everything the invariants look at after one run.
#[derive(Clone)]
pub struct Run {
    pub scenario: Scenario,
    /// The engine's panic message, if it panicked (nothing else is then filled in).
    pub panic: Option<String>,
    pub lines: Vec<Line>,
    pub digest: String,
    pub streams: Vec<Stream>,
    /// The final store, by kind.
    pub store: BTreeMap<Kind, Vec<ObjectRef>>,
    pub end: SimTime,
    pub kubectl_errors: Vec<String>,
}

impl Run {
    /// Final objects of a kind.
    pub fn objects(&self, kind: Kind) -> impl Iterator<Item = &Object> {
        self.store
            .get(&kind)
            .into_iter()
            .flatten()
            .map(|o| o.as_ref())
    }

    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.objects(Kind::Pod).filter_map(|o| match o {
            Object::Pod(p) => Some(p),
            _ => None,
        })
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.objects(Kind::Node).filter_map(|o| match o {
            Object::Node(n) => Some(n),
            _ => None,
        })
    }
}

/// The message of a caught panic.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The cluster of `scenario` with the watch auditor added: every kind unfiltered, the pods of
/// the first three nodes, and the node leases' namespace.
pub fn cluster_with_auditor(scenario: &Scenario, trace: Trace) -> (Cluster, ActorId) {
    let mut cluster = Cluster::new(
        scenario,
        RunOptions {
            seed: None,
            trace,
            ..Default::default()
        },
    );
    let sim = cluster.sim_mut();
    let api = (0..sim.actor_count() as u32)
        .map(ActorId)
        .find(|id| sim.name(*id) == APISERVER)
        .expect("the cluster has an API server");
    let mut filtered: Vec<(Kind, Filter)> = scenario
        .cluster
        .node_pools
        .iter()
        .flat_map(|p| p.node_names())
        .take(3)
        .map(|n| (Kind::Pod, Filter::Node(n)))
        .collect();
    filtered.push((Kind::Lease, Filter::Namespace("kube-node-lease".into())));
    let id = sim.add_actor(auditor::NAME, Box::new(Auditor::new(api, filtered)));
    sim.start_at(id, SimTime::ZERO);
    (cluster, id)
}

/// Runs a validated scenario with the auditor and the trace kept.
pub fn execute(scenario: &Scenario) -> Run {
    let mut run = Run {
        scenario: scenario.clone(),
        panic: None,
        lines: Vec::new(),
        digest: String::new(),
        streams: Vec::new(),
        store: BTreeMap::new(),
        end: SimTime::ZERO,
        kubectl_errors: Vec::new(),
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let (mut cluster, auditor) = cluster_with_auditor(scenario, Trace::new().keeping_lines());
        let report = cluster.run(None);
        (cluster, auditor, report)
    }));
    let (cluster, auditor, report) = match result {
        Ok(r) => r,
        Err(p) => {
            run.panic = Some(panic_message(p.as_ref()));
            return run;
        }
    };
    let raw = cluster.sim().trace().lines().expect("lines are kept");
    run.lines = raw
        .iter()
        .map(|l| Line::parse(l).expect("trace lines parse"))
        .collect();
    run.digest = report.digest.clone();
    run.end = report.virtual_time;
    run.streams = cluster
        .sim()
        .actor::<Auditor>(auditor)
        .expect("the auditor")
        .streams()
        .to_vec();
    for k in Kind::ALL {
        run.store
            .insert(k, cluster.store().list(k, None).cloned().collect());
    }
    run.kubectl_errors = report
        .kubectl_errors
        .iter()
        .map(|e| format!("at {}: {}: {}", e.at, e.command, e.error.message))
        .collect();
    run
}

/// The digest of a plain run (no auditor, no lines kept), or the panic message.
pub fn plain_digest(scenario: &Scenario) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| {
        Cluster::new(scenario, RunOptions::default())
            .run(None)
            .digest
    }))
    .map_err(|p| panic_message(p.as_ref()))
}
