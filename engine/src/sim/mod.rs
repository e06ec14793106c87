//! The generic discrete-event core: virtual time, the event queue, seeded random streams, network
//! links, the trace and its digest. Knows nothing of Kubernetes.

pub mod actor;
pub mod link;
pub mod queue;
pub mod rng;
pub mod testing;
pub mod time;
pub mod trace;

pub use actor::{Actor, ActorId, Context, Input, TimerId};
pub use link::{Latency, Network};
pub use queue::{EventId, EventQueue};
pub use rng::SimRng;
pub use time::{format_duration, parse_duration, SimDuration, SimTime};
pub use trace::{Trace, TraceRecord};

use actor::Envelope;

/// Asks the CPU to start loading the memory of `r` into its caches: a hint, with no effect on
/// behaviour. It lets the next event's actor state arrive while the current one is handled.
#[inline(always)]
fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = (r as *const T).cast::<i8>();
        // Lines at p, p+64, ..: the last one reaches past the end of `r` wherever it starts.
        for k in 0..=std::mem::size_of::<T>() / 64 {
            // SAFETY: a prefetch never faults nor changes memory.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64 * k)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// An actor that does nothing (a placeholder while another is rebuilt).
struct Inert;

impl<M> Actor<M> for Inert {
    fn handle(&mut self, _: Input<M>, _: &mut Context<'_, M>) {}
}

/// A simulation: actors, their random streams, the queue, the network and the trace.
pub struct Sim<M> {
    seed: u64,
    now: SimTime,
    queue: EventQueue<Envelope<M>>,
    /// Per actor, indexed by `ActorId`: kept apart so that a step touches only what it uses.
    actors: Vec<Box<dyn Actor<M>>>,
    rngs: Vec<SimRng>,
    /// A stopped actor receives nothing: messages and timers addressed to it are dropped.
    running: Vec<bool>,
    names: Vec<String>,
    network: Network,
    trace: Trace,
    events: u64,
}

/// A message the network may fail to deliver because a link is cut: what, if anything, its
/// sender hears back (a refused connection).
pub trait Bounce: Sized {
    fn bounce(self) -> Option<Self>;
}

/// Plain values bounce back unchanged (tests).
impl Bounce for u32 {
    fn bounce(self) -> Option<Self> {
        Some(self)
    }
}

impl<M: Bounce + 'static> Sim<M> {
    pub fn new(seed: u64, latency: Latency, trace: Trace) -> Self {
        Sim {
            seed,
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            actors: Vec::new(),
            rngs: Vec::new(),
            running: Vec::new(),
            names: Vec::new(),
            network: Network::new(seed, latency),
            trace,
            events: 0,
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Adds an actor under a unique name; its random stream derives from the seed and the name
    /// ([`rng::actor_stream`]). It runs once started.
    pub fn add_actor(&mut self, name: impl Into<String>, actor: Box<dyn Actor<M>>) -> ActorId {
        let id = ActorId(self.actors.len() as u32);
        let name = name.into();
        self.network.register(id, &name);
        self.rngs
            .push(SimRng::new(self.seed, rng::actor_stream(&name)));
        self.names.push(name);
        self.actors.push(actor);
        self.running.push(true);
        id
    }

    /// Delivers `Input::Start` to `id` at `at`.
    pub fn start_at(&mut self, id: ActorId, at: SimTime) {
        self.queue.push(at, Envelope::Start { to: id });
    }

    /// Delivers `msg` to `to` at `at`, as if sent by `from` (no link latency).
    pub fn post_at(&mut self, at: SimTime, from: ActorId, to: ActorId, msg: M) {
        self.queue.push(at, Envelope::Message { to, from, msg });
    }

    /// Stops or resumes an actor. A stopped actor's pending inputs are dropped when they come due.
    pub fn set_running(&mut self, id: ActorId, running: bool) {
        self.running[id.index()] = running;
    }

    pub fn is_running(&self, id: ActorId) -> bool {
        self.running[id.index()]
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Inputs handled so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Events waiting in the queue (cancelled timers included).
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    pub fn name(&self, id: ActorId) -> &str {
        &self.names[id.index()]
    }

    pub fn actor_count(&self) -> usize {
        self.actors.len()
    }

    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.network
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    /// The actor `id` as its concrete type, if it is one.
    pub fn actor<T: Actor<M>>(&self, id: ActorId) -> Option<&T> {
        let a: &dyn std::any::Any = self.actors.get(id.index())?.as_ref();
        a.downcast_ref::<T>()
    }

    /// The actor `id` as its concrete type, mutably.
    pub fn actor_mut<T: Actor<M>>(&mut self, id: ActorId) -> Option<&mut T> {
        let a: &mut dyn std::any::Any = self.actors.get_mut(id.index())?.as_mut();
        a.downcast_mut::<T>()
    }

    /// Replaces actor `id` by what `f` makes of it (a restarted component); keeps its stream.
    pub fn map_actor(
        &mut self,
        id: ActorId,
        f: impl FnOnce(Box<dyn Actor<M>>) -> Box<dyn Actor<M>>,
    ) {
        let actor = &mut self.actors[id.index()];
        let placeholder: Box<dyn Actor<M>> = Box::new(Inert);
        let old = std::mem::replace(actor, placeholder);
        *actor = f(old);
    }

    /// Replaces actor `id` (a restarted component starts from fresh state); keeps its stream.
    pub fn replace_actor(&mut self, id: ActorId, actor: Box<dyn Actor<M>>) {
        self.actors[id.index()] = actor;
    }

    /// Time of the next pending event.
    pub fn next_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Runs the next event. Returns false when the queue is empty.
    pub fn step(&mut self) -> bool {
        let Some((time, id, env)) = self.queue.pop() else {
            return false;
        };
        debug_assert!(time >= self.now, "time went backwards");
        self.now = time;
        // Start loading the state of an actor that comes next: with many actors it is not in
        // cache, and the wait then overlaps this event instead of following it.
        if let Some(next) = self.queue.peek_soon() {
            let i = next.to().index();
            if i < self.actors.len() {
                prefetch(&self.running[i]);
                prefetch(&self.actors[i]);
                prefetch(&self.rngs[i]);
            }
        }
        let (to, input) = match env {
            Envelope::Start { to } => (to, Input::Start),
            // A message in flight on a link that was cut meanwhile is lost; its sender may hear.
            Envelope::Message { to, from, msg } if !self.network.path_up(from, to) => {
                self.bounce(time, from, to, msg);
                return true;
            }
            Envelope::Message { to, from, msg } => (to, Input::Message { from, msg }),
            Envelope::Timer { to, tag } => (to, Input::Timer { id, tag }),
            // A sender that stopped meanwhile sends nothing more.
            Envelope::Deferred { from, .. } if !self.running[from.index()] => return true,
            Envelope::Deferred { to, from, msg } => {
                // Its wait at the sender is over: onto the link, or back if the link is cut.
                match self.network.delivery(time, from, to) {
                    Some(at) => {
                        self.queue.push(at, Envelope::Message { to, from, msg });
                    }
                    None => self.bounce(time, from, to, msg),
                }
                return true;
            }
        };
        if !self.running[to.index()] {
            return true;
        }
        self.events += 1;
        let mut cx = Context {
            now: time,
            me: to,
            rng: &mut self.rngs[to.index()],
            queue: &mut self.queue,
            network: &mut self.network,
            trace: &mut self.trace,
            names: &self.names,
        };
        self.actors[to.index()].handle(input, &mut cx);
        true
    }

    /// Tells `from` at once that its message to `to` could not be delivered (the answer comes
    /// from the sender's own side of the cut link, so it is addressed from itself).
    fn bounce(&mut self, time: SimTime, from: ActorId, _to: ActorId, msg: M) {
        if let Some(b) = msg.bounce() {
            self.queue.push(
                time,
                Envelope::Message {
                    to: from,
                    from,
                    msg: b,
                },
            );
        }
    }

    /// Runs every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while let Some(t) = self.queue.peek_time() {
            if t > until {
                break;
            }
            self.step();
        }
        if until > self.now {
            self.now = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pings the hub every `period`, records what it receives.
    struct Pinger {
        hub: ActorId,
        period: SimDuration,
        got: Vec<(SimTime, u32)>,
        timer: Option<TimerId>,
    }

    impl Actor<u32> for Pinger {
        fn handle(&mut self, input: Input<u32>, cx: &mut Context<'_, u32>) {
            match input {
                Input::Start => self.timer = Some(cx.set_timer(self.period, 1)),
                Input::Timer { tag: 1, .. } => {
                    cx.send(self.hub, cx.me().0);
                    self.timer = Some(cx.set_timer(self.period, 1));
                }
                Input::Message { msg: 0, .. } => {
                    if let Some(t) = self.timer.take() {
                        cx.cancel_timer(t);
                    }
                }
                Input::Message { msg, .. } => self.got.push((cx.now(), msg)),
                Input::Timer { .. } => {}
            }
        }
    }

    /// Echoes every message back, with a trace line.
    struct Echo;
    impl Actor<u32> for Echo {
        fn handle(&mut self, input: Input<u32>, cx: &mut Context<'_, u32>) {
            if let Input::Message { from, msg } = input {
                let n = cx.rng().uniform(0, 1000);
                cx.trace("echo", "update", "Ping", "", &msg.to_string(), n, "{}");
                cx.send(from, msg + 100);
            }
        }
    }

    fn build(seed: u64) -> (Sim<u32>, ActorId, ActorId) {
        let mut sim = Sim::new(
            seed,
            Latency {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(3),
            },
            Trace::new(),
        );
        let hub = sim.add_actor("echo", Box::new(Echo));
        sim.network_mut().set_hub(hub);
        let p = sim.add_actor(
            "pinger",
            Box::new(Pinger {
                hub,
                period: SimDuration::from_secs(1),
                got: vec![],
                timer: None,
            }),
        );
        sim.start_at(p, SimTime::ZERO);
        (sim, hub, p)
    }

    #[test]
    fn timers_and_round_trips_follow_latency() {
        let (mut sim, _, p) = build(1);
        sim.run_until(SimTime(10_500_000));
        let got = &sim.actor::<Pinger>(p).unwrap().got;
        assert_eq!(got.len(), 10);
        for (i, (t, m)) in got.iter().enumerate() {
            let sent = (i as u64 + 1) * 1_000_000;
            assert!(t.0 >= sent + 2_000 && t.0 <= sent + 6_000, "{t:?}");
            assert_eq!(*m, 101);
        }
        assert_eq!(sim.now(), SimTime(10_500_000));
    }

    #[test]
    fn same_seed_same_digest_other_seed_differs() {
        let digest = |seed| {
            let (mut sim, _, _) = build(seed);
            sim.run_until(SimTime(20_000_000));
            sim.trace().digest()
        };
        assert_eq!(digest(4), digest(4));
        assert_ne!(digest(4), digest(5));
    }

    #[test]
    fn cancelled_timer_stops_the_pinger() {
        let (mut sim, _, p) = build(1);
        sim.run_until(SimTime(3_500_000));
        sim.post_at(SimTime(3_600_000), p, p, 0); // tells the pinger to cancel its timer
        sim.run_until(SimTime(10_000_000));
        let got = sim.actor::<Pinger>(p).unwrap().got.len();
        assert_eq!(
            got, 3,
            "echoes of pings at 1s, 2s, 3s; none after the cancel"
        );
    }

    #[test]
    fn stopped_actor_receives_nothing() {
        let (mut sim, _, p) = build(1);
        sim.run_until(SimTime(2_500_000));
        sim.set_running(p, false);
        sim.run_until(SimTime(10_000_000));
        assert_eq!(sim.actor::<Pinger>(p).unwrap().got.len(), 2);
    }
}
