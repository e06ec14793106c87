//! The NodeResourcesFit and NodeResourcesBalancedAllocation plugins
//! (pkg/scheduler/framework/plugins/noderesources/).

pub mod balanced_allocation;
pub mod fit;
pub mod least_allocated;

pub use fit::Fit;
pub use least_allocated::LeastAllocated;
