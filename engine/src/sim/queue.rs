//! The event queue: events ordered by (time, sequence number), with cancellable timers.
//!
//! Simultaneous events run in the order they were scheduled. The queue is a radix heap keyed by
//! time with 64-way digits (after Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for the
//! shortest path problem", 1990). Times taken out never decrease, so an event is filed by the
//! highest 6-bit digit in which its time differs from the last time taken out, and it only ever
//! moves to lower levels, in sequential passes over short vectors: the cost of an event stays
//! flat as the number of pending events grows. Events at exactly the last time taken out wait in
//! a FIFO. Every bucket stays in sequence order, so simultaneous events come out in sequence
//! order. Events scheduled before the last time taken out (after a peek, or by a caller
//! scheduling in the past) go to a binary heap that is drained first.
//!
//! Cancellation is lazy: a cancelled entry stays queued and is skipped when it comes due.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

/// Identifies one scheduled event (its sequence number); used to cancel timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u64);

struct Entry<E> {
    time: u64,
    seq: u64,
    payload: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.time == o.time && self.seq == o.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}

/// Residues of sequence numbers counted in `EventQueue::cancel_hints`.
const CANCEL_HINTS: usize = 1024;

const DIGIT_BITS: u32 = 6;
const DIGITS: usize = 1 << DIGIT_BITS;
const LEVELS: usize = (u64::BITS as usize).div_ceil(DIGIT_BITS as usize);

