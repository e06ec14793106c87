//! The scheduling queue: activeQ ordered by PrioritySort, backoffQ, and unschedulable pods.
//! Models pkg/scheduler/backend/queue/scheduling_queue.go: back-off 1 s doubling to 10 s per
//! attempt; unschedulable pods move on a cluster event that may help them, or after 5 minutes.

use crate::client::CacheKey;
use crate::sim::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// Queue settings.
#[derive(Clone, Debug)]
pub struct QueueConfig {
    /// `podInitialBackoffSeconds`.
    pub initial_backoff: SimDuration,
    /// `podMaxBackoffSeconds`.
    pub max_backoff: SimDuration,
    /// `podMaxInUnschedulablePodsDuration`.
    pub max_in_unschedulable: SimDuration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            initial_backoff: SimDuration::from_secs(1),
            max_backoff: SimDuration::from_secs(10),
            max_in_unschedulable: SimDuration::from_secs(300),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    Active,
    Backoff,
    Unschedulable,
    InFlight,
}

#[derive(Clone, Debug)]
struct Entry {
    priority: i32,
    /// When the pod was first added (PrioritySort's tie-break).
    timestamp: SimTime,
    attempts: u32,
    last_attempt: SimTime,
    unschedulable_since: SimTime,
    seq: u64,
    at: Where,
}

type ActiveKey = (Reverse<i32>, SimTime, u64, CacheKey);

/// The scheduler's queue of pods waiting for a node.
#[derive(Debug, Default)]
pub struct SchedulingQueue {
    config: QueueConfig,
    entries: BTreeMap<CacheKey, Entry>,
    active: BTreeSet<ActiveKey>,
    backoff: BTreeSet<(SimTime, u64, CacheKey)>,
    next_seq: u64,
}

impl SchedulingQueue {
    pub fn new(config: QueueConfig) -> Self {
        SchedulingQueue {
            config,
            ..Default::default()
        }
    }

    /// calculateBackoffDuration: initial x 2^(attempts-1), capped.
    pub fn backoff_duration(&self, attempts: u32) -> SimDuration {
        let mut d = self.config.initial_backoff.0;
        let max = self.config.max_backoff.0;
        for _ in 1..attempts {
            if d > max - d.min(max) {
                return SimDuration(max);
            }
            d += d;
        }
        SimDuration(d.min(max))
    }

    fn active_key(key: &CacheKey, e: &Entry) -> ActiveKey {
        (Reverse(e.priority), e.timestamp, e.seq, key.clone())
    }

    fn unlink(&mut self, key: &CacheKey, e: &Entry) {
        match e.at {
            Where::Active => {
                self.active.remove(&Self::active_key(key, e));
            }
            Where::Backoff => {
                let expiry = e.last_attempt + self.backoff_duration(e.attempts);
                self.backoff.remove(&(expiry, e.seq, key.clone()));
            }
            Where::Unschedulable | Where::InFlight => {}
        }
    }

    /// A new pending pod.
    pub fn add(&mut self, key: CacheKey, priority: i32, now: SimTime) {
        if self.entries.contains_key(&key) {
            return;
        }
        let e = Entry {
            priority,
            timestamp: now,
            attempts: 0,
            last_attempt: now,
            unschedulable_since: now,
            seq: self.next_seq,
            at: Where::Active,
        };
        self.next_seq += 1;
        self.active.insert(Self::active_key(&key, &e));
        self.entries.insert(key, e);
    }

    /// The pod is gone or bound by someone else.
    pub fn delete(&mut self, key: &CacheKey) {
        if let Some(e) = self.entries.remove(key) {
            self.unlink(key, &e);
        }
    }

    pub fn contains(&self, key: &CacheKey) -> bool {
        self.entries.contains_key(key)
    }

    /// Takes the highest-priority active pod for a scheduling attempt.
    pub fn pop(&mut self, now: SimTime) -> Option<CacheKey> {
        let first = self.active.pop_first()?;
        let key = first.3;
        let e = self
            .entries
            .get_mut(&key)
            .expect("active pods have entries");
        e.attempts += 1;
        e.last_attempt = now;
        e.at = Where::InFlight;
        Some(key)
    }

    /// The attempt succeeded (the pod is assumed and being bound).
    pub fn done(&mut self, key: &CacheKey) {
        self.entries.remove(key);
    }

    /// The attempt found no node: wait for a cluster event (or 5 minutes).
    pub fn add_unschedulable(&mut self, key: &CacheKey, now: SimTime) {
        if let Some(e) = self.entries.get_mut(key) {
            e.at = Where::Unschedulable;
            e.unschedulable_since = now;
        }
    }

    /// The attempt failed for another reason (bind error): retry after back-off.
    pub fn add_backoff(&mut self, key: &CacheKey) {
        let Some((last, attempts)) = self.entries.get(key).map(|e| (e.last_attempt, e.attempts))
        else {
            return;
        };
        let expiry = last + self.backoff_duration(attempts);
        let e = self.entries.get_mut(key).expect("checked above");
        e.at = Where::Backoff;
        let seq = e.seq;
        self.backoff.insert((expiry, seq, key.clone()));
    }

