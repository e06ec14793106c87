//! The protocol between clients and the API server: requests, responses and watch events.
//! It is the only message type actors exchange (`Msg`).

use super::object::{Kind, Object, ObjectRef};
use super::selector::LabelSelector;

/// Every message in the simulated cluster.
#[derive(Debug)]
pub enum Msg {
    Request(Box<Request>),
    Response(Box<Response>),
    Watch(Box<WatchMsg>),
    /// A fault or operator command delivered to one component.
    Control(Control),
}

/// A request that cannot reach the API server comes back as a 503 (connection refused);
/// anything else is just lost.
impl crate::sim::Bounce for Msg {
    fn bounce(self) -> Option<Self> {
        match self {
            Msg::Request(r) => Some(Msg::Response(Box::new(Response {
                id: r.id,
                result: Err(ApiError::unavailable()),
            }))),
            _ => None,
        }
    }
}

/// Commands that faults send to a component (the fault injector, not an API client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// The API server is down until then: requests fail, watches break.
    ApiServerDown { until: crate::sim::SimTime },
    /// Store writes take this long until then.
    StoreLatency {
        latency: crate::sim::Latency,
        until: crate::sim::SimTime,
    },
    /// Compact the store's history to the current revision now.
    CompactNow,
    /// To the API server: this client's connections are gone (its process stopped or its
    /// network was cut); its watches end.
    ClientGone { client: crate::sim::ActorId },
    /// To a client: its connections to the API server broke; requests in flight fail.
    ConnectionLost,
    /// To a kubelet: the pod's containers exit now with code 1, as if they crashed.
    CrashPod { namespace: String, name: String },
    /// To a kubelet: pulls of `image` fail (ErrImagePull) until then.
    FailImagePull {
        image: String,
        until: crate::sim::SimTime,
    },
}

/// Filters on list and watch: namespace, label selector, and the `spec.nodeName` field selector.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListOptions {
    pub namespace: Option<String>,
    pub label_selector: Option<LabelSelector>,
    /// `fieldSelector=spec.nodeName=<node>` (pods only).
    pub node_name: Option<String>,
}

impl ListOptions {
    pub fn matches(&self, o: &Object) -> bool {
        let m = o.meta();
        self.namespace.as_ref().is_none_or(|ns| *ns == m.namespace)
            && self
                .label_selector
                .as_ref()
                .is_none_or(|s| s.matches(&m.labels))
            && self.node_name.as_ref().is_none_or(|n| match o {
                Object::Pod(p) => p.spec.node_name == *n,
                _ => true,
            })
    }
}

/// `metav1.DeleteOptions`, the fields kubesim models.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Seconds before the object is gone; for pods the default is the pod's
    /// terminationGracePeriodSeconds (0 for pods not bound or already terminated).
    pub grace_period_seconds: Option<i64>,
    /// "Orphan", "Background" or "Foreground" (default Background).
    pub propagation_policy: Option<String>,
    /// Delete only if the object still has this uid.
    pub uid: Option<String>,
}

/// What a client asks.
#[derive(Debug)]
pub enum Op {
    Create(Object),
    Get {
        kind: Kind,
        namespace: String,
        name: String,
    },
    List {
        kind: Kind,
        opts: ListOptions,
    },
    /// Replaces spec and metadata; `.status` is kept for kinds with a status subresource.
    /// A non-zero metadata.resourceVersion must match the stored one (else 409 Conflict).
    Update(Object),
    /// Replaces `.status` only (the status subresource), with the same precondition.
    UpdateStatus(Object),
    /// Replaces `.status` only, without a resourceVersion precondition (the kubelet's PATCH).
    PatchStatus(Object),
    Delete {
        kind: Kind,
        namespace: String,
        name: String,
        options: DeleteOptions,
    },
    /// The pods/binding subresource: assign a pod to a node.
    Bind {
        namespace: String,
        name: String,
        uid: String,
        node: String,
    },
    /// Watch from `resource_version`; events come as `Msg::Watch` tagged with `watch_id`.
    Watch {
        watch_id: u64,
        kind: Kind,
        opts: ListOptions,
        resource_version: u64,
    },
}

impl Op {
    pub fn verb(&self) -> &'static str {
        match self {
            Op::Create(_) => "create",
            Op::Get { .. } => "get",
            Op::List { .. } => "list",
            Op::Update(_) | Op::UpdateStatus(_) => "update",
            Op::PatchStatus(_) => "patch",
            Op::Delete { .. } => "delete",
            Op::Bind { .. } => "bind",
            Op::Watch { .. } => "watch",
        }
    }
}

#[derive(Debug)]
pub struct Request {
    pub id: u64,
    pub op: Op,
}

/// An API error, with upstream's status code, reason and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn not_found(kind: Kind, name: &str) -> Self {
        ApiError {
            code: 404,
            reason: "NotFound",
            message: format!("{} \"{name}\" not found", kind.group_resource()),
        }
    }

    pub fn already_exists(kind: Kind, name: &str) -> Self {
        ApiError {
            code: 409,
            reason: "AlreadyExists",
            message: format!("{} \"{name}\" already exists", kind.group_resource()),
        }
    }

    pub fn conflict(kind: Kind, name: &str, detail: &str) -> Self {
        ApiError {
            code: 409,
            reason: "Conflict",
            message: format!(
                "Operation cannot be fulfilled on {} \"{name}\": {detail}",
                kind.group_resource()
            ),
        }
    }

    /// The 409 for a stale resourceVersion.
    pub fn stale(kind: Kind, name: &str) -> Self {
        Self::conflict(
            kind,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    pub fn invalid(kind: Kind, name: &str, causes: &[String]) -> Self {
        let detail = if causes.len() == 1 {
            causes[0].clone()
        } else {
            format!("[{}]", causes.join(", "))
        };
        ApiError {
            code: 422,
            reason: "Invalid",
            message: format!("{} \"{name}\" is invalid: {detail}", kind.group_kind()),
        }
    }

    /// 403 Forbidden, as an admission plugin rejects a request.
    pub fn forbidden(kind: Kind, name: &str, detail: &str) -> Self {
        ApiError {
            code: 403,
            reason: "Forbidden",
            message: format!(
                "{} \"{name}\" is forbidden: {detail}",
                kind.group_resource()
            ),
        }
    }

    /// 503 for a request to an API server that is down (the client's connection is refused).
    pub fn unavailable() -> Self {
        ApiError {
            code: 503,
            reason: "ServiceUnavailable",
            message: "dial tcp: connect: connection refused".into(),
        }
    }

    /// 410 Gone for a watch from a compacted revision.
    pub fn gone(requested: u64, compacted: u64) -> Self {
        ApiError {
            code: 410,
            reason: "Expired",
            message: format!("too old resource version: {requested} ({compacted})"),
        }
    }

    pub fn is_conflict(&self) -> bool {
        self.code == 409 && self.reason == "Conflict"
    }
}

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    Object(ObjectRef),
    List {
        items: Vec<ObjectRef>,
        resource_version: u64,
    },
    WatchStarted,
}

#[derive(Debug)]
pub struct Response {
    pub id: u64,
    pub result: Result<Reply, ApiError>,
}

/// One event on a watch stream.
#[derive(Debug)]
pub enum WatchEvent {
    Added(ObjectRef),
    Modified(ObjectRef),
    Deleted(ObjectRef),
    /// The stream ended with an error (410 Gone: re-list).
    Error(ApiError),
}

#[derive(Debug)]
pub struct WatchMsg {
    pub watch_id: u64,
    pub event: WatchEvent,
}
