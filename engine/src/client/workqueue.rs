//! A controller's work queue: keys in FIFO order without duplicates, and per-key exponential
//! back-off for retries after failures (client-go util/workqueue: the default controller rate
//! limiter's per-item part, 5 ms doubling to 1000 s, reset by `forget`).

use crate::sim::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const BASE_DELAY_US: u64 = 5_000;
const MAX_DELAY_US: u64 = 1_000_000_000;

/// Keys waiting to be synced.
#[derive(Debug, Default)]
pub struct WorkQueue {
    queue: VecDeque<String>,
    queued: BTreeSet<String>,
    failures: BTreeMap<String, u32>,
    /// Keys waiting out a back-off, by when they are due.
    delayed: BTreeSet<(SimTime, String)>,
}

impl WorkQueue {
    pub fn add(&mut self, key: String) {
        if self.queued.insert(key.clone()) {
            self.queue.push_back(key);
        }
    }

    pub fn pop(&mut self) -> Option<String> {
        let k = self.queue.pop_front()?;
        self.queued.remove(&k);
        Some(k)
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// ItemExponentialFailureRateLimiter.When: 5 ms x 2^failures, capped at 1000 s.
    pub fn backoff(&self, key: &str) -> SimDuration {
        let n = self.failures.get(key).copied().unwrap_or(0);
        SimDuration(
            BASE_DELAY_US
                .saturating_mul(1u64 << n.min(40))
                .min(MAX_DELAY_US),
        )
    }

    /// AddRateLimited: the key comes back after its back-off, which then doubles. Returns when.
    pub fn add_rate_limited(&mut self, key: String, now: SimTime) -> SimTime {
        let due = now + self.backoff(&key);
        *self.failures.entry(key.clone()).or_insert(0) += 1;
        self.delayed.insert((due, key));
        due
    }

    /// AddAfter: the key comes back at `due` (its back-off is not touched).
    pub fn add_after(&mut self, key: String, due: SimTime) {
        self.delayed.insert((due, key));
    }

    /// The key synced fine: reset its back-off.
    pub fn forget(&mut self, key: &str) {
        self.failures.remove(key);
    }

    /// Moves keys whose back-off ended into the queue.
    pub fn promote(&mut self, now: SimTime) {
        while let Some((due, _)) = self.delayed.first() {
            if *due > now {
                break;
            }
            let (_, k) = self.delayed.pop_first().expect("checked");
            self.add(k);
        }
    }

    /// When the next delayed key is due.
    pub fn next_due(&self) -> Option<SimTime> {
        self.delayed.first().map(|d| d.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_and_fifo() {
        let mut q = WorkQueue::default();
        for k in ["a", "b", "a", "c"] {
            q.add(k.into());
        }
        let order: Vec<String> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    /// default_rate_limiters_test.go TestItemExponentialFailureRateLimiter.
    #[test]
    fn exponential_backoff_per_item() {
        let mut q = WorkQueue::default();
        let t0 = SimTime(0);
        let dues: Vec<u64> = (0..4)
            .map(|_| q.add_rate_limited("one".into(), t0).0)
            .collect();
        assert_eq!(dues, [5_000, 10_000, 20_000, 40_000]);
        assert_eq!(q.backoff("two"), SimDuration(5_000));
        q.forget("one");
        assert_eq!(q.backoff("one"), SimDuration(5_000));
        for _ in 0..60 {
            q.add_rate_limited("big".into(), t0);
        }
        assert_eq!(q.backoff("big"), SimDuration(1_000_000_000));
    }

    #[test]
    fn delayed_keys_come_back_when_due() {
        let mut q = WorkQueue::default();
        q.add_rate_limited("a".into(), SimTime(0));
        q.promote(SimTime(4_999));
        assert!(q.is_empty());
        q.promote(SimTime(5_000));
        assert_eq!(q.pop().as_deref(), Some("a"));
        assert_eq!(q.next_due(), None);
    }
}
