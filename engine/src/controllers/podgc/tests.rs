//! Pod GC tests, transcribed from pkg/controller/podgc/gc_controller_test.go. The bench plays
//! the API server (upstream's fake clientset): the informers' lists come from the test, node
//! GETs from a separate "client" node set (upstream tests keep informer and client apart), and
//! status writes and deletions are recorded. Cases that need fields kubesim does not model
//! (status.reason "Evicted") are left out.

use super::*;
use crate::api::node::{Node, NodeCondition};
use crate::api::{ApiError, Op, Request, Taint, WatchEvent, WatchMsg};
use crate::client::testing::{answer_lists, take_watches};
use crate::sim::testing::{pop_due, Harness, Sent};
use crate::sim::{ActorId, EventId};
use std::sync::Arc;

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);
/// Pod names in a table row.
type Names = Vec<&'static str>;
/// (pod name, phase) rows.
type Phases = Vec<(&'static str, &'static str)>;

const QUARANTINE: SimDuration = SimDuration::from_secs(40);

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000)
}

/// makePod.
fn make_pod(name: &str, node: &str, phase: &str) -> Pod {
    let mut p = Pod::default();
    p.metadata.namespace = "default".into();
    p.metadata.name = name.into();
    p.metadata.uid = format!("uid-{name}");
    p.spec.node_name = node.into();
    p.status.phase = phase.into();
    p
}

/// A pod created `hour` hours after time zero, as the upstream tables build them.
fn pod_at(name: &str, node: &str, phase: &str, hour: u64, deleting: bool) -> Pod {
    let mut p = make_pod(name, node, phase);
    p.metadata.creation_timestamp = Some(Time(secs(hour * 3600)));
    if deleting {
        p.metadata.deletion_timestamp = Some(Time(SimTime::ZERO));
    }
    p
}

/// testutil.NewNode.
fn new_node(name: &str) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n
}

fn node_with(name: &str, ready: &str, taints: Vec<Taint>) -> Node {
    let mut n = new_node(name);
    n.spec.taints = taints;
    n.status.conditions = vec![NodeCondition {
        type_: "Ready".into(),
        status: ready.into(),
        ..Default::default()
    }];
    n
}

fn out_of_service(effect: &str, value: &str) -> Taint {
    Taint {
        key: TAINT_OUT_OF_SERVICE.into(),
        value: value.into(),
        effect: effect.into(),
        time_added: None,
    }
}

fn obj<T: crate::api::Resource>(x: &T) -> ObjectRef {
    Arc::new(x.clone().into_object())
}

/// One write the collector sent.
#[derive(Clone, Debug)]
struct Action {
    at: SimTime,
    verb: &'static str,
    name: String,
    /// The pod a status write carried.
    pod: Option<Pod>,
    options: Option<DeleteOptions>,
}

struct Bench {
    h: Harness<Msg>,
    c: PodGC,
    inbox: Vec<Request>,
    timers: Vec<(SimTime, u64)>,
    pod_watch: u64,
    node_watch: u64,
    /// Nodes a GET finds.
    client_nodes: BTreeSet<String>,
    store: BTreeMap<String, Pod>,
    actions: Vec<Action>,
    /// Status writes to answer with 409 first.
    conflicts: u32,
    /// Watch events the answered writes cause, fed back after the answer.
    echo: Vec<WatchEvent>,
}

impl Bench {
    fn new(config: PodGCConfig) -> Self {
        Bench {
            h: Harness::new(&["kube-apiserver", "pod-garbage-collector"], ME, 1),
            c: PodGC::new(ApiClient::new(API), config),
            inbox: Vec::new(),
            timers: Vec::new(),
            pod_watch: 0,
            node_watch: 0,
            client_nodes: BTreeSet::new(),
            store: BTreeMap::new(),
            actions: Vec::new(),
            conflicts: 0,
            echo: Vec::new(),
        }
    }

