//! kube-proxy unit tests: it programs the rules a sync latency after a change, no more often
//! than min_sync_period, routes only to ready endpoints (pkg/proxy/topology_test.go
//! TestCategorizeEndpoints: the serving terminating endpoints only when none is ready), and
//! writes nothing.

use super::*;
use crate::api::endpointslice::{Endpoint, EndpointConditions};
use crate::api::{ApiError, Object, ObjectRef, Op, Reply, Request, Response, WatchEvent, WatchMsg};
use crate::sim::testing::{pop_due, Harness, Sent};
use crate::sim::{ActorId, EventId};
use std::sync::Arc;

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);

struct Bench {
    h: Harness<Msg>,
    p: KubeProxy,
    inbox: Vec<Request>,
    timers: Vec<(SimTime, u64)>,
    watch: BTreeMap<Kind, u64>,
    /// Messages the client sent to itself (failed requests).
    to_self: Vec<Msg>,
}

impl Bench {
    fn new() -> Self {
        Bench {
            h: Harness::new(&["kube-apiserver", "kube-proxy/node-1"], ME, 7),
            p: KubeProxy::new(
                "node-1".into(),
                ApiClient::new(API),
                KubeProxyConfig::default(),
            ),
            inbox: Vec::new(),
            timers: Vec::new(),
            watch: BTreeMap::new(),
            to_self: Vec::new(),
        }
    }

    fn feed(&mut self, input: Input<Msg>) {
        for s in self.h.feed(&mut self.p, input) {
            match s {
                Sent::Message {
                    msg: Msg::Request(r),
                    ..
                } => self.inbox.push(*r),
                Sent::Timer { at, tag } => self.timers.push((at, tag)),
                Sent::Message { to, msg } => {
                    assert_eq!(to, ME);
                    self.to_self.push(msg);
                }
            }
        }
    }

    /// Moves the clock to `t`, firing the timers due on the way, in time order.
    fn run_until(&mut self, t: SimTime) {
        while let Some((at, tag)) = pop_due(&mut self.timers, t) {
            self.h.set_now(at.max(self.h.now()));
            self.feed(Input::Timer {
                id: EventId(0),
                tag,
            });
        }
        self.h.set_now(t.max(self.h.now()));
    }

    fn start(&mut self, services: Vec<ObjectRef>, slices: Vec<ObjectRef>) {
        self.feed(Input::Start);
        let lists: Vec<Request> = self.inbox.drain(..).collect();
        assert_eq!(lists.len(), 2);
        for (r, items) in lists.into_iter().zip([services, slices]) {
            self.feed(Input::Message {
                from: API,
                msg: Msg::Response(Box::new(Response {
                    id: r.id,
                    result: Ok(Reply::List {
                        items,
                        resource_version: 10,
                    }),
                })),
            });
        }
        for w in std::mem::take(&mut self.inbox) {
            let Op::Watch { watch_id, kind, .. } = w.op else {
                panic!("expected watches")
            };
            self.watch.insert(kind, watch_id);
        }
    }

    fn event(&mut self, kind: Kind, event: WatchEvent) {
        let watch_id = self.watch[&kind];
        self.feed(Input::Message {
            from: API,
            msg: Msg::Watch(Box::new(WatchMsg { watch_id, event })),
        });
    }
}

fn service(name: &str) -> ObjectRef {
    let mut s = Service::default();
    s.metadata.name = name.into();
    s.metadata.namespace = "default".into();
    s.spec.cluster_ip = "10.96.0.11".into();
    Arc::new(Object::Service(s))
}

/// A slice of service `svc` with endpoints (address, ready, serving, terminating).
fn slice(svc: &str, name: &str, rv: u64, eps: &[(&str, bool, bool, bool)]) -> ObjectRef {
    let mut s = EndpointSlice::default();
    s.metadata.name = name.into();
    s.metadata.namespace = "default".into();
    s.metadata.resource_version = rv;
    s.metadata
        .labels
        .insert(LABEL_SERVICE_NAME.into(), svc.into());
    s.spec.address_type = "IPv4".into();
    s.spec.endpoints = eps
        .iter()
        .map(|(a, r, sv, t)| Endpoint {
            addresses: vec![a.to_string()],
            conditions: EndpointConditions {
                ready: Some(*r),
                serving: Some(*sv),
                terminating: Some(*t),
            },
            ..Default::default()
        })
        .collect();
    Arc::new(Object::EndpointSlice(s))
}

fn set(xs: &[&str]) -> BTreeSet<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

fn ms(n: u64) -> SimTime {
    SimTime(n * 1000)
}

