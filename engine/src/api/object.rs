//! The kinds kubesim stores, and one enum over them.

use super::lease::Lease;
use super::meta::ObjectMeta;
use super::node::Node;
use super::pod::Pod;
use super::replicaset::ReplicaSet;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// A stored kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Node,
    Pod,
    ReplicaSet,
    Lease,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Node, Kind::Pod, Kind::ReplicaSet, Kind::Lease];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Lease => "Lease",
        }
    }

    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Node | Kind::Pod => "v1",
            Kind::ReplicaSet => "apps/v1",
            Kind::Lease => "coordination.k8s.io/v1",
        }
    }

    /// The resource name with its group, as upstream error messages print it ("replicasets.apps").
    pub fn group_resource(self) -> &'static str {
        match self {
            Kind::Node => "nodes",
            Kind::Pod => "pods",
            Kind::ReplicaSet => "replicasets.apps",
            Kind::Lease => "leases.coordination.k8s.io",
        }
    }

    /// The kind qualified with its group, as validation errors print it ("ReplicaSet.apps").
    pub fn group_kind(self) -> &'static str {
        match self {
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::ReplicaSet => "ReplicaSet.apps",
            Kind::Lease => "Lease.coordination.k8s.io",
        }
    }

    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Node)
    }

    /// Whether writes to the main resource leave `.status` alone (it has a status subresource).
    pub fn has_status(self) -> bool {
        !matches!(self, Kind::Lease)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Any stored object.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Object {
    Node(Node),
    Pod(Pod),
    ReplicaSet(ReplicaSet),
    Lease(Lease),
}

/// A shared, immutable stored object (the store, watch events and informer caches share it).
pub type ObjectRef = Arc<Object>;

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Node(_) => Kind::Node,
            Object::Pod(_) => Kind::Pod,
            Object::ReplicaSet(_) => Kind::ReplicaSet,
            Object::Lease(_) => Kind::Lease,
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        match self {
            Object::Node(o) => &o.metadata,
            Object::Pod(o) => &o.metadata,
            Object::ReplicaSet(o) => &o.metadata,
            Object::Lease(o) => &o.metadata,
        }
    }

    pub fn meta_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Object::Node(o) => &mut o.metadata,
            Object::Pod(o) => &mut o.metadata,
            Object::ReplicaSet(o) => &mut o.metadata,
            Object::Lease(o) => &mut o.metadata,
        }
    }

    /// Sets apiVersion and kind (TypeMeta) from the variant.
    pub fn set_type_meta(&mut self) {
        let k = self.kind();
        let (av, kind) = match self {
            Object::Node(o) => (&mut o.api_version, &mut o.kind),
            Object::Pod(o) => (&mut o.api_version, &mut o.kind),
            Object::ReplicaSet(o) => (&mut o.api_version, &mut o.kind),
            Object::Lease(o) => (&mut o.api_version, &mut o.kind),
        };
        *av = k.api_version().to_string();
        *kind = k.as_str().to_string();
    }

    /// The object in Kubernetes JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("objects always serialize")
    }

    /// Copies `.status` from `other` (same kind), keeping everything else.
    pub fn copy_status_from(&mut self, other: &Object) {
        match (self, other) {
            (Object::Node(a), Object::Node(b)) => a.status = b.status.clone(),
            (Object::Pod(a), Object::Pod(b)) => a.status = b.status.clone(),
            (Object::ReplicaSet(a), Object::ReplicaSet(b)) => a.status = b.status.clone(),
            _ => {}
        }
    }

    /// Copies everything but `.status` and server-managed metadata from `other`.
    pub fn copy_spec_from(&mut self, other: &Object) {
        match (self, other) {
            (Object::Node(a), Object::Node(b)) => a.spec = b.spec.clone(),
            (Object::Pod(a), Object::Pod(b)) => a.spec = b.spec.clone(),
            (Object::ReplicaSet(a), Object::ReplicaSet(b)) => a.spec = b.spec.clone(),
            (Object::Lease(a), Object::Lease(b)) => a.spec = b.spec.clone(),
            _ => {}
        }
    }

    /// Whether the spec differs (for metadata.generation).
    pub fn spec_differs(&self, other: &Object) -> bool {
        match (self, other) {
            (Object::Node(a), Object::Node(b)) => a.spec != b.spec,
            (Object::Pod(a), Object::Pod(b)) => a.spec != b.spec,
            (Object::ReplicaSet(a), Object::ReplicaSet(b)) => a.spec != b.spec,
            (Object::Lease(a), Object::Lease(b)) => a.spec != b.spec,
            _ => true,
        }
    }
}

/// A typed view of one kind.
pub trait Resource: Clone + Sized + 'static {
    const KIND: Kind;
    fn from_object(o: &Object) -> Option<&Self>;
    fn into_object(self) -> Object;
    fn metadata(&self) -> &ObjectMeta;
}

macro_rules! resource {
    ($t:ident) => {
        impl Resource for $t {
            const KIND: Kind = Kind::$t;
            fn from_object(o: &Object) -> Option<&Self> {
                match o {
                    Object::$t(x) => Some(x),
                    _ => None,
                }
            }
            fn into_object(self) -> Object {
                Object::$t(self)
            }
            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }
        }
    };
}

resource!(Node);
resource!(Pod);
resource!(ReplicaSet);
resource!(Lease);
