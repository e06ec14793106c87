//! Node lifecycle controller tests: the rate-limited queue (rate_limited_queue_test.go), tables
//! transcribed from node_lifecycle_controller_test.go, and timelines on the default settings.
//! The controller runs in a `Harness` against a small in-memory API server; upstream dates
//! become offsets from the simulation start ("2012" is t = 0, "2015-01-01 12:00" is one day).

use super::*;
use crate::api::node::NodeStatus;
use crate::api::pod::PodCondition;
use crate::api::{ApiError, Lease, MicroTime, Request, WatchEvent, WatchMsg};
use crate::sim::testing::{Harness, Sent};
use crate::sim::{ActorId, EventId};
use std::sync::Arc;

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000)
}

fn ms(t: u64) -> SimTime {
    SimTime(t * 1_000)
}

const HOUR: SimDuration = SimDuration::from_secs(3600);
const MINUTE: SimDuration = SimDuration::from_secs(60);
/// "2012-01-01": node creation long ago.
const LONG_AGO: SimTime = SimTime(0);
/// "2015-01-01 12:00", "2016-01-01 12:00", "2017-01-01 12:00".
const Y2015: SimTime = SimTime(86_400_000_000);
const Y2016: SimTime = SimTime(2 * 86_400_000_000);
const Y2017: SimTime = SimTime(3 * 86_400_000_000);

// --- rate_limited_queue_test.go ---

fn queue_of(values: &[&str]) -> RateLimitedTimedQueue {
    let mut q = RateLimitedTimedQueue::new(Limiter::Always);
    for (i, v) in values.iter().enumerate() {
        q.add(v, &format!("{i}{i}{i}{i}{i}"), SimTime::ZERO);
    }
    q
}

fn queued(q: &RateLimitedTimedQueue) -> Vec<&str> {
    q.items().map(|v| v.value.as_str()).collect()
}

fn known(q: &RateLimitedTimedQueue) -> Vec<&str> {
    q.known_values().collect()
}

/// TestAddNode.
#[test]
fn queue_add_node() {
    let q = queue_of(&["first", "second", "third"]);
    assert_eq!(queued(&q), ["first", "second", "third"]);
    assert_eq!(known(&q), ["first", "second", "third"]);
}

/// TestDelNode.
#[test]
fn queue_del_node() {
    for (removed, left) in [
        ("first", ["second", "third"]),
        ("second", ["first", "third"]),
        ("third", ["first", "second"]),
    ] {
        let mut q = queue_of(&["first", "second", "third"]);
        assert!(q.remove(removed));
        assert_eq!(queued(&q), left, "remove {removed}");
        assert_eq!(known(&q), left, "remove {removed}");
    }
}

/// TestTry.
#[test]
fn queue_try() {
    let mut q = queue_of(&["first", "second", "third"]);
    q.remove("second");
    let mut processed = Vec::new();
    q.try_process(SimTime::ZERO, |v| {
        processed.push(v.value.clone());
        (true, SimDuration::ZERO)
    });
    assert_eq!(processed, ["first", "third"]);
}

/// TestTryOrdering: a value that asks to wait goes back behind the others, due `wait` + 1
/// later (1 ns upstream, 1 us here); the clock is passed in rather than ticking per call.
#[test]
fn queue_try_ordering() {
    let mut q = RateLimitedTimedQueue::new(Limiter::Always);
    q.add("first", "11111", ms(1));
    q.add("second", "22222", ms(2));
    q.add("third", "33333", ms(3));
    let now = ms(4);
    let (mut order, mut count, mut queued_once) = (Vec::new(), 0, false);
    q.try_process(now, |v| {
        count += 1;
        let added = match v.value.as_str() {
            "first" => ms(1),
            "second" => ms(2),
            _ => ms(3),
        };
        assert_eq!(v.added_at, added, "{}", v.value);
        if v.value == "second" && !queued_once {
            queued_once = true;
            return (false, SimDuration::from_millis(2));
        }
        order.push(v.value.clone());
        (true, SimDuration::ZERO)
    });
    assert_eq!(order, ["first", "third"]);
    assert_eq!(count, 3);
    let second = q.items().next().unwrap();
    assert_eq!(second.value, "second");
    assert_eq!(second.process_at, SimTime(6_001));
    assert_eq!(second.added_at, ms(2));
}

/// TestClear.
#[test]
fn queue_clear() {
    let mut q = queue_of(&["first", "second", "third"]);
    q.clear();
    assert!(q.is_empty());
    assert_eq!(known(&q).len(), 0);
}

/// TestSwapLimiter.
#[test]
fn queue_swap_limiter() {
    let mut q = RateLimitedTimedQueue::new(Limiter::Always);
    assert_eq!(q.limiter().qps(), Millionths::whole(1));
    q.swap_limiter(Millionths::ZERO, SimTime::ZERO);
    assert!(matches!(q.limiter(), Limiter::Never));
    assert_eq!(q.limiter().qps(), Millionths::ZERO);
    let created: Millionths = "5.5".parse().unwrap();
    q.swap_limiter(created, SimTime::ZERO);
    assert_eq!(q.limiter().qps(), created);
}

/// TestAddAfterTry: a processed value is not processed again until removed.
#[test]
fn queue_add_after_try() {
    let mut q = queue_of(&["first", "second", "third"]);
    q.remove("second");
    let mut processed = Vec::new();
    q.try_process(SimTime::ZERO, |v| {
        processed.push(v.value.clone());
        (true, SimDuration::ZERO)
    });
    assert_eq!(processed, ["first", "third"]);
    assert!(!q.add("first", "11111", SimTime::ZERO));
    q.try_process(SimTime::ZERO, |_| panic!("processed twice without Remove"));
}

/// NewTokenBucketRateLimiter(qps, 1): starts full, one token every 1/qps exactly.
#[test]
fn token_bucket_rates_are_exact() {
    for (qps, interval_s) in [("0.1", 10), ("0.01", 100)] {
        let qps: Millionths = qps.parse().unwrap();
        let mut b = TokenBucket::new(qps, 1, SimTime::ZERO);
        assert!(b.try_accept(secs(5)), "{qps}: starts full");
        let next = secs(5 + interval_s);
        assert!(!b.try_accept(SimTime(next.0 - 1)), "{qps}");
        assert!(b.try_accept(next), "{qps}");
        // Idle time stores no more than the burst.
        let later = secs(10 * interval_s + 5);
        assert!(b.try_accept(later));
        assert!(!b.try_accept(later));
    }
    let mut b = TokenBucket::new(Millionths::whole(2), 1, SimTime::ZERO);
    assert!(b.try_accept(ms(5_000)));
    assert!(!b.try_accept(ms(5_499)));
    assert!(b.try_accept(ms(5_500)));
}

