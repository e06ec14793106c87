//! Controllers of kube-controller-manager, each a sans-IO actor with informers.

pub mod controller_utils;
pub mod daemonset;
pub mod deployment;
pub mod expectations;
pub mod garbagecollector;
pub mod replicaset;

pub use replicaset::{ReplicaSetConfig, ReplicaSetController};
