//! Controller expectations: creations and deletions a controller has asked for and not yet
//! seen through its informer. A controller does not act again on an owner while expectations
//! are pending, so it never double-creates. Expectations expire after 5 minutes.
//! Models pkg/controller/controller_utils.go (ControllerExpectations, ExpectationsTimeout).

use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// `ExpectationsTimeout`.
pub const EXPECTATIONS_TIMEOUT: SimDuration = SimDuration::from_secs(300);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Pending {
    add: i64,
    del: i64,
    set_at: SimTime,
}

/// Expectations per controller key ("namespace/name").
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    by_key: BTreeMap<String, Pending>,
}

impl Expectations {
    /// True when nothing is pending for `key`, or what is pending has expired.
    pub fn satisfied(&self, key: &str, now: SimTime) -> bool {
        match self.by_key.get(key) {
            None => true,
            Some(p) => (p.add <= 0 && p.del <= 0) || now.since(p.set_at) > EXPECTATIONS_TIMEOUT,
        }
    }

    pub fn expect(&mut self, key: &str, add: i64, del: i64, now: SimTime) {
        self.by_key.insert(
            key.to_string(),
            Pending {
                add,
                del,
                set_at: now,
            },
        );
    }

    pub fn creation_observed(&mut self, key: &str) {
        if let Some(p) = self.by_key.get_mut(key) {
            p.add -= 1;
        }
    }

    pub fn deletion_observed(&mut self, key: &str) {
        if let Some(p) = self.by_key.get_mut(key) {
            p.del -= 1;
        }
    }

    pub fn forget(&mut self, key: &str) {
        self.by_key.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_table() {
        let t0 = SimTime(0);
        let mut e = Expectations::default();
        assert!(e.satisfied("a", t0), "no record: satisfied");
        e.expect("a", 2, 0, t0);
        assert!(!e.satisfied("a", t0));
        e.creation_observed("a");
        assert!(!e.satisfied("a", t0));
        e.creation_observed("a");
        assert!(e.satisfied("a", t0));
        e.expect("b", 0, 1, t0);
        assert!(!e.satisfied("b", SimTime(300_000_000)));
        assert!(
            e.satisfied("b", SimTime(300_000_001)),
            "expired after 5 minutes"
        );
        e.deletion_observed("b");
        assert!(e.satisfied("b", t0));
    }
}