/// SwapLimiter: a drained limiter hands its debt to the new one (burst 1).
#[test]
fn swap_limiter_drains_new_bucket_when_old_is_empty() {
    let limiter = Limiter::token_bucket(Millionths(100_000), SimTime(0));
    let mut q = RateLimitedTimedQueue::new(limiter);
    q.add("a", "1", SimTime(0));
    q.add("b", "2", SimTime(0));
    let mut done = Vec::new();
    q.try_process(secs(1), |v| {
        done.push(v.value.clone());
        (true, SimDuration::ZERO)
    });
    assert_eq!(done, ["a"]);
    q.swap_limiter(Millionths(10_000), secs(1));
    q.try_process(secs(100), |_| panic!("drained bucket"));
    q.try_process(secs(101), |v| {
        done.push(v.value.clone());
        (true, SimDuration::ZERO)
    });
    assert_eq!(done, ["a", "b"]);
}

#[test]
fn millionths_parse_and_print() {
    for (s, v) in [
        ("0.1", 100_000),
        ("0.01", 10_000),
        ("0.55", 550_000),
        ("20", 20_000_000),
    ] {
        let m: Millionths = s.parse().unwrap();
        assert_eq!(m, Millionths(v));
        assert_eq!(m.to_string(), s);
    }
    for bad in ["", ".5", "1.2345678", "-1", "1e3"] {
        assert!(bad.parse::<Millionths>().is_err(), "{bad}");
    }
}

// --- A bench: the controller against an in-memory API server ---

/// Stores objects, answers the controller's requests at once, and sends it watch events.
#[derive(Default)]
struct FakeApi {
    rv: u64,
    objects: BTreeMap<(Kind, String, String), ObjectRef>,
    watches: Vec<(u64, Kind, ListOptions)>,
    /// The controller's successful writes: when, whether to the status, the object after.
    writes: Vec<(SimTime, bool, ObjectRef)>,
    /// Updates (not status updates) to refuse with 409 Conflict.
    conflicts: u32,
}

fn key_of(o: &Object) -> (Kind, String, String) {
    let m = o.meta();
    (o.kind(), m.namespace.clone(), m.name.clone())
}

type Answer = (Result<Reply, ApiError>, Vec<WatchMsg>);

impl FakeApi {
    fn store(&mut self, mut o: Object) -> (ObjectRef, Vec<WatchMsg>) {
        self.rv += 1;
        o.set_type_meta();
        o.meta_mut().resource_version = self.rv;
        let o = Arc::new(o);
        let existed = self.objects.insert(key_of(&o), o.clone()).is_some();
        let events = self
            .watches
            .iter()
            .filter(|(_, k, opts)| *k == o.kind() && opts.matches(&o))
            .map(|(id, _, _)| WatchMsg {
                watch_id: *id,
                event: if existed {
                    WatchEvent::Modified(o.clone())
                } else {
                    WatchEvent::Added(o.clone())
                },
            })
            .collect();
        (o, events)
    }

    fn write(&mut self, obj: Object, status: bool, now: SimTime) -> Answer {
        let (kind, name) = (obj.kind(), obj.meta().name.clone());
        let Some(cur) = self.objects.get(&key_of(&obj)).cloned() else {
            return (Err(ApiError::not_found(kind, &name)), vec![]);
        };
        let rv = obj.meta().resource_version;
        let refused = !status && self.conflicts > 0;
        if refused || (rv != 0 && rv != cur.meta().resource_version) {
            self.conflicts -= u32::from(refused);
            return (Err(ApiError::stale(kind, &name)), vec![]);
        }
        let new = if status {
            let mut new = (*cur).clone();
            new.copy_status_from(&obj);
            new
        } else {
            let mut new = obj;
            new.copy_status_from(&cur);
            new
        };
        let (o, events) = self.store(new);
        self.writes.push((now, status, o.clone()));
        (Ok(Reply::Object(o)), events)
    }

    fn handle(&mut self, req: Request, now: SimTime) -> (Option<Response>, Vec<WatchMsg>) {
        let (result, events) = match req.op {
            Op::List { kind, opts } => {
                let items = self
                    .objects
                    .values()
                    .filter(|o| o.kind() == kind && opts.matches(o))
                    .cloned()
                    .collect();
                let resource_version = self.rv;
                (
                    Ok(Reply::List {
                        items,
                        resource_version,
                    }),
                    vec![],
                )
            }
            Op::Watch {
                watch_id,
                kind,
                opts,
                ..
            } => {
                self.watches.push((watch_id, kind, opts));
                return (None, vec![]);
            }
            Op::Get {
                kind,
                namespace,
                name,
            } => match self.objects.get(&(kind, namespace, name.clone())) {
                Some(o) => (Ok(Reply::Object(o.clone())), vec![]),
                None => (Err(ApiError::not_found(kind, &name)), vec![]),
            },
            Op::Update(o) => self.write(o, false, now),
            Op::UpdateStatus(o) => self.write(o, true, now),
            other => panic!("unexpected request {other:?}"),
        };
        (Some(Response { id: req.id, result }), events)
    }
}

/// Drives the controller: timers in time order (when `auto`), kubelets renewing their Leases.
struct Bench {
    h: Harness<Msg>,
    c: NodeLifecycleController,
    api: FakeApi,
    auto: bool,
    timers: BTreeSet<(SimTime, u64, u64)>,
    seq: u64,
    /// Next Lease renewal of every running kubelet.
    renewals: BTreeMap<String, SimTime>,
}

/// The upstream tests' settings: testRateLimiterQPS 100000, testLargeClusterThreshold 20.
fn upstream_config() -> NodeLifecycleConfig {
    NodeLifecycleConfig {
        node_eviction_rate: Millionths::whole(100_000),
        secondary_node_eviction_rate: Millionths::whole(100_000),
        large_cluster_size_threshold: 20,
        ..Default::default()
    }
}

fn message(msg: Msg) -> Input<Msg> {
    Input::Message { from: API, msg }
}

impl Bench {
    fn new(config: NodeLifecycleConfig, auto: bool) -> Self {
        Bench {
            h: Harness::new(&["kube-apiserver", NAME], ME, 1),
            c: NodeLifecycleController::new(ApiClient::new(API), config),
            api: FakeApi::default(),
            auto,
            timers: BTreeSet::new(),
            seq: 0,
            renewals: BTreeMap::new(),
        }
    }

    /// The upstream tests' controller, driven by hand (monitorNodeHealth and
    /// doNoExecuteTaintingPass called explicitly).
    fn upstream() -> Self {
        Bench::new(upstream_config(), false)
    }

    fn now(&self) -> SimTime {
        self.h.now()
    }

