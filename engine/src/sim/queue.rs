//! The event queue: events ordered by (time, sequence number), with cancellable timers.
//!
//! Simultaneous events run in the order they were scheduled. Cancellation is lazy: a cancelled
//! entry stays in the heap and is skipped when it reaches the top.

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::HashSet; // lookup only

/// Identifies one scheduled event (its sequence number); used to cancel timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u64);

struct Entry<E> {
    time: SimTime,
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

/// A priority queue of events keyed by (time, seq).
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    /// Sequence numbers of cancelled, still-queued events (lookup only, never iterated).
    cancelled: HashSet<u64>, // lookup only
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            cancelled: HashSet::new(), // lookup only
        }
    }

    /// Schedules `payload` at `time`; returns its id.
    pub fn push(&mut self, time: SimTime, payload: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, payload });
        EventId(seq)
    }

    /// Cancels a scheduled event. Cancelling one that already ran or was cancelled does nothing.
    pub fn cancel(&mut self, id: EventId) {
        if id.0 < self.next_seq {
            self.cancelled.insert(id.0);
        }
    }

    /// Removes and returns the earliest live event.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        while let Some(e) = self.heap.pop() {
            if !self.cancelled.is_empty() && self.cancelled.remove(&e.seq) {
                continue;
            }
            return Some((e.time, EventId(e.seq), e.payload));
        }
        None
    }

    /// The time of the earliest live event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(e) = self.heap.peek() {
            if !self.cancelled.is_empty() && self.cancelled.contains(&e.seq) {
                let seq = e.seq;
                self.heap.pop();
                self.cancelled.remove(&seq);
                continue;
            }
            return Some(e.time);
        }
        None
    }

    /// Events in the heap, cancelled ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Sequence numbers handed out so far (the number of events ever scheduled).
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
