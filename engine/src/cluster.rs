//! Assembles the actors of a cluster from a scenario and runs it, checking expectations and
//! injecting faults on the way. The one place that knows every actor.

use crate::api::store::{EventType, StoreEvent};
use crate::api::{ApiServer, ApiServerConfig, Kind, Msg, Node, Object, Quantity, Store};
use crate::client::{ApiClient, CommandError, Kubectl, RateLimit};
use crate::controllers::daemonset::{DaemonSetConfig, DaemonSetController};
use crate::controllers::deployment::{DeploymentConfig, DeploymentController};
use crate::controllers::endpointslice::{
    EndpointSliceController, NAME as ENDPOINTSLICE_CONTROLLER,
};
use crate::controllers::garbagecollector::GarbageCollector;
use crate::controllers::nodelifecycle::{NodeLifecycleConfig, NodeLifecycleController};
use crate::controllers::podgc::{PodGC, PodGCConfig};
use crate::controllers::tainteviction::TaintEvictionController;
use crate::controllers::{ReplicaSetConfig, ReplicaSetController};
use crate::faults::{self, Injector, Step};
use crate::node::kubeproxy::{KubeProxy, KubeProxyConfig};
use crate::node::{Kubelet, KubeletConfig, RuntimeConfig};
use crate::report::FaultTimeline;
use crate::scenario::expect::{ExpectationResult, Outcome, When};
use crate::scenario::objects::commands_for;
use crate::scenario::{Expectation, LatencySpec, Scenario};
use crate::scheduler::{Profile, QueueConfig, Registry, Scheduler};
use crate::sim::{ActorId, Latency, Sim, SimDuration, SimTime, Trace};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::scenario::objects::object_for;

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
pub const GARBAGE_COLLECTOR: &str = crate::controllers::garbagecollector::ACTOR_NAME;
pub const DAEMONSET_CONTROLLER: &str = "daemonset-controller";
pub const DEPLOYMENT_CONTROLLER: &str = "deployment-controller";
pub const TAINT_EVICTION_CONTROLLER: &str = "taint-eviction-controller";
pub const NODE_LIFECYCLE_CONTROLLER: &str = "node-lifecycle-controller";
pub const POD_GARBAGE_COLLECTOR: &str = "pod-garbage-collector";

fn latency(l: &LatencySpec) -> Latency {
    Latency {
        min: l.min.0,
        max: l.max.0,
    }
}

/// Options of one run.
#[derive(Default)]
pub struct RunOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Where trace records go (the digest is always computed).
    pub trace: Trace,
    /// The scheduler plugins profiles may name (default: the in-tree ones); register custom
    /// plugins here.
    pub registry: Option<Registry>,
}

/// The scheduler's profiles, queue settings and client rate limit: from the scenario's
/// KubeSchedulerConfiguration, or upstream's defaults.
///
/// # Panics
/// When the configuration names a plugin `registry` does not have (loading a scenario file
/// checks this against the in-tree plugins).
fn scheduler_setup(s: &Scenario, registry: &Registry) -> (Vec<Profile>, QueueConfig, RateLimit) {
    match &s.cluster.scheduler {
        None => (
            vec![Profile::multi_point(
                crate::api::admission::DEFAULT_SCHEDULER_NAME,
                registry,
                crate::scheduler::profile::DEFAULT_PLUGINS,
            )
            .unwrap_or_else(|e| panic!("the default profile: {e}"))],
            QueueConfig::default(),
            RateLimit::SCHEDULER,
        ),
        Some(cfg) => {
            let profiles = cfg
                .0
                .build_profiles(registry)
                .unwrap_or_else(|e| panic!("{e}"));
            (profiles, cfg.0.queue.clone(), cfg.0.client_rate_limit())
        }
    }
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
    node_lifecycle: ActorId,
    injector: Injector,
}

fn apiserver_config(s: &Scenario) -> ApiServerConfig {
    let mut c = ApiServerConfig::default();
    if let Some(a) = &s.cluster.apiserver {
        if let Some(i) = a.compaction_interval {
            c.compaction_interval = i.0;
        }
        if let Some(l) = &a.write_latency {
            c.write_latency = latency(l);
        }
    }
    c
}

