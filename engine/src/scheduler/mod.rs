//! kube-scheduler: queue, framework, plugins, profiles, registry and the scheduler actor.

pub mod config;
pub mod explain;
pub mod framework;
pub mod node_images;
pub mod plugin_cache;
pub mod plugins;
pub mod profile;
pub mod queue;
pub mod registry;
pub mod schedule_one;
pub mod snapshot;

pub use profile::Profile;
pub use queue::QueueConfig;
pub use registry::Registry;
pub use schedule_one::{schedule_pod, Decision, Scheduler};
pub use snapshot::Snapshot;
