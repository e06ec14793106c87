//! What runs on every node: the kubelet and the container runtime (kube-proxy comes later).

pub mod kubelet;
pub mod kubeproxy;
pub mod runtime;

pub use kubelet::{Kubelet, KubeletConfig, NODE_LEASE_NAMESPACE};
pub use runtime::{ContainerRuntime, RuntimeConfig};
