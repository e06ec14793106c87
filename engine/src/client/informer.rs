//! Informers: list, then watch from the list's resourceVersion, keeping a local cache; on a
//! watch error (410 Gone) re-list and diff against the cache, so the owner sees every change
//! once. Models k8s.io/client-go/tools/cache/reflector.go and shared_informer.go.

use super::apiclient::ApiClient;
use crate::api::nsmap::NsMap;
use crate::api::{
    Kind, ListOptions, Msg, ObjectRef, Reply, Resource, Response, WatchEvent, WatchMsg,
};
use crate::sim::{Context, SimDuration, SimTime};
use std::collections::BTreeMap;

/// A change the informer's owner is told about.
#[derive(Clone, Debug)]
pub enum Delta {
    Added(ObjectRef),
    Updated { old: ObjectRef, new: ObjectRef },
    Deleted(ObjectRef),
}

impl Delta {
    /// The object as it is now (for a delete: its last state).
    pub fn object(&self) -> &ObjectRef {
        match self {
            Delta::Added(o) | Delta::Deleted(o) => o,
            Delta::Updated { new, .. } => new,
        }
    }
}

/// Key in the cache: (namespace, name).
pub type CacheKey = (String, String);

/// One kind's informer.
#[derive(Debug)]
pub struct Informer {
    kind: Kind,
    opts: ListOptions,
    cache: NsMap<ObjectRef>,
    /// The resourceVersion the cache is current to.
    rv: u64,
    list_request: Option<u64>,
    /// The request that opened the current watch (answered only if refused).
    watch_request: Option<u64>,
    watch_id: Option<u64>,
    synced: bool,
    relists: u64,
    /// Consecutive failed list/watch attempts, and when the last one failed.
    failures: u32,
    last_failure: SimTime,
}

/// The reflector's back-off between list-and-watch attempts (reflector.go:
/// NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)): 800 ms doubling to 30 s, plus up to
/// 100 % jitter, reset after 2 minutes without a failure.
const BACKOFF_INITIAL_US: u64 = 800_000;
const BACKOFF_MAX_US: u64 = 30_000_000;
const BACKOFF_RESET: SimDuration = SimDuration::from_secs(120);

