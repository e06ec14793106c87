//! Controllers of kube-controller-manager, each a sans-IO actor with informers.

pub mod controller_utils;
pub mod daemonset;
pub mod deployment;
pub mod endpointslice;
pub mod expectations;
pub mod garbagecollector;
pub mod nodelifecycle;
pub mod podgc;
pub mod replicaset;
pub mod tainteviction;

pub use replicaset::{ReplicaSetConfig, ReplicaSetController};
