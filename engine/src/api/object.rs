//! The kinds kubesim stores, and one enum over them.

use super::daemonset::DaemonSet;
use super::deployment::Deployment;
use super::endpointslice::EndpointSlice;
use super::lease::Lease;
use super::meta::ObjectMeta;
use super::node::Node;
use super::pod::Pod;
use super::priorityclass::PriorityClass;
use super::replicaset::ReplicaSet;
use super::service::Service;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Declares `Kind`, `Object` and the per-kind plumbing from one table:
/// (variant, apiVersion, group resource, group kind, namespaced, has status subresource).
macro_rules! kinds {
    ($( $t:ident, $av:literal, $gr:literal, $gk:literal, $ns:literal, $status:tt; )*) => {
        /// A stored kind.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $($t),* }

        impl Kind {
            pub const ALL: [Kind; [$(Kind::$t),*].len()] = [$(Kind::$t),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$t => stringify!($t)),* }
            }

            pub fn api_version(self) -> &'static str {
                match self { $(Kind::$t => $av),* }
            }

            /// The resource name with its group, as upstream error messages print it
            /// ("replicasets.apps").
            pub fn group_resource(self) -> &'static str {
                match self { $(Kind::$t => $gr),* }
            }

            /// The kind qualified with its group, as validation errors print it
            /// ("ReplicaSet.apps").
            pub fn group_kind(self) -> &'static str {
                match self { $(Kind::$t => $gk),* }
            }

            pub fn namespaced(self) -> bool {
                match self { $(Kind::$t => $ns),* }
            }

            /// Whether writes to the main resource leave `.status` alone (it has a status
            /// subresource).
            pub fn has_status(self) -> bool {
                match self { $(Kind::$t => kinds!(@has $status)),* }
            }
        }

        /// Any stored object. Its size is the Pod's (the workloads box their pod template);
        /// boxing the Pod too would change every place that builds one.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        #[allow(clippy::large_enum_variant)]
        pub enum Object { $($t($t)),* }

        impl Object {
            pub fn kind(&self) -> Kind {
                match self { $(Object::$t(_) => Kind::$t),* }
            }

            pub fn meta(&self) -> &ObjectMeta {
                match self { $(Object::$t(o) => &o.metadata),* }
            }

            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Object::$t(o) => &mut o.metadata),* }
            }

            /// Sets apiVersion and kind (TypeMeta) from the variant.
            pub fn set_type_meta(&mut self) {
                let k = self.kind();
                let (av, kind) = match self {
                    $(Object::$t(o) => (&mut o.api_version, &mut o.kind)),*
                };
                *av = k.api_version().to_string();
                *kind = k.as_str().to_string();
            }

            /// Copies `.status` from `other` (same kind), keeping everything else.
            pub fn copy_status_from(&mut self, other: &Object) {
                match (self, other) {
                    $((Object::$t(a), Object::$t(b)) => kinds!(@copy_status $status a b),)*
                    _ => {}
                }
            }

            /// Copies `.spec` from `other` (same kind), keeping everything else.
            pub fn copy_spec_from(&mut self, other: &Object) {
                match (self, other) {
                    $((Object::$t(a), Object::$t(b)) => a.spec = b.spec.clone(),)*
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }

            /// Whether the spec differs (for metadata.generation).
            pub fn spec_differs(&self, other: &Object) -> bool {
                match (self, other) {
                    $((Object::$t(a), Object::$t(b)) => a.spec != b.spec,)*
                    _ => true,
                }
            }
        }

        $(
            impl Resource for $t {
                const KIND: Kind = Kind::$t;
                fn from_object(o: &Object) -> Option<&Self> {
                    match o {
                        Object::$t(x) => Some(x),
                        #[allow(unreachable_patterns)]
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
        )*
    };
    (@has status) => { true };
    (@has nostatus) => { false };
    (@copy_status status $a:ident $b:ident) => { $a.status = $b.status.clone() };
    (@copy_status nostatus $a:ident $b:ident) => { { let _ = ($a, $b); } };
}

kinds! {
    Node, "v1", "nodes", "Node", false, status;
    Pod, "v1", "pods", "Pod", true, status;
    ReplicaSet, "apps/v1", "replicasets.apps", "ReplicaSet.apps", true, status;
    Deployment, "apps/v1", "deployments.apps", "Deployment.apps", true, status;
    DaemonSet, "apps/v1", "daemonsets.apps", "DaemonSet.apps", true, status;
    Lease, "coordination.k8s.io/v1", "leases.coordination.k8s.io", "Lease.coordination.k8s.io", true, nostatus;
    Service, "v1", "services", "Service", true, status;
    EndpointSlice, "discovery.k8s.io/v1", "endpointslices.discovery.k8s.io", "EndpointSlice.discovery.k8s.io", true, nostatus;
    PriorityClass, "scheduling.k8s.io/v1", "priorityclasses.scheduling.k8s.io", "PriorityClass.scheduling.k8s.io", false, nostatus;
}

impl Kind {
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

/// A shared, immutable stored object (the store, watch events and informer caches share it).
pub type ObjectRef = Arc<Object>;

impl Object {
    /// The object in Kubernetes JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("objects always serialize")
    }
}

/// A typed view of one kind.
pub trait Resource: Clone + Sized + 'static {
    const KIND: Kind;
    fn from_object(o: &Object) -> Option<&Self>;
    fn into_object(self) -> Object;
    fn metadata(&self) -> &ObjectMeta;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_table() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::ReplicaSet.group_resource(), "replicasets.apps");
        assert!(!Kind::Node.namespaced());
        assert!(!Kind::Lease.has_status());
        assert!(Kind::Deployment.has_status());
    }
}
