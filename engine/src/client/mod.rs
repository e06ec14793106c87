//! What actors use to talk to the API server: the request client and informers.

pub mod apiclient;
pub mod informer;
pub mod ratelimit;
#[cfg(test)]
pub mod testing;
pub mod workqueue;

pub use apiclient::ApiClient;
pub use informer::{CacheKey, Delta, Informer};
pub use ratelimit::{RateLimit, RateLimiter};
pub use workqueue::WorkQueue;
pub mod kubectl;

pub use kubectl::{Change, Command, CommandError, Kubectl};
