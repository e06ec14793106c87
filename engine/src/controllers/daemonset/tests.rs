//! DaemonSet controller tests, transcribed from pkg/controller/daemon/daemon_controller_test.go
//! and update_test.go. The bench plays the API server by hand: it answers the controller's
//! writes and, when a test says so, feeds the resulting watch events back (what upstream's
//! fakePodControl does by writing into the pod store).

use super::util::{
    compute_hash, create_pod_template, new_daemon_pod, template_generation,
    CONTROLLER_REVISION_HASH_LABEL, POD_TEMPLATE_GENERATION_LABEL, TAINT_DISK_PRESSURE,
    TAINT_MEMORY_PRESSURE, TAINT_PID_PRESSURE, TAINT_UNSCHEDULABLE,
};
use super::*;
use crate::api::admission::{TAINT_NOT_READY, TAINT_UNREACHABLE};
use crate::api::daemonset::{DaemonSetStatus, RollingUpdateDaemonSet};
use crate::api::node::NodeCondition;
use crate::api::pod::Toleration;
use crate::api::selector::LabelSelector;
use crate::api::{
    ApiError, Container, IntOrString, Op, Reply, Request, Taint, Time, WatchEvent, WatchMsg,
};
use crate::sim::testing::{pop_due, Harness, Sent};
use crate::sim::{ActorId, EventId};

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn simple_daemon_set_label() -> BTreeMap<String, String> {
    labels(&[("name", "simple-daemon"), ("type", "production")])
}

fn simple_daemon_set_label2() -> BTreeMap<String, String> {
    labels(&[("name", "simple-daemon"), ("type", "test")])
}

fn simple_node_label() -> BTreeMap<String, String> {
    labels(&[("color", "blue"), ("speed", "fast")])
}

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000)
}

/// newDaemonSet: OnDelete, selecting simpleDaemonSetLabel.
fn new_daemon_set(name: &str) -> DaemonSet {
    let mut ds = DaemonSet::default();
    ds.metadata.name = name.into();
    ds.metadata.namespace = "default".into();
    ds.metadata.uid = format!("uid-{name}");
    ds.metadata.generation = 1;
    ds.spec.selector = LabelSelector::from_labels(&simple_daemon_set_label());
    ds.spec.template.metadata.labels = simple_daemon_set_label();
    ds.spec.template.spec.containers = vec![Container {
        name: "c".into(),
        image: "foo/bar".into(),
        ..Default::default()
    }];
    ds.spec.update_strategy.type_ = "OnDelete".into();
    ds.spec.revision_history_limit = Some(2);
    ds
}

/// newRollingUpdateStrategy with this maxUnavailable.
fn rolling(mut ds: DaemonSet, max_unavailable: i32) -> DaemonSet {
    ds.spec.update_strategy.type_ = "RollingUpdate".into();
    ds.spec.update_strategy.rolling_update = Some(RollingUpdateDaemonSet {
        max_unavailable: Some(IntOrString::Int(max_unavailable)),
        max_surge: Some(IntOrString::Int(0)),
    });
    ds
}

/// newUpdateSurge: maxUnavailable 0, this maxSurge.
fn surge(mut ds: DaemonSet, max_surge: i32) -> DaemonSet {
    ds.spec.update_strategy.type_ = "RollingUpdate".into();
    ds.spec.update_strategy.rolling_update = Some(RollingUpdateDaemonSet {
        max_unavailable: Some(IntOrString::Int(0)),
        max_surge: Some(IntOrString::Int(max_surge)),
    });
    ds
}

/// updateStrategies: every test that upstream runs for both strategies runs for both here.
fn update_strategies(ds: &DaemonSet) -> [DaemonSet; 2] {
    [ds.clone(), rolling(ds.clone(), 1)]
}

/// newNode: Ready.
fn new_node(name: &str, node_labels: BTreeMap<String, String>) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n.metadata.uid = format!("uid-{name}");
    n.metadata.labels = node_labels;
    n.status.conditions = vec![NodeCondition {
        type_: "Ready".into(),
        status: "True".into(),
        ..Default::default()
    }];
    n
}

fn add_nodes(nodes: &mut Vec<Node>, start: usize, n: usize, l: BTreeMap<String, String>) {
    for i in start..start + n {
        nodes.push(new_node(&format!("node-{i}"), l.clone()));
    }
}

fn taint(key: &str, value: &str, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        value: value.into(),
        effect: effect.into(),
        time_added: None,
    }
}

/// newPod: a Running daemon pod of `ds` (current hash) on `node`, with these labels.
fn new_pod(
    ds: &DaemonSet,
    name: &str,
    node: &str,
    pod_labels: BTreeMap<String, String>,
    created_s: u64,
) -> Pod {
    let hash = compute_hash(&ds.spec.template);
    let t = create_pod_template(&ds.spec.template, template_generation(ds), &hash);
    let mut p = new_daemon_pod(ds, &t, node);
    p.metadata.labels = pod_labels;
    p.metadata
        .labels
        .insert(CONTROLLER_REVISION_HASH_LABEL.into(), hash);
    p.metadata.name = name.into();
    p.metadata.uid = format!("uid-{name}");
    p.metadata.creation_timestamp = Some(Time(secs(created_s)));
    p.status.phase = "Running".into();
    p
}

/// addPods: `n` pods on `node`, the first the oldest.
fn add_pods(
    pods: &mut Vec<Pod>,
    ds: &DaemonSet,
    node: &str,
    l: BTreeMap<String, String>,
    n: usize,
) {
    for i in 0..n {
        let name = format!("{node}-{}-{i}", l["type"]);
        pods.push(new_pod(ds, &name, node, l.clone(), 10 + i as u64));
    }
}

fn set_ready(p: &mut Pod, ready: bool, at: SimTime) {
    p.set_condition("Ready", if ready { "True" } else { "False" }, Time(at));
}

/// What the controller wrote during one round of answers.
#[derive(Debug, Default)]
struct Writes {
    created: Vec<Pod>,
    deleted: Vec<String>,
    statuses: Vec<DaemonSetStatus>,
    batches: Vec<usize>,
}

