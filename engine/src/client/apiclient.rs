//! What every actor uses to reach the API server: numbered requests over its link, through the
//! client's rate limiter (client-go rest.Config QPS/Burst).

use super::ratelimit::{RateLimit, RateLimiter};
use crate::api::msg::DeleteOptions;
use crate::api::{ApiError, Kind, ListOptions, Msg, Object, Op, Request, Response};
use crate::sim::{ActorId, Context, SimDuration, SimTime};
use std::collections::{BTreeSet, VecDeque};

/// A client of the API server, owned by one actor.
#[derive(Clone, Debug)]
pub struct ApiClient {
    apiserver: ActorId,
    next_id: u64,
    limiter: Option<RateLimiter>,
    /// Recent requests (id, sent at), oldest first: those that fail if the connection breaks.
    recent: VecDeque<(u64, SimTime)>,
    /// Watch requests whose streams may still be open (they fail too).
    watches: BTreeSet<u64>,
}

/// How long a request counts as possibly in flight (longer than any wait plus round trip).
const IN_FLIGHT_WINDOW: SimDuration = SimDuration::from_secs(60);

impl ApiClient {
    pub fn new(apiserver: ActorId) -> Self {
        ApiClient {
            apiserver,
            next_id: 1,
            limiter: None,
            recent: VecDeque::new(),
            watches: BTreeSet::new(),
        }
    }

    /// The same client with a token-bucket rate limit on its requests.
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.limiter = Some(RateLimiter::new(limit));
        self
    }

    pub fn apiserver(&self) -> ActorId {
        self.apiserver
    }

    /// A fresh id, for requests and watches alike.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sends `op`; the answer comes back as a `Msg::Response` with the returned id.
    pub fn send(&mut self, cx: &mut Context<'_, Msg>, op: Op) -> u64 {
        self.send_after(cx, SimDuration::ZERO, op)
    }

    /// Sends `op` after `delay` (a retry back-off), then through the rate limiter.
    pub fn send_after(&mut self, cx: &mut Context<'_, Msg>, delay: SimDuration, op: Op) -> u64 {
        let id = self.next_id();
        // Retries after a back-off (delay > 0) skip the token bucket: the bucket only models
        // requests made now (a reservation in the future would hold back everything after it).
        let wait = match self.limiter.as_mut() {
            Some(l) if delay == SimDuration::ZERO => l.reserve(cx.now()),
            _ => SimDuration::ZERO,
        };
        let now = cx.now();
        while self
            .recent
            .front()
            .is_some_and(|(_, t)| now.since(*t) > IN_FLIGHT_WINDOW)
        {
            self.recent.pop_front();
        }
        if matches!(op, Op::Watch { .. }) {
            self.watches.insert(id);
        } else {
            self.recent.push_back((id, now));
        }
        let sent = cx.send_delayed(
            delay + wait,
            self.apiserver,
            Msg::Request(Box::new(Request { id, op })),
        );
        if !sent {
            // No route to the API server: the connection attempt fails when it is made.
            Self::fail(cx, id, delay + wait);
        }
        id
    }

    /// Answers request `id` with a 503 on the client's own behalf, `after` from now.
    fn fail(cx: &mut Context<'_, Msg>, id: u64, after: SimDuration) {
        let resp = Response {
            id,
            result: Err(ApiError::unavailable()),
        };
        let me = cx.me();
        cx.send_delayed(after, me, Msg::Response(Box::new(resp)));
    }

    /// The connection broke: every recent request fails (answers already received make these
    /// failures unknown ids, which their owners ignore).
    pub fn connection_lost(&mut self, cx: &mut Context<'_, Msg>) {
        let recent = std::mem::take(&mut self.recent)
            .into_iter()
            .map(|(id, _)| id);
        let watches = std::mem::take(&mut self.watches);
        for id in recent.chain(watches) {
            Self::fail(cx, id, SimDuration::ZERO);
        }
    }

    pub fn create(&mut self, cx: &mut Context<'_, Msg>, obj: Object) -> u64 {
        self.send(cx, Op::Create(obj))
    }

    pub fn update(&mut self, cx: &mut Context<'_, Msg>, obj: Object) -> u64 {
        self.send(cx, Op::Update(obj))
    }

    pub fn update_status(&mut self, cx: &mut Context<'_, Msg>, obj: Object) -> u64 {
        self.send(cx, Op::UpdateStatus(obj))
    }

    pub fn patch_status(&mut self, cx: &mut Context<'_, Msg>, obj: Object) -> u64 {
        self.send(cx, Op::PatchStatus(obj))
    }

    pub fn get(&mut self, cx: &mut Context<'_, Msg>, kind: Kind, ns: &str, name: &str) -> u64 {
        self.send(
            cx,
            Op::Get {
                kind,
                namespace: ns.into(),
                name: name.into(),
            },
        )
    }

    pub fn list(&mut self, cx: &mut Context<'_, Msg>, kind: Kind, opts: ListOptions) -> u64 {
        self.send(cx, Op::List { kind, opts })
    }

    /// Deletes with default options (background propagation, the pod's own grace period).
    pub fn delete(
        &mut self,
        cx: &mut Context<'_, Msg>,
        kind: Kind,
        ns: &str,
        name: &str,
        uid: Option<String>,
    ) -> u64 {
        let options = DeleteOptions {
            uid,
            ..Default::default()
        };
        self.delete_with(cx, kind, ns, name, options)
    }

    pub fn delete_with(
        &mut self,
        cx: &mut Context<'_, Msg>,
        kind: Kind,
        ns: &str,
        name: &str,
        options: DeleteOptions,
    ) -> u64 {
        self.send(
            cx,
            Op::Delete {
                kind,
                namespace: ns.into(),
                name: name.into(),
                options,
            },
        )
    }

    pub fn bind(
        &mut self,
        cx: &mut Context<'_, Msg>,
        ns: &str,
        name: &str,
        uid: &str,
        node: &str,
    ) -> u64 {
        self.send(
            cx,
            Op::Bind {
                namespace: ns.into(),
                name: name.into(),
                uid: uid.into(),
                node: node.into(),
            },
        )
    }
}