/// The controller-manager client's rate limit and the node lifecycle controller's settings.
fn controller_manager_config(s: &Scenario) -> (RateLimit, NodeLifecycleConfig) {
    let mut limit = RateLimit::CONTROLLER_MANAGER;
    let mut nlc = NodeLifecycleConfig::default();
    let Some(c) = &s.cluster.controller_manager else {
        return (limit, nlc);
    };
    limit.qps = c.kube_api_qps.map_or(limit.qps, |q| q.get());
    limit.burst = c.kube_api_burst.unwrap_or(limit.burst);
    let n = &mut nlc;
    let durations = [
        (c.node_monitor_period, &mut n.node_monitor_period),
        (
            c.node_monitor_grace_period,
            &mut n.node_monitor_grace_period,
        ),
        (
            c.node_startup_grace_period,
            &mut n.node_startup_grace_period,
        ),
    ];
    for (src, dst) in durations {
        *dst = src.map_or(*dst, |d| d.0);
    }
    let decimals = [
        (c.node_eviction_rate, &mut n.node_eviction_rate),
        (
            c.secondary_node_eviction_rate,
            &mut n.secondary_node_eviction_rate,
        ),
        (c.unhealthy_zone_threshold, &mut n.unhealthy_zone_threshold),
    ];
    for (src, dst) in decimals {
        *dst = src.map_or(*dst, |d| d.0);
    }
    n.large_cluster_size_threshold = c
        .large_cluster_size_threshold
        .unwrap_or(n.large_cluster_size_threshold);
    (limit, nlc)
}

fn runtime_config(s: &Scenario) -> RuntimeConfig {
    let mut runtime = RuntimeConfig::default();
    if let Some(r) = &s.cluster.runtime {
        for (dst, src) in [
            (&mut runtime.sandbox, &r.sandbox),
            (&mut runtime.image_pull, &r.image_pull),
            (&mut runtime.create, &r.create),
            (&mut runtime.start, &r.start),
            (&mut runtime.stop, &r.stop),
        ] {
            if let Some(l) = src {
                *dst = latency(l);
            }
        }
        let bytes = |q: &crate::scenario::Qty| u64::try_from(q.0.value()).unwrap_or(0);
        runtime.pull_bandwidth = r.pull_bandwidth.as_ref().map_or(0, bytes);
        runtime.image_sizes = r
            .image_sizes
            .iter()
            .map(|(i, q)| (i.clone(), bytes(q)))
            .collect();
    }
    runtime
}

/// The kubelet of an imported Node: its name, labels, allocatable, images (with sizes for the
/// runtime), taints (except the node.kubernetes.io/ ones the control plane manages) and
/// cordon; and its zone label.
fn imported_kubelet(n: &Node, runtime: &RuntimeConfig, index: u32) -> (KubeletConfig, String) {
    let st = &n.status;
    let cap = if st.allocatable.is_empty() {
        st.capacity.clone()
    } else {
        st.allocatable.clone()
    };
    let mut cfg = KubeletConfig::new(n.metadata.name.clone(), cap, index);
    cfg.labels = n.metadata.labels.clone();
    cfg.taints = n
        .spec
        .taints
        .iter()
        .filter(|t| !t.key.starts_with("node.kubernetes.io/"))
        .cloned()
        .collect();
    cfg.unschedulable = n.spec.unschedulable;
    cfg.runtime = runtime.clone();
    for img in &st.images {
        if let Some(name) = img
            .names
            .iter()
            .find(|n| !n.contains('@'))
            .or(img.names.first())
        {
            cfg.images.push(name.clone());
            if img.size_bytes > 0 {
                cfg.runtime
                    .image_sizes
                    .entry(name.clone())
                    .or_insert(img.size_bytes as u64);
            }
        }
    }
    let zone = n
        .metadata
        .labels
        .get("topology.kubernetes.io/zone")
        .cloned()
        .unwrap_or_default();
    (cfg, zone)
}