impl Writes {
    fn counts(&self) -> (usize, usize) {
        (self.created.len(), self.deleted.len())
    }

    fn created_nodes(&self) -> Vec<&str> {
        self.created
            .iter()
            .map(|p| p.spec.node_name.as_str())
            .collect()
    }
}

struct Bench {
    h: Harness<Msg>,
    c: DaemonSetController,
    inbox: Vec<Request>,
    timers: Vec<(SimTime, u64)>,
    watches: BTreeMap<Kind, u64>,
    rv: u64,
    named: u64,
    pods: BTreeMap<String, Pod>,
    sets: BTreeMap<String, DaemonSet>,
}

impl Bench {
    fn new() -> Self {
        Self::with(DaemonSetConfig::default())
    }

    fn with(config: DaemonSetConfig) -> Self {
        let mut h = Harness::new(&["kube-apiserver", "daemonset-controller"], ME, 1);
        h.set_now(secs(1000));
        Bench {
            h,
            c: DaemonSetController::new(ApiClient::new(API), config),
            inbox: Vec::new(),
            timers: Vec::new(),
            watches: BTreeMap::new(),
            rv: 100,
            named: 0,
            pods: BTreeMap::new(),
            sets: BTreeMap::new(),
        }
    }

    fn feed(&mut self, input: Input<Msg>) {
        for s in self.h.feed(&mut self.c, input) {
            match s {
                Sent::Message {
                    msg: Msg::Request(r),
                    ..
                } => self.inbox.push(*r),
                Sent::Timer { at, tag } => self.timers.push((at, tag)),
                Sent::Message { .. } => {}
            }
        }
    }

    fn respond(&mut self, id: u64, result: Result<Reply, ApiError>) {
        self.feed(Input::Message {
            from: API,
            msg: Msg::Response(Box::new(Response { id, result })),
        });
    }

    /// Fires every timer that is due, in time order, until none is.
    fn settle(&mut self) {
        while let Some((_, tag)) = pop_due(&mut self.timers, self.h.now()) {
            self.feed(Input::Timer {
                id: EventId(0),
                tag,
            });
        }
    }

