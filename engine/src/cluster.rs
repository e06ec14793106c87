//! Assembles the actors of a cluster from a scenario and runs it, checking expectations.
//! The one place that knows every actor.

use crate::api::{
    ApiServer, ApiServerConfig, Container, Kind, LabelSelector, Msg, Object, ObjectMeta, Pod,
    PodTemplateSpec, Quantity, ReplicaSet, Store,
};
use crate::client::{ApiClient, Command, CommandError, Kubectl};
use crate::controllers::{ReplicaSetConfig, ReplicaSetController};
use crate::node::{Kubelet, KubeletConfig, RuntimeConfig};
use crate::scenario::expect::{ExpectationResult, Outcome, When};
use crate::scenario::{Create, LatencySpec, Qty, Scenario};
use crate::scheduler::{Profile, QueueConfig, Scheduler};
use crate::sim::{ActorId, Latency, Sim, SimDuration, SimTime, Trace};
use std::collections::{BTreeMap, BTreeSet};

/// Default one-way latency of a component's link to the API server.
pub const DEFAULT_API_LATENCY: Latency = Latency {
    min: SimDuration::from_millis(1),
    max: SimDuration::from_millis(5),
};

/// Names of the control-plane actors in the trace.
pub const APISERVER: &str = "kube-apiserver";
pub const SCHEDULER: &str = "kube-scheduler";
pub const REPLICASET_CONTROLLER: &str = "replicaset-controller";
pub const KUBECTL: &str = "kubectl";

fn latency(l: &LatencySpec) -> Latency {
    Latency {
        min: l.min.0,
        max: l.max.0,
    }
}

fn resources(cpu: Option<Qty>, memory: Option<Qty>) -> BTreeMap<String, Quantity> {
    let mut r = BTreeMap::new();
    if let Some(c) = cpu {
        r.insert("cpu".to_string(), c.0);
    }
    if let Some(m) = memory {
        r.insert("memory".to_string(), m.0);
    }
    r
}

fn short_container(name: &str, image: &str, cpu: Option<Qty>, memory: Option<Qty>) -> Container {
    let mut c = Container {
        name: name.into(),
        image: image.into(),
        ..Default::default()
    };
    c.resources.requests = resources(cpu, memory);
    c
}

/// The API object a short-form `create` stands for.
pub fn object_for(c: &Create) -> Object {
    match c {
        Create::ReplicaSet(r) => {
            let mut labels = r.labels.clone();
            if labels.is_empty() {
                labels.insert("app".into(), r.name.value.clone());
            }
            let mut rs = ReplicaSet {
                metadata: ObjectMeta {
                    name: r.name.value.clone(),
                    namespace: c.namespace().into(),
                    labels: labels.clone(),
                    ..Default::default()
                },
                ..Default::default()
            };
            rs.spec.replicas = Some(r.replicas as i32);
            rs.spec.selector = LabelSelector::from_labels(&labels);
            rs.spec.template = PodTemplateSpec {
                metadata: ObjectMeta {
                    labels,
                    ..Default::default()
                },
                spec: crate::api::pod::PodSpec {
                    containers: vec![short_container(&r.name, &r.image, r.cpu, r.memory)],
                    ..Default::default()
                },
            };
            Object::ReplicaSet(rs)
        }
        Create::Pod(p) => {
            let mut pod = Pod {
                metadata: ObjectMeta {
                    name: p.name.value.clone(),
                    namespace: c.namespace().into(),
                    labels: p.labels.clone(),
                    ..Default::default()
                },
                ..Default::default()
            };
            pod.spec.containers = vec![short_container(&p.name, &p.image, p.cpu, p.memory)];
            if let Some(n) = &p.node_name {
                pod.spec.node_name = n.value.clone();
            }
            Object::Pod(pod)
        }
    }
}

/// Options of one run.
#[derive(Default)]
pub struct RunOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Where trace records go (the digest is always computed).
    pub trace: Trace,
}

/// A simulated cluster built from a scenario.
pub struct Cluster {
    scenario: Scenario,
    seed: u64,
    sim: Sim<Msg>,
    apiserver: ActorId,
    kubectl: ActorId,
    scheduler: ActorId,
    kubelets: Vec<ActorId>,
}