/// TestCategorizeEndpoints (cluster traffic policy), through a full sync.
#[test]
fn endpoint_selection_table() {
    type Ep = (&'static str, bool, bool, bool);
    let cases: [(&str, &[Ep], &[&str]); 5] = [
        (
            "ready endpoints only",
            &[
                ("10.0.0.1", true, true, false),
                ("10.0.0.2", false, false, false),
            ],
            &["10.0.0.1"],
        ),
        (
            "terminating endpoints are dropped while some are ready",
            &[
                ("10.0.0.1", true, true, false),
                ("10.0.0.2", false, true, true),
            ],
            &["10.0.0.1"],
        ),
        (
            "no ready endpoints: serving terminating ones",
            &[
                ("10.0.0.1", false, true, true),
                ("10.0.0.2", false, false, true),
                ("10.0.0.3", false, false, false),
            ],
            &["10.0.0.1"],
        ),
        (
            "nothing ready or serving",
            &[
                ("10.0.0.1", false, false, true),
                ("10.0.0.2", false, false, false),
            ],
            &[],
        ),
        ("no endpoints", &[], &[]),
    ];
    for (name, eps, want) in cases {
        let mut b = Bench::new();
        b.start(
            vec![service("web")],
            vec![slice("web", "web-abcde", 5, eps)],
        );
        b.run_until(ms(1000));
        assert_eq!(b.p.routes("default", "web"), Some(&set(want)), "{name}");
        assert!(b.inbox.is_empty(), "{name}: kube-proxy writes nothing");
    }
}

#[test]
fn programs_after_sync_latency_and_bounds_frequency() {
    let mut b = Bench::new();
    b.start(
        vec![service("web")],
        vec![slice(
            "web",
            "web-abcde",
            5,
            &[
                ("10.0.0.1", true, true, false),
                ("10.0.0.2", false, false, false),
            ],
        )],
    );
    // Nothing is programmed before the latency has passed.
    b.run_until(ms(99));
    assert_eq!(b.p.routes("default", "web"), None);
    b.run_until(ms(300));
    assert_eq!(b.p.routes("default", "web"), Some(&set(&["10.0.0.1"])));
    let (t0, key, n) = b.p.programmed()[0].clone();
    assert!(
        (ms(100)..=ms(300)).contains(&t0),
        "latency 100ms..300ms: {t0:?}"
    );
    assert_eq!((key.as_str(), n), ("default/web", 1));
    assert_eq!(b.p.programmed().len(), 1);

    // A change at 500 ms: the next sync starts at 1 s (min_sync_period after the first one).
    b.run_until(ms(500));
    b.event(
        Kind::EndpointSlice,
        WatchEvent::Modified(slice(
            "web",
            "web-abcde",
            6,
            &[
                ("10.0.0.1", true, true, false),
                ("10.0.0.2", true, true, false),
            ],
        )),
    );
    b.run_until(ms(999));
    assert_eq!(b.p.routes("default", "web"), Some(&set(&["10.0.0.1"])));
    b.run_until(ms(1300));
    assert_eq!(
        b.p.routes("default", "web"),
        Some(&set(&["10.0.0.1", "10.0.0.2"]))
    );
    let (t1, _, n) = b.p.programmed()[1].clone();
    assert!((ms(1100)..=ms(1300)).contains(&t1), "{t1:?}");
    assert_eq!(n, 2);

    // The endpoint turns not ready, then the Service goes away: rules dropped.
    b.event(
        Kind::EndpointSlice,
        WatchEvent::Modified(slice(
            "web",
            "web-abcde",
            7,
            &[
                ("10.0.0.1", true, true, false),
                ("10.0.0.2", false, true, true),
            ],
        )),
    );
    b.run_until(ms(2400));
    assert_eq!(b.p.routes("default", "web"), Some(&set(&["10.0.0.1"])));
    b.event(Kind::Service, WatchEvent::Deleted(service("web")));
    b.run_until(ms(3400));
    assert_eq!(b.p.routes("default", "web"), None);
    let counts: Vec<usize> = b.p.programmed().iter().map(|e| e.2).collect();
    assert_eq!(counts, [1, 2, 1, 0]);
    // Periodic resyncs change nothing.
    b.run_until(SimTime(65_000_000));
    assert_eq!(b.p.programmed().len(), 4);
    assert!(b.inbox.is_empty());
}

#[test]
fn connection_lost_fails_open_requests() {
    let mut b = Bench::new();
    b.start(vec![service("web")], vec![]);
    b.feed(Input::Message {
        from: API,
        msg: Msg::Control(Control::ConnectionLost),
    });
    let failed = std::mem::take(&mut b.to_self);
    assert!(!failed.is_empty());
    for msg in failed {
        if let Msg::Response(r) = &msg {
            assert!(matches!(r.result, Err(ApiError { .. })));
        }
        b.feed(Input::Message { from: ME, msg });
    }
    // The informers watch again from the resourceVersion they had.
    b.run_until(SimTime(5_000_000));
    let kinds: BTreeSet<Kind> = b
        .inbox
        .iter()
        .filter_map(|r| match r.op {
            Op::Watch {
                kind,
                resource_version: 10,
                ..
            } => Some(kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, BTreeSet::from([Kind::Service, Kind::EndpointSlice]));
}
