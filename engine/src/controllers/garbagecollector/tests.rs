//! Garbage collector tests: the graph builder alone, the actor against a scripted API (upstream's
//! fake metadata client: answers from a map, sends no watch events), and the actor against the
//! real API server for the three propagation policies.

use super::graph::{
    alternate_owner_identity, EventType, GcNode, GraphBuilder, GraphEvent, ObjectInfo,
    ObjectReference, QueueKey, ReferenceCache,
};
use super::*;
use crate::api::pod::PodSpec;
use crate::api::{
    ApiError, ApiServer, ApiServerConfig, Container, DaemonSet, Deployment, LabelSelector, Pod,
    ReplicaSet, Request, Time, WatchEvent, WatchMsg,
};
use crate::sim::testing::{Harness, Sent};
use crate::sim::{ActorId, EventId};
use std::sync::Arc;

const API: ActorId = ActorId(0);
const GC: ActorId = ActorId(1);
const KUBECTL: ActorId = ActorId(2);
const NAMES: [&str; 3] = ["kube-apiserver", ACTOR_NAME, "kubectl"];

/// makeID.
fn id(api_version: &str, kind: &str, ns: &str, name: &str, uid: &str) -> ObjectReference {
    ObjectReference {
        kind: kind.into(),
        api_version: api_version.into(),
        namespace: ns.into(),
        name: name.into(),
        uid: uid.into(),
    }
}

fn owner_ref(o: &ObjectReference) -> OwnerReference {
    OwnerReference {
        api_version: o.api_version.clone(),
        kind: o.kind.clone(),
        name: o.name.clone(),
        uid: o.uid.clone(),
        ..Default::default()
    }
}

/// makeNode(identity, withOwners(...)).
fn node(identity: &ObjectReference, owners: &[&ObjectReference]) -> GcNode {
    GcNode {
        identity: identity.clone(),
        owners: owners.iter().map(|o| owner_ref(o)).collect(),
        being_deleted: false,
        deleting_dependents: false,
        is_virtual: false,
        incarnation: 0,
    }
}

/// makeMetadataObj: an object of `identity`'s kind with these owners.
fn obj(identity: &ObjectReference, owners: &[&ObjectReference]) -> ObjectRef {
    let mut o = match identity.kind.as_str() {
        "Pod" => Object::Pod(Pod::default()),
        "ReplicaSet" => Object::ReplicaSet(ReplicaSet::default()),
        "Deployment" => Object::Deployment(Deployment::default()),
        "DaemonSet" => Object::DaemonSet(DaemonSet::default()),
        k => panic!("no stored kind {k}"),
    };
    o.set_type_meta();
    let m = o.meta_mut();
    m.namespace = identity.namespace.clone();
    m.name = identity.name.clone();
    m.uid = identity.uid.clone();
    m.resource_version = 1;
    m.owner_references = owners.iter().map(|r| owner_ref(r)).collect();
    Arc::new(o)
}

/// "apiVersion/Kind namespace/name", as upstream's objectReference String() shows it.
fn show(r: &ObjectReference) -> String {
    format!("{}/{} {}/{}", r.api_version, r.kind, r.namespace, r.name)
}

/// verifyGraphInvariants: owners list their dependents and dependents list their owners.
fn verify_graph_invariants(b: &GraphBuilder) {
    let g = &b.graph;
    for n in g.nodes() {
        let uid = &n.identity.uid;
        for d in g.dependents(uid) {
            let dep = g.get(&d).expect("dependent in graph");
            assert!(
                dep.owners.iter().any(|r| r.uid == *uid),
                "{uid} has dependent {d} that does not list it"
            );
        }
        for r in &n.owners {
            if g.contains(&r.uid) {
                assert!(
                    g.dependents(&r.uid).contains(uid),
                    "{uid} lists owner {} that does not have it as a dependent",
                    r.uid
                );
            }
        }
    }
}

