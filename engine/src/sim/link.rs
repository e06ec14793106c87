//! Network links between actors and the hub (the API server), each with a seeded latency.
//!
//! Every link is FIFO, like the TCP connection (HTTP/2 stream) a Kubernetes client holds to the
//! API server: a message is never delivered before one sent earlier on the same link. A link can be
//! cut (partition): messages sent over a cut link are lost.

use super::actor::ActorId;
use super::rng::{link_stream, SimRng};
use super::time::{SimDuration, SimTime};

/// One-way latency drawn uniformly from `[min, max]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    pub min: SimDuration,
    pub max: SimDuration,
}

impl Latency {
    pub const ZERO: Latency = Latency {
        min: SimDuration::ZERO,
        max: SimDuration::ZERO,
    };

    pub fn fixed(d: SimDuration) -> Self {
        Latency { min: d, max: d }
    }

    fn draw(&self, rng: &mut SimRng) -> SimDuration {
        SimDuration(rng.uniform(self.min.0, self.max.0))
    }
}

/// One direction of a link.
#[derive(Clone, Debug)]
struct Link {
    latency: Latency,
    rng: SimRng,
    last_delivery: SimTime,
}

impl Link {
    fn new(seed: u64, stream: u64, latency: Latency) -> Self {
        Link {
            latency,
            rng: SimRng::new(seed, stream),
            last_delivery: SimTime::ZERO,
        }
    }

    fn delivery(&mut self, now: SimTime) -> SimTime {
        let at = (now + self.latency.draw(&mut self.rng)).max(self.last_delivery);
        self.last_delivery = at;
        at
    }
}

/// Both directions between one actor and the hub.
#[derive(Clone, Debug)]
struct Spoke {
    to_hub: Link,
    from_hub: Link,
    up: bool,
}

/// A star network: every actor has a link to the hub. Messages between two non-hub actors, from
/// an actor to itself, or in a network without a hub, are delivered at once.
#[derive(Clone, Debug)]
pub struct Network {
    seed: u64,
    hub: Option<ActorId>,
    default_latency: Latency,
    spokes: Vec<Option<Spoke>>,
    /// Actor names, for the links' random streams.
    names: Vec<String>,
}

impl Network {
    pub fn new(seed: u64, default_latency: Latency) -> Self {
        Network {
            seed,
            hub: None,
            default_latency,
            spokes: Vec::new(),
            names: Vec::new(),
        }
    }

    /// Names actor `actor`; its link's random streams derive from the name.
    pub fn register(&mut self, actor: ActorId, name: &str) {
        let i = actor.index();
        if self.names.len() <= i {
            self.names.resize(i + 1, String::new());
        }
        self.names[i] = name.to_string();
    }

    pub fn set_hub(&mut self, hub: ActorId) {
        self.hub = Some(hub);
    }

    pub fn hub(&self) -> Option<ActorId> {
        self.hub
    }

    fn spoke_mut(&mut self, actor: ActorId) -> &mut Spoke {
        let i = actor.index();
        if self.spokes.len() <= i {
            self.spokes.resize(i + 1, None);
        }
        let (seed, latency) = (self.seed, self.default_latency);
        let name = match self.names.get(i) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("#{i}"),
        };
        self.spokes[i].get_or_insert_with(|| Spoke {
            to_hub: Link::new(seed, link_stream(&name, true), latency),
            from_hub: Link::new(seed, link_stream(&name, false), latency),
            up: true,
        })
    }

    /// Sets the latency of both directions of `actor`'s link to the hub.
    pub fn set_latency(&mut self, actor: ActorId, latency: Latency) {
        let s = self.spoke_mut(actor);
        s.to_hub.latency = latency;
        s.from_hub.latency = latency;
    }

    /// Cuts (`false`) or restores (`true`) `actor`'s link to the hub.
    pub fn set_up(&mut self, actor: ActorId, up: bool) {
        self.spoke_mut(actor).up = up;
    }

    pub fn is_up(&self, actor: ActorId) -> bool {
        self.spokes
            .get(actor.index())
            .and_then(|s| s.as_ref())
            .is_none_or(|s| s.up)
    }

    /// Whether a message from `from` to `to` can pass now (the link between them is not cut).
    pub fn path_up(&self, from: ActorId, to: ActorId) -> bool {
        match self.hub {
            Some(hub) if from != to && (from == hub || to == hub) => {
                self.is_up(if to == hub { from } else { to })
            }
            _ => true,
        }
    }

    /// When a message sent now from `from` to `to` arrives; `None` if the link is cut.
    pub fn delivery(&mut self, now: SimTime, from: ActorId, to: ActorId) -> Option<SimTime> {
        let Some(hub) = self.hub else {
            return Some(now);
        };
        if from == to || (from != hub && to != hub) {
            return Some(now);
        }
        let (spoke, to_hub) = if to == hub { (from, true) } else { (to, false) };
        let s = self.spoke_mut(spoke);
        if !s.up {
            return None;
        }
        Some(if to_hub {
            s.to_hub.delivery(now)
        } else {
            s.from_hub.delivery(now)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Network {
        let mut n = Network::new(
            1,
            Latency {
                min: SimDuration(100),
                max: SimDuration(5_000),
            },
        );
        n.set_hub(ActorId(0));
        n
    }

    #[test]
    fn links_are_fifo() {
        let mut n = net();
        let mut last = SimTime::ZERO;
        for t in 0..200u64 {
            let at = n.delivery(SimTime(t), ActorId(1), ActorId(0)).unwrap();
            assert!(at >= last, "message overtook an earlier one");
            assert!(at >= SimTime(t + 100));
            last = at;
        }
    }

    #[test]
    fn latency_is_within_bounds_and_seeded() {
        let mut a = net();
        let mut b = net();
        for t in 0..50u64 {
            let now = SimTime(t * 10_000);
            let x = a.delivery(now, ActorId(0), ActorId(2)).unwrap();
            let y = b.delivery(now, ActorId(0), ActorId(2)).unwrap();
            assert_eq!(x, y);
            assert!(x >= now + SimDuration(100) && x <= now + SimDuration(5_000));
        }
    }

    #[test]
    fn cut_link_loses_messages_and_others_unaffected() {
        let mut n = net();
        n.set_up(ActorId(3), false);
        assert!(!n.is_up(ActorId(3)));
        assert_eq!(n.delivery(SimTime(0), ActorId(3), ActorId(0)), None);
        assert_eq!(n.delivery(SimTime(0), ActorId(0), ActorId(3)), None);
        assert!(n.delivery(SimTime(0), ActorId(4), ActorId(0)).is_some());
        n.set_up(ActorId(3), true);
        assert!(n.delivery(SimTime(0), ActorId(3), ActorId(0)).is_some());
    }

    #[test]
    fn non_hub_and_self_messages_are_immediate() {
        let mut n = net();
        assert_eq!(
            n.delivery(SimTime(7), ActorId(1), ActorId(2)),
            Some(SimTime(7))
        );
        assert_eq!(
            n.delivery(SimTime(7), ActorId(0), ActorId(0)),
            Some(SimTime(7))
        );
    }
}