    fn deliver(&mut self, first: Input<Msg>) {
        let mut inbox = VecDeque::from([first]);
        while let Some(input) = inbox.pop_front() {
            for s in self.h.feed(&mut self.c, input) {
                match s {
                    Sent::Message {
                        msg: Msg::Request(r),
                        ..
                    } => {
                        let (resp, events) = self.api.handle(*r, self.h.now());
                        if let Some(resp) = resp {
                            inbox.push_back(message(Msg::Response(Box::new(resp))));
                        }
                        for e in events {
                            inbox.push_back(message(Msg::Watch(Box::new(e))));
                        }
                    }
                    Sent::Timer { at, tag } if self.auto => {
                        self.seq += 1;
                        self.timers.insert((at, self.seq, tag));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Writes an object as another client would.
    fn put(&mut self, o: Object) {
        let (_, events) = self.api.store(o);
        for e in events {
            self.deliver(message(Msg::Watch(Box::new(e))));
        }
    }

    fn node(&self, name: &str) -> Node {
        let o = &self.api.objects[&(Kind::Node, String::new(), name.to_string())];
        match o.as_ref() {
            Object::Node(n) => n.clone(),
            _ => unreachable!(),
        }
    }

    /// The kubelet posts a new status (status only, as its PATCH does).
    fn set_status(&mut self, name: &str, status: NodeStatus) {
        let mut n = self.node(name);
        n.status = status;
        self.put(Object::Node(n));
    }

    fn set_lease(&mut self, name: &str, renew: SimTime) {
        self.put(Object::Lease(lease(name, renew)));
    }

    fn start(&mut self, at: SimTime) {
        self.h.set_now(at);
        self.deliver(Input::Start);
        assert!(self.c.is_running(), "caches synced");
    }

    fn timer(&mut self, at: SimTime, tag: u64) {
        self.h.set_now(at);
        self.deliver(Input::Timer {
            id: EventId(0),
            tag,
        });
    }

    /// monitorNodeHealth at `at`.
    fn monitor(&mut self, at: SimTime) {
        self.timer(at, TIMER_MONITOR);
    }

    /// `n` tainting passes 100 ms apart from `at`.
    fn taint_passes(&mut self, at: SimTime, n: u64) {
        for i in 0..n {
            self.timer(at + SimDuration::from_millis(100 * i), TIMER_TAINT);
        }
    }

    /// Runs timers and Lease renewals due up to `until`, in time order (renewals first).
    fn run_until(&mut self, until: SimTime) {
        loop {
            let renewal = self
                .renewals
                .iter()
                .map(|(n, t)| (*t, n.clone()))
                .min()
                .filter(|(t, _)| *t <= until);
            let timer = self.timers.first().copied().filter(|t| t.0 <= until);
            match (renewal, timer) {
                (Some((t, n)), tm) if tm.is_none_or(|tm| t <= tm.0) => {
                    self.h.set_now(t);
                    let next = t + SimDuration::from_secs(10);
                    self.renewals.insert(n.clone(), next);
                    self.set_lease(&n, t);
                }
                (_, Some(tm)) => {
                    self.timers.remove(&tm);
                    self.timer(tm.0, tm.2);
                }
                _ => break,
            }
        }
        self.h.set_now(until);
    }

    /// The kubelet stops: no more Lease renewals.
    fn stop(&mut self, node: &str) {
        self.renewals.remove(node);
    }

    /// The kubelet is back: posts Ready and renews its Lease every 10 s.
    fn resume(&mut self, node: &str) {
        let now = self.now();
        self.set_status(node, status(vec![cond("Ready", "True", now, now)]));
        self.set_lease(node, now);
        let next = now + SimDuration::from_secs(10);
        self.renewals.insert(node.into(), next);
    }

    /// The controller's status writes of `node`.
    fn status_writes(&self, node: &str) -> Vec<(SimTime, Node)> {
        self.api
            .writes
            .iter()
            .filter_map(|(t, status, o)| match o.as_ref() {
                Object::Node(n) if *status && n.metadata.name == node => Some((*t, n.clone())),
                _ => None,
            })
            .collect()
    }

    fn pod_status_writes(&self) -> Vec<(SimTime, Pod)> {
        self.api
            .writes
            .iter()
            .filter_map(|(t, _, o)| match o.as_ref() {
                Object::Pod(p) => Some((*t, p.clone())),
                _ => None,
            })
            .collect()
    }

    /// When the controller's writes first showed the node with the taint.
    fn tainted_at(&self, node: &str, t: &Taint) -> Option<SimTime> {
        self.api
            .writes
            .iter()
            .find_map(|(at, _, o)| match o.as_ref() {
                Object::Node(n) if n.metadata.name == node && taint_exists(&n.spec.taints, t) => {
                    Some(*at)
                }
                _ => None,
            })
    }

    fn zone_states(&self) -> Vec<(String, ZoneState)> {
        let states = self.c.zone_states().iter();
        states.map(|(k, v)| (k.clone(), *v)).collect()
    }
}

fn cond(type_: &str, status: &str, heartbeat: SimTime, transition: SimTime) -> NodeCondition {
    NodeCondition {
        type_: type_.into(),
        status: status.into(),
        last_heartbeat_time: Some(Time(heartbeat)),
        last_transition_time: Some(Time(transition)),
        ..Default::default()
    }
}

fn status(conditions: Vec<NodeCondition>) -> NodeStatus {
    NodeStatus {
        conditions,
        ..Default::default()
    }
}

/// A node with region and zone labels (stable and beta, as the upstream tests set them).
fn node(name: &str, created: SimTime, zone: Option<(&str, &str)>, st: NodeStatus) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n.metadata.uid = format!("uid-{name}");
    n.metadata.creation_timestamp = Some(Time(created));
    if let Some((region, z)) = zone {
        let l = &mut n.metadata.labels;
        l.insert(LABEL_TOPOLOGY_REGION.into(), region.into());
        l.insert(LABEL_TOPOLOGY_ZONE.into(), z.into());
        l.insert(LABEL_FAILURE_DOMAIN_BETA_REGION.into(), region.into());
        l.insert(LABEL_FAILURE_DOMAIN_BETA_ZONE.into(), z.into());
    }
    n.status = st;
    n
}

fn zone1(name: &str, st: NodeStatus) -> Node {
    node(name, LONG_AGO, Some(("region1", "zone1")), st)
}

fn lease(name: &str, renew: SimTime) -> Lease {
    let mut l = Lease::default();
    l.metadata.name = name.into();
    l.metadata.namespace = NODE_LEASE_NAMESPACE.into();
    l.spec.holder_identity = Some(name.into());
    l.spec.renew_time = Some(MicroTime(renew));
    l
}

/// testutil.NewPod: a pod on `host` with Ready=True.
fn new_pod(name: &str, host: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.namespace = "default".into();
    p.spec.node_name = host.into();
    p.status.conditions = vec![PodCondition {
        type_: "Ready".into(),
        status: "True".into(),
        ..Default::default()
    }];
    p
}

fn no_schedule(key: &str) -> Taint {
    taint(key, NO_SCHEDULE)
}

// --- node_lifecycle_controller_test.go ---

struct ZoneCase {
    name: &'static str,
    nodes: Vec<Node>,
    updated: Vec<NodeStatus>,
    initial: Vec<(String, ZoneState)>,
    following: Vec<(String, ZoneState)>,
}

/// TestMonitorNodeHealth: zone states before and after an hour of new statuses.
#[test]
fn monitor_node_health_zone_states() {
    use ZoneState::*;
    let healthy = || status(vec![cond("Ready", "True", Y2015 + HOUR, Y2015)]);
    let unhealthy = || status(vec![cond("Ready", "Unknown", Y2015, Y2015)]);
    let at = |s: &str| status(vec![cond("Ready", s, Y2015, Y2015)]);
    let z = |r: &str, z: &str| zone_id(r, z);
    let n = |name: &str, zone: (&str, &str), st: NodeStatus| node(name, Y2015, Some(zone), st);
    let numbered = |states: &[&str]| -> Vec<Node> {
        let z1 = ("region1", "zone1");
        let st = |s: &str| {
            if s.is_empty() {
                NodeStatus::default()
            } else {
                at(s)
            }
        };
        let name = |i: usize| format!("node{i}");
        states
            .iter()
            .enumerate()
            .map(|(i, s)| n(&name(i), z1, st(s)))
            .collect()
    };
    let z1 = ("region1", "zone1");
    let mut excluded = n("node-master", z1, at("True"));
    let labels = &mut excluded.metadata.labels;
    labels.insert(LABEL_NODE_DISRUPTION_EXCLUSION.into(), String::new());
    let cases = vec![
        ZoneCase {
            name: "No Disruption: Node created recently without failure domain labels",
            nodes: vec![node("node0", Y2015, None, at("True"))],
            updated: vec![healthy()],
            initial: vec![(String::new(), Normal)],
            following: vec![(String::new(), Normal)],
        },
        ZoneCase {
            name: "No Disruption: Initially both zones down, one comes back",
            nodes: vec![
                n("node0", z1, at("Unknown")),
                n("node1", ("region1", "zone2"), at("Unknown")),
            ],
            updated: vec![unhealthy(), healthy()],
            initial: vec![
                (z("region1", "zone1"), FullDisruption),
                (z("region1", "zone2"), FullDisruption),
            ],
            following: vec![
                (z("region1", "zone1"), FullDisruption),
                (z("region1", "zone2"), Normal),
            ],
        },
        ZoneCase {
            name: "Partial Disruption: Nodes created recently without status conditions",
            nodes: numbered(&["", "", "", ""]),
            updated: vec![unhealthy(), unhealthy(), unhealthy(), healthy()],
            initial: vec![(z("region1", "zone1"), FullDisruption)],
            following: vec![(z("region1", "zone1"), PartialDisruption)],
        },
        ZoneCase {
            name: "Partial Disruption: one Node failed leading to the number of healthy Nodes \
                   to exceed the configured threshold",
            nodes: numbered(&["Unknown", "Unknown", "True", "True", "True"]),
            updated: vec![unhealthy(), unhealthy(), unhealthy(), healthy(), healthy()],
            initial: vec![(z("region1", "zone1"), Normal)],
            following: vec![(z("region1", "zone1"), PartialDisruption)],
        },
        ZoneCase {
            name: "Full Disruption: the zone has less than 2 Nodes down, the last healthy \
                   Node has failed",
            nodes: numbered(&["Unknown", "Unknown", "True"]),
            updated: vec![unhealthy(), unhealthy(), unhealthy()],
            initial: vec![(z("region1", "zone1"), Normal)],
            following: vec![(z("region1", "zone1"), FullDisruption)],
        },
        ZoneCase {
            name: "Full Disruption: all the Nodes in one zone are down",
            nodes: vec![
                n("node0", z1, at("Unknown")),
                n("node1", ("region1", "zone2"), at("True")),
            ],
            updated: vec![unhealthy(), healthy()],
            initial: vec![
                (z("region1", "zone1"), FullDisruption),
                (z("region1", "zone2"), Normal),
            ],
            following: vec![
                (z("region1", "zone1"), FullDisruption),
                (z("region1", "zone2"), Normal),
            ],
        },
        ZoneCase {
            name: "Full Disruption: all the Nodes in both the zones are down",
            nodes: vec![
                n("node0", z1, at("Unknown")),
                n("node1", ("region2", "zone2"), at("Unknown")),
            ],
            updated: vec![unhealthy(), unhealthy()],
            initial: vec![
                (z("region1", "zone1"), FullDisruption),
                (z("region2", "zone2"), FullDisruption),
            ],
            following: vec![
                (z("region1", "zone1"), FullDisruption),
                (z("region2", "zone2"), FullDisruption),
            ],
        },
        ZoneCase {
            name: "Full Disruption: Ready condition removed from the Node",
            nodes: vec![n("node0", z1, at("True"))],
            updated: vec![NodeStatus::default()],
            initial: vec![(z("region1", "zone1"), Normal)],
            following: vec![(z("region1", "zone1"), FullDisruption)],
        },
        ZoneCase {
            name: "Full Disruption: the only available Node has the \
                   node.kubernetes.io/exclude-disruption label",
            nodes: vec![n("node0", z1, at("Unknown")), excluded],
            updated: vec![unhealthy(), healthy()],
            initial: vec![(z("region1", "zone1"), FullDisruption)],
            following: vec![(z("region1", "zone1"), FullDisruption)],
        },
    ];
    for case in cases {
        let mut b = Bench::upstream();
        for n in &case.nodes {
            b.put(Object::Node(n.clone()));
        }
        b.start(Y2015);
        b.monitor(Y2015);
        assert_eq!(b.zone_states(), case.initial, "{}: initial", case.name);
        b.h.set_now(Y2015 + HOUR);
        for (n, st) in case.nodes.iter().zip(case.updated) {
            b.set_status(&n.metadata.name, st);
        }
        b.monitor(Y2015 + HOUR);
        assert_eq!(b.zone_states(), case.following, "{}: following", case.name);
    }
}

/// ComputeZoneState around the 0.55 threshold and the "more than 2 not ready" floor.
#[test]
fn compute_zone_state_table() {
    use ZoneState::*;
    let c = NodeLifecycleController::new(ApiClient::new(API), NodeLifecycleConfig::default());
    let conds = |ready: usize, not_ready: usize, missing: usize| {
        let ok = Some(cond("Ready", "True", LONG_AGO, LONG_AGO));
        let bad = Some(cond("Ready", "Unknown", LONG_AGO, LONG_AGO));
        let mut v = vec![ok; ready];
        v.extend(vec![bad; not_ready]);
        v.extend(vec![None; missing]);
        v
    };
    let cases = [
        ((0, 0, 0), (0, Normal)),
        ((3, 0, 0), (0, Normal)),
        ((0, 1, 0), (1, FullDisruption)),
        ((0, 0, 2), (2, FullDisruption)),
        ((1, 2, 0), (2, Normal)),
        ((9, 11, 0), (11, PartialDisruption)), // 11/20 = 0.55 exactly
        ((10, 11, 0), (11, Normal)),           // 11/21 < 0.55
        ((1, 2, 1), (3, PartialDisruption)),
        ((97, 3, 0), (3, Normal)),
    ];
    for ((r, n, m), want) in cases {
        assert_eq!(c.compute_zone_state(&conds(r, n, m)), want, "{r} {n} {m}");
    }
}

/// One node's health over two checks `time_to_pass` apart.
struct StatusCase {
    name: &'static str,
    node: Node,
    lease: Option<SimTime>,
    time_to_pass: Option<SimDuration>,
    new_status: NodeStatus,
    new_lease: Option<SimTime>,
    /// The conditions of the one status write expected, if any.
    expected: Option<Vec<NodeCondition>>,
    pod_update: bool,
}

impl StatusCase {
    fn new(name: &'static str, node: Node) -> Self {
        StatusCase {
            name,
            node,
            lease: None,
            time_to_pass: None,
            new_status: NodeStatus::default(),
            new_lease: None,
            expected: None,
            pod_update: false,
        }
    }

    fn lease(mut self, renew: SimTime) -> Self {
        self.lease = Some(renew);
        self
    }

    /// After `d`, the node's status is `st` and its Lease (if given) renewed at `renew`.
    fn then(mut self, d: SimDuration, st: NodeStatus, renew: Option<SimTime>) -> Self {
        self.time_to_pass = Some(d);
        self.new_status = st;
        self.new_lease = renew;
        self
    }

    fn expect(mut self, conditions: Vec<NodeCondition>, pod_update: bool) -> Self {
        self.expected = Some(conditions);
        self.pod_update = pod_update;
        self
    }

    fn run(self) {
        let mut b = Bench::upstream();
        let name = self.node.metadata.name.clone();
        b.put(Object::Node(self.node.clone()));
        b.put(Object::Pod(new_pod("pod0", "node0")));
        if let Some(t) = self.lease {
            b.set_lease(&name, t);
        }
        b.start(Y2015);
        b.monitor(Y2015);
        if let Some(d) = self.time_to_pass {
            b.h.set_now(Y2015 + d);
            b.set_status(&name, self.new_status.clone());
            if let Some(t) = self.new_lease {
                b.set_lease(&name, t);
            }
            b.monitor(Y2015 + d);
        }
        let writes: Vec<NodeStatus> = b
            .status_writes(&name)
            .into_iter()
            .map(|(_, n)| n.status)
            .collect();
        match &self.expected {
            Some(want) => {
                assert_eq!(writes.len(), 1, "{}: {writes:?}", self.name);
                assert_eq!(&writes[0].conditions, want, "{}", self.name);
                assert_eq!(
                    writes[0].capacity, self.node.status.capacity,
                    "{}",
                    self.name
                );
            }
            None => assert!(writes.is_empty(), "{}: {writes:?}", self.name),
        }
        let pods = b.pod_status_writes();
        assert_eq!(!pods.is_empty(), self.pod_update, "{}", self.name);
        for (_, p) in pods {
            assert_eq!(p.condition("Ready").unwrap().status, "False");
        }
    }
}

fn never_updated(t: &str, created: SimTime, at: SimTime) -> NodeCondition {
    NodeCondition {
        reason: "NodeStatusNeverUpdated".into(),
        message: "Kubelet never posted node status.".into(),
        ..cond(t, "Unknown", created, at)
    }
}

fn never_updated_all(created: SimTime, at: SimTime) -> Vec<NodeCondition> {
    ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]
        .iter()
        .map(|t| never_updated(t, created, at))
        .collect()
}

fn stopped_posting(heartbeat: SimTime, at: SimTime) -> NodeCondition {
    NodeCondition {
        reason: "NodeStatusUnknown".into(),
        message: "Kubelet stopped posting node status.".into(),
        ..cond("Ready", "Unknown", heartbeat, at)
    }
}

/// Ready stopped posting; the pressure conditions never posted (dated at creation).
fn stopped_posting_all(heartbeat: SimTime, at: SimTime) -> Vec<NodeCondition> {
    let mut v = vec![stopped_posting(heartbeat, at)];
    v.extend(never_updated_all(LONG_AGO, at).into_iter().skip(1));
    v
}

fn with_capacity(conditions: Vec<NodeCondition>) -> NodeStatus {
    let mut s = status(conditions);
    s.capacity
        .insert("cpu".into(), crate::api::Quantity::parse("10").unwrap());
    s.capacity
        .insert("memory".into(), crate::api::Quantity::parse("10G").unwrap());
    s
}

fn ready_2015() -> NodeStatus {
    with_capacity(vec![cond("Ready", "True", Y2015, Y2015)])
}

/// TestMonitorNodeHealthUpdateStatus.
#[test]
fn monitor_node_health_update_status() {
    let none = NodeStatus::default;
    let cases = [
        // The pod was never scheduled: the node never was Ready.
        StatusCase::new(
            "created long ago, without status",
            node("node0", LONG_AGO, None, none()),
        )
        .expect(never_updated_all(LONG_AGO, Y2015), false),
        StatusCase::new(
            "created recently, without status",
            node("node0", Y2015, None, none()),
        ),
        StatusCase::new(
            "created long ago, status updated by kubelet exceeds grace period",
            node("node0", LONG_AGO, None, ready_2015()),
        )
        .then(HOUR, ready_2015(), None)
        .expect(stopped_posting_all(Y2015, Y2015 + HOUR), true),
        StatusCase::new(
            "created long ago, status updated recently",
            node("node0", LONG_AGO, None, ready_2015()),
        ),
    ];
    cases.into_iter().for_each(StatusCase::run);
}

/// TestMonitorNodeHealthUpdateNodeAndPodStatusWithLease.
#[test]
fn monitor_node_health_update_node_and_pod_status_with_lease() {
    let ready_disk = |hb: SimTime| {
        with_capacity(vec![
            cond("Ready", "True", hb, Y2015),
            cond("DiskPressure", "False", hb, Y2015),
        ])
    };
    let none = NodeStatus::default;
    let old = || node("node0", LONG_AGO, None, none());
    let cases = [
        StatusCase::new(
            "created recently, without status, no lease",
            node("node0", Y2015, None, none()),
        ),
        StatusCase::new(
            "created recently, without status, lease renewed",
            node("node0", Y2015, None, none()),
        )
        .lease(Y2015),
        StatusCase::new("created long ago, without status, no lease", old())
            .expect(never_updated_all(LONG_AGO, Y2015), false),
        StatusCase::new("created long ago, without status, lease renewed", old())
            .lease(Y2015)
            .then(HOUR, none(), Some(Y2015 + HOUR)),
        StatusCase::new("created long ago, without status, lease expired", old())
            .lease(Y2015)
            .then(HOUR, none(), Some(Y2015))
            .expect(never_updated_all(LONG_AGO, Y2015 + HOUR), false),
        StatusCase::new(
            "status exceeds grace period, lease renewed",
            node("node0", LONG_AGO, None, ready_disk(Y2015)),
        )
        .lease(Y2015)
        .then(HOUR, ready_disk(Y2015), Some(Y2015 + HOUR)),
        StatusCase::new(
            "status updated recently, lease expired",
            node("node0", LONG_AGO, None, ready_disk(Y2015)),
        )
        .lease(Y2015)
        .then(HOUR, ready_disk(Y2015 + HOUR), Some(Y2015)),
        StatusCase::new(
            "status exceeds grace period, lease also expired",
            node("node0", LONG_AGO, None, ready_2015()),
        )
        .lease(Y2015)
        .then(HOUR, ready_2015(), Some(Y2015))
        .expect(stopped_posting_all(Y2015, Y2015 + HOUR), true),
    ];
    cases.into_iter().for_each(StatusCase::run);
}

/// TestMonitorNodeHealthMarkPodsNotReady.
#[test]
fn monitor_node_health_mark_pods_not_ready() {
    let none = NodeStatus::default;
    let cases = [
        StatusCase::new(
            "created recently, without status",
            node("node0", Y2015, None, none()),
        ),
        StatusCase::new(
            "created long ago, status updated recently",
            node("node0", LONG_AGO, None, ready_2015()),
        ),
        StatusCase::new(
            "created long ago, status updated by kubelet exceeds grace period",
            node("node0", LONG_AGO, None, ready_2015()),
        )
        .then(MINUTE, ready_2015(), None)
        .expect(stopped_posting_all(Y2015, Y2015 + MINUTE), true),
    ];
    cases.into_iter().for_each(StatusCase::run);
}

fn after(t: SimTime, millis: u64) -> SimTime {
    t + SimDuration::from_millis(millis)
}

fn ready_at(s: &str, heartbeat: SimTime, transition: SimTime) -> NodeStatus {
    status(vec![cond("Ready", s, heartbeat, transition)])
}

/// TestApplyNoExecuteTaints: NoExecute taints by Ready condition; none once the node is Ready
/// again, nor when its Ready condition is gone by the time the queue gets to it.
#[test]
fn apply_no_execute_taints() {
    let mut b = Bench::upstream();
    b.put(Object::Node(zone1(
        "node0",
        ready_at("Unknown", Y2015, Y2015),
    )));
    b.put(Object::Node(zone1("node1", ready_at("True", Y2017, Y2017))));
    b.put(Object::Node(zone1(
        "node2",
        ready_at("False", Y2015, Y2015),
    )));
    b.put(Object::Node(zone1("node3", ready_at("True", Y2016, Y2016))));
    b.put(Object::Pod(new_pod("pod0", "node0")));
    b.start(Y2017);
    b.monitor(Y2017);
    b.taint_passes(after(Y2017, 100), 2);
    assert!(taint_exists(
        &b.node("node0").spec.taints,
        &unreachable_taint()
    ));
    assert!(taint_exists(
        &b.node("node2").spec.taints,
        &not_ready_taint()
    ));

    // node2 is healthy again.
    let later = Y2017 + SimDuration::from_secs(10 * 60);
    b.h.set_now(after(Y2017, 1_000));
    b.set_status("node2", ready_at("True", later, Y2017));
    b.monitor(after(Y2017, 1_000));
    b.taint_passes(after(Y2017, 1_100), 2);
    assert_eq!(b.node("node2").spec.taints, []);

    // node3 turns NotReady, then loses its Ready condition before the queue gets to it.
    b.h.set_now(after(Y2017, 2_000));
    b.set_status("node3", ready_at("False", later, Y2017));
    b.monitor(after(Y2017, 2_000));
    let memory = cond("MemoryPressure", "Unknown", later, Y2017);
    b.set_status("node3", status(vec![memory]));
    b.taint_passes(after(Y2017, 2_100), 3);
    assert_eq!(b.node("node3").spec.taints, []);
}

/// TestApplyNoExecuteTaintsToUnreachableNode: the unreachable NoExecute taint is queued by the
/// check that marks the node Unknown (kubernetes#120816), and removed once it posts Ready.
#[test]
fn apply_no_execute_taints_to_unreachable_node() {
    let time1 = Y2017;
    let time2 = time1 + SimDuration::from_secs(51);
    let mut b = Bench::upstream();
    for name in ["node0", "node1"] {
        b.put(Object::Node(zone1(name, ready_at("True", time1, time1))));
    }
    b.put(Object::Pod(new_pod("pod0", "node0")));
    b.start(time1);
    b.monitor(time1);
    b.taint_passes(after(time1, 100), 1);
    assert_eq!(b.node("node0").spec.taints, []);
    assert_eq!(b.node("node1").spec.taints, []);

    b.h.set_now(time2);
    b.set_status("node1", ready_at("True", time2, time1));
    b.monitor(time2);
    b.taint_passes(after(time2, 100), 1);
    assert!(taint_exists(
        &b.node("node0").spec.taints,
        &unreachable_taint()
    ));
    assert_eq!(b.node("node1").spec.taints, []);

    let time3 = after(time2, 1_000);
    b.h.set_now(time3);
    b.set_status("node0", ready_at("True", time2, time2));
    b.monitor(time3);
    b.taint_passes(after(time3, 100), 1);
    assert_eq!(b.node("node0").spec.taints, []);
}

/// TestSwapUnreachableNotReadyTaints: an unreachable node that turns NotReady swaps its
/// NoExecute taint at once.
#[test]
fn swap_unreachable_not_ready_taints() {
    let mut b = Bench::upstream();
    b.put(Object::Node(zone1(
        "node0",
        ready_at("Unknown", Y2015, Y2015),
    )));
    b.put(Object::Node(zone1("node1", ready_at("True", Y2017, Y2017))));
    b.put(Object::Pod(new_pod("pod0", "node0")));
    b.start(Y2017);
    b.monitor(Y2017);
    b.taint_passes(after(Y2017, 100), 1);
    assert!(taint_exists(
        &b.node("node0").spec.taints,
        &unreachable_taint()
    ));

    let t = after(Y2017, 1_000);
    b.h.set_now(t);
    let nine = Y2017 + SimDuration::from_secs(9 * 60);
    let ten = Y2017 + SimDuration::from_secs(10 * 60);
    b.set_status("node0", ready_at("False", nine, Y2017));
    b.set_status("node1", ready_at("True", ten, Y2017));
    b.monitor(t);
    let taints = b.node("node0").spec.taints;
    assert!(taint_exists(&taints, &not_ready_taint()), "{taints:?}");
    assert!(!taint_exists(&taints, &unreachable_taint()), "{taints:?}");
}

/// TestTaintsNodeByCondition: NoSchedule taints follow the conditions.
#[test]
fn taints_node_by_condition() {
    let mut b = Bench::upstream();
    b.put(Object::Node(zone1("node0", ready_at("True", Y2015, Y2015))));
    b.put(Object::Pod(new_pod("pod0", "node0")));
    b.start(Y2017);
    let ready = |s: &str| cond("Ready", s, Y2015, Y2015);
    let network = || cond("NetworkUnavailable", "True", Y2015, Y2015);
    let cases = [
        (
            "NetworkUnavailable is true",
            vec![ready("True"), network()],
            TAINT_NODE_NETWORK_UNAVAILABLE,
        ),
        (
            "NetworkUnavailable is true",
            vec![ready("True"), network()],
            TAINT_NODE_NETWORK_UNAVAILABLE,
        ),
        ("Ready is false", vec![ready("False")], TAINT_NODE_NOT_READY),
        (
            "Ready is unknown",
            vec![ready("Unknown")],
            TAINT_NODE_UNREACHABLE,
        ),
    ];
    for (name, conditions, want) in cases {
        // An Update of the whole node, without taints.
        b.put(Object::Node(zone1("node0", status(conditions))));
        let taints = b.node("node0").spec.taints;
        assert_eq!(taints.len(), 1, "{name}: {taints:?}");
        assert!(
            taint_exists(&taints, &no_schedule(want)),
            "{name}: {taints:?}"
        );
        assert_eq!(taints[0].time_added, Some(Time(Y2017)), "{name}");
    }
}

/// TestProcessPodMarkPodNotReady: a pod bound to a node known not to be Ready.
#[test]
fn process_pod_mark_pod_not_ready() {
    let cases = [
        ("node health not gathered yet", "False", false, false),
        ("scheduled node is ready", "True", true, false),
        ("scheduled node is not ready", "False", true, true),
    ];
    for (name, ready, monitor, want) in cases {
        let mut b = Bench::upstream();
        let st = ready_at(ready, Y2015, Y2015);
        b.put(Object::Node(node("node0", Y2015, None, st)));
        b.start(Y2015);
        if monitor {
            b.monitor(Y2015);
        }
        b.put(Object::Pod(new_pod("pod0", "node0")));
        assert_eq!(!b.pod_status_writes().is_empty(), want, "{name}");
    }
}

/// A taint write refused with 409 is read again and retried (UpdateTaintBackoff).
#[test]
fn taint_update_conflict_is_retried() {
    let mut b = Bench::upstream();
    b.put(Object::Node(zone1("node0", ready_at("True", Y2015, Y2015))));
    b.start(Y2017);
    b.api.conflicts = 2;
    b.set_status("node0", ready_at("False", Y2015, Y2015));
    let taints = b.node("node0").spec.taints;
    assert!(
        taint_exists(&taints, &no_schedule(TAINT_NODE_NOT_READY)),
        "{taints:?}"
    );
    assert_eq!(b.api.conflicts, 0);
}

// --- Timelines on the default settings ---

/// Nodes in zones, Ready, each with a Lease renewed every 10 s (at +1 ms) and a pod; the
/// controller started at 0 with every timer honoured.
fn timeline(nodes: &[(&str, &str)]) -> Bench {
    let mut b = Bench::new(NodeLifecycleConfig::default(), true);
    for (name, zone) in nodes {
        let mut n = node(
            name,
            SimTime(0),
            None,
            ready_at("True", SimTime(0), SimTime(0)),
        );
        let labels = &mut n.metadata.labels;
        labels.insert(LABEL_TOPOLOGY_ZONE.into(), zone.to_string());
        b.put(Object::Node(n));
        b.set_lease(name, SimTime(0));
        b.put(Object::Pod(new_pod(&format!("pod-{name}"), name)));
        b.renewals.insert(name.to_string(), ms(10_001));
    }
    b.start(SimTime(0));
    b
}

fn zone_nodes(zone: &'static str, prefix: &str, n: usize) -> Vec<(String, &'static str)> {
    (0..n).map(|i| (format!("{prefix}{i}"), zone)).collect()
}

fn refs<'a>(v: &'a [(String, &'static str)]) -> Vec<(&'a str, &'a str)> {
    v.iter().map(|(n, z)| (n.as_str(), *z)).collect()
}

fn unreachable_no_schedule() -> Taint {
    no_schedule(TAINT_NODE_UNREACHABLE)
}

fn zone_a() -> String {
    zone_id("", "zone-a")
}

/// A kubelet stopped at 100 s last renewed at 90.001 s; the check at 95 s sees that, so the
/// grace period ends after 145 s: at the 150 s check the node is Unknown, its pod not Ready,
/// the NoSchedule taint follows at once and the NoExecute one at the next tainting pass.
#[test]
fn heartbeat_stop_gives_unknown_and_taints_after_the_grace_period() {
    let mut b = timeline(&refs(&zone_nodes("zone-a", "a", 3)));
    b.run_until(secs(100));
    b.stop("a1");
    b.run_until(secs(149));
    assert!(b.status_writes("a1").is_empty());
    b.run_until(secs(200));

    let writes = b.status_writes("a1");
    assert_eq!(writes.len(), 1);
    let (at, n) = &writes[0];
    assert_eq!(*at, secs(150));
    assert_eq!(
        n.condition("Ready"),
        Some(&stopped_posting(SimTime(0), secs(150)))
    );
    for t in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
        assert_eq!(
            n.condition(t),
            Some(&never_updated(t, SimTime(0), secs(150)))
        );
    }
    assert_eq!(
        b.tainted_at("a1", &unreachable_no_schedule()),
        Some(secs(150))
    );
    assert_eq!(b.tainted_at("a1", &unreachable_taint()), Some(ms(150_100)));
    let taints = b.node("a1").spec.taints;
    assert_eq!(taints.len(), 2);
    let no_execute = taints.iter().find(|t| t.effect == NO_EXECUTE).unwrap();
    assert_eq!(no_execute.time_added, Some(Time(ms(150_100))));

    let pods = b.pod_status_writes();
    assert_eq!(pods.len(), 1);
    assert_eq!(pods[0].0, secs(150));
    assert_eq!(pods[0].1.metadata.name, "pod-a1");
    assert_eq!(pods[0].1.condition("Ready").unwrap().status, "False");

    for other in ["a0", "a2"] {
        assert_eq!(b.node(other).spec.taints, [], "{other}");
    }
    assert_eq!(b.c.evictions_total()[&zone_a()], 1);
}

/// Three nodes failing together in a healthy zone of ten get their NoExecute taints 10 s
/// apart (--node-eviction-rate 0.1).
#[test]
fn three_nodes_failing_together_are_tainted_ten_seconds_apart() {
    let mut b = timeline(&refs(&zone_nodes("zone-a", "a", 10)));
    b.run_until(secs(100));
    let dark = ["a1", "a2", "a3"];
    dark.iter().for_each(|n| b.stop(n));
    b.run_until(secs(200));
    assert_eq!(b.c.zone_states()[&zone_a()], ZoneState::Normal);
    let times: Vec<_> = dark
        .iter()
        .map(|n| b.tainted_at(n, &unreachable_taint()))
        .collect();
    assert_eq!(
        times,
        [Some(ms(150_100)), Some(ms(160_100)), Some(ms(170_100))]
    );
    for n in dark {
        assert_eq!(b.tainted_at(n, &unreachable_no_schedule()), Some(secs(150)));
    }
}

/// A zone fully dark while another is healthy: FullDisruption keeps the 0.1/s rate.
#[test]
fn a_dark_zone_among_healthy_ones_is_tainted_at_the_normal_rate() {
    let mut nodes = zone_nodes("zone-a", "a", 3);
    nodes.extend(zone_nodes("zone-b", "b", 3));
    let mut b = timeline(&refs(&nodes));
    b.run_until(secs(100));
    let dark = ["a0", "a1", "a2"];
    dark.iter().for_each(|n| b.stop(n));
    b.run_until(secs(200));
    let want = [
        (zone_a(), ZoneState::FullDisruption),
        (zone_id("", "zone-b"), ZoneState::Normal),
    ];
    assert_eq!(b.zone_states(), want);
    let times: Vec<_> = dark
        .iter()
        .map(|n| b.tainted_at(n, &unreachable_taint()))
        .collect();
    assert_eq!(
        times,
        [Some(ms(150_100)), Some(ms(160_100)), Some(ms(170_100))]
    );
}

/// Every zone dark: no NoExecute taint at all (master disruption mode); NoSchedule taints and
/// not-ready pods still.
#[test]
fn all_zones_dark_stops_no_execute_tainting() {
    let mut nodes = zone_nodes("zone-a", "a", 2);
    nodes.extend(zone_nodes("zone-b", "b", 2));
    let mut b = timeline(&refs(&nodes));
    b.run_until(secs(100));
    nodes.iter().for_each(|(n, _)| b.stop(n));
    b.run_until(secs(600));
    let want = Taint {
        time_added: Some(Time(secs(150))),
        ..unreachable_no_schedule()
    };
    for (n, _) in &nodes {
        assert_eq!(b.node(n).spec.taints, std::slice::from_ref(&want), "{n}");
        assert_eq!(b.tainted_at(n, &unreachable_taint()), None, "{n}");
    }
    let states = b.zone_states();
    assert!(
        states.iter().all(|(_, s)| *s == ZoneState::FullDisruption),
        "{states:?}"
    );
    assert_eq!(b.pod_status_writes().len(), 4);
    assert!(b.c.evictions_total().values().all(|n| *n == 0));
    for z in ["zone-a", "zone-b"] {
        let q = b.c.tainter(&zone_id("", z)).unwrap();
        assert!(matches!(q.limiter(), Limiter::Never), "{z}");
    }
}

/// Most of a small zone dark: PartialDisruption with at most 50 nodes taints nothing.
#[test]
fn partial_disruption_in_a_small_zone_stops_no_execute_tainting() {
    let mut b = timeline(&refs(&zone_nodes("zone-a", "a", 4)));
    b.run_until(secs(100));
    let dark = ["a0", "a1", "a2"];
    dark.iter().for_each(|n| b.stop(n));
    b.run_until(secs(600));
    assert_eq!(b.c.zone_states()[&zone_a()], ZoneState::PartialDisruption);
    for n in dark {
        assert_eq!(b.tainted_at(n, &unreachable_taint()), None, "{n}");
        assert_eq!(b.tainted_at(n, &unreachable_no_schedule()), Some(secs(150)));
    }
}

/// Most of a large zone dark: PartialDisruption taints at --secondary-node-eviction-rate 0.01.
#[test]
fn partial_disruption_in_a_large_zone_taints_at_the_secondary_rate() {
    let nodes = zone_nodes("zone-a", "a", 60);
    let mut b = timeline(&refs(&nodes));
    b.run_until(secs(100));
    let dark: Vec<&str> = nodes[..40].iter().map(|(n, _)| n.as_str()).collect();
    dark.iter().for_each(|n| b.stop(n));
    b.run_until(secs(400));
    assert_eq!(b.c.zone_states()[&zone_a()], ZoneState::PartialDisruption);
    let mut times: Vec<SimTime> = dark
        .iter()
        .filter_map(|n| b.tainted_at(n, &unreachable_taint()))
        .collect();
    times.sort();
    assert_eq!(times, [ms(150_100), ms(250_100), ms(350_100)]);
}

/// A node back to Ready loses its unreachable taints and leaves the tainting queue.
#[test]
fn recovery_removes_taints() {
    let mut b = timeline(&refs(&zone_nodes("zone-a", "a", 3)));
    b.run_until(secs(100));
    b.stop("a1");
    b.run_until(secs(180));
    assert_eq!(b.node("a1").spec.taints.len(), 2);
    b.run_until(ms(200_500));
    b.resume("a1");
    // The NoSchedule taint goes with the node update, the NoExecute one at the next check.
    let no_execute = Taint {
        time_added: Some(Time(ms(150_100))),
        ..unreachable_taint()
    };
    assert_eq!(b.node("a1").spec.taints, [no_execute]);
    b.run_until(secs(205));
    assert_eq!(b.node("a1").spec.taints, []);
    assert!(b.c.tainter(&zone_a()).unwrap().is_empty());
    b.run_until(secs(400));
    assert_eq!(b.node("a1").spec.taints, []);
    assert_eq!(b.status_writes("a1").len(), 1);
}