    fn advance(&mut self, d: SimDuration) {
        self.h.advance(d);
        self.settle();
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn stamp_ds(&mut self, mut ds: DaemonSet) -> ObjectRef {
        ds.metadata.resource_version = self.next_rv();
        self.sets.insert(ds.metadata.name.clone(), ds.clone());
        Arc::new(Object::DaemonSet(ds))
    }

    fn stamp_pod(&mut self, mut p: Pod) -> ObjectRef {
        p.metadata.resource_version = self.next_rv();
        self.pods.insert(p.metadata.name.clone(), p.clone());
        Arc::new(Object::Pod(p))
    }

    /// Starts the controller with these objects in the cluster.
    fn start(&mut self, sets: Vec<DaemonSet>, nodes: Vec<Node>, pods: Vec<Pod>) {
        self.feed(Input::Start);
        let lists: Vec<Request> = self.inbox.drain(..).collect();
        let kinds: Vec<Kind> = lists
            .iter()
            .map(|r| match r.op {
                Op::List { kind, .. } => kind,
                _ => panic!("lists first"),
            })
            .collect();
        assert_eq!(kinds, [Kind::DaemonSet, Kind::Pod, Kind::Node]);
        let sets: Vec<ObjectRef> = sets.into_iter().map(|d| self.stamp_ds(d)).collect();
        let pods: Vec<ObjectRef> = pods.into_iter().map(|p| self.stamp_pod(p)).collect();
        let nodes: Vec<ObjectRef> = nodes
            .into_iter()
            .map(|n| Arc::new(Object::Node(n)))
            .collect();
        for (r, items) in lists.into_iter().zip([sets, pods, nodes]) {
            let resource_version = self.rv;
            self.respond(
                r.id,
                Ok(Reply::List {
                    items,
                    resource_version,
                }),
            );
        }
        for w in std::mem::take(&mut self.inbox) {
            let Op::Watch { watch_id, kind, .. } = w.op else {
                panic!("watches after the lists")
            };
            self.watches.insert(kind, watch_id);
        }
        assert_eq!(self.watches.len(), 3);
    }

    fn event(&mut self, kind: Kind, event: WatchEvent) {
        let watch_id = self.watches[&kind];
        self.feed(Input::Message {
            from: API,
            msg: Msg::Watch(Box::new(WatchMsg { watch_id, event })),
        });
    }

    fn put_pod(&mut self, p: Pod) {
        let known = self.pods.contains_key(&p.metadata.name);
        let o = self.stamp_pod(p);
        let e = if known {
            WatchEvent::Modified(o)
        } else {
            WatchEvent::Added(o)
        };
        self.event(Kind::Pod, e);
    }

    fn remove_pod(&mut self, name: &str) {
        let mut p = self.pods.remove(name).expect("known pod");
        p.metadata.resource_version = self.next_rv();
        self.event(Kind::Pod, WatchEvent::Deleted(Arc::new(Object::Pod(p))));
    }

    fn put_ds(&mut self, ds: DaemonSet) {
        let o = self.stamp_ds(ds);
        self.event(Kind::DaemonSet, WatchEvent::Modified(o));
    }

    fn put_node(&mut self, n: Node, added: bool) {
        let o = Arc::new(Object::Node(n));
        let e = if added {
            WatchEvent::Added(o)
        } else {
            WatchEvent::Modified(o)
        };
        self.event(Kind::Node, e);
    }

    /// Answers the controller's writes until it sends no more (one sync's worth, plus any
    /// status-only follow-up). Creations for which `fail` says so get 403 Forbidden.
    fn round_failing(&mut self, fail: impl Fn(usize) -> bool) -> Writes {
        let mut w = Writes::default();
        loop {
            self.settle();
            let reqs: Vec<Request> = std::mem::take(&mut self.inbox);
            if reqs.is_empty() {
                return w;
            }
            let creates = reqs
                .iter()
                .filter(|r| matches!(r.op, Op::Create(_)))
                .count();
            if creates > 0 {
                w.batches.push(creates);
            }
            for r in reqs {
                self.answer(r, &mut w, &fail);
            }
        }
    }

    fn round(&mut self) -> Writes {
        self.round_failing(|_| false)
    }

    fn answer(&mut self, r: Request, w: &mut Writes, fail: &impl Fn(usize) -> bool) {
        match r.op {
            Op::Create(Object::Pod(mut p)) => {
                let n = w.created.len();
                w.created.push(p.clone());
                if fail(n) {
                    let e = ApiError {
                        code: 403,
                        reason: "Forbidden",
                        message: "exceeded quota".into(),
                    };
                    self.respond(r.id, Err(e));
                    w.created.pop();
                    return;
                }
                self.named += 1;
                p.metadata.name = format!("{}{:05}", p.metadata.generate_name, self.named);
                p.metadata.uid = format!("uid-{}", p.metadata.name);
                p.metadata.creation_timestamp = Some(Time(self.h.now()));
                p.status.phase = "Pending".into();
                *w.created.last_mut().expect("pushed") = p.clone();
                self.respond(r.id, Ok(Reply::Object(Arc::new(Object::Pod(p)))));
            }
            Op::Delete { name, .. } => {
                w.deleted.push(name.clone());
                let result = match self.pods.get(&name) {
                    Some(p) => Ok(Reply::Object(Arc::new(Object::Pod(p.clone())))),
                    None => Err(ApiError::not_found(Kind::Pod, &name)),
                };
                self.respond(r.id, result);
            }
            Op::UpdateStatus(Object::DaemonSet(ds)) => {
                w.statuses.push(ds.status.clone());
                let mut cur = self.sets[&ds.metadata.name].clone();
                cur.status = ds.status;
                let o = self.stamp_ds(cur);
                self.respond(r.id, Ok(Reply::Object(o.clone())));
                self.event(Kind::DaemonSet, WatchEvent::Modified(o));
            }
            op => panic!("unexpected request {op:?}"),
        }
    }

    /// The informer catches up with a round: created pods appear, deleted ones go.
    fn observe(&mut self, w: &Writes) {
        for p in &w.created {
            self.put_pod(p.clone());
        }
        for name in &w.deleted {
            if self.pods.contains_key(name) {
                self.remove_pod(name);
            }
        }
    }

    /// markPodsReady: every pod not yet ready becomes ready now.
    fn mark_pods_ready(&mut self) {
        let now = self.h.now();
        let unready: Vec<Pod> = self
            .pods
            .values()
            .filter(|p| !p.is_ready())
            .cloned()
            .collect();
        for mut p in unready {
            p.status.phase = "Running".into();
            set_ready(&mut p, true, now);
            self.put_pod(p);
        }
    }
}

/// Starts a bench, runs the first sync and returns its writes.
fn first_sync(ds: DaemonSet, nodes: Vec<Node>, pods: Vec<Pod>) -> Writes {
    let mut b = Bench::new();
    b.start(vec![ds], nodes, pods);
    b.round()
}

/// TestSimpleDaemonSetLaunchesPods and the placement tests after it in
/// daemon_controller_test.go: which nodes get a pod on the first sync, for both strategies.
#[test]
fn launches_one_pod_per_eligible_node_table() {
    let tainted = |taints: Vec<Taint>| {
        let mut n = new_node("tainted", BTreeMap::new());
        n.spec.taints = taints;
        vec![n]
    };
    let with_condition = |type_: &str, status: &str| {
        let mut n = new_node("node-0", BTreeMap::new());
        n.status.conditions = vec![NodeCondition {
            type_: type_.into(),
            status: status.into(),
            ..Default::default()
        }];
        vec![n]
    };
    let mut seven = Vec::new();
    add_nodes(&mut seven, 0, 4, BTreeMap::new());
    add_nodes(&mut seven, 4, 3, simple_node_label());
    let mut five = Vec::new();
    add_nodes(&mut five, 0, 5, BTreeMap::new());
    let tolerate = |d: &mut DaemonSet| {
        d.spec.template.spec.tolerations = vec![Toleration {
            key: "dedicated".into(),
            value: "user1".into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        }];
    };
    type Case = (
        &'static str,
        Vec<Node>,
        fn(&mut DaemonSet),
        Vec<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "TestSimpleDaemonSetLaunchesPods",
            five.clone(),
            |_| {},
            vec!["node-0", "node-1", "node-2", "node-3", "node-4"],
        ),
        ("TestNoNodesDoesNothing", vec![], |_| {}, vec![]),
        (
            "TestOneNodeDaemonLaunchesPod",
            vec![new_node("only-node", BTreeMap::new())],
            |_| {},
            vec!["only-node"],
        ),
        (
            "TestNotReadyNodeDaemonDoesLaunchPod",
            with_condition("Ready", "False"),
            |_| {},
            vec!["node-0"],
        ),
        (
            "TestNetworkUnavailableNodeDaemonLaunchesPod",
            with_condition("NetworkUnavailable", "True"),
            |_| {},
            vec!["node-0"],
        ),
        (
            "TestSelectorDaemonLaunchesPods",
            seven.clone(),
            |d| d.spec.template.spec.node_selector = simple_node_label(),
            vec!["node-4", "node-5", "node-6"],
        ),
        (
            "TestBadSelectorDaemonDoesNothing",
            seven.clone(),
            |d| d.spec.template.spec.node_selector = labels(&[("color", "red"), ("speed", "fast")]),
            vec![],
        ),
        (
            "TestNameDaemonSetLaunchesPods",
            five.clone(),
            |d| d.spec.template.spec.node_name = "node-0".into(),
            vec!["node-0"],
        ),
        (
            "TestBadNameDaemonSetDoesNothing",
            five.clone(),
            |d| d.spec.template.spec.node_name = "node-10".into(),
            vec![],
        ),
        (
            "TestNameAndSelectorDaemonSetLaunchesPods",
            seven.clone(),
            |d| {
                d.spec.template.spec.node_selector = simple_node_label();
                d.spec.template.spec.node_name = "node-6".into();
            },
            vec!["node-6"],
        ),
        (
            "TestInconsistentNameSelectorDaemonSetDoesNothing",
            seven.clone(),
            |d| {
                d.spec.template.spec.node_selector = simple_node_label();
                d.spec.template.spec.node_name = "node-0".into();
            },
            vec![],
        ),
        (
            "TestTaintedNodeDaemonDoesNotLaunchIntolerantPod",
            tainted(vec![taint("dedicated", "user1", "NoSchedule")]),
            |_| {},
            vec![],
        ),
        (
            "TestTaintedNodeDaemonLaunchesToleratePod",
            tainted(vec![taint("dedicated", "user1", "NoSchedule")]),
            tolerate,
            vec!["tainted"],
        ),
        (
            "TestNotReadyNodeDaemonLaunchesPod",
            tainted(vec![taint(TAINT_NOT_READY, "", "NoExecute")]),
            |_| {},
            vec!["tainted"],
        ),
        (
            "TestUnreachableNodeDaemonLaunchesPod",
            tainted(vec![taint(TAINT_UNREACHABLE, "", "NoExecute")]),
            |_| {},
            vec!["tainted"],
        ),
        (
            "TestNodeDaemonLaunchesToleratePod",
            vec![new_node("node-0", BTreeMap::new())],
            tolerate,
            vec!["node-0"],
        ),
        (
            "TestTaintPressureNodeDaemonLaunchesPod",
            tainted(vec![
                taint(TAINT_DISK_PRESSURE, "", "NoSchedule"),
                taint(TAINT_MEMORY_PRESSURE, "", "NoSchedule"),
                taint(TAINT_PID_PRESSURE, "", "NoSchedule"),
            ]),
            |_| {},
            vec!["tainted"],
        ),
        (
            "TestNodeShouldRunDaemonPod/ShouldRunDaemonPodOnUnschedulableNode",
            tainted(vec![taint(TAINT_UNSCHEDULABLE, "", "NoSchedule")]),
            |_| {},
            vec!["tainted"],
        ),
        (
            "TestDontDoAnythingIfBeingDeleted",
            five.clone(),
            |d| d.metadata.deletion_timestamp = Some(Time(secs(1))),
            vec![],
        ),
        (
            "TestPodIsNotDeletedByDaemonsetWithEmptyLabelSelector",
            five.clone(),
            |d| d.spec.selector = LabelSelector::default(),
            vec![],
        ),
    ];
    for (name, nodes, edit, want) in cases {
        let mut ds = new_daemon_set("foo");
        edit(&mut ds);
        for ds in update_strategies(&ds) {
            let strategy = ds.spec.update_strategy.type_.clone();
            let w = first_sync(ds, nodes.clone(), vec![]);
            assert_eq!(w.created_nodes(), want, "{name} ({strategy})");
            assert!(w.deleted.is_empty(), "{name} ({strategy})");
        }
    }
}