    fn move_to_active_or_backoff(&mut self, key: &CacheKey, now: SimTime) {
        let Some(e) = self.entries.get(key).cloned() else {
            return;
        };
        self.unlink(key, &e);
        let expiry = e.last_attempt + self.backoff_duration(e.attempts);
        let e2 = self.entries.get_mut(key).expect("checked above");
        if expiry > now {
            e2.at = Where::Backoff;
            self.backoff.insert((expiry, e.seq, key.clone()));
        } else {
            e2.at = Where::Active;
            self.active.insert(Self::active_key(key, e2));
        }
    }

    /// A cluster event that may make unschedulable pods schedulable (a node added, a pod deleted).
    pub fn move_all_unschedulable(&mut self, now: SimTime) {
        let keys: Vec<CacheKey> = self
            .entries
            .iter()
            .filter(|(_, e)| e.at == Where::Unschedulable)
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.move_to_active_or_backoff(&k, now);
        }
    }

    /// flushBackoffQCompleted: back-off expired pods go to activeQ.
    pub fn flush_backoff(&mut self, now: SimTime) {
        while let Some(first) = self.backoff.first() {
            if first.0 > now {
                break;
            }
            let (_, _, key) = self.backoff.pop_first().expect("checked");
            if let Some(e) = self.entries.get_mut(&key) {
                e.at = Where::Active;
                let k = Self::active_key(&key, e);
                self.active.insert(k);
            }
        }
    }

    /// flushUnschedulablePodsLeftover: pods unschedulable for longer than the limit move.
    pub fn flush_unschedulable_leftover(&mut self, now: SimTime) {
        let limit = self.config.max_in_unschedulable;
        let keys: Vec<CacheKey> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                e.at == Where::Unschedulable && now.since(e.unschedulable_since) > limit
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.move_to_active_or_backoff(&k, now);
        }
    }

    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    pub fn backoff_len(&self) -> usize {
        self.backoff.len()
    }

    pub fn unschedulable_len(&self) -> usize {
        self.entries
            .values()
            .filter(|e| e.at == Where::Unschedulable)
            .count()
    }

    /// When the earliest back-off ends.
    pub fn next_backoff_expiry(&self) -> Option<SimTime> {
        self.backoff.first().map(|b| b.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: &str) -> CacheKey {
        ("default".into(), n.into())
    }

    #[test]
    fn backoff_sequence_doubles_to_the_cap() {
        let q = SchedulingQueue::new(QueueConfig::default());
        let got: Vec<u64> = (1..=6)
            .map(|a| q.backoff_duration(a).0 / 1_000_000)
            .collect();
        assert_eq!(got, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn priority_sort_then_fifo() {
        let mut q = SchedulingQueue::new(QueueConfig::default());
        q.add(key("low-old"), 0, SimTime(1));
        q.add(key("high"), 100, SimTime(5));
        q.add(key("low-new"), 0, SimTime(3));
        let order: Vec<String> = std::iter::from_fn(|| q.pop(SimTime(10)).map(|k| k.1)).collect();
        assert_eq!(order, ["high", "low-old", "low-new"]);
    }

    #[test]
    fn unschedulable_moves_on_event_through_backoff() {
        let mut q = SchedulingQueue::new(QueueConfig::default());
        q.add(key("p"), 0, SimTime(0));
        let k = q.pop(SimTime(0)).unwrap();
        q.add_unschedulable(&k, SimTime(0));
        assert_eq!(q.unschedulable_len(), 1);
        q.move_all_unschedulable(SimTime(500_000));
        assert_eq!(
            q.backoff_len(),
            1,
            "still backing off (1 s after the first attempt)"
        );
        q.flush_backoff(SimTime(999_999));
        assert_eq!(q.active_len(), 0);
        q.flush_backoff(SimTime(1_000_000));
        assert_eq!(q.active_len(), 1);
    }

    #[test]
    fn unschedulable_leftover_after_five_minutes() {
        let mut q = SchedulingQueue::new(QueueConfig::default());
        q.add(key("p"), 0, SimTime(0));
        let k = q.pop(SimTime(0)).unwrap();
        q.add_unschedulable(&k, SimTime(0));
        q.flush_unschedulable_leftover(SimTime(300_000_000));
        assert_eq!(q.unschedulable_len(), 1, "exactly 5 minutes: stays");
        q.flush_unschedulable_leftover(SimTime(300_000_001));
        assert_eq!(q.active_len(), 1);
    }

    #[test]
    fn delete_removes_everywhere() {
        let mut q = SchedulingQueue::new(QueueConfig::default());
        q.add(key("a"), 0, SimTime(0));
        q.delete(&key("a"));
        assert!(q.pop(SimTime(0)).is_none());
        assert!(!q.contains(&key("a")));
    }
}
