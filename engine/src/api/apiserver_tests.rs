//! API server unit tests: feed requests, look at what it answered and traced.

use super::*;
use crate::api::msg::Control;
use crate::api::msg::DeleteOptions;
use crate::api::pod::PodSpec;
use crate::api::{Container, Lease, Pod, Reply, WatchEvent};
use crate::sim::testing::{Harness, Sent};
use crate::sim::{ActorId, SimDuration, SimTime};

const API: ActorId = ActorId(0);
const CLIENT: ActorId = ActorId(1);
const KUBELET: ActorId = ActorId(2);

/// An API server whose writes commit at once (no store latency).
fn instant() -> ApiServer {
    ApiServer::new(ApiServerConfig {
        write_latency: crate::sim::Latency::ZERO,
        ..Default::default()
    })
}

fn harness() -> Harness<Msg> {
    Harness::new(&["kube-apiserver", "kubectl", "kubelet/n1"], API, 1)
}

fn pod(name: &str) -> Object {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.spec = PodSpec {
        containers: vec![Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    Object::Pod(p)
}

fn request(
    h: &mut Harness<Msg>,
    api: &mut ApiServer,
    from: ActorId,
    id: u64,
    op: Op,
) -> Vec<Sent<Msg>> {
    h.feed(
        api,
        Input::Message {
            from,
            msg: Msg::Request(Box::new(Request { id, op })),
        },
    )
}

/// The single response in `sent`.
fn response(sent: Vec<Sent<Msg>>) -> Result<Reply, ApiError> {
    let mut rs: Vec<_> = sent
        .into_iter()
        .filter_map(|s| match s {
            Sent::Message {
                msg: Msg::Response(r),
                ..
            } => Some(r.result),
            _ => None,
        })
        .collect();
    assert_eq!(rs.len(), 1, "exactly one response");
    rs.pop().unwrap()
}

fn object(r: Result<Reply, ApiError>) -> ObjectRef {
    match r {
        Ok(Reply::Object(o)) => o,
        other => panic!("expected an object, got {other:?}"),
    }
}

/// A request from CLIENT that must succeed with an object.
fn call(h: &mut Harness<Msg>, api: &mut ApiServer, id: u64, op: Op) -> ObjectRef {
    object(response(request(h, api, CLIENT, id, op)))
}

fn watch_events(sent: &[Sent<Msg>], to: ActorId) -> Vec<String> {
    sent.iter()
        .filter_map(|s| match s {
            Sent::Message {
                to: t,
                msg: Msg::Watch(w),
            } if *t == to => Some(match &w.event {
                WatchEvent::Added(o) => {
                    format!("ADDED {} {}", o.meta().name, o.meta().resource_version)
                }
                WatchEvent::Modified(o) => {
                    format!("MODIFIED {} {}", o.meta().name, o.meta().resource_version)
                }
                WatchEvent::Deleted(o) => {
                    format!("DELETED {} {}", o.meta().name, o.meta().resource_version)
                }
                WatchEvent::Error(e) => format!("ERROR {}", e.code),
            }),
            _ => None,
        })
        .collect()
}

#[test]
fn create_sets_server_fields_defaults_and_traces() {
    let mut h = harness();
    let mut api = instant();
    h.advance(SimDuration::from_secs(3));
    let o = call(&mut h, &mut api, 1, Op::Create(pod("p1")));
    let Object::Pod(p) = o.as_ref() else { panic!() };
    assert_eq!(p.metadata.resource_version, 1);
    assert_eq!(p.metadata.namespace, "default");
    assert_eq!(p.metadata.uid.len(), 36);
    assert_eq!(&p.metadata.uid[14..15], "4", "version 4 uuid");
    assert_eq!(p.api_version, "v1");
    assert_eq!(p.kind, "Pod");
    assert_eq!(p.status.phase, "Pending");
    assert_eq!(p.spec.scheduler_name, "default-scheduler");
    let lines = h.trace_lines();
    assert_eq!(lines.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["actor"], "kubectl");
    assert_eq!(v["verb"], "create");
    assert_eq!(v["t_us"], 3_000_000);
    assert_eq!(v["rv"], 1);
    assert_eq!(v["object"]["metadata"]["resourceVersion"], "1");
    assert_eq!(
        v["object"]["metadata"]["creationTimestamp"],
        "2026-01-01T00:00:03Z"
    );
}

#[test]
fn generate_name_appends_five_random_characters() {
    let mut h = harness();
    let mut api = instant();
    let mut o = pod("");
    o.meta_mut().generate_name = "web-".into();
    let got = call(&mut h, &mut api, 1, Op::Create(o));
    let name = &got.meta().name;
    assert_eq!(name.len(), 9, "{name}");
    assert!(
        name[4..].bytes().all(|b| NAME_ALPHABET.contains(&b)),
        "{name}"
    );
}

#[test]
fn errors_table() {
    let mut h = harness();
    let mut api = instant();
    let p1 = call(&mut h, &mut api, 1, Op::Create(pod("p1")));
    let mut stale = (*p1).clone();
    // A first update moves the resourceVersion on.
    call(&mut h, &mut api, 2, Op::Update(stale.clone()));
    let mut bad = pod("p2");
    if let Object::Pod(p) = &mut bad {
        p.spec.containers.clear();
    }
    stale.meta_mut().labels.insert("x".into(), "y".into());
    let cases: Vec<(&str, Op, u16, &str)> = vec![
        (
            "stale resourceVersion",
            Op::Update(stale),
            409,
            "Operation cannot be fulfilled on pods \"p1\": the object has been modified; please apply your changes to the latest version and try again",
        ),
        ("already exists", Op::Create(pod("p1")), 409, "pods \"p1\" already exists"),
        (
            "not found",
            Op::Get { kind: Kind::Pod, namespace: "default".into(), name: "nope".into() },
            404,
            "pods \"nope\" not found",
        ),
        ("invalid", Op::Create(bad), 422, "Pod \"p2\" is invalid: spec.containers: Required value"),
        (
            "delete with another uid",
            Op::Delete { kind: Kind::Pod, namespace: "default".into(), name: "p1".into(), options: DeleteOptions { uid: Some("other".into()), ..Default::default() } },
            409,
            "Precondition failed: UID in precondition: other",
        ),
    ];
    for (name, op, code, msg) in cases {
        let err = response(request(&mut h, &mut api, CLIENT, 9, op)).unwrap_err();
        assert_eq!(err.code, code, "{name}");
        assert!(err.message.contains(msg), "{name}: {}", err.message);
    }
}

#[test]
fn bind_sets_node_and_condition_and_only_once() {
    let mut h = harness();
    let mut api = instant();
    let p = call(&mut h, &mut api, 1, Op::Create(pod("p1")));
    let bind = |node: &str| Op::Bind {
        namespace: "default".into(),
        name: "p1".into(),
        uid: p.meta().uid.clone(),
        node: node.into(),
    };
    let bound = call(&mut h, &mut api, 2, bind("n1"));
    let Object::Pod(bp) = bound.as_ref() else {
        panic!()
    };
    assert_eq!(bp.spec.node_name, "n1");
    assert_eq!(bp.condition("PodScheduled").unwrap().status, "True");
    let err = response(request(&mut h, &mut api, CLIENT, 3, bind("n2"))).unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(
        err.message,
        "Operation cannot be fulfilled on pods/binding \"p1\": pod p1 is already assigned to node \"n1\""
    );
    let v: serde_json::Value = serde_json::from_str(&h.trace_lines()[1]).unwrap();
    assert_eq!(v["verb"], "bind");
    assert_eq!(v["kind"], "Pod");
    assert_eq!(v["object"]["spec"]["nodeName"], "n1");
}

#[test]
fn watch_replays_from_revision_and_filters_by_node() {
    let mut h = harness();
    let mut api = instant();
    let a = call(&mut h, &mut api, 1, Op::Create(pod("a")));
    call(&mut h, &mut api, 2, Op::Create(pod("b")));
    // An unfiltered watch from revision 1 replays b.
    let sent = request(
        &mut h,
        &mut api,
        CLIENT,
        3,
        Op::Watch {
            watch_id: 7,
            kind: Kind::Pod,
            opts: ListOptions::default(),
            resource_version: 1,
        },
    );
    assert_eq!(watch_events(&sent, CLIENT), ["ADDED b 2"]);
    // The kubelet of n1 watches pods on n1 only.
    let sent = request(
        &mut h,
        &mut api,
        KUBELET,
        4,
        Op::Watch {
            watch_id: 1,
            kind: Kind::Pod,
            opts: ListOptions {
                node_name: Some("n1".into()),
                ..Default::default()
            },
            resource_version: 2,
        },
    );
    assert!(watch_events(&sent, KUBELET).is_empty());
    let sent = request(
        &mut h,
        &mut api,
        CLIENT,
        5,
        Op::Bind {
            namespace: "default".into(),
            name: "a".into(),
            uid: a.meta().uid.clone(),
            node: "n1".into(),
        },
    );
    assert_eq!(watch_events(&sent, CLIENT), ["MODIFIED a 3"]);
    assert_eq!(
        watch_events(&sent, KUBELET),
        ["ADDED a 3"],
        "entering the filter is ADDED"
    );
    let sent = request(
        &mut h,
        &mut api,
        CLIENT,
        6,
        Op::Delete {
            kind: Kind::Pod,
            namespace: "default".into(),
            name: "a".into(),
            options: DeleteOptions {
                grace_period_seconds: Some(0),
                ..Default::default()
            },
        },
    );
    assert_eq!(watch_events(&sent, KUBELET), ["DELETED a 4"]);
    assert_eq!(watch_events(&sent, CLIENT), ["DELETED a 4"]);
}

#[test]
fn watch_from_compacted_revision_is_gone() {
    let mut h = harness();
    let mut api = ApiServer::new(ApiServerConfig {
        compaction_interval: SimDuration::from_secs(10),
        write_latency: crate::sim::Latency::ZERO,
    });
    h.feed(&mut api, Input::Start);
    for (i, n) in ["a", "b", "c"].iter().enumerate() {
        let mut l = Lease::default();
        l.metadata.name = n.to_string();
        l.metadata.namespace = "kube-node-lease".into();
        call(&mut h, &mut api, i as u64, Op::Create(Object::Lease(l)));
    }
    // First tick remembers revision 3, the second compacts to it.
    for _ in 0..2 {
        h.advance(SimDuration::from_secs(10));
        h.feed(
            &mut api,
            Input::Timer {
                id: crate::sim::EventId(0),
                tag: TIMER_COMPACT,
            },
        );
    }
    assert_eq!(api.store().compacted(), 3);
    let sent = request(
        &mut h,
        &mut api,
        CLIENT,
        9,
        Op::Watch {
            watch_id: 1,
            kind: Kind::Lease,
            opts: ListOptions::default(),
            resource_version: 1,
        },
    );
    assert_eq!(watch_events(&sent, CLIENT), ["ERROR 410"]);
}

#[test]
fn status_writes_keep_spec_and_spec_writes_keep_status() {
    let mut h = harness();
    let mut api = instant();
    let p = call(&mut h, &mut api, 1, Op::Create(pod("p")));
    let Object::Pod(mut with_status) = (*p).clone() else {
        panic!()
    };
    with_status.status.phase = "Running".into();
    with_status.spec.node_name = "sneaky".into();
    let after = object(response(request(
        &mut h,
        &mut api,
        KUBELET,
        2,
        Op::PatchStatus(Object::Pod(with_status)),
    )));
    let Object::Pod(ap) = after.as_ref() else {
        panic!()
    };
    assert_eq!(ap.status.phase, "Running");
    assert_eq!(ap.spec.node_name, "", "a status write does not change spec");
    let mut spec_change = ap.clone();
    spec_change.status.phase = "Failed".into();
    spec_change.metadata.labels.insert("k".into(), "v".into());
    let after = call(&mut h, &mut api, 3, Op::Update(Object::Pod(spec_change)));
    let Object::Pod(ap) = after.as_ref() else {
        panic!()
    };
    assert_eq!(
        ap.status.phase, "Running",
        "an update does not change status"
    );
    assert_eq!(ap.metadata.labels.get("k").map(String::as_str), Some("v"));
    let v: serde_json::Value = serde_json::from_str(&h.trace_lines()[1]).unwrap();
    assert_eq!(v["verb"], "patch");
    assert_eq!(v["actor"], "kubelet/n1");
}

fn delete_op(name: &str, grace: Option<i64>, policy: Option<&str>) -> Op {
    Op::Delete {
        kind: Kind::Pod,
        namespace: "default".into(),
        name: name.into(),
        options: DeleteOptions {
            grace_period_seconds: grace,
            propagation_policy: policy.map(String::from),
            uid: None,
        },
    }
}

fn bound_pod(h: &mut Harness<Msg>, api: &mut ApiServer, name: &str) -> ObjectRef {
    let p = object(response(request(h, api, CLIENT, 1, Op::Create(pod(name)))));
    object(response(request(
        h,
        api,
        CLIENT,
        2,
        Op::Bind {
            namespace: "default".into(),
            name: name.into(),
            uid: p.meta().uid.clone(),
            node: "n1".into(),
        },
    )))
}

/// How a delete request leaves the pod: (name, bound, grace asked, policy, still stored,
/// deletionGracePeriodSeconds, finalizers, trace verb).
#[test]
fn deletion_table() {
    type Case = (
        &'static str,
        bool,
        Option<i64>,
        Option<&'static str>,
        bool,
        Option<i64>,
        Vec<&'static str>,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "unbound pod goes at once",
            false,
            None,
            None,
            false,
            None,
            vec![],
            "delete",
        ),
        (
            "bound pod is graceful (terminationGracePeriodSeconds 30)",
            true,
            None,
            None,
            true,
            Some(30),
            vec![],
            "update",
        ),
        (
            "bound pod with grace 0 goes at once",
            true,
            Some(0),
            None,
            false,
            None,
            vec![],
            "delete",
        ),
        (
            "orphan policy adds the orphan finalizer",
            false,
            None,
            Some("Orphan"),
            true,
            Some(0),
            vec!["orphan"],
            "update",
        ),
        (
            "foreground policy adds foregroundDeletion",
            false,
            None,
            Some("Foreground"),
            true,
            Some(0),
            vec!["foregroundDeletion"],
            "update",
        ),
        (
            "background policy adds nothing",
            false,
            None,
            Some("Background"),
            false,
            None,
            vec![],
            "delete",
        ),
    ];
    for (name, bound, grace, policy, stored, dgps, finalizers, verb) in cases {
        let mut h = harness();
        let mut api = instant();
        h.advance(SimDuration::from_secs(10));
        if bound {
            bound_pod(&mut h, &mut api, "p");
        } else {
            call(&mut h, &mut api, 1, Op::Create(pod("p")));
        }
        let got = call(&mut h, &mut api, 3, delete_op("p", grace, policy));
        let still = api.store().get(Kind::Pod, "default", "p").is_some();
        assert_eq!(still, stored, "{name}");
        let m = got.meta();
        assert_eq!(m.deletion_grace_period_seconds, dgps, "{name}");
        assert_eq!(m.finalizers, finalizers, "{name}");
        if let Some(g) = dgps {
            let want = SimTime(10_000_000) + SimDuration::from_secs(g as u64);
            assert_eq!(m.deletion_timestamp, Some(Time(want)), "{name}: deadline");
        }
        let v: serde_json::Value = serde_json::from_str(h.trace_lines().last().unwrap()).unwrap();
        assert_eq!(v["verb"], verb, "{name}");
    }
}

#[test]
fn graceful_delete_only_shortens_and_a_zero_grace_delete_removes() {
    let mut h = harness();
    let mut api = instant();
    bound_pod(&mut h, &mut api, "p");
    let first = call(&mut h, &mut api, 3, delete_op("p", Some(60), None));
    assert_eq!(first.meta().deletion_grace_period_seconds, Some(60));
    let again = call(&mut h, &mut api, 4, delete_op("p", Some(90), None));
    assert_eq!(
        again.meta().resource_version,
        first.meta().resource_version,
        "a longer grace changes nothing"
    );
    let shorter = call(&mut h, &mut api, 5, delete_op("p", Some(5), None));
    assert_eq!(shorter.meta().deletion_grace_period_seconds, Some(5));
    // The kubelet's final delete.
    object(response(request(
        &mut h,
        &mut api,
        KUBELET,
        6,
        delete_op("p", Some(0), None),
    )));
    assert!(api.store().get(Kind::Pod, "default", "p").is_none());
}

#[test]
fn removing_the_last_finalizer_deletes_and_none_can_be_added() {
    let mut h = harness();
    let mut api = instant();
    call(&mut h, &mut api, 1, Op::Create(pod("p")));
    let marked = call(&mut h, &mut api, 2, delete_op("p", None, Some("Orphan")));
    let mut add = (*marked).clone();
    add.meta_mut().finalizers.push("example.com/x".into());
    let err = response(request(&mut h, &mut api, CLIENT, 3, Op::Update(add))).unwrap_err();
    assert!(
        err.message
            .contains("no new finalizers can be added if the object is being deleted"),
        "{}",
        err.message
    );
    let mut clear = (*marked).clone();
    clear.meta_mut().finalizers.clear();
    call(&mut h, &mut api, 4, Op::Update(clear));
    assert!(api.store().get(Kind::Pod, "default", "p").is_none());
    let v: serde_json::Value = serde_json::from_str(h.trace_lines().last().unwrap()).unwrap();
    assert_eq!(v["verb"], "delete");
}

#[test]
fn writes_commit_in_order_after_the_store_latency() {
    let mut h = harness();
    let mut api = ApiServer::new(ApiServerConfig {
        write_latency: crate::sim::Latency::fixed(SimDuration::from_millis(2)),
        ..Default::default()
    });
    let sent = request(&mut h, &mut api, CLIENT, 1, Op::Create(pod("a")));
    let timers: Vec<(SimTime, u64)> = sent
        .iter()
        .filter_map(|s| match s {
            Sent::Timer { at, tag } => Some((*at, *tag)),
            _ => None,
        })
        .collect();
    assert_eq!(
        timers,
        [(SimTime(2_000), TIMER_COMMIT)],
        "no answer before the commit"
    );
    // A read in between does not see the write yet.
    let get = Op::Get {
        kind: Kind::Pod,
        namespace: "default".into(),
        name: "a".into(),
    };
    assert_eq!(
        response(request(&mut h, &mut api, CLIENT, 2, get))
            .unwrap_err()
            .code,
        404
    );
    h.set_now(SimTime(2_000));
    let o = object(response(h.feed(
        &mut api,
        Input::Timer {
            id: crate::sim::EventId(0),
            tag: TIMER_COMMIT,
        },
    )));
    assert_eq!(o.meta().name, "a");
}

#[test]
fn a_down_api_server_refuses_requests_and_breaks_watches() {
    let mut h = harness();
    let mut api = instant();
    request(
        &mut h,
        &mut api,
        CLIENT,
        1,
        Op::Watch {
            watch_id: 3,
            kind: Kind::Pod,
            opts: ListOptions::default(),
            resource_version: 0,
        },
    );
    let sent = h.feed(
        &mut api,
        Input::Message {
            from: ActorId(0),
            msg: Msg::Control(Control::ApiServerDown {
                until: SimTime(60_000_000),
            }),
        },
    );
    assert_eq!(watch_events(&sent, CLIENT), ["ERROR 503"]);
    let err = response(request(&mut h, &mut api, CLIENT, 2, Op::Create(pod("a")))).unwrap_err();
    assert_eq!(
        (err.code, err.message.as_str()),
        (503, "dial tcp: connect: connection refused")
    );
    h.set_now(SimTime(60_000_000));
    call(&mut h, &mut api, 3, Op::Create(pod("a")));
    // The broken watch is gone: the new write reaches no one.
    let sent = request(&mut h, &mut api, CLIENT, 4, Op::Create(pod("b")));
    assert!(watch_events(&sent, CLIENT).is_empty());
}
