//! Kubernetes objects, the store (etcd-like MVCC) and the API server actor.

pub mod admission;
pub mod affinity;
pub mod apiserver;
pub mod daemonset;
pub mod deployment;
pub mod endpointslice;
pub mod intstr;
pub mod lease;
pub mod meta;
pub mod msg;
pub mod node;
pub mod nsmap;
pub mod object;
pub mod pod;
pub mod priorityclass;
pub mod quantity;
pub mod replicaset;
pub mod selector;
pub mod service;
pub mod store;
pub mod tolerations;
pub mod validation;

pub use apiserver::{ApiServer, ApiServerConfig};
pub use daemonset::DaemonSet;
pub use deployment::Deployment;
pub use endpointslice::EndpointSlice;
pub use intstr::IntOrString;
pub use lease::Lease;
pub use meta::{MicroTime, ObjectMeta, OwnerReference, Time};
pub use msg::{
    ApiError, Control, DeleteOptions, ListOptions, Msg, Op, Reply, Request, Response, WatchEvent,
    WatchMsg,
};
pub use node::{Node, Taint};
pub use object::{Kind, Object, ObjectRef, Resource};
pub use pod::{Container, Pod, PodTemplateSpec};
pub use priorityclass::PriorityClass;
pub use quantity::Quantity;
pub use replicaset::ReplicaSet;
pub use selector::LabelSelector;
pub use service::Service;
pub use store::Store;