/// TestSimpleDaemonSetScheduleDaemonSetPodsLaunchesPods and validateSyncDaemonSets' owner
/// checks: each pod names its node (kubesim binds directly instead of a node affinity), has
/// the controller reference, the revision labels and the daemon tolerations.
#[test]
fn created_pods_carry_owner_labels_tolerations_and_node() {
    let ds = new_daemon_set("foo");
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 2, BTreeMap::new());
    let w = first_sync(ds.clone(), nodes, vec![]);
    assert_eq!(w.created_nodes(), ["node-0", "node-1"]);
    let p = &w.created[0];
    assert_eq!(p.metadata.generate_name, "foo-");
    assert_eq!(p.metadata.namespace, "default");
    let r = &p.metadata.owner_references;
    assert_eq!(r.len(), 1);
    assert_eq!(
        (
            r[0].api_version.as_str(),
            r[0].kind.as_str(),
            r[0].name.as_str()
        ),
        ("apps/v1", "DaemonSet", "foo")
    );
    assert_eq!(r[0].uid, "uid-foo");
    assert_eq!(
        (r[0].controller, r[0].block_owner_deletion),
        (Some(true), Some(true))
    );
    let mut want = simple_daemon_set_label();
    want.insert(
        CONTROLLER_REVISION_HASH_LABEL.into(),
        compute_hash(&ds.spec.template),
    );
    want.insert(POD_TEMPLATE_GENERATION_LABEL.into(), "1".into());
    assert_eq!(p.metadata.labels, want);
    let tolerated: Vec<(&str, &str, Option<i64>)> = p
        .spec
        .tolerations
        .iter()
        .map(|t| (t.key.as_str(), t.effect.as_str(), t.toleration_seconds))
        .collect();
    assert_eq!(
        tolerated,
        [
            (TAINT_NOT_READY, "NoExecute", None),
            (TAINT_UNREACHABLE, "NoExecute", None),
            (TAINT_DISK_PRESSURE, "NoSchedule", None),
            (TAINT_MEMORY_PRESSURE, "NoSchedule", None),
            (TAINT_PID_PRESSURE, "NoSchedule", None),
            (TAINT_UNSCHEDULABLE, "NoSchedule", None),
        ]
    );
    assert_eq!(p.spec.containers, ds.spec.template.spec.containers);
}

