//! The NodeResourcesFit and NodeResourcesBalancedAllocation plugins
//! (pkg/scheduler/framework/plugins/noderesources/) and their args
//! (pkg/scheduler/apis/config/v1 defaults, pkg/scheduler/apis/config/validation).

pub mod args;
pub mod balanced_allocation;
pub mod fit;
pub mod least_allocated;
pub mod most_allocated;
pub mod requested_to_capacity_ratio;
pub mod resource_allocation;
#[cfg(test)]
mod test_util;
pub mod validation;

pub use balanced_allocation::BalancedAllocation;
pub use fit::{fits_request, Fit, InsufficientResource};
