//! EndpointSlice controller unit tests, adapted from upstream
//! pkg/controller/endpointslice/endpointslice_controller_test.go (TestSyncServiceNoSelector,
//! TestSyncServiceFull, TestSyncServicePodSelection), staging/src/k8s.io/endpointslice/
//! reconciler_test.go (TestReconcile1Pod) and utils_test.go (TestPodToEndpoint).

use super::*;
use crate::api::service::ServicePort;
use crate::api::{ApiError, Op, Request, Time, WatchEvent, WatchMsg};
use crate::sim::testing::{Harness, Sent};
use crate::sim::{ActorId, EventId, SimTime};
use std::sync::Arc;

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);

struct Bench {
    h: Harness<Msg>,
    c: EndpointSliceController,
    inbox: Vec<Request>,
    timers: Vec<(SimTime, u64)>,
    watch: BTreeMap<Kind, u64>,
    rv: u64,
}

impl Bench {
    fn new() -> Self {
        Bench {
            h: Harness::new(&["kube-apiserver", NAME], ME, 1),
            c: EndpointSliceController::new(ApiClient::new(API)),
            inbox: Vec::new(),
            timers: Vec::new(),
            watch: BTreeMap::new(),
            rv: 100,
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

    /// Fires the sync timers due now.
    fn settle(&mut self) {
        let now = self.h.now();
        while let Some(i) = self.timers.iter().position(|(at, _)| *at <= now) {
            let (_, tag) = self.timers.remove(i);
            self.feed(Input::Timer {
                id: EventId(0),
                tag,
            });
        }
    }

    fn start(&mut self, services: Vec<ObjectRef>, pods: Vec<ObjectRef>, slices: Vec<ObjectRef>) {
        self.feed(Input::Start);
        let lists: Vec<Request> = self.inbox.drain(..).collect();
        assert_eq!(lists.len(), 3, "lists Services, Pods and EndpointSlices");
        for (r, items) in lists.into_iter().zip([services, pods, slices]) {
            self.respond(
                r.id,
                Ok(Reply::List {
                    items,
                    resource_version: 10,
                }),
            );
        }
        for w in std::mem::take(&mut self.inbox) {
            let Op::Watch { watch_id, kind, .. } = w.op else {
                panic!("expected watches, got {:?}", w.op)
            };
            self.watch.insert(kind, watch_id);
        }
        assert_eq!(self.watch.len(), 3);
        self.settle();
    }

    fn event(&mut self, kind: Kind, event: WatchEvent) {
        let watch_id = self.watch[&kind];
        self.feed(Input::Message {
            from: API,
            msg: Msg::Watch(Box::new(WatchMsg { watch_id, event })),
        });
        self.settle();
    }

    /// Takes the slice writes sent so far: (request id, is create, slice).
    fn writes(&mut self) -> Vec<(u64, bool, EndpointSlice)> {
        let mut out = Vec::new();
        for r in std::mem::take(&mut self.inbox) {
            match r.op {
                Op::Create(Object::EndpointSlice(s)) => out.push((r.id, true, s)),
                Op::Update(Object::EndpointSlice(s)) => out.push((r.id, false, s)),
                op => panic!("unexpected request {op:?}"),
            }
        }
        out
    }

    /// Answers a write as the API server would (names a created slice "<svc>-abcde"), then
    /// delivers its watch event; returns the stored slice.
    fn commit(&mut self, id: u64, create: bool, mut s: EndpointSlice) -> ObjectRef {
        self.rv += 1;
        if create {
            s.metadata.name = format!("{}abcde", s.metadata.generate_name);
        }
        s.metadata.resource_version = self.rv;
        let o = Arc::new(Object::EndpointSlice(s));
        self.respond(id, Ok(Reply::Object(o.clone())));
        self.settle();
        assert!(
            self.inbox.is_empty(),
            "no write before the cache catches up"
        );
        let ev = if create {
            WatchEvent::Added(o.clone())
        } else {
            WatchEvent::Modified(o.clone())
        };
        self.event(Kind::EndpointSlice, ev);
        o
    }
}

fn service(selector: &[(&str, &str)]) -> ObjectRef {
    let mut s = Service::default();
    s.metadata.name = "foo".into();
    s.metadata.namespace = "default".into();
    s.metadata.uid = "svc-uid".into();
    s.spec.selector = selector
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.spec.ports = vec![ServicePort {
        name: "http".into(),
        protocol: "TCP".into(),
        port: 80,
        target_port: 8080,
    }];
    s.spec.cluster_ip = "10.96.0.11".into();
    Arc::new(Object::Service(s))
}

#[derive(Clone, Copy)]
struct P<'a> {
    name: &'a str,
    ns: &'a str,
    labels: &'a [(&'a str, &'a str)],
    ip: &'a str,
    ready: bool,
    terminating: bool,
    phase: &'a str,
}

const POD: P = P {
    name: "pod0",
    ns: "default",
    labels: &[("foo", "bar")],
    ip: "10.244.0.2",
    ready: true,
    terminating: false,
    phase: "Running",
};

fn pod(p: P) -> Pod {
    let mut o = Pod::default();
    o.metadata.name = p.name.into();
    o.metadata.namespace = p.ns.into();
    o.metadata.uid = format!("uid-{}", p.name);
    o.metadata.labels = p
        .labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    o.spec.node_name = "node-1".into();
    o.spec.containers = vec![crate::api::Container {
        name: "c".into(),
        image: "nginx".into(),
        ..Default::default()
    }];
    o.status.phase = p.phase.into();
    o.status.pod_ip = p.ip.into();
    o.set_condition(
        "Ready",
        if p.ready { "True" } else { "False" },
        Time(SimTime(0)),
    );
    if p.terminating {
        o.metadata.deletion_timestamp = Some(Time(SimTime(5_000_000)));
    }
    o
}

fn pod_ref(p: P) -> ObjectRef {
    Arc::new(Object::Pod(pod(p)))
}

/// (address, ready, serving, terminating) of each endpoint.
fn summary(s: &EndpointSlice) -> Vec<(String, bool, bool, bool)> {
    s.spec
        .endpoints
        .iter()
        .map(|e| {
            let c = &e.conditions;
            (
                e.addresses.join(","),
                c.ready.unwrap(),
                c.serving.unwrap(),
                c.terminating.unwrap(),
            )
        })
        .collect()
}

fn ep(addr: &str, ready: bool, serving: bool, terminating: bool) -> (String, bool, bool, bool) {
    (addr.to_string(), ready, serving, terminating)
}

/// utils_test.go TestPodToEndpoint (the cases without publishNotReadyAddresses and hostnames).
#[test]
fn pod_to_endpoint_table() {
    type Want = Option<(bool, bool, bool)>;
    let cases: [(&str, P, Want); 7] = [
        ("Ready pod", POD, Some((true, true, false))),
        (
            "Unready pod",
            P {
                ready: false,
                ..POD
            },
            Some((false, false, false)),
        ),
        (
            "Ready terminating pod",
            P {
                terminating: true,
                ..POD
            },
            Some((false, true, true)),
        ),
        (
            "Not ready terminating pod",
            P {
                ready: false,
                terminating: true,
                ..POD
            },
            Some((false, false, true)),
        ),
        ("Pod without IP", P { ip: "", ..POD }, None),
        (
            "Succeeded pod",
            P {
                phase: "Succeeded",
                ..POD
            },
            None,
        ),
        (
            "Failed pod",
            P {
                phase: "Failed",
                ..POD
            },
            None,
        ),
    ];
    for (name, p, want) in cases {
        let got = pod_to_endpoint(&pod(p));
        let got_c = got.as_ref().map(|e| {
            let c = &e.conditions;
            (c.ready.unwrap(), c.serving.unwrap(), c.terminating.unwrap())
        });
        assert_eq!(got_c, want, "{name}");
        if let Some(e) = got {
            assert_eq!(e.addresses, vec![p.ip.to_string()], "{name}");
            assert_eq!(e.node_name.as_deref(), Some("node-1"), "{name}");
            let t = e.target_ref.unwrap();
            assert_eq!(
                (
                    t.kind.as_str(),
                    t.namespace.as_str(),
                    t.name.as_str(),
                    t.uid
                ),
                ("Pod", "default", "pod0", "uid-pod0".to_string()),
                "{name}"
            );
        }
    }
}

/// TestSyncServiceNoSelector: a Service without a selector gets no slice.
#[test]
fn no_selector_no_slice() {
    let mut b = Bench::new();
    b.start(vec![service(&[])], vec![pod_ref(POD)], vec![]);
    assert!(b.writes().is_empty());
}

/// TestSyncServiceFull / TestSyncServicePodSelection / TestReconcile1Pod: one slice with only
/// the matching pods that have an IP, with upstream's conditions, owner and labels.
#[test]
fn creates_one_slice_with_matching_pods() {
    let mut b = Bench::new();
    let pods = vec![
        pod_ref(POD),
        pod_ref(P {
            name: "pod1",
            ip: "10.244.0.3",
            ready: false,
            ..POD
        }),
        pod_ref(P {
            name: "pod2",
            ip: "10.244.0.4",
            terminating: true,
            ..POD
        }),
        pod_ref(P {
            name: "no-ip",
            ip: "",
            ..POD
        }),
        pod_ref(P {
            name: "other-labels",
            labels: &[("foo", "baz")],
            ip: "10.244.0.5",
            ..POD
        }),
        pod_ref(P {
            name: "other-ns",
            ns: "kube-system",
            ip: "10.244.0.6",
            ..POD
        }),
        pod_ref(P {
            name: "done",
            phase: "Succeeded",
            ip: "10.244.0.7",
            ..POD
        }),
    ];
    b.start(vec![service(&[("foo", "bar")])], pods, vec![]);
    let w = b.writes();
    assert_eq!(w.len(), 1);
    let (_, create, s) = &w[0];
    assert!(create);
    assert_eq!(s.metadata.generate_name, "foo-");
    assert_eq!(s.metadata.namespace, "default");
    assert_eq!(s.metadata.labels[LABEL_SERVICE_NAME], "foo");
    assert_eq!(s.metadata.labels[LABEL_MANAGED_BY], CONTROLLER_NAME);
    let owner = &s.metadata.owner_references[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
        ("Service", "foo", "svc-uid")
    );
    assert_eq!(owner.controller, Some(true));
    assert_eq!(s.spec.address_type, "IPv4");
    assert_eq!(
        summary(s),
        vec![
            ep("10.244.0.2", true, true, false),
            ep("10.244.0.3", false, false, false),
            ep("10.244.0.4", false, true, true),
        ]
    );
    assert_eq!(
        s.spec.ports,
        vec![EndpointPort {
            name: Some("http".into()),
            protocol: Some("TCP".into()),
            port: Some(8080),
        }]
    );
}

/// A Service selecting nothing still gets an (empty) placeholder slice, as upstream.
#[test]
fn placeholder_slice_without_pods() {
    let mut b = Bench::new();
    b.start(vec![service(&[("foo", "bar")])], vec![], vec![]);
    let w = b.writes();
    assert_eq!(w.len(), 1);
    assert!(w[0].2.spec.endpoints.is_empty());
}

/// Readiness changes, new pods, label changes and deletions update the slice (with its
/// resourceVersion); changes that do not touch the slice write nothing.
#[test]
fn updates_follow_pod_changes() {
    let mut b = Bench::new();
    let p0 = pod_ref(P {
        ready: false,
        ..POD
    });
    b.start(vec![service(&[("foo", "bar")])], vec![p0.clone()], vec![]);
    let (id, create, s) = b.writes().remove(0);
    let stored = b.commit(id, create, s);
    assert!(b.writes().is_empty(), "the stored slice is current");

    type Step = (&'static str, WatchEvent, Vec<(String, bool, bool, bool)>);
    let steps: Vec<Step> = vec![
        (
            "pod becomes ready",
            WatchEvent::Modified(pod_ref(POD)),
            vec![ep("10.244.0.2", true, true, false)],
        ),
        (
            "a second pod gets an IP",
            WatchEvent::Added(pod_ref(P {
                name: "pod1",
                ip: "10.244.0.3",
                ..POD
            })),
            vec![
                ep("10.244.0.2", true, true, false),
                ep("10.244.0.3", true, true, false),
            ],
        ),
        (
            "pod0 is being deleted",
            WatchEvent::Modified(pod_ref(P {
                terminating: true,
                ..POD
            })),
            vec![
                ep("10.244.0.2", false, true, true),
                ep("10.244.0.3", true, true, false),
            ],
        ),
        (
            "pod0 is gone",
            WatchEvent::Deleted(pod_ref(P {
                terminating: true,
                ..POD
            })),
            vec![ep("10.244.0.3", true, true, false)],
        ),
        (
            "pod1 no longer matches",
            WatchEvent::Modified(pod_ref(P {
                name: "pod1",
                ip: "10.244.0.3",
                labels: &[("foo", "other")],
                ..POD
            })),
            vec![],
        ),
    ];
    let mut rv = stored.meta().resource_version;
    let name = stored.meta().name.clone();
    for (what, ev, want) in steps {
        b.event(Kind::Pod, ev);
        let mut w = b.writes();
        assert_eq!(w.len(), 1, "{what}");
        let (id, create, s) = w.remove(0);
        assert!(!create, "{what}: updates the existing slice");
        assert_eq!(s.metadata.name, name, "{what}");
        assert_eq!(
            s.metadata.resource_version, rv,
            "{what}: update carries the rv"
        );
        assert_eq!(summary(&s), want, "{what}");
        rv = b.commit(id, create, s).meta().resource_version;
    }
    // A pod change that leaves the endpoints alone writes nothing.
    b.event(
        Kind::Pod,
        WatchEvent::Modified(pod_ref(P {
            name: "pod1",
            ip: "10.244.0.3",
            labels: &[("foo", "other"), ("x", "y")],
            ..POD
        })),
    );
    assert!(b.writes().is_empty());
}

/// A 409 on update requeues with back-off; the retry uses the newer cached slice.
#[test]
fn conflict_requeues() {
    let mut b = Bench::new();
    b.start(vec![service(&[("foo", "bar")])], vec![], vec![]);
    let (id, create, s) = b.writes().remove(0);
    let stored = b.commit(id, create, s);
    b.event(Kind::Pod, WatchEvent::Added(pod_ref(POD)));
    let (id, _, _) = b.writes().remove(0);
    b.respond(
        id,
        Err(ApiError::stale(Kind::EndpointSlice, &stored.meta().name)),
    );
    b.settle();
    assert!(b.writes().is_empty(), "waits for the back-off");
    // Someone else touched the slice meanwhile.
    let Object::EndpointSlice(mut newer) = stored.as_ref().clone() else {
        unreachable!()
    };
    newer.metadata.resource_version = 500;
    newer
        .metadata
        .annotations
        .insert("touched".into(), "yes".into());
    b.event(
        Kind::EndpointSlice,
        WatchEvent::Modified(Arc::new(Object::EndpointSlice(newer))),
    );
    let w = b.writes();
    assert_eq!(w.len(), 1, "the slice event re-enqueues the Service");
    assert_eq!(w[0].2.metadata.resource_version, 500);
    assert_eq!(summary(&w[0].2), vec![ep("10.244.0.2", true, true, false)]);
}

/// Slices of other managers and of other Services are left alone; a deleted Service's slice
/// is not touched (the garbage collector deletes it).
#[test]
fn deletes_nothing() {
    let mut b = Bench::new();
    let mut foreign = EndpointSlice::default();
    foreign.metadata.name = "foo-manual".into();
    foreign.metadata.namespace = "default".into();
    foreign
        .metadata
        .labels
        .insert(LABEL_SERVICE_NAME.into(), "foo".into());
    foreign.spec.address_type = "IPv4".into();
    b.start(
        vec![service(&[("foo", "bar")])],
        vec![pod_ref(POD)],
        vec![Arc::new(Object::EndpointSlice(foreign))],
    );
    let w = b.writes();
    assert_eq!(w.len(), 1);
    assert!(w[0].1, "creates its own slice next to the foreign one");
    let (id, create, s) = w.into_iter().next().unwrap();
    b.commit(id, create, s);
    b.event(
        Kind::Service,
        WatchEvent::Deleted(service(&[("foo", "bar")])),
    );
    b.event(Kind::Pod, WatchEvent::Deleted(pod_ref(POD)));
    assert!(b.writes().is_empty());
}

/// End to end with the API server: Service admission gives a ClusterIP, the controller's
/// slice is created through generateName and follows a graceful pod deletion.
#[test]
fn with_the_api_server() {
    use crate::api::{ApiServer, ApiServerConfig};
    use crate::client::kubectl::{Command, Kubectl};
    use crate::sim::link::Latency;
    use crate::sim::trace::Trace;
    use crate::sim::Sim;

    let lat = Latency {
        min: SimDuration::from_millis(1),
        max: SimDuration::from_millis(5),
    };
    let mut sim: Sim<Msg> = Sim::new(3, lat, Trace::new());
    let api = sim.add_actor(
        "kube-apiserver",
        Box::new(ApiServer::new(ApiServerConfig::default())),
    );
    sim.network_mut().set_hub(api);
    let client = ApiClient::new(api);
    let svc = {
        let Object::Service(mut s) = service(&[("foo", "bar")]).as_ref().clone() else {
            unreachable!()
        };
        s.metadata.uid.clear();
        s.spec.cluster_ip.clear();
        Object::Service(s)
    };
    let s = |secs: u64| SimTime(secs * 1_000_000);
    let commands = vec![
        (s(1), Command::Create(Box::new(svc))),
        (s(1), Command::Create(Box::new(Object::Pod(pod(POD))))),
        (
            s(1),
            Command::Create(Box::new(Object::Pod(pod(P {
                name: "pod1",
                ip: "10.244.0.3",
                ..POD
            })))),
        ),
        (
            s(3),
            Command::Delete {
                kind: Kind::Pod,
                namespace: "default".into(),
                name: "pod0".into(),
                propagation: None,
            },
        ),
    ];
    let kubectl = sim.add_actor("kubectl", Box::new(Kubectl::new(client.clone(), commands)));
    let ctrl = sim.add_actor(NAME, Box::new(EndpointSliceController::new(client)));
    for id in [api, kubectl, ctrl] {
        sim.start_at(id, SimTime::ZERO);
    }
    let slice_of = |sim: &Sim<Msg>| -> Vec<EndpointSlice> {
        let store = sim.actor::<ApiServer>(api).unwrap().store();
        store
            .list(Kind::EndpointSlice, Some("default"))
            .filter_map(|o| <EndpointSlice as crate::api::Resource>::from_object(o).cloned())
            .collect()
    };
    sim.run_until(s(2));
    let store = sim.actor::<ApiServer>(api).unwrap().store();
    let Some(Object::Service(created)) = store
        .get(Kind::Service, "default", "foo")
        .map(|o| o.as_ref())
    else {
        panic!("service stored")
    };
    assert!(
        crate::api::service::in_service_cidr(&created.spec.cluster_ip),
        "{}",
        created.spec.cluster_ip
    );
    assert_eq!(created.spec.type_, "ClusterIP");
    let slices = slice_of(&sim);
    assert_eq!(slices.len(), 1);
    let name = &slices[0].metadata.name;
    assert!(
        name.starts_with("foo-") && name.len() == "foo-".len() + 5,
        "{name}"
    );
    assert_eq!(
        summary(&slices[0]),
        vec![
            ep("10.244.0.2", true, true, false),
            ep("10.244.0.3", true, true, false)
        ]
    );
    sim.run_until(s(4));
    let k = sim.actor::<Kubectl>(kubectl).unwrap();
    assert!(k.errors().is_empty(), "{:?}", k.errors());
    let slices = slice_of(&sim);
    assert_eq!(slices.len(), 1, "updated in place");
    assert_eq!(
        summary(&slices[0]),
        vec![
            ep("10.244.0.2", false, true, true),
            ep("10.244.0.3", true, true, false)
        ]
    );
}