/// TestDealsWithExistingPods, TestSelectorDaemonDeletesUnselectedPods,
/// TestSelectorDaemonDealsWithExistingPods, TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod,
/// TestNoExecuteTaintedDoesEvicitRunningIntolerantPod, TestDaemonSetRespectsTermination,
/// TestPortConflictWithSameDaemonPodDoesNotDeletePod: (creates, deletes) of the first sync,
/// for both strategies. Pods whose labels no longer match the selector are not counted (upstream
/// releases them).
#[test]
fn deals_with_existing_pods_table() {
    let ds = new_daemon_set("foo");
    let l1 = simple_daemon_set_label;
    let l2 = simple_daemon_set_label2;
    type Case = (&'static str, Vec<Node>, Vec<Pod>, (usize, usize));
    let mut cases: Vec<Case> = Vec::new();

    let (mut nodes, mut pods) = (Vec::new(), Vec::new());
    add_nodes(&mut nodes, 0, 5, BTreeMap::new());
    add_pods(&mut pods, &ds, "node-1", l1(), 1);
    add_pods(&mut pods, &ds, "node-2", l1(), 2);
    add_pods(&mut pods, &ds, "node-3", l1(), 5);
    add_pods(&mut pods, &ds, "node-4", l2(), 2);
    cases.push(("TestDealsWithExistingPods", nodes, pods, (2, 5)));

    let mut sel = ds.clone();
    sel.spec.template.spec.node_selector = simple_node_label();
    let (mut nodes, mut pods) = (Vec::new(), Vec::new());
    add_nodes(&mut nodes, 0, 5, BTreeMap::new());
    add_nodes(&mut nodes, 5, 5, simple_node_label());
    add_pods(&mut pods, &ds, "node-0", l2(), 2);
    add_pods(&mut pods, &ds, "node-1", l1(), 3);
    add_pods(&mut pods, &ds, "node-1", l2(), 1);
    add_pods(&mut pods, &ds, "node-4", l1(), 1);
    cases.push((
        "TestSelectorDaemonDeletesUnselectedPods",
        nodes,
        pods,
        (5, 4),
    ));

    let (mut nodes, mut pods) = (Vec::new(), Vec::new());
    add_nodes(&mut nodes, 0, 5, BTreeMap::new());
    add_nodes(&mut nodes, 5, 5, simple_node_label());
    add_pods(&mut pods, &ds, "node-0", l1(), 1);
    add_pods(&mut pods, &ds, "node-1", l1(), 3);
    add_pods(&mut pods, &ds, "node-1", l2(), 2);
    add_pods(&mut pods, &ds, "node-2", l1(), 4);
    add_pods(&mut pods, &ds, "node-6", l1(), 13);
    add_pods(&mut pods, &ds, "node-7", l2(), 4);
    add_pods(&mut pods, &ds, "node-9", l1(), 1);
    add_pods(&mut pods, &ds, "node-9", l2(), 1);
    cases.push((
        "TestSelectorDaemonDealsWithExistingPods",
        nodes,
        pods,
        (3, 20),
    ));

    for (name, effect, want) in [
        (
            "TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod",
            "NoSchedule",
            (0, 0),
        ),
        (
            "TestNoExecuteTaintedDoesEvicitRunningIntolerantPod",
            "NoExecute",
            (0, 1),
        ),
    ] {
        let mut n = new_node("tainted", BTreeMap::new());
        n.spec.taints = vec![taint("dedicated", "user1", effect)];
        let pods = vec![new_pod(&ds, "keep-or-stop-me", "tainted", l1(), 10)];
        cases.push((name, vec![n], pods, want));
    }

    let mut terminating = new_pod(&ds, "node-0-terminating", "node-0", l1(), 10);
    terminating.metadata.deletion_timestamp = Some(Time(secs(900)));
    let mut one = Vec::new();
    add_nodes(&mut one, 0, 1, simple_node_label());
    cases.push((
        "TestDaemonSetRespectsTermination",
        one.clone(),
        vec![terminating],
        (0, 0),
    ));
    let same = new_pod(&ds, "foo-same", "node-0", l1(), 10);
    cases.push((
        "TestPortConflictWithSameDaemonPodDoesNotDeletePod",
        one,
        vec![same],
        (0, 0),
    ));

    for (name, nodes, pods, want) in cases {
        let base = if name.starts_with("TestSelector") {
            sel.clone()
        } else {
            ds.clone()
        };
        for d in update_strategies(&base) {
            let w = first_sync(d, nodes.clone(), pods.clone());
            assert_eq!(w.counts(), want, "{name} ({})", w.created_nodes().join(","));
        }
    }
}

/// podsShouldBeOnNode: "if there is more than 1 running pod on a node delete all but the oldest"
/// (podByCreationTimestampAndPhase: creation time, then name).
#[test]
fn excess_pods_are_trimmed_keeping_the_oldest() {
    let ds = new_daemon_set("foo");
    let l = simple_daemon_set_label();
    let pods = vec![
        new_pod(&ds, "middle", "node-0", l.clone(), 20),
        new_pod(&ds, "oldest", "node-0", l.clone(), 10),
        new_pod(&ds, "newest", "node-0", l.clone(), 30),
        new_pod(&ds, "b-same-age", "node-1", l.clone(), 10),
        new_pod(&ds, "a-same-age", "node-1", l, 10),
    ];
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 2, BTreeMap::new());
    let w = first_sync(ds, nodes, pods);
    assert!(w.created.is_empty());
    assert_eq!(w.deleted, ["middle", "newest", "b-same-age"]);
}

