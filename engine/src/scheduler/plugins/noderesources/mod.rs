//! The NodeResourcesFit plugin (pkg/scheduler/framework/plugins/noderesources/).

pub mod fit;
pub mod least_allocated;

pub use fit::Fit;
pub use least_allocated::LeastAllocated;
