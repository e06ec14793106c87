//! Taint eviction controller tests, transcribed from pkg/controller/tainteviction/
//! taint_eviction_test.go. The bench plays the API server by hand (what upstream's fake
//! clientset does): it lists and watches, answers GET / status update / DELETE of pods from a
//! small store, and records those actions with their virtual time. Upstream waits in wall time
//! (up to 5 s for an action); here time only moves when a test says so, and the tests check the
//! exact instant of each deletion.

use super::*;
use crate::api::admission::{add_default_tolerations, TAINT_NOT_READY, TAINT_UNREACHABLE};
use crate::api::node::Node;
use crate::api::{ApiError, DeleteOptions, Op, Request, WatchEvent};
use crate::client::testing::{answer_lists, take_watches};
use crate::sim::testing::{pop_due, Harness, Sent};
use crate::sim::{ActorId, EventId};
use std::sync::Arc;

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000)
}

fn ms(m: u64) -> SimTime {
    SimTime(m * 1_000)
}

/// testutil.NewPod: namespace default, Ready, bound to `host` (none when empty).
fn new_pod(name: &str, host: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.namespace = "default".into();
    p.metadata.name = name.into();
    p.metadata.uid = format!("uid-{name}");
    p.spec.node_name = host.into();
    p.set_condition("Ready", "True", Time(SimTime::ZERO));
    p
}

/// addToleration: tolerate testTaint<index>=test<index>:NoExecute for `duration` seconds
/// (forever when negative).
fn add_toleration(mut p: Pod, index: u32, duration: i64) -> Pod {
    p.spec.tolerations = vec![Toleration {
        key: format!("testTaint{index}"),
        value: format!("test{index}"),
        effect: "NoExecute".into(),
        toleration_seconds: (duration >= 0).then_some(duration),
        ..Default::default()
    }];
    p
}

/// createNoExecuteTaint.
fn create_no_execute_taint(index: u32) -> Taint {
    Taint {
        key: format!("testTaint{index}"),
        value: format!("test{index}"),
        effect: "NoExecute".into(),
        time_added: Some(Time(SimTime::ZERO)),
    }
}

/// testutil.NewNode.
fn new_node(name: &str) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n
}

/// addTaintsToNode.
fn add_taints_to_node(mut n: Node, indices: &[u32]) -> Node {
    n.spec.taints = indices
        .iter()
        .map(|i| create_no_execute_taint(*i))
        .collect();
    n
}

fn pod_ref(p: &Pod) -> ObjectRef {
    Arc::new(Object::Pod(p.clone()))
}

fn node_ref(n: &Node) -> ObjectRef {
    Arc::new(Object::Node(n.clone()))
}

/// What the controller asked of the fake API server, and when.
#[derive(Clone, Debug, PartialEq)]
struct Action {
    at: SimTime,
    verb: &'static str,
    name: String,
}

struct Bench {
    h: Harness<Msg>,
    c: TaintEvictionController,
    inbox: Vec<Request>,
    timers: Vec<(SimTime, u64)>,
    node_watch: u64,
    pod_watch: u64,
    /// Pods the fake API server serves, by name (namespace default).
    store: BTreeMap<String, Pod>,
    actions: Vec<Action>,
    /// Requests to fail with 503, by verb, the next `n` times.
    fail_next: Vec<&'static str>,
}

