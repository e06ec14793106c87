//! kube-scheduler: queue, framework, plugins, profiles and the scheduler actor.

pub mod framework;
pub mod plugins;
pub mod profile;
pub mod queue;
pub mod scheduler;

pub use profile::Profile;
pub use queue::QueueConfig;
pub use scheduler::{schedule_pod, Decision, Scheduler};