/// TestUpdateNode: a node update is looked at only when labels or taints changed, and a
/// DaemonSet is synced only when its placement there changed; then
/// TestSelectorDaemonDeletesUnselectedPods / TestNoExecuteTaintedDoesEvicitRunningIntolerantPod
/// for a node that became ineligible, and TestAddNode for a new node.
#[test]
fn node_changes_create_and_delete_daemon_pods() {
    let mut ds = new_daemon_set("foo");
    ds.spec.template.spec.node_selector = simple_node_label();
    let node0 = new_node("node-0", simple_node_label());
    let pod = new_pod(&ds, "on-node-0", "node-0", simple_daemon_set_label(), 10);
    let mut b = Bench::new();
    b.start(vec![ds], vec![node0.clone()], vec![pod]);
    let w = b.round();
    assert_eq!(w.counts(), (0, 0), "already in place");

    // A heartbeat-style update (conditions only): ignored, nothing synced.
    let mut beat = node0.clone();
    beat.status.conditions[0].reason = "KubeletReady".into();
    b.put_node(beat, false);
    b.settle();
    assert!(b.inbox.is_empty(), "labels and taints unchanged: no sync");

    // A new labelled node gets a pod; a new unlabelled one does not even trigger a sync.
    b.put_node(new_node("node-2", BTreeMap::new()), true);
    b.settle();
    assert!(
        b.inbox.is_empty(),
        "shouldRun false on the new node: no sync"
    );
    b.put_node(new_node("node-1", simple_node_label()), true);
    let w = b.round();
    assert_eq!(w.created_nodes(), ["node-1"]);
    b.observe(&w);
    b.round();

    // node-0 loses its label: its pod goes.
    b.put_node(new_node("node-0", BTreeMap::new()), false);
    let w = b.round();
    assert_eq!(
        (w.created.len(), w.deleted.clone()),
        (0, vec!["on-node-0".to_string()])
    );
    b.observe(&w);
    b.round();

    // node-1 gets an untolerated NoExecute taint: its pod goes too.
    let mut tainted = new_node("node-1", simple_node_label());
    tainted.spec.taints = vec![taint("dedicated", "user1", "NoExecute")];
    b.put_node(tainted, false);
    let w = b.round();
    assert_eq!(w.counts(), (0, 1));
}

/// TestDaemonKillFailedPods: failed pods are deleted, at most one pod is kept per node, and a
/// node whose only pod failed gets its new pod on a later sync.
#[test]
fn kills_failed_pods_table() {
    let cases = [
        ("normal (do nothing)", 0, 1, (0, 0)),
        ("no pods (create 1)", 0, 0, (1, 0)),
        (
            "1 failed pod (kill 1), 0 normal pod (create 0; will create in the next sync)",
            1,
            0,
            (0, 1),
        ),
        (
            "1 failed pod (kill 1), 3 normal pods (kill 2)",
            1,
            3,
            (0, 3),
        ),
    ];
    for (name, failed, normal, want) in cases {
        let ds = new_daemon_set("foo");
        for d in update_strategies(&ds) {
            let mut pods = Vec::new();
            for i in 0..failed {
                let mut p = new_pod(
                    &d,
                    &format!("failed-{i}"),
                    "node-0",
                    simple_daemon_set_label(),
                    5,
                );
                p.status.phase = "Failed".into();
                pods.push(p);
            }
            add_pods(&mut pods, &d, "node-0", simple_daemon_set_label(), normal);
            let w = first_sync(d, vec![new_node("node-0", BTreeMap::new())], pods);
            assert_eq!(w.counts(), want, "{name}");
        }
    }
}

/// TestDaemonKillFailedPodsBackoff: a failed pod is deleted, its replacement that fails at once
/// waits out the back-off (1 s, then 2 s), and the DaemonSet is synced again when it ends.
#[test]
fn failed_pod_deletion_backs_off() {
    let mut ds = new_daemon_set("foo");
    // The back-off key holds status.observedGeneration: keep it fixed from the start.
    ds.status.observed_generation = 1;
    let mut failed = new_pod(&ds, "failed", "node-0", simple_daemon_set_label(), 5);
    failed.status.phase = "Failed".into();
    let mut b = Bench::new();
    b.start(
        vec![ds],
        vec![new_node("node-0", BTreeMap::new())],
        vec![failed],
    );
    let mut deleted_at = Vec::new();
    for _ in 0..3 {
        let w = b.round();
        assert_eq!(w.counts(), (0, 1), "the failed pod is deleted");
        deleted_at.push(b.h.now().as_micros() / 1_000);
        b.observe(&w);
        let w = b.round();
        assert_eq!(w.counts(), (1, 0), "a replacement is created");
        b.observe(&w);
        b.round();
        let mut p = b.pods.values().next().expect("the replacement").clone();
        p.status.phase = "Failed".into();
        b.put_pod(p);
        let w = b.round();
        assert_eq!(w.counts(), (0, 0), "in back-off");
        let next_due = b.timers.iter().map(|(at, _)| *at).min().expect("a requeue");
        b.h.set_now(next_due);
    }
    assert_eq!(
        deleted_at,
        [1_000_000, 1_001_000, 1_003_000],
        "1 s then 2 s apart"
    );
}

/// TestSimpleDaemonSetPodCreateErrors / TestDaemonSetPodCreateExpectationsError: creations go
/// in slow-start batches 1, 2, 4, 8 and stop after a batch with a failure; the skipped ones are
/// taken off the expectations, so once the created pods are seen the DaemonSet syncs again.
#[test]
fn create_errors_stop_slow_start_and_lower_expectations() {
    let ds = new_daemon_set("foo");
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 100, BTreeMap::new());
    let mut b = Bench::new();
    b.start(vec![ds], nodes, vec![]);
    let w = b.round_failing(|n| n >= 10);
    assert_eq!(w.batches, [1, 2, 4, 8], "no batch after the failing one");
    assert_eq!(w.created.len(), 10);
    assert!(!b.c.expectations.satisfied("default/foo", b.h.now()));
    let status = w.statuses.last().expect("status written");
    assert_eq!(
        (
            status.desired_number_scheduled,
            status.current_number_scheduled
        ),
        (100, 0)
    );
    b.observe(&w);
    assert!(b.c.expectations.satisfied("default/foo", b.h.now()));
    // The failed sync comes back after the queue's back-off and carries on.
    b.advance(SimDuration::from_millis(5));
    let w = b.round();
    assert_eq!(w.batches, [1, 2, 4, 8, 16, 32, 27]);
}

/// At most burstReplicas creations per sync.
#[test]
fn at_most_burst_replicas_per_sync() {
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 10, BTreeMap::new());
    let mut b = Bench::with(DaemonSetConfig {
        burst_replicas: 3,
        ..Default::default()
    });
    b.start(vec![new_daemon_set("foo")], nodes, vec![]);
    assert_eq!(b.round().created.len(), 3);
}

