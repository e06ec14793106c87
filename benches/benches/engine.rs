//! Engine throughput on a timer-heavy workload: `n` actors, each re-arming one timer with a
//! random delay every time it fires, so `n` timers are always pending. `sim_step` measures
//! `Sim::step`; `binary_heap` does the same pops and pushes on a bare `BinaryHeap` (same
//! pending count, same delay distribution, same random generator), so the engine's overhead
//! is the ratio of the two in one run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
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

fn timers(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers");
    group.throughput(Throughput::Elements(EVENTS));
    for n in [1_000usize, 100_000] {
        let mut sim = timer_sim(n);
        group.bench_with_input(BenchmarkId::new("sim_step", n), &n, |b, _| {
            b.iter(|| {
                for _ in 0..EVENTS {
                    black_box(sim.step());
                }
            })
        });

        let mut rng = SimRng::new(1, 0);
        let mut heap = timer_heap(n, &mut rng);
        let mut seq = n as u64;
        group.bench_with_input(BenchmarkId::new("binary_heap", n), &n, |b, _| {
            b.iter(|| {
                for _ in 0..EVENTS {
                    let Reverse((t, _, payload)) = heap.pop().expect("never empty");
                    heap.push(Reverse((t + rng.uniform(1, MAX_DELAY_US), seq, payload)));
                    seq += 1;
                }
                black_box(heap.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