impl Informer {
    pub fn new(kind: Kind, opts: ListOptions) -> Self {
        Informer {
            kind,
            opts,
            cache: NsMap::new(),
            rv: 0,
            list_request: None,
            watch_request: None,
            watch_id: None,
            synced: false,
            relists: 0,
            failures: 0,
            last_failure: SimTime::ZERO,
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Sends the initial list.
    pub fn start(&mut self, client: &mut ApiClient, cx: &mut Context<'_, Msg>) {
        self.watch_id = None;
        self.list_request = Some(client.list(cx, self.kind, self.opts.clone()));
    }

    /// The reflector's next back-off.
    fn backoff(&mut self, cx: &mut Context<'_, Msg>) -> SimDuration {
        if cx.now().since(self.last_failure) > BACKOFF_RESET {
            self.failures = 0;
        }
        let base = BACKOFF_INITIAL_US
            .saturating_mul(1 << self.failures.min(20))
            .min(BACKOFF_MAX_US);
        self.failures += 1;
        self.last_failure = cx.now();
        SimDuration(base + cx.rng().uniform(0, base))
    }

    /// Lists again after the reflector's back-off (the list failed, or the watch expired).
    fn retry(&mut self, client: &mut ApiClient, cx: &mut Context<'_, Msg>) {
        let delay = self.backoff(cx);
        self.watch_id = None;
        self.watch_request = None;
        let op = crate::api::Op::List {
            kind: self.kind,
            opts: self.opts.clone(),
        };
        self.list_request = Some(client.send_after(cx, delay, op));
    }

    /// Watches from the last resourceVersion seen, after `delay`.
    fn watch(&mut self, client: &mut ApiClient, cx: &mut Context<'_, Msg>, delay: SimDuration) {
        let watch_id = client.next_id();
        self.watch_id = Some(watch_id);
        let op = crate::api::Op::Watch {
            watch_id,
            kind: self.kind,
            opts: self.opts.clone(),
            resource_version: self.rv,
        };
        self.watch_request = Some(client.send_after(cx, delay, op));
    }

    /// The first list has been received.
    pub fn has_synced(&self) -> bool {
        self.synced
    }

    /// Times the informer re-listed after its watch ended.
    pub fn relists(&self) -> u64 {
        self.relists
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// Handles a response if it answers this informer's list; `None` if it is not ours.
    pub fn on_response(
        &mut self,
        resp: &Response,
        client: &mut ApiClient,
        cx: &mut Context<'_, Msg>,
    ) -> Option<Vec<Delta>> {
        if self.watch_request == Some(resp.id) {
            // Watch requests are answered only when refused (the API server is down):
            // isWatchErrorRetriable, so watch again from the same resourceVersion.
            let delay = self.backoff(cx);
            self.watch(client, cx, delay);
            return Some(Vec::new());
        }
        if self.list_request != Some(resp.id) {
            return None;
        }
        self.list_request = None;
        let Ok(Reply::List {
            items,
            resource_version,
        }) = &resp.result
        else {
            // The list failed: try again after a back-off.
            self.retry(client, cx);
            return Some(Vec::new());
        };
        let mut fresh: BTreeMap<CacheKey, ObjectRef> = items
            .iter()
            .map(|o| {
                (
                    (o.meta().namespace.clone(), o.meta().name.clone()),
                    o.clone(),
                )
            })
            .collect();
        let mut deltas = Vec::new();
        for (ns, name, old) in std::mem::take(&mut self.cache).into_entries() {
            match fresh.remove(&(ns, name)) {
                Some(new) => {
                    if new.meta().resource_version != old.meta().resource_version {
                        deltas.push(Delta::Updated {
                            old,
                            new: new.clone(),
                        });
                    }
                    let m = new.meta();
                    self.cache.insert(&m.namespace, &m.name, new.clone());
                }
                None => deltas.push(Delta::Deleted(old)),
            }
        }
        for (_, new) in fresh {
            deltas.push(Delta::Added(new.clone()));
            let m = new.meta();
            self.cache.insert(&m.namespace, &m.name, new.clone());
        }
        self.rv = *resource_version;
        self.synced = true;
        self.watch(client, cx, SimDuration::ZERO);
        Some(deltas)
    }

    /// Handles a watch event if it is on this informer's stream; `None` if it is not ours.
    pub fn on_watch(
        &mut self,
        msg: &WatchMsg,
        client: &mut ApiClient,
        cx: &mut Context<'_, Msg>,
    ) -> Option<Vec<Delta>> {
        if self.watch_id != Some(msg.watch_id) {
            return None;
        }
        let delta = match &msg.event {
            WatchEvent::Added(o) | WatchEvent::Modified(o) => {
                let m = o.meta();
                self.rv = m.resource_version;
                match self.cache.insert(&m.namespace, &m.name, o.clone()) {
                    Some(old) => Delta::Updated {
                        old,
                        new: o.clone(),
                    },
                    None => Delta::Added(o.clone()),
                }
            }
            WatchEvent::Deleted(o) => {
                let m = o.meta();
                self.rv = m.resource_version;
                self.cache.remove(&m.namespace, &m.name);
                Delta::Deleted(o.clone())
            }
            // 410 Gone: the resourceVersion was compacted, list again.
            WatchEvent::Error(e) if e.code == 410 => {
                self.relists += 1;
                self.retry(client, cx);
                return Some(Vec::new());
            }
            // The connection broke: watch again from the last resourceVersion seen.
            WatchEvent::Error(_) => {
                let delay = self.backoff(cx);
                self.watch(client, cx, delay);
                return Some(Vec::new());
            }
        };
        Some(vec![delta])
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&ObjectRef> {
        self.cache.get(namespace, name)
    }

    /// Cached objects in (namespace, name) order.
    pub fn iter(&self) -> impl Iterator<Item = &ObjectRef> {
        self.cache.values()
    }

    /// Cached objects as their typed view.
    pub fn typed<T: Resource>(&self) -> impl Iterator<Item = &T> {
        self.cache.values().filter_map(|o| T::from_object(o))
    }

    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ApiError, Lease, Object, Op, Request};
    use crate::sim::testing::{Harness, Sent};
    use crate::sim::{ActorId, Input};
    use std::sync::Arc;

    fn lease(name: &str, rv: u64) -> ObjectRef {
        let mut l = Lease::default();
        l.metadata.name = name.into();
        l.metadata.namespace = "ns".into();
        l.metadata.resource_version = rv;
        Arc::new(Object::Lease(l))
    }

    /// Hosts an informer in an actor so the harness can drive it.
    struct Host {
        client: ApiClient,
        inf: Informer,
        deltas: Vec<String>,
    }

    impl crate::sim::Actor<Msg> for Host {
        fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
            let ds = match input {
                Input::Start => {
                    self.inf.start(&mut self.client, cx);
                    return;
                }
                Input::Message {
                    msg: Msg::Response(r),
                    ..
                } => self.inf.on_response(&r, &mut self.client, cx),
                Input::Message {
                    msg: Msg::Watch(w), ..
                } => self.inf.on_watch(&w, &mut self.client, cx),
                _ => None,
            };
            for d in ds.unwrap_or_default() {
                let m = d.object().meta();
                let what = match d {
                    Delta::Added(_) => "add",
                    Delta::Updated { .. } => "update",
                    Delta::Deleted(_) => "delete",
                };
                self.deltas
                    .push(format!("{what} {} {}", m.name, m.resource_version));
            }
        }
    }

    fn reqs(sent: Vec<Sent<Msg>>) -> Vec<Request> {
        sent.into_iter()
            .filter_map(|s| match s {
                Sent::Message {
                    msg: Msg::Request(r),
                    ..
                } => Some(*r),
                _ => None,
            })
            .collect()
    }

    fn list_reply(
        h: &mut Harness<Msg>,
        host: &mut Host,
        id: u64,
        items: Vec<ObjectRef>,
        rv: u64,
    ) -> Vec<Request> {
        let resp = Response {
            id,
            result: Ok(Reply::List {
                items,
                resource_version: rv,
            }),
        };
        reqs(h.feed(
            host,
            Input::Message {
                from: ActorId(0),
                msg: Msg::Response(Box::new(resp)),
            },
        ))
    }

    fn event(
        h: &mut Harness<Msg>,
        host: &mut Host,
        watch_id: u64,
        event: WatchEvent,
    ) -> Vec<Request> {
        let msg = Msg::Watch(Box::new(WatchMsg { watch_id, event }));
        reqs(h.feed(
            host,
            Input::Message {
                from: ActorId(0),
                msg,
            },
        ))
    }

    #[test]
    fn lists_watches_and_relists_after_gone_without_losing_or_repeating() {
        let mut h = Harness::new(&["api", "host"], ActorId(1), 1);
        let mut host = Host {
            client: ApiClient::new(ActorId(0)),
            inf: Informer::new(Kind::Lease, ListOptions::default()),
            deltas: vec![],
        };
        let r = reqs(h.feed(&mut host, Input::Start));
        assert!(matches!(
            r[0].op,
            Op::List {
                kind: Kind::Lease,
                ..
            }
        ));
        let r = list_reply(
            &mut h,
            &mut host,
            r[0].id,
            vec![lease("a", 1), lease("b", 2)],
            2,
        );
        let Op::Watch {
            watch_id,
            resource_version,
            ..
        } = r[0].op
        else {
            panic!("watches after the list")
        };
        assert_eq!(resource_version, 2);
        assert!(host.inf.has_synced());
        event(
            &mut h,
            &mut host,
            watch_id,
            WatchEvent::Modified(lease("a", 3)),
        );
        event(&mut h, &mut host, 999, WatchEvent::Added(lease("zz", 4))); // another stream: ignored
                                                                          // The watch ends with 410: re-list. Meanwhile b was deleted, c added, a unchanged.
        let r = event(
            &mut h,
            &mut host,
            watch_id,
            WatchEvent::Error(ApiError::gone(3, 5)),
        );
        assert!(matches!(r[0].op, Op::List { .. }));
        assert_eq!(host.inf.relists(), 1);
        let r = list_reply(
            &mut h,
            &mut host,
            r[0].id,
            vec![lease("a", 3), lease("c", 6)],
            6,
        );
        assert!(matches!(
            r[0].op,
            Op::Watch {
                resource_version: 6,
                ..
            }
        ));
        assert_eq!(
            host.deltas,
            ["add a 1", "add b 2", "update a 3", "delete b 2", "add c 6"]
        );
        let names: Vec<&str> = host.inf.iter().map(|o| o.meta().name.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
    }
}
