//! The ReplicaSet flow end to end (create, schedule, bind, start, report Running) at 100 and
//! 1000 nodes, 3 replicas per node: wall time of `Cluster::run` over 60 virtual seconds.
//! Building the cluster is not timed. Throughput is in pods (replicas) per second.

use benches::replicaset_flow;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kubesim::cluster::{Cluster, RunOptions};
use std::time::{Duration, Instant};

/// Replicas per node.
const PODS_PER_NODE: u32 = 3;

fn flow(c: &mut Criterion) {
    let mut group = c.benchmark_group("replicaset_flow");
    group.sample_size(10);
    for nodes in [100u32, 1000] {
        let replicas = nodes * PODS_PER_NODE;
        let scenario = replicaset_flow(nodes, replicas);
        kubesim::scenario::validate(&scenario).expect("the bench scenario is valid");
        group.throughput(Throughput::Elements(u64::from(replicas)));
        let id = BenchmarkId::new(format!("nodes={nodes}"), format!("replicas={replicas}"));
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut cluster = Cluster::new(&scenario, RunOptions::default());
                    let started = Instant::now();
                    let report = cluster.run(None);
                    total += started.elapsed();
                    assert!(report.passed(), "{}", report.summary(None));
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, flow);
criterion_main!(benches);