impl Cluster {
    /// Builds the cluster; the scenario must have been validated.
    pub fn new(scenario: &Scenario, mut opts: RunOptions) -> Self {
        let seed = opts.seed.unwrap_or(scenario.seed);
        let lat = scenario
            .cluster
            .api_latency
            .as_ref()
            .map_or(DEFAULT_API_LATENCY, latency);
        let mut sim = Sim::new(seed, lat, opts.trace);
        let mut api = ApiServer::new(apiserver_config(scenario));
        for obj in &scenario.cluster.imported {
            if obj.kind() != Kind::Node {
                api.restore(obj.clone());
            }
        }
        let apiserver = sim.add_actor(APISERVER, Box::new(api));
        sim.network_mut().set_hub(apiserver);
        let client = ApiClient::new(apiserver);
        let (kcm_limit, nlc_config) = controller_manager_config(scenario);
        let kcm = client.clone().with_rate_limit(kcm_limit);

        let commands = commands_for(&scenario.actions);
        let kubectl = sim.add_actor(KUBECTL, Box::new(Kubectl::new(client.clone(), commands)));
        let registry = opts.registry.take().unwrap_or_default();
        let (profiles, queue, sched_limit) = scheduler_setup(scenario, &registry);
        let scheduler = sim.add_actor(
            SCHEDULER,
            Box::new(Scheduler::with_profiles(
                client.clone().with_rate_limit(sched_limit),
                profiles,
                queue,
            )),
        );
        let mut control_plane = vec![apiserver, kubectl, scheduler];
        control_plane.push(sim.add_actor(
            REPLICASET_CONTROLLER,
            Box::new(ReplicaSetController::new(
                kcm.clone(),
                ReplicaSetConfig::default(),
            )),
        ));
        control_plane.push(sim.add_actor(
            DEPLOYMENT_CONTROLLER,
            Box::new(DeploymentController::new(
                kcm.clone(),
                DeploymentConfig::default(),
            )),
        ));
        control_plane.push(sim.add_actor(
            DAEMONSET_CONTROLLER,
            Box::new(DaemonSetController::new(
                kcm.clone(),
                DaemonSetConfig::default(),
            )),
        ));
        let node_lifecycle = sim.add_actor(
            NODE_LIFECYCLE_CONTROLLER,
            Box::new(NodeLifecycleController::new(kcm.clone(), nlc_config)),
        );
        control_plane.push(node_lifecycle);
        control_plane.push(sim.add_actor(
            TAINT_EVICTION_CONTROLLER,
            Box::new(TaintEvictionController::new(kcm.clone())),
        ));
        control_plane.push(sim.add_actor(
            POD_GARBAGE_COLLECTOR,
            Box::new(PodGC::new(kcm.clone(), PodGCConfig::default())),
        ));
        control_plane.push(sim.add_actor(
            ENDPOINTSLICE_CONTROLLER,
            Box::new(EndpointSliceController::new(kcm.clone())),
        ));
        control_plane.push(sim.add_actor(
            GARBAGE_COLLECTOR,
            Box::new(GarbageCollector::new(kcm.clone())),
        ));

        let runtime = runtime_config(scenario);
        let mut nodes: Vec<(KubeletConfig, String)> = Vec::new();
        for pool in &scenario.cluster.node_pools {
            for name in pool.node_names() {
                let mut cap = BTreeMap::new();
                cap.insert("cpu".to_string(), pool.cpu.0);
                cap.insert("memory".to_string(), pool.memory.0);
                cap.insert("pods".to_string(), Quantity::from_units(pool.pods as i64));
                if let Some(e) = pool.ephemeral_storage {
                    cap.insert("ephemeral-storage".to_string(), e.0);
                }
                let mut cfg = KubeletConfig::new(name.clone(), cap, nodes.len() as u32);
                cfg.labels = pool.labels.clone();
                cfg.zone = pool.zone.clone();
                cfg.images = pool.images.clone();
                cfg.taints = pool.taints.iter().map(|t| t.to_taint()).collect();
                cfg.runtime = runtime.clone();
                nodes.push((cfg, pool.zone.clone().unwrap_or_default()));
            }
        }
        for obj in &scenario.cluster.imported {
            if let Object::Node(n) = obj {
                let index = nodes.len() as u32;
                nodes.push(imported_kubelet(n, &runtime, index));
            }
        }
        let mut kubelets = Vec::new();
        let mut kube_proxies = Vec::new();
        for (cfg, _) in &nodes {
            let name = cfg.node_name.clone();
            let kubelet_client = client.clone().with_rate_limit(RateLimit::KUBELET);
            let id = sim.add_actor(
                format!("kubelet/{name}"),
                Box::new(Kubelet::new(cfg.clone(), kubelet_client)),
            );
            kubelets.push(id);
            let proxy = sim.add_actor(
                format!("kube-proxy/{name}"),
                Box::new(KubeProxy::new(
                    name.clone(),
                    client.clone().with_rate_limit(RateLimit::KUBELET),
                    KubeProxyConfig::default(),
                )),
            );
            kube_proxies.push(proxy);
        }
        for id in control_plane.iter().chain(&kubelets).chain(&kube_proxies) {
            sim.start_at(*id, SimTime::ZERO);
        }
        let mut injector = Injector::default();
        injector.apiserver = Some(apiserver);
        injector.default_latency = lat;
        for (i, (cfg, zone)) in nodes.iter().enumerate() {
            let name = cfg.node_name.clone();
            injector.kubelets.insert(name.clone(), kubelets[i]);
            injector.proxies.insert(name.clone(), kube_proxies[i]);
            injector.zones.entry(zone.clone()).or_default().push(name);
        }
        Cluster {
            scenario: scenario.clone(),
            seed,
            sim,
            apiserver,
            kubectl,
            scheduler,
            kubelets,
            node_lifecycle,
            injector,
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

    pub fn apiserver(&self) -> &ApiServer {
        self.sim
            .actor::<ApiServer>(self.apiserver)
            .expect("the API server is an ApiServer")
    }

    /// The API server's store (what `kubectl get` would show).
    pub fn store(&self) -> &Store {
        self.apiserver().store()
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

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Runs to `until` (default: the scenario's run_for), injecting faults and checking
    /// expectations on the way.
    pub fn run(&mut self, until: Option<SimDuration>) -> Report {
        let end = SimTime(until.unwrap_or(self.scenario.run_for.0).as_micros());
        let run_end = SimTime(self.scenario.run_for.0.as_micros());
        let mut chk = Checker::new(self.scenario.expect.clone(), end);
        let mut faults: Vec<(SimTime, Step)> = Vec::new();
        for a in &self.scenario.actions {
            let Some(f) = &a.fault else { continue };
            let at = SimTime(a.at.0.as_micros());
            faults.push((at, Step::Begin(f.clone())));
            if let Some(d) = faults::end_of(f) {
                faults.push((at + d, Step::End(f.clone())));
            }
        }
        // Stable: steps at the same time keep the file order, ends after begins.
        faults.sort_by_key(|(t, s)| (*t, matches!(s, Step::End(_))));
        faults.retain(|(t, _)| *t <= end);
        let mut points: BTreeSet<SimTime> = chk.points();
        points.extend(faults.iter().map(|(t, _)| *t));
        let mut injector = std::mem::take(&mut self.injector);
        let mut timelines: Vec<FaultTimeline> = Vec::new();
        chk.observe(self.store(), SimTime::ZERO);
        loop {
            let next_point = points.first().copied().unwrap_or(end);
            match self.sim.next_time() {
                Some(t) if t <= next_point => {
                    let writes = self.sim.trace().len();
                    while self.sim.next_time() == Some(t) {
                        self.sim.step();
                    }
                    if self.sim.trace().len() != writes {
                        if chk.watching() {
                            chk.observe(self.store(), t);
                        }
                        for f in timelines.iter_mut().filter(|f| f.open()) {
                            f.observe(self.store(), t);
                        }
                    }
                }
                _ => {
                    self.sim.run_until(next_point);
                    if !points.remove(&next_point) {
                        break;
                    }
                    for (_, step) in faults.iter().filter(|(t, _)| *t == next_point) {
                        injector.apply(&mut self.sim, step);
                        if let Step::Begin(f) = step {
                            if let Some(nodes) = injector.lost_nodes(f) {
                                let name = format!("{} {}", f.type_name(), nodes.join(","));
                                let mut tl = FaultTimeline::new(
                                    name,
                                    next_point,
                                    nodes.into_iter().collect(),
                                    !matches!(f, faults::Fault::LoseNode { .. }),
                                );
                                tl.begin(self.store());
                                timelines.push(tl);
                            }
                        }
                    }
                    chk.at_point(self.store(), next_point);
                }
            }
        }
        self.sim.run_until(end);
        self.injector = injector;
        chk.finish(self.store(), end, end >= run_end);
        let results = chk.results();
        let mut report = Report::new(self, end, results);
        report.faults = timelines;
        report
    }
}

/// The zone of a zone key (GetZoneKey: "region:\0:zone"), "" when the node has none.
fn zone_name(key: &str) -> String {
    key.rsplit(":\0:").next().unwrap_or(key).to_string()
}

/// The running value of a watched (`by` or `always`) expectation, kept current from the
/// store's history instead of recounted after every instant with a write.
enum Tally {
    /// A pod count: the owner uids it was counted with and the count.
    Pods {
        owners: Option<Vec<String>>,
        count: u32,
    },
    /// A node count.
    Nodes { count: u32 },
    /// Anything else (a rollout): evaluated again when an object of these kinds was written.
    Other {
        kinds: Vec<Kind>,
        value: (bool, u32),
    },
}

/// The kinds whose writes can change which pods count as `owner`'s: the owner's kind and, for
/// a Deployment, its ReplicaSets.
fn owner_kinds(e: &Expectation) -> Vec<Kind> {
    let pc = e.pod_count();
    let Some(kind) = pc.owner.as_ref().and_then(|o| Kind::parse(&o.value.kind)) else {
        return Vec::new();
    };
    match kind {
        Kind::Deployment => vec![Kind::Deployment, Kind::ReplicaSet],
        k => vec![k],
    }
}

impl Tally {
    /// Counts from scratch.
    fn new(e: &Expectation, store: &Store) -> Tally {
        if e.rollout.is_some() {
            return Tally::Other {
                kinds: vec![Kind::Deployment],
                value: e.evaluate(store),
            };
        }
        if let Some(nc) = &e.nodes {
            return Tally::Nodes {
                count: nc.count(store),
            };
        }
        let pc = e.pod_count();
        Tally::Pods {
            owners: pc.owner_uids(store),
            count: pc.count(store),
        }
    }

    /// Brings the tally up to date with `events` (every write since it was last current), the
    /// store being the state after them.
    fn update<'a>(
        &mut self,
        e: &Expectation,
        events: impl Iterator<Item = &'a StoreEvent>,
        store: &Store,
    ) {
        let add = |count: &mut u32, before: bool, now: bool| match (before, now) {
            (false, true) => *count += 1,
            (true, false) => *count -= 1,
            _ => {}
        };
        match self {
            Tally::Pods { owners, count } => {
                let pc = e.pod_count();
                let kinds = owner_kinds(e);
                let mut owners_touched = false;
                let matches = |o: &Object| match o {
                    Object::Pod(p) => pc.matches(p, owners.as_deref()),
                    _ => false,
                };
                for ev in events {
                    let kind = ev.object.kind();
                    if kind == Kind::Pod {
                        let now = ev.type_ != EventType::Deleted && matches(&ev.object);
                        let before = ev.prev.as_ref().is_some_and(|p| matches(p));
                        add(count, before, now);
                    } else if kinds.contains(&kind) {
                        owners_touched = true;
                    }
                }
                if owners_touched {
                    let fresh = pc.owner_uids(store);
                    if fresh != *owners {
                        *owners = fresh;
                        *count = pc.count(store);
                    }
                }
            }
            Tally::Nodes { count } => {
                let Some(nc) = &e.nodes else { return };
                let matches = |o: &Object| matches!(o, Object::Node(n) if nc.matches(n));
                for ev in events.filter(|ev| ev.object.kind() == Kind::Node) {
                    let now = ev.type_ != EventType::Deleted && matches(&ev.object);
                    let before = ev.prev.as_ref().is_some_and(|p| matches(p));
                    add(count, before, now);
                }
            }
            Tally::Other { kinds, value } => {
                let mut events = events;
                if events.any(|ev| kinds.contains(&ev.object.kind())) {
                    *value = e.evaluate(store);
                }
            }
        }
    }

    /// (holds, observed), as `Expectation::evaluate` would say.
    fn value(&self, e: &Expectation) -> (bool, u32) {
        match self {
            Tally::Pods { count, .. } => (e.pod_count().holds(*count), *count),
            Tally::Nodes { count } => {
                let nc = e.nodes.as_ref().expect("a node tally counts nodes");
                let holds = nc.count.is_none_or(|c| *count == c)
                    && nc.at_least.is_none_or(|c| *count >= c)
                    && nc.at_most.is_none_or(|c| *count <= c);
                (holds, *count)
            }
            Tally::Other { value, .. } => *value,
        }
    }
}

/// Tracks expectations through a run.
struct Checker {
    exps: Vec<Expectation>,
    out: Vec<Outcome>,
    end: SimTime,
    /// Running values of the watched expectations, current to store revision `rev`.
    tallies: Vec<Option<Tally>>,
    rev: u64,
}

impl Checker {
    fn new(exps: Vec<Expectation>, end: SimTime) -> Self {
        let out = vec![Outcome::NotReached; exps.len()];
        let tallies = exps.iter().map(|_| None).collect();
        Checker {
            exps,
            out,
            end,
            tallies,
            rev: 0,
        }
    }

    /// Expectation `i` evaluated on the store now, from its tally (made on first use).
    fn evaluate(&mut self, i: usize, store: &Store) -> (bool, u32) {
        let e = &self.exps[i];
        self.tallies[i]
            .get_or_insert_with(|| Tally::new(e, store))
            .value(e)
    }

    /// Brings every tally up to the store's current revision; starts them over if the
    /// history they need was compacted.
    fn catch_up(&mut self, store: &Store) {
        if store.revision() == self.rev {
            return;
        }
        let fresh = store.events_since(self.rev).is_err();
        for (i, t) in self.tallies.iter_mut().enumerate() {
            let Some(tally) = t else { continue };
            match store.events_since(self.rev) {
                Ok(events) if !fresh => tally.update(&self.exps[i], events, store),
                _ => *t = None,
            }
        }
        self.rev = store.revision();
    }

    /// Times at which something must be checked.
    fn points(&self) -> BTreeSet<SimTime> {
        let mut p = BTreeSet::new();
        for e in &self.exps {
            if let Some(w) = e.window() {
                p.insert(w.from);
                p.extend(w.until);
            } else if let When::At(t) | When::By(t) = e.when() {
                p.insert(t);
            }
        }
        p.retain(|t| *t <= self.end);
        p
    }

    /// Pending `by` or active `always` expectations need a look after each write.
    fn watching(&self) -> bool {
        self.exps.iter().zip(&self.out).any(|(e, o)| {
            *o == Outcome::NotReached && (e.window().is_some() || matches!(e.when(), When::By(_)))
        })
    }

    /// After writes at `now`: a `by` that holds passes; an `always` that breaks fails.
    fn observe(&mut self, store: &Store, now: SimTime) {
        self.catch_up(store);
        for i in 0..self.exps.len() {
            if self.out[i] != Outcome::NotReached {
                self.tallies[i] = None;
                continue;
            }
            let e = &self.exps[i];
            if let Some(w) = e.window() {
                let active = w.from <= now && w.until.is_none_or(|u| now <= u);
                if active {
                    if let (false, observed) = self.evaluate(i, store) {
                        self.out[i] = Outcome::Fail { at: now, observed };
                    }
                }
            } else if let When::By(t) = e.when() {
                if now <= t {
                    if let (true, observed) = self.evaluate(i, store) {
                        self.out[i] = Outcome::Pass { at: now, observed };
                    }
                }
            }
        }
    }

    /// At a check point: `at` expectations are decided, `by` deadlines pass, windows open and
    /// close.
    fn at_point(&mut self, store: &Store, now: SimTime) {
        self.observe(store, now);
        for (e, o) in self.exps.iter().zip(self.out.iter_mut()) {
            if *o != Outcome::NotReached {
                continue;
            }
            if let Some(w) = e.window() {
                if w.until == Some(now) {
                    *o = Outcome::Pass {
                        at: now,
                        observed: e.evaluate(store).1,
                    };
                }
                continue;
            }
            match e.when() {
                When::At(t) if t == now => *o = Outcome::of(e, store, now),
                When::By(t) if t == now => {
                    *o = Outcome::Fail {
                        at: now,
                        observed: e.evaluate(store).1,
                    }
                }
                _ => {}
            }
        }
    }

    /// At the end: end-of-run expectations (only if the scenario's end was reached) and open
    /// windows.
    fn finish(&mut self, store: &Store, end: SimTime, reached_end: bool) {
        for (e, o) in self.exps.iter().zip(self.out.iter_mut()) {
            if *o != Outcome::NotReached || !reached_end {
                continue;
            }
            match e.window() {
                Some(w) if w.until.is_none() => {
                    *o = Outcome::Pass {
                        at: end,
                        observed: e.evaluate(store).1,
                    }
                }
                Some(_) => {}
                None if e.when() == When::End => *o = Outcome::of(e, store, end),
                None => {}
            }
        }
    }

    fn results(self) -> Vec<ExpectationResult> {
        self.exps
            .iter()
            .zip(self.out)
            .map(|(e, outcome)| ExpectationResult {
                description: e.describe(),
                outcome,
            })
            .collect()
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
    /// Watches that got 410 Gone (their informers re-listed).
    pub watches_expired: u64,
    /// Pods by phase ("Terminating" for pods being deleted).
    pub pods_by_phase: BTreeMap<String, u32>,
    /// Pod start-up latency (creation to Ready) of the pods present at the end, sorted.
    pub startup_latencies: Vec<SimDuration>,
    /// The node lifecycle controller's zone states over the run: (when, zone, state).
    pub zone_history: Vec<(SimTime, String, String)>,
    /// Recovery timelines of the faults that took nodes away, in the order they began.
    pub faults: Vec<FaultTimeline>,
    pub expectations: Vec<ExpectationResult>,
    pub kubectl_errors: Vec<CommandError>,
    pub digest: String,
}

impl Report {
    fn new(c: &Cluster, end: SimTime, expectations: Vec<ExpectationResult>) -> Self {
        let store = c.store();
        let mut pods_by_phase = BTreeMap::new();
        let mut startup_latencies = Vec::new();
        for o in store.list(Kind::Pod, None) {
            if let Object::Pod(p) = o.as_ref() {
                // The SLI: creation to every container reported started (pods that never
                // restarted; a restart's startedAt is not the start-up's).
                let statuses = &p.status.container_statuses;
                let started = statuses
                    .iter()
                    .map(|c| c.state.running.as_ref().and_then(|r| r.started_at))
                    .collect::<Option<Vec<_>>>()
                    .and_then(|v| v.into_iter().max());
                let fresh = statuses.iter().all(|c| c.restart_count == 0);
                if let (Some(c), Some(s), true, false) = (
                    p.metadata.creation_timestamp,
                    started,
                    fresh,
                    statuses.is_empty(),
                ) {
                    startup_latencies.push(s.0.since(c.0));
                }
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
            watches_expired: c.apiserver().watches_expired(),
            pods_by_phase,
            startup_latencies: {
                startup_latencies.sort();
                startup_latencies
            },
            zone_history: c
                .sim
                .actor::<NodeLifecycleController>(c.node_lifecycle)
                .map(|n| {
                    n.zone_history()
                        .iter()
                        .map(|(t, z, s)| (*t, zone_name(z), format!("{s:?}")))
                        .collect()
                })
                .unwrap_or_default(),
            faults: Vec::new(),
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
