//! Engine throughput on a timer-heavy workload: `n` actors (1e3, 1e5, 1e6), each re-arming one
//! timer with a random delay every time it fires, so `n` timers are always pending. `sim_step`
//! measures `Sim::step`; `binary_heap` does the same pops and pushes on a bare `BinaryHeap` (same
//! pending count, same delay distribution, same random generator), so the engine's overhead
//! is the ratio of the two in one run. `sim_step` also pays what the bare loop does not: the
//! dispatch to a boxed actor and a draw from that actor's own random stream (per-actor state
//! spread over `n` actors). Results and the command: docs/performance.md.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use kubesim::sim::{Actor, Context, Input, Latency, Sim, SimDuration, SimRng, SimTime, Trace};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

/// Events per measured iteration.
const EVENTS: u64 = 100_000;
/// Timer delays are uniform in 1µs..=MAX_DELAY_US.
const MAX_DELAY_US: u64 = 1_000_000;

/// Sets a timer on start, and a new one each time it fires.
struct Rearm;

impl Actor<u32> for Rearm {
    fn handle(&mut self, input: Input<u32>, cx: &mut Context<'_, u32>) {
        match input {
            Input::Start | Input::Timer { .. } => {
                let after = SimDuration::from_micros(cx.rng().uniform(1, MAX_DELAY_US));
                cx.set_timer(after, 0);
            }
            Input::Message { .. } => {}
        }
    }
}

/// A simulation with `n` started actors, each with one pending timer.
fn timer_sim(n: usize) -> Sim<u32> {
    let latency = Latency {
        min: SimDuration::ZERO,
        max: SimDuration::ZERO,
    };
    let mut sim = Sim::new(1, latency, Trace::new());
    for i in 0..n {
        let id = sim.add_actor(format!("timer-{i}"), Box::new(Rearm));
        sim.start_at(id, SimTime::ZERO);
    }
    for _ in 0..n {
        sim.step();
    }
    assert_eq!(sim.pending(), n);
    sim
}

/// A bare heap with `n` pending (time, seq, payload) entries, earliest first.
fn timer_heap(n: usize, rng: &mut SimRng) -> BinaryHeap<Reverse<(u64, u64, u32)>> {
    (0..n)
        .map(|i| Reverse((rng.uniform(1, MAX_DELAY_US), i as u64, i as u32)))
        .collect()
}

/// `events` steps of the simulation.
#[inline(never)]
fn sim_events(sim: &mut Sim<u32>, events: u64) {
    for _ in 0..events {
        black_box(sim.step());
    }
}

/// A bare heap with its random generator and next sequence number.
struct Bare {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    rng: SimRng,
    seq: u64,
}

impl Bare {
    fn new(n: usize) -> Self {
        let mut rng = SimRng::new(1, 0);
        let heap = timer_heap(n, &mut rng);
        Bare {
            heap,
            rng,
            seq: n as u64,
        }
    }
}

/// `events` pops of the earliest entry, each followed by a push of its successor.
#[inline(never)]
fn heap_events(b: &mut Bare, events: u64) -> usize {
    for _ in 0..events {
        let Reverse((t, _, payload)) = b.heap.pop().expect("never empty");
        let next = t + b.rng.uniform(1, MAX_DELAY_US);
        b.heap.push(Reverse((next, b.seq, payload)));
        b.seq += 1;
    }
    b.heap.len()
}

fn timers(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers");
    group.throughput(Throughput::Elements(EVENTS));
    for n in [1_000usize, 100_000, 1_000_000] {
        let mut sim = timer_sim(n);
        group.bench_with_input(BenchmarkId::new("sim_step", n), &n, |b, _| {
            b.iter(|| sim_events(&mut sim, EVENTS))
        });

        let mut bare = Bare::new(n);
        group.bench_with_input(BenchmarkId::new("binary_heap", n), &n, |b, _| {
            b.iter(|| black_box(heap_events(&mut bare, EVENTS)))
        });
    }
    group.finish();
}

/// Nanoseconds this thread has run, from /proc/thread-self/schedstat (time spent waiting for a
/// busy CPU left out); wall-clock nanoseconds where that file does not exist.
fn cpu_ns(start: std::time::Instant) -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| start.elapsed().as_nanos() as u64)
}

/// `ENGINE_PROBE="sim|heap N EVENTS [ROUNDS]"`: one workload without criterion, for callgrind
/// (`--toggle-collect='*sim_events*'` or `'*heap_events*'`) or a CPU-time rate per round.
fn probe(spec: &str) {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let (n, events): (usize, u64) = match words[..] {
        [_, n, e, ..] => (n.parse().expect("N"), e.parse().expect("EVENTS")),
        _ => panic!("ENGINE_PROBE=\"sim|heap N EVENTS [ROUNDS]\""),
    };
    let rounds: u32 = words.get(3).map_or(1, |r| r.parse().expect("ROUNDS"));
    let mut run: Box<dyn FnMut()> = match words[0] {
        "sim" => {
            let mut sim = timer_sim(n);
            Box::new(move || sim_events(&mut sim, events))
        }
        "heap" => {
            let mut bare = Bare::new(n);
            Box::new(move || {
                black_box(heap_events(&mut bare, events));
            })
        }
        w => panic!("unknown workload {w}"),
    };
    let wall = std::time::Instant::now();
    for _ in 0..rounds {
        let t0 = cpu_ns(wall);
        run();
        let ns = (cpu_ns(wall) - t0).max(1);
        println!(
            "{} n={n}: {:.2} M events/s",
            words[0],
            events as f64 * 1e3 / ns as f64
        );
    }
}

criterion_group!(benches, timers);

fn main() {
    match std::env::var("ENGINE_PROBE") {
        Ok(spec) => probe(&spec),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
