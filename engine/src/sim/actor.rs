//! The sans-IO actor interface: an actor is a plain state machine. The engine hands it an input
//! and a [`Context`]; it answers only by sending messages, setting timers and writing trace records
//! through that context. It never reads a clock, sleeps, spawns or does I/O.

use super::link::Network;
use super::queue::{EventId, EventQueue};
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};
use super::trace::{Trace, TraceRecord};
use std::any::Any;

/// A small integer naming an actor (its index in the simulation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(pub u32);

impl ActorId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A timer handle, for cancelling.
pub type TimerId = EventId;

/// What the engine hands an actor.
#[derive(Debug)]
pub enum Input<M> {
    /// The actor was started (at the time its owner chose).
    Start,
    /// A message from another actor.
    Message { from: ActorId, msg: M },
    /// A timer the actor set went off; `tag` is what it passed to `set_timer`.
    Timer { id: TimerId, tag: u64 },
}

/// A simulated component.
pub trait Actor<M>: Any {
    fn handle(&mut self, input: Input<M>, cx: &mut Context<'_, M>);
}

/// What sits in the event queue.
pub(crate) enum Envelope<M> {
    Start {
        to: ActorId,
    },
    Message {
        to: ActorId,
        from: ActorId,
        msg: M,
    },
    Timer {
        to: ActorId,
        tag: u64,
    },
    /// A message that leaves its sender now (it waited there until now): it goes onto the link.
    Deferred {
        to: ActorId,
        from: ActorId,
        msg: M,
    },
}

impl<M> Envelope<M> {
    /// The actor it is delivered to (for a deferred message, once it leaves its sender).
    pub(crate) fn to(&self) -> ActorId {
        match self {
            Envelope::Start { to }
            | Envelope::Message { to, .. }
            | Envelope::Timer { to, .. }
            | Envelope::Deferred { to, .. } => *to,
        }
    }
}

/// The actor's window on the world while it handles one input.
pub struct Context<'a, M> {
    pub(crate) now: SimTime,
    pub(crate) me: ActorId,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) queue: &'a mut EventQueue<Envelope<M>>,
    pub(crate) network: &'a mut Network,
    pub(crate) trace: &'a mut Trace,
    pub(crate) names: &'a [String],
}

impl<M> Context<'_, M> {
    /// Current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// This actor's id.
    pub fn me(&self) -> ActorId {
        self.me
    }

    /// This actor's random stream.
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }

    /// The name of an actor (as shown in the trace).
    pub fn name_of(&self, id: ActorId) -> &str {
        &self.names[id.index()]
    }

    /// Sends `msg` to `to` over the network; it arrives after the link's latency, or never if the
    /// link is cut. Returns whether it will be delivered.
    pub fn send(&mut self, to: ActorId, msg: M) -> bool {
        self.send_delayed(SimDuration::ZERO, to, msg)
    }

    /// Sends `msg` after waiting `delay` here first (a client-side wait, such as a back-off),
    /// then over the link as `send` does. Returns false if the link is cut now and the message
    /// is sent now (a deferred message on a link cut by then is lost).
    pub fn send_delayed(&mut self, delay: SimDuration, to: ActorId, msg: M) -> bool {
        if delay > SimDuration::ZERO {
            let from = self.me;
            self.queue
                .push(self.now + delay, Envelope::Deferred { to, from, msg });
            return true;
        }
        match self.network.delivery(self.now, self.me, to) {
            Some(at) => {
                self.queue.push(
                    at,
                    Envelope::Message {
                        to,
                        from: self.me,
                        msg,
                    },
                );
                true
            }
            None => false,
        }
    }

    /// Sets a timer that fires `after` from now with `tag`.
    pub fn set_timer(&mut self, after: SimDuration, tag: u64) -> TimerId {
        self.queue
            .push(self.now + after, Envelope::Timer { to: self.me, tag })
    }

    /// Cancels a timer that has not fired yet.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.queue.cancel(id);
    }

    /// Writes one trace record at the current time.
    #[allow(clippy::too_many_arguments)]
    pub fn trace(
        &mut self,
        actor: &str,
        verb: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        rv: u64,
        object: &str,
    ) {
        self.trace.record(&TraceRecord {
            t_us: self.now.0,
            actor,
            verb,
            kind,
            namespace,
            name,
            rv,
            object,
        });
    }
}
