//! kube-scheduler: queue, framework, plugins, profiles and the scheduler actor.

pub mod framework;
pub mod plugins;
pub mod profile;
pub mod queue;
pub mod schedule_one;

pub use profile::Profile;
pub use queue::QueueConfig;
pub use schedule_one::{schedule_pod, Decision, Scheduler};