/// createEvent(eventType, selfUID, owners): a pod known by uid only.
fn uid_event(type_: EventType, uid: &str, owners: &[&str]) -> GraphEvent {
    GraphEvent {
        type_,
        is_virtual: false,
        obj: ObjectInfo {
            identity: id("", "", "", "", uid),
            owners: owners
                .iter()
                .map(|u| OwnerReference {
                    uid: (*u).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
        old: None,
    }
}

/// garbagecollector_test.go TestProcessEvent.
#[test]
fn process_event_keeps_the_graph_consistent() {
    use EventType::{Add, Delete, Update};
    let scenarios: Vec<(&str, Vec<GraphEvent>)> = vec![
        (
            "test1",
            vec![
                uid_event(Add, "1", &[]),
                uid_event(Add, "2", &["1"]),
                uid_event(Add, "3", &["1", "2"]),
            ],
        ),
        (
            "test2",
            vec![
                uid_event(Add, "1", &[]),
                uid_event(Add, "2", &["1"]),
                uid_event(Add, "3", &["1", "2"]),
                uid_event(Add, "4", &["2"]),
                uid_event(Delete, "2", &["doesn't matter"]),
            ],
        ),
        (
            "test3",
            vec![
                uid_event(Add, "1", &[]),
                uid_event(Add, "2", &["1"]),
                uid_event(Add, "3", &["1", "2"]),
                uid_event(Add, "4", &["3"]),
                uid_event(Update, "2", &["4"]),
            ],
        ),
        (
            "reverse test2",
            vec![
                uid_event(Add, "4", &["2"]),
                uid_event(Add, "3", &["1", "2"]),
                uid_event(Add, "2", &["1"]),
                uid_event(Add, "1", &[]),
                uid_event(Delete, "2", &["doesn't matter"]),
            ],
        ),
    ];
    for (name, events) in scenarios {
        let mut b = GraphBuilder::default();
        for e in &events {
            b.process(e);
            verify_graph_invariants(&b);
        }
        assert!(!b.graph.is_empty(), "{name}");
    }
}

/// garbagecollector_test.go TestDependentsRace (a data-race check upstream): dependents added
/// and removed over and over leave the owner without dependents.
#[test]
fn dependents_added_and_removed_repeatedly() {
    let mut b = GraphBuilder::default();
    b.process(&uid_event(EventType::Add, "owner", &[]));
    let owner = [OwnerReference {
        uid: "owner".into(),
        ..Default::default()
    }];
    for i in 0..100 {
        let dep = format!("dep{i}");
        b.process(&uid_event(EventType::Add, &dep, &[]));
        b.add_dependent_to_owners(&dep, &owner);
        b.remove_dependent_from_owners(&dep, &owner);
    }
    assert!(b.graph.dependents("owner").is_empty());
    assert_eq!(b.graph.len(), 101);
}

/// graph_builder_test.go TestGetAlternateOwnerIdentity.
#[test]
fn alternate_owner_identity_table() {
    let ns1child1 = id("v1", "Child", "ns1", "child1", "childuid11");
    let ns1child2 = id("v1", "Child", "ns1", "child2", "childuid12");
    let ns2child1 = id("v1", "Child", "ns2", "child1", "childuid21");
    let clusterchild1 = id("v1", "Child", "", "child1", "childuidc1");

    let nsabsentparentns1 = id("v1", "NSParent", "ns1", "parentname", "parentuid");
    let nsabsentparentns2 = id("v1", "NSParent", "ns2", "parentname", "parentuid");
    let nsabsentparent_version = id("xx", "NSParent", "ns1", "parentname", "parentuid");
    let nsabsentparent_kind = id("v1", "xxxxxxxx", "ns1", "parentname", "parentuid");
    let nsabsentparent_name = id("v1", "NSParent", "ns1", "xxxxxxxxxx", "parentuid");

    let clusterabsentparent = id("v1", "ClusterParent", "", "parentname", "parentuid");
    let clusterabsentparent_version = id("xx", "ClusterParent", "", "parentname", "parentuid");
    let clusterabsentparent_kind = id("v1", "xxxxxxxxxxxxx", "", "parentname", "parentuid");
    let clusterabsentparent_name = id("v1", "ClusterParent", "", "xxxxxxxxxx", "parentuid");
    let clusterabsentparent_ns1_version =
        id("xx", "ClusterParent", "ns1", "parentname", "parentuid");
    let clusterabsentparent_ns1_kind = id("v1", "xxxxxxxxxxxxx", "ns1", "parentname", "parentuid");

    let ordered_ns: Vec<ObjectReference> = (1..=5)
        .map(|v| id(&format!("v{v}"), "kind", "ns1", "name", "uid"))
        .collect();
    let ordered_cluster: Vec<ObjectReference> = (1..=5)
        .map(|v| id(&format!("v{v}"), "kind", "", "name", "uid"))
        .collect();
    let ns_refs: Vec<&ObjectReference> = ordered_ns.iter().collect();
    let cluster_refs: Vec<&ObjectReference> = ordered_cluster.iter().collect();
    let unrelated = id("v1", "Parent", "ns1", "name", "anotheruid");

    let cases: Vec<(
        &str,
        Vec<GcNode>,
        &ObjectReference,
        Option<&ObjectReference>,
    )> = vec![
        (
            "namespaced alternate version",
            vec![
                node(&ns1child1, &[&nsabsentparentns1]),
                node(&ns1child2, &[&nsabsentparent_version]),
            ],
            &nsabsentparentns1,
            Some(&nsabsentparent_version),
        ),
        (
            "namespaced alternate kind",
            vec![
                node(&ns1child1, &[&nsabsentparentns1]),
                node(&ns1child2, &[&nsabsentparent_kind]),
            ],
            &nsabsentparentns1,
            Some(&nsabsentparent_kind),
        ),
        (
            "namespaced alternate namespace",
            vec![
                node(&ns1child1, &[&nsabsentparentns1]),
                node(&ns2child1, &[&nsabsentparentns2]),
            ],
            &nsabsentparentns1,
            Some(&nsabsentparentns2),
        ),
        (
            "namespaced alternate name",
            vec![
                node(&ns1child1, &[&nsabsentparentns1]),
                node(&ns1child1, &[&nsabsentparent_name]),
            ],
            &nsabsentparentns1,
            Some(&nsabsentparent_name),
        ),
        (
            "cluster alternate version",
            vec![
                node(&ns1child1, &[&clusterabsentparent]),
                node(&ns1child2, &[&clusterabsentparent_version]),
            ],
            &clusterabsentparent,
            Some(&clusterabsentparent_ns1_version),
        ),
        (
            "cluster alternate kind",
            vec![
                node(&ns1child1, &[&clusterabsentparent]),
                node(&ns1child2, &[&clusterabsentparent_kind]),
            ],
            &clusterabsentparent,
            Some(&clusterabsentparent_ns1_kind),
        ),
        (
            "cluster alternate namespace",
            vec![
                node(&ns1child1, &[&clusterabsentparent]),
                node(&ns2child1, &[&clusterabsentparent]),
            ],
            &clusterabsentparent,
            None,
        ),
        (
            "cluster alternate name",
            vec![
                node(&ns1child1, &[&clusterabsentparent]),
                node(&ns1child1, &[&clusterabsentparent_name]),
            ],
            &clusterabsentparent,
            Some(&clusterabsentparent_name),
        ),
        (
            "namespaced ref from namespaced child returns first if absent is sorted last",
            vec![node(&ns1child1, &ns_refs)],
            &ordered_ns[4],
            Some(&ordered_ns[0]),
        ),
        (
            "namespaced ref from namespaced child returns next after absent",
            vec![node(&ns1child1, &ns_refs)],
            &ordered_ns[3],
            Some(&ordered_ns[4]),
        ),
        (
            "cluster ref from cluster child returns first if absent is sorted last",
            vec![node(&clusterchild1, &cluster_refs)],
            &ordered_cluster[4],
            Some(&ordered_cluster[0]),
        ),
        (
            "cluster ref from cluster child returns next after absent",
            vec![node(&clusterchild1, &cluster_refs)],
            &ordered_cluster[3],
            Some(&ordered_cluster[4]),
        ),
        (
            "ignore unrelated",
            vec![node(&ns1child1, &[&clusterabsentparent, &unrelated])],
            &clusterabsentparent,
            None,
        ),
        (
            "ignore matches",
            vec![node(
                &ns1child1,
                &[&clusterabsentparent, &clusterabsentparent],
            )],
            &clusterabsentparent,
            None,
        ),
        (
            "collapse duplicates",
            vec![node(
                &clusterchild1,
                &[
                    &clusterabsentparent,
                    &clusterabsentparent_kind,
                    &clusterabsentparent_kind,
                ],
            )],
            &clusterabsentparent,
            Some(&clusterabsentparent_kind),
        ),
    ];
    for (name, deps, absent, want) in cases {
        let refs: Vec<&GcNode> = deps.iter().collect();
        assert_eq!(
            alternate_owner_identity(&refs, absent).as_ref(),
            want,
            "{name}"
        );
    }
}

/// garbagecollector_test.go TestDeleteOwnerRefPatch: references to 2 and 3 go, 1 stays.
#[test]
fn delete_owner_ref_patch() {
    let mut p = Pod::default();
    p.metadata.uid = "100".into();
    for u in ["1", "2", "3"] {
        p.metadata.owner_references.push(OwnerReference {
            uid: u.into(),
            ..Default::default()
        });
    }
    let got = without_owner_refs(&Object::Pod(p), &["2", "3"]);
    let uids: Vec<&str> = got
        .meta()
        .owner_references
        .iter()
        .map(|r| r.uid.as_str())
        .collect();
    assert_eq!(uids, ["1"]);
    assert_eq!(got.meta().uid, "100");
}

/// garbagecollector_test.go TestUnblockOwnerReference: true and false become false, unset
/// stays unset.
#[test]
fn unblock_owner_reference() {
    let mut p = Pod::default();
    for (u, block) in [("1", Some(true)), ("2", Some(false)), ("3", None)] {
        p.metadata.owner_references.push(OwnerReference {
            uid: u.into(),
            block_owner_deletion: block,
            ..Default::default()
        });
    }
    let got = unblocked(&Object::Pod(p));
    let blocks: Vec<Option<bool>> = got
        .meta()
        .owner_references
        .iter()
        .map(|r| r.block_owner_deletion)
        .collect();
    assert_eq!(blocks, [Some(false), Some(false), None]);
}

/// The absent owner cache forgets the least recently used entry; a hit counts as a use.
#[test]
fn reference_cache_is_lru() {
    let mut c = ReferenceCache::new(2);
    let (a, b, d) = (
        id("v1", "Pod", "ns", "a", "1"),
        id("v1", "Pod", "ns", "b", "2"),
        id("v1", "Pod", "ns", "d", "3"),
    );
    c.add(a.clone());
    c.add(b.clone());
    assert!(c.has(&a));
    c.add(d.clone());
    assert!(c.has(&a) && c.has(&d) && !c.has(&b));
    assert_eq!(c.len(), 2);
}

/// processTransitions: deletion with foregroundDeletion marks the node and queues it after its
/// dependents; deletion with orphan queues it for orphaning.
#[test]
fn transitions_queue_foreground_and_orphan_work() {
    let owner = id("apps/v1", "ReplicaSet", "ns", "rs", "rs-uid");
    let pod = id("v1", "Pod", "ns", "p", "pod-uid");
    for (finalizer, want_orphan) in [(FINALIZER_FOREGROUND, false), (FINALIZER_ORPHAN, true)] {
        let mut b = GraphBuilder::default();
        let live = ObjectInfo::of(&obj(&owner, &[]));
        let add = |info: ObjectInfo| GraphEvent {
            type_: EventType::Add,
            is_virtual: false,
            obj: info,
            old: None,
        };
        b.process(&add(live.clone()));
        b.process(&add(ObjectInfo::of(&obj(&pod, &[&owner]))));
        assert!(b.take_enqueued().is_empty());
        let mut deleting = live.clone();
        deleting.deleting = true;
        deleting.finalizers = vec![finalizer.into()];
        b.process(&GraphEvent {
            type_: EventType::Update,
            is_virtual: false,
            obj: deleting,
            old: Some(live),
        });
        let key = |r: &ObjectReference| b.graph.get(&r.uid).unwrap().key();
        let want = if want_orphan {
            vec![Enqueue::Orphan(key(&owner))]
        } else {
            vec![Enqueue::Delete(key(&pod)), Enqueue::Delete(key(&owner))]
        };
        assert_eq!(b.take_enqueued(), want, "{finalizer}");
        assert_eq!(
            b.graph.get("rs-uid").unwrap().deleting_dependents,
            !want_orphan
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The actor against a scripted API.

/// The garbage collector with a scripted API server: requests are answered from `objects` at
/// once (recording upstream-style client actions), watch events come only from the test, and
/// the work-queue timer fires only when the test says so.
struct Scripted {
    h: Harness<Msg>,
    gc: GarbageCollector,
    objects: BTreeMap<(Kind, String, String), ObjectRef>,
    actions: Vec<String>,
    /// The next action starting with the text fails with the error.
    failures: Vec<(String, ApiError)>,
    watches: BTreeMap<Kind, u64>,
    kick: bool,
    rv: u64,
}

impl Scripted {
    fn new(workers: usize) -> Self {
        let config = GarbageCollectorConfig {
            concurrent_gc_syncs: workers,
        };
        Scripted {
            h: Harness::new(&NAMES, GC, 1),
            gc: GarbageCollector::with_config(ApiClient::new(API), config),
            objects: BTreeMap::new(),
            actions: Vec::new(),
            failures: Vec::new(),
            watches: BTreeMap::new(),
            kick: false,
            rv: 100,
        }
    }

    /// Starts the collector; its informers list `initial`.
    fn start(&mut self, initial: Vec<ObjectRef>) {
        let lists = self.collect(Input::Start);
        for (id, kind) in lists {
            let items = initial
                .iter()
                .filter(|o| o.kind() == kind)
                .cloned()
                .collect();
            let reply = Ok(Reply::List {
                items,
                resource_version: self.rv,
            });
            self.respond(id, reply);
        }
        assert!(self.gc.synced);
    }

    /// Feeds `input`; answers the requests it causes, fires one-off timers at once, remembers
    /// the work-queue timer. Returns the list requests (not answered).
    fn collect(&mut self, input: Input<Msg>) -> Vec<(u64, Kind)> {
        let mut lists = Vec::new();
        let mut todo: VecDeque<Sent<Msg>> = self.h.feed(&mut self.gc, input).into();
        while let Some(s) = todo.pop_front() {
            let more = match s {
                Sent::Timer {
                    tag: TIMER_KICK, ..
                } => {
                    self.kick = true;
                    continue;
                }
                Sent::Timer { at, tag } => {
                    self.h.set_now(at.max(self.h.now()));
                    let id = EventId(0);
                    self.h.feed(&mut self.gc, Input::Timer { id, tag })
                }
                Sent::Message {
                    msg: Msg::Request(r),
                    ..
                } => match r.op {
                    Op::List { kind, .. } => {
                        lists.push((r.id, kind));
                        continue;
                    }
                    Op::Watch { watch_id, kind, .. } => {
                        self.watches.insert(kind, watch_id);
                        continue;
                    }
                    op => {
                        let result = self.answer(op);
                        self.feed_response(r.id, result)
                    }
                },
                Sent::Message { .. } => continue,
            };
            todo.extend(more);
        }
        lists
    }

    fn feed_response(&mut self, id: u64, result: Result<Reply, ApiError>) -> Vec<Sent<Msg>> {
        let msg = Msg::Response(Box::new(Response { id, result }));
        self.h.feed(&mut self.gc, Input::Message { from: API, msg })
    }

    fn respond(&mut self, id: u64, result: Result<Reply, ApiError>) {
        let msg = Msg::Response(Box::new(Response { id, result }));
        self.collect(Input::Message { from: API, msg });
    }

    fn key(o: &Object) -> (Kind, String, String) {
        (o.kind(), o.meta().namespace.clone(), o.meta().name.clone())
    }

    /// createObjectInClient.
    fn create(&mut self, o: ObjectRef) {
        self.objects.insert(Self::key(&o), o);
    }

    fn fail_next(&mut self, action: &str, e: ApiError) {
        self.failures.push((action.into(), e));
    }

    /// The fake API: GET, DELETE (uid precondition) and UPDATE (resourceVersion precondition).
    fn answer(&mut self, op: Op) -> Result<Reply, ApiError> {
        let (action, key) = match &op {
            Op::Get {
                kind,
                namespace,
                name,
            } => (
                format!("get {kind} {namespace}/{name}"),
                (*kind, namespace.clone(), name.clone()),
            ),
            Op::Delete {
                kind,
                namespace,
                name,
                options,
            } => {
                let policy = options.propagation_policy.as_deref().unwrap_or("-");
                (
                    format!("delete {kind} {namespace}/{name} {policy}"),
                    (*kind, namespace.clone(), name.clone()),
                )
            }
            Op::Update(o) => {
                let m = o.meta();
                (
                    format!("update {} {}/{}", o.kind(), m.namespace, m.name),
                    Self::key(o),
                )
            }
            other => panic!("unexpected request {other:?}"),
        };
        self.actions.push(action.clone());
        if let Some(i) = self.failures.iter().position(|f| action.starts_with(&f.0)) {
            return Err(self.failures.remove(i).1);
        }
        let not_found = || ApiError::not_found(key.0, &key.2);
        let cur = self.objects.get(&key).cloned().ok_or_else(not_found)?;
        match op {
            Op::Get { .. } => Ok(Reply::Object(cur)),
            Op::Delete { options, .. } => {
                if options.uid.is_some_and(|u| u != cur.meta().uid) {
                    return Err(ApiError::conflict(key.0, &key.2, "Precondition failed"));
                }
                self.objects.remove(&key);
                Ok(Reply::Object(cur))
            }
            Op::Update(mut o) => {
                let rv = o.meta().resource_version;
                if rv != 0 && rv != cur.meta().resource_version {
                    return Err(ApiError::stale(key.0, &key.2));
                }
                self.rv += 1;
                o.meta_mut().resource_version = self.rv;
                let o = Arc::new(o);
                self.objects.insert(key, o.clone());
                Ok(Reply::Object(o))
            }
            _ => unreachable!("answered above"),
        }
    }

    /// processEvent: a watch event on the object's kind.
    fn event(&mut self, type_: EventType, o: ObjectRef) {
        let watch_id = self.watches[&o.kind()];
        let event = match type_ {
            EventType::Add => WatchEvent::Added(o),
            EventType::Update => WatchEvent::Modified(o),
            EventType::Delete => WatchEvent::Deleted(o),
        };
        let msg = Msg::Watch(Box::new(WatchMsg { watch_id, event }));
        self.collect(Input::Message { from: API, msg });
    }

    /// processAttemptToDelete(1) (with one worker): the queue hands out one item.
    fn process(&mut self) {
        assert!(self.kick, "nothing queued");
        self.kick = false;
        self.collect(Input::Timer {
            id: EventId(0),
            tag: TIMER_KICK,
        });
    }

    fn take_actions(&mut self) -> Vec<String> {
        std::mem::take(&mut self.actions)
    }

    /// Graph nodes as "identity [virtual] <- owners", by identity.
    fn graph(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .gc
            .graph()
            .nodes()
            .map(|n| {
                let owners: Vec<String> = n
                    .owners
                    .iter()
                    .map(|r| format!("{}/{} {}", r.api_version, r.kind, r.name))
                    .collect();
                let v = if n.is_virtual { " virtual" } else { "" };
                format!("{}{v} <- [{}]", show(&n.identity), owners.join(", "))
            })
            .collect();
        out.sort();
        out
    }

    fn is_virtual(&self, k: &QueueKey) -> bool {
        match self.gc.graph().get(&k.identity.uid) {
            Some(n) if n.incarnation == k.incarnation => n.is_virtual,
            // A replaced node: only virtual nodes are replaced.
            _ => true,
        }
    }

    /// pendingAttemptToDelete, in queue order.
    fn pending(&self) -> Vec<String> {
        self.gc
            .attempt_to_delete
            .queue
            .iter()
            .map(|k| {
                let v = if self.is_virtual(k) { " virtual" } else { "" };
                format!("{}{v}", show(&k.identity))
            })
            .collect()
    }

    fn absent(&self) -> Vec<String> {
        self.gc.builder.absent_owners.entries().map(show).collect()
    }
}

/// One step of a TestConflictingData scenario.
enum Step {
    Create(ObjectRef),
    DeleteFromClient(ObjectRef),
    Event(EventType, ObjectRef),
    AttemptToDelete,
    /// Client actions since the last check, graph nodes, pending attemptToDelete, absent owners.
    Assert(Vec<&'static str>, Vec<String>, Vec<String>, Vec<String>),
}

fn run_steps(name: &str, steps: Vec<Step>) {
    let mut s = Scripted::new(1);
    s.start(vec![]);
    for (i, step) in steps.into_iter().enumerate() {
        match step {
            Step::Create(o) => s.create(o),
            Step::DeleteFromClient(o) => {
                s.objects.remove(&Scripted::key(&o));
            }
            Step::Event(t, o) => s.event(t, o),
            Step::AttemptToDelete => s.process(),
            Step::Assert(actions, graph, pending, absent) => {
                let mut graph = graph;
                graph.sort();
                let mut absent = absent;
                absent.sort();
                assert_eq!(s.take_actions(), actions, "{name}: actions at step {i}");
                assert_eq!(s.graph(), graph, "{name}: graph at step {i}");
                assert_eq!(s.pending(), pending, "{name}: pending at step {i}");
                assert_eq!(s.absent(), absent, "{name}: absent owners at step {i}");
                verify_graph_invariants(&s.gc.builder);
            }
        }
    }
}

/// A graph node line as `Scripted::graph` shows it.
fn gnode(n: &ObjectReference, is_virtual: bool, owners: &[&ObjectReference]) -> String {
    let owners: Vec<String> = owners
        .iter()
        .map(|r| format!("{}/{} {}", r.api_version, r.kind, r.name))
        .collect();
    let v = if is_virtual { " virtual" } else { "" };
    format!("{}{v} <- [{}]", show(n), owners.join(", "))
}

fn queued(n: &ObjectReference, is_virtual: bool) -> String {
    format!("{}{}", show(n), if is_virtual { " virtual" } else { "" })
}

/// garbagecollector_test.go TestConflictingData, the scenarios whose kinds kubesim serves
/// ("v1 Secret" becomes an apps/v1 DaemonSet: both are served kinds without such an object).
/// kubesim applies a virtual delete event at once where upstream queues it in graphChanges, so
/// a processPendingGraphChanges step folds into the attemptToDelete step before it.
#[test]
fn conflicting_data() {
    let pod1ns1 = id("v1", "Pod", "ns1", "podname1", "poduid1");
    let pod2ns1 = id("v1", "Pod", "ns1", "podname2", "poduid2");
    let pod2ns2 = id("v1", "Pod", "ns2", "podname2", "poduid2");
    let d_apps = id(
        "apps/v1",
        "Deployment",
        "ns1",
        "deployment1",
        "deploymentuid1",
    );
    let d_ext = id(
        "extensions/v1beta1",
        "Deployment",
        "ns1",
        "deployment1",
        "deploymentuid1",
    );
    let bad_ref = id(
        "apps/v1",
        "DaemonSet",
        "ns1",
        "secretname",
        "deploymentuid1",
    );
    let bad_child = id("v1", "Pod", "ns1", "badpod", "badpoduid");
    let good_child = id("v1", "Pod", "ns1", "goodpod", "goodpoduid");
    use EventType::{Add, Delete};
    use Step::*;
    let s = |v: &[String]| v.to_vec();

    run_steps(
        "bad child in ns1 -> owner in ns2 (child first)",
        vec![
            Create(obj(&pod1ns1, &[&pod2ns1])),
            Create(obj(&pod2ns2, &[])),
            Event(Add, obj(&pod1ns1, &[&pod2ns2])),
            Assert(
                vec![],
                s(&[
                    gnode(&pod1ns1, false, &[&pod2ns2]),
                    gnode(&pod2ns1, true, &[]),
                ]),
                s(&[queued(&pod2ns1, true)]),
                vec![],
            ),
            Event(Add, obj(&pod2ns2, &[])),
            Assert(
                vec![],
                s(&[
                    gnode(&pod1ns1, false, &[&pod2ns2]),
                    gnode(&pod2ns2, false, &[]),
                ]),
                s(&[queued(&pod2ns1, true), queued(&pod1ns1, false)]),
                vec![],
            ),
            AttemptToDelete,
            Assert(
                vec![],
                s(&[
                    gnode(&pod1ns1, false, &[&pod2ns2]),
                    gnode(&pod2ns2, false, &[]),
                ]),
                s(&[queued(&pod1ns1, false)]),
                vec![],
            ),
            AttemptToDelete,
            Assert(
                vec![
                    "get Pod ns1/podname1",
                    "get Pod ns1/podname2",
                    "delete Pod ns1/podname1 Background",
                ],
                s(&[
                    gnode(&pod1ns1, false, &[&pod2ns2]),
                    gnode(&pod2ns2, false, &[]),
                ]),
                vec![],
                s(&[show(&pod2ns1)]),
            ),
            Event(Delete, obj(&pod1ns1, &[])),
            Assert(
                vec![],
                s(&[gnode(&pod2ns2, false, &[])]),
                vec![],
                s(&[show(&pod2ns1)]),
            ),
        ],
    );

    run_steps(
        "bad child in ns1 -> owner in ns2 (owner first)",
        vec![
            Create(obj(&pod1ns1, &[&pod2ns1])),
            Create(obj(&pod2ns2, &[])),
            Event(Add, obj(&pod2ns2, &[])),
            Assert(vec![], s(&[gnode(&pod2ns2, false, &[])]), vec![], vec![]),
            Event(Add, obj(&pod1ns1, &[&pod2ns1])),
            Assert(
                vec![],
                s(&[
                    gnode(&pod1ns1, false, &[&pod2ns1]),
                    gnode(&pod2ns2, false, &[]),
                ]),
                s(&[queued(&pod1ns1, false)]),
                vec![],
            ),
            AttemptToDelete,
            Assert(
                vec![
                    "get Pod ns1/podname1",
                    "get Pod ns1/podname2",
                    "delete Pod ns1/podname1 Background",
                ],
                s(&[
                    gnode(&pod1ns1, false, &[&pod2ns1]),
                    gnode(&pod2ns2, false, &[]),
                ]),
                vec![],
                s(&[show(&pod2ns1)]),
            ),
            Event(Delete, obj(&pod1ns1, &[])),
            Assert(
                vec![],
                s(&[gnode(&pod2ns2, false, &[])]),
                vec![],
                s(&[show(&pod2ns1)]),
            ),
        ],
    );

    run_steps(
        "child -> existing owner with inaccessible API version (child first)",
        vec![
            Create(obj(&d_apps, &[])),
            Create(obj(&pod1ns1, &[&d_ext])),
            Event(Add, obj(&pod1ns1, &[&d_ext])),
            Assert(
                vec![],
                s(&[gnode(&pod1ns1, false, &[&d_ext]), gnode(&d_ext, true, &[])]),
                s(&[queued(&d_ext, true)]),
                vec![],
            ),
            // Requeued on the REST mapping error.
            AttemptToDelete,
            Assert(
                vec![],
                s(&[gnode(&pod1ns1, false, &[&d_ext]), gnode(&d_ext, true, &[])]),
                s(&[queued(&d_ext, true)]),
                vec![],
            ),
            Event(Add, obj(&d_apps, &[])),
            Assert(
                vec![],
                s(&[
                    gnode(&pod1ns1, false, &[&d_ext]),
                    gnode(&d_apps, false, &[]),
                ]),
                s(&[queued(&d_ext, true), queued(&pod1ns1, false)]),
                vec![],
            ),
            // The replaced virtual node is dropped.
            AttemptToDelete,
            Assert(
                vec![],
                s(&[
                    gnode(&pod1ns1, false, &[&d_ext]),
                    gnode(&d_apps, false, &[]),
                ]),
                s(&[queued(&pod1ns1, false)]),
                vec![],
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/podname1"],
                s(&[
                    gnode(&pod1ns1, false, &[&d_ext]),
                    gnode(&d_apps, false, &[]),
                ]),
                s(&[queued(&pod1ns1, false)]),
                vec![],
            ),
            DeleteFromClient(obj(&d_apps, &[])),
            Event(Delete, obj(&d_apps, &[])),
            Assert(
                vec![],
                s(&[gnode(&pod1ns1, false, &[&d_ext])]),
                s(&[queued(&pod1ns1, false)]),
                s(&[show(&d_apps)]),
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/podname1"],
                s(&[gnode(&pod1ns1, false, &[&d_ext])]),
                s(&[queued(&pod1ns1, false)]),
                s(&[show(&d_apps)]),
            ),
        ],
    );

    run_steps(
        "child -> existing owner with inaccessible API version (owner first)",
        vec![
            Create(obj(&d_apps, &[])),
            Create(obj(&pod1ns1, &[&d_ext])),
            Event(Add, obj(&d_apps, &[])),
            Assert(vec![], s(&[gnode(&d_apps, false, &[])]), vec![], vec![]),
            Event(Add, obj(&pod1ns1, &[&d_ext])),
            Assert(
                vec![],
                s(&[
                    gnode(&pod1ns1, false, &[&d_ext]),
                    gnode(&d_apps, false, &[]),
                ]),
                s(&[queued(&pod1ns1, false)]),
                vec![],
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/podname1"],
                s(&[
                    gnode(&pod1ns1, false, &[&d_ext]),
                    gnode(&d_apps, false, &[]),
                ]),
                s(&[queued(&pod1ns1, false)]),
                vec![],
            ),
            DeleteFromClient(obj(&d_apps, &[])),
            Event(Delete, obj(&d_apps, &[])),
            Assert(
                vec![],
                s(&[gnode(&pod1ns1, false, &[&d_ext])]),
                s(&[queued(&pod1ns1, false)]),
                s(&[show(&d_apps)]),
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/podname1"],
                s(&[gnode(&pod1ns1, false, &[&d_ext])]),
                s(&[queued(&pod1ns1, false)]),
                s(&[show(&d_apps)]),
            ),
        ],
    );

    run_steps(
        "child -> non-existent owner with inaccessible API version (accessible parent apiVersion first)",
        vec![
            Create(obj(&pod1ns1, &[&d_ext])),
            Create(obj(&pod2ns1, &[&d_apps])),
            Event(Add, obj(&pod2ns1, &[&d_apps])),
            Assert(
                vec![],
                s(&[gnode(&pod2ns1, false, &[&d_apps]), gnode(&d_apps, true, &[])]),
                s(&[queued(&d_apps, true)]),
                vec![],
            ),
            Event(Add, obj(&pod1ns1, &[&d_ext])),
            Assert(
                vec![],
                s(&[
                    gnode(&pod2ns1, false, &[&d_apps]),
                    gnode(&d_apps, true, &[]),
                    gnode(&pod1ns1, false, &[&d_ext]),
                ]),
                s(&[queued(&d_apps, true), queued(&pod1ns1, false)]),
                vec![],
            ),
            // 404 for the virtual parent: the virtual delete event moves the node to the
            // alternate identity and queues the matching child.
            AttemptToDelete,
            Assert(
                vec!["get Deployment ns1/deployment1"],
                s(&[
                    gnode(&pod2ns1, false, &[&d_apps]),
                    gnode(&d_ext, true, &[]),
                    gnode(&pod1ns1, false, &[&d_ext]),
                ]),
                s(&[
                    queued(&pod1ns1, false),
                    queued(&pod2ns1, false),
                    queued(&d_ext, true),
                ]),
                s(&[show(&d_apps)]),
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/podname1"],
                s(&[
                    gnode(&pod2ns1, false, &[&d_apps]),
                    gnode(&d_ext, true, &[]),
                    gnode(&pod1ns1, false, &[&d_ext]),
                ]),
                s(&[
                    queued(&pod2ns1, false),
                    queued(&d_ext, true),
                    queued(&pod1ns1, false),
                ]),
                s(&[show(&d_apps)]),
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/podname2", "delete Pod ns1/podname2 Background"],
                s(&[
                    gnode(&pod2ns1, false, &[&d_apps]),
                    gnode(&d_ext, true, &[]),
                    gnode(&pod1ns1, false, &[&d_ext]),
                ]),
                s(&[queued(&d_ext, true), queued(&pod1ns1, false)]),
                s(&[show(&d_apps)]),
            ),
            AttemptToDelete,
            Assert(
                vec![],
                s(&[
                    gnode(&pod2ns1, false, &[&d_apps]),
                    gnode(&d_ext, true, &[]),
                    gnode(&pod1ns1, false, &[&d_ext]),
                ]),
                s(&[queued(&pod1ns1, false), queued(&d_ext, true)]),
                s(&[show(&d_apps)]),
            ),
            Event(Delete, obj(&pod2ns1, &[&d_apps])),
            Assert(
                vec![],
                s(&[gnode(&d_ext, true, &[]), gnode(&pod1ns1, false, &[&d_ext])]),
                s(&[queued(&pod1ns1, false), queued(&d_ext, true)]),
                s(&[show(&d_apps)]),
            ),
        ],
    );

    run_steps(
        "bad child -> existing owner with incorrect API version (bad child, good child, bad parent delete, good parent)",
        vec![
            Create(obj(&d_apps, &[])),
            Create(obj(&bad_child, &[&bad_ref])),
            Create(obj(&good_child, &[&d_apps])),
            Event(Add, obj(&bad_child, &[&bad_ref])),
            Assert(
                vec![],
                s(&[gnode(&bad_child, false, &[&bad_ref]), gnode(&bad_ref, true, &[])]),
                s(&[queued(&bad_ref, true)]),
                vec![],
            ),
            Event(Add, obj(&good_child, &[&d_apps])),
            Assert(
                vec![],
                s(&[
                    gnode(&good_child, false, &[&d_apps]),
                    gnode(&bad_child, false, &[&bad_ref]),
                    gnode(&bad_ref, true, &[]),
                ]),
                s(&[queued(&bad_ref, true), queued(&good_child, false)]),
                vec![],
            ),
            // 404 for the bad coordinates: the node switches to the alternate (good) identity.
            AttemptToDelete,
            Assert(
                vec!["get DaemonSet ns1/secretname"],
                s(&[
                    gnode(&good_child, false, &[&d_apps]),
                    gnode(&bad_child, false, &[&bad_ref]),
                    gnode(&d_apps, true, &[]),
                ]),
                s(&[
                    queued(&good_child, false),
                    queued(&bad_child, false),
                    queued(&d_apps, true),
                ]),
                s(&[show(&bad_ref)]),
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/goodpod", "get Deployment ns1/deployment1"],
                s(&[
                    gnode(&good_child, false, &[&d_apps]),
                    gnode(&bad_child, false, &[&bad_ref]),
                    gnode(&d_apps, true, &[]),
                ]),
                s(&[queued(&bad_child, false), queued(&d_apps, true)]),
                s(&[show(&bad_ref)]),
            ),
            AttemptToDelete,
            Assert(
                vec!["get Pod ns1/badpod", "delete Pod ns1/badpod Background"],
                s(&[
                    gnode(&good_child, false, &[&d_apps]),
                    gnode(&bad_child, false, &[&bad_ref]),
                    gnode(&d_apps, true, &[]),
                ]),
                s(&[queued(&d_apps, true)]),
                s(&[show(&bad_ref)]),
            ),
            // Found, but not yet observed: requeued.
            AttemptToDelete,
            Assert(
                vec!["get Deployment ns1/deployment1"],
                s(&[
                    gnode(&good_child, false, &[&d_apps]),
                    gnode(&bad_child, false, &[&bad_ref]),
                    gnode(&d_apps, true, &[]),
                ]),
                s(&[queued(&d_apps, true)]),
                s(&[show(&bad_ref)]),
            ),
            Event(Add, obj(&d_apps, &[])),
            Assert(
                vec![],
                s(&[
                    gnode(&good_child, false, &[&d_apps]),
                    gnode(&bad_child, false, &[&bad_ref]),
                    gnode(&d_apps, false, &[]),
                ]),
                s(&[queued(&d_apps, false)]),
                s(&[show(&bad_ref)]),
            ),
            Event(Delete, obj(&bad_child, &[&bad_ref])),
            Assert(
                vec![],
                s(&[gnode(&good_child, false, &[&d_apps]), gnode(&d_apps, false, &[])]),
                s(&[queued(&d_apps, false)]),
                s(&[show(&bad_ref)]),
            ),
            AttemptToDelete,
            Assert(
                vec!["get Deployment ns1/deployment1"],
                s(&[gnode(&good_child, false, &[&d_apps]), gnode(&d_apps, false, &[])]),
                vec![],
                s(&[show(&bad_ref)]),
            ),
        ],
    );
}

/// Queues exactly `pods` for attemptToDelete, as upstream's tests call attemptToDeleteItem.
fn queue_only(s: &mut Scripted, pods: &[&ObjectReference]) {
    s.gc.attempt_to_delete = WorkQueue::default();
    for p in pods {
        let k = s.gc.graph().get(&p.uid).unwrap().key();
        s.gc.attempt_to_delete.add(k);
    }
}

/// garbagecollector_test.go TestAttemptToDeleteItem (a ReplicaSet instead of a
/// ReplicationController): the owner is read, found absent, and the pod deleted.
#[test]
fn attempt_to_delete_item() {
    let owner = id("apps/v1", "ReplicaSet", "ns1", "owner1", "123");
    let pod = id("v1", "Pod", "ns1", "ToBeDeletedPod", "456");
    let mut s = Scripted::new(1);
    s.start(vec![]);
    s.create(obj(&pod, &[&owner]));
    s.event(EventType::Add, obj(&pod, &[&owner]));
    queue_only(&mut s, &[&pod]);
    s.process();
    assert_eq!(
        s.take_actions(),
        [
            "get Pod ns1/ToBeDeletedPod",
            "get ReplicaSet ns1/owner1",
            "delete Pod ns1/ToBeDeletedPod Background"
        ]
    );
}

/// garbagecollector_test.go TestAbsentOwnerCache: with room for two, rc1 is read once, then
/// found in the cache (and refreshed), so rc3 evicts rc2.
#[test]
fn absent_owner_cache() {
    let rc = |n: u32| {
        id(
            "apps/v1",
            "ReplicaSet",
            "ns1",
            &format!("rc{n}"),
            &n.to_string(),
        )
    };
    let pod = |name: &str| id("v1", "Pod", "ns1", name, &format!("uid-{name}"));
    let pods = [
        (pod("rc1Pod1"), rc(1)),
        (pod("rc2Pod1"), rc(2)),
        (pod("rc1Pod2"), rc(1)),
        (pod("rc3Pod1"), rc(3)),
    ];
    let mut s = Scripted::new(1);
    s.start(vec![]);
    s.gc.builder.absent_owners = ReferenceCache::new(2);
    for (p, owner) in &pods {
        s.create(obj(p, &[owner]));
        s.event(EventType::Add, obj(p, &[owner]));
    }
    let order: Vec<&ObjectReference> = pods.iter().map(|(p, _)| p).collect();
    queue_only(&mut s, &order);
    for _ in 0..4 {
        s.process();
    }
    assert_eq!(s.absent(), [show(&rc(1)), show(&rc(3))]);
    let rc1_gets = s
        .take_actions()
        .iter()
        .filter(|a| *a == "get ReplicaSet ns1/rc1")
        .count();
    assert_eq!(rc1_gets, 1);
}

/// An owner being deleted with `finalizer`, as the API server leaves it.
fn deleting(o: &ObjectReference, finalizer: &str) -> ObjectRef {
    let mut x = (*obj(o, &[])).clone();
    x.meta_mut().deletion_timestamp = Some(Time(crate::sim::SimTime(1)));
    x.meta_mut().deletion_grace_period_seconds = Some(0);
    x.meta_mut().finalizers = vec![finalizer.into()];
    Arc::new(x)
}

/// garbagecollector_test.go TestOrphanDependentsFailure: a conflict orphaning a dependent fails
/// the item, which keeps its orphan finalizer and is retried; the retry succeeds.
#[test]
fn orphan_dependents_failure_is_retried() {
    let owner = id("apps/v1", "ReplicaSet", "ns1", "owner", "owner-uid");
    let pod = id("v1", "Pod", "ns1", "pod", "pod-uid");
    let mut s = Scripted::new(1);
    s.start(vec![obj(&owner, &[]), obj(&pod, &[&owner])]);
    s.create(deleting(&owner, FINALIZER_ORPHAN));
    s.create(obj(&pod, &[&owner]));
    s.fail_next("update Pod", ApiError::stale(Kind::Pod, "pod"));
    s.event(EventType::Update, deleting(&owner, FINALIZER_ORPHAN));
    s.process();
    assert_eq!(s.take_actions(), ["update Pod ns1/pod"]);
    assert_eq!(s.gc.attempt_to_orphan.queue.len(), 1, "requeued");
    s.process();
    assert_eq!(
        s.take_actions(),
        [
            "update Pod ns1/pod",
            "get ReplicaSet ns1/owner",
            "update ReplicaSet ns1/owner"
        ]
    );
    let key = (Kind::ReplicaSet, "ns1".to_string(), "owner".to_string());
    assert!(s.objects[&key].meta().finalizers.is_empty());
    let pod_key = (Kind::Pod, "ns1".to_string(), "pod".to_string());
    assert!(s.objects[&pod_key].meta().owner_references.is_empty());
}

/// removeFinalizer retries a conflict from a fresh read (RetryOnConflict with
/// retry.DefaultBackoff), waiting 10 ms first.
#[test]
fn remove_finalizer_retries_conflicts() {
    let owner = id("apps/v1", "ReplicaSet", "ns1", "owner", "owner-uid");
    let mut s = Scripted::new(1);
    s.start(vec![obj(&owner, &[])]);
    s.create(deleting(&owner, FINALIZER_FOREGROUND));
    s.fail_next(
        "update ReplicaSet",
        ApiError::stale(Kind::ReplicaSet, "owner"),
    );
    let before = s.h.now();
    s.event(EventType::Update, deleting(&owner, FINALIZER_FOREGROUND));
    s.process();
    assert_eq!(
        s.take_actions(),
        [
            "get ReplicaSet ns1/owner",
            "get ReplicaSet ns1/owner",
            "update ReplicaSet ns1/owner",
            "get ReplicaSet ns1/owner",
            "update ReplicaSet ns1/owner"
        ]
    );
    assert_eq!(s.h.now().since(before), SimDuration::from_millis(10));
    let key = (Kind::ReplicaSet, "ns1".to_string(), "owner".to_string());
    assert!(s.objects[&key].meta().finalizers.is_empty());
}

/// Failed items come back after 5 ms, 10 ms, 20 ms, ... (the per-item back-off), and the
/// 101st immediate retry of the whole queue waits for the 10 qps bucket.
#[test]
fn retry_limiter_is_the_longer_of_item_backoff_and_bucket() {
    let mut l = RetryLimiter::new();
    let k = GcNode {
        identity: id("v1", "Pod", "ns", "p", "u"),
        owners: vec![],
        being_deleted: false,
        deleting_dependents: false,
        is_virtual: false,
        incarnation: 1,
    }
    .key();
    let t0 = SimTime(0);
    let waits: Vec<u64> = (0..3).map(|_| l.when(&k, t0).as_micros()).collect();
    assert_eq!(waits, [5_000, 10_000, 20_000]);
    l.forget(&k);
    for _ in 0..97 {
        l.bucket.reserve(t0);
    }
    assert_eq!(l.when(&k, t0), SimDuration::from_millis(100));
}

// ---------------------------------------------------------------------------------------------
// The actor against the real API server.

/// What the garbage collector asked of the API server.
#[derive(Debug, Clone, PartialEq)]
enum Asked {
    Delete(Kind, String, DeleteOptions),
    Update(Kind, String),
}

enum Ev {
    ToApi(ActorId, Msg),
    ToGc(Msg),
    ToKubectl(Msg),
    ApiTimer(u64),
    GcTimer(u64),
}

/// The API server and the garbage collector exchanging messages without latency, with a
/// kubectl that writes through the API server.
struct Live {
    now: SimTime,
    seq: u64,
    events: BTreeMap<(SimTime, u64), Ev>,
    api_h: Harness<Msg>,
    api: ApiServer,
    gc_h: Harness<Msg>,
    gc: GarbageCollector,
    asked: Vec<Asked>,
    replies: BTreeMap<u64, Result<Reply, ApiError>>,
    next_id: u64,
}

impl Live {
    fn new() -> Self {
        let mut l = Live {
            now: SimTime::ZERO,
            seq: 0,
            events: BTreeMap::new(),
            api_h: Harness::new(&NAMES, API, 7),
            api: ApiServer::new(ApiServerConfig::default()),
            gc_h: Harness::new(&NAMES, GC, 7),
            gc: GarbageCollector::new(ApiClient::new(API)),
            asked: Vec::new(),
            replies: BTreeMap::new(),
            next_id: 1,
        };
        let sent = l.api_h.feed(&mut l.api, Input::Start);
        l.route(API, sent);
        l
    }

    fn push(&mut self, at: SimTime, ev: Ev) {
        self.seq += 1;
        self.events.insert((at, self.seq), ev);
    }

    fn route(&mut self, from: ActorId, sent: Vec<Sent<Msg>>) {
        for s in sent {
            match (s, from) {
                (Sent::Timer { at, tag }, API) => self.push(at, Ev::ApiTimer(tag)),
                (Sent::Timer { at, tag }, _) => self.push(at, Ev::GcTimer(tag)),
                (Sent::Message { to: GC, msg }, _) => self.push(self.now, Ev::ToGc(msg)),
                (Sent::Message { to: KUBECTL, msg }, _) => self.push(self.now, Ev::ToKubectl(msg)),
                (Sent::Message { msg, .. }, _) => {
                    if let Msg::Request(r) = &msg {
                        self.note(&r.op);
                    }
                    self.push(self.now, Ev::ToApi(from, msg));
                }
            }
        }
    }

    fn note(&mut self, op: &Op) {
        match op {
            Op::Delete {
                kind,
                name,
                options,
                ..
            } => self
                .asked
                .push(Asked::Delete(*kind, name.clone(), options.clone())),
            Op::Update(o) => self
                .asked
                .push(Asked::Update(o.kind(), o.meta().name.clone())),
            _ => {}
        }
    }

    fn step(&mut self) -> bool {
        let Some(((at, _), ev)) = self.events.pop_first() else {
            return false;
        };
        self.now = at;
        self.api_h.set_now(at);
        self.gc_h.set_now(at);
        match ev {
            Ev::ToApi(from, msg) => {
                let sent = self.api_h.feed(&mut self.api, Input::Message { from, msg });
                self.route(API, sent);
            }
            Ev::ApiTimer(tag) => {
                let id = EventId(0);
                let sent = self.api_h.feed(&mut self.api, Input::Timer { id, tag });
                self.route(API, sent);
            }
            Ev::ToGc(msg) => {
                let sent = self
                    .gc_h
                    .feed(&mut self.gc, Input::Message { from: API, msg });
                self.route(GC, sent);
            }
            Ev::GcTimer(tag) => {
                let id = EventId(0);
                let sent = self.gc_h.feed(&mut self.gc, Input::Timer { id, tag });
                self.route(GC, sent);
            }
            Ev::ToKubectl(msg) => {
                if let Msg::Response(r) = msg {
                    self.replies.insert(r.id, r.result);
                }
            }
        }
        true
    }

    /// Runs everything due within `d` from now.
    fn run_for(&mut self, d: SimDuration) {
        let end = self.now + d;
        while self
            .events
            .first_key_value()
            .is_some_and(|((t, _), _)| *t <= end)
        {
            self.step();
        }
        self.now = end;
    }

    fn start_gc(&mut self) {
        self.gc_h.set_now(self.now);
        let sent = self.gc_h.feed(&mut self.gc, Input::Start);
        self.route(GC, sent);
        self.run_for(SimDuration::from_secs(1));
        assert!(self.gc.synced);
    }

    /// A kubectl request, run until answered.
    fn kubectl(&mut self, op: Op) -> Result<Reply, ApiError> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = Msg::Request(Box::new(Request { id, op }));
        self.push(self.now, Ev::ToApi(KUBECTL, msg));
        while !self.replies.contains_key(&id) {
            assert!(self.step(), "no answer to kubectl");
        }
        self.replies.remove(&id).unwrap()
    }

    /// Creates `o`; returns its uid.
    fn create(&mut self, o: Object) -> String {
        match self.kubectl(Op::Create(o)) {
            Ok(Reply::Object(o)) => o.meta().uid.clone(),
            other => panic!("create failed: {other:?}"),
        }
    }

    fn delete(&mut self, kind: Kind, name: &str, policy: Option<&str>) {
        let options = DeleteOptions {
            propagation_policy: policy.map(str::to_string),
            ..Default::default()
        };
        let op = Op::Delete {
            kind,
            namespace: "default".into(),
            name: name.into(),
            options,
        };
        self.kubectl(op).expect("kubectl delete");
    }

    fn get(&self, kind: Kind, name: &str) -> Option<&ObjectRef> {
        self.api.store().get(kind, "default", name)
    }

    fn deletes(&self) -> Vec<(Kind, String, DeleteOptions)> {
        let mut out: Vec<_> = self
            .asked
            .iter()
            .filter_map(|a| match a {
                Asked::Delete(k, n, o) => Some((*k, n.clone(), o.clone())),
                Asked::Update(..) => None,
            })
            .collect();
        out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        out
    }

    fn updated(&self, kind: Kind, name: &str) -> bool {
        self.asked.contains(&Asked::Update(kind, name.to_string()))
    }

    /// Whether the API server traced the garbage collector's removal of this object.
    fn gc_removed(&self, kind: Kind, name: &str) -> bool {
        let want = [
            format!("\"actor\":\"{ACTOR_NAME}\""),
            "\"verb\":\"delete\"".to_string(),
            format!("\"kind\":\"{kind}\""),
            format!("\"name\":\"{name}\""),
        ];
        self.api_h
            .trace_lines()
            .iter()
            .any(|l| want.iter().all(|w| l.contains(w.as_str())))
    }
}

fn reference(kind: Kind, name: &str, uid: &str, controller: bool) -> OwnerReference {
    OwnerReference {
        api_version: kind.api_version().into(),
        kind: kind.as_str().into(),
        name: name.into(),
        uid: uid.into(),
        controller: controller.then_some(true),
        block_owner_deletion: controller.then_some(true),
    }
}

fn containers() -> PodSpec {
    PodSpec {
        containers: vec![Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// An unbound pod (deleted at once, without a grace period).
fn live_pod(name: &str, owners: Vec<OwnerReference>) -> Object {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.namespace = "default".into();
    p.metadata.owner_references = owners;
    p.spec = containers();
    Object::Pod(p)
}

fn labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app".to_string(), name.to_string())])
}

fn live_rs(name: &str, owners: Vec<OwnerReference>) -> Object {
    let mut r = ReplicaSet::default();
    r.metadata.name = name.into();
    r.metadata.namespace = "default".into();
    r.metadata.owner_references = owners;
    r.spec.replicas = Some(0);
    r.spec.selector = LabelSelector::from_labels(&labels(name));
    r.spec.template.metadata.labels = labels(name);
    r.spec.template.spec = containers();
    Object::ReplicaSet(r)
}

fn live_deployment(name: &str) -> Object {
    let mut d = Deployment::default();
    d.metadata.name = name.into();
    d.metadata.namespace = "default".into();
    d.spec.replicas = Some(0);
    d.spec.selector = LabelSelector::from_labels(&labels(name));
    d.spec.template.metadata.labels = labels(name);
    d.spec.template.spec = containers();
    Object::Deployment(d)
}

fn background(uid: &str) -> DeleteOptions {
    DeleteOptions {
        propagation_policy: Some("Background".into()),
        uid: Some(uid.into()),
        ..Default::default()
    }
}

/// Background: the owner is gone; dependents without another live owner are deleted with the
/// policy of their own finalizers (Background) and a uid precondition; a dependent with a live
/// owner left loses the reference to the gone one.
#[test]
fn background_deletes_dependents_of_a_gone_owner() {
    let mut l = Live::new();
    l.start_gc();
    let web = l.create(live_rs("web", vec![]));
    let keep = l.create(live_rs("keep", vec![]));
    let a = l.create(live_pod(
        "web-a",
        vec![reference(Kind::ReplicaSet, "web", &web, true)],
    ));
    let b = l.create(live_pod(
        "web-b",
        vec![reference(Kind::ReplicaSet, "web", &web, true)],
    ));
    let shared = vec![
        reference(Kind::ReplicaSet, "web", &web, false),
        reference(Kind::ReplicaSet, "keep", &keep, true),
    ];
    l.create(live_pod("shared", shared));
    l.run_for(SimDuration::from_secs(1));
    assert!(l.asked.is_empty(), "nothing to collect yet: {:?}", l.asked);

    l.delete(Kind::ReplicaSet, "web", None);
    l.run_for(SimDuration::from_secs(1));
    assert_eq!(
        l.deletes(),
        [
            (Kind::Pod, "web-a".to_string(), background(&a)),
            (Kind::Pod, "web-b".to_string(), background(&b)),
        ]
    );
    assert!(l.get(Kind::Pod, "web-a").is_none() && l.get(Kind::Pod, "web-b").is_none());
    let shared = l.get(Kind::Pod, "shared").expect("kept");
    let owners: Vec<&str> = shared
        .meta()
        .owner_references
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(owners, ["keep"]);
}

/// Foreground: the owner waits with foregroundDeletion while its blocking dependents go; a
/// dependent with dependents of its own is deleted in Foreground, a leaf with its own policy
/// (Background); then the finalizers are removed bottom-up and the API server deletes.
#[test]
fn foreground_deletes_dependents_then_the_owner() {
    let mut l = Live::new();
    l.start_gc();
    let d = l.create(live_deployment("web"));
    let rs = l.create(live_rs(
        "web-1",
        vec![reference(Kind::Deployment, "web", &d, true)],
    ));
    let owner = || vec![reference(Kind::ReplicaSet, "web-1", &rs, true)];
    let p1 = l.create(live_pod("web-1-a", owner()));
    let p2 = l.create(live_pod("web-1-b", owner()));
    l.run_for(SimDuration::from_secs(1));

    l.delete(Kind::Deployment, "web", Some("Foreground"));
    let marked = l
        .get(Kind::Deployment, "web")
        .expect("held by its finalizer");
    assert_eq!(marked.meta().finalizers, [FINALIZER_FOREGROUND]);
    l.run_for(SimDuration::from_secs(1));

    let foreground = DeleteOptions {
        propagation_policy: Some("Foreground".into()),
        uid: Some(rs.clone()),
        ..Default::default()
    };
    assert_eq!(
        l.deletes(),
        [
            (Kind::Pod, "web-1-a".to_string(), background(&p1)),
            (Kind::Pod, "web-1-b".to_string(), background(&p2)),
            (Kind::ReplicaSet, "web-1".to_string(), foreground),
        ]
    );
    for (kind, name) in [
        (Kind::Deployment, "web"),
        (Kind::ReplicaSet, "web-1"),
        (Kind::Pod, "web-1-a"),
        (Kind::Pod, "web-1-b"),
    ] {
        assert!(l.get(kind, name).is_none(), "{kind} {name} is gone");
    }
    assert!(l.updated(Kind::ReplicaSet, "web-1") && l.updated(Kind::Deployment, "web"));
    assert!(l.gc_removed(Kind::ReplicaSet, "web-1") && l.gc_removed(Kind::Deployment, "web"));
    assert!(l.gc.graph().is_empty());
}

/// Orphan: each dependent loses its reference to the owner, then the owner loses its orphan
/// finalizer and the API server deletes it; nothing is deleted by the collector.
#[test]
fn orphan_removes_references_then_the_finalizer() {
    let mut l = Live::new();
    l.start_gc();
    let web = l.create(live_rs("web", vec![]));
    for p in ["web-a", "web-b"] {
        l.create(live_pod(
            p,
            vec![reference(Kind::ReplicaSet, "web", &web, true)],
        ));
    }
    l.run_for(SimDuration::from_secs(1));

    l.delete(Kind::ReplicaSet, "web", Some("Orphan"));
    l.run_for(SimDuration::from_secs(1));
    assert!(l.deletes().is_empty());
    assert!(l.updated(Kind::Pod, "web-a") && l.updated(Kind::Pod, "web-b"));
    assert!(l.updated(Kind::ReplicaSet, "web"));
    assert!(l.get(Kind::ReplicaSet, "web").is_none());
    assert!(l.gc_removed(Kind::ReplicaSet, "web"));
    for p in ["web-a", "web-b"] {
        let pod = l.get(Kind::Pod, p).expect("orphaned, not deleted");
        assert!(pod.meta().owner_references.is_empty());
    }
}

/// attemptToDeleteItem on a dangling reference: an owner that never existed, and one whose name
/// now belongs to an object with another uid, are absent (after a live GET); their dependents
/// are deleted once the informers have synced.
#[test]
fn dependents_of_owners_that_never_existed_are_deleted() {
    let mut l = Live::new();
    let web = l.create(live_rs("web", vec![]));
    let ghost = l.create(live_pod(
        "ghost-child",
        vec![reference(Kind::ReplicaSet, "gone", "never-existed", true)],
    ));
    let stale = l.create(live_pod(
        "stale-child",
        vec![reference(Kind::ReplicaSet, "web", "old-web-uid", true)],
    ));
    l.start_gc();
    l.run_for(SimDuration::from_secs(1));
    assert_eq!(
        l.deletes(),
        [
            (Kind::Pod, "ghost-child".to_string(), background(&ghost)),
            (Kind::Pod, "stale-child".to_string(), background(&stale)),
        ]
    );
    assert!(l
        .get(Kind::ReplicaSet, "web")
        .is_some_and(|o| o.meta().uid == web));
    assert!(l.gc.graph().get("never-existed").is_none());
}

/// A dependent with one live owner and one absent owner keeps the live one and loses the
/// reference to the absent one.
#[test]
fn dangling_reference_is_removed_when_another_owner_lives() {
    let mut l = Live::new();
    let keep = l.create(live_rs("keep", vec![]));
    l.create(live_pod(
        "mixed",
        vec![
            reference(Kind::ReplicaSet, "keep", &keep, true),
            reference(Kind::ReplicaSet, "gone", "never-existed", false),
        ],
    ));
    l.start_gc();
    l.run_for(SimDuration::from_secs(1));
    assert!(l.deletes().is_empty());
    assert!(l.updated(Kind::Pod, "mixed"));
    let pod = l.get(Kind::Pod, "mixed").expect("kept");
    let owners: Vec<&str> = pod
        .meta()
        .owner_references
        .iter()
        .map(|r| r.uid.as_str())
        .collect();
    assert_eq!(owners, [keep.as_str()]);
}