impl Cluster {
    /// Builds the cluster; the scenario must have been validated.
    pub fn new(scenario: &Scenario, opts: RunOptions) -> Self {
        let seed = opts.seed.unwrap_or(scenario.seed);
        let lat = scenario
            .cluster
            .api_latency
            .as_ref()
            .map_or(DEFAULT_API_LATENCY, latency);
        let mut sim = Sim::new(seed, lat, opts.trace);
        let apiserver = sim.add_actor(
            APISERVER,
            Box::new(ApiServer::new(ApiServerConfig::default())),
        );
        sim.network_mut().set_hub(apiserver);
        let client = ApiClient::new(apiserver);

        let mut commands: Vec<(SimTime, Command)> = Vec::new();
        for a in &scenario.actions {
            let at = SimTime(a.at.0.as_micros());
            if let Some(c) = &a.create {
                commands.push((at, Command::Create(Box::new(object_for(c)))));
            }
            if let Some(s) = &a.scale {
                commands.push((
                    at,
                    Command::Scale {
                        kind: Kind::parse(&s.target.kind).unwrap_or(Kind::ReplicaSet),
                        namespace: s.target.namespace.clone(),
                        name: s.target.name.clone(),
                        replicas: s.replicas as i32,
                    },
                ));
            }
            if let Some(d) = &a.delete {
                commands.push((
                    at,
                    Command::Delete {
                        kind: Kind::parse(&d.target.kind).unwrap_or(Kind::Pod),
                        namespace: d.target.namespace.clone(),
                        name: d.target.name.clone(),
                    },
                ));
            }
        }
        let kubectl = sim.add_actor(KUBECTL, Box::new(Kubectl::new(client.clone(), commands)));
        let scheduler = sim.add_actor(
            SCHEDULER,
            Box::new(Scheduler::new(
                client.clone(),
                Profile::default_profile(),
                QueueConfig::default(),
            )),
        );
        let rsc = sim.add_actor(
            REPLICASET_CONTROLLER,
            Box::new(ReplicaSetController::new(
                client.clone(),
                ReplicaSetConfig::default(),
            )),
        );

        let mut runtime = RuntimeConfig::default();
        if let Some(r) = &scenario.cluster.runtime {
            let set = |dst: &mut Latency, src: &Option<LatencySpec>| {
                if let Some(l) = src {
                    *dst = latency(l);
                }
            };
            set(&mut runtime.sandbox, &r.sandbox);
            set(&mut runtime.image_pull, &r.image_pull);
            set(&mut runtime.create, &r.create);
            set(&mut runtime.start, &r.start);
            set(&mut runtime.stop, &r.stop);
        }
        let mut kubelets = Vec::new();
        let mut index = 0u32;
        for pool in &scenario.cluster.node_pools {
            for name in pool.node_names() {
                let mut cap = BTreeMap::new();
                cap.insert("cpu".to_string(), pool.cpu.0);
                cap.insert("memory".to_string(), pool.memory.0);
                cap.insert("pods".to_string(), Quantity::from_units(pool.pods as i64));
                if let Some(e) = pool.ephemeral_storage {
                    cap.insert("ephemeral-storage".to_string(), e.0);
                }
                let mut cfg = KubeletConfig::new(name.clone(), cap, index);
                cfg.labels = pool.labels.clone();
                cfg.zone = pool.zone.clone();
                cfg.images = pool.images.clone();
                cfg.runtime = runtime.clone();
                let id = sim.add_actor(
                    format!("kubelet/{name}"),
                    Box::new(Kubelet::new(cfg, client.clone())),
                );
                kubelets.push(id);
                index += 1;
            }
        }
        for id in [apiserver, kubectl, scheduler, rsc]
            .into_iter()
            .chain(kubelets.iter().copied())
        {
            sim.start_at(id, SimTime::ZERO);
        }
        Cluster {
            scenario: scenario.clone(),
            seed,
            sim,
            apiserver,
            kubectl,
            scheduler,
            kubelets,
        }
    }

    pub fn sim(&self) -> &Sim<Msg> {
        &self.sim
    }

