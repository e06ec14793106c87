//! Drives one actor by hand, for unit tests: feed it an input, get back what it sent and which
//! timers it set. Messages are not delivered anywhere; the test decides what comes back.

use super::actor::{Actor, ActorId, Context, Envelope, Input};
use super::link::Network;
use super::queue::EventQueue;
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::trace::Trace;

/// Something an actor did while handling one input.
#[derive(Debug)]
pub enum Sent<M> {
    Message { to: ActorId, msg: M },
    Timer { at: SimTime, tag: u64 },
}

/// A bench for one actor.
pub struct Harness<M> {
    now: SimTime,
    me: ActorId,
    rng: SimRng,
    queue: EventQueue<Envelope<M>>,
    network: Network,
    trace: Trace,
    names: Vec<String>,
}

impl<M> Harness<M> {
    /// `names[i]` is the name of actor i; the actor under test is `me`.
    pub fn new(names: &[&str], me: ActorId, seed: u64) -> Self {
        Harness {
            now: SimTime::ZERO,
            me,
            rng: SimRng::new(seed, super::rng::actor_stream(names[me.index()])),
            queue: EventQueue::new(),
            network: Network::new(seed, super::link::Latency::ZERO),
            trace: Trace::new().keeping_lines(),
            names: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, d: SimDuration) {
        self.now += d;
    }

    pub fn set_now(&mut self, t: SimTime) {
        self.now = t;
    }

    /// Hands `input` to `actor`; returns what it sent and the timers it set, in order.
    pub fn feed<A: Actor<M>>(&mut self, actor: &mut A, input: Input<M>) -> Vec<Sent<M>> {
        let mut cx = Context {
            now: self.now,
            me: self.me,
            rng: &mut self.rng,
            queue: &mut self.queue,
            network: &mut self.network,
            trace: &mut self.trace,
            names: &self.names,
        };
        actor.handle(input, &mut cx);
        let mut out = Vec::new();
        while let Some((at, _, env)) = self.queue.pop() {
            out.push(match env {
                Envelope::Message { to, msg, .. } => Sent::Message { to, msg },
                Envelope::Timer { tag, .. } => Sent::Timer { at, tag },
                Envelope::Deferred { to, msg, .. } => Sent::Message { to, msg },
                Envelope::Start { .. } => continue,
            });
        }
        out
    }

    /// Trace lines written so far.
    pub fn trace_lines(&self) -> &[String] {
        self.trace.lines().unwrap_or(&[])
    }
}

/// Takes out of `timers` (as a test collects them from [`Sent::Timer`]) the earliest one due
/// by `until`, the lowest tag first among equal times.
pub fn pop_due(timers: &mut Vec<(SimTime, u64)>, until: SimTime) -> Option<(SimTime, u64)> {
    let i = (0..timers.len())
        .filter(|&i| timers[i].0 <= until)
        .min_by_key(|&i| timers[i])?;
    Some(timers.remove(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pop_due_takes_the_earliest_then_the_lowest_tag() {
        let t = SimTime;
        let mut timers = vec![(t(5), 2), (t(9), 1), (t(5), 1), (t(3), 7)];
        let mut popped = Vec::new();
        while let Some(x) = pop_due(&mut timers, t(6)) {
            popped.push(x);
        }
        assert_eq!(popped, [(t(3), 7), (t(5), 1), (t(5), 2)]);
        assert_eq!(timers, [(t(9), 1)]);
    }
}
