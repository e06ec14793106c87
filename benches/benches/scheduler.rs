//! Scheduler throughput, single thread: pods scheduled one after another (filter, score,
//! select, assume) onto a snapshot of nodes, as `kubesim bench scheduler` does. Reported as
//! elements (pods) per second. `default`: scheduler_perf's SchedulingBasic pods (100m cpu,
//! 500Mi) with the default profile; `spread-affinity`: the same pods with a zone topology
//! spread constraint and a preferred hostname anti-affinity, fewer of them, as their PreScore
//! visits every existing pod.

use benches::{scheduler_cases, SchedulerCase};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use kubesim::bench::Bench;
use kubesim::scheduler::Profile;
use std::hint::black_box;
use std::time::Duration;

fn scheduling(c: &mut Criterion) {
    let profile = Profile::default_profile();
    let mut group = c.benchmark_group("scheduler");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(20));
    for SchedulerCase {
        workload,
        nodes,
        pods,
    } in scheduler_cases()
    {
        // Each sample schedules every pod once onto fresh nodes (cloned outside the timing).
        let prepared = Bench::new(workload, nodes, pods, &profile.scheduler_name);
        group.throughput(Throughput::Elements(pods as u64));
        group.bench_with_input(
            BenchmarkId::new(workload.name(), format!("{nodes}-nodes-{pods}-pods")),
            &prepared,
            |b, prepared| {
                b.iter_batched(
                    || prepared.clone(),
                    |mut bench| {
                        let out = bench.run(&profile);
                        assert_eq!(out.unschedulable, 0);
                        black_box(out)
                    },
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, scheduling);
criterion_main!(benches);
