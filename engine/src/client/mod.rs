//! What actors use to talk to the API server: the request client and informers.

pub mod apiclient;
pub mod informer;

pub use apiclient::ApiClient;
pub use informer::{CacheKey, Delta, Informer};
pub mod kubectl;

pub use kubectl::{Command, CommandError, Kubectl};
