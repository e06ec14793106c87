//! A watch auditor: an extra API client added to a cluster under test that lists and watches
//! like an informer and records every watch event it receives, stream by stream. The trace only
//! shows writes, so this is how watch delivery is checked: the recorded streams are compared
//! with the writes in the trace (`invariants::watch_streams_in_order`).
//!
//! It only reads (lists and watches are not traced) and has its own link and random stream, so
//! the run's trace and digest are those of the cluster without it.

use kubesim::api::{Kind, ListOptions, Msg, Op, Reply, WatchEvent};
use kubesim::client::ApiClient;
use kubesim::sim::{Actor, ActorId, Context, Input, SimDuration};

/// The actor's name.
pub const NAME: &str = "watch-auditor";

/// How long the auditor waits before listing or watching again after an error.
const RETRY: SimDuration = SimDuration::from_secs(1);

/// What a feed watches: all objects of a kind, pods of one node, or one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Pods with `spec.nodeName` (the kubelet's field selector).
    Node(String),
    Namespace(String),
}

/// One event as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// "ADDED", "MODIFIED" or "DELETED".
    pub type_: &'static str,
    pub namespace: String,
    pub name: String,
    pub rv: u64,
}

/// How a stream ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// 410 Gone: the auditor lists again (a gap is allowed here).
    Gone,
    /// Another error or a refused watch: the auditor watches again from the last rv seen.
    Broken(u16),
}

/// One watch stream: from which resourceVersion, what it delivered, how it ended.
#[derive(Clone, Debug)]
pub struct Stream {
    pub feed: usize,
    pub kind: Kind,
    pub filter: Filter,
    pub from_rv: u64,
    pub events: Vec<Seen>,
    pub end: Option<End>,
}

struct Feed {
    kind: Kind,
    filter: Filter,
    rv: u64,
    list_request: Option<u64>,
    watch_request: Option<u64>,
    watch_id: Option<u64>,
    /// Index of the open stream in `streams`.
    stream: Option<usize>,
}

impl Feed {
    fn opts(&self) -> ListOptions {
        match &self.filter {
            Filter::All => ListOptions::default(),
            Filter::Node(n) => ListOptions {
                node_name: Some(n.clone()),
                ..Default::default()
            },
            Filter::Namespace(ns) => ListOptions {
                namespace: Some(ns.clone()),
                ..Default::default()
            },
        }
    }
}

/// The auditor actor.
pub struct Auditor {
    client: ApiClient,
    feeds: Vec<Feed>,
    streams: Vec<Stream>,
}

impl Auditor {
    /// Watches every kind unfiltered, plus these filtered feeds.
    pub fn new(apiserver: ActorId, filtered: Vec<(Kind, Filter)>) -> Self {
        let feeds = Kind::ALL
            .into_iter()
            .map(|k| (k, Filter::All))
            .chain(filtered)
            .map(|(kind, filter)| Feed {
                kind,
                filter,
                rv: 0,
                list_request: None,
                watch_request: None,
                watch_id: None,
                stream: None,
            })
            .collect();
        Auditor {
            client: ApiClient::new(apiserver),
            feeds,
            streams: Vec::new(),
        }
    }

    /// Every stream opened, in the order opened.
    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }

    fn list(&mut self, i: usize, delay: SimDuration, cx: &mut Context<'_, Msg>) {
        let f = &mut self.feeds[i];
        f.watch_id = None;
        f.watch_request = None;
        f.stream = None;
        let op = Op::List {
            kind: f.kind,
            opts: f.opts(),
        };
        f.list_request = Some(self.client.send_after(cx, delay, op));
    }

    fn watch(&mut self, i: usize, delay: SimDuration, cx: &mut Context<'_, Msg>) {
        let watch_id = self.client.next_id();
        let f = &mut self.feeds[i];
        f.watch_id = Some(watch_id);
        let op = Op::Watch {
            watch_id,
            kind: f.kind,
            opts: f.opts(),
            resource_version: f.rv,
        };
        f.watch_request = Some(self.client.send_after(cx, delay, op));
        f.stream = Some(self.streams.len());
        self.streams.push(Stream {
            feed: i,
            kind: f.kind,
            filter: f.filter.clone(),
            from_rv: f.rv,
            events: Vec::new(),
            end: None,
        });
    }

    fn end_stream(&mut self, i: usize, end: End) {
        if let Some(s) = self.feeds[i].stream.take() {
            self.streams[s].end = Some(end);
        }
    }
}

impl Actor<Msg> for Auditor {
    fn handle(&mut self, input: Input<Msg>, cx: &mut Context<'_, Msg>) {
        match input {
            Input::Start => {
                for i in 0..self.feeds.len() {
                    self.list(i, SimDuration::ZERO, cx);
                }
            }
            Input::Message {
                msg: Msg::Response(resp),
                ..
            } => {
                let Some(i) = self.feeds.iter().position(|f| {
                    f.list_request == Some(resp.id) || f.watch_request == Some(resp.id)
                }) else {
                    return;
                };
                if self.feeds[i].watch_request == Some(resp.id) {
                    // A watch is answered only when refused: watch again from the same rv.
                    let code = resp.result.as_ref().err().map_or(0, |e| e.code);
                    self.end_stream(i, End::Broken(code));
                    self.watch(i, RETRY, cx);
                    return;
                }
                self.feeds[i].list_request = None;
                match &resp.result {
                    Ok(Reply::List {
                        resource_version, ..
                    }) => {
                        self.feeds[i].rv = *resource_version;
                        self.watch(i, SimDuration::ZERO, cx);
                    }
                    _ => self.list(i, RETRY, cx),
                }
            }
            Input::Message {
                msg: Msg::Watch(w), ..
            } => {
                let Some(i) = self
                    .feeds
                    .iter()
                    .position(|f| f.watch_id == Some(w.watch_id))
                else {
                    return;
                };
                let (type_, o) = match &w.event {
                    WatchEvent::Added(o) => ("ADDED", o),
                    WatchEvent::Modified(o) => ("MODIFIED", o),
                    WatchEvent::Deleted(o) => ("DELETED", o),
                    WatchEvent::Error(e) if e.code == 410 => {
                        self.end_stream(i, End::Gone);
                        self.list(i, RETRY, cx);
                        return;
                    }
                    WatchEvent::Error(e) => {
                        self.end_stream(i, End::Broken(e.code));
                        self.watch(i, RETRY, cx);
                        return;
                    }
                };
                let m = o.meta();
                let seen = Seen {
                    type_,
                    namespace: m.namespace.clone(),
                    name: m.name.clone(),
                    rv: m.resource_version,
                };
                let f = &mut self.feeds[i];
                f.rv = m.resource_version;
                if let Some(s) = f.stream {
                    self.streams[s].events.push(seen);
                }
            }
            _ => {}
        }
    }
}