    /// Upstream's NewFromClient with this threshold, gcCheckPeriod `period`.
    fn with(threshold: i64, period: SimDuration) -> Self {
        Bench::new(PodGCConfig {
            gc_check_period: period,
            terminated_pod_gc_threshold: threshold,
            quarantine_time: QUARANTINE,
        })
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

    /// Starts with these caches and client nodes; the first pass runs at once.
    fn start(&mut self, informer_nodes: &[Node], client_nodes: &[Node], pods: &[Pod]) {
        self.client_nodes = client_nodes
            .iter()
            .map(|n| n.metadata.name.clone())
            .collect();
        self.store = pods
            .iter()
            .map(|p| (p.metadata.name.clone(), p.clone()))
            .collect();
        self.feed(Input::Start);
        let lists = std::mem::take(&mut self.inbox);
        for resp in answer_lists(lists, |kind| match kind {
            Kind::Pod => pods.iter().map(obj).collect(),
            Kind::Node => informer_nodes.iter().map(obj).collect(),
            k => panic!("unexpected list of {k:?}"),
        }) {
            self.respond(resp.id, resp.result);
        }
        let (watches, rest) = take_watches(std::mem::take(&mut self.inbox));
        self.pod_watch = watches[&Kind::Pod];
        self.node_watch = watches[&Kind::Node];
        self.inbox = rest;
        self.serve();
    }

    fn node_event(&mut self, event: WatchEvent) {
        self.event(self.node_watch, event);
    }

    fn event(&mut self, watch_id: u64, event: WatchEvent) {
        self.feed(Input::Message {
            from: API,
            msg: Msg::Watch(Box::new(WatchMsg { watch_id, event })),
        });
    }

    fn serve(&mut self) {
        while !self.inbox.is_empty() {
            for r in std::mem::take(&mut self.inbox) {
                let result = self.answer(r.op);
                self.respond(r.id, result);
                for ev in std::mem::take(&mut self.echo) {
                    self.event(self.pod_watch, ev);
                }
            }
        }
    }

    fn record(&mut self, verb: &'static str, name: &str) -> &mut Action {
        self.actions.push(Action {
            at: self.h.now(),
            verb,
            name: name.to_string(),
            pod: None,
            options: None,
        });
        self.actions.last_mut().unwrap()
    }

    fn answer(&mut self, op: Op) -> Result<Reply, ApiError> {
        match op {
            Op::Get {
                kind: Kind::Node,
                name,
                ..
            } => {
                self.record("get-node", &name);
                if self.client_nodes.contains(&name) {
                    Ok(Reply::Object(obj(&new_node(&name))))
                } else {
                    Err(ApiError::not_found(Kind::Node, &name))
                }
            }
            Op::Get {
                kind: Kind::Pod,
                name,
                ..
            } => {
                self.record("get", &name);
                match self.store.get(&name) {
                    Some(p) => Ok(Reply::Object(obj(p))),
                    None => Err(ApiError::not_found(Kind::Pod, &name)),
                }
            }
            Op::UpdateStatus(Object::Pod(p)) => {
                let name = p.metadata.name.clone();
                self.record("patch", &name).pod = Some(p.clone());
                if self.conflicts > 0 {
                    self.conflicts -= 1;
                    return Err(ApiError::stale(Kind::Pod, &name));
                }
                match self.store.get_mut(&name) {
                    Some(cur) => {
                        cur.status = p.status;
                        self.echo.push(WatchEvent::Modified(obj(cur)));
                        Ok(Reply::Object(obj(cur)))
                    }
                    None => Err(ApiError::not_found(Kind::Pod, &name)),
                }
            }
            Op::Delete { name, options, .. } => {
                self.record("delete", &name).options = Some(options);
                match self.store.remove(&name) {
                    Some(p) => {
                        self.echo.push(WatchEvent::Deleted(obj(&p)));
                        Ok(Reply::Object(obj(&p)))
                    }
                    None => Err(ApiError::not_found(Kind::Pod, &name)),
                }
            }
            other => panic!("unexpected request {other:?}"),
        }
    }

    /// Moves time to `t`, firing due timers (the gc passes) in order.
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

    fn names(&self, verb: &str) -> BTreeSet<String> {
        self.actions
            .iter()
            .filter(|a| a.verb == verb)
            .map(|a| a.name.clone())
            .collect()
    }

    /// verifyDeletedAndPatchedPods.
    fn verify(&self, name: &str, deleted: &[&str], patched: &[&str]) {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(self.names("delete"), set(deleted), "[{name}] deleted");
        assert_eq!(self.names("patch"), set(patched), "[{name}] patched");
    }

    /// Names in the node queue that are ready at `t` (upstream's nodeQueue.Len()).
    fn ready_in_queue(&self, t: SimTime) -> usize {
        let q = &self.c.node_queue;
        q.ready.len() + q.waiting.values().filter(|at| **at <= t).count()
    }
}

/// TestGCTerminated (the cases without an "Evicted" status reason).
#[test]
fn gc_terminated() {
    let f = "Failed";
    let s = "Succeeded";
    let cases: Vec<(&str, Phases, i64, Names)> = vec![
        (
            "delete pod a which is PodFailed and pod b which is PodSucceeded",
            vec![("a", f), ("b", s), ("c", f)],
            1,
            vec!["a", "b"],
        ),
        (
            "threshold = 0, disables terminated pod deletion",
            vec![("a", f), ("b", s)],
            0,
            vec![],
        ),
        (
            "threshold = 1, delete pod a which is PodFailed and pod b which is PodSucceeded",
            vec![("a", f), ("b", s), ("c", f)],
            1,
            vec!["a", "b"],
        ),
        (
            "threshold = 1, delete pod b which is PodSucceeded",
            vec![("a", "Running"), ("b", s), ("c", f)],
            1,
            vec!["b"],
        ),
        (
            "threshold = 1, delete pod a which is PodFailed",
            vec![("a", f), ("b", s)],
            1,
            vec!["a"],
        ),
        (
            "threshold = 5, don't delete pod",
            vec![("a", f), ("b", s)],
            5,
            vec![],
        ),
    ];
    for (name, pods, threshold, deleted) in cases {
        let pods: Vec<Pod> = pods
            .iter()
            .enumerate()
            .map(|(i, (n, phase))| pod_at(n, "node", phase, i as u64 + 1, false))
            .collect();
        let mut b = Bench::with(threshold, SimDuration::from_secs(20));
        b.start(&[], &[new_node("node")], &pods);
        b.verify(name, &deleted, &[]);
        for a in &b.actions {
            if a.verb == "delete" {
                assert_eq!(a.options.as_ref().unwrap().grace_period_seconds, Some(0));
            }
        }
    }
}

/// The oldest terminated pods go first, whatever their names.
#[test]
fn gc_terminated_deletes_the_oldest() {
    let pods = vec![
        pod_at("z-old", "node", "Failed", 1, false),
        pod_at("a-new", "node", "Failed", 3, false),
        pod_at("m-mid", "node", "Succeeded", 2, false),
    ];
    let mut b = Bench::with(1, SimDuration::from_secs(20));
    b.start(&[new_node("node")], &[new_node("node")], &pods);
    b.verify("oldest", &["z-old", "m-mid"], &[]);
}

/// TestGCOrphaned (without the finalizer case).
#[test]
fn gc_orphaned() {
    struct Case {
        name: &'static str,
        client_nodes: Vec<&'static str>,
        informer_nodes: Vec<&'static str>,
        delay: SimDuration,
        added_client: Vec<&'static str>,
        deleted_client: Vec<&'static str>,
        added_informer: Vec<&'static str>,
        deleted_informer: Vec<&'static str>,
        pods: Vec<Pod>,
        items_in_queue: usize,
        deleted: Vec<&'static str>,
        patched: Vec<&'static str>,
    }
    let base = Case {
        name: "",
        client_nodes: vec![],
        informer_nodes: vec![],
        delay: SimDuration(2 * QUARANTINE.0),
        added_client: vec![],
        deleted_client: vec![],
        added_informer: vec![],
        deleted_informer: vec![],
        pods: vec![],
        items_in_queue: 0,
        deleted: vec![],
        patched: vec![],
    };
    let (running, failed, succeeded) = ("Running", "Failed", "Succeeded");
    let cases = vec![
        Case {
            name: "nodes present in lister",
            informer_nodes: vec!["existing1", "existing2"],
            pods: vec![
                make_pod("a", "existing1", running),
                make_pod("b", "existing2", failed),
                make_pod("c", "existing2", succeeded),
            ],
            ..base.clone_empty()
        },
        Case {
            name: "nodes present in client",
            client_nodes: vec!["existing1", "existing2"],
            pods: vec![
                make_pod("a", "existing1", running),
                make_pod("b", "existing2", failed),
                make_pod("c", "existing2", succeeded),
            ],
            items_in_queue: 2,
            ..base.clone_empty()
        },
        Case {
            name: "no nodes",
            pods: vec![
                make_pod("a", "deleted", failed),
                make_pod("b", "deleted", succeeded),
            ],
            items_in_queue: 1,
            deleted: vec!["a", "b"],
            ..base.clone_empty()
        },
        Case {
            name: "no nodes, one running pod",
            pods: vec![
                make_pod("a", "deleted", failed),
                make_pod("b", "deleted", succeeded),
                make_pod("c", "deleted", running),
            ],
            items_in_queue: 1,
            deleted: vec!["a", "b", "c"],
            patched: vec!["c"],
            ..base.clone_empty()
        },
        Case {
            name: "quarantine not finished",
            delay: SimDuration(QUARANTINE.0 / 2),
            pods: vec![make_pod("a", "deleted", failed)],
            ..base.clone_empty()
        },
        Case {
            name: "wrong nodes",
            informer_nodes: vec!["existing"],
            pods: vec![make_pod("a", "deleted", running)],
            items_in_queue: 1,
            deleted: vec!["a"],
            patched: vec!["a"],
            ..base.clone_empty()
        },
        Case {
            name: "some nodes missing",
            informer_nodes: vec!["existing"],
            pods: vec![
                make_pod("a", "deleted", failed),
                make_pod("b", "existing", failed),
                make_pod("c", "deleted", succeeded),
                make_pod("d", "deleted", running),
            ],
            items_in_queue: 1,
            deleted: vec!["a", "c", "d"],
            patched: vec!["d"],
            ..base.clone_empty()
        },
        Case {
            name: "node added to client after quarantine",
            added_client: vec!["node"],
            pods: vec![make_pod("a", "node", running)],
            items_in_queue: 1,
            ..base.clone_empty()
        },
        Case {
            name: "node added to informer after quarantine",
            added_informer: vec!["node"],
            pods: vec![make_pod("a", "node", failed)],
            items_in_queue: 1,
            ..base.clone_empty()
        },
        Case {
            name: "node deleted from client after quarantine",
            client_nodes: vec!["node"],
            deleted_client: vec!["node"],
            pods: vec![make_pod("a", "node", failed)],
            items_in_queue: 1,
            deleted: vec!["a"],
            ..base.clone_empty()
        },
        Case {
            name: "node deleted from informer after quarantine",
            informer_nodes: vec!["node"],
            deleted_informer: vec!["node"],
            pods: vec![make_pod("a", "node", succeeded)],
            ..base.clone_empty()
        },
    ];
    impl Case {
        fn clone_empty(&self) -> Case {
            Case {
                name: "",
                client_nodes: vec![],
                informer_nodes: vec![],
                delay: self.delay,
                added_client: vec![],
                deleted_client: vec![],
                added_informer: vec![],
                deleted_informer: vec![],
                pods: vec![],
                items_in_queue: 0,
                deleted: vec![],
                patched: vec![],
            }
        }
    }
    let nodes = |v: &[&str]| v.iter().map(|n| new_node(n)).collect::<Vec<_>>();
    for c in cases {
        // gcCheckPeriod = delay: the second pass is upstream's second gcc.gc call.
        let mut b = Bench::with(-1, c.delay);
        b.start(&nodes(&c.informer_nodes), &nodes(&c.client_nodes), &c.pods);
        assert!(b.names("delete").is_empty(), "[{}] first pass", c.name);
        let second = SimTime(c.delay.0);
        b.run_until(SimTime(second.0 - 1));
        assert_eq!(
            b.ready_in_queue(second),
            c.items_in_queue,
            "[{}] queue",
            c.name
        );
        for n in &c.added_client {
            b.client_nodes.insert(n.to_string());
        }
        for n in &c.deleted_client {
            b.client_nodes.remove(*n);
        }
        for n in &c.added_informer {
            b.node_event(WatchEvent::Added(obj(&new_node(n))));
        }
        for n in &c.deleted_informer {
            b.node_event(WatchEvent::Deleted(obj(&new_node(n))));
        }
        b.run_until(second);
        b.verify(c.name, &c.deleted, &c.patched);
    }
}

/// TestGCUnscheduledTerminating (without the finalizer case), through a whole pass.
#[test]
fn gc_unscheduled_terminating() {
    let cases: Vec<(&str, Vec<Pod>, Names, Names)> = vec![
        (
            "Unscheduled pod in any phase must be deleted",
            vec![
                pod_at("a", "", "Failed", 1, true),
                pod_at("b", "", "Succeeded", 2, true),
                pod_at("c", "", "Running", 3, true),
            ],
            vec!["a", "b", "c"],
            vec!["c"],
        ),
        (
            "Scheduled pod in any phase must not be deleted",
            vec![
                pod_at("a", "", "Failed", 1, false),
                pod_at("b", "node", "Succeeded", 2, false),
                pod_at("c", "node", "Running", 3, true),
            ],
            vec![],
            vec![],
        ),
    ];
    for (name, pods, deleted, patched) in cases {
        let mut b = Bench::with(-1, SimDuration::from_secs(20));
        b.start(&[], &[], &pods);
        b.verify(name, &deleted, &patched);
    }
}

/// (name, nodes, pods, deleted, patched).
type TerminatingCase = (&'static str, Vec<Node>, Vec<Pod>, Names, Names);

/// TestGCTerminating (without the finalizer case).
#[test]
fn gc_terminating() {
    let (f, t) = ("False", "True");
    let oos = |effect: &str| vec![out_of_service(effect, "")];
    let cases: Vec<TerminatingCase> = vec![
        (
            "pods have deletion timestamp set and the corresponding nodes are not ready",
            vec![
                node_with("worker-0", f, vec![]),
                node_with("worker-1", f, vec![]),
            ],
            vec![
                pod_at("a", "worker-0", "", 1, true),
                pod_at("b", "worker-1", "", 2, true),
            ],
            vec![],
            vec![],
        ),
        (
            "some pods have deletion timestamp and/or phase set and some of the corresponding \
             nodes have an outofservice taint that are not ready",
            vec![
                node_with("worker-0", f, oos("NoExecute")),
                node_with("worker-1", f, vec![]),
                node_with("worker-2", t, vec![]),
                node_with("worker-3", f, oos("NoSchedule")),
                node_with("worker-4", f, oos("PreferNoSchedule")),
                node_with(
                    "worker-5",
                    f,
                    vec![out_of_service("NoExecute", "any-value")],
                ),
            ],
            {
                let mut pods = Vec::new();
                let mut hour = 0;
                for (i, node) in [
                    "worker-0", "worker-1", "worker-2", "worker-3", "worker-4", "worker-5",
                ]
                .iter()
                .enumerate()
                {
                    let n = i + 1;
                    // Upstream puts a5 on worker-3.
                    let a_node = if n == 5 { "worker-3" } else { node };
                    for (p, node, phase, deleting) in [
                        ("a", a_node, "", false),
                        ("b", *node, "", true),
                        ("c", *node, "Pending", false),
                        ("d", *node, "Running", false),
                        ("e", *node, "Unknown", false),
                    ] {
                        hour += 1;
                        pods.push(pod_at(&format!("{p}{n}"), node, phase, hour, deleting));
                    }
                }
                pods
            },
            vec!["b1", "b4", "b5", "b6"],
            vec!["b1", "b4", "b5", "b6"],
        ),
        (
            "pods deleted from node tainted out-of-service",
            vec![node_with("worker", f, oos("NoExecute"))],
            vec![
                pod_at("a", "worker", "Running", 1, true),
                pod_at("b", "worker", "Failed", 2, true),
                pod_at("c", "worker", "Succeeded", 3, true),
            ],
            vec!["a", "b", "c"],
            vec!["a"],
        ),
    ];
    for (name, nodes, pods, deleted, patched) in cases {
        let mut b = Bench::with(-1, SimDuration::from_secs(20));
        b.start(&nodes, &nodes, &pods);
        b.verify(name, &deleted, &patched);
    }
}

/// TestGCInspectingPatchedPodBeforeDeletion: the orphaned pod is marked Failed with
/// DisruptionTarget, then deleted with grace period 0.
#[test]
fn gc_inspecting_patched_pod_before_deletion() {
    let mut pod = make_pod("testPod", "deletedNode", "Running");
    pod.status.conditions = vec![PodCondition {
        type_: "Ready".into(),
        status: "True".into(),
        ..Default::default()
    }];
    let mut b = Bench::new(PodGCConfig {
        gc_check_period: SimDuration::from_secs(20),
        terminated_pod_gc_threshold: -1,
        quarantine_time: SimDuration::ZERO,
    });
    b.start(&[], &[], &[pod]);
    let patch = b
        .actions
        .iter()
        .find(|a| a.verb == "patch")
        .expect("patched");
    let status = &patch.pod.as_ref().unwrap().status;
    assert_eq!(status.phase, "Failed");
    let conds: Vec<(&str, &str, &str, &str)> = status
        .conditions
        .iter()
        .map(|c| {
            (
                c.type_.as_str(),
                c.status.as_str(),
                c.reason.as_str(),
                c.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        conds,
        [
            ("Ready", "True", "", ""),
            (
                "DisruptionTarget",
                "True",
                "DeletionByPodGC",
                "PodGC: node no longer exists"
            ),
        ]
    );
    let delete = b
        .actions
        .iter()
        .find(|a| a.verb == "delete")
        .expect("deleted");
    assert_eq!(delete.name, "testPod");
    assert_eq!(
        delete.options,
        Some(DeleteOptions {
            grace_period_seconds: Some(0),
            ..Default::default()
        })
    );
}

// ----- kubesim -----

#[test]
fn defaults_are_upstreams() {
    let c = PodGCConfig::default();
    assert_eq!(c.gc_check_period, SimDuration::from_secs(20));
    assert_eq!(c.terminated_pod_gc_threshold, 12500);
    assert_eq!(c.quarantine_time, SimDuration::from_secs(40));
}

/// A node deleted at 5 s: quarantined by the pass at 20 s, confirmed gone by the GET of the
/// pass at 60 s, then its pod is marked Failed and force deleted.
#[test]
fn a_pod_on_a_deleted_node_goes_after_the_quarantine() {
    let mut b = Bench::new(PodGCConfig::default());
    let node = new_node("n1");
    b.start(
        std::slice::from_ref(&node),
        std::slice::from_ref(&node),
        &[make_pod("web", "n1", "Running")],
    );
    b.run_until(secs(5));
    b.client_nodes.clear();
    b.node_event(WatchEvent::Deleted(obj(&node)));
    b.run_until(secs(600));
    let got: Vec<(&str, SimTime)> = b.actions.iter().map(|a| (a.verb, a.at)).collect();
    assert_eq!(
        got,
        [
            ("get-node", secs(60)),
            ("patch", secs(60)),
            ("delete", secs(60))
        ]
    );
}

/// Passes run every gcCheckPeriod after the previous one ended.
#[test]
fn passes_repeat_every_period() {
    let mut b = Bench::new(PodGCConfig::default());
    b.start(&[], &[], &[]);
    b.run_until(secs(61));
    let mut due: Vec<SimTime> = b.timers.iter().map(|t| t.0).collect();
    due.sort();
    assert_eq!(due, [secs(80)], "passes at 0, 20, 40, 60; next at 80");
}

/// A status write on a stale snapshot (409) re-reads the pod and writes again.
#[test]
fn a_conflicting_status_write_is_retried_on_a_fresh_read() {
    let mut b = Bench::with(-1, SimDuration::from_secs(20));
    b.conflicts = 1;
    b.start(&[], &[], &[pod_at("p", "", "Running", 1, true)]);
    let verbs: Vec<&str> = b.actions.iter().map(|a| a.verb).collect();
    assert_eq!(verbs, ["patch", "get", "patch", "delete"]);
}

/// Orphaned and unscheduled pods go one after another: each pod's status write and delete
/// before the next pod's.
#[test]
fn orphaned_pods_are_deleted_one_after_another() {
    let mut b = Bench::new(PodGCConfig {
        quarantine_time: SimDuration::ZERO,
        ..PodGCConfig::default()
    });
    b.start(
        &[],
        &[],
        &[
            make_pod("a", "gone", "Running"),
            make_pod("b", "gone", "Running"),
        ],
    );
    let got: Vec<(&str, &str)> = b
        .actions
        .iter()
        .map(|a| (a.verb, a.name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("get-node", "gone"),
            ("patch", "a"),
            ("delete", "a"),
            ("patch", "b"),
            ("delete", "b")
        ]
    );
}

/// The indexes follow the pod cache: a pod marked for deletion after the start is collected
/// by the next pass.
#[test]
fn later_passes_see_pod_changes() {
    let mut b = Bench::new(PodGCConfig::default());
    let pod = pod_at("p", "", "Pending", 1, false);
    b.start(&[], &[], std::slice::from_ref(&pod));
    b.run_until(secs(5));
    let deleting = pod_at("p", "", "Pending", 1, true);
    b.store.insert("p".into(), deleting.clone());
    b.event(b.pod_watch, WatchEvent::Modified(obj(&deleting)));
    b.run_until(secs(100));
    let got: Vec<(&str, SimTime)> = b.actions.iter().map(|a| (a.verb, a.at)).collect();
    assert_eq!(got, [("patch", secs(20)), ("delete", secs(20))]);
    assert!(b.c.deleting.is_empty() && b.c.by_node.is_empty());
}