/// The bucket (level * DIGITS + digit) of `time` relative to `last`: the level is the highest
/// digit in which they differ, the digit is `time`'s there. None when they are equal.
#[inline]
fn bucket_of(time: u64, last: u64) -> Option<usize> {
    let x = time ^ last;
    if x == 0 {
        return None;
    }
    let level = (u64::BITS - 1 - x.leading_zeros()) / DIGIT_BITS;
    let digit = (time >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
    Some(level as usize * DIGITS + digit)
}

/// A priority queue of events keyed by (time, seq).
pub struct EventQueue<E> {
    /// Events at exactly `last`, in sequence order.
    now: VecDeque<Entry<E>>,
    /// Events later than `last`, by [`bucket_of`]. Within a level, a lower digit holds earlier
    /// times; every event of a level is earlier than every event of a higher level.
    buckets: Vec<Vec<Entry<E>>>,
    /// The earliest time in each bucket (u64::MAX when empty).
    mins: Vec<u64>,
    /// Per level, bit d set when that level's bucket for digit d is occupied.
    occupied: [u64; LEVELS],
    /// Bit l set when level l has an occupied bucket.
    levels: u32,
    /// The time of the last event taken out of the buckets.
    last: u64,
    /// Events scheduled before `last`; all of them come before every other event.
    early: BinaryHeap<Entry<E>>,
    len: usize,
    next_seq: u64,
    /// Sequence numbers of cancelled events that may still be queued.
    cancelled: BTreeSet<u64>,
    /// How many of `cancelled` have each residue modulo [`CANCEL_HINTS`]: an event whose count
    /// is zero was not cancelled, without a search.
    cancel_hints: Vec<u32>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            now: VecDeque::new(),
            buckets: (0..LEVELS * DIGITS).map(|_| Vec::new()).collect(),
            mins: vec![u64::MAX; LEVELS * DIGITS],
            occupied: [0; LEVELS],
            levels: 0,
            last: 0,
            early: BinaryHeap::new(),
            len: 0,
            next_seq: 0,
            cancelled: BTreeSet::new(),
            cancel_hints: vec![0; CANCEL_HINTS],
        }
    }

    /// Schedules `payload` at `time`; returns its id.
    pub fn push(&mut self, time: SimTime, payload: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let time = time.0;
        if self.len == 0 && time < self.last {
            self.last = time;
        }
        self.len += 1;
        let entry = Entry { time, seq, payload };
        if time < self.last {
            self.early.push(entry);
        } else {
            self.file(entry);
        }
        EventId(seq)
    }

    /// Files an event at or after `last` under its bucket.
    #[inline]
    fn file(&mut self, e: Entry<E>) {
        match bucket_of(e.time, self.last) {
            None => self.now.push_back(e),
            Some(b) => {
                let level = b / DIGITS;
                self.occupied[level] |= 1 << (b % DIGITS);
                self.levels |= 1 << level;
                self.mins[b] = self.mins[b].min(e.time);
                self.buckets[b].push(e);
            }
        }
    }

    /// Cancels a scheduled event. Cancelling one that already ran or was cancelled does nothing.
    pub fn cancel(&mut self, id: EventId) {
        if id.0 < self.next_seq && self.cancelled.insert(id.0) {
            self.cancel_hints[id.0 as usize % CANCEL_HINTS] += 1;
            if self.cancelled.len() > 2 * self.len.max(32) {
                self.forget_run_cancellations();
            }
        }
    }

    /// Drops the cancellations of events no longer queued (they ran before being cancelled).
    fn forget_run_cancellations(&mut self) {
        let queued: BTreeSet<u64> = (self.early.iter())
            .chain(self.now.iter())
            .chain(self.buckets.iter().flatten())
            .map(|e| e.seq)
            .filter(|s| self.cancelled.contains(s))
            .collect();
        self.cancel_hints.fill(0);
        for &s in &queued {
            self.cancel_hints[s as usize % CANCEL_HINTS] += 1;
        }
        self.cancelled = queued;
    }

    /// Whether the event `seq` was cancelled (forgetting that: it is leaving the queue).
    #[inline]
    fn take_cancelled(&mut self, seq: u64) -> bool {
        let hint = &mut self.cancel_hints[seq as usize % CANCEL_HINTS];
        if *hint == 0 || !self.cancelled.remove(&seq) {
            return false;
        }
        *hint -= 1;
        true
    }

    /// The lowest occupied bucket (it holds the earliest event), marked empty.
    fn take_lowest(&mut self) -> Option<usize> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        let digit = self.occupied[level].trailing_zeros() as usize;
        self.occupied[level] &= !(1 << digit);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
        let b = level * DIGITS + digit;
        self.last = std::mem::replace(&mut self.mins[b], u64::MAX);
        Some(b)
    }

    /// Empties the lowest occupied bucket: its earliest events (at the new `last`) go to `now`,
    /// the others to lower levels. Returns the event itself if it was alone there (no `now`
    /// round trip), None when the buckets are empty.
    fn refill(&mut self) -> Option<Option<Entry<E>>> {
        let b = self.take_lowest()?;
        let mut from = std::mem::take(&mut self.buckets[b]);
        if from.len() == 1 {
            let lone = from.pop();
            self.buckets[b] = from;
            return Some(lone);
        }
        for e in from.drain(..) {
            self.file(e);
        }
        self.buckets[b] = from;
        // Every bucket is in sequence order: events are filed in the order they were pushed,
        // and a bucket is emptied only into lower levels, which are empty then.
        debug_assert!(self.now.iter().is_sorted_by_key(|e| e.seq));
        Some(None)
    }

    /// Removes and returns the earliest event, cancelled or not.
    fn pop_any(&mut self) -> Option<Entry<E>> {
        if !self.early.is_empty() {
            self.len -= 1;
            return self.early.pop();
        }
        loop {
            if let Some(e) = self.now.pop_front() {
                self.len -= 1;
                return Some(e);
            }
            if let Some(e) = self.refill()? {
                self.len -= 1;
                return Some(e);
            }
        }
    }

    /// Removes and returns the earliest live event.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        while let Some(e) = self.pop_any() {
            if self.take_cancelled(e.seq) {
                continue;
            }
            return Some((SimTime(e.time), EventId(e.seq), e.payload));
        }
        None
    }

    /// The time of the earliest live event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let (time, seq) = if let Some(e) = self.early.peek() {
                (e.time, e.seq)
            } else if let Some(e) = self.now.front() {
                (e.time, e.seq)
            } else {
                if let Some(e) = self.refill()? {
                    self.now.push_back(e);
                }
                continue;
            };
            if self.take_cancelled(seq) {
                self.pop_any();
                continue;
            }
            return Some(SimTime(time));
        }
    }

    /// An event that comes due soon (the next one, or one of the few earliest), without
    /// reordering anything: a hint for prefetching what it will need.
    pub(crate) fn peek_soon(&self) -> Option<&E> {
        if let Some(e) = self.early.peek().or(self.now.front()) {
            return Some(&e.payload);
        }
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        let digit = self.occupied[level].trailing_zeros() as usize;
        self.buckets[level * DIGITS + digit]
            .first()
            .map(|e| &e.payload)
    }

    /// Events queued, cancelled ones included.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sequence numbers handed out so far (the number of events ever scheduled).
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimRng;
    use std::cmp::Reverse;

    #[test]
    fn orders_by_time_then_sequence() {
        let mut q = EventQueue::new();
        q.push(SimTime(30), "c");
        q.push(SimTime(10), "a1");
        q.push(SimTime(20), "b");
        q.push(SimTime(10), "a2");
        q.push(SimTime(10), "a3");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ["a1", "a2", "a3", "b", "c"]);
    }

    #[test]
    fn cancelled_events_never_run() {
        let mut q = EventQueue::new();
        let a = q.push(SimTime(5), 'a');
        q.push(SimTime(6), 'b');
        let c = q.push(SimTime(7), 'c');
        q.cancel(a);
        q.cancel(c);
        q.cancel(EventId(999)); // never scheduled: ignored
        assert_eq!(q.peek_time(), Some(SimTime(6)));
        assert_eq!(q.pop().map(|(_, _, e)| e), Some('b'));
        assert!(q.pop().is_none());
    }

    #[test]
    fn cancel_after_run_is_harmless() {
        let mut q = EventQueue::new();
        let a = q.push(SimTime(1), 1);
        assert!(q.pop().is_some());
        q.cancel(a);
        q.push(SimTime(2), 2);
        assert_eq!(q.pop().map(|(_, _, e)| e), Some(2));
    }

    #[test]
    fn events_scheduled_in_the_past_come_first() {
        let mut q = EventQueue::new();
        q.push(SimTime(100), 'c');
        q.push(SimTime(100), 'd');
        assert_eq!(q.pop().map(|(t, _, e)| (t, e)), Some((SimTime(100), 'c')));
        q.push(SimTime(50), 'b');
        q.push(SimTime(10), 'a');
        q.push(SimTime(100), 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ['a', 'b', 'd', 'e']);
    }

    #[test]
    fn forgets_cancellations_of_events_that_ran() {
        let mut q = EventQueue::new();
        let ran: Vec<EventId> = (0..200).map(|i| q.push(SimTime(i), i)).collect();
        while q.pop().is_some() {}
        let live = q.push(SimTime(500), 500);
        let gone = q.push(SimTime(501), 501);
        q.cancel(gone);
        for id in ran {
            q.cancel(id);
        }
        assert!(q.cancelled.len() <= 64, "{}", q.cancelled.len());
        assert!(q.cancelled.contains(&gone.0));
        assert_eq!(q.pop().map(|(_, id, _)| id), Some(live));
        assert!(q.pop().is_none());
    }

    /// The reference: a binary heap on (time, seq) and a set of cancelled sequence numbers.
    #[derive(Default)]
    struct Reference {
        heap: BinaryHeap<Reverse<(u64, u64)>>,
        next_seq: u64,
        cancelled: BTreeSet<u64>,
    }

    impl Reference {
        fn push(&mut self, time: u64) -> u64 {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.heap.push(Reverse((time, seq)));
            seq
        }
        fn pop(&mut self) -> Option<(u64, u64)> {
            while let Some(Reverse((t, s))) = self.heap.pop() {
                if !self.cancelled.remove(&s) {
                    return Some((t, s));
                }
            }
            None
        }
        fn peek(&mut self) -> Option<u64> {
            while let Some(&Reverse((t, s))) = self.heap.peek() {
                if !self.cancelled.remove(&s) {
                    return Some(t);
                }
                self.heap.pop();
            }
            None
        }
    }

    /// Random pushes (near, far, simultaneous and past times), pops, peeks and cancellations
    /// (of queued, run and unknown ids): the queue pops exactly what the reference pops.
    #[test]
    fn pops_in_the_same_order_as_a_binary_heap() {
        for seed in 0..40 {
            let mut rng = SimRng::new(seed, 7);
            let mut q = EventQueue::new();
            let mut r = Reference::default();
            let mut ids: Vec<u64> = Vec::new();
            let mut now = 0u64;
            let pending_target = [1, 10, 300, 3000][seed as usize % 4];
            for _ in 0..20_000 {
                let op = rng.uniform(0, 99);
                let fill = q.len() < pending_target;
                if op < 45 || (fill && op < 70) {
                    let time = match rng.uniform(0, 9) {
                        0 => now,
                        1 => now.saturating_sub(rng.uniform(0, 50)),
                        2 => now + rng.uniform(0, 3),
                        3 => now + rng.uniform(0, 1 << 40),
                        4 => rng.uniform(0, u64::MAX),
                        _ => now + rng.uniform(0, 1_000),
                    };
                    let id = q.push(SimTime(time), ids.len());
                    assert_eq!(id.0, r.push(time));
                    ids.push(id.0);
                } else if op < 55 {
                    let id = match rng.uniform(0, 9) {
                        0 => rng.uniform(0, ids.len() as u64 + 5),
                        _ if ids.is_empty() => 0,
                        _ => ids[ids.len() - 1 - rng.index(ids.len().min(50))],
                    };
                    q.cancel(EventId(id));
                    if id < r.next_seq {
                        r.cancelled.insert(id);
                    }
                } else if op < 60 {
                    assert_eq!(q.peek_time().map(|t| t.0), r.peek(), "seed {seed}");
                } else {
                    let got = q.pop().map(|(t, id, i)| {
                        assert_eq!(ids[i], id.0);
                        (t.0, id.0)
                    });
                    assert_eq!(got, r.pop(), "seed {seed}");
                    if let Some((t, _)) = got {
                        now = now.max(t);
                    }
                }
                let queued = r.heap.len();
                assert_eq!(q.len(), queued, "seed {seed}");
            }
            while let Some(want) = r.pop() {
                assert_eq!(q.pop().map(|(t, id, _)| (t.0, id.0)), Some(want));
            }
            assert!(q.pop().is_none());
        }
    }
}
