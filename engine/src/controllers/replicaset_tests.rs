//! ReplicaSet controller unit tests: feed it lists, watch events and responses; check the
//! requests it sent.

use super::*;
use crate::api::pod::PodSpec;
use crate::api::{ApiError, Container, Op, Reply, Request, Response, Time, WatchEvent, WatchMsg};
use crate::sim::testing::{Harness, Sent};
use crate::sim::{ActorId, EventId, SimTime};

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);

struct Bench {
    h: Harness<Msg>,
    c: ReplicaSetController,
    /// Requests sent and not yet answered, in order.
    inbox: Vec<Request>,
    timers: Vec<u64>,
    pod_watch: u64,
}

impl Bench {
    fn new() -> Self {
        Bench {
            h: Harness::new(&["kube-apiserver", "replicaset-controller"], ME, 1),
            c: ReplicaSetController::new(ApiClient::new(API), ReplicaSetConfig::default()),
            inbox: Vec::new(),
            timers: Vec::new(),
            pod_watch: 0,
        }
    }

    fn feed(&mut self, input: Input<Msg>) {
        for s in self.h.feed(&mut self.c, input) {
            match s {
                Sent::Message {
                    msg: Msg::Request(r),
                    ..
                } => self.inbox.push(*r),
                Sent::Timer { tag, .. } => self.timers.push(tag),
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

    /// Fires pending sync timers until none is left.
    fn settle(&mut self) {
        while let Some(tag) = self.timers.pop() {
            self.feed(Input::Timer {
                id: EventId(0),
                tag,
            });
        }
    }

    /// Starts the controller with these objects in the cluster.
    fn start(&mut self, sets: Vec<ObjectRef>, pods: Vec<ObjectRef>) {
        self.feed(Input::Start);
        let lists: Vec<Request> = self.inbox.drain(..).collect();
        assert_eq!(lists.len(), 2, "lists ReplicaSets and Pods");
        for (r, items) in lists.into_iter().zip([sets, pods]) {
            self.respond(
                r.id,
                Ok(Reply::List {
                    items,
                    resource_version: 10,
                }),
            );
        }
        // Both informers now watch.
        let watches: Vec<Request> = self.inbox.drain(..).collect();
        assert_eq!(watches.len(), 2);
        for w in watches {
            if let Op::Watch {
                watch_id,
                kind: Kind::Pod,
                ..
            } = w.op
            {
                self.pod_watch = watch_id;
            }
        }
        self.settle();
    }

    /// Takes the create requests sent so far (other requests are dropped).
    fn creates(&mut self) -> Vec<(u64, Pod)> {
        let mut out = Vec::new();
        self.inbox.retain(|r| {
            if let Op::Create(Object::Pod(p)) = &r.op {
                out.push((r.id, p.clone()));
                false
            } else {
                true
            }
        });
        out
    }

    fn deletes(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        self.inbox.retain(|r| {
            if let Op::Delete { name, .. } = &r.op {
                out.push(name.clone());
                false
            } else {
                true
            }
        });
        out
    }

    /// Answers every create OK (or with an error for the indices in `fail`).
    fn answer_creates(&mut self, fail: &[usize]) -> usize {
        let creates = self.creates();
        let n = creates.len();
        for (i, (id, mut p)) in creates.into_iter().enumerate() {
            let result = if fail.contains(&i) {
                Err(ApiError::invalid(Kind::Pod, "x", &["quota".into()]))
            } else {
                p.metadata.name = format!("web-{id}");
                Ok(Reply::Object(Arc::new(Object::Pod(p))))
            };
            self.respond(id, result);
        }
        self.settle();
        n
    }
}

fn rs(replicas: i32) -> ObjectRef {
    let mut r = ReplicaSet::default();
    r.metadata.name = "web".into();
    r.metadata.namespace = "default".into();
    r.metadata.uid = "rs-uid".into();
    r.metadata.generation = 1;
    r.spec.replicas = Some(replicas);
    r.spec
        .template
        .metadata
        .labels
        .insert("app".into(), "web".into());
    r.spec.template.spec = PodSpec {
        containers: vec![Container {
            name: "web".into(),
            image: "nginx".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    Arc::new(Object::ReplicaSet(r))
}

fn owned_pod(name: &str, node: &str, phase: &str, ready: bool, created_s: u64) -> ObjectRef {
    let r = rs(0);
    let Object::ReplicaSet(r) = r.as_ref() else {
        unreachable!()
    };
    let mut p = pod_from_template(r);
    p.metadata.name = name.into();
    p.metadata.uid = format!("uid-{name}");
    p.metadata.creation_timestamp = Some(Time(SimTime(created_s * 1_000_000)));
    p.spec.node_name = node.into();
    p.status.phase = phase.into();
    if ready {
        p.set_condition("Ready", "True", Time(SimTime(0)));
    }
    Arc::new(Object::Pod(p))
}

/// controller_utils_test.go TestSlowStartBatch, through the controller: batches 1, 2, 4, ...
#[test]
fn creates_in_slow_start_batches() {
    let mut b = Bench::new();
    b.start(vec![rs(10)], vec![]);
    let mut sizes = Vec::new();
    loop {
        let n = b.answer_creates(&[]);
        if n == 0 {
            break;
        }
        sizes.push(n);
    }
    assert_eq!(sizes, [1, 2, 4, 3]);
    let c = &b.c;
    assert!(
        !c.expectations.satisfied("default/web", b.h.now()),
        "10 creations not yet observed"
    );
}

#[test]
fn a_failed_batch_stops_creation_and_lowers_expectations() {
    let mut b = Bench::new();
    b.start(vec![rs(10)], vec![]);
    assert_eq!(b.answer_creates(&[]), 1);
    assert_eq!(b.answer_creates(&[1]), 2, "second batch, one create fails");
    assert_eq!(b.creates().len(), 0, "no third batch after a failure");
    // 1 + 1 created and not yet seen; 1 failed and 7 skipped were subtracted.
    for i in 0..2 {
        b.feed(Input::Message {
            from: API,
            msg: Msg::Watch(Box::new(WatchMsg {
                watch_id: b.pod_watch,
                event: WatchEvent::Added(owned_pod(&format!("p{i}"), "", "Pending", false, 1)),
            })),
        });
    }
    assert!(b.c.expectations.satisfied("default/web", b.h.now()));
}

#[test]
fn at_most_burst_replicas_per_sync() {
    let mut b = Bench::new();
    b.c.config.burst_replicas = 3;
    b.start(vec![rs(10)], vec![]);
    let mut total = 0;
    loop {
        let n = b.answer_creates(&[]);
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(total, 3);
}

#[test]
fn scale_down_deletes_by_rank() {
    let mut b = Bench::new();
    let pods = vec![
        owned_pod("running-ready-old", "n1", "Running", true, 1),
        owned_pod("running-ready-new", "n2", "Running", true, 5),
        owned_pod("pending-unbound", "", "Pending", false, 2),
        owned_pod("running-unready", "n3", "Running", false, 3),
        owned_pod("pending-bound", "n3", "Pending", false, 4),
    ];
    b.start(vec![rs(2)], pods);
    assert_eq!(
        b.deletes(),
        ["pending-unbound", "pending-bound", "running-unready"]
    );
}

#[test]
fn status_reports_replicas_and_ready() {
    let mut b = Bench::new();
    let pods = vec![
        owned_pod("a", "n1", "Running", true, 1),
        owned_pod("b", "n1", "Running", false, 1),
    ];
    b.start(vec![rs(2)], pods);
    let status: Vec<_> = b
        .inbox
        .iter()
        .filter_map(|r| match &r.op {
            Op::UpdateStatus(Object::ReplicaSet(x)) => Some(x.status.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].replicas, 2);
    assert_eq!(status[0].ready_replicas, 1);
    assert_eq!(status[0].fully_labeled_replicas, 2);
    assert_eq!(status[0].observed_generation, 1);
}
