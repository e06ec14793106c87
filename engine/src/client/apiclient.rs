//! What every actor uses to reach the API server: numbered requests over its link, through the
//! client's rate limiter (client-go rest.Config QPS/Burst).

use super::ratelimit::{RateLimit, RateLimiter};
use crate::api::msg::DeleteOptions;
use crate::api::{Kind, ListOptions, Msg, Object, Op, Request};
use crate::sim::{ActorId, Context, SimDuration};

/// A client of the API server, owned by one actor.
#[derive(Clone, Debug)]
pub struct ApiClient {
    apiserver: ActorId,
    next_id: u64,
    limiter: Option<RateLimiter>,
}

impl ApiClient {
    pub fn new(apiserver: ActorId) -> Self {
        ApiClient {
            apiserver,
            next_id: 1,
            limiter: None,
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
        let wait = match self.limiter.as_mut() {
            Some(l) => l.reserve(cx.now() + delay),
            None => SimDuration::ZERO,
        };
        cx.send_delayed(
            delay + wait,
            self.apiserver,
            Msg::Request(Box::new(Request { id, op })),
        );
        id
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