/// A key is never synced twice at once: an event during a round is held until it ends.
#[test]
fn events_during_a_round_wait_for_it() {
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 3, BTreeMap::new());
    let mut b = Bench::new();
    let ds = new_daemon_set("foo");
    b.start(vec![ds.clone()], nodes, vec![]);
    b.settle();
    assert_eq!(b.inbox.len(), 1, "first batch of one");
    let mut bumped = ds;
    bumped.metadata.generation = 2;
    b.put_ds(bumped);
    b.settle();
    assert_eq!(
        b.inbox.len(),
        1,
        "no second sync while the first is in flight"
    );
    let w = b.round();
    assert_eq!(w.batches, [1, 2]);
    let observed = |w: &Writes| {
        w.statuses
            .iter()
            .map(|s| s.observed_generation)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        observed(&w),
        [1],
        "the round's status is for the generation it synced"
    );
    b.observe(&w);
    assert_eq!(observed(&b.round()), [2]);
}

/// updateDaemonSetStatus, TestNumberReadyStatus, TestObservedGeneration,
/// TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods: every status field.
#[test]
fn status_reports_every_field() {
    let mut ds = new_daemon_set("foo");
    ds.spec.template.spec.node_selector = labels(&[("role", "daemon")]);
    ds.metadata.generation = 3;
    let role = || labels(&[("role", "daemon")]);
    let nodes = vec![
        new_node("n0", role()),
        new_node("n1", role()),
        new_node("n2", role()),
        new_node("n3", BTreeMap::new()),
        new_node("n4", role()),
    ];
    let l = simple_daemon_set_label;
    let mut ready_new = new_pod(&ds, "ready-new", "n0", l(), 10);
    set_ready(&mut ready_new, true, secs(20));
    let unready_new = new_pod(&ds, "unready-new", "n1", l(), 10);
    let mut misscheduled = new_pod(&ds, "misscheduled", "n3", l(), 10);
    set_ready(&mut misscheduled, true, secs(20));
    let mut old = ds.clone();
    old.spec.template.spec.containers[0].image = "foo/old".into();
    old.metadata.generation = 1;
    let mut ready_old = new_pod(&old, "ready-old", "n4", l(), 10);
    set_ready(&mut ready_old, true, secs(20));
    let pods = vec![ready_new, unready_new, misscheduled, ready_old];
    for (min_ready, available) in [(0, 2), (3600, 0)] {
        let mut d = ds.clone();
        d.spec.min_ready_seconds = min_ready;
        let w = first_sync(d, nodes.clone(), pods.clone());
        assert_eq!(w.counts(), (1, 1), "create on n2, delete on n3");
        assert_eq!(w.statuses.len(), 1);
        let want = DaemonSetStatus {
            desired_number_scheduled: 4,
            current_number_scheduled: 3,
            number_misscheduled: 1,
            number_ready: 2,
            updated_number_scheduled: 2,
            number_available: available,
            number_unavailable: 4 - available,
            observed_generation: 3,
        };
        assert_eq!(w.statuses[0], want, "minReadySeconds {min_ready}");
    }
}

/// TestNumberReadyStatus: numberReady follows the pods' Ready condition, and an unchanged
/// status is not written again.
#[test]
fn number_ready_follows_pods() {
    let ds = new_daemon_set("foo");
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 2, simple_node_label());
    let mut pods = Vec::new();
    add_pods(&mut pods, &ds, "node-0", simple_daemon_set_label(), 1);
    add_pods(&mut pods, &ds, "node-1", simple_daemon_set_label(), 1);
    let mut b = Bench::new();
    b.start(vec![ds], nodes, pods);
    let w = b.round();
    assert_eq!(
        w.statuses
            .iter()
            .map(|s| s.number_ready)
            .collect::<Vec<_>>(),
        [0]
    );
    b.mark_pods_ready();
    let w = b.round();
    assert_eq!(
        w.statuses
            .iter()
            .map(|s| s.number_ready)
            .collect::<Vec<_>>(),
        [2]
    );
    b.put_ds(b.sets["foo"].clone());
    assert!(b.round().statuses.is_empty(), "nothing changed: no write");
}

fn old_revision(ds: &DaemonSet) -> DaemonSet {
    let mut old = ds.clone();
    old.spec.template.spec.containers[0].image = "foo/old".into();
    old
}

/// Ready pods of the old template, one per node.
fn old_ready_pods(ds: &DaemonSet, nodes: &[Node]) -> Vec<Pod> {
    let old = old_revision(ds);
    nodes
        .iter()
        .map(|n| {
            let name = format!("old-{}", n.metadata.name);
            let mut p = new_pod(&old, &name, &n.metadata.name, simple_daemon_set_label(), 10);
            p.metadata
                .labels
                .insert(POD_TEMPLATE_GENERATION_LABEL.into(), "0".into());
            set_ready(&mut p, true, secs(20));
            p
        })
        .collect()
}

/// Runs a rollout: sync, let the informer see the writes, and mark pods ready whenever a sync
/// does nothing; returns (creates, deletes) per sync until two idle syncs in a row.
fn rollout(b: &mut Bench) -> Vec<(usize, usize)> {
    let mut steps = Vec::new();
    loop {
        let w = b.round();
        steps.push(w.counts());
        b.observe(&w);
        if w.counts() == (0, 0) {
            if steps.len() > 1 && steps[steps.len() - 2] == (0, 0) {
                steps.pop();
                return steps;
            }
            b.mark_pods_ready();
        }
    }
}

