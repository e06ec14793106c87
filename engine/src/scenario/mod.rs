//! Scenarios: the RON schema, loading with positioned errors, and expectations.

pub mod expect;
pub mod import;
pub mod load;
pub mod loc;
pub mod manifests;
pub mod objects;
pub mod schema;
pub mod values;

pub use load::{load_file, parse_str, validate, ScenarioError, ScenarioErrors};
pub use loc::Loc;
pub use schema::*;
pub use values::{Decimal, Dur, Qty};