impl Bench {
    fn new() -> Self {
        Bench {
            h: Harness::new(&["kube-apiserver", "taint-eviction-controller"], ME, 1),
            c: TaintEvictionController::new(ApiClient::new(API)),
            inbox: Vec::new(),
            timers: Vec::new(),
            node_watch: 0,
            pod_watch: 0,
            store: BTreeMap::new(),
            actions: Vec::new(),
            fail_next: Vec::new(),
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

    /// Starts the controller with these nodes and pods in the cluster.
    fn start(&mut self, nodes: &[Node], pods: &[Pod]) {
        for p in pods {
            self.store.insert(p.metadata.name.clone(), p.clone());
        }
        self.feed(Input::Start);
        let lists = std::mem::take(&mut self.inbox);
        assert_eq!(lists.len(), 2, "lists Nodes and Pods");
        for resp in answer_lists(lists, |kind| match kind {
            Kind::Node => nodes.iter().map(node_ref).collect(),
            Kind::Pod => pods.iter().map(pod_ref).collect(),
            k => panic!("unexpected list of {k:?}"),
        }) {
            self.respond(resp.id, resp.result);
        }
        let (watches, rest) = take_watches(std::mem::take(&mut self.inbox));
        self.node_watch = watches[&Kind::Node];
        self.pod_watch = watches[&Kind::Pod];
        self.inbox = rest;
        self.serve();
    }

    fn event(&mut self, watch_id: u64, event: WatchEvent) {
        self.feed(Input::Message {
            from: API,
            msg: Msg::Watch(Box::new(WatchMsg { watch_id, event })),
        });
        self.serve();
    }

    /// A pod watch event; the fake store follows it.
    fn pod_event(&mut self, event: WatchEvent) {
        match &event {
            WatchEvent::Added(o) | WatchEvent::Modified(o) => {
                let p = as_pod(o).expect("a pod").clone();
                self.store.insert(p.metadata.name.clone(), p);
            }
            WatchEvent::Deleted(o) => {
                self.store.remove(&o.meta().name);
            }
            WatchEvent::Error(_) => {}
        }
        self.event(self.pod_watch, event);
    }

    fn node_event(&mut self, event: WatchEvent) {
        self.event(self.node_watch, event);
    }

    /// Answers every request, as a fake clientset would.
    fn serve(&mut self) {
        while !self.inbox.is_empty() {
            for r in std::mem::take(&mut self.inbox) {
                let result = self.answer(r.op);
                self.respond(r.id, result);
            }
        }
    }

    fn answer(&mut self, op: Op) -> Result<Reply, ApiError> {
        let verb = match &op {
            Op::UpdateStatus(_) => "patch",
            other => other.verb(),
        };
        let name = match &op {
            Op::Get { name, .. } | Op::Delete { name, .. } => name.clone(),
            Op::UpdateStatus(o) => o.meta().name.clone(),
            other => panic!("unexpected request {other:?}"),
        };
        self.actions.push(Action {
            at: self.h.now(),
            verb,
            name: name.clone(),
        });
        if let Some(i) = self.fail_next.iter().position(|v| *v == verb) {
            self.fail_next.remove(i);
            return Err(ApiError::unavailable());
        }
        let not_found = || ApiError::not_found(Kind::Pod, &name);
        let reply = |p: &Pod| Ok(Reply::Object(pod_ref(p)));
        match op {
            Op::Get { .. } => self
                .store
                .get(&name)
                .map_or_else(|| Err(not_found()), reply),
            Op::UpdateStatus(Object::Pod(p)) => match self.store.get_mut(&name) {
                Some(cur) => {
                    cur.status = p.status;
                    reply(cur)
                }
                None => Err(not_found()),
            },
            Op::Delete { options, .. } => {
                assert_eq!(options, DeleteOptions::default(), "default options");
                self.store
                    .remove(&name)
                    .map_or_else(|| Err(not_found()), |p| reply(&p))
            }
            other => panic!("unexpected request {other:?}"),
        }
    }

    /// Moves time to `t`, firing due timers in order.
    fn run_until(&mut self, t: SimTime) {
        while let Some((at, tag)) = pop_due(&mut self.timers, t) {
            self.h.set_now(at);
            self.feed(Input::Timer {
                id: EventId(0),
                tag,
            });
            self.serve();
        }
        self.h.set_now(t);
    }

    fn names(&self, verb: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .actions
            .iter()
            .filter(|a| a.verb == verb)
            .map(|a| a.name.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn patched(&self) -> bool {
        !self.names("patch").is_empty()
    }

    fn deleted(&self) -> bool {
        !self.names("delete").is_empty()
    }

    /// When each pod's DELETE was sent.
    fn delete_times(&self) -> Vec<(String, SimTime)> {
        self.actions
            .iter()
            .filter(|a| a.verb == "delete")
            .map(|a| (a.name.clone(), a.at))
            .collect()
    }

    /// verifyPodActions, after upstream's longest wait (5 s).
    fn verify(&mut self, name: &str, expect_patch: bool, expect_delete: bool) {
        let t = self.h.now() + SimDuration::from_secs(5);
        self.run_until(t);
        assert_eq!(self.patched(), expect_patch, "[{name}] patch");
        assert_eq!(self.deleted(), expect_delete, "[{name}] delete");
    }
}

fn tainted_nodes(entries: &[(&str, &[u32])]) -> Vec<Node> {
    entries
        .iter()
        .map(|(n, idx)| add_taints_to_node(new_node(n), idx))
        .collect()
}

/// TestCreatePod.
#[test]
fn create_pod() {
    let cases: Vec<(&str, Pod, Vec<Node>, bool, bool)> = vec![
        (
            "not scheduled - ignore",
            new_pod("pod1", ""),
            vec![],
            false,
            false,
        ),
        (
            "scheduled on untainted Node",
            new_pod("pod1", "node1"),
            vec![],
            false,
            false,
        ),
        (
            "schedule on tainted Node",
            new_pod("pod1", "node1"),
            tainted_nodes(&[("node1", &[1])]),
            true,
            true,
        ),
        (
            "schedule on tainted Node with finite toleration",
            add_toleration(new_pod("pod1", "node1"), 1, 100),
            tainted_nodes(&[("node1", &[1])]),
            false,
            false,
        ),
        (
            "schedule on tainted Node with infinite toleration",
            add_toleration(new_pod("pod1", "node1"), 1, -1),
            tainted_nodes(&[("node1", &[1])]),
            false,
            false,
        ),
        (
            "schedule on tainted Node with infinite invalid toleration",
            add_toleration(new_pod("pod1", "node1"), 2, -1),
            tainted_nodes(&[("node1", &[1])]),
            true,
            true,
        ),
    ];
    for (name, pod, nodes, expect_patch, expect_delete) in cases {
        let mut b = Bench::new();
        b.start(&nodes, &[]);
        b.pod_event(WatchEvent::Added(pod_ref(&pod)));
        b.verify(name, expect_patch, expect_delete);
    }
}

/// TestDeletePod; here also: the deletion scheduled for the pod is cancelled.
#[test]
fn delete_pod() {
    let mut b = Bench::new();
    let pod = add_toleration(new_pod("pod1", "node1"), 1, 100);
    b.start(
        &tainted_nodes(&[("node1", &[1])]),
        std::slice::from_ref(&pod),
    );
    assert_eq!(b.c.scheduled_eviction("default", "pod1"), Some(secs(100)));
    b.pod_event(WatchEvent::Deleted(pod_ref(&pod)));
    assert_eq!(b.c.scheduled_eviction("default", "pod1"), None);
    b.run_until(secs(200));
    assert!(b.actions.is_empty(), "{:?}", b.actions);
}

/// TestUpdatePod.
#[test]
fn update_pod() {
    let cases: Vec<(&str, Pod, bool, Pod, bool, bool)> = vec![
        (
            "scheduling onto tainted Node",
            new_pod("pod1", ""),
            false,
            new_pod("pod1", "node1"),
            true,
            true,
        ),
        (
            "scheduling onto tainted Node with toleration",
            add_toleration(new_pod("pod1", ""), 1, -1),
            false,
            add_toleration(new_pod("pod1", "node1"), 1, -1),
            false,
            false,
        ),
        (
            "removing toleration",
            add_toleration(new_pod("pod1", "node1"), 1, 100),
            true,
            new_pod("pod1", "node1"),
            true,
            true,
        ),
        (
            "lengthening toleration shouldn't work",
            add_toleration(new_pod("pod1", "node1"), 1, 1),
            true,
            add_toleration(new_pod("pod1", "node1"), 1, 100),
            true,
            true,
        ),
    ];
    for (name, prev, await_scheduled, new, expect_patch, expect_delete) in cases {
        let mut b = Bench::new();
        b.start(&tainted_nodes(&[("node1", &[1])]), &[]);
        b.pod_event(WatchEvent::Added(pod_ref(&prev)));
        if await_scheduled {
            assert!(
                b.c.scheduled_eviction("default", "pod1").is_some(),
                "[{name}] scheduled"
            );
        }
        b.pod_event(WatchEvent::Modified(pod_ref(&new)));
        b.verify(name, expect_patch, expect_delete);
    }
}

/// TestUpdatePod "lengthening toleration shouldn't work": the deletion stays at 1 s.
#[test]
fn lengthening_toleration_keeps_the_earlier_deletion() {
    let mut b = Bench::new();
    b.start(&tainted_nodes(&[("node1", &[1])]), &[]);
    let prev = add_toleration(new_pod("pod1", "node1"), 1, 1);
    b.pod_event(WatchEvent::Added(pod_ref(&prev)));
    b.run_until(ms(500));
    let new = add_toleration(new_pod("pod1", "node1"), 1, 100);
    b.pod_event(WatchEvent::Modified(pod_ref(&new)));
    b.run_until(secs(10));
    assert_eq!(b.delete_times(), [("pod1".to_string(), secs(1))]);
}

/// TestCreateNode.
#[test]
fn create_node() {
    let cases: Vec<(&str, Pod, Node, bool, bool)> = vec![
        (
            "Creating Node matching already assigned Pod",
            new_pod("pod1", "node1"),
            new_node("node1"),
            false,
            false,
        ),
        (
            "Creating tainted Node matching already assigned Pod",
            new_pod("pod1", "node1"),
            add_taints_to_node(new_node("node1"), &[1]),
            true,
            true,
        ),
        (
            "Creating tainted Node matching already assigned tolerating Pod",
            add_toleration(new_pod("pod1", "node1"), 1, -1),
            add_taints_to_node(new_node("node1"), &[1]),
            false,
            false,
        ),
    ];
    for (name, pod, node, expect_patch, expect_delete) in cases {
        let mut b = Bench::new();
        b.start(&[], &[pod]);
        b.node_event(WatchEvent::Added(node_ref(&node)));
        b.verify(name, expect_patch, expect_delete);
    }
}

/// TestDeleteNode.
#[test]
fn delete_node() {
    let mut b = Bench::new();
    let node = add_taints_to_node(new_node("node1"), &[1]);
    b.start(std::slice::from_ref(&node), &[]);
    assert!(b.c.tainted_node("node1").is_some());
    b.node_event(WatchEvent::Deleted(node_ref(&node)));
    assert!(b.c.tainted_node("node1").is_none());
}

/// TestUpdateNode; the last case is kubesim's: the default 300 s toleration.
#[test]
fn update_node() {
    let ready_multi = {
        let mut p = new_pod("pod1", "node1");
        p.spec.tolerations = vec![
            Toleration {
                key: "testTaint1".into(),
                value: "test1".into(),
                effect: "NoExecute".into(),
                toleration_seconds: Some(1),
                ..Default::default()
            },
            Toleration {
                key: "testTaint2".into(),
                value: "test2".into(),
                effect: "NoExecute".into(),
                toleration_seconds: Some(100),
                ..Default::default()
            },
        ];
        p
    };
    let default_tolerations = {
        let mut p = new_pod("pod1", "node1");
        add_default_tolerations(&mut p.spec);
        p
    };
    let unreachable = {
        let mut n = new_node("node1");
        n.spec.taints = vec![Taint {
            key: TAINT_UNREACHABLE.into(),
            effect: "NoExecute".into(),
            time_added: Some(Time(SimTime::ZERO)),
            ..Default::default()
        }];
        n
    };
    // (name, pod, old node, new node, expect patch, expect delete, additional sleep)
    let cases: Vec<(&str, Pod, Node, Node, bool, bool, SimDuration)> = vec![
        (
            "Added taint, expect node patched and deleted",
            new_pod("pod1", "node1"),
            new_node("node1"),
            add_taints_to_node(new_node("node1"), &[1]),
            true,
            true,
            SimDuration::ZERO,
        ),
        (
            "Added tolerated taint",
            add_toleration(new_pod("pod1", "node1"), 1, 100),
            new_node("node1"),
            add_taints_to_node(new_node("node1"), &[1]),
            false,
            false,
            SimDuration::ZERO,
        ),
        (
            "Only one added taint tolerated",
            add_toleration(new_pod("pod1", "node1"), 1, 100),
            new_node("node1"),
            add_taints_to_node(new_node("node1"), &[1, 2]),
            true,
            true,
            SimDuration::ZERO,
        ),
        (
            "Taint removed",
            add_toleration(new_pod("pod1", "node1"), 1, 1),
            add_taints_to_node(new_node("node1"), &[1]),
            new_node("node1"),
            false,
            false,
            SimDuration::from_millis(1500),
        ),
        (
            "Pod with multiple tolerations are evicted when first one runs out",
            ready_multi,
            new_node("node1"),
            add_taints_to_node(new_node("node1"), &[1, 2]),
            true,
            true,
            SimDuration::ZERO,
        ),
        (
            "Added taint, pod tolerates for 5 min, evicted after",
            default_tolerations,
            new_node("node1"),
            unreachable,
            true,
            true,
            SimDuration::from_secs(300),
        ),
    ];
    for (name, pod, old, new, expect_patch, expect_delete, sleep) in cases {
        let mut b = Bench::new();
        b.start(std::slice::from_ref(&old), &[pod]);
        b.node_event(WatchEvent::Modified(node_ref(&new)));
        b.run_until(b.h.now() + sleep);
        b.verify(name, expect_patch, expect_delete);
    }
}

/// TestUpdateNode "Pod with multiple tolerations are evicted when first one runs out", and the
/// 5-minute case: the exact deletion instant.
#[test]
fn update_node_deletion_times() {
    let mut b = Bench::new();
    let mut p = add_toleration(new_pod("pod1", "node1"), 1, 1);
    p.spec.tolerations.push(Toleration {
        key: "testTaint2".into(),
        value: "test2".into(),
        effect: "NoExecute".into(),
        toleration_seconds: Some(100),
        ..Default::default()
    });
    b.start(&[new_node("node1")], &[p]);
    b.run_until(secs(7));
    b.node_event(WatchEvent::Modified(node_ref(&add_taints_to_node(
        new_node("node1"),
        &[1, 2],
    ))));
    b.run_until(secs(200));
    assert_eq!(b.delete_times(), [("pod1".to_string(), secs(8))]);
}

/// TestUpdateNodeWithMultipleTaints.
#[test]
fn update_node_with_multiple_taints() {
    let taint1 = create_no_execute_taint(1);
    let taint2 = create_no_execute_taint(2);
    let mut pod = new_pod("pod1", "node1");
    pod.spec.tolerations = vec![
        Toleration {
            key: taint1.key.clone(),
            operator: "Exists".into(),
            effect: "NoExecute".into(),
            ..Default::default()
        },
        Toleration {
            key: taint2.key.clone(),
            operator: "Exists".into(),
            effect: "NoExecute".into(),
            toleration_seconds: Some(60),
            ..Default::default()
        },
    ];
    let untainted = new_node("node1");
    let mut double = new_node("node1");
    double.spec.taints = vec![taint1.clone(), taint2];
    let mut single = new_node("node1");
    single.spec.taints = vec![taint1];

    let mut b = Bench::new();
    b.start(&[], &[pod]);
    let queued = |b: &Bench| b.c.scheduled_eviction("default", "pod1").is_some();
    b.node_event(WatchEvent::Added(node_ref(&untainted)));
    assert!(!queued(&b), "pod queued for deletion with no taints");
    b.node_event(WatchEvent::Modified(node_ref(&single)));
    assert!(!queued(&b), "queued with a permanently tolerated taint");
    b.node_event(WatchEvent::Modified(node_ref(&double)));
    assert!(queued(&b), "not queued after a temporarily tolerated taint");
    b.node_event(WatchEvent::Modified(node_ref(&single)));
    assert!(
        !queued(&b),
        "queued after removal of the temporarily tolerated taint"
    );
    b.run_until(secs(600));
    assert!(!b.deleted(), "unexpected deletion");
}

/// Expected (pod, DELETE time) rows.
type DeleteTimes = Vec<(&'static str, SimTime)>;

/// TestUpdateNodeWithMultiplePods.
#[test]
fn update_node_with_multiple_pods() {
    let pods = || {
        vec![
            new_pod("pod1", "node1"),
            add_toleration(new_pod("pod2", "node1"), 1, 1),
            add_toleration(new_pod("pod3", "node1"), 1, -1),
        ]
    };
    let cases: Vec<(&str, Vec<u32>, DeleteTimes)> = vec![
        (
            "Pods with different toleration times are evicted appropriately",
            vec![1],
            vec![("pod1", secs(0)), ("pod2", secs(1))],
        ),
        (
            "Evict all pods not matching all taints instantly",
            vec![1, 2],
            vec![("pod1", secs(0)), ("pod2", secs(0)), ("pod3", secs(0))],
        ),
    ];
    for (name, taints, want) in cases {
        let mut b = Bench::new();
        b.start(&[new_node("node1")], &pods());
        b.node_event(WatchEvent::Modified(node_ref(&add_taints_to_node(
            new_node("node1"),
            &taints,
        ))));
        b.run_until(secs(10));
        let want: Vec<(String, SimTime)> = want.iter().map(|(n, t)| (n.to_string(), *t)).collect();
        assert_eq!(b.delete_times(), want, "{name}");
    }
}

/// TestGetMinTolerationTime.
#[test]
fn get_min_toleration_time_table() {
    let t = |s: Option<i64>| Toleration {
        toleration_seconds: s,
        ..Default::default()
    };
    let one_sec = Some(SimDuration::from_secs(1));
    let cases: Vec<(Vec<Toleration>, Option<SimDuration>)> = vec![
        (vec![], Some(SimDuration::ZERO)),
        (vec![t(None)], None),
        (vec![t(Some(1)), t(Some(2))], one_sec),
        (vec![t(Some(1)), t(None)], one_sec),
        (vec![t(None), t(Some(1))], one_sec),
        // Not upstream cases: zero and negative mean at once.
        (vec![t(Some(5)), t(Some(0))], Some(SimDuration::ZERO)),
        (vec![t(Some(-3))], Some(SimDuration::ZERO)),
    ];
    for (i, (tols, want)) in cases.iter().enumerate() {
        let refs: Vec<&Toleration> = tols.iter().collect();
        assert_eq!(get_min_toleration_time(&refs), *want, "case {i}");
    }
}

/// TestEventualConsistency: a pod the node update did not know about is handled when its own
/// update arrives.
#[test]
fn eventual_consistency() {
    // (name, prev pod2, new pod2, pod2 deleted at once)
    let cases: Vec<(&str, Option<Pod>, Pod, bool)> = vec![
        (
            "existing pod2 scheduled onto tainted Node",
            Some(new_pod("pod2", "")),
            new_pod("pod2", "node1"),
            true,
        ),
        (
            "existing pod2 with taint toleration scheduled onto tainted Node",
            Some(add_toleration(new_pod("pod2", ""), 1, 100)),
            add_toleration(new_pod("pod2", "node1"), 1, 100),
            false,
        ),
        (
            "new pod2 created on tainted Node",
            None,
            new_pod("pod2", "node1"),
            true,
        ),
        (
            "new pod2 with tait toleration created on tainted Node",
            None,
            add_toleration(new_pod("pod2", "node1"), 1, 100),
            false,
        ),
    ];
    for (name, prev, new, at_once) in cases {
        let mut b = Bench::new();
        b.start(&[new_node("node1")], &[new_pod("pod1", "node1")]);
        if let Some(p) = &prev {
            b.pod_event(WatchEvent::Added(pod_ref(p)));
        }
        b.node_event(WatchEvent::Modified(node_ref(&add_taints_to_node(
            new_node("node1"),
            &[1],
        ))));
        assert_eq!(b.names("delete"), ["pod1"], "[{name}] pod1");
        let ev = if prev.is_some() {
            WatchEvent::Modified(pod_ref(&new))
        } else {
            WatchEvent::Added(pod_ref(&new))
        };
        b.pod_event(ev);
        assert_eq!(
            b.names("delete").len() == 2,
            at_once,
            "[{name}] pod2 at once"
        );
        if !at_once {
            assert_eq!(b.c.scheduled_eviction("default", "pod2"), Some(secs(100)));
        }
    }
}

// ----- kubesim: the timeline of KUBERNETES.md "Eviction by taint" -----

/// A pod with the admission defaults on node1, and node1's unreachable NoExecute taint.
fn default_pod() -> Pod {
    let mut p = new_pod("web", "node1");
    add_default_tolerations(&mut p.spec);
    p
}

fn with_taint(key: &str) -> Node {
    let mut n = new_node("node1");
    n.spec.taints = vec![
        Taint {
            key: key.into(),
            effect: "NoSchedule".into(),
            time_added: Some(Time(secs(40))),
            ..Default::default()
        },
        Taint {
            key: key.into(),
            effect: "NoExecute".into(),
            time_added: Some(Time(secs(45))),
            ..Default::default()
        },
    ];
    n
}

/// Runs: node1 gets `key`:NoExecute at 45 s (noticed then); optionally loses it at `removed`.
fn taint_timeline(pod: Pod, key: &str, removed: Option<SimTime>) -> Bench {
    let mut b = Bench::new();
    b.start(&[new_node("node1")], &[pod]);
    b.run_until(secs(45));
    b.node_event(WatchEvent::Modified(node_ref(&with_taint(key))));
    if let Some(t) = removed {
        b.run_until(t);
        b.node_event(WatchEvent::Modified(node_ref(&new_node("node1"))));
    }
    b.run_until(secs(3600));
    b
}

#[test]
fn default_tolerations_evict_300_s_after_the_taint() {
    for key in [TAINT_UNREACHABLE, TAINT_NOT_READY] {
        let b = taint_timeline(default_pod(), key, None);
        let at = secs(345);
        let want = [
            Action {
                at,
                verb: "get",
                name: "web".into(),
            },
            Action {
                at,
                verb: "patch",
                name: "web".into(),
            },
            Action {
                at,
                verb: "delete",
                name: "web".into(),
            },
        ];
        assert_eq!(b.actions, want, "{key}");
    }
}

#[test]
fn the_deletion_marks_the_pod_with_disruption_target() {
    let mut b = Bench::new();
    b.start(&[new_node("node1")], &[default_pod()]);
    b.fail_next = vec!["delete"];
    b.node_event(WatchEvent::Modified(node_ref(&with_taint(
        TAINT_UNREACHABLE,
    ))));
    b.run_until(secs(301));
    // The first DELETE failed: the retry 10 ms later GETs again and skips the status update.
    let verbs: Vec<(&str, SimTime)> = b.actions.iter().map(|a| (a.verb, a.at)).collect();
    let t = secs(300);
    let t2 = t + SimDuration::from_millis(10);
    assert_eq!(
        verbs,
        [
            ("get", t),
            ("patch", t),
            ("delete", t),
            ("get", t2),
            ("delete", t2)
        ]
    );
}

#[test]
fn a_deletion_gives_up_after_five_attempts() {
    let mut b = Bench::new();
    b.start(&[new_node("node1")], &[new_pod("web", "node1")]);
    b.fail_next = vec!["get"; 5];
    b.node_event(WatchEvent::Modified(node_ref(&with_taint(
        TAINT_UNREACHABLE,
    ))));
    b.run_until(secs(1));
    let gets: Vec<SimTime> = b.actions.iter().map(|a| a.at).collect();
    assert_eq!(gets, [ms(0), ms(10), ms(20), ms(30), ms(40)]);
    assert!(b.c.workers.is_empty(), "the worker is forgotten");
}

#[test]
fn the_added_condition_is_disruption_target() {
    let mut status = PodStatus::default();
    let now = Time(secs(7));
    assert!(update_pod_condition(
        &mut status,
        disruption_condition(),
        now
    ));
    let c = &status.conditions[0];
    assert_eq!(
        (c.type_.as_str(), c.status.as_str(), c.reason.as_str()),
        ("DisruptionTarget", "True", "DeletionByTaintManager")
    );
    assert_eq!(c.message, "Taint manager: deleting due to NoExecute taint");
    assert_eq!(c.last_transition_time, Some(now));
    assert!(
        !update_pod_condition(&mut status, disruption_condition(), Time(secs(9))),
        "unchanged"
    );
    assert_eq!(status.conditions[0].last_transition_time, Some(now));
}

#[test]
fn toleration_seconds_zero_evicts_at_once() {
    let mut p = new_pod("web", "node1");
    p.spec.tolerations = vec![Toleration {
        key: TAINT_UNREACHABLE.into(),
        operator: "Exists".into(),
        effect: "NoExecute".into(),
        toleration_seconds: Some(0),
        ..Default::default()
    }];
    let b = taint_timeline(p, TAINT_UNREACHABLE, None);
    assert_eq!(b.delete_times(), [("web".to_string(), secs(45))]);
}

#[test]
fn no_toleration_seconds_is_never() {
    let mut p = new_pod("web", "node1");
    p.spec.tolerations = vec![Toleration {
        key: TAINT_UNREACHABLE.into(),
        operator: "Exists".into(),
        ..Default::default()
    }];
    let b = taint_timeline(p, TAINT_UNREACHABLE, None);
    assert!(b.actions.is_empty(), "{:?}", b.actions);
}

#[test]
fn an_untolerated_taint_evicts_at_once() {
    let b = taint_timeline(default_pod(), "example.com/drain", None);
    assert_eq!(b.delete_times(), [("web".to_string(), secs(45))]);
}

#[test]
fn a_taint_removed_before_the_deadline_cancels_the_deletion() {
    let b = taint_timeline(default_pod(), TAINT_UNREACHABLE, Some(secs(344)));
    assert!(b.actions.is_empty(), "{:?}", b.actions);
}

#[test]
fn nothing_happens_before_both_caches_have_synced() {
    let mut b = Bench::new();
    b.feed(Input::Start);
    let lists: Vec<Request> = b.inbox.drain(..).collect();
    let node_list = lists
        .iter()
        .find(|r| {
            matches!(
                r.op,
                Op::List {
                    kind: Kind::Node,
                    ..
                }
            )
        })
        .unwrap()
        .id;
    let pod_list = lists
        .iter()
        .find(|r| {
            matches!(
                r.op,
                Op::List {
                    kind: Kind::Pod,
                    ..
                }
            )
        })
        .unwrap()
        .id;
    let list = |items| {
        Ok(Reply::List {
            items,
            resource_version: 1,
        })
    };
    b.respond(node_list, list(vec![node_ref(&with_taint("x"))]));
    assert!(
        b.c.tainted_node("node1").is_none(),
        "waits for the pod cache"
    );
    b.respond(pod_list, list(vec![pod_ref(&new_pod("web", "node1"))]));
    b.inbox.retain(|r| !matches!(r.op, Op::Watch { .. }));
    b.store.insert("web".into(), new_pod("web", "node1"));
    b.serve();
    assert_eq!(b.names("delete"), ["web"]);
}