    pub fn sim_mut(&mut self) -> &mut Sim<Msg> {
        &mut self.sim
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The API server's store (what `kubectl get` would show).
    pub fn store(&self) -> &Store {
        self.sim
            .actor::<ApiServer>(self.apiserver)
            .expect("the API server is an ApiServer")
            .store()
    }

    pub fn scheduler(&self) -> &Scheduler {
        self.sim
            .actor::<Scheduler>(self.scheduler)
            .expect("the scheduler is a Scheduler")
    }

    pub fn kubelets(&self) -> impl Iterator<Item = &Kubelet> {
        self.kubelets
            .iter()
            .filter_map(|id| self.sim.actor::<Kubelet>(*id))
    }

    pub fn kubectl_errors(&self) -> Vec<CommandError> {
        self.sim
            .actor::<Kubectl>(self.kubectl)
            .map(|k| k.errors().to_vec())
            .unwrap_or_default()
    }

    /// Runs to `until` (default: the scenario's run_for), checking expectations on the way.
    pub fn run(&mut self, until: Option<SimDuration>) -> Report {
        let end = SimTime(until.unwrap_or(self.scenario.run_for.0).as_micros());
        let exps = self.scenario.expect.clone();
        let mut outcomes: Vec<Outcome> = vec![Outcome::NotReached; exps.len()];
        let mut checkpoints: BTreeSet<SimTime> = exps
            .iter()
            .filter_map(|e| match e.when() {
                When::At(t) | When::By(t) => Some(t),
                When::End => None,
            })
            .filter(|t| *t <= end)
            .collect();
        let by_pending = |o: &[Outcome]| {
            exps.iter()
                .zip(o)
                .any(|(e, o)| matches!(e.when(), When::By(_)) && *o == Outcome::NotReached)
        };
        // A `by` expectation may already hold before anything happens.
        self.check_by(&exps, &mut outcomes);
        loop {
            let next_cp = checkpoints.first().copied().unwrap_or(end);
            match self.sim.next_time() {
                Some(t) if t <= next_cp => {
                    let writes = self.sim.trace().len();
                    while self.sim.next_time() == Some(t) {
                        self.sim.step();
                    }
                    if self.sim.trace().len() != writes && by_pending(&outcomes) {
                        self.check_by(&exps, &mut outcomes);
                    }
                }
                _ => {
                    self.sim.run_until(next_cp);
                    if checkpoints.remove(&next_cp) {
                        for (e, o) in exps.iter().zip(outcomes.iter_mut()) {
                            let n = e.pod_count().count(self.store());
                            match e.when() {
                                When::At(t) if t == next_cp => {
                                    *o = Outcome::from_count(e, n, next_cp);
                                }
                                When::By(t) if t == next_cp && *o == Outcome::NotReached => {
                                    *o = Outcome::Fail { observed: n };
                                }
                                _ => {}
                            }
                        }
                    } else {
                        break;
                    }
                }
            }
        }
        self.sim.run_until(end);
        // End-of-run expectations hold for the scenario's end, not an earlier --until.
        let reached_end = end >= SimTime(self.scenario.run_for.0.as_micros());
        for (e, o) in exps.iter().zip(outcomes.iter_mut()) {
            if e.when() == When::End && reached_end {
                let n = e.pod_count().count(self.store());
                *o = Outcome::from_count(e, n, end);
            }
        }
        let results = exps
            .iter()
            .zip(outcomes)
            .map(|(e, outcome)| ExpectationResult {
                description: e.describe(),
                outcome,
            })
            .collect();
        Report::new(self, end, results)
    }

    fn check_by(&self, exps: &[crate::scenario::Expectation], outcomes: &mut [Outcome]) {
        let now = self.sim.now();
        for (e, o) in exps.iter().zip(outcomes.iter_mut()) {
            if let When::By(t) = e.when() {
                if *o == Outcome::NotReached && now <= t {
                    let pc = e.pod_count();
                    let n = pc.count(self.store());
                    if pc.holds(n) {
                        *o = Outcome::Pass {
                            at: now,
                            observed: n,
                        };
                    }
                }
            }
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
}

/// The result of `Cluster::run`.
#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub virtual_time: SimTime,
    pub events: u64,
    pub trace_records: u64,
    pub nodes: usize,
    /// Pods by phase ("Terminating" for pods being deleted).
    pub pods_by_phase: BTreeMap<String, u32>,
    pub expectations: Vec<ExpectationResult>,
    pub kubectl_errors: Vec<CommandError>,
    pub digest: String,
}

impl Report {
    fn new(c: &Cluster, end: SimTime, expectations: Vec<ExpectationResult>) -> Self {
        let store = c.store();
        let mut pods_by_phase = BTreeMap::new();
        for o in store.list(Kind::Pod, None) {
            if let Object::Pod(p) = o.as_ref() {
                let phase = if p.metadata.deletion_timestamp.is_some() {
                    "Terminating".to_string()
                } else {
                    p.status.phase.clone()
                };
                *pods_by_phase.entry(phase).or_insert(0) += 1;
            }
        }
        Report {
            scenario: c.scenario().name.clone(),
            seed: c.seed(),
            virtual_time: end,
            events: c.sim().events(),
            trace_records: c.sim().trace().len(),
            nodes: store.count(Kind::Node),
            pods_by_phase,
            expectations,
            kubectl_errors: c.kubectl_errors(),
            digest: c.sim().trace().digest(),
        }
    }

    /// Every expectation that was checked held, and every kubectl command succeeded.
    pub fn passed(&self) -> bool {
        self.kubectl_errors.is_empty()
            && !self
                .expectations
                .iter()
                .any(|e| matches!(e.outcome, Outcome::Fail { .. }))
    }

    pub fn failures(&self) -> impl Iterator<Item = &ExpectationResult> {
        self.expectations
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Fail { .. }))
    }
}
