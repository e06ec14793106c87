//! kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
//!
//! Layers, lower never importing higher: [`sim`] (the generic core), [`api`] (objects, store,
//! API server), [`client`] (requests, informers), [`controllers`], [`scheduler`], [`node`]
//! (kubelet, container runtime), [`scenario`] (the RON schema), [`cluster`] (assembly and run),
//! [`report`] (summaries), [`sweep`] (many seeds of one scenario).

pub mod api;
pub mod bench;
pub mod client;
pub mod cluster;
pub mod controllers;
pub mod faults;
pub mod node;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod sweep;