/// update_test.go TestDaemonSetUpdatesPods (5 nodes, maxUnavailable 2) and the same with
/// maxUnavailable 1 on 3 nodes: old pods are deleted at most maxUnavailable at a time, each
/// replaced by the manage loop, the next ones only once the new pods are ready. Upstream's fake
/// pod control observes writes at once, kubesim's informer later, hence a (0, 0) sync while the
/// new pods are not ready yet.
#[test]
fn rolling_update_replaces_within_max_unavailable() {
    let cases = [
        (
            "TestDaemonSetUpdatesPods",
            5,
            2,
            vec![
                (0, 2),
                (2, 0),
                (0, 0),
                (0, 2),
                (2, 0),
                (0, 0),
                (0, 1),
                (1, 0),
                (0, 0),
            ],
        ),
        (
            "maxUnavailable 1",
            3,
            1,
            vec![
                (0, 1),
                (1, 0),
                (0, 0),
                (0, 1),
                (1, 0),
                (0, 0),
                (0, 1),
                (1, 0),
                (0, 0),
            ],
        ),
    ];
    for (name, n, max_unavailable, want) in cases {
        let ds = rolling(new_daemon_set("foo"), max_unavailable);
        let mut nodes = Vec::new();
        add_nodes(&mut nodes, 0, n, BTreeMap::new());
        let pods = old_ready_pods(&ds, &nodes);
        let mut b = Bench::new();
        b.start(vec![ds.clone()], nodes, pods);
        assert_eq!(rollout(&mut b), want, "{name}");
        let hash = compute_hash(&ds.spec.template);
        assert!(b
            .pods
            .values()
            .all(|p| p.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] == hash));
        let status = b.sets["foo"].status.clone();
        assert_eq!(status.updated_number_scheduled, n as i32, "{name}");
        assert_eq!(status.number_available, n as i32, "{name}");
    }
}

/// The first step of a maxUnavailable-1 rollout on three nodes deletes exactly one old pod, the
/// first in node order, and an unavailable old pod may always be replaced
/// (TestDaemonSetUpdatesSomeOldPodsNotReady).
#[test]
fn rolling_update_first_step() {
    let ds = rolling(new_daemon_set("foo"), 1);
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 3, BTreeMap::new());
    let pods = old_ready_pods(&ds, &nodes);
    let w = first_sync(ds.clone(), nodes.clone(), pods.clone());
    assert_eq!(w.deleted, ["old-node-0"]);
    let mut unready = pods;
    set_ready(&mut unready[2], false, secs(30));
    let w = first_sync(ds, nodes, unready);
    assert_eq!(
        w.deleted,
        ["old-node-2"],
        "the unavailable one uses the budget"
    );
}

/// update_test.go TestDaemonSetUpdatesPodsWithMaxSurge (5 nodes, maxSurge 2): new pods are
/// surged beside old ones, old ones go once the new ones are available. kubesim's grouping
/// differs from upstream's fake (which sees deletions at once): the surge that follows a
/// deletion happens on the next sync.
#[test]
fn rolling_update_with_max_surge() {
    let ds = surge(new_daemon_set("foo"), 2);
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 5, BTreeMap::new());
    let pods = old_ready_pods(&ds, &nodes);
    let mut b = Bench::new();
    b.start(vec![ds], nodes, pods);
    let steps = rollout(&mut b);
    assert_eq!(
        steps,
        [
            (2, 0),
            (0, 0),
            (0, 2),
            (2, 0),
            (0, 0),
            (0, 2),
            (1, 0),
            (0, 0),
            (0, 1),
            (0, 0)
        ]
    );
    assert_eq!(b.pods.len(), 5);
    let total_creates: usize = steps.iter().map(|s| s.0).sum();
    assert_eq!(total_creates, 5);
}

/// TestSurgePreservesReadyOldPods / TestSurgeDeletesUnreadyOldPods: with surge, a node keeps
/// its oldest new pod and its oldest old pod while the new one is not available, and loses the
/// old one if that one is not ready; other pods go.
#[test]
fn surge_keeps_old_ready_pod_until_new_is_available() {
    let ds = surge(new_daemon_set("foo"), 1);
    let old = old_revision(&ds);
    let l = simple_daemon_set_label;
    let mut nodes = Vec::new();
    add_nodes(&mut nodes, 0, 5, BTreeMap::new());
    let current = new_pod(&ds, "node-1-current", "node-1", l(), 100);
    let mut oldest = new_pod(&old, "node-1-old", "node-1", l(), 50);
    set_ready(&mut oldest, true, secs(60));
    let mut excess = new_pod(&old, "node-1-delete", "node-1", l(), 60);
    set_ready(&mut excess, true, secs(70));
    let node2 = new_pod(&ds, "node-2-current", "node-2", l(), 10);
    let pods = vec![
        current.clone(),
        oldest.clone(),
        excess.clone(),
        node2.clone(),
    ];
    let w = first_sync(ds.clone(), nodes.clone(), pods);
    assert_eq!(w.created_nodes(), ["node-0", "node-3", "node-4"]);
    assert_eq!(w.deleted, ["node-1-delete"]);
    let mut unready = oldest;
    set_ready(&mut unready, false, secs(70));
    let w = first_sync(ds, nodes, vec![current, unready, excess, node2]);
    assert_eq!(w.counts(), (3, 2));
    assert_eq!(w.deleted, ["node-1-delete", "node-1-old"]);
}

/// minReadySeconds: a pod that turned ready is synced again after minReadySeconds + 1 s
/// (updatePod), when it becomes available.
#[test]
fn min_ready_seconds_requeues_until_available() {
    let mut ds = new_daemon_set("foo");
    ds.spec.min_ready_seconds = 10;
    let mut b = Bench::new();
    b.start(vec![ds], vec![new_node("node-0", BTreeMap::new())], vec![]);
    let w = b.round();
    b.observe(&w);
    b.round();
    // Ready at 1000.5 s, which reads 1000 s through the API: available after 1010 s.
    b.advance(SimDuration::from_millis(500));
    b.mark_pods_ready();
    let w = b.round();
    let last = w.statuses.last().expect("status");
    assert_eq!((last.number_ready, last.number_available), (1, 0));
    b.advance(SimDuration::from_millis(9_900));
    assert!(b.round().statuses.is_empty(), "no sync before the requeue");
    b.advance(SimDuration::from_millis(100));
    let w = b.round();
    let last = w.statuses.last().expect("status");
    assert_eq!(
        (
            last.number_ready,
            last.number_available,
            last.number_unavailable
        ),
        (1, 1, 0)
    );
}
